//! Changing the email address (API.md §13): confirmation to the new
//! address, an enumeration-safe answer for a taken one, the notice and
//! revert link to the old one, expiry, and the race with a registration.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestUser, Tokens, spawn_app, spawn_app_with};

fn new_address(tag: &str) -> String {
    format!("{tag}-{}@example.com", uuid::Uuid::new_v4().simple())
}

async fn ask(app: &TestApp, tokens: &Tokens, new_email: &str) {
    let response = app
        .post_auth(
            "/v1/me/email",
            &tokens.access,
            Some(json!({"new_email": new_email, "password": PASSWORD})),
        )
        .await;
    response.assert_status(202);
    assert_eq!(response.json(), json!({"status": "confirmation_sent"}));
}

async fn events_of(app: &TestApp, tokens: &Tokens) -> Vec<Value> {
    let response = app
        .get("/v1/me/security-events", Some(&tokens.access))
        .await;
    response.assert_status(200);
    response.json()["events"].as_array().unwrap().clone()
}

async fn logged_in(app: &TestApp) -> (TestUser, Tokens) {
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    (user, tokens)
}

#[actix_web::test]
async fn a_confirmed_change_moves_the_login_and_the_old_address_can_revert_it() {
    let app = spawn_app().await;
    let (user, tokens) = logged_in(&app).await;
    let new_email = new_address("moved");
    ask(&app, &tokens, &new_email).await;

    // Until confirmed nothing changes: login stays with the old address.
    let mail = app.mail_to(&new_email).await;
    assert!(
        mail.link().contains("/confirm-email-change?token="),
        "{}",
        mail.link()
    );
    app.login(&user.email, PASSWORD).await.assert_status(200);
    app.login(&new_email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");

    let confirmed = app
        .post(
            "/v1/auth/email-change/confirm",
            json!({"token": mail.token()}),
        )
        .await;
    confirmed.assert_status(200);
    assert_eq!(confirmed.json()["email"], new_email.as_str());
    assert_eq!(confirmed.json()["email_verified"], true);
    // Single use.
    app.post(
        "/v1/auth/email-change/confirm",
        json!({"token": mail.token()}),
    )
    .await
    .assert_problem(400, "token_used");
    // Confirming does not end sessions; login moved to the new address.
    app.get("/v1/me", Some(&tokens.access))
        .await
        .assert_status(200);
    app.login(&new_email, PASSWORD).await.assert_status(200);
    app.login(&user.email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");

    // The old address got a notice with a revert link.
    let notice = app.mail_to(&user.email).await;
    assert!(
        notice.link().contains("/revert-email-change?token="),
        "{}",
        notice.link()
    );
    let reverted = app
        .post(
            "/v1/auth/email-change/revert",
            json!({"token": notice.token()}),
        )
        .await;
    reverted.assert_status(200);
    assert_eq!(reverted.json()["email"], user.email.as_str());
    // Every session ended, the password is gone, a reset link went out.
    app.get("/v1/me", Some(&tokens.access))
        .await
        .assert_problem(401, "unauthorized");
    app.login(&user.email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    let reset = app.mail_to(&user.email).await;
    assert!(reset.link().contains("/reset-password?token="));
    app.post(
        "/v1/auth/password-reset/confirm",
        json!({"token": reset.token(), "new_password": "brand-new-Lantern-42"}),
    )
    .await
    .assert_status(204);
    let back = app.login(&user.email, "brand-new-Lantern-42").await;
    back.assert_status(200);
    let back = Tokens {
        access: back.json()["access_token"].as_str().unwrap().to_owned(),
        refresh: String::new(),
        body: back.json(),
    };

    let events = events_of(&app, &back).await;
    let changes: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "email.changed")
        .collect();
    assert_eq!(changes.len(), 2, "{events:#?}");
    assert_eq!(changes[0]["data"]["via"], "revert");
    assert_eq!(changes[1]["data"]["via"], "confirm");
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains(&new_email) && !text.contains(&user.email));
}

#[actix_web::test]
async fn a_taken_address_answers_the_same_and_its_owner_is_told() {
    let app = spawn_app().await;
    let (user, tokens) = logged_in(&app).await;
    let other = app.verified_user().await;
    ask(&app, &tokens, &other.email).await;
    let mail = app.mail_to(&other.email).await;
    assert!(mail.subject.contains("with your email"), "{}", mail.subject);
    assert!(!mail.raw.contains("confirm-email-change"));
    // Nothing changed.
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.json()["email"], user.email.as_str());
}

