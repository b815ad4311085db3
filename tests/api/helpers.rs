//! `spawn_app()`: a real server on port 0 with a fresh database and store
//! prefix, typed request helpers, mail read back from the outbox folder.
//!
//! The backend comes from the environment: nothing set → SQLite + in-process
//! store; `TEST_DATABASE_URL=postgres://…` → a new PostgreSQL database per
//! test (dropped afterwards); `TEST_REDIS_URL=redis://…` → Redis with a new
//! key prefix per test (deleted afterwards).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::web;
use authd::config::Settings;
use authd::startup::Application;
use authd::state::AppState;
use awc::http::header::HeaderMap;
use diesel::{Connection, PgConnection, RunQueryDsl};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct-Horse-battery-9";

pub fn postgres_admin_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

pub fn redis_url() -> Option<String> {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

/// A test prerequisite is missing: outside CI the test is skipped with a
/// note; with `CI` set it fails, so nothing skips silently there.
#[track_caller]
pub fn missing_prerequisite(what: &str) {
    if std::env::var("CI").is_ok_and(|v| !v.is_empty()) {
        panic!("{what}: a prerequisite of this test is missing, and CI is set");
    }
    eprintln!("{what}: skipping this test (it fails instead when CI is set)");
}

/// `TEST_REDIS_URL` for a test that only means something on Redis. Unset,
/// the test is skipped, unless this run is meant to use Redis
/// (`TEST_EXPECT_BACKENDS` names it): then it fails.
#[track_caller]
pub fn redis_url_or_skip(what: &str) -> Option<String> {
    let url = redis_url();
    if url.is_none() {
        let expected = std::env::var("TEST_EXPECT_BACKENDS").unwrap_or_default();
        assert!(
            !expected.split(',').any(|b| b == "redis"),
            "{what}: TEST_EXPECT_BACKENDS names redis but TEST_REDIS_URL is unset"
        );
        eprintln!("{what}: TEST_REDIS_URL unset, skipping (it means something on Redis only)");
    }
    url
}

/// Resources a test server owns and removes when the test ends.
struct Owned {
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
    redis: Option<(String, String)>,
}

impl Drop for Owned {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres {
            drop_database(admin_url, name);
        }
        if let Some((url, prefix)) = &self.redis {
            delete_redis_prefix(url, prefix);
        }
        let _ = &self.dir;
    }
}

fn drop_database(admin_url: &str, name: &str) {
    for _ in 0..10 {
        let dropped = PgConnection::establish(admin_url)
            .ok()
            .and_then(|mut conn| {
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .ok()
            });
        if dropped.is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("could not drop test database {name}");
}

fn delete_redis_prefix(url: &str, prefix: &str) {
    let Ok(client) = redis::Client::open(url) else {
        return;
    };
    let Ok(mut conn) = client.get_connection() else {
        return;
    };
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query(&mut conn)
        .unwrap_or_default();
    if !keys.is_empty() {
        let _: redis::RedisResult<()> = redis::cmd("DEL").arg(&keys).query(&mut conn);
    }
}

pub struct TestApp {
    pub address: String,
    pub state: web::Data<AppState>,
    pub vars: HashMap<String, String>,
    handle: ServerHandle,
    client: awc::Client,
    seen_mail: Mutex<HashSet<PathBuf>>,
    owned: Option<Arc<Owned>>,
}

pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_owned()
    }

    /// Asserts a success status, showing the body when it is not.
    #[track_caller]
    pub fn assert_status(&self, status: u16) {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
    }

    /// Asserts a problem answer with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        assert_eq!(self.code(), code, "{}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.json()["status"], status);
    }
}

/// A mail read back from the outbox folder.
#[derive(Debug)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub raw: String,
}

impl Mail {
    /// The link with a token in the plain-text part.
    pub fn link(&self) -> String {
        self.raw
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains("token="))
            .unwrap_or_else(|| panic!("no link in mail: {}", self.raw))
            .to_owned()
    }

    pub fn token(&self) -> String {
        self.link()
            .split("token=")
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    }
}

