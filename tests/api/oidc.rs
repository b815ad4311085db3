//! Social login (API.md §11, issue #17) against a real OpenID Provider:
//! `ci-tools/oidc-provider` (npm `oidc-provider`), started per test. The
//! browser is played by a plain HTTP client that follows the provider's
//! redirects (with its cookies) up to the registered redirect URI, which is
//! never served: `code`, `state` and `iss` are read from that last URL.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Response, TestApp, Tokens, missing_prerequisite, spawn_app_with};

pub(crate) const REDIRECT_URI: &str = "http://127.0.0.1:9/oauth/callback";
const NATIVE_REDIRECT_URI: &str = "http://127.0.0.1/native/callback";

/// `npm ci` runs once per test process, when `node_modules` is missing.
static NPM: Mutex<bool> = Mutex::new(false);

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ci-tools/oidc-provider")
}

/// The local provider; killed when dropped.
pub(crate) struct Provider {
    child: Child,
    pub(crate) issuer: String,
    /// Its RS256 signing key (PKCS#1 PEM) and that key's `kid`, which it
    /// wrote out for the tests (`OIDC_PROVIDER_KEY_OUT`).
    key_pem: String,
    kid: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// None (the test skips) when node is missing outside CI.
    pub(crate) fn start() -> Option<Self> {
        Self::start_on(0)
    }

    /// On a given port (0: any free one), with fresh signing keys.
    fn start_on(port: u16) -> Option<Self> {
        if Command::new("node").arg("--version").output().is_err() {
            missing_prerequisite("node (for ci-tools/oidc-provider)");
            return None;
        }
        let dir = provider_dir();
        {
            let mut installed = NPM.lock().unwrap_or_else(|e| e.into_inner());
            if !*installed && !dir.join("node_modules/oidc-provider").exists() {
                let status = Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(&dir)
                    .status()
                    .expect("npm runs");
                assert!(status.success(), "npm ci in {} failed", dir.display());
            }
            *installed = true;
        }
        let key_dir = tempfile::tempdir().expect("temp dir");
        let key_out = key_dir.path().join("provider-key.pem");
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .arg(port.to_string())
            .env("OIDC_PROVIDER_KEY_OUT", &key_out)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(issuer) = line.strip_prefix("oidc-provider ready ") {
                    let _ = tx.send(issuer.to_owned());
                }
            }
        });
        let issuer = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the provider prints its ready line");
        let written = std::fs::read_to_string(&key_out).expect("the provider wrote its key");
        let (key_pem, kid) = written
            .rsplit_once("kid ")
            .expect("a kid line after the key");
        Some(Self {
            child,
            issuer,
            key_pem: key_pem.to_owned(),
            kid: kid.trim().to_owned(),
        })
    }

    pub(crate) fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AUTH_OIDC_PROVIDERS", "test".into()),
            ("AUTH_OIDC_TEST_ISSUER", self.issuer.clone()),
            ("AUTH_OIDC_TEST_CLIENT_ID", "web".into()),
            ("AUTH_OIDC_TEST_CLIENT_SECRET", "web-secret".into()),
            ("AUTH_OIDC_TEST_CLIENT_IDS", "native".into()),
            ("AUTH_OAUTH_REDIRECT_URIS", REDIRECT_URI.into()),
        ]
    }
}

async fn app_for(provider: &Provider) -> TestApp {
    let vars = provider.vars();
    let extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(&extra).await
}

/// What the browser brings back to the redirect URI.
#[derive(Debug)]
pub(crate) struct Redirect {
    pub(crate) query: HashMap<String, String>,
}

impl Redirect {
    /// The query of the URL the provider sent the browser to.
    pub(crate) fn of(url: &str) -> Self {
        let parsed = openidconnect::url::Url::parse(url).expect("redirect URL");
        Self {
            query: parsed.query_pairs().into_owned().collect(),
        }
    }

    pub(crate) fn get(&self, name: &str) -> &str {
        self.query
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", self.query))
    }
}

/// Follows redirects from `url` (with the provider's cookies) until one
/// points at `redirect_uri`.
pub(crate) async fn browse(url: &str, redirect_uri: &str) -> Redirect {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .disable_redirects()
        .finish();
    let mut cookies: HashMap<String, String> = HashMap::new();
    let mut url = url.to_owned();
    for _ in 0..10 {
        if url.starts_with(redirect_uri) {
            return Redirect::of(&url);
        }
        let cookie = cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut req = client.get(&url);
        if !cookie.is_empty() {
            req = req.insert_header(("Cookie", cookie));
        }
        let response = req.send().await.expect("the provider answers");
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().expect("cookie");
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                cookies.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
        assert!(
            response.status().is_redirection(),
            "the provider answered {} at {url}",
            response.status()
        );
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .expect("a Location")
            .to_owned();
        url = openidconnect::url::Url::parse(&url)
            .and_then(|base| base.join(&location))
            .expect("a URL")
            .to_string();
    }
    panic!("too many redirects");
}