async fn email_status(app: &TestApp, tokens: &Tokens) -> Value {
    let response = app.get("/v1/me/email", Some(&tokens.access)).await;
    response.assert_status(200);
    response.json()
}

#[actix_web::test]
async fn the_pending_change_is_reported_alike_for_a_free_and_a_taken_address() {
    let app = spawn_app().await;
    let (user, tokens) = logged_in(&app).await;
    let status = email_status(&app, &tokens).await;
    assert_eq!(
        status,
        json!({"email": user.email, "email_verified": true, "pending": null})
    );

    let free = new_address("free");
    ask(&app, &tokens, &free).await;
    let status = email_status(&app, &tokens).await;
    assert_eq!(status["pending"]["email"], free.as_str());
    assert!(status["pending"]["expires_at"].is_string(), "{status}");

    // A taken address: the same shape, so the answer tells nothing of it.
    let other = app.verified_user().await;
    ask(&app, &tokens, &other.email).await;
    let status = email_status(&app, &tokens).await;
    assert_eq!(status["pending"]["email"], other.email.as_str());
    assert_eq!(status["email"], user.email.as_str());
    // The newer request replaced the older one.
    let link = app.mail_to(&free).await;
    app.post(
        "/v1/auth/email-change/confirm",
        json!({"token": link.token()}),
    )
    .await
    .assert_problem(400, "token_used");

    // Confirmed: nothing pending, the new address is the account's.
    let third = new_address("third");
    ask(&app, &tokens, &third).await;
    let link = app.mail_to(&third).await;
    app.post(
        "/v1/auth/email-change/confirm",
        json!({"token": link.token()}),
    )
    .await
    .assert_status(200);
    let status = email_status(&app, &tokens).await;
    assert_eq!(
        status,
        json!({"email": third, "email_verified": true, "pending": null})
    );
    app.get("/v1/me/email", None)
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn a_wrong_password_or_bad_address_changes_nothing() {
    let app = spawn_app().await;
    let (user, tokens) = logged_in(&app).await;
    let new_email = new_address("never");
    app.post_auth(
        "/v1/me/email",
        &tokens.access,
        Some(json!({"new_email": new_email, "password": "wrong-Password-1"})),
    )
    .await
    .assert_problem(401, "invalid_credentials");
    for bad in ["not-an-address", user.email.as_str()] {
        app.post_auth(
            "/v1/me/email",
            &tokens.access,
            Some(json!({"new_email": bad, "password": PASSWORD})),
        )
        .await
        .assert_problem(422, "validation_failed");
    }
    app.post(
        "/v1/me/email",
        json!({"new_email": new_email, "password": PASSWORD}),
    )
    .await
    .assert_problem(401, "unauthorized");
    assert!(app.unread_mail_to(&new_email).await.is_empty());
    app.post("/v1/auth/email-change/confirm", json!({"token": "made-up"}))
        .await
        .assert_problem(400, "invalid_token");
}

#[actix_web::test]
async fn a_newer_request_spends_the_older_link() {
    let app = spawn_app().await;
    let (_, tokens) = logged_in(&app).await;
    let first = new_address("first");
    let second = new_address("second");
    ask(&app, &tokens, &first).await;
    ask(&app, &tokens, &second).await;
    let old_link = app.mail_to(&first).await;
    let new_link = app.mail_to(&second).await;
    app.post(
        "/v1/auth/email-change/confirm",
        json!({"token": old_link.token()}),
    )
    .await
    .assert_problem(400, "token_used");
    // A confirmation token is no revert token.
    app.post(
        "/v1/auth/email-change/revert",
        json!({"token": new_link.token()}),
    )
    .await
    .assert_problem(400, "invalid_token");
    let confirmed = app
        .post(
            "/v1/auth/email-change/confirm",
            json!({"token": new_link.token()}),
        )
        .await;
    confirmed.assert_status(200);
    assert_eq!(confirmed.json()["email"], second.as_str());
}

#[actix_web::test]
async fn an_address_registered_before_the_confirmation_answers_conflict() {
    let app = spawn_app().await;
    let (user, tokens) = logged_in(&app).await;
    let wanted = new_address("raced");
    ask(&app, &tokens, &wanted).await;
    let link = app.mail_to(&wanted).await;
    // Someone else registers the address meanwhile.
    app.register(&wanted, PASSWORD).await.assert_status(202);
    app.post(
        "/v1/auth/email-change/confirm",
        json!({"token": link.token()}),
    )
    .await
    .assert_problem(409, "conflict");
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.json()["email"], user.email.as_str());
    assert!(
        events_of(&app, &tokens)
            .await
            .iter()
            .all(|e| e["type"] != "email.changed")
    );
}

