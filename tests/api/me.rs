use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[actix_web::test]
async fn me_returns_and_updates_the_caller() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["email"], user.email);
    assert_eq!(me.json()["display_name"], serde_json::Value::Null);

    let patched = app
        .request(
            "PATCH",
            "/v1/me",
            Some(&tokens.access),
            Some(&json!({"display_name": "  Ada Lovelace "})),
            &[],
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.json()["display_name"], "Ada Lovelace");
    assert_eq!(
        app.get("/v1/me", Some(&tokens.access)).await.json()["display_name"],
        "Ada Lovelace"
    );

    let cleared = app
        .request(
            "PATCH",
            "/v1/me",
            Some(&tokens.access),
            Some(&json!({"display_name": null})),
            &[],
        )
        .await;
    assert_eq!(cleared.status, 200);
    assert_eq!(cleared.json()["display_name"], serde_json::Value::Null);

    app.request(
        "PATCH",
        "/v1/me",
        Some(&tokens.access),
        Some(&json!({"display_name": "x".repeat(101)})),
        &[],
    )
    .await
    .assert_problem(422, "validation_failed");
    app.request(
        "PATCH",
        "/v1/me",
        Some(&tokens.access),
        Some(&json!({})),
        &[],
    )
    .await
    .assert_problem(422, "validation_failed");
    app.request(
        "PATCH",
        "/v1/me",
        None,
        Some(&json!({"display_name": "x"})),
        &[],
    )
    .await
    .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn deleting_the_account_needs_the_password_and_frees_the_email() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let other_session = app.login_user(&user).await;

    app.request(
        "DELETE",
        "/v1/me",
        Some(&tokens.access),
        Some(&json!({"password": "Wrong-passw0rd!"})),
        &[],
    )
    .await
    .assert_problem(401, "invalid_credentials");
    assert_eq!(app.get("/v1/me", Some(&tokens.access)).await.status, 200);

    let deleted = app
        .request(
            "DELETE",
            "/v1/me",
            Some(&tokens.access),
            Some(&json!({"password": user.password})),
            &[],
        )
        .await;
    assert_eq!(deleted.status, 204);
    app.get("/v1/me", Some(&tokens.access))
        .await
        .assert_problem(401, "unauthorized");
    app.get("/v1/me", Some(&other_session.access))
        .await
        .assert_problem(401, "unauthorized");
    app.refresh(&other_session.refresh)
        .await
        .assert_problem(401, "session_revoked");
    app.login(&user.email, &user.password)
        .await
        .assert_problem(401, "invalid_credentials");

    // The email registers again as a new account (a verification mail, not
    // "account already exists").
    assert_eq!(app.register(&user.email, PASSWORD).await.status, 202);
    let mail = app.mail_to(&user.email).await;
    assert!(
        mail.link().contains("/verify-email?token="),
        "{}",
        mail.subject
    );
}
