//! Multi-factor authentication (API.md §9, issue #15): TOTP enrolment and
//! login, replay, lockout (also in parallel), recovery codes, claims,
//! step-up, enforcement by role, the admin reset, secrets at rest.
//! Codes are computed here from the secret the server returns.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestUser, Tokens, spawn_app, spawn_app_with};

/// A user with a confirmed TOTP factor, and what the enrolment gave back.
struct Enrolled {
    user: TestUser,
    /// The session that enrolled (its access token is still `aal1`).
    session: Tokens,
    secret: Vec<u8>,
    factor_id: String,
    recovery_codes: Vec<String>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Waits out the last seconds of a time step, so a code computed now is
/// judged in the same step by the server.
pub(crate) async fn away_from_step_edge() {
    let into = unix_now() % 30;
    if into >= 27 {
        tokio::time::sleep(std::time::Duration::from_secs(30 - into + 1)).await;
    }
}

/// The code of the time step `offset` steps from now.
pub(crate) fn code(secret: &[u8], offset: i64) -> String {
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.to_vec()).unwrap();
    let at = (unix_now() as i64 + offset * 30) as u64;
    totp.generate(at)
}

fn claims(access_token: &str) -> Value {
    let payload = access_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn delete(
    app: &TestApp,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> crate::helpers::Response {
    app.request("DELETE", path, Some(token), body.as_ref(), &[])
        .await
}

/// The next mail to `to` whose subject contains `needle` (earlier ones are
/// skipped).
async fn mail_about(app: &TestApp, to: &str, needle: &str) -> String {
    for _ in 0..6 {
        let mail = app.mail_to(to).await;
        if mail.subject.contains(needle) {
            return mail.raw;
        }
    }
    panic!("no mail about {needle:?} to {to}");
}

pub(crate) async fn enrol(app: &TestApp, session: &Tokens) -> (String, Vec<u8>) {
    let started = app
        .post_auth("/v1/me/mfa/totp", &session.access, None)
        .await;
    started.assert_status(200);
    let body = started.json();
    let secret_b32 = body["secret"].as_str().unwrap().to_owned();
    let uri = body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={secret_b32}")), "{uri}");
    let secret = totp_rs::Secret::Encoded(secret_b32).to_bytes().unwrap();
    (body["factor_id"].as_str().unwrap().to_owned(), secret)
}

/// Enrols TOTP and confirms it with the previous step's code (leaving the
/// current and next step for logins): the factor's id and secret.
pub(crate) async fn enrol_and_confirm(app: &TestApp, session: &Tokens) -> (String, Vec<u8>) {
    let (factor_id, secret) = enrol(app, session).await;
    away_from_step_edge().await;
    app.post_auth(
        &format!("/v1/me/mfa/totp/{factor_id}/confirm"),
        &session.access,
        Some(json!({"code": code(&secret, -1)})),
    )
    .await
    .assert_status(200);
    (factor_id, secret)
}

/// Registers, logs in, enrols and confirms TOTP with the previous step's
/// code (leaving the current and next step for logins).
async fn enrolled(app: &TestApp) -> Enrolled {
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let (factor_id, secret) = enrol(app, &session).await;
    away_from_step_edge().await;
    let confirmed = app
        .post_auth(
            &format!("/v1/me/mfa/totp/{factor_id}/confirm"),
            &session.access,
            Some(json!({"code": code(&secret, -1)})),
        )
        .await;
    confirmed.assert_status(200);
    let recovery_codes: Vec<String> = confirmed.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    Enrolled {
        user,
        session,
        secret,
        factor_id,
        recovery_codes,
    }
}

/// Logs in with the password: the `mfa_token` of the second step.
async fn mfa_token(app: &TestApp, user: &TestUser) -> String {
    let response = app.login(&user.email, &user.password).await;
    response.assert_status(200);
    let body = response.json();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(body.get("access_token").is_none());
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn verify(app: &TestApp, token: &str, code: &str) -> crate::helpers::Response {
    app.post(
        "/v1/auth/mfa/verify",
        json!({"mfa_token": token, "code": code}),
    )
    .await
}

/// A full login with the factor: an `aal2` pair.
async fn login_aal2(app: &TestApp, e: &Enrolled, offset: i64) -> Tokens {
    let token = mfa_token(app, &e.user).await;
    let response = verify(app, &token, &code(&e.secret, offset)).await;
    response.assert_status(200);
    let body = response.json();
    Tokens {
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        body,
    }
}

async fn user_id(app: &TestApp, email: &str) -> String {
    let email = email.to_owned();
    app.state
        .db
        .run(move |conn| Ok(authd::db::users::find_by_email(conn, &email)?.unwrap().id))
        .await
        .unwrap()
}

#[actix_web::test]
async fn totp_enrol_confirm_login_and_replay() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let (factor_id, secret) = enrol(&app, &session).await;

    // Nothing counts before confirmation: login still gives tokens.
    app.login_user(&user).await;
    let listed = app.get("/v1/me/mfa", Some(&session.access)).await;
    listed.assert_status(200);
    assert_eq!(listed.json()["factors"], json!([]));

    away_from_step_edge().await;
    let confirm_path = format!("/v1/me/mfa/totp/{factor_id}/confirm");
    let wrong = app
        .post_auth(
            &confirm_path,
            &session.access,
            Some(json!({"code": code(&secret, 3)})),
        )
        .await;
    wrong.assert_problem(422, "invalid_mfa_code");
    let confirmed = app
        .post_auth(
            &confirm_path,
            &session.access,
            Some(json!({"code": code(&secret, -1)})),
        )
        .await;
    confirmed.assert_status(200);
    let codes = confirmed.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(codes.len(), 10);
    let first = codes[0].as_str().unwrap();
    assert!(first.replace('-', "").len() >= 10, "{first}");
    assert!(
        mail_about(&app, &user.email, "turned on")
            .await
            .contains("authenticator")
    );

    let listed = app.get("/v1/me/mfa", Some(&session.access)).await.json();
    assert_eq!(listed["factors"][0]["id"], factor_id.as_str());
    assert_eq!(listed["factors"][0]["type"], "totp");
    assert!(listed["factors"][0]["last_used_at"].is_string());
    assert_eq!(listed["recovery_codes_remaining"], 10);

    // Password alone: the second step, no tokens.
    let login = app.login(&user.email, &user.password).await;
    login.assert_status(200);
    let body = login.json();
    assert_eq!(body["mfa_required"], true);
    assert_eq!(body["factors"], json!([{"id": factor_id, "type": "totp"}]));
    assert!(body.get("access_token").is_none() && body.get("refresh_token").is_none());
    let token = body["mfa_token"].as_str().unwrap();

    // The confirmation's own code is spent; the current one works once.
    verify(&app, token, &code(&secret, -1))
        .await
        .assert_problem(401, "invalid_mfa_code");
    let now_code = code(&secret, 0);
    let pair = verify(&app, token, &now_code).await;
    pair.assert_status(200);
    assert!(pair.json()["access_token"].is_string());
    // The mfa_token is spent by that success.
    verify(&app, token, &code(&secret, 1))
        .await
        .assert_problem(401, "invalid_token");
    // The same code in another login: a replay.
    let again = mfa_token(&app, &user).await;
    verify(&app, &again, &now_code)
        .await
        .assert_problem(401, "invalid_mfa_code");
    // The next step's code is still good (±1 step), and an unknown token is not.
    verify(&app, &again, &code(&secret, 1))
        .await
        .assert_status(200);
    verify(&app, "no-such-token", &code(&secret, 1))
        .await
        .assert_problem(401, "invalid_token");
    // Two steps off is refused.
    let third = mfa_token(&app, &user).await;
    verify(&app, &third, &code(&secret, 2))
        .await
        .assert_problem(401, "invalid_mfa_code");
}

#[actix_web::test]
async fn the_same_code_in_parallel_logs_in_once() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let first = mfa_token(&app, &e.user).await;
    let second = mfa_token(&app, &e.user).await;
    away_from_step_edge().await;
    let now_code = code(&e.secret, 0);
    let (a, b) = futures_util::future::join(
        verify(&app, &first, &now_code),
        verify(&app, &second, &now_code),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 401], "{:?} {:?}", a.json(), b.json());
    let loser = if a.status == 401 { a } else { b };
    loser.assert_problem(401, "invalid_mfa_code");
}

