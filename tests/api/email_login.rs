//! API.md §15: passwordless sign-in by email (issue #31), on whichever
//! backend the suite runs against.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, Response, SessionClock, TestApp, Tokens, spawn_app, spawn_app_with,
};
use crate::mfa::{away_from_step_edge, code as totp_code, enrol_and_confirm};

const SPA: &str = "https://app.example.test";
const START: &str = "/v1/auth/email-login/start";
const VERIFY: &str = "/v1/auth/email-login/verify";

/// What one sign-in mail carries.
struct Pair {
    link: String,
    token: String,
    code: String,
}

fn fresh_address() -> String {
    format!("mail-{}@example.com", uuid::Uuid::new_v4().simple())
}

async fn start(app: &TestApp, email: &str) {
    let started = app.post(START, json!({"email": email})).await;
    started.assert_status(202);
    assert_eq!(started.json(), json!({"status": "email_sent"}));
}

/// Starts a sign-in and reads its mail.
async fn mailed(app: &TestApp, email: &str) -> Pair {
    start(app, email).await;
    // Notices (a factor added) may come first.
    let mut mail = app.mail_to(email).await;
    for _ in 0..4 {
        if mail.subject.to_lowercase().contains("sign in") {
            break;
        }
        mail = app.mail_to(email).await;
    }
    assert!(
        mail.subject.to_lowercase().contains("sign in"),
        "{}",
        mail.subject
    );
    let body = mail
        .raw
        .split_once("\r\n\r\n")
        .map_or(mail.raw.as_str(), |(_, b)| b);
    let code = body
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {}", mail.raw))
        .to_owned();
    Pair {
        link: mail.link(),
        token: mail.token(),
        code,
    }
}

async fn by_token(app: &TestApp, token: &str) -> Response {
    app.post(VERIFY, json!({"token": token})).await
}

async fn by_code(app: &TestApp, email: &str, code: &str) -> Response {
    app.post(VERIFY, json!({"email": email, "code": code}))
        .await
}

fn wrong(code: &str) -> String {
    let n: u32 = code.parse().expect("digits");
    format!("{:06}", (n + 1) % 1_000_000)
}

fn claims(access_token: &str) -> Value {
    let payload = access_token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("json")
}

async fn security_events(app: &TestApp, access: &str) -> Vec<Value> {
    let listed = app.get("/v1/me/security-events", Some(access)).await;
    listed.assert_status(200);
    listed.json()["events"].as_array().expect("events").clone()
}

fn has_event(events: &[Value], kind: &str, method: &str) -> bool {
    events
        .iter()
        .any(|e| e["type"] == kind && e["data"]["method"] == method)
}

#[actix_web::test]
async fn the_link_signs_in_once_with_amr_email_and_carries_its_token_in_the_fragment() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let pair = mailed(&app, &user.email).await;
    assert!(pair.link.contains("/email-login#token="), "{}", pair.link);
    assert!(!pair.link.contains('?'), "{}", pair.link);

    let signed = by_token(&app, &pair.token).await;
    let tokens = Tokens::of(&signed);
    let c = claims(&tokens.access);
    assert_eq!(c["amr"], json!(["email"]));
    assert_eq!(c["aal"], "aal1");
    assert_eq!(signed.json()["user"]["email"], user.email);
    let events = security_events(&app, &tokens.access).await;
    assert!(has_event(&events, "login.succeeded", "email"), "{events:?}");

    // Single use: the link and its code are spent.
    by_token(&app, &pair.token)
        .await
        .assert_problem(400, "invalid_token");
    by_code(&app, &user.email, &pair.code)
        .await
        .assert_problem(400, "invalid_code");
    by_token(&app, "not-a-token")
        .await
        .assert_problem(400, "invalid_token");
    // The account's password still works: the mail added nothing.
    app.login_user(&user).await;
}