/// Moves a one-time token's expiry to a second ago, where the clock would
/// be once its lifetime has passed, and returns that lifetime as issued
/// (`expires_at - created_at`, in seconds). No waiting on the clock: the
/// steps before it may take as long as a busy machine needs.
async fn expire(app: &TestApp, token: &str) -> i64 {
    let hashed = authd::auth::one_time::hash(token);
    app.state
        .db
        .run(move |conn| {
            use authd::db::schema::one_time_tokens::dsl::*;
            use diesel::prelude::*;
            let (created, expires): (chrono::NaiveDateTime, chrono::NaiveDateTime) =
                one_time_tokens
                    .filter(token_hash.eq(&hashed))
                    .select((created_at, expires_at))
                    .first(conn)?;
            let past = chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1);
            diesel::update(one_time_tokens.filter(token_hash.eq(&hashed)))
                .set(expires_at.eq(past))
                .execute(conn)?;
            Ok((expires - created).num_seconds())
        })
        .await
        .unwrap()
}

#[actix_web::test]
async fn expired_links_do_nothing() {
    let app = spawn_app_with(&[
        ("AUTH_VERIFY_TTL", "7200"),
        ("AUTH_EMAIL_REVERT_TTL", "3600"),
    ])
    .await;
    let (user, tokens) = logged_in(&app).await;
    let first = new_address("first");
    ask(&app, &tokens, &first).await;
    let link = app.mail_to(&first).await;
    app.post(
        "/v1/auth/email-change/confirm",
        json!({"token": link.token()}),
    )
    .await
    .assert_status(200);
    let notice = app.mail_to(&user.email).await;
    let second = new_address("late");
    ask(&app, &tokens, &second).await;
    let late = app.mail_to(&second).await;
    // Each link was issued with its own configured lifetime; now it is over.
    assert_eq!(
        expire(&app, &notice.token()).await,
        3600,
        "AUTH_EMAIL_REVERT_TTL"
    );
    assert_eq!(expire(&app, &late.token()).await, 7200, "AUTH_VERIFY_TTL");
    app.post(
        "/v1/auth/email-change/revert",
        json!({"token": notice.token()}),
    )
    .await
    .assert_problem(400, "token_expired");
    app.post(
        "/v1/auth/email-change/confirm",
        json!({"token": late.token()}),
    )
    .await
    .assert_problem(400, "token_expired");
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.json()["email"], first.as_str());
}
