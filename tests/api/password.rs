//! Password reset and password change.

use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

const NEW_PASSWORD: &str = "Brand-new-secret-77";

#[actix_web::test]
async fn the_whole_reset_flow_through_the_mailed_link() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let before = app.login_user(&user).await;

    let requested = app
        .post(
            "/v1/auth/password-reset/request",
            json!({"email": user.email}),
        )
        .await;
    assert_eq!(requested.status, 202);
    assert_eq!(requested.json(), json!({"status": "reset_sent"}));
    let mail = app.mail_to(&user.email).await;
    assert!(
        mail.link()
            .starts_with("https://app.example.test/reset-password?token="),
        "{}",
        mail.link()
    );

    let confirmed = app
        .post(
            "/v1/auth/password-reset/confirm",
            json!({"token": mail.token(), "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(
        confirmed.status,
        204,
        "{}",
        String::from_utf8_lossy(&confirmed.body)
    );

    // Every session is gone, the old password is dead, the new one works.
    app.get("/v1/me", Some(&before.access))
        .await
        .assert_problem(401, "unauthorized");
    app.refresh(&before.refresh)
        .await
        .assert_problem(401, "session_revoked");
    app.login(&user.email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    assert_eq!(app.login(&user.email, NEW_PASSWORD).await.status, 200);

    let notice = app.mail_to(&user.email).await;
    assert!(
        notice.subject.contains("password was changed"),
        "{}",
        notice.subject
    );

    // The token was single use.
    app.post(
        "/v1/auth/password-reset/confirm",
        json!({"token": mail.token(), "new_password": "Yet-another-one-88"}),
    )
    .await
    .assert_problem(400, "token_used");
}

#[actix_web::test]
async fn reset_marks_the_email_verified() {
    let app = spawn_app().await;
    assert_eq!(
        app.register("forgetful@example.com", PASSWORD).await.status,
        202
    );
    app.mail_to("forgetful@example.com").await; // the verification mail, ignored
    assert_eq!(
        app.post(
            "/v1/auth/password-reset/request",
            json!({"email": "forgetful@example.com"})
        )
        .await
        .status,
        202
    );
    let reset = app.mail_to("forgetful@example.com").await;
    let confirmed = app
        .post(
            "/v1/auth/password-reset/confirm",
            json!({"token": reset.token(), "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(confirmed.status, 204);
    let login = app.login("forgetful@example.com", NEW_PASSWORD).await;
    assert_eq!(login.status, 200);
    assert_eq!(login.json()["user"]["email_verified"], true);
}

#[actix_web::test]
async fn reset_request_answers_alike_and_mails_only_existing_accounts() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let known = app
        .post(
            "/v1/auth/password-reset/request",
            json!({"email": user.email}),
        )
        .await;
    let unknown = app
        .post(
            "/v1/auth/password-reset/request",
            json!({"email": "ghost@example.com"}),
        )
        .await;
    assert_eq!(known.status, 202);
    assert_eq!(known.body, unknown.body);
    assert!(
        app.mail_to(&user.email)
            .await
            .link()
            .contains("reset-password?token=")
    );
    assert!(app.unread_mail_to("ghost@example.com").await.is_empty());
}

#[actix_web::test]
async fn reset_tokens_expire() {
    let app = spawn_app_with(&[("AUTH_RESET_TTL", "1")]).await;
    let user = app.verified_user().await;
    app.post(
        "/v1/auth/password-reset/request",
        json!({"email": user.email}),
    )
    .await;
    let token = app.mail_to(&user.email).await.token();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.post(
        "/v1/auth/password-reset/confirm",
        json!({"token": token, "new_password": NEW_PASSWORD}),
    )
    .await
    .assert_problem(400, "token_expired");
    assert_eq!(app.login(&user.email, PASSWORD).await.status, 200);
}

#[actix_web::test]
async fn a_reset_token_dies_when_the_password_changes_another_way() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    app.post(
        "/v1/auth/password-reset/request",
        json!({"email": user.email}),
    )
    .await;
    let token = app.mail_to(&user.email).await.token();
    let tokens = app.login_user(&user).await;
    let changed = app
        .post_auth(
            "/v1/auth/password/change",
            &tokens.access,
            Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(changed.status, 204);
    let refused = app
        .post(
            "/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": "Yet-another-one-88"}),
        )
        .await;
    // README (c): the change spent every outstanding reset token.
    refused.assert_problem(400, "token_used");
    // The second guard: even unspent, a reset token issued before the
    // password last changed is refused.
    let spent = authd::auth::one_time::hash(&token);
    app.state
        .db
        .run(move |conn| {
            use authd::db::schema::one_time_tokens::dsl::*;
            use diesel::prelude::*;
            let none: Option<chrono::NaiveDateTime> = None;
            diesel::update(one_time_tokens.filter(token_hash.eq(&spent)))
                .set(used_at.eq(none))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    app.post(
        "/v1/auth/password-reset/confirm",
        json!({"token": token, "new_password": "Yet-another-one-88"}),
    )
    .await
    .assert_problem(400, "invalid_token");
    assert_eq!(app.login(&user.email, NEW_PASSWORD).await.status, 200);
}

#[actix_web::test]
async fn verify_and_reset_tokens_are_not_interchangeable() {
    let app = spawn_app().await;
    assert_eq!(
        app.register("mixed@example.com", PASSWORD).await.status,
        202
    );
    let verify_token = app.mail_to("mixed@example.com").await.token();
    app.post(
        "/v1/auth/password-reset/confirm",
        json!({"token": verify_token, "new_password": NEW_PASSWORD}),
    )
    .await
    .assert_problem(400, "invalid_token");

    app.post(
        "/v1/auth/password-reset/request",
        json!({"email": "mixed@example.com"}),
    )
    .await;
    let reset_token = app.mail_to("mixed@example.com").await.token();
    app.post("/v1/auth/verify-email", json!({"token": reset_token}))
        .await
        .assert_problem(400, "invalid_token");
    // Both still work for their own purpose.
    assert_eq!(
        app.post("/v1/auth/verify-email", json!({"token": verify_token}))
            .await
            .status,
        200
    );
    assert_eq!(
        app.post(
            "/v1/auth/password-reset/confirm",
            json!({"token": reset_token, "new_password": NEW_PASSWORD})
        )
        .await
        .status,
        204
    );
}

#[actix_web::test]
async fn a_weak_new_password_is_refused_and_the_token_survives() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    app.post(
        "/v1/auth/password-reset/request",
        json!({"email": user.email}),
    )
    .await;
    let token = app.mail_to(&user.email).await.token();
    let weak = app
        .post(
            "/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": "password"}),
        )
        .await;
    weak.assert_problem(422, "validation_failed");
    assert!(weak.json()["errors"]["new_password"].is_array());
    assert_eq!(
        app.post(
            "/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": NEW_PASSWORD})
        )
        .await
        .status,
        204
    );
}