#[actix_web::test]
async fn the_code_signs_in_and_a_newer_start_ends_the_older_pair() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let older = mailed(&app, &user.email).await;
    let newer = mailed(&app, &user.email).await;
    by_token(&app, &older.token)
        .await
        .assert_problem(400, "invalid_token");
    if older.code != newer.code {
        by_code(&app, &user.email, &older.code)
            .await
            .assert_problem(400, "invalid_code");
    }
    let signed = by_code(&app, &user.email.to_uppercase(), &newer.code).await;
    let tokens = Tokens::of(&signed);
    assert_eq!(claims(&tokens.access)["amr"], json!(["email"]));
    // Neither half of a spent pair works again.
    by_token(&app, &newer.token)
        .await
        .assert_problem(400, "invalid_token");
    // Nor does anything for an address with no live code.
    by_code(&app, &fresh_address(), "123456")
        .await
        .assert_problem(400, "invalid_code");
    // Neither a token nor an address with a code.
    app.post(VERIFY, json!({"email": user.email}))
        .await
        .assert_problem(422, "validation_failed");
}

#[actix_web::test]
async fn an_unknown_address_is_signed_up_verified_and_without_a_password() {
    let app = spawn_app().await;
    let email = fresh_address();
    let pair = mailed(&app, &email).await;
    let signed = by_code(&app, &email, &pair.code).await;
    let tokens = Tokens::of(&signed);
    assert_eq!(signed.json()["user"]["email"], email);
    assert_eq!(signed.json()["user"]["email_verified"], true);
    let events = security_events(&app, &tokens.access).await;
    assert!(has_event(&events, "user.registered", "email"), "{events:?}");
    assert!(has_event(&events, "login.succeeded", "email"), "{events:?}");
    // No password: none logs in.
    app.login(&email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    app.login(&email, "").await.assert_status(401);

    // A second sign-in reaches the same account.
    let again = mailed(&app, &email).await;
    let second = by_token(&app, &again.token).await;
    second.assert_status(200);
    assert_eq!(second.json()["user"]["id"], signed.json()["user"]["id"]);
}

#[actix_web::test]
async fn with_sign_up_off_an_unknown_address_gets_the_same_answer_and_no_mail() {
    let app = spawn_app_with(&[("AUTH_EMAIL_LOGIN_SIGNUP", "false")]).await;
    let email = fresh_address();
    start(&app, &email).await;
    assert!(app.unread_mail_to(&email).await.is_empty());
    by_code(&app, &email, "000000")
        .await
        .assert_problem(400, "invalid_code");
    // A known address still gets its mail.
    let user = app.verified_user().await;
    let pair = mailed(&app, &user.email).await;
    by_token(&app, &pair.token).await.assert_status(200);
}

#[actix_web::test]
async fn with_sign_up_on_an_unknown_address_gets_the_same_answer_and_the_mail() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    for email in [user.email.clone(), fresh_address()] {
        start(&app, &email).await;
        assert_eq!(app.unread_mail_to(&email).await.len(), 1, "{email}");
    }
}