/// `start`, the browser at the provider as `account`, and the redirect.
pub(crate) async fn authorize(app: &TestApp, account: &str) -> Redirect {
    let started = app
        .post(
            "/v1/auth/oauth/test/start",
            json!({"redirect_uri": REDIRECT_URI}),
        )
        .await;
    started.assert_status(200);
    let url = started.json()["authorization_url"]
        .as_str()
        .expect("authorization_url")
        .to_owned();
    browse(&format!("{url}&login_hint={account}"), REDIRECT_URI).await
}

pub(crate) async fn callback(app: &TestApp, redirect: &Redirect) -> crate::helpers::Response {
    app.post(
        "/v1/auth/oauth/test/callback",
        json!({"code": redirect.get("code"), "state": redirect.get("state"), "iss": redirect.get("iss")}),
    )
    .await
}

/// The claims of a JWT, unverified (the test reads what authd signed).
pub(crate) fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("JSON")
}

/// `POST /v1/auth/oauth/{provider}/start` in the browser transport: the
/// authorization URL and the value of the `__Host-authd_oauth` cookie that
/// binds the login to this browser.
pub(crate) async fn start_in_browser(
    app: &TestApp,
    provider: &str,
    redirect_uri: &str,
) -> (String, String) {
    let started = app
        .request(
            "POST",
            &format!("/v1/auth/oauth/{provider}/start"),
            None,
            Some(&json!({"redirect_uri": redirect_uri})),
            &[("X-Authd-Transport", "cookie")],
        )
        .await;
    started.assert_status(200);
    let cookie = started.header("set-cookie").expect("a binding cookie");
    assert!(cookie.starts_with("__Host-authd_oauth="), "{cookie}");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=600",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let binding = cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value.to_owned())
        .expect("a value");
    let url = started.json()["authorization_url"]
        .as_str()
        .expect("authorization_url")
        .to_owned();
    (url, binding)
}

/// `POST /v1/auth/oauth/{provider}/callback` in the browser transport
/// (`X-Authd-Transport: cookie`), with the binding cookie when given.
pub(crate) async fn callback_with_cookie(
    app: &TestApp,
    provider: &str,
    redirect: &Redirect,
    binding: Option<&str>,
) -> Response {
    let cookie = binding.map(|b| format!("__Host-authd_oauth={b}"));
    let mut headers = vec![("X-Authd-Transport", "cookie")];
    if let Some(cookie) = &cookie {
        headers.push(("Cookie", cookie.as_str()));
    }
    app.request(
        "POST",
        &format!("/v1/auth/oauth/{provider}/callback"),
        None,
        Some(&json!({"code": redirect.get("code"), "state": redirect.get("state")})),
        &headers,
    )
    .await
}

/// `POST /v1/me/identities/{provider}/callback` with what the browser
/// brought back.
pub(crate) async fn link(
    app: &TestApp,
    provider: &str,
    token: &str,
    redirect: &Redirect,
) -> Response {
    app.post_auth(
        &format!("/v1/me/identities/{provider}/callback"),
        token,
        Some(json!({"code": redirect.get("code"), "state": redirect.get("state")})),
    )
    .await
}

/// `POST /v1/me/identities/test/start` with `access`, and the browser at
/// the provider as `account`: what comes back to the redirect URI.
pub(crate) async fn start_link(app: &TestApp, access: &str, account: &str) -> Redirect {
    let started = app
        .post_auth(
            "/v1/me/identities/test/start",
            access,
            Some(json!({"redirect_uri": REDIRECT_URI})),
        )
        .await;
    started.assert_status(200);
    let url = started.json()["authorization_url"]
        .as_str()
        .expect("url")
        .to_owned();
    browse(&format!("{url}&login_hint={account}"), REDIRECT_URI).await
}

/// Links as `link` does, expecting success and the notice mail to
/// `user_email`: the new identity.
pub(crate) async fn linked(
    app: &TestApp,
    provider: &str,
    token: &str,
    redirect: &Redirect,
    user_email: &str,
) -> Value {
    let linked = link(app, provider, token, redirect).await;
    linked.assert_status(200);
    let notice = app.mail_to(user_email).await;
    assert!(notice.subject.contains("linked"), "{}", notice.subject);
    linked.json()
}

