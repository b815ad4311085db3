//! Passkeys (API.md §9, issue #15): registration, the second step of a
//! password login, passwordless login, and what each refuses (a replayed
//! challenge, a wrong origin or relying party id, another key's
//! signature), with a software authenticator (`helpers::authenticator`).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::helpers::{
    Response, SoftAuthenticator, TestApp, TestUser, Tokens, spawn_app, spawn_app_with,
};

fn claims(access_token: &str) -> Value {
    let payload = access_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn tokens(response: &Response) -> Tokens {
    let body = response.json();
    Tokens {
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        body,
    }
}

/// A started ceremony: `(challenge_id, options)`.
fn ceremony(response: &Response) -> (String, Value) {
    response.assert_status(200);
    let body = response.json();
    (
        body["challenge_id"].as_str().unwrap().to_owned(),
        body["options"].clone(),
    )
}

async fn start_registration(app: &TestApp, session: &Tokens) -> (String, Value) {
    ceremony(
        &app.post_auth("/v1/me/passkeys/register/start", &session.access, None)
            .await,
    )
}

async fn finish_registration(
    app: &TestApp,
    session: &Tokens,
    challenge_id: &str,
    credential: Value,
) -> Response {
    app.post_auth(
        "/v1/me/passkeys/register/finish",
        &session.access,
        Some(json!({"challenge_id": challenge_id, "credential": credential, "name": "Laptop"})),
    )
    .await
}

/// A user with a registered passkey, and the session that registered it.
struct WithPasskey {
    user: TestUser,
    session: Tokens,
    key: SoftAuthenticator,
    factor: Value,
}

async fn with_passkey(app: &TestApp) -> WithPasskey {
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let mut key = SoftAuthenticator::new();
    let (challenge_id, options) = start_registration(app, &session).await;
    let finished = finish_registration(app, &session, &challenge_id, key.register(&options)).await;
    finished.assert_status(201);
    WithPasskey {
        user,
        session,
        key,
        factor: finished.json(),
    }
}

async fn mfa_token(app: &TestApp, user: &TestUser) -> String {
    let response = app.login(&user.email, &user.password).await;
    response.assert_status(200);
    let body = response.json();
    assert_eq!(body["mfa_required"], true, "{body}");
    body["mfa_token"].as_str().unwrap().to_owned()
}

async fn start_second_step(app: &TestApp, token: &str) -> (String, Value) {
    ceremony(
        &app.post("/v1/auth/mfa/passkey/start", json!({"mfa_token": token}))
            .await,
    )
}

async fn finish(app: &TestApp, path: &str, challenge_id: &str, credential: &Value) -> Response {
    app.post(
        path,
        json!({"challenge_id": challenge_id, "credential": credential}),
    )
    .await
}

const SECOND_STEP: &str = "/v1/auth/mfa/passkey/finish";
const PASSWORDLESS: &str = "/v1/auth/passkey/finish";

async fn start_passwordless(app: &TestApp) -> (String, Value) {
    ceremony(&app.post("/v1/auth/passkey/start", json!({})).await)
}

async fn factors(app: &TestApp, token: &str) -> Vec<Value> {
    let listed = app.get("/v1/me/mfa", Some(token)).await;
    listed.assert_status(200);
    listed.json()["factors"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn register_list_and_second_step_login() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let mut key = SoftAuthenticator::new();

    let (challenge_id, options) = start_registration(&app, &session).await;
    assert_eq!(options["publicKey"]["rp"]["id"], "app.example.test");
    assert_eq!(options["publicKey"]["user"]["name"], user.email.as_str());
    // Discoverable where possible, for passwordless login.
    assert_eq!(
        options["publicKey"]["authenticatorSelection"]["residentKey"],
        "preferred"
    );
    let finished = finish_registration(&app, &session, &challenge_id, key.register(&options)).await;
    finished.assert_status(201);
    let factor = finished.json();
    assert_eq!(factor["type"], "passkey");
    assert_eq!(factor["name"], "Laptop");
    assert_eq!(factor["recovery_codes"].as_array().unwrap().len(), 10);
    let mail = app.mail_to(&user.email).await;
    assert!(mail.subject.contains("turned on"), "{}", mail.subject);

    let listed = factors(&app, &session.access).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], factor["id"]);
    assert_eq!(listed[0]["type"], "passkey");
    assert!(listed[0]["last_used_at"].is_null());

    // The password alone no longer logs in.
    let login = app.login(&user.email, &user.password).await;
    login.assert_status(200);
    let body = login.json();
    assert_eq!(body["mfa_required"], true);
    assert_eq!(
        body["factors"],
        json!([{"id": factor["id"], "type": "passkey"}])
    );
    let token = body["mfa_token"].as_str().unwrap();

    let (challenge_id, options) = start_second_step(&app, token).await;
    let allowed = options["publicKey"]["allowCredentials"].as_array().unwrap();
    assert_eq!(allowed.len(), 1);
    assert_eq!(
        allowed[0]["id"],
        URL_SAFE_NO_PAD.encode(&key.credential_id).as_str()
    );
    let done = finish(&app, SECOND_STEP, &challenge_id, &key.assert(&options)).await;
    done.assert_status(200);
    let pair = tokens(&done);
    let c = claims(&pair.access);
    assert_eq!(c["aal"], "aal2");
    assert_eq!(c["amr"], json!(["pwd", "hwk", "mfa"]));
    // A refresh keeps the level.
    let refreshed = app.refresh(&pair.refresh).await;
    refreshed.assert_status(200);
    assert_eq!(claims(&tokens(&refreshed).access)["aal"], "aal2");
    // The mfa_token is spent.
    app.post("/v1/auth/mfa/passkey/start", json!({"mfa_token": token}))
        .await
        .assert_problem(401, "invalid_token");

    let listed = factors(&app, &pair.access).await;
    assert!(listed[0]["last_used_at"].is_string(), "{listed:?}");

    // With aal2 another passkey may be added; the one registered is
    // excluded, and registering it again is refused (webauthn-rs checks the
    // exclusion list: 422 like any refused registration).
    let (challenge_id, options) = start_registration(&app, &pair).await;
    let excluded = options["publicKey"]["excludeCredentials"]
        .as_array()
        .unwrap();
    assert_eq!(
        excluded[0]["id"],
        URL_SAFE_NO_PAD.encode(&key.credential_id).as_str()
    );
    finish_registration(&app, &pair, &challenge_id, key.register(&options))
        .await
        .assert_problem(422, "invalid_mfa_code");
    let mut second = SoftAuthenticator::new();
    let (challenge_id, options) = start_registration(&app, &pair).await;
    let added = finish_registration(&app, &pair, &challenge_id, second.register(&options)).await;
    added.assert_status(201);
    assert!(added.json().get("recovery_codes").is_none());
    assert_eq!(factors(&app, &pair.access).await.len(), 2);
}