#[actix_web::test]
async fn past_the_mail_quota_nothing_is_sent_and_the_older_pair_stays() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    // AUTH_RATE_MAIL_PER_EMAIL: 3 an hour.
    mailed(&app, &user.email).await;
    mailed(&app, &user.email).await;
    let third = mailed(&app, &user.email).await;
    start(&app, &user.email).await;
    assert!(app.unread_mail_to(&user.email).await.is_empty());
    by_code(&app, &user.email, &third.code)
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn five_wrong_codes_kill_the_code_and_its_link() {
    let app = spawn_app_with(&[("AUTH_LOCKOUT_THRESHOLD", "50")]).await;
    let user = app.verified_user().await;
    let pair = mailed(&app, &user.email).await;
    for _ in 0..5 {
        by_code(&app, &user.email, &wrong(&pair.code))
            .await
            .assert_problem(400, "invalid_code");
    }
    by_code(&app, &user.email, &pair.code)
        .await
        .assert_problem(400, "invalid_code");
    by_token(&app, &pair.token)
        .await
        .assert_problem(400, "invalid_token");
    // A new start gives a new code.
    let fresh = mailed(&app, &user.email).await;
    by_code(&app, &user.email, &fresh.code)
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn wrong_codes_count_toward_the_accounts_lockout() {
    // AUTH_LOCKOUT_THRESHOLD: 5.
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let pair = mailed(&app, &user.email).await;
    for _ in 0..4 {
        by_code(&app, &user.email, &wrong(&pair.code))
            .await
            .assert_problem(400, "invalid_code");
    }
    // One wrong password on top locks the account.
    app.login(&user.email, "wrong-Password-1")
        .await
        .assert_problem(401, "invalid_credentials");
    by_code(&app, &user.email, &pair.code)
        .await
        .assert_problem(429, "account_locked");
    app.login(&user.email, &user.password)
        .await
        .assert_problem(429, "account_locked");
}

#[actix_web::test]
async fn wrong_codes_are_capped_per_address_at_twenty_a_day() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_LIMITS", "false"),
        ("AUTH_LOCKOUT_THRESHOLD", "1000"),
    ])
    .await;
    let user = app.verified_user().await;
    for _ in 0..4 {
        let pair = mailed(&app, &user.email).await;
        for _ in 0..5 {
            by_code(&app, &user.email, &wrong(&pair.code))
                .await
                .assert_problem(400, "invalid_code");
        }
    }
    let pair = mailed(&app, &user.email).await;
    by_code(&app, &user.email, &pair.code)
        .await
        .assert_problem(429, "account_locked");
    // The link is no guess: it still works.
    by_token(&app, &pair.token).await.assert_status(200);
}

#[actix_web::test]
async fn the_same_code_posted_ten_times_in_parallel_signs_in_once() {
    let app = spawn_app_with(&[("AUTH_LOCKOUT_THRESHOLD", "50")]).await;
    let user = app.verified_user().await;
    let pair = mailed(&app, &user.email).await;
    let answers = join_all((0..10).map(|_| by_code(&app, &user.email, &pair.code))).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    for answer in answers.iter().filter(|a| a.status != 200) {
        answer.assert_problem(400, "invalid_code");
    }
}

#[actix_web::test]
async fn a_user_with_a_second_factor_gets_the_challenge_and_an_email_amr() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let (_, secret) = enrol_and_confirm(&app, &session).await;
    let pair = mailed(&app, &user.email).await;
    let challenged = by_token(&app, &pair.token).await;
    challenged.assert_status(200);
    assert_eq!(challenged.json()["mfa_required"], true);
    assert!(challenged.json()["access_token"].is_null());
    away_from_step_edge().await;
    let finished = app
        .post(
            "/v1/auth/mfa/verify",
            json!({"mfa_token": challenged.json()["mfa_token"], "code": totp_code(&secret, 0)}),
        )
        .await;
    let tokens = Tokens::of(&finished);
    let c = claims(&tokens.access);
    assert_eq!(c["amr"], json!(["email", "otp", "mfa"]));
    assert_eq!(c["aal"], "aal2");
    let events = security_events(&app, &tokens.access).await;
    assert!(has_event(&events, "login.succeeded", "email"), "{events:?}");
}