/// `DELETE /v1/me/identities/{id}`.
pub(crate) async fn unlink(app: &TestApp, token: &str, id: &str) -> Response {
    let path = format!("/v1/me/identities/{id}");
    app.request("DELETE", &path, Some(token), None, &[]).await
}

/// The caller's `identity.*` security events, newest first.
pub(crate) async fn identity_events(app: &TestApp, token: &str) -> Vec<String> {
    let events = app.get("/v1/me/security-events", Some(token)).await.json();
    events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .filter(|t| t.starts_with("identity."))
        .map(str::to_owned)
        .collect()
}

/// API.md §9, §11: a first provider login may enrol a factor; the next one
/// asks for the second step, whose session says `fed`, `otp`, `mfa`.
pub(crate) async fn assert_provider_login_asks_for_the_second_factor(
    app: &TestApp,
    provider_login: impl AsyncFn() -> Response,
) {
    use crate::mfa::{code, enrol_and_confirm};
    let session = Tokens::of(&provider_login().await);
    let (_, secret) = enrol_and_confirm(app, &session).await;

    let second = provider_login().await;
    second.assert_status(200);
    let challenge = second.json();
    assert_eq!(challenge["mfa_required"], true);
    assert!(challenge.get("access_token").is_none());
    let verified = app
        .post(
            "/v1/auth/mfa/verify",
            json!({"mfa_token": challenge["mfa_token"], "code": code(&secret, 0)}),
        )
        .await;
    let access = claims(&Tokens::of(&verified).access);
    assert_eq!(access["amr"], json!(["fed", "otp", "mfa"]));
    assert_eq!(access["aal"], "aal2");
}

#[actix_web::test]
async fn a_first_login_creates_a_verified_user_and_a_second_finds_it() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;

    let listed = app.get("/v1/auth/oauth/providers", None).await;
    listed.assert_status(200);
    assert_eq!(
        listed.json(),
        json!({"providers": [{"name": "test", "display_name": "Test"}]})
    );

    let redirect = authorize(&app, "verified").await;
    assert_eq!(redirect.get("iss"), provider.issuer);
    let response = callback(&app, &redirect).await;
    response.assert_status(200);
    let body = response.json();
    assert_eq!(body["user"]["email"], "verified@example.test");
    assert_eq!(body["user"]["email_verified"], true);
    let access = body["access_token"].as_str().expect("access token");
    let amr = claims(access)["amr"].clone();
    assert_eq!(amr, json!(["fed"]));
    let user_id = body["user"]["id"].clone();

    let identities = app.get("/v1/me/identities", Some(access)).await;
    identities.assert_status(200);
    let list = identities.json()["identities"].clone();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["provider"], "test");
    assert_eq!(list[0]["email"], "verified@example.test");

    // Again: the same account, found by issuer and subject.
    let again = callback(&app, &authorize(&app, "verified").await).await;
    again.assert_status(200);
    assert_eq!(again.json()["user"]["id"], user_id);

    // No password: the password login cannot get in.
    app.login("verified@example.test", "anything-at-all-1")
        .await
        .assert_problem(401, "invalid_credentials");
}

#[actix_web::test]
async fn an_unverified_provider_email_creates_nothing() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;
    // API.md §14: refused, and no account, identity or mail is left behind
    // for a squatter to keep once the address's owner registers.
    callback(&app, &authorize(&app, "unverified").await)
        .await
        .assert_problem(403, "email_not_verified");
    let email = "unverified@example.test";
    let found = app
        .state
        .db
        .run(move |conn| Ok(authd::db::users::find_by_email(conn, email)?))
        .await
        .expect("query");
    assert!(found.is_none(), "an account was created: {found:?}");
    assert!(app.unread_mail_to(email).await.is_empty());
    // The owner registers as anyone would; nothing of the provider's
    // login is attached.
    app.register(email, crate::helpers::PASSWORD)
        .await
        .assert_status(202);
    let mail = app.mail_to(email).await;
    let verified = app
        .post("/v1/auth/verify-email", json!({"token": mail.token()}))
        .await;
    verified.assert_status(200);
    let tokens = Tokens::of(&app.login(email, crate::helpers::PASSWORD).await);
    let identities = app.get("/v1/me/identities", Some(&tokens.access)).await;
    assert_eq!(identities.json()["identities"], json!([]));
}