#[actix_web::test]
async fn a_password_change_ends_a_pending_second_step() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let pending = mfa_token(&app, &e.user).await;
    away_from_step_edge().await;
    let strong = login_aal2(&app, &e, 0).await;
    app.post_auth(
        "/v1/auth/password/change",
        &strong.access,
        Some(json!({"current_password": PASSWORD, "new_password": "brand-new-Lantern-42"})),
    )
    .await
    .assert_status(204);
    verify(&app, &pending, &code(&e.secret, 1))
        .await
        .assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn the_right_password_does_not_reset_the_count_of_wrong_codes() {
    let app = spawn_app_with(&[("AUTH_LOCKOUT_DURATION", "900")]).await;
    let e = enrolled(&app).await;
    let token = mfa_token(&app, &e.user).await;
    for _ in 0..4 {
        verify(&app, &token, "000000")
            .await
            .assert_problem(401, "invalid_mfa_code");
    }
    // Logging in with the password again buys no fresh guesses.
    let again = mfa_token(&app, &e.user).await;
    verify(&app, &again, "000000")
        .await
        .assert_problem(401, "invalid_mfa_code");
    verify(&app, &again, &code(&e.secret, 0))
        .await
        .assert_problem(429, "account_locked");
}

#[actix_web::test]
async fn expired_mfa_token_is_invalid() {
    let app = spawn_app_with(&[("AUTH_MFA_TOKEN_TTL", "1")]).await;
    let e = enrolled(&app).await;
    let token = mfa_token(&app, &e.user).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    verify(&app, &token, &code(&e.secret, 0))
        .await
        .assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn wrong_codes_lock_the_account() {
    let app = spawn_app_with(&[("AUTH_LOCKOUT_DURATION", "900")]).await;
    let e = enrolled(&app).await;
    let token = mfa_token(&app, &e.user).await;
    for _ in 0..5 {
        // A wrong code does not spend the token.
        verify(&app, &token, "000000")
            .await
            .assert_problem(401, "invalid_mfa_code");
    }
    verify(&app, &token, &code(&e.secret, 0))
        .await
        .assert_problem(429, "account_locked");
    app.login(&e.user.email, &e.user.password)
        .await
        .assert_problem(429, "account_locked");
}

#[actix_web::test]
async fn parallel_wrong_codes_never_verify_more_than_the_threshold() {
    let app = spawn_app_with(&[
        ("AUTH_LOCKOUT_THRESHOLD", "3"),
        ("AUTH_LOCKOUT_DURATION", "900"),
    ])
    .await;
    let e = enrolled(&app).await;
    let token = mfa_token(&app, &e.user).await;
    let attempts = (0..12).map(|i| {
        let wrong = format!("{:06}", 100_000 + i);
        let (app, token) = (&app, &token);
        async move { verify(app, token, &wrong).await }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let checked = answers.iter().filter(|r| r.status == 401).count();
    for r in &answers {
        assert!(
            [401, 429, 503].contains(&r.status),
            "{}",
            String::from_utf8_lossy(&r.body)
        );
    }
    assert!((1..=3).contains(&checked), "{checked} codes were checked");
    // The account is locked now, whatever the order.
    verify(&app, &token, &code(&e.secret, 0))
        .await
        .assert_problem(429, "account_locked");
}

#[actix_web::test]
async fn recovery_codes_are_single_use_and_mail_a_notice() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let recovery = e.recovery_codes[0].clone();
    // Case, dashes and spaces do not matter.
    let typed = format!(" {} ", recovery.to_lowercase().replace('-', " "));
    let token = mfa_token(&app, &e.user).await;
    let response = app
        .post(
            "/v1/auth/mfa/verify",
            json!({"mfa_token": token, "recovery_code": typed}),
        )
        .await;
    response.assert_status(200);
    assert_eq!(
        claims(response.json()["access_token"].as_str().unwrap())["aal"],
        "aal2"
    );
    let notice = mail_about(&app, &e.user.email, "recovery code").await;
    assert!(notice.contains("9 unused recovery codes"), "{notice}");

    let token = mfa_token(&app, &e.user).await;
    app.post(
        "/v1/auth/mfa/verify",
        json!({"mfa_token": token, "recovery_code": recovery}),
    )
    .await
    .assert_problem(401, "invalid_mfa_code");
    let listed = app.get("/v1/me/mfa", Some(&e.session.access)).await.json();
    assert_eq!(listed["recovery_codes_remaining"], 9);

    // The audit log has the enrolment and the spent code (API.md §12).
    let events = app
        .get("/v1/me/security-events", Some(&e.session.access))
        .await
        .json();
    let of = |kind: &str| -> Vec<Value> {
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|ev| ev["type"] == kind)
            .cloned()
            .collect()
    };
    assert_eq!(of("mfa.enrolled").len(), 1, "{events}");
    assert_eq!(
        of("mfa.enrolled")[0]["data"]["factor_id"],
        e.factor_id.as_str()
    );
    let used = of("mfa.recovery_code_used");
    assert_eq!(used.len(), 1, "{events}");
    assert_eq!(used[0]["data"]["remaining"], 9);
    assert!(
        !events.to_string().contains(&recovery),
        "a code in the audit log"
    );
}

#[actix_web::test]
async fn regenerating_recovery_codes_needs_aal2_and_kills_the_old_ones() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    // The enrolling session's access token is still aal1.
    app.post_auth("/v1/me/mfa/recovery-codes", &e.session.access, None)
        .await
        .assert_problem(403, "mfa_required");
    let strong = login_aal2(&app, &e, 0).await;
    let regenerated = app
        .post_auth("/v1/me/mfa/recovery-codes", &strong.access, None)
        .await;
    regenerated.assert_status(200);
    let fresh = regenerated.json()["recovery_codes"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let token = mfa_token(&app, &e.user).await;
    app.post(
        "/v1/auth/mfa/verify",
        json!({"mfa_token": token, "recovery_code": e.recovery_codes[1]}),
    )
    .await
    .assert_problem(401, "invalid_mfa_code");
    app.post(
        "/v1/auth/mfa/verify",
        json!({"mfa_token": token, "recovery_code": fresh}),
    )
    .await
    .assert_status(200);
}

#[actix_web::test]
async fn claims_carry_aal_amr_auth_time_and_refresh_keeps_them() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let before = chrono::Utc::now().timestamp();
    let plain = app.login_user(&user).await;
    let c = claims(&plain.access);
    assert_eq!(c["aal"], "aal1");
    assert_eq!(c["amr"], json!(["pwd"]));
    let auth_time = c["auth_time"].as_i64().unwrap();
    assert!(auth_time >= before - 1 && auth_time <= before + 5, "{c}");

    let (factor_id, secret) = enrol_and_confirm(&app, &plain).await;
    // The token in hand keeps its level; the next refresh is aal2.
    let raised = app.refresh(&plain.refresh).await;
    raised.assert_status(200);
    let c = claims(raised.json()["access_token"].as_str().unwrap());
    assert_eq!(c["aal"], "aal2");
    assert_eq!(c["amr"], json!(["pwd", "otp", "mfa"]));

    let e = Enrolled {
        user,
        session: plain,
        secret,
        factor_id,
        recovery_codes: Vec::new(),
    };
    let strong = login_aal2(&app, &e, 0).await;
    let c = claims(&strong.access);
    assert_eq!(c["aal"], "aal2");
    assert_eq!(c["amr"], json!(["pwd", "otp", "mfa"]));
    let refreshed = app.refresh(&strong.refresh).await;
    refreshed.assert_status(200);
    let r = claims(refreshed.json()["access_token"].as_str().unwrap());
    assert_eq!(r["aal"], "aal2");
    assert_eq!(r["auth_time"], c["auth_time"]);
}