/// What a mail buys is written in the transaction that spends it. While
/// session rows cannot be written (a trigger), a link, a code and a
/// sign-up by link are refused (503 on PostgreSQL, 500 on SQLite) and
/// nothing is spent or created: once sessions can be written again, the
/// same link and code sign in, once.
#[actix_web::test]
async fn a_sign_in_whose_session_fails_spends_nothing() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let other = app.verified_user().await;
    let newcomer = fresh_address();
    let link = mailed(&app, &user.email).await;
    let code = mailed(&app, &other.email).await;
    let sign_up = mailed(&app, &newcomer).await;

    let (status, problem) = app.fail_session_writes().await;
    by_token(&app, &link.token)
        .await
        .assert_problem(status, problem);
    by_code(&app, &other.email, &code.code)
        .await
        .assert_problem(status, problem);
    by_token(&app, &sign_up.token)
        .await
        .assert_problem(status, problem);
    app.mend_session_writes().await;

    let signed = by_token(&app, &link.token).await;
    assert_eq!(
        signed.status,
        200,
        "the link a failed session refused: {}",
        String::from_utf8_lossy(&signed.body)
    );
    assert_eq!(signed.json()["user"]["email"], user.email);
    let signed = by_code(&app, &other.email, &code.code).await;
    signed.assert_status(200);
    assert_eq!(signed.json()["user"]["email"], other.email);
    let joined = by_token(&app, &sign_up.token).await;
    let tokens = Tokens::of(&joined);
    assert_eq!(joined.json()["user"]["email"], newcomer);
    // The failed attempt created no account: one sign-up, recorded once.
    let events = security_events(&app, &tokens.access).await;
    let registered = events
        .iter()
        .filter(|e| e["type"] == "user.registered")
        .count();
    assert_eq!(registered, 1, "{events:?}");
    // Spent now.
    by_token(&app, &link.token)
        .await
        .assert_problem(400, "invalid_token");
    by_code(&app, &other.email, &code.code)
        .await
        .assert_problem(400, "invalid_code");
}

#[actix_web::test]
async fn cookie_mode_sets_the_refresh_cookie() {
    let app = spawn_app_with(&[("AUTH_CORS_ORIGINS", SPA)]).await;
    let user = app.verified_user().await;
    let pair = mailed(&app, &user.email).await;
    let signed = app
        .request(
            "POST",
            VERIFY,
            None,
            Some(&json!({"token": pair.token})),
            &[("X-Authd-Transport", "cookie"), ("Origin", SPA)],
        )
        .await;
    signed.assert_status(200);
    assert!(signed.json()["access_token"].is_string());
    assert!(
        signed.json()["refresh_token"].is_null(),
        "{}",
        signed.json()
    );
    let cookies = signed.headers_all("set-cookie");
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("__Host-authd_refresh=") && c.contains("HttpOnly")),
        "{cookies:?}"
    );
}

#[actix_web::test]
async fn a_disabled_account_is_refused_at_verify() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    let id = app.login_user(&user).await.body["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.post_auth(
        &format!("/v1/admin/users/{id}/disable"),
        &admin.access,
        None,
    )
    .await
    .assert_status(200);
    let pair = mailed(&app, &user.email).await;
    by_token(&app, &pair.token)
        .await
        .assert_problem(403, "account_disabled");
    by_code(&app, &user.email, &pair.code)
        .await
        .assert_problem(403, "account_disabled");
}