#[actix_web::test]
async fn the_state_is_single_use_and_must_be_known() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;
    let redirect = authorize(&app, "verified").await;
    callback(&app, &redirect).await.assert_status(200);
    // Replayed: the state was spent.
    callback(&app, &redirect)
        .await
        .assert_problem(400, "oauth_failed");
    // Never issued.
    app.post(
        "/v1/auth/oauth/test/callback",
        json!({"code": "x", "state": "never-issued"}),
    )
    .await
    .assert_problem(400, "oauth_failed");
}

#[actix_web::test]
async fn a_refused_code_or_another_issuer_is_oauth_failed_and_spends_the_state() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;

    let redirect = authorize(&app, "verified").await;
    app.post(
        "/v1/auth/oauth/test/callback",
        json!({"code": "not-the-code", "state": redirect.get("state")}),
    )
    .await
    .assert_problem(400, "oauth_failed");
    // The state went with the failed attempt: the right code is too late.
    callback(&app, &redirect)
        .await
        .assert_problem(400, "oauth_failed");

    // RFC 9207: a response naming another issuer is refused.
    let redirect = authorize(&app, "verified").await;
    app.post(
        "/v1/auth/oauth/test/callback",
        json!({"code": redirect.get("code"), "state": redirect.get("state"),
               "iss": "https://attacker.example"}),
    )
    .await
    .assert_problem(400, "oauth_failed");
}

#[actix_web::test]
async fn start_checks_the_provider_and_the_redirect_uri() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;
    app.post(
        "/v1/auth/oauth/nope/start",
        json!({"redirect_uri": REDIRECT_URI}),
    )
    .await
    .assert_problem(404, "not_found");
    let response = app
        .post(
            "/v1/auth/oauth/test/start",
            json!({"redirect_uri": "https://attacker.example/callback"}),
        )
        .await;
    response.assert_problem(422, "validation_failed");
    assert!(response.json()["errors"]["redirect_uri"].is_array());

    // The URL carries PKCE S256, state and nonce.
    let started = app
        .post(
            "/v1/auth/oauth/test/start",
            json!({"redirect_uri": REDIRECT_URI}),
        )
        .await;
    started.assert_status(200);
    let url = openidconnect::url::Url::parse(
        started.json()["authorization_url"]
            .as_str()
            .expect("authorization_url"),
    )
    .expect("a URL");
    assert!(url.as_str().starts_with(&provider.issuer));
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["client_id"], "web");
    assert_eq!(query["redirect_uri"], REDIRECT_URI);
    assert!(query["scope"].split(' ').any(|s| s == "openid"));
    assert!(query["state"].len() >= 16 && query["nonce"].len() >= 16);
}

#[actix_web::test]
async fn a_provider_that_is_down_answers_503_quickly() {
    // Nothing listens on port 1.
    let app = spawn_app_with(&[
        ("AUTH_OIDC_PROVIDERS", "down"),
        ("AUTH_OIDC_DOWN_ISSUER", "http://127.0.0.1:1"),
        ("AUTH_OIDC_DOWN_CLIENT_ID", "web"),
        ("AUTH_OAUTH_REDIRECT_URIS", REDIRECT_URI),
    ])
    .await;
    let began = Instant::now();
    app.post(
        "/v1/auth/oauth/down/start",
        json!({"redirect_uri": REDIRECT_URI}),
    )
    .await
    .assert_problem(503, "service_unavailable");
    assert!(began.elapsed() < Duration::from_secs(6));
}

#[actix_web::test]
async fn the_provider_stopped_mid_flow_answers_503() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;
    let redirect = authorize(&app, "verified").await;
    drop(provider);
    callback(&app, &redirect)
        .await
        .assert_problem(503, "service_unavailable");
}

#[actix_web::test]
async fn a_verified_provider_email_links_a_verified_account() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;
    let email = "verified@example.test";
    app.register(email, crate::helpers::PASSWORD)
        .await
        .assert_status(202);
    let mail = app.mail_to(email).await;
    app.post("/v1/auth/verify-email", json!({"token": mail.token()}))
        .await
        .assert_status(200);
    let local = app.login(email, crate::helpers::PASSWORD).await;
    local.assert_status(200);

    let response = callback(&app, &authorize(&app, "verified").await).await;
    response.assert_status(200);
    assert_eq!(response.json()["user"]["id"], local.json()["user"]["id"]);
    let notice = app.mail_to(email).await;
    assert!(notice.subject.contains("linked"), "{}", notice.subject);
}