#[actix_web::test]
async fn step_up_is_needed_for_sensitive_changes() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let weak = &e.session.access;
    app.post_auth(
        "/v1/auth/password/change",
        weak,
        Some(json!({"current_password": PASSWORD, "new_password": "brand-new-Lantern-42"})),
    )
    .await
    .assert_problem(403, "mfa_required");
    delete(&app, "/v1/me", weak, Some(json!({"password": PASSWORD})))
        .await
        .assert_problem(403, "mfa_required");
    delete(&app, &format!("/v1/me/mfa/{}", e.factor_id), weak, None)
        .await
        .assert_problem(403, "mfa_required");
    // Another factor needs aal2 as well.
    app.post_auth("/v1/me/mfa/totp", weak, None)
        .await
        .assert_problem(403, "mfa_required");

    let strong = login_aal2(&app, &e, 0).await;
    app.post_auth(
        "/v1/auth/password/change",
        &strong.access,
        Some(json!({"current_password": PASSWORD, "new_password": "brand-new-Lantern-42"})),
    )
    .await
    .assert_status(204);
    delete(
        &app,
        &format!("/v1/me/mfa/{}", e.factor_id),
        &strong.access,
        None,
    )
    .await
    .assert_status(204);
    assert!(
        mail_about(&app, &e.user.email, "removed")
            .await
            .contains("removed")
    );
    let listed = app.get("/v1/me/mfa", Some(&strong.access)).await.json();
    assert_eq!(
        listed,
        json!({"factors": [], "recovery_codes_remaining": 0})
    );
    // Without a factor, the password alone logs in again.
    app.login(&e.user.email, "brand-new-Lantern-42")
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn first_factor_needs_a_recent_login() {
    let app = spawn_app_with(&[("AUTH_REAUTH_MAX_AGE", "60")]).await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    // The session's login moves two minutes back, where the clock would be
    // after waiting (its row keeps `auth_time`; a refresh copies it into the
    // new access token). Nothing here races a one-second window.
    let long_ago = app
        .backdate_session(
            &crate::helpers::session_of(&session.access),
            crate::helpers::SessionClock::LoggedIn,
            120,
        )
        .await;
    let stale = app.refresh(&session.refresh).await.json();
    let stale_access = stale["access_token"].as_str().unwrap();
    assert_eq!(
        claims(stale_access)["auth_time"],
        long_ago.and_utc().timestamp()
    );
    app.post_auth("/v1/me/mfa/totp", stale_access, None)
        .await
        .assert_problem(403, "reauthentication_required");
    // A refresh does not make the login recent.
    let refreshed = app
        .refresh(stale["refresh_token"].as_str().unwrap())
        .await
        .json();
    app.post_auth(
        "/v1/me/mfa/totp",
        refreshed["access_token"].as_str().unwrap(),
        None,
    )
    .await
    .assert_problem(403, "reauthentication_required");
    let fresh = app.login_user(&user).await;
    app.post_auth("/v1/me/mfa/totp", &fresh.access, None)
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn required_roles_reach_only_enrolment_until_aal2() {
    let app = spawn_app_with(&[("AUTH_MFA_REQUIRED_ROLES", "admin")]).await;
    let (admin, tokens) = app.admin().await;
    assert_eq!(claims(&tokens.access)["aal"], "aal1");
    app.get("/v1/admin/users", Some(&tokens.access))
        .await
        .assert_problem(403, "mfa_required");
    app.get("/v1/auth/sessions", Some(&tokens.access))
        .await
        .assert_problem(403, "mfa_required");
    app.request(
        "PATCH",
        "/v1/me",
        Some(&tokens.access),
        Some(&json!({"display_name": "x"})),
        &[],
    )
    .await
    .assert_problem(403, "mfa_required");
    // A POST other than logging out is held back too.
    app.post_auth(
        "/v1/auth/password/change",
        &tokens.access,
        Some(
            json!({"current_password": admin.password, "new_password": "Another-staple-horse-77"}),
        ),
    )
    .await
    .assert_problem(403, "mfa_required");
    app.get("/v1/me", Some(&tokens.access))
        .await
        .assert_status(200);
    app.get("/v1/me/mfa", Some(&tokens.access))
        .await
        .assert_status(200);

    // A plain user is not held back.
    let plain = app.verified_user().await;
    let plain = app.login_user(&plain).await;
    app.get("/v1/auth/sessions", Some(&plain.access))
        .await
        .assert_status(200);

    enrol_and_confirm(&app, &tokens).await;
    let raised = app.refresh(&tokens.refresh).await;
    raised.assert_status(200);
    let strong = raised.json()["access_token"].as_str().unwrap().to_owned();
    app.get("/v1/admin/users", Some(&strong))
        .await
        .assert_status(200);
    app.post_auth("/v1/auth/logout", &tokens.access, None)
        .await
        .assert_status(204);
    let _ = admin;
}

/// A role that needs a second factor, granted after the token was issued:
/// the token's `roles` claim lacks it, the database holds it, and the admin
/// routes (which read the roles the database holds now) hold the caller
/// back.
#[actix_web::test]
async fn a_required_role_granted_after_login_is_held_back_on_admin_routes() {
    let app = spawn_app_with(&[("AUTH_MFA_REQUIRED_ROLES", "admin")]).await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let token_roles = claims(&tokens.access)["roles"].clone();
    assert!(!token_roles.to_string().contains("admin"), "{token_roles}");
    app.set_roles(&user.email, &["admin"]).await;
    app.get("/v1/admin/users", Some(&tokens.access))
        .await
        .assert_problem(403, "mfa_required");
}

#[actix_web::test]
async fn admin_reset_removes_factors_and_sessions() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let (_, admin) = app.admin().await;
    let id = user_id(&app, &e.user.email).await;

    let plain = app.verified_user().await;
    let plain = app.login_user(&plain).await;
    delete(
        &app,
        &format!("/v1/admin/users/{id}/mfa"),
        &plain.access,
        None,
    )
    .await
    .assert_problem(403, "forbidden");

    delete(
        &app,
        &format!("/v1/admin/users/{id}/mfa"),
        &admin.access,
        None,
    )
    .await
    .assert_status(204);
    app.get("/v1/me", Some(&e.session.access))
        .await
        .assert_problem(401, "unauthorized");
    assert!(
        mail_about(&app, &e.user.email, "reset")
            .await
            .contains("administrator")
    );
    // The password alone logs in again, with no codes left.
    let back = app.login_user(&e.user).await;
    let listed = app.get("/v1/me/mfa", Some(&back.access)).await.json();
    assert_eq!(
        listed,
        json!({"factors": [], "recovery_codes_remaining": 0})
    );
    delete(
        &app,
        "/v1/admin/users/no-such-user/mfa",
        &admin.access,
        None,
    )
    .await
    .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn secrets_are_encrypted_at_rest_with_a_private_key_file() {
    use std::os::unix::fs::PermissionsExt;

    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let id = e.factor_id.clone();
    let row = app
        .state
        .db
        .run(move |conn| Ok(authd::db::mfa::find_factor(conn, &id)?.unwrap()))
        .await
        .unwrap();
    let totp_rs::Secret::Encoded(b32) = totp_rs::Secret::Raw(e.secret.clone()).to_encoded() else {
        unreachable!()
    };
    assert!(!row.secret.contains(b32.trim_end_matches('=')));
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&row.secret)
        .unwrap();
    assert!(
        !raw.windows(e.secret.len())
            .any(|w| w == e.secret.as_slice())
    );

    let key_file = std::path::PathBuf::from(&app.vars["AUTH_MFA_KEY_FILE"]);
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // A restart reads the same key: the factor still works.
    let sibling = crate::helpers::spawn_sibling(&app, &[]).await;
    login_aal2(&sibling, &e, 0).await;
}

