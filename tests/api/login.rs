use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with, spawn_sibling};

#[actix_web::test]
async fn login_returns_the_token_pair_and_the_user() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let response = app.login(&user.email, &user.password).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("cache-control").as_deref(),
        Some("no-store")
    );
    let body = response.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["refresh_expires_in"], 2_592_000);
    assert!(body["access_token"].as_str().unwrap().split('.').count() == 3);
    assert!(body["refresh_token"].as_str().unwrap().split('.').count() == 3);
    assert_eq!(body["user"]["email"], user.email);
    assert!(body["user"]["last_login_at"].is_string());

    let me = app.get("/v1/me", body["access_token"].as_str()).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["last_login_at"], body["user"]["last_login_at"]);
}

#[actix_web::test]
async fn unknown_email_and_wrong_password_answer_alike() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let unknown = app.login("nobody@example.com", PASSWORD).await;
    let wrong = app.login(&user.email, "Wrong-passw0rd!").await;
    unknown.assert_problem(401, "invalid_credentials");
    wrong.assert_problem(401, "invalid_credentials");
    assert_eq!(unknown.body, wrong.body);
}

#[actix_web::test]
async fn unverified_users_may_log_in_when_verification_is_not_required() {
    let app = spawn_app_with(&[("AUTH_REQUIRE_VERIFIED_EMAIL", "false")]).await;
    assert_eq!(app.register("free@example.com", PASSWORD).await.status, 202);
    let response = app.login("free@example.com", PASSWORD).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["user"]["email_verified"], false);
}

#[actix_web::test]
async fn passwords_sharing_their_first_72_bytes_do_not_both_log_in() {
    let app = spawn_app().await;
    let email = "long@example.com";
    let password = format!(
        "{}-and-then-the-rest-9!",
        "Correct-horse-battery-staple-".repeat(3)
    );
    assert!(password.len() > 72);
    assert_eq!(app.register(email, &password).await.status, 202);
    let token = app.mail_to(email).await.token();
    assert_eq!(
        app.post("/v1/auth/verify-email", json!({"token": token}))
            .await
            .status,
        200
    );

    let first_72 = &password[..72];
    app.login(email, first_72)
        .await
        .assert_problem(401, "invalid_credentials");
    let other_tail = format!("{first_72}-something-else");
    app.login(email, &other_tail)
        .await
        .assert_problem(401, "invalid_credentials");
    assert_eq!(app.login(email, &password).await.status, 200);
}

#[actix_web::test]
async fn a_256_character_unicode_password_works() {
    let app = spawn_app().await;
    let password: String = "Grüße-🔑-9 ".chars().cycle().take(256).collect();
    let email = "unicode@example.com";
    assert_eq!(app.register(email, &password).await.status, 202);
    let token = app.mail_to(email).await.token();
    assert_eq!(
        app.post("/v1/auth/verify-email", json!({"token": token}))
            .await
            .status,
        200
    );
    assert_eq!(app.login(email, &password).await.status, 200);
    let almost: String = password.chars().take(255).collect();
    app.login(email, &almost)
        .await
        .assert_problem(401, "invalid_credentials");
}

#[actix_web::test]
async fn a_hash_of_another_cost_is_upgraded_at_the_next_login() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let stored_cost = |app: &crate::helpers::TestApp, email: String| {
        let db = app.state.db.clone();
        async move {
            db.run(move |conn| {
                let row = authd::db::users::find_by_email(conn, &email)?.expect("user");
                Ok(row
                    .password_hash
                    .split('$')
                    .nth(2)
                    .unwrap()
                    .parse::<u32>()
                    .unwrap())
            })
            .await
            .unwrap()
        }
    };
    assert_eq!(stored_cost(&app, user.email.clone()).await, 4);
    let upgraded = spawn_sibling(&app, &[("AUTH_BCRYPT_COST", "5")]).await;
    assert_eq!(
        upgraded.login(&user.email, &user.password).await.status,
        200
    );
    assert_eq!(stored_cost(&upgraded, user.email.clone()).await, 5);
    assert_eq!(
        upgraded.login(&user.email, &user.password).await.status,
        200
    );
}

/// The lockout's bound on checks in flight is per account: parallel logins
/// of different accounts are never refused for one another's checks.
#[actix_web::test]
async fn parallel_logins_of_different_accounts_do_not_share_the_in_flight_bound() {
    let app = spawn_app_with(&[
        ("AUTH_LOCKOUT_THRESHOLD", "2"),
        ("AUTH_RATE_LIMITS", "false"),
        ("AUTH_BCRYPT_COST", "8"),
    ])
    .await;
    let mut users = Vec::new();
    for _ in 0..6 {
        users.push(app.verified_user().await);
    }
    let logins = users.iter().map(|u| app.login(&u.email, &u.password));
    let answers = futures_util::future::join_all(logins).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, vec![200; 6]);
}