#[actix_web::test]
async fn an_unverified_side_never_links() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;
    // A verified local account; the provider's address is unverified.
    let email = "unverified@example.test";
    app.register(email, crate::helpers::PASSWORD)
        .await
        .assert_status(202);
    let mail = app.mail_to(email).await;
    app.post("/v1/auth/verify-email", json!({"token": mail.token()}))
        .await
        .assert_status(200);
    callback(&app, &authorize(&app, "unverified").await)
        .await
        .assert_problem(403, "email_not_verified");

    // An unverified local account (perhaps an attacker's registration);
    // the provider verified the address.
    app.register("other@example.test", crate::helpers::PASSWORD)
        .await
        .assert_status(202);
    callback(&app, &authorize(&app, "other").await)
        .await
        .assert_problem(409, "account_exists");
}

/// An ID token for the native client, as a phone's SDK would get it.
pub(crate) async fn native_id_token(provider: &Provider, nonce: &str) -> String {
    let verifier = URL_SAFE_NO_PAD.encode(rand_bytes());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url =
        openidconnect::url::Url::parse(&format!("{}/auth", provider.issuer)).expect("url");
    url.query_pairs_mut()
        .append_pair("client_id", "native")
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email profile")
        .append_pair("redirect_uri", NATIVE_REDIRECT_URI)
        .append_pair("state", "native-state")
        .append_pair("nonce", nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("login_hint", "verified");
    let redirect = browse(url.as_str(), NATIVE_REDIRECT_URI).await;
    let client = awc::Client::default();
    let mut response = client
        .post(format!("{}/token", provider.issuer))
        .send_form(&[
            ("grant_type", "authorization_code"),
            ("code", redirect.get("code")),
            ("redirect_uri", NATIVE_REDIRECT_URI),
            ("client_id", "native"),
            ("code_verifier", &verifier),
        ])
        .await
        .expect("token endpoint");
    let body: Value = response.json().await.expect("token JSON");
    body["id_token"].as_str().expect("id_token").to_owned()
}

fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    let seed = uuid::Uuid::new_v4();
    bytes[..16].copy_from_slice(seed.as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes
}

#[actix_web::test]
async fn a_native_id_token_logs_in_once_per_nonce() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;
    let nonce = format!("n-{}", uuid::Uuid::new_v4().simple());
    let id_token = native_id_token(&provider, &nonce).await;
    assert_eq!(claims(&id_token)["aud"], "native");

    app.post(
        "/v1/auth/oauth/test/id-token",
        json!({"id_token": id_token}),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post(
        "/v1/auth/oauth/test/id-token",
        json!({"id_token": id_token, "nonce": "another-nonce"}),
    )
    .await
    .assert_problem(401, "invalid_token");

    let response = app
        .post(
            "/v1/auth/oauth/test/id-token",
            json!({"id_token": id_token, "nonce": nonce}),
        )
        .await;
    response.assert_status(200);
    let body = response.json();
    assert_eq!(body["user"]["email"], "verified@example.test");
    assert_eq!(
        claims(body["access_token"].as_str().expect("token"))["amr"],
        json!(["fed"])
    );

    // The nonce is spent.
    app.post(
        "/v1/auth/oauth/test/id-token",
        json!({"id_token": id_token, "nonce": nonce}),
    )
    .await
    .assert_problem(401, "invalid_token");

    // A forged signature.
    let nonce = format!("n-{}", uuid::Uuid::new_v4().simple());
    let id_token = native_id_token(&provider, &nonce).await;
    let mut parts: Vec<String> = id_token.split('.').map(str::to_owned).collect();
    let mut signature = URL_SAFE_NO_PAD.decode(&parts[2]).expect("signature");
    signature[0] ^= 1;
    parts[2] = URL_SAFE_NO_PAD.encode(signature);
    app.post(
        "/v1/auth/oauth/test/id-token",
        json!({"id_token": parts.join("."), "nonce": nonce}),
    )
    .await
    .assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn linking_and_unlinking_identities() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;

    // A provider-only account cannot drop its only way in.
    let created = callback(&app, &authorize(&app, "verified").await).await;
    created.assert_status(200);
    let access = created.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let list = app.get("/v1/me/identities", Some(&access)).await.json();
    let only = list["identities"][0]["id"].as_str().expect("id").to_owned();
    unlink(&app, &access, &only)
        .await
        .assert_problem(409, "conflict");

    // A password account links a provider identity, then unlinks it.
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let started = app
        .post_auth(
            "/v1/me/identities/test/start",
            &tokens.access,
            Some(json!({"redirect_uri": REDIRECT_URI})),
        )
        .await;
    started.assert_status(200);
    let url = started.json()["authorization_url"]
        .as_str()
        .expect("url")
        .to_owned();
    let redirect = browse(&format!("{url}&login_hint=other"), REDIRECT_URI).await;
    let identity = linked(&app, "test", &tokens.access, &redirect, &user.email).await;
    assert_eq!(identity["provider"], "test");
    assert_eq!(identity["email"], "other@example.test");

    // The provider's login now reaches the password account.
    let via_provider = callback(&app, &authorize(&app, "other").await).await;
    via_provider.assert_status(200);
    assert_eq!(via_provider.json()["user"]["email"], user.email);

    // Linking the same provider account to someone else is a conflict.
    let started = app
        .post_auth(
            "/v1/me/identities/test/start",
            &access,
            Some(json!({"redirect_uri": REDIRECT_URI})),
        )
        .await;
    let url = started.json()["authorization_url"]
        .as_str()
        .expect("url")
        .to_owned();
    let redirect = browse(&format!("{url}&login_hint=other"), REDIRECT_URI).await;
    link(&app, "test", &access, &redirect)
        .await
        .assert_problem(409, "conflict");

    let id = identity["id"].as_str().expect("id");
    unlink(&app, &tokens.access, id).await.assert_status(204);
    let list = app.get("/v1/me/identities", Some(&tokens.access)).await;
    assert_eq!(list.json()["identities"], json!([]));
    // Someone else's identity is not found.
    unlink(&app, &tokens.access, &only)
        .await
        .assert_problem(404, "not_found");

    // API.md §12: linking and unlinking are audit events of the user.
    assert_eq!(
        identity_events(&app, &tokens.access).await,
        ["identity.unlinked", "identity.linked"]
    );
    // A first provider login creates the account and links its identity.
    let created_events = app
        .get("/v1/me/security-events", Some(&access))
        .await
        .json();
    let created_kinds: Vec<&str> = created_events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert!(
        created_kinds.contains(&"user.registered"),
        "{created_events}"
    );
    assert!(
        created_kinds.contains(&"identity.linked"),
        "{created_events}"
    );
}

#[actix_web::test]
async fn a_link_state_does_not_log_in() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let started = app
        .post_auth(
            "/v1/me/identities/test/start",
            &tokens.access,
            Some(json!({"redirect_uri": REDIRECT_URI})),
        )
        .await;
    let url = started.json()["authorization_url"]
        .as_str()
        .expect("url")
        .to_owned();
    let redirect = browse(&format!("{url}&login_hint=other"), REDIRECT_URI).await;
    callback(&app, &redirect)
        .await
        .assert_problem(400, "oauth_failed");
}

