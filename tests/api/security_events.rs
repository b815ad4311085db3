//! ASVS 16.2.1 / 16.3.1–16.3.2: every authentication decision and every
//! authorization refusal is one structured line in the log of a real
//! `authd serve` process, with emails masked and no password.

use serde_json::{Value, json};

use crate::logs::{Server, expect};

fn events(server: &Server, event: &str) -> Vec<Value> {
    server
        .log()
        .into_iter()
        .filter(|line| line["event"] == event)
        .collect()
}

/// The `event` lines once at least `n` have arrived (up to 5 s): the log is
/// read from the child's pipe by another thread, a moment after the answer.
async fn settled(server: &Server, event: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let found = events(server, event);
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    events(server, event)
}

#[actix_web::test]
async fn logins_and_authorization_refusals_are_logged_as_security_events() {
    let server = Server::start(&[]).await;
    let email = format!("events-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "correct-Horse-battery-9";
    let register = server
        .call(
            "POST",
            "/v1/auth/register",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
    expect(&register, 202);
    let token = server.token_of_mail(1).await;
    let verified = server
        .call(
            "POST",
            "/v1/auth/verify-email",
            None,
            Some(json!({"token": token})),
        )
        .await;
    expect(&verified, 200);

    let wrong = server
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": "Wrong-password-1!"})),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body["code"], "invalid_credentials");
    let login = server
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
    let body = expect(&login, 200).clone();
    let access = body["access_token"].as_str().unwrap().to_owned();
    let user_id = body["user"]["id"].as_str().unwrap().to_owned();

    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = server
        .call(
            "POST",
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    expect(&refreshed, 200);
    let forged = server
        .call(
            "POST",
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": "not-a-token"})),
        )
        .await;
    assert_eq!(forged.status, 401);
    assert_eq!(forged.body["code"], "invalid_token");

    // A viewer asking for an admin route.
    let denied = server
        .call("GET", "/v1/admin/users", Some(&access), None)
        .await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["code"], "forbidden");

    server.wait_for_event("authz.denied").await;
    let masked = format!("e***@{}", email.split('@').nth(1).unwrap());
    let logins = settled(&server, "auth.login", 2).await;
    assert_eq!(logins.len(), 2, "{logins:?}");
    let failed = &logins[0];
    assert_eq!(failed["outcome"], "invalid_credentials", "{failed}");
    assert_eq!(failed["email"], masked.as_str(), "{failed}");
    assert_eq!(failed["ip"], "127.0.0.1", "{failed}");
    let succeeded = &logins[1];
    assert_eq!(succeeded["outcome"], "success", "{succeeded}");
    assert_eq!(succeeded["user_id"], user_id.as_str(), "{succeeded}");
    assert_eq!(succeeded["email"], masked.as_str(), "{succeeded}");
    assert_eq!(succeeded["ip"], "127.0.0.1", "{succeeded}");
    assert!(
        succeeded["session_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{succeeded}"
    );

    let refreshes = settled(&server, "auth.refresh", 2).await;
    assert_eq!(refreshes.len(), 2, "{refreshes:?}");
    assert_eq!(refreshes[0]["outcome"], "success", "{}", refreshes[0]);
    assert_eq!(
        refreshes[0]["user_id"],
        user_id.as_str(),
        "{}",
        refreshes[0]
    );
    assert_eq!(
        refreshes[0]["session_id"], succeeded["session_id"],
        "{}",
        refreshes[0]
    );
    assert_eq!(refreshes[1]["outcome"], "invalid_token", "{}", refreshes[1]);

    let refusals = settled(&server, "authz.denied", 1).await;
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    let refusal = &refusals[0];
    assert_eq!(refusal["route"], "/v1/admin/users", "{refusal}");
    assert_eq!(refusal["permission"], "users:read", "{refusal}");
    assert_eq!(refusal["user_id"], user_id.as_str(), "{refusal}");
    assert_eq!(refusal["outcome"], "forbidden", "{refusal}");
    assert_eq!(refusal["reason"], "missing_permission", "{refusal}");
    assert_eq!(refusal["method"], "GET", "{refusal}");

    let text: String = server.log().iter().map(Value::to_string).collect();
    assert!(!text.contains(password) && !text.contains(&email));
}

#[actix_web::test]
async fn startup_says_when_the_breach_check_is_off_and_warns_of_a_cleartext_issuer() {
    let server = Server::start(&[("AUTH_ISSUER", "http://auth.example.com")]).await;
    let log = server.log();
    let said = |needle: &str, level: &str| {
        log.iter().any(|line| {
            line["level"] == level && line["message"].as_str().is_some_and(|m| m.contains(needle))
        })
    };
    assert!(said("AUTH_BREACHED_PASSWORDS=off", "INFO"), "{log:?}");
    assert!(said("AUTH_ISSUER is http://", "WARN"), "{log:?}");

    let local = Server::start(&[]).await;
    assert!(
        !local.log().iter().any(|line| line["message"]
            .as_str()
            .is_some_and(|m| m.contains("AUTH_ISSUER is http://"))),
        "{:?}",
        local.log()
    );
}

#[actix_web::test]
async fn a_failed_login_names_the_account_only_in_the_log() {
    let server = Server::start(&[]).await;
    let email = format!("known-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "correct-Horse-battery-9";
    let register = server
        .call(
            "POST",
            "/v1/auth/register",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
    expect(&register, 202);
    let token = server.token_of_mail(1).await;
    let verified = server
        .call(
            "POST",
            "/v1/auth/verify-email",
            None,
            Some(json!({"token": token})),
        )
        .await;
    let user_id = expect(&verified, 200)["id"].as_str().unwrap().to_owned();

    let wrong = "Wrong-password-1!";
    let known = server
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": wrong})),
        )
        .await;
    let unknown_email = format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple());
    let unknown = server
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": unknown_email, "password": wrong})),
        )
        .await;
    // The answers are the same; only the log knows the account.
    assert_eq!(known.status, 401);
    assert_eq!(unknown.status, known.status);
    assert_eq!(known.body["code"], "invalid_credentials");
    assert_eq!(unknown.body, known.body);

    let logins = settled(&server, "auth.login", 2).await;
    assert_eq!(logins.len(), 2, "{logins:?}");
    assert_eq!(logins[0]["outcome"], "invalid_credentials", "{}", logins[0]);
    assert_eq!(logins[0]["user_id"], user_id.as_str(), "{}", logins[0]);
    assert_eq!(logins[1]["outcome"], "invalid_credentials", "{}", logins[1]);
    assert!(logins[1].get("user_id").is_none(), "{}", logins[1]);

    let text: String = server.log().iter().map(Value::to_string).collect();
    assert!(!text.contains(password) && !text.contains(wrong) && !text.contains(&email));
}

/// API.md §10: a refused browser-mode refresh (CSRF) is a security event;
/// the cookie's value never reaches the log.
#[actix_web::test]
async fn a_csrf_refusal_of_the_refresh_cookie_is_logged() {
    let server = Server::start(&[("AUTH_CORS_ORIGINS", "http://localhost:5173")]).await;
    let cookie = "__Host-authd_refresh=cookie-value-that-must-not-be-logged";
    let no_header = server
        .call_with_headers("POST", "/v1/auth/refresh", &[("Cookie", cookie)])
        .await;
    assert_eq!(no_header.status, 403, "{}", no_header.body);
    assert_eq!(no_header.body["code"], "forbidden");
    let foreign = server
        .call_with_headers(
            "POST",
            "/v1/auth/refresh",
            &[
                ("Cookie", cookie),
                ("X-Authd-Transport", "cookie"),
                ("Origin", "https://evil.example"),
            ],
        )
        .await;
    assert_eq!(foreign.status, 403, "{}", foreign.body);

    server.wait_for_event("auth.refresh").await;
    for _ in 0..50 {
        if events(&server, "auth.refresh").len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let refreshes = events(&server, "auth.refresh");
    assert_eq!(refreshes.len(), 2, "{refreshes:?}");
    for line in &refreshes {
        assert_eq!(line["outcome"], "forbidden", "{line}");
        assert_eq!(line["ip"], "127.0.0.1", "{line}");
    }
    assert!(
        refreshes[0]["reason"]
            .as_str()
            .unwrap()
            .contains("X-Authd-Transport")
    );
    assert!(
        refreshes[1]["reason"]
            .as_str()
            .unwrap()
            .contains("AUTH_CORS_ORIGINS")
    );
    let text: String = server.log().iter().map(Value::to_string).collect();
    assert!(!text.contains("cookie-value-that-must-not-be-logged"));
}

/// Issue 28, item 7: the second step (`auth.mfa`, by TOTP and by passkey),
/// a passwordless passkey login (`auth.passkey`) and a provider login
/// (`auth.oauth.login`) are security events, refused and accepted, with the
/// account on success and no secret.
#[actix_web::test]
async fn second_steps_passkeys_and_provider_logins_are_logged_as_security_events() {
    use crate::github::{REDIRECT_URI, browse};
    use crate::helpers::{FakeGitHub, GitHubUser, SoftAuthenticator};

    let github = FakeGitHub::start(REDIRECT_URI).await;
    github.sign_in(&GitHubUser::new(
        7,
        "eventful",
        "eventful@example.test",
        true,
    ));
    let vars = github.vars(REDIRECT_URI);
    let extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start(&extra).await;
    let post = |path: &'static str, token: Option<String>, body: Value| {
        let server = &server;
        async move {
            server
                .call("POST", path, token.as_deref(), Some(body))
                .await
        }
    };

    // A provider login refused (a state nobody issued), then accepted.
    let forged = post(
        "/v1/auth/oauth/github/callback",
        None,
        json!({"code": "some-code", "state": "forged-state"}),
    )
    .await;
    assert_eq!(forged.status, 400, "{}", forged.body);
    let forged_code = forged.body["code"].as_str().unwrap().to_owned();
    let started = post(
        "/v1/auth/oauth/github/start",
        None,
        json!({"redirect_uri": REDIRECT_URI}),
    )
    .await;
    let url = expect(&started, 200)["authorization_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let redirect = browse(&url).await;
    let github_login = post(
        "/v1/auth/oauth/github/callback",
        None,
        json!({"code": redirect.get("code"), "state": redirect.get("state")}),
    )
    .await;
    let github_user = expect(&github_login, 200)["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A password user with TOTP and a passkey.
    let email = format!("steps-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "correct-Horse-battery-9";
    let register = post(
        "/v1/auth/register",
        None,
        json!({"email": email, "password": password}),
    )
    .await;
    expect(&register, 202);
    let verified = post(
        "/v1/auth/verify-email",
        None,
        json!({"token": server.token_of_mail(1).await}),
    )
    .await;
    let user_id = expect(&verified, 200)["id"].as_str().unwrap().to_owned();
    let login = json!({"email": email, "password": password});
    let session = post("/v1/auth/login", None, login.clone()).await;
    let access = expect(&session, 200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let enrol = post("/v1/me/mfa/totp", Some(access.clone()), json!({})).await;
    let enrol = expect(&enrol, 200).clone();
    let secret = totp_rs::Secret::Encoded(enrol["secret"].as_str().unwrap().to_owned())
        .to_bytes()
        .unwrap();
    let confirm_path = format!(
        "/v1/me/mfa/totp/{}/confirm",
        enrol["factor_id"].as_str().unwrap()
    );
    crate::mfa::away_from_step_edge().await;
    let confirmed = server
        .call(
            "POST",
            &confirm_path,
            Some(&access),
            Some(json!({"code": crate::mfa::code(&secret, -1)})),
        )
        .await;
    expect(&confirmed, 200);
    // The enrolling session is aal1; passkeys need aal2 once a factor
    // exists: log in again with the code.
    let mfa_token = |answer: &crate::logs::Answer| {
        assert_eq!(answer.body["mfa_required"], true, "{}", answer.body);
        answer.body["mfa_token"].as_str().unwrap().to_owned()
    };
    let step = mfa_token(&post("/v1/auth/login", None, login.clone()).await);
    let wrong = post(
        "/v1/auth/mfa/verify",
        None,
        json!({"mfa_token": step, "code": "000000"}),
    )
    .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    crate::mfa::away_from_step_edge().await;
    let right = post(
        "/v1/auth/mfa/verify",
        None,
        json!({"mfa_token": step, "code": crate::mfa::code(&secret, 0)}),
    )
    .await;
    let aal2 = expect(&right, 200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut key = SoftAuthenticator::new();
    let started = post(
        "/v1/me/passkeys/register/start",
        Some(aal2.clone()),
        json!({}),
    )
    .await;
    let started = expect(&started, 200).clone();
    let registered = post(
        "/v1/me/passkeys/register/finish",
        Some(aal2),
        json!({
            "challenge_id": started["challenge_id"],
            "credential": key.register(&started["options"]),
        }),
    )
    .await;
    expect(&registered, 201);

    // The second step by passkey.
    let step = mfa_token(&post("/v1/auth/login", None, login.clone()).await);
    let started = post(
        "/v1/auth/mfa/passkey/start",
        None,
        json!({"mfa_token": step}),
    )
    .await;
    let started = expect(&started, 200).clone();
    let by_passkey = post(
        "/v1/auth/mfa/passkey/finish",
        None,
        json!({"challenge_id": started["challenge_id"], "credential": key.assert(&started["options"])}),
    )
    .await;
    expect(&by_passkey, 200);
    // Passwordless: another key's signature, then the right one.
    let mut impostor = key.impostor();
    let started = post("/v1/auth/passkey/start", None, json!({})).await;
    let started = expect(&started, 200).clone();
    let refused = post(
        "/v1/auth/passkey/finish",
        None,
        json!({"challenge_id": started["challenge_id"], "credential": impostor.assert(&started["options"])}),
    )
    .await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    let started = post("/v1/auth/passkey/start", None, json!({})).await;
    let started = expect(&started, 200).clone();
    let passwordless = post(
        "/v1/auth/passkey/finish",
        None,
        json!({"challenge_id": started["challenge_id"], "credential": key.assert(&started["options"])}),
    )
    .await;
    expect(&passwordless, 200);

    let oauth = settled(&server, "auth.oauth.login", 2).await;
    assert_eq!(oauth.len(), 2, "{oauth:?}");
    assert_eq!(oauth[0]["level"], "WARN", "{}", oauth[0]);
    assert_eq!(oauth[0]["outcome"], forged_code.as_str(), "{}", oauth[0]);
    assert_eq!(oauth[0]["provider"], "github", "{}", oauth[0]);
    assert_eq!(oauth[1]["level"], "INFO", "{}", oauth[1]);
    assert_eq!(oauth[1]["provider"], "github", "{}", oauth[1]);
    assert_eq!(oauth[1]["user_id"], github_user.as_str(), "{}", oauth[1]);
    assert_eq!(oauth[1]["account"], "created", "{}", oauth[1]);

    let mfa = settled(&server, "auth.mfa", 3).await;
    assert_eq!(mfa.len(), 3, "{mfa:?}");
    assert_eq!(mfa[0]["level"], "WARN", "{}", mfa[0]);
    assert_eq!(mfa[0]["outcome"], "invalid_mfa_code", "{}", mfa[0]);
    assert!(mfa[0].get("user_id").is_none(), "{}", mfa[0]);
    for line in &mfa[1..] {
        assert_eq!(line["level"], "INFO", "{line}");
        assert_eq!(line["outcome"], "success", "{line}");
        assert_eq!(line["user_id"], user_id.as_str(), "{line}");
    }

    let passkey = settled(&server, "auth.passkey", 2).await;
    assert_eq!(passkey.len(), 2, "{passkey:?}");
    assert_eq!(passkey[0]["level"], "WARN", "{}", passkey[0]);
    assert_eq!(
        passkey[0]["outcome"], "invalid_credentials",
        "{}",
        passkey[0]
    );
    assert_eq!(passkey[1]["level"], "INFO", "{}", passkey[1]);
    assert_eq!(passkey[1]["outcome"], "success", "{}", passkey[1]);
    assert_eq!(passkey[1]["user_id"], user_id.as_str(), "{}", passkey[1]);

    let text: String = server.log().iter().map(Value::to_string).collect();
    for secret in [
        password,
        email.as_str(),
        redirect.get("code"),
        redirect.get("state"),
    ] {
        assert!(!text.contains(secret), "{secret} is in the log");
    }
}

/// Registers, verifies and logs in a fresh user: (access token, user id,
/// session id).
async fn logged_in(server: &Server, n: usize, password: &str) -> (String, String, String) {
    let email = format!("refused-{}@example.com", uuid::Uuid::new_v4().simple());
    let register = server
        .call(
            "POST",
            "/v1/auth/register",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
    expect(&register, 202);
    let token = server.token_of_mail(n).await;
    let verified = server
        .call(
            "POST",
            "/v1/auth/verify-email",
            None,
            Some(json!({"token": token})),
        )
        .await;
    expect(&verified, 200);
    let login = server
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
    let body = expect(&login, 200);
    let access = body["access_token"].as_str().unwrap().to_owned();
    let payload = access.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    let user_id = claims["sub"].as_str().unwrap().to_owned();
    let session_id = claims["sid"].as_str().unwrap().to_owned();
    (access, user_id, session_id)
}

/// The one `authz.denied` line of `route` and `method`, once it is logged.
async fn refusal_of(server: &Server, method: &str, route: &str) -> Value {
    for _ in 0..100 {
        let found: Vec<Value> = events(server, "authz.denied")
            .into_iter()
            .filter(|l| l["method"] == method && l["route"] == route)
            .collect();
        assert!(found.len() <= 1, "{found:?}");
        if let Some(line) = found.into_iter().next() {
            return line;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "no authz.denied for {method} {route}: {:?}",
        events(server, "authz.denied")
    );
}

#[track_caller]
fn assert_refusal(line: &Value, outcome: &str, reason: &str, user_id: &str, session_id: &str) {
    assert_eq!(line["outcome"], outcome, "{line}");
    assert_eq!(line["reason"], reason, "{line}");
    assert_eq!(line["user_id"], user_id, "{line}");
    assert_eq!(line["session_id"], session_id, "{line}");
    assert_eq!(line["level"], "WARN", "{line}");
}

/// ASVS 16.3.2: the step-up refusals (`mfa_required` to an `aal1` session
/// of a user with a factor), a stale login's `reauthentication_required`,
/// and another user's session or identity (answered 404 like a missing
/// one) are each one `authz.denied` line with the reason; a missing object
/// is not a refusal.
#[actix_web::test]
async fn step_up_reauthentication_and_object_refusals_are_logged() {
    let server = Server::start(&[("AUTH_REAUTH_MAX_AGE", "4")]).await;
    let password = "correct-Horse-battery-9";
    let (stale, stale_user, stale_sid) = logged_in(&server, 1, password).await;
    let (access, user_id, sid) = logged_in(&server, 2, password).await;

    // Enrol TOTP with the fresh login; its token stays `aal1`.
    let started = server
        .call("POST", "/v1/me/mfa/totp", Some(&access), None)
        .await;
    let body = expect(&started, 200);
    let factor_id = body["factor_id"].as_str().unwrap().to_owned();
    let secret = totp_rs::Secret::Encoded(body["secret"].as_str().unwrap().to_owned())
        .to_bytes()
        .unwrap();
    crate::mfa::away_from_step_edge().await;
    let confirmed = server
        .call(
            "POST",
            &format!("/v1/me/mfa/totp/{factor_id}/confirm"),
            Some(&access),
            Some(json!({"code": crate::mfa::code(&secret, -1)})),
        )
        .await;
    expect(&confirmed, 200);

    let new_password = "Another-staple-horse-77";
    let step_ups: [(&str, String, &str, Option<Value>); 6] = [
        (
            "POST",
            "/v1/auth/password/change".into(),
            "/v1/auth/password/change",
            Some(json!({"current_password": password, "new_password": new_password})),
        ),
        (
            "DELETE",
            format!("/v1/me/mfa/{factor_id}"),
            "/v1/me/mfa/{factor_id}",
            None,
        ),
        (
            "POST",
            "/v1/me/email".into(),
            "/v1/me/email",
            Some(json!({"new_email": "elsewhere@example.com", "password": password})),
        ),
        (
            "DELETE",
            "/v1/me".into(),
            "/v1/me",
            Some(json!({"password": password})),
        ),
        (
            "POST",
            "/v1/me/mfa/recovery-codes".into(),
            "/v1/me/mfa/recovery-codes",
            None,
        ),
        ("POST", "/v1/me/mfa/totp".into(), "/v1/me/mfa/totp", None),
    ];
    for (method, path, route, body) in step_ups {
        let refused = server.call(method, &path, Some(&access), body).await;
        assert_eq!(refused.status, 403, "{method} {path}: {}", refused.body);
        assert_eq!(refused.body["code"], "mfa_required", "{method} {path}");
        let line = refusal_of(&server, method, route).await;
        assert_refusal(&line, "mfa_required", "step_up_required", &user_id, &sid);
    }

    // Another user's identity: the answer of a missing one, but a refusal
    // (while that login is recent: unlinking asks for one).
    let identity = uuid::Uuid::now_v7().to_string();
    give_identity(&server.db_path(), &identity, &user_id);
    let missing = server
        .call(
            "DELETE",
            &format!("/v1/me/identities/{}", uuid::Uuid::now_v7()),
            Some(&stale),
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
    let foreign = server
        .call(
            "DELETE",
            &format!("/v1/me/identities/{identity}"),
            Some(&stale),
            None,
        )
        .await;
    assert_eq!(foreign.status, 404);
    assert_eq!(foreign.body, missing.body);
    let line = refusal_of(&server, "DELETE", "/v1/me/identities/{id}").await;
    assert_refusal(&line, "not_found", "not_owner", &stale_user, &stale_sid);

    // The other user's login is older than AUTH_REAUTH_MAX_AGE by now.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    let stale_enrol = server
        .call("POST", "/v1/me/mfa/totp", Some(&stale), None)
        .await;
    assert_eq!(stale_enrol.status, 403, "{}", stale_enrol.body);
    assert_eq!(stale_enrol.body["code"], "reauthentication_required");
    let line = refusals_with(&server, "reauthentication_required").await;
    assert_refusal(
        &line,
        "reauthentication_required",
        "reauthentication_required",
        &stale_user,
        &stale_sid,
    );
    assert_eq!(line["route"], "/v1/me/mfa/totp", "{line}");

    // Another user's session: the answer of a missing one, but a refusal.
    let missing = server
        .call(
            "DELETE",
            &format!("/v1/auth/sessions/{}", uuid::Uuid::now_v7()),
            Some(&stale),
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
    let foreign = server
        .call(
            "DELETE",
            &format!("/v1/auth/sessions/{sid}"),
            Some(&stale),
            None,
        )
        .await;
    assert_eq!(foreign.status, 404);
    assert_eq!(foreign.body, missing.body);
    let line = refusal_of(&server, "DELETE", "/v1/auth/sessions/{id}").await;
    assert_refusal(&line, "not_found", "not_owner", &stale_user, &stale_sid);

    // Still refused, so the owner's session lives; nothing secret logged.
    let mine = server.call("GET", "/v1/me", Some(&access), None).await;
    expect(&mine, 200);
    assert_eq!(events(&server, "authz.denied").len(), 9);
    let text: String = server.log().iter().map(Value::to_string).collect();
    for secret in [password, new_password, access.as_str(), stale.as_str()] {
        assert!(!text.contains(secret));
    }
}

/// The one `authz.denied` line with this outcome, once it is logged.
async fn refusals_with(server: &Server, outcome: &str) -> Value {
    for _ in 0..100 {
        let found: Vec<Value> = events(server, "authz.denied")
            .into_iter()
            .filter(|l| l["outcome"] == outcome)
            .collect();
        assert!(found.len() <= 1, "{found:?}");
        if let Some(line) = found.into_iter().next() {
            return line;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no authz.denied with {outcome}");
}

/// ASVS 16.3.2: a valid token whose session the database has ended (the
/// store did not know: revoked straight in the database here) is refused
/// on an admin route as `session_ended`; a request with no token or a
/// garbage one is not an authorization refusal and logs none.
#[actix_web::test]
async fn a_session_the_database_ended_is_a_logged_refusal_and_no_token_is_none() {
    let server = Server::start(&[]).await;
    let (access, user_id, sid) = logged_in(&server, 1, "correct-Horse-battery-9").await;
    for token in [None, Some("not-a-token")] {
        let anonymous = server.call("GET", "/v1/me", token, None).await;
        assert_eq!(anonymous.status, 401, "{}", anonymous.body);
        assert_eq!(anonymous.body["code"], "unauthorized");
    }
    end_session(&server.db_path(), &sid);
    let ended = server
        .call("GET", "/v1/admin/users", Some(&access), None)
        .await;
    assert_eq!(ended.status, 401, "{}", ended.body);
    assert_eq!(ended.body["code"], "unauthorized");
    let line = refusal_of(&server, "GET", "/v1/admin/users").await;
    assert_refusal(&line, "unauthorized", "session_ended", &user_id, &sid);
    // Logged in order: the two anonymous answers came before, and left none.
    assert_eq!(events(&server, "authz.denied").len(), 1);
}

/// Revokes a session in the database alone, as a store that lost it would
/// leave it.
fn end_session(db: &std::path::Path, session_id: &str) {
    use diesel::{Connection, RunQueryDsl, SqliteConnection};
    let mut conn = SqliteConnection::establish(&db.display().to_string()).unwrap();
    let ended =
        diesel::sql_query("UPDATE sessions SET revoked_at = '2025-01-01 00:00:00' WHERE id = ?")
            .bind::<diesel::sql_types::Text, _>(session_id)
            .execute(&mut conn)
            .unwrap();
    assert_eq!(ended, 1);
}

/// An OpenID identity of `user_id`, written straight into the database.
fn give_identity(db: &std::path::Path, id: &str, user_id: &str) {
    use diesel::{Connection, RunQueryDsl, SqliteConnection};
    let mut conn = SqliteConnection::establish(&db.display().to_string()).unwrap();
    diesel::sql_query(
        "INSERT INTO user_identities (id, user_id, provider, issuer, subject, created_at) \
         VALUES (?, ?, 'example', 'https://id.example.test', ?, '2025-01-01 00:00:00')",
    )
    .bind::<diesel::sql_types::Text, _>(id)
    .bind::<diesel::sql_types::Text, _>(user_id)
    .bind::<diesel::sql_types::Text, _>(id)
    .execute(&mut conn)
    .unwrap();
}

/// ASVS 16.3.2: `AUTH_MFA_REQUIRED_ROLES` holding back an `aal1` session
/// is a refusal with its own reason.
#[actix_web::test]
async fn the_mfa_required_by_role_refusal_is_logged() {
    let server = Server::start(&[("AUTH_MFA_REQUIRED_ROLES", "viewer")]).await;
    let (access, user_id, sid) = logged_in(&server, 1, "correct-Horse-battery-9").await;
    let held = server
        .call("GET", "/v1/auth/sessions", Some(&access), None)
        .await;
    assert_eq!(held.status, 403, "{}", held.body);
    assert_eq!(held.body["code"], "mfa_required");
    let line = refusal_of(&server, "GET", "/v1/auth/sessions").await;
    assert_refusal(
        &line,
        "mfa_required",
        "mfa_required_by_role",
        &user_id,
        &sid,
    );

    // An admin route asks the permission guard, which says the same.
    let admin = server
        .call("GET", "/v1/admin/users", Some(&access), None)
        .await;
    assert_eq!(admin.status, 403, "{}", admin.body);
    let line = refusal_of(&server, "GET", "/v1/admin/users").await;
    assert_eq!(line["reason"], "mfa_required_by_role", "{line}");
    // Enrolment stays open, and is not a refusal.
    let enrol = server
        .call("POST", "/v1/me/mfa/totp", Some(&access), None)
        .await;
    expect(&enrol, 200);
    assert_eq!(events(&server, "authz.denied").len(), 2);
}

const WEBHOOK_SECRET: &str = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// ASVS 12.3.1: a webhook URL in cleartext to another host is a warning at
/// start, naming the variable; a loopback one is not.
#[actix_web::test]
async fn startup_warns_of_every_cleartext_backend_channel() {
    let server = Server::start(&[
        ("AUTH_WEBHOOK_URL", "http://example.test/hook"),
        ("AUTH_WEBHOOK_SECRET", WEBHOOK_SECRET),
        (
            "AUTH_SMTP_URL",
            "smtp://mail.example.test:25?tls=opportunistic",
        ),
    ])
    .await;
    let warned = |log: &[Value], var: &str| {
        log.iter().any(|line| {
            line["level"] == "WARN"
                && line["variable"] == var
                && line["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("cleartext") && m.contains(var))
        })
    };
    let log = server.log();
    assert!(warned(&log, "AUTH_WEBHOOK_URL"), "{log:?}");
    assert!(warned(&log, "AUTH_SMTP_URL"), "{log:?}");

    let local = Server::start(&[
        ("AUTH_WEBHOOK_URL", "http://127.0.0.1:9/hook"),
        ("AUTH_WEBHOOK_SECRET", WEBHOOK_SECRET),
    ])
    .await;
    let log = local.log();
    assert!(!warned(&log, "AUTH_WEBHOOK_URL"), "{log:?}");
}

/// `AUTH_REQUIRE_TLS_BACKENDS=true` turns that warning into a refusal to
/// start: exit 2, one line naming the setting and the channel.
#[actix_web::test]
async fn require_tls_backends_refuses_a_cleartext_webhook_at_start() {
    let webhook = [
        ("AUTH_BIND", "127.0.0.1:0"),
        ("AUTH_WEBHOOK_URL", "http://example.test/hook"),
        ("AUTH_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("AUTH_REQUIRE_TLS_BACKENDS", "true"),
        // Checked later at start: were the channel let through, this would
        // stop the start (exit 2 naming it) instead of a server running on.
        ("AUTH_DEFAULT_ROLE", "no-such-role"),
    ];
    let (code, _, stderr) = crate::cli::authd(&webhook, &["serve"], None);
    assert_eq!(code, 2, "{stderr}");
    let last = stderr.trim().lines().last().unwrap_or_default();
    assert!(last.contains("AUTH_REQUIRE_TLS_BACKENDS"), "{stderr}");
    assert!(last.contains("AUTH_WEBHOOK_URL"), "{stderr}");
    assert!(!stderr.contains(WEBHOOK_SECRET), "{stderr}");

    let (code, _, stderr) = crate::cli::authd(
        &[
            ("AUTH_BIND", "127.0.0.1:0"),
            ("REDIS_URL", "redis://redis.example.test:6379"),
            ("AUTH_REQUIRE_TLS_BACKENDS", "true"),
            ("AUTH_DEFAULT_ROLE", "no-such-role"),
        ],
        &["serve"],
        None,
    );
    assert_eq!(code, 2, "{stderr}");
    let last = stderr.trim().lines().last().unwrap_or_default();
    assert!(last.contains("AUTH_REQUIRE_TLS_BACKENDS"), "{stderr}");
    assert!(last.contains("REDIS_URL"), "{stderr}");
}