#[actix_web::test]
async fn use_cases_without_http() {
    use authd::auth::mfa;

    let app = spawn_app().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let caller = app.state.tokens.verify_access(&session.access).unwrap();
    let enrolment = mfa::enrol_totp(&app.state, &caller).await.unwrap();
    let secret = totp_rs::Secret::Encoded(enrolment.secret.clone())
        .to_bytes()
        .unwrap();
    assert!(matches!(
        mfa::confirm_totp(
            &app.state,
            &caller,
            &enrolment.factor_id,
            "12345",
            false,
            &Default::default()
        )
        .await,
        Err(authd::error::ApiError::InvalidMfaCode { enrolling: true })
    ));
    away_from_step_edge().await;
    let codes = mfa::confirm_totp(
        &app.state,
        &caller,
        &enrolment.factor_id,
        &code(&secret, 0),
        false,
        &Default::default(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(codes.len(), 10);
    let listed = mfa::list(&app.state.db, &caller.sub).await.unwrap();
    assert_eq!(listed.factors.len(), 1);
    assert!(matches!(
        mfa::regenerate_codes(&app.state, &caller).await,
        Err(authd::error::ApiError::MfaRequired)
    ));
    assert!(matches!(
        mfa::verify_login(&app.state, "unknown", mfa::Proof::Totp("123456")).await,
        Err(authd::error::ApiError::InvalidToken(_))
    ));
}

/// ASVS 7.4.3: adding or removing a factor offers to end the user's other
/// sessions (`end_other_sessions`); by default they stay (API.md §9:
/// sessions opened before enrolment stay `aal1`).
#[actix_web::test]
async fn adding_or_removing_a_factor_can_end_the_other_sessions() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let elsewhere = app.login_user(&user).await;
    let here = app.login_user(&user).await;

    // Confirmed without the flag: the other session lives on.
    let (factor_id, secret) = enrol(&app, &here).await;
    away_from_step_edge().await;
    app.post_auth(
        &format!("/v1/me/mfa/totp/{factor_id}/confirm"),
        &here.access,
        Some(json!({"code": code(&secret, -1)})),
    )
    .await
    .assert_status(200);
    let elsewhere = Tokens::of(&app.refresh(&elsewhere.refresh).await);
    let here = Tokens::of(&app.refresh(&here.refresh).await);
    assert_eq!(claims(&here.access)["aal"], "aal2");

    // A passkey added with the flag ends the other session, not this one.
    let mut key = crate::helpers::SoftAuthenticator::new();
    let started = app
        .post_auth("/v1/me/passkeys/register/start", &here.access, None)
        .await;
    started.assert_status(200);
    let body = started.json();
    app.post_auth(
        "/v1/me/passkeys/register/finish",
        &here.access,
        Some(json!({
            "challenge_id": body["challenge_id"],
            "credential": key.register(&body["options"]),
            "end_other_sessions": true,
        })),
    )
    .await
    .assert_status(201);
    app.refresh(&elsewhere.refresh)
        .await
        .assert_problem(401, "session_revoked");
    let here = Tokens::of(&app.refresh(&here.refresh).await);

    // Removing a factor with the flag: a second aal2 session ends.
    let login = app.login(&user.email, &user.password).await;
    let second = verify(
        &app,
        login.json()["mfa_token"].as_str().expect("mfa_token"),
        &code(&secret, 0),
    )
    .await;
    let second = Tokens::of(&second);
    delete(
        &app,
        &format!("/v1/me/mfa/{factor_id}?end_other_sessions=true"),
        &here.access,
        None,
    )
    .await
    .assert_status(204);
    app.refresh(&second.refresh)
        .await
        .assert_problem(401, "session_revoked");
    app.refresh(&here.refresh).await.assert_status(200);
}

/// Issue 28: the second step spends its code and its `mfa_token` only
/// together with the session they buy. While session rows cannot be
/// written, a right TOTP code and a right recovery code are refused
/// (503 on PostgreSQL, 500 on SQLite) and nothing is spent: once sessions
/// can be written again, the same tokens and codes log in, and only then
/// is the recovery code used up.
#[actix_web::test]
async fn a_second_step_whose_session_fails_spends_nothing() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let by_totp = mfa_token(&app, &e.user).await;
    let by_code = mfa_token(&app, &e.user).await;
    let recovery = e.recovery_codes[0].clone();
    let with_recovery = |token: &str| {
        app.post(
            "/v1/auth/mfa/verify",
            json!({"mfa_token": token, "recovery_code": recovery}),
        )
    };

    let (status, problem) = app.fail_session_writes().await;
    away_from_step_edge().await;
    let totp = code(&e.secret, 0);
    verify(&app, &by_totp, &totp)
        .await
        .assert_problem(status, problem);
    with_recovery(&by_code)
        .await
        .assert_problem(status, problem);
    let listed = app.get("/v1/me/mfa", Some(&e.session.access)).await.json();
    assert_eq!(listed["recovery_codes_remaining"], 10, "{listed}");
    app.mend_session_writes().await;

    // The same code again (still within its step's skew).
    let in_by_totp = verify(&app, &by_totp, &totp).await;
    in_by_totp.assert_status(200);
    assert_eq!(
        claims(in_by_totp.json()["access_token"].as_str().unwrap())["aal"],
        "aal2"
    );
    with_recovery(&by_code).await.assert_status(200);
    let listed = app.get("/v1/me/mfa", Some(&e.session.access)).await.json();
    assert_eq!(listed["recovery_codes_remaining"], 9, "{listed}");
    // Spent now, both of them.
    verify(&app, &by_totp, &totp)
        .await
        .assert_problem(401, "invalid_token");
    with_recovery(&by_code)
        .await
        .assert_problem(401, "invalid_token");
}