#[actix_web::test]
async fn a_provider_login_still_asks_for_the_second_factor() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;
    assert_provider_login_asks_for_the_second_factor(&app, async || {
        callback(&app, &authorize(&app, "verified").await).await
    })
    .await;
}

#[actix_web::test]
async fn a_new_signing_key_at_the_provider_is_fetched_on_its_first_token() {
    let Some(first) = Provider::start() else {
        return;
    };
    let app = app_for(&first).await;
    let nonce = format!("n-{}", uuid::Uuid::new_v4().simple());
    let id_token = native_id_token(&first, &nonce).await;
    app.post(
        "/v1/auth/oauth/test/id-token",
        json!({"id_token": id_token, "nonce": nonce}),
    )
    .await
    .assert_status(200);

    // The provider restarts on the same issuer with a new key (new kid).
    let port: u16 = first
        .issuer
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port");
    let old_kid = claims_header(&id_token)["kid"].clone();
    drop(first);
    let second = Provider::start_on(port).expect("the provider restarts");
    let nonce = format!("n-{}", uuid::Uuid::new_v4().simple());
    let id_token = native_id_token(&second, &nonce).await;
    assert_ne!(claims_header(&id_token)["kid"], old_kid);
    // Past the refetch interval, the unknown kid fetches the key set again.
    tokio::time::sleep(authd::auth::oidc::provider::JWKS_REFETCH_MIN).await;
    app.post(
        "/v1/auth/oauth/test/id-token",
        json!({"id_token": id_token, "nonce": nonce}),
    )
    .await
    .assert_status(200);
}

fn claims_header(jwt: &str) -> Value {
    let header = jwt.split('.').next().expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64")).expect("JSON")
}