pub struct TestUser {
    pub email: String,
    pub password: String,
}

pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub body: Value,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// A server with extra variables on top of the test defaults.
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut vars = base_vars(dir.path());
    let mut owned = Owned {
        dir,
        postgres: None,
        redis: None,
    };
    if let Some(admin_url) = postgres_admin_url() {
        let name = format!("authd_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn =
            PgConnection::establish(&admin_url).expect("TEST_DATABASE_URL must be reachable");
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .expect("create test database");
        vars.insert("DATABASE_URL".into(), database_url_for(&admin_url, &name));
        owned.postgres = Some((admin_url, name));
    }
    if let Some(url) = redis_url() {
        let prefix = format!("authd-test:{}:", uuid::Uuid::new_v4().simple());
        vars.insert("REDIS_URL".into(), url.clone());
        vars.insert("AUTH_REDIS_PREFIX".into(), prefix.clone());
        owned.redis = Some((url, prefix));
    }
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    start(vars, Some(Arc::new(owned))).await
}

/// A second server on the same database, key, outbox and store as `other`
/// (several instances behind a load balancer, or a restart), with extra
/// variables.
pub async fn spawn_sibling(other: &TestApp, extra: &[(&str, &str)]) -> TestApp {
    let mut vars = other.vars.clone();
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    let mut app = start(vars, other.owned.clone()).await;
    // Mail the first server delivered is not news to the second.
    app.seen_mail = Mutex::new(other.seen_mail.lock().expect("lock").clone());
    app
}

fn base_vars(dir: &Path) -> HashMap<String, String> {
    let path = |p: &str| dir.join(p).display().to_string();
    [
        ("AUTH_BIND", "127.0.0.1:0".to_owned()),
        ("AUTH_BCRYPT_COST", "4".to_owned()),
        ("DATABASE_URL", format!("sqlite://{}", path("authd.db"))),
        ("AUTH_JWT_KEY_FILE", path("jwt-ed25519.pem")),
        ("AUTH_OUTBOX_DIR", path("outbox")),
        ("AUTH_FRONTEND_URL", "https://app.example.test".to_owned()),
        ("AUTH_LOG_FORMAT", "json".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn database_url_for(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

async fn start(vars: HashMap<String, String>, owned: Option<Arc<Owned>>) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        authd::telemetry::init(authd::config::LogFormat::Pretty);
    }
    let settings = Settings::from_vars(&vars).expect("test settings");
    let app = Application::build(settings).await.expect("build app");
    let port = app.port();
    let handle = app.handle();
    let state = app.state();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),

        state,
        vars,
        handle,
        client: awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .disable_redirects()
            .finish(),
        seen_mail: Mutex::new(HashSet::new()),
        owned,
    }
}

impl TestApp {
    pub fn outbox_dir(&self) -> PathBuf {
        PathBuf::from(&self.vars["AUTH_OUTBOX_DIR"])
    }

    pub fn key_file(&self) -> PathBuf {
        PathBuf::from(&self.vars["AUTH_JWT_KEY_FILE"])
    }

    pub fn is_postgres(&self) -> bool {
        self.vars["DATABASE_URL"].starts_with("postgres")
    }

    pub fn is_redis(&self) -> bool {
        self.vars.contains_key("REDIS_URL")
    }