/// Issue 28, item 7: a password reset proves the mailbox, not the second
/// factor. The login after it still asks for the code, and the new
/// password alone gets no session, the `mfa_token` no access.
#[actix_web::test]
async fn a_password_reset_does_not_bypass_the_second_factor() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    app.post(
        "/v1/auth/password-reset/request",
        json!({"email": e.user.email}),
    )
    .await
    .assert_status(202);
    let mut reset = None;
    for _ in 0..6 {
        let mail = app.mail_to(&e.user.email).await;
        if mail.raw.contains("/reset-password?token=") {
            reset = Some(mail.token());
            break;
        }
    }
    let reset = reset.expect("a reset mail");
    let new_password = "another-Horse-battery-7";
    app.post(
        "/v1/auth/password-reset/confirm",
        json!({"token": reset, "new_password": new_password}),
    )
    .await
    .assert_status(204);

    let response = app.login(&e.user.email, new_password).await;
    response.assert_status(200);
    let body = response.json();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
    assert!(body.get("refresh_token").is_none(), "{body}");
    let token = body["mfa_token"].as_str().expect("an mfa_token");
    app.get("/v1/me", Some(token))
        .await
        .assert_problem(401, "unauthorized");
    // The factor survived the reset: its code finishes the login.
    away_from_step_edge().await;
    let done = verify(&app, token, &code(&e.secret, 0)).await;
    done.assert_status(200);
    assert_eq!(
        claims(done.json()["access_token"].as_str().unwrap())["aal"],
        "aal2"
    );
}