#[actix_web::test]
async fn change_password_keeps_the_current_session_and_kills_the_others() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let current = app.login_user(&user).await;
    let other = app.login_user(&user).await;

    app.post_auth(
        "/v1/auth/password/change",
        &current.access,
        Some(json!({"current_password": "Wrong-passw0rd!", "new_password": NEW_PASSWORD})),
    )
    .await
    .assert_problem(401, "invalid_credentials");
    app.post_auth(
        "/v1/auth/password/change",
        &current.access,
        Some(json!({"current_password": PASSWORD, "new_password": "short"})),
    )
    .await
    .assert_problem(422, "validation_failed");

    let changed = app
        .post_auth(
            "/v1/auth/password/change",
            &current.access,
            Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(changed.status, 204);
    assert_eq!(app.get("/v1/me", Some(&current.access)).await.status, 200);
    assert_eq!(app.refresh(&current.refresh).await.status, 200);
    app.get("/v1/me", Some(&other.access))
        .await
        .assert_problem(401, "unauthorized");
    app.refresh(&other.refresh)
        .await
        .assert_problem(401, "session_revoked");
    app.login(&user.email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    assert_eq!(app.login(&user.email, NEW_PASSWORD).await.status, 200);
    let notice = app.mail_to(&user.email).await;
    assert!(
        notice.subject.contains("password was changed"),
        "{}",
        notice.subject
    );
}