    /// Stops the server (as at SIGTERM), finishing requests in flight.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            req = req.insert_header(("Authorization", format!("Bearer {token}")));
        }
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let sent = match body {
            Some(body) => req.send_json(body).await,
            None => req.send().await,
        };
        read(sent).await
    }

    /// Sends a raw body with the given content type (or none).
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Response {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(ct) = content_type {
            req = req.insert_header(("Content-Type", ct));
        }
        read(req.send_body(body).await).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request("GET", path, token, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.request("POST", path, None, Some(&body), &[]).await
    }

    pub async fn post_auth(&self, path: &str, token: &str, body: Option<Value>) -> Response {
        self.request("POST", path, Some(token), body.as_ref(), &[])
            .await
    }

    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.post(
            "/v1/auth/register",
            json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/v1/auth/login",
            json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post("/v1/auth/refresh", json!({"refresh_token": refresh_token}))
            .await
    }

    /// Registers, reads the verification mail, verifies.
    pub async fn verified_user(&self) -> TestUser {
        let email = format!("user-{}@example.com", uuid::Uuid::new_v4().simple());
        let response = self.register(&email, PASSWORD).await;
        assert_eq!(
            response.status,
            202,
            "{}",
            String::from_utf8_lossy(&response.body)
        );
        let mail = self.mail_to(&email).await;
        let verified = self
            .post("/v1/auth/verify-email", json!({"token": mail.token()}))
            .await;
        assert_eq!(
            verified.status,
            200,
            "{}",
            String::from_utf8_lossy(&verified.body)
        );
        TestUser {
            email,
            password: PASSWORD.into(),
        }
    }

    pub async fn login_user(&self, user: &TestUser) -> Tokens {
        let response = self.login(&user.email, &user.password).await;
        assert_eq!(
            response.status,
            200,
            "{}",
            String::from_utf8_lossy(&response.body)
        );
        let body = response.json();
        Tokens {
            access: body["access_token"]
                .as_str()
                .expect("access token")
                .to_owned(),
            refresh: body["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
            body,
        }
    }

    /// A verified user with the admin role, logged in.
    pub async fn admin(&self) -> (TestUser, Tokens) {
        let user = self.verified_user().await;
        let email = user.email.clone();
        self.state
            .db
            .run(move |conn| {
                let row = authd::db::users::find_by_email(conn, &email)?.expect("user");
                authd::db::users::set_roles(conn, &row.id, &["admin".to_owned()])?;
                Ok(())
            })
            .await
            .expect("make admin");
        let tokens = self.login_user(&user).await;
        (user, tokens)
    }

    /// Waits (up to 10 s) for the next unread mail to `to`.
    pub async fn mail_to(&self, to: &str) -> Mail {
        for _ in 0..200 {
            if let Some(mail) = self.next_mail(to) {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} arrived in {}", self.outbox_dir().display());
    }

    fn next_mail(&self, to: &str) -> Option<Mail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.outbox_dir())
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        let mut seen = self.seen_mail.lock().expect("lock");
        for file in files {
            if seen.contains(&file) {
                continue;
            }
            let raw = std::fs::read_to_string(&file).ok()?;
            let mail = parse_mail(&raw);
            if mail.to.eq_ignore_ascii_case(to) {
                seen.insert(file);
                return Some(mail);
            }
        }
        None
    }

    /// Waits until the worker has handled every queued message, then
    /// returns the unread mails to `to` (usually asserted empty).
    pub async fn unread_mail_to(&self, to: &str) -> Vec<Mail> {
        self.wait_outbox_drained().await;
        let mut mails = Vec::new();
        while let Some(mail) = self.next_mail(to) {
            mails.push(mail);
        }
        mails
    }

    pub async fn wait_outbox_drained(&self) {
        for _ in 0..200 {
            let (pending, _, _) = self
                .state
                .db
                .run(|conn| Ok(authd::db::outbox::stats(conn)?))
                .await
                .expect("outbox stats");
            if pending == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the outbox did not drain");
    }
}

fn parse_mail(raw: &str) -> Mail {
    let header = |name: &str| {
        raw.lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let to = header("To");
    let to = to.rsplit_once('<').map_or(to.clone(), |(_, addr)| {
        addr.trim_end_matches('>').to_owned()
    });
    Mail {
        to,
        subject: header("Subject"),
        raw: raw.to_owned(),
    }
}

async fn read(
    sent: Result<
        awc::ClientResponse<
            impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
        >,
        awc::error::SendRequestError,
    >,
) -> Response {
    let mut response = sent.expect("request failed");
    let body = response.body().limit(16 * 1024 * 1024).await.expect("body");
    Response {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: body.to_vec(),
    }
}