/// Every enrolment draws its own 160-bit secret (a constant or a reused
/// one would let one user's app answer for another).
#[actix_web::test]
async fn every_enrolment_draws_a_fresh_secret() {
    let app = spawn_app().await;
    let mut secrets = std::collections::HashSet::new();
    for _ in 0..3 {
        let user = app.verified_user().await;
        let session = app.login_user(&user).await;
        let (_, secret) = enrol(&app, &session).await;
        assert_eq!(secret.len(), 20);
        assert!(secret.iter().any(|b| *b != secret[0]), "{secret:?}");
        secrets.insert(secret);
    }
    assert_eq!(secrets.len(), 3);
}

#[actix_web::test]
async fn the_admin_user_list_says_which_factors_each_user_has() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let e = enrolled(&app).await;
    let plain = app.verified_user().await;
    let listed = app
        .get("/v1/admin/users?per_page=100", Some(&admin.access))
        .await;
    listed.assert_status(200);
    let users = listed.json()["users"].as_array().unwrap().clone();
    let factors_of = |email: &str| {
        users
            .iter()
            .find(|u| u["email"] == email)
            .map(|u| u["factors"].clone())
            .unwrap_or_else(|| panic!("{email} not listed"))
    };
    assert_eq!(factors_of(&e.user.email), json!(["totp"]));
    assert_eq!(factors_of(&plain.email), json!([]));
}
