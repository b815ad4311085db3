//! Issue #14 item 9: the lockout answer says when it ends, and an admin
//! can lift it (`POST /v1/admin/users/{id}/unlock`).

use crate::helpers::{TestApp, TestUser, spawn_app_with};

const WRONG: &str = "Wrong-passw0rd!";

/// A long lock, so only an unlock can end it within the test; the per-IP
/// login limit stays out of the way.
async fn app() -> TestApp {
    spawn_app_with(&[
        ("AUTH_LOCKOUT_DURATION", "900"),
        ("AUTH_RATE_LOGIN_PER_IP", "1000/60s"),
    ])
    .await
}

async fn lock(app: &TestApp, user: &TestUser) {
    for _ in 0..5 {
        app.login(&user.email, WRONG)
            .await
            .assert_problem(401, "invalid_credentials");
    }
    app.login(&user.email, &user.password)
        .await
        .assert_problem(429, "account_locked");
}

async fn user_id(app: &TestApp, user: &TestUser) -> String {
    let email = user.email.clone();
    app.state
        .db
        .run(move |conn| {
            Ok(authd::db::users::find_by_email(conn, &email)?
                .expect("user")
                .id)
        })
        .await
        .expect("user id")
}

#[actix_web::test]
async fn account_locked_answer_carries_the_unlock_time() {
    let app = app().await;
    let user = app.verified_user().await;
    lock(&app, &user).await;

    let before = chrono::Utc::now();
    let locked = app.login(&user.email, &user.password).await;
    locked.assert_problem(429, "account_locked");
    let body = locked.json();
    let retry_after = body["retry_after"]
        .as_u64()
        .expect("retry_after in the body");
    assert!(
        (1..=900).contains(&retry_after),
        "retry_after {retry_after} out of range"
    );
    assert_eq!(
        locked.header("retry-after"),
        Some(retry_after.to_string()),
        "header and body agree"
    );
    let until = chrono::DateTime::parse_from_rfc3339(
        body["locked_until"]
            .as_str()
            .expect("locked_until in the body"),
    )
    .expect("locked_until is RFC 3339");
    let wait = (until.with_timezone(&chrono::Utc) - before).num_seconds();
    assert!(
        (retry_after as i64 - 2..=retry_after as i64 + 2).contains(&wait),
        "locked_until is {wait} s away, retry_after says {retry_after}"
    );
    let detail = body["detail"].as_str().unwrap();
    assert!(!detail.contains("a while"), "{detail}");
    assert!(
        detail.contains(body["locked_until"].as_str().unwrap()),
        "{detail}"
    );
    // Other problems do not carry the members.
    let wrong = app.login("nobody@example.com", WRONG).await;
    wrong.assert_problem(401, "invalid_credentials");
    assert!(wrong.json().get("retry_after").is_none());
    assert!(wrong.json().get("locked_until").is_none());
}

#[actix_web::test]
async fn an_admin_unlocks_a_locked_account_and_the_right_password_logs_in() {
    let app = app().await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    lock(&app, &user).await;
    let id = user_id(&app, &user).await;

    let unlocked = app
        .post_auth(&format!("/v1/admin/users/{id}/unlock"), &admin.access, None)
        .await;
    unlocked.assert_status(200);
    assert_eq!(unlocked.json()["id"], id.as_str());
    assert_eq!(unlocked.json()["email"], user.email.as_str());

    app.login(&user.email, &user.password)
        .await
        .assert_status(200);
    // The count started again: one wrong password does not lock it.
    app.login(&user.email, WRONG)
        .await
        .assert_problem(401, "invalid_credentials");
    app.login(&user.email, &user.password)
        .await
        .assert_status(200);
    // Unlocking an account that is not locked is harmless.
    app.post_auth(&format!("/v1/admin/users/{id}/unlock"), &admin.access, None)
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn a_non_admin_cannot_unlock_and_the_lock_stays() {
    let app = app().await;
    let viewer = app.verified_user().await;
    let viewer_tokens = app.login_user(&viewer).await;
    let user = app.verified_user().await;
    lock(&app, &user).await;
    let id = user_id(&app, &user).await;

    app.post_auth(
        &format!("/v1/admin/users/{id}/unlock"),
        &viewer_tokens.access,
        None,
    )
    .await
    .assert_problem(403, "forbidden");
    app.request(
        "POST",
        &format!("/v1/admin/users/{id}/unlock"),
        None,
        None,
        &[],
    )
    .await
    .assert_problem(401, "unauthorized");
    app.login(&user.email, &user.password)
        .await
        .assert_problem(429, "account_locked");
}

#[actix_web::test]
async fn unlocking_an_unknown_user_is_not_found() {
    let app = app().await;
    let (_, admin) = app.admin().await;
    app.post_auth(
        "/v1/admin/users/00000000-0000-0000-0000-000000000000/unlock",
        &admin.access,
        None,
    )
    .await
    .assert_problem(404, "not_found");
    app.post_auth("/v1/admin/users/not-an-id/unlock", &admin.access, None)
        .await
        .assert_problem(404, "not_found");
}
