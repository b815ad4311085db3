//! Issue 28, item 3: no secret reaches the log, at `RUST_LOG=debug` (every
//! crate, not just authd) and in both log formats (JSON and the default
//! pretty one). A real `authd serve` process is driven through every flow
//! that handles a secret, and its whole log is searched for each value:
//! passwords, access and refresh tokens, mail links' tokens (verification,
//! reset, email change and its revert), TOTP secrets and codes, recovery
//! codes, `mfa_token`s, passkey ceremony data, OIDC codes, states and ID
//! tokens, and the webhook secret.

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::helpers::SoftAuthenticator;
use crate::logs::{Answer, Server, expect, strip_ansi};
use crate::oidc::{Provider, REDIRECT_URI, browse, native_id_token};
use crate::webhooks::Receiver;

/// The secrets one run handled, each with what it is.
#[derive(Default)]
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn add(&mut self, what: &str, value: &str) {
        assert!(
            value.len() >= 6,
            "{what} is too short to look for: {value:?}"
        );
        self.0.push((what.to_owned(), value.to_owned()));
    }

    /// Each string in a passkey credential's JSON (`response` fields: the
    /// client data, authenticator data, attestation, signature).
    fn add_credential(&mut self, what: &str, credential: &Value) {
        for (field, value) in credential["response"].as_object().expect("a response") {
            if let Some(value) = value.as_str().filter(|v| v.len() >= 16) {
                self.add(&format!("{what} {field}"), value);
            }
        }
    }
}

async fn post(server: &Server, path: &str, token: Option<&str>, body: Value) -> Answer {
    server.call("POST", path, token, Some(body)).await
}

fn string(value: &Value, what: &str) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("no {what} in {value}"))
        .to_owned()
}

/// A started passkey ceremony: its id and options.
fn ceremony(answer: &Answer, secrets: &mut Secrets, what: &str) -> (String, Value) {
    let body = expect(answer, 200).clone();
    let id = string(&body["challenge_id"], "challenge_id");
    secrets.add(&format!("{what} challenge_id"), &id);
    secrets.add(
        &format!("{what} challenge"),
        &string(&body["options"]["publicKey"]["challenge"], "challenge"),
    );
    (id, body["options"].clone())
}