#[actix_web::test]
async fn passwordless_login_with_a_discoverable_passkey() {
    let app = spawn_app().await;
    let mut p = with_passkey(&app).await;
    for _ in 0..2 {
        let (challenge_id, options) = start_passwordless(&app).await;
        assert!(options["publicKey"]["challenge"].is_string(), "{options}");
        let done = finish(&app, PASSWORDLESS, &challenge_id, &p.key.assert(&options)).await;
        done.assert_status(200);
        let pair = tokens(&done);
        assert_eq!(pair.body["user"]["email"], p.user.email.as_str());
        let c = claims(&pair.access);
        assert_eq!(c["aal"], "aal2");
        assert_eq!(c["amr"], json!(["hwk", "mfa"]));
    }
    // The enrolling session was raised too (from its next refresh).
    let refreshed = app.refresh(&p.session.refresh).await;
    refreshed.assert_status(200);
    assert_eq!(claims(&tokens(&refreshed).access)["aal"], "aal2");
}

#[actix_web::test]
async fn a_challenge_is_answered_once() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let mut key = SoftAuthenticator::new();
    let (challenge_id, options) = start_registration(&app, &session).await;
    let credential = key.register(&options);
    finish_registration(&app, &session, &challenge_id, credential.clone())
        .await
        .assert_status(201);
    finish_registration(&app, &session, &challenge_id, credential)
        .await
        .assert_problem(400, "invalid_token");

    // Second step: the same assertion again.
    let token = mfa_token(&app, &user).await;
    let (challenge_id, options) = start_second_step(&app, &token).await;
    let assertion = key.assert(&options);
    finish(&app, SECOND_STEP, &challenge_id, &assertion)
        .await
        .assert_status(200);
    finish(&app, SECOND_STEP, &challenge_id, &assertion)
        .await
        .assert_problem(400, "invalid_token");

    // Passwordless: the same.
    let (challenge_id, options) = start_passwordless(&app).await;
    let assertion = key.assert(&options);
    finish(&app, PASSWORDLESS, &challenge_id, &assertion)
        .await
        .assert_status(200);
    finish(&app, PASSWORDLESS, &challenge_id, &assertion)
        .await
        .assert_problem(400, "invalid_token");
    // An answer to another challenge is refused too.
    let (other_id, _) = start_passwordless(&app).await;
    finish(&app, PASSWORDLESS, &other_id, &assertion)
        .await
        .assert_problem(401, "invalid_credentials");
    // And so is a challenge id nobody issued.
    finish(&app, PASSWORDLESS, "no-such-challenge", &assertion)
        .await
        .assert_problem(400, "invalid_token");
}