/// API.md §10–11: the social-login callback answers in cookie mode too.
#[actix_web::test]
async fn the_callback_sets_the_refresh_cookie_in_browser_mode() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;
    let (url, binding) = start_in_browser(&app, "test", REDIRECT_URI).await;
    let redirect = browse(&format!("{url}&login_hint=verified"), REDIRECT_URI).await;
    let response = callback_with_cookie(&app, "test", &redirect, Some(&binding)).await;
    response.assert_status(200);
    let cookie = response.header("set-cookie").expect("a refresh cookie");
    assert!(cookie.starts_with("__Host-authd_refresh="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let body = response.json();
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body["access_token"].is_string());
}

/// An ID token signed with the provider's own key, with these claims and
/// header changes: what a provider would never issue, but a forger or a
/// misconfigured client could send.
fn signed_id_token(provider: &Provider, claims: &Value, kid: Option<&str>) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(kid.unwrap_or(&provider.kid).to_owned());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(provider.key_pem.as_bytes())
        .expect("the provider's key");
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

/// The claims of a good native ID token for a new account `sub`.
fn good_claims(provider: &Provider, sub: &str, nonce: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": provider.issuer,
        "aud": "native",
        "sub": sub,
        "email": format!("{sub}@example.test"),
        "email_verified": true,
        "iat": now,
        "exp": now + 600,
        "nonce": nonce,
    })
}

/// Users and linked identities in the database.
async fn account_rows(app: &TestApp) -> (i64, i64) {
    app.state
        .db
        .run(|conn| {
            use authd::db::schema::{user_identities, users};
            use diesel::prelude::*;
            let users: i64 = users::table.count().get_result(conn)?;
            let identities: i64 = user_identities::table.count().get_result(conn)?;
            Ok((users, identities))
        })
        .await
        .unwrap()
}

/// Issue #28 item 5: an ID token that is signed by the provider's real key
/// but names another audience or issuer, has expired, or names a key the
/// provider does not have, and one with `alg: none`, are each 401
/// `invalid_token`, and none creates a user or an identity. The same
/// forging path with every claim right logs in, so each refusal is for its
/// own reason.
#[actix_web::test]
async fn forged_or_stale_id_tokens_are_refused_and_create_nothing() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;
    let before = account_rows(&app).await;
    let now = chrono::Utc::now().timestamp();
    let post = |id_token: String, nonce: String| {
        let app = &app;
        async move {
            app.post(
                "/v1/auth/oauth/test/id-token",
                json!({"id_token": id_token, "nonce": nonce}),
            )
            .await
        }
    };
    let fresh = || format!("n-{}", uuid::Uuid::new_v4().simple());

    type Change = fn(&mut Value, i64);
    let cases: [(&str, Change); 3] = [
        ("another audience", |c, _| c["aud"] = json!("someone-else")),
        ("another issuer", |c, _| {
            c["iss"] = json!("http://127.0.0.1:9/another-issuer");
        }),
        ("expired ten minutes ago", |c, now| {
            c["iat"] = json!(now - 1200);
            c["exp"] = json!(now - 600);
        }),
    ];
    for (what, change) in cases {
        let nonce = fresh();
        let sub = format!("forged-{}", uuid::Uuid::new_v4().simple());
        let mut claims = good_claims(&provider, &sub, &nonce);
        change(&mut claims, now);
        let answer = post(signed_id_token(&provider, &claims, None), nonce).await;
        assert_eq!(
            (answer.status, answer.code()),
            (401, "invalid_token".to_owned()),
            "{what}: {}",
            String::from_utf8_lossy(&answer.body)
        );
    }

    // A kid the provider has never had (the key set is fetched again, once,
    // and still has no such key).
    let nonce = fresh();
    let claims = good_claims(&provider, "forged-unknown-kid", &nonce);
    post(
        signed_id_token(&provider, &claims, Some("no-such-kid")),
        nonce,
    )
    .await
    .assert_problem(401, "invalid_token");

    // alg none: the good claims, no signature.
    let nonce = fresh();
    let claims = good_claims(&provider, "forged-alg-none", &nonce);
    let header = json!({"alg": "none", "typ": "JWT", "kid": provider.kid});
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    post(unsigned, nonce)
        .await
        .assert_problem(401, "invalid_token");

    assert_eq!(
        account_rows(&app).await,
        before,
        "a refused ID token created a user or an identity"
    );

    // The same path with every claim right is accepted: the refusals above
    // are the claims', not the forging's.
    let nonce = fresh();
    let sub = format!("forged-{}", uuid::Uuid::new_v4().simple());
    let claims = good_claims(&provider, &sub, &nonce);
    let accepted = post(signed_id_token(&provider, &claims, None), nonce).await;
    accepted.assert_status(200);
    assert_eq!(
        accepted.json()["user"]["email"],
        format!("{sub}@example.test")
    );
    assert_eq!(account_rows(&app).await, (before.0 + 1, before.1 + 1));
}