/// Every flow that handles a secret, against `server`; what it handled.
async fn drive_every_flow(server: &Server, provider: &Provider, webhook_secret: &str) -> Secrets {
    let mut secrets = Secrets::default();
    secrets.add("webhook secret", webhook_secret);
    let secret_key = webhook_secret.trim_start_matches("whsec_");
    secrets.add("webhook key", secret_key);
    secrets.add(
        "webhook key (hex)",
        &hex_of(&STANDARD.decode(secret_key).expect("base64 key")),
    );

    // Register, verify, log in, refresh, reset the password.
    let email = format!("hygiene-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "correct-Horse-battery-9";
    secrets.add("password", password);
    let login = json!({"email": email, "password": password});
    expect(
        &post(server, "/v1/auth/register", None, login.clone()).await,
        202,
    );
    let verify = server.next_token_to("/verify-email", 0).await;
    secrets.add("verification token", &verify);
    expect(
        &post(
            server,
            "/v1/auth/verify-email",
            None,
            json!({"token": verify}),
        )
        .await,
        200,
    );
    let session = expect(
        &post(server, "/v1/auth/login", None, login.clone()).await,
        200,
    )
    .clone();
    let refresh = string(&session["refresh_token"], "refresh_token");
    secrets.add(
        "access token",
        &string(&session["access_token"], "access_token"),
    );
    secrets.add("refresh token", &refresh);
    let refreshed = post(
        server,
        "/v1/auth/refresh",
        None,
        json!({"refresh_token": refresh}),
    )
    .await;
    let refreshed = expect(&refreshed, 200).clone();
    secrets.add(
        "refreshed access token",
        &string(&refreshed["access_token"], "access"),
    );
    secrets.add(
        "refreshed refresh token",
        &string(&refreshed["refresh_token"], "refresh"),
    );
    expect(
        &post(
            server,
            "/v1/auth/password-reset/request",
            None,
            json!({"email": email}),
        )
        .await,
        202,
    );
    let reset = server.next_token_to("/reset-password", 0).await;
    secrets.add("reset token", &reset);
    let password = "another-Horse-battery-7";
    secrets.add("new password", password);
    expect(
        &post(
            server,
            "/v1/auth/password-reset/confirm",
            None,
            json!({"token": reset, "new_password": password}),
        )
        .await,
        204,
    );
    let login = json!({"email": email, "password": password});
    let session = expect(
        &post(server, "/v1/auth/login", None, login.clone()).await,
        200,
    )
    .clone();
    let access = string(&session["access_token"], "access_token");
    secrets.add("access token after the reset", &access);

    // Change the address, then revert the change from the old one.
    let moved = format!("moved-{}@example.com", uuid::Uuid::new_v4().simple());
    expect(
        &post(
            server,
            "/v1/me/email",
            Some(&access),
            json!({"new_email": moved, "password": password}),
        )
        .await,
        202,
    );
    let change = server.next_token_to("/confirm-email-change", 0).await;
    secrets.add("email-change token", &change);
    expect(
        &post(
            server,
            "/v1/auth/email-change/confirm",
            None,
            json!({"token": change}),
        )
        .await,
        200,
    );
    let revert = server.next_token_to("/revert-email-change", 0).await;
    secrets.add("revert token", &revert);
    expect(
        &post(
            server,
            "/v1/auth/email-change/revert",
            None,
            json!({"token": revert}),
        )
        .await,
        200,
    );
    // The revert removed the password and mailed a reset link.
    let reset = server.next_token_to("/reset-password", 1).await;
    secrets.add("second reset token", &reset);
    let password = "third-Horse-battery-5";
    secrets.add("third password", password);
    expect(
        &post(
            server,
            "/v1/auth/password-reset/confirm",
            None,
            json!({"token": reset, "new_password": password}),
        )
        .await,
        204,
    );
    let login = json!({"email": email, "password": password});
    let session = expect(
        &post(server, "/v1/auth/login", None, login.clone()).await,
        200,
    )
    .clone();
    let access = string(&session["access_token"], "access_token");

    // TOTP: the secret, the confirming code, the recovery codes.
    let enrolled = expect(
        &post(server, "/v1/me/mfa/totp", Some(&access), json!({})).await,
        200,
    )
    .clone();
    let secret_b32 = string(&enrolled["secret"], "secret");
    secrets.add("TOTP secret", &secret_b32);
    secrets.add(
        "otpauth URI",
        &string(&enrolled["otpauth_uri"], "otpauth_uri"),
    );
    let secret = totp_rs::Secret::Encoded(secret_b32)
        .to_bytes()
        .expect("a base32 secret");
    secrets.add("TOTP secret (hex)", &hex_of(&secret));
    crate::mfa::away_from_step_edge().await;
    let confirm_code = crate::mfa::code(&secret, -1);
    let confirmed = server
        .call(
            "POST",
            &format!(
                "/v1/me/mfa/totp/{}/confirm",
                string(&enrolled["factor_id"], "factor_id")
            ),
            Some(&access),
            Some(json!({"code": confirm_code})),
        )
        .await;
    let confirmed = expect(&confirmed, 200).clone();
    let recovery: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .expect("recovery codes")
        .iter()
        .map(|c| string(c, "recovery code"))
        .collect();
    for (i, code) in recovery.iter().enumerate() {
        secrets.add(&format!("recovery code {i}"), code);
        secrets.add(
            &format!("recovery code {i} as typed"),
            &code.replace('-', ""),
        );
    }

    // The second step by TOTP (a wrong code, then the right one) and by a
    // recovery code.
    let mfa_token = |answer: &Answer| string(&expect(answer, 200)["mfa_token"], "mfa_token");
    let step = mfa_token(&post(server, "/v1/auth/login", None, login.clone()).await);
    secrets.add("mfa_token", &step);
    let wrong = post(
        server,
        "/v1/auth/mfa/verify",
        None,
        json!({"mfa_token": step, "code": "654321"}),
    )
    .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    crate::mfa::away_from_step_edge().await;
    let code = crate::mfa::code(&secret, 0);
    let aal2 = post(
        server,
        "/v1/auth/mfa/verify",
        None,
        json!({"mfa_token": step, "code": code}),
    )
    .await;
    let aal2 = string(&expect(&aal2, 200)["access_token"], "access_token");
    secrets.add("aal2 access token", &aal2);
    let step = mfa_token(&post(server, "/v1/auth/login", None, login.clone()).await);
    secrets.add("second mfa_token", &step);
    expect(
        &post(
            server,
            "/v1/auth/mfa/verify",
            None,
            json!({"mfa_token": step, "recovery_code": recovery[0]}),
        )
        .await,
        200,
    );

    // Passkeys: registration, the second step, passwordless.
    let mut key = SoftAuthenticator::new();
    let started = post(
        server,
        "/v1/me/passkeys/register/start",
        Some(&aal2),
        json!({}),
    )
    .await;
    let (id, options) = ceremony(&started, &mut secrets, "registration");
    let credential = key.register(&options);
    secrets.add_credential("registration", &credential);
    expect(
        &post(
            server,
            "/v1/me/passkeys/register/finish",
            Some(&aal2),
            json!({"challenge_id": id, "credential": credential}),
        )
        .await,
        201,
    );
    let step = mfa_token(&post(server, "/v1/auth/login", None, login.clone()).await);
    secrets.add("third mfa_token", &step);
    let started = post(
        server,
        "/v1/auth/mfa/passkey/start",
        None,
        json!({"mfa_token": step}),
    )
    .await;
    let (id, options) = ceremony(&started, &mut secrets, "second step");
    let assertion = key.assert(&options);
    secrets.add_credential("second step", &assertion);
    expect(
        &post(
            server,
            "/v1/auth/mfa/passkey/finish",
            None,
            json!({"challenge_id": id, "credential": assertion}),
        )
        .await,
        200,
    );
    let started = post(server, "/v1/auth/passkey/start", None, json!({})).await;
    let (id, options) = ceremony(&started, &mut secrets, "passwordless");
    let assertion = key.assert(&options);
    secrets.add_credential("passwordless", &assertion);
    expect(
        &post(
            server,
            "/v1/auth/passkey/finish",
            None,
            json!({"challenge_id": id, "credential": assertion}),
        )
        .await,
        200,
    );

    // OIDC: the browser flow (code, state) and a native ID token.
    let started = post(
        server,
        "/v1/auth/oauth/test/start",
        None,
        json!({"redirect_uri": REDIRECT_URI}),
    )
    .await;
    let url = string(
        &expect(&started, 200)["authorization_url"],
        "authorization_url",
    );
    let redirect = browse(&format!("{url}&login_hint=verified"), REDIRECT_URI).await;
    secrets.add("OIDC code", redirect.get("code"));
    secrets.add("OIDC state", redirect.get("state"));
    let signed_in = post(
        server,
        "/v1/auth/oauth/test/callback",
        None,
        json!({"code": redirect.get("code"), "state": redirect.get("state"), "iss": redirect.get("iss")}),
    )
    .await;
    expect(&signed_in, 200);
    let nonce = format!("nonce-{}", uuid::Uuid::new_v4().simple());
    let id_token = native_id_token(provider, &nonce).await;
    secrets.add("ID token", &id_token);
    secrets.add(
        "ID token signature",
        id_token.rsplit('.').next().expect("a signature"),
    );
    expect(
        &post(
            server,
            "/v1/auth/oauth/test/id-token",
            None,
            json!({"id_token": id_token, "nonce": nonce}),
        )
        .await,
        200,
    );
    secrets
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[actix_web::test]
async fn no_secret_reaches_the_log_at_debug_in_either_format() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let receiver = Receiver::start(&[]).await;
    let key: [u8; 24] = rand::random();
    let webhook_secret = format!("whsec_{}", STANDARD.encode(key));
    let mut vars: Vec<(&str, String)> = provider.vars();
    vars.push(("AUTH_WEBHOOK_URL", receiver.url.clone()));
    vars.push(("AUTH_WEBHOOK_SECRET", webhook_secret.clone()));
    vars.push(("RUST_LOG", "debug".into()));
    let mut looked_for = HashSet::new();
    for format in ["json", "pretty"] {
        let mut extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        extra.push(("AUTH_LOG_FORMAT", format));
        let server = Server::start(&extra).await;
        let secrets = drive_every_flow(&server, &provider, &webhook_secret).await;
        // Webhooks go out in the background: wait for some to arrive.
        for _ in 0..100 {
            if !receiver.seen.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            !receiver.seen.lock().unwrap().is_empty(),
            "no webhook was sent"
        );
        let log = strip_ansi(&server.log_text());
        // The run was logged at debug, in this format.
        assert!(log.contains("DEBUG"), "nothing at debug:\n{log}");
        let json_lines = log
            .lines()
            .filter(|l| serde_json::from_str::<Value>(l).is_ok())
            .count();
        match format {
            "json" => assert_eq!(json_lines, log.lines().count(), "{log}"),
            _ => assert_eq!(json_lines, 0, "{log}"),
        }
        for (what, value) in &secrets.0 {
            assert!(
                !log.contains(value.as_str()),
                "the {what} ({value}) is in the {format} log:\n{}",
                log.lines()
                    .filter(|l| l.contains(value.as_str()))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            looked_for.insert(what.clone());
        }
    }
    assert!(looked_for.len() > 40, "{looked_for:?}");
}
