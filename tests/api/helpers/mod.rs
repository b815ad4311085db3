//! `spawn_app()`: a real server on port 0 with a fresh database and store
//! prefix. The rest is split by concern: `backends` (which database and
//! store, and cleaning them up), `http` (typed requests and answers),
//! `mail` (mail read back from the outbox), `fixtures` (users and tokens),
//! `fake_github` (a local stand-in for GitHub's OAuth endpoints and API).
//!
//! The backend comes from the environment: nothing set → SQLite + in-process
//! store; `TEST_DATABASE_URL=postgres://…` → a new PostgreSQL database per
//! test (dropped afterwards); `TEST_REDIS_URL=redis://…` → Redis with a new
//! key prefix per test (deleted afterwards).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::web;
use authd::config::Settings;
use authd::startup::Application;
use authd::state::AppState;
use diesel::{Connection, PgConnection, RunQueryDsl};

mod authenticator;
mod backends;
pub mod fake_github;
mod fixtures;
mod http;
mod mail;
pub use mail::Mail;

pub use authenticator::SoftAuthenticator;
pub use backends::{
    delete_redis_prefix, missing_prerequisite, postgres_admin_url, redis_url, redis_url_or_skip,
};
pub use fake_github::{FakeGitHub, GitHubUser};
pub use fixtures::{PASSWORD, SessionClock, TestUser, Tokens, session_of};
pub use http::Response;

use backends::{Owned, base_vars, database_url_for};

pub struct TestApp {
    pub address: String,
    /// The operational listener, when `AUTH_OPS_BIND` is set.
    pub ops_address: Option<String>,
    pub state: web::Data<AppState>,
    pub vars: HashMap<String, String>,
    handle: ServerHandle,
    client: awc::Client,
    seen_mail: Mutex<HashSet<PathBuf>>,
    owned: Option<Arc<Owned>>,
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

async fn start(vars: HashMap<String, String>, owned: Option<Arc<Owned>>) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        static LOGS: std::sync::OnceLock<authd::telemetry::LogGuard> = std::sync::OnceLock::new();
        LOGS.get_or_init(|| authd::telemetry::init(authd::config::LogFormat::Pretty));
    }
    let settings = Settings::from_vars(&vars).expect("test settings");
    let app = Application::build(settings).await.expect("build app");
    let port = app.port();
    let ops_port = app.ops_port();
    let handle = app.handle();
    let state = app.state();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        ops_address: ops_port.map(|p| format!("http://127.0.0.1:{p}")),
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
}