#[actix_web::test]
async fn turned_off_both_routes_answer_404() {
    let app = spawn_app_with(&[("AUTH_EMAIL_LOGIN", "false")]).await;
    app.post(START, json!({"email": fresh_address()}))
        .await
        .assert_problem(404, "not_found");
    app.post(VERIFY, json!({"token": "x"}))
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn signing_in_to_an_unverified_account_ends_the_squatters_ways_in() {
    let app = spawn_app_with(&[("AUTH_REQUIRE_VERIFIED_EMAIL", "false")]).await;
    let email = fresh_address();
    let squatter = "squatters-Own-horse-77";
    app.register(&email, squatter).await.assert_status(202);
    // The registration's verification mail, unread by the owner.
    app.mail_to(&email).await;
    let held = Tokens::of(&app.login(&email, squatter).await);

    // The owner signs in through the mailbox.
    let pair = mailed(&app, &email).await;
    let signed = by_token(&app, &pair.token).await;
    signed.assert_status(200);
    assert_eq!(signed.json()["user"]["email_verified"], true);
    let owner = Tokens::of(&signed);

    app.login(&email, squatter)
        .await
        .assert_problem(401, "invalid_credentials");
    assert_eq!(app.refresh(&held.refresh).await.status, 401);
    let me = app.get("/v1/me", Some(&held.access)).await;
    assert_eq!(me.status, 401);
    // The owner's session lives.
    app.get("/v1/me", Some(&owner.access))
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn a_passwordless_account_sets_a_password_only_within_the_reauthentication_window() {
    let app = spawn_app().await;
    let email = fresh_address();
    let pair = mailed(&app, &email).await;
    let tokens = Tokens::of(&by_token(&app, &pair.token).await);
    let sid = crate::helpers::session_of(&tokens.access);

    // Out of the window: the session's sign-in is too old.
    app.backdate_session(&sid, SessionClock::LoggedIn, 400)
        .await;
    let stale = Tokens::of(&app.refresh(&tokens.refresh).await);
    app.post_auth(
        "/v1/auth/password/change",
        &stale.access,
        Some(json!({"new_password": PASSWORD})),
    )
    .await
    .assert_problem(403, "reauthentication_required");

    // A fresh sign-in may.
    let pair = mailed(&app, &email).await;
    let fresh = Tokens::of(&by_code(&app, &email, &pair.code).await);
    app.post_auth(
        "/v1/auth/password/change",
        &fresh.access,
        Some(json!({"new_password": PASSWORD})),
    )
    .await
    .assert_status(204);
    app.login(&email, PASSWORD).await.assert_status(200);

    // Now it has one: the current password is required again.
    let after = Tokens::of(&app.login(&email, PASSWORD).await);
    app.post_auth(
        "/v1/auth/password/change",
        &after.access,
        Some(json!({"new_password": "another-Fresh-horse-42"})),
    )
    .await
    .assert_problem(422, "validation_failed");
}

#[actix_web::test]
async fn a_pair_dies_when_its_accounts_address_changes() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let pair = mailed(&app, &user.email).await;
    let new_email = fresh_address();
    app.post_auth(
        "/v1/me/email",
        &session.access,
        Some(json!({"new_email": new_email, "password": user.password})),
    )
    .await
    .assert_status(202);
    let confirm = app.mail_to(&new_email).await.token();
    app.post("/v1/auth/email-change/confirm", json!({"token": confirm}))
        .await
        .assert_status(200);
    by_token(&app, &pair.token)
        .await
        .assert_problem(400, "invalid_token");
}

/// Rows of `email_logins` and `mail_outbox` (the work a start does).
async fn rows(app: &TestApp) -> (i64, i64) {
    app.state
        .db
        .run(|conn| {
            use authd::db::schema::{email_logins, mail_outbox};
            use diesel::prelude::*;
            let pairs = email_logins::table.count().get_result(conn)?;
            let mails = mail_outbox::table.count().get_result(conn)?;
            Ok((pairs, mails))
        })
        .await
        .expect("count rows")
}

#[actix_web::test]
async fn every_start_does_the_same_work_whatever_the_address() {
    let app = spawn_app_with(&[("AUTH_EMAIL_LOGIN_SIGNUP", "false")]).await;
    let user = app.verified_user().await;
    // The quota of one address spent (3 an hour).
    for _ in 0..3 {
        mailed(&app, &user.email).await;
    }
    // A known address, an unknown one (sign-up off), a spent quota.
    for email in [
        app.verified_user().await.email,
        fresh_address(),
        user.email.clone(),
    ] {
        let before = rows(&app).await;
        start(&app, &email).await;
        let after = rows(&app).await;
        assert_eq!((after.0 - before.0, after.1 - before.1), (1, 1), "{email}");
    }
    // Only the known address got a mail; the others' rows went nowhere.
    app.wait_outbox_drained().await;
    assert!(app.unread_mail_to(&user.email).await.is_empty());
}