#[actix_web::test]
async fn a_wrong_origin_is_refused() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let mut key = SoftAuthenticator::new();
    key.origin = "https://evil.example.test".into();
    let (challenge_id, options) = start_registration(&app, &session).await;
    finish_registration(&app, &session, &challenge_id, key.register(&options))
        .await
        .assert_problem(422, "invalid_mfa_code");
    assert!(factors(&app, &session.access).await.is_empty());

    let mut p = with_passkey(&app).await;
    p.key.origin = "https://app.example.test:8443".into();
    let token = mfa_token(&app, &p.user).await;
    let (challenge_id, options) = start_second_step(&app, &token).await;
    finish(&app, SECOND_STEP, &challenge_id, &p.key.assert(&options))
        .await
        .assert_problem(401, "invalid_mfa_code");
    let (challenge_id, options) = start_passwordless(&app).await;
    finish(&app, PASSWORDLESS, &challenge_id, &p.key.assert(&options))
        .await
        .assert_problem(401, "invalid_credentials");
}

#[actix_web::test]
async fn a_wrong_relying_party_id_is_refused() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let mut key = SoftAuthenticator::new();
    key.rp_id = "example.test".into();
    let (challenge_id, options) = start_registration(&app, &session).await;
    finish_registration(&app, &session, &challenge_id, key.register(&options))
        .await
        .assert_problem(422, "invalid_mfa_code");
    assert!(factors(&app, &session.access).await.is_empty());

    let mut p = with_passkey(&app).await;
    p.key.rp_id = "other.test".into();
    let token = mfa_token(&app, &p.user).await;
    let (challenge_id, options) = start_second_step(&app, &token).await;
    finish(&app, SECOND_STEP, &challenge_id, &p.key.assert(&options))
        .await
        .assert_problem(401, "invalid_mfa_code");
    let (challenge_id, options) = start_passwordless(&app).await;
    finish(&app, PASSWORDLESS, &challenge_id, &p.key.assert(&options))
        .await
        .assert_problem(401, "invalid_credentials");
}