/// Issue #28 item 5: the callback and the id-token routes count toward the
/// per-IP login limit (AUTH_RATE_LOGIN_PER_IP), which a password login
/// shares: past it, 429 `rate_limited` before the body is looked at.
#[actix_web::test]
async fn the_callback_and_id_token_routes_have_the_per_ip_login_limit() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let mut vars = provider.vars();
    vars.push(("AUTH_RATE_LOGIN_PER_IP", "3/60s".into()));
    let extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // id-token: three refused tokens, then the limit.
    let app = spawn_app_with(&extra).await;
    let bogus = json!({"id_token": "not.a.token", "nonce": "n-1"});
    for _ in 0..3 {
        app.post("/v1/auth/oauth/test/id-token", bogus.clone())
            .await
            .assert_problem(401, "invalid_token");
    }
    let limited = app.post("/v1/auth/oauth/test/id-token", bogus).await;
    limited.assert_problem(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    // A good token is refused as well, and so is a callback: one limit.
    let nonce = format!("n-{}", uuid::Uuid::new_v4().simple());
    let good = good_claims(&provider, "limited", &nonce);
    app.post(
        "/v1/auth/oauth/test/id-token",
        json!({"id_token": signed_id_token(&provider, &good, None), "nonce": nonce}),
    )
    .await
    .assert_problem(429, "rate_limited");
    app.post(
        "/v1/auth/oauth/test/callback",
        json!({"code": "c", "state": "s"}),
    )
    .await
    .assert_problem(429, "rate_limited");

    // callback: three wrong states, then the limit, for password logins too.
    let app = spawn_app_with(&extra).await;
    for _ in 0..3 {
        app.post(
            "/v1/auth/oauth/test/callback",
            json!({"code": "c", "state": "no-such-state"}),
        )
        .await
        .assert_problem(400, "oauth_failed");
    }
    app.post(
        "/v1/auth/oauth/test/callback",
        json!({"code": "c", "state": "no-such-state"}),
    )
    .await
    .assert_problem(429, "rate_limited");
    app.login("someone@example.test", "whatever-password-1")
        .await
        .assert_problem(429, "rate_limited");
}

/// Login CSRF (issue #27, finding 5): a login started in browser mode
/// finishes only in browser mode with its own binding cookie, and one
/// started otherwise never finishes in browser mode, so a page cannot log
/// a browser-mode app into an account of the attacker's choosing.
#[actix_web::test]
async fn a_browser_mode_login_finishes_only_in_the_browser_that_started_it() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app_for(&provider).await;
    let at_provider = |url: String| async move {
        browse(&format!("{url}&login_hint=verified"), REDIRECT_URI).await
    };
    // No cookie, or another browser's cookie.
    for cookie in [None, Some("another-browsers-binding")] {
        let (url, _) = start_in_browser(&app, "test", REDIRECT_URI).await;
        let redirect = at_provider(url).await;
        callback_with_cookie(&app, "test", &redirect, cookie)
            .await
            .assert_problem(400, "oauth_failed");
    }
    // Started without the browser transport (as an attacker would, to get
    // a code for their own account), finished in a browser-mode app.
    let (url, victims_binding) = start_in_browser(&app, "test", REDIRECT_URI).await;
    let _ = at_provider(url).await;
    let attackers = authorize(&app, "verified").await;
    callback_with_cookie(&app, "test", &attackers, Some(&victims_binding))
        .await
        .assert_problem(400, "oauth_failed");
    // Started in browser mode, finished in body mode.
    let (url, _) = start_in_browser(&app, "test", REDIRECT_URI).await;
    let redirect = at_provider(url).await;
    callback(&app, &redirect)
        .await
        .assert_problem(400, "oauth_failed");
    // The browser that started it finishes it, and the cookie is cleared.
    let (url, binding) = start_in_browser(&app, "test", REDIRECT_URI).await;
    let redirect = at_provider(url).await;
    let done = callback_with_cookie(&app, "test", &redirect, Some(&binding)).await;
    done.assert_status(200);
    let cookies = done.headers_all("set-cookie");
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("__Host-authd_oauth=;") && c.contains("Max-Age=0")),
        "{cookies:?}"
    );
}