#[actix_web::test]
async fn a_signature_by_another_key_is_refused() {
    let app = spawn_app().await;
    let mut p = with_passkey(&app).await;
    let mut impostor = p.key.impostor();
    let token = mfa_token(&app, &p.user).await;
    let (challenge_id, options) = start_second_step(&app, &token).await;
    finish(&app, SECOND_STEP, &challenge_id, &impostor.assert(&options))
        .await
        .assert_problem(401, "invalid_mfa_code");
    let (challenge_id, options) = start_passwordless(&app).await;
    finish(
        &app,
        PASSWORDLESS,
        &challenge_id,
        &impostor.assert(&options),
    )
    .await
    .assert_problem(401, "invalid_credentials");

    // The mfa_token survived the refusal; the real key still works.
    let (challenge_id, options) = start_second_step(&app, &token).await;
    finish(&app, SECOND_STEP, &challenge_id, &p.key.assert(&options))
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn a_cloned_authenticator_is_refused_by_its_counter() {
    let app = spawn_app().await;
    let mut p = with_passkey(&app).await;
    let mut clone = p.key.clone_at(0);
    let (challenge_id, options) = start_passwordless(&app).await;
    finish(&app, PASSWORDLESS, &challenge_id, &p.key.assert(&options))
        .await
        .assert_status(200);
    // The server stored sign count 1; the clone signs with 1 again.
    let (challenge_id, options) = start_passwordless(&app).await;
    finish(&app, PASSWORDLESS, &challenge_id, &clone.assert(&options))
        .await
        .assert_problem(401, "invalid_credentials");
    let (challenge_id, options) = start_passwordless(&app).await;
    finish(&app, PASSWORDLESS, &challenge_id, &p.key.assert(&options))
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn refused_assertions_count_toward_the_lockout() {
    let app = spawn_app_with(&[("AUTH_LOCKOUT_DURATION", "900")]).await;
    let mut p = with_passkey(&app).await;
    let mut impostor = p.key.impostor();
    let token = mfa_token(&app, &p.user).await;
    for _ in 0..5 {
        let (challenge_id, options) = start_second_step(&app, &token).await;
        finish(&app, SECOND_STEP, &challenge_id, &impostor.assert(&options))
            .await
            .assert_problem(401, "invalid_mfa_code");
    }
    let (challenge_id, options) = start_second_step(&app, &token).await;
    finish(&app, SECOND_STEP, &challenge_id, &p.key.assert(&options))
        .await
        .assert_problem(429, "account_locked");
}

#[actix_web::test]
async fn enrolment_rules_apply_to_passkeys() {
    let app = spawn_app_with(&[("AUTH_REAUTH_MAX_AGE", "60")]).await;
    // A first factor needs a recent login: the ceremony starts with a
    // fresh one, then the session's login moves two minutes back (where
    // the clock would be after waiting) and a refresh carries that time.
    let user = app.verified_user().await;
    let fresh = app.login_user(&user).await;
    let (challenge_id, options) = start_registration(&app, &fresh).await;
    app.backdate_session(
        &crate::helpers::session_of(&fresh.access),
        crate::helpers::SessionClock::LoggedIn,
        120,
    )
    .await;
    let session = Tokens::of(&app.refresh(&fresh.refresh).await);
    let mut key = SoftAuthenticator::new();
    finish_registration(&app, &session, &challenge_id, key.register(&options))
        .await
        .assert_problem(403, "reauthentication_required");
    app.post_auth("/v1/me/passkeys/register/start", &session.access, None)
        .await
        .assert_problem(403, "reauthentication_required");

    // Another factor needs aal2: the enrolling session's token is aal1.
    let p = with_passkey(&app).await;
    app.post_auth("/v1/me/passkeys/register/start", &p.session.access, None)
        .await
        .assert_problem(403, "mfa_required");

    // A malformed answer is 422 and leaves the challenge usable.
    let fresh = app.login_user(&user).await;
    let (challenge_id, options) = start_registration(&app, &fresh).await;
    finish_registration(&app, &fresh, &challenge_id, json!({"id": "x"}))
        .await
        .assert_problem(422, "validation_failed");
    finish_registration(&app, &fresh, &challenge_id, key.register(&options))
        .await
        .assert_status(201);
}

#[actix_web::test]
async fn a_passkey_is_renamed_by_its_owner_only() {
    let app = spawn_app().await;
    let p = with_passkey(&app).await;
    let id = p.factor["id"].as_str().unwrap();
    let path = format!("/v1/me/mfa/{id}");
    let rename = |token: &str, body: Value| {
        let (app, path, token) = (&app, path.clone(), token.to_owned());
        async move {
            app.request("PATCH", &path, Some(&token), Some(&body), &[])
                .await
        }
    };

    let renamed = rename(&p.session.access, json!({"name": "  Work laptop "})).await;
    renamed.assert_status(200);
    assert_eq!(renamed.json()["name"], "Work laptop");
    assert_eq!(renamed.json()["id"], id);
    assert_eq!(renamed.json()["type"], "passkey");
    let listed = factors(&app, &p.session.access).await;
    assert_eq!(listed[0]["name"], "Work laptop");

    // Blank, too long or invisible characters: 422, the name stays.
    for bad in [
        json!({"name": "   "}),
        json!({"name": "x".repeat(65)}),
        json!({"name": "a\u{202E}b"}),
    ] {
        rename(&p.session.access, bad)
            .await
            .assert_problem(422, "validation_failed");
    }
    rename(&p.session.access, json!({}))
        .await
        .assert_problem(422, "validation_failed");
    // Another user's session cannot rename it, nor learn it exists.
    let other = app.verified_user().await;
    let other_session = app.login_user(&other).await;
    rename(&other_session.access, json!({"name": "Mine now"}))
        .await
        .assert_problem(404, "not_found");
    app.request(
        "PATCH",
        "/v1/me/mfa/0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d91",
        Some(&p.session.access),
        Some(&json!({"name": "Nothing"})),
        &[],
    )
    .await
    .assert_problem(404, "not_found");
    app.request("PATCH", &path, None, Some(&json!({"name": "Anon"})), &[])
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(
        factors(&app, &p.session.access).await[0]["name"],
        "Work laptop"
    );
}

#[actix_web::test]
async fn a_removed_passkey_no_longer_logs_in() {
    let app = spawn_app().await;
    let mut p = with_passkey(&app).await;
    let token = mfa_token(&app, &p.user).await;
    let (challenge_id, options) = start_second_step(&app, &token).await;
    let done = finish(&app, SECOND_STEP, &challenge_id, &p.key.assert(&options)).await;
    done.assert_status(200);
    let aal2 = tokens(&done);

    let id = p.factor["id"].as_str().unwrap();
    app.request(
        "DELETE",
        &format!("/v1/me/mfa/{id}"),
        Some(&aal2.access),
        None,
        &[],
    )
    .await
    .assert_status(204);
    assert!(factors(&app, &aal2.access).await.is_empty());
    // The password alone logs in again; the passkey does not.
    app.login_user(&p.user).await;
    let (challenge_id, options) = start_passwordless(&app).await;
    finish(&app, PASSWORDLESS, &challenge_id, &p.key.assert(&options))
        .await
        .assert_problem(401, "invalid_credentials");
}

#[actix_web::test]
async fn the_store_hands_a_value_out_once() {
    let app = spawn_app().await;
    let store = app.state.store.clone();
    store
        .put("webauthn:test", "state", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        store.take("webauthn:test").await.unwrap().as_deref(),
        Some("state")
    );
    assert_eq!(store.take("webauthn:test").await.unwrap(), None);
    store
        .put("webauthn:short", "state", Duration::from_millis(50))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(store.take("webauthn:short").await.unwrap(), None);
}

#[actix_web::test]
async fn passwordless_start_use_case_parks_a_single_use_challenge() {
    let app = spawn_app().await;
    let started = authd::auth::mfa::passkey::start_passwordless(&app.state)
        .await
        .unwrap();
    assert_eq!(started.options["mediation"], "conditional");
    let key = authd::store::keys::webauthn_challenge(&started.challenge_id);
    assert!(app.state.store.take(&key).await.unwrap().is_some());
    assert!(app.state.store.take(&key).await.unwrap().is_none());
}

#[actix_web::test]
async fn a_credential_id_of_another_account_is_refused() {
    let app = spawn_app().await;
    let p = with_passkey(&app).await;
    let other = app.verified_user().await;
    let session = app.login_user(&other).await;
    let mut copy = p.key.impostor();
    let (challenge_id, options) = start_registration(&app, &session).await;
    finish_registration(&app, &session, &challenge_id, copy.register(&options))
        .await
        .assert_problem(409, "conflict");
    assert!(factors(&app, &session.access).await.is_empty());
}

/// API.md §10: both passkey finishes answer in browser mode too.
#[actix_web::test]
async fn passkey_finishes_set_the_refresh_cookie_in_browser_mode() {
    let app = spawn_app().await;
    let mut p = with_passkey(&app).await;
    let token = mfa_token(&app, &p.user).await;
    let (second_step, options) = start_second_step(&app, &token).await;
    let (passwordless, options2) = start_passwordless(&app).await;
    for (path, challenge_id, credential) in [
        (SECOND_STEP, second_step, p.key.assert(&options)),
        (PASSWORDLESS, passwordless, p.key.assert(&options2)),
    ] {
        let done = app
            .request(
                "POST",
                path,
                None,
                Some(&json!({"challenge_id": challenge_id, "credential": credential})),
                &[("X-Authd-Transport", "cookie")],
            )
            .await;
        done.assert_status(200);
        let cookie = done.header("set-cookie").expect("a refresh cookie");
        assert!(cookie.starts_with("__Host-authd_refresh="), "{cookie}");
        let body = done.json();
        assert!(body.get("refresh_token").is_none(), "{body}");
        assert_eq!(
            claims(body["access_token"].as_str().unwrap())["aal"],
            "aal2"
        );
    }
}

/// Issue 28: a passkey login spends its ceremony (and, as a second step,
/// its `mfa_token`) only together with the session it buys. While session
/// rows cannot be written, right assertions are refused (503 on
/// PostgreSQL, 500 on SQLite) and nothing is spent: once sessions can be
/// written again, the same answers to the same ceremonies log in, once.
#[actix_web::test]
async fn a_passkey_login_whose_session_fails_spends_nothing() {
    let app = spawn_app().await;
    let mut p = with_passkey(&app).await;
    let token = mfa_token(&app, &p.user).await;
    let (second_id, options) = start_second_step(&app, &token).await;
    let second = p.key.assert(&options);
    let (passwordless_id, options) = start_passwordless(&app).await;
    let passwordless = p.key.assert(&options);

    let (status, problem) = app.fail_session_writes().await;
    finish(&app, SECOND_STEP, &second_id, &second)
        .await
        .assert_problem(status, problem);
    finish(&app, PASSWORDLESS, &passwordless_id, &passwordless)
        .await
        .assert_problem(status, problem);
    app.mend_session_writes().await;

    let done = finish(&app, SECOND_STEP, &second_id, &second).await;
    done.assert_status(200);
    assert_eq!(claims(&tokens(&done).access)["aal"], "aal2");
    let done = finish(&app, PASSWORDLESS, &passwordless_id, &passwordless).await;
    done.assert_status(200);
    assert_eq!(tokens(&done).body["user"]["email"], p.user.email.as_str());
    // Answered once now.
    finish(&app, SECOND_STEP, &second_id, &second)
        .await
        .assert_problem(400, "invalid_token");
    finish(&app, PASSWORDLESS, &passwordless_id, &passwordless)
        .await
        .assert_problem(400, "invalid_token");
}
