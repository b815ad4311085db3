//! What the server writes to its log, read from a real `authd serve`
//! process (its stdout and stderr), as an operator would see it; and how the
//! process stops.
//!
//! README, Operations/Logs: one line per request with method, path, route,
//! status, latency and request id; no query strings, bodies, tokens or
//! passwords; emails only masked. Mail/File transport: the `.eml` path is
//! logged, not the link. Choices: a 500's `error_id` is in the log next to
//! its cause. Operations/Shutdown: requests in flight finish at SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::smtp_sink::{Mode, SmtpSink};

pub(crate) struct Server {
    child: Child,
    base: String,
    /// Always `Some`; taken by `restart`.
    dir: Option<tempfile::TempDir>,
    lines: Arc<Mutex<Vec<String>>>,
    /// While set, nobody reads the process's stdout (a stalled collector).
    stdout_paused: Arc<AtomicBool>,
}

/// The port of the "authd listening" line, in either log format (the
/// pretty one may carry terminal colours).
fn listening_port(line: &str) -> Option<u64> {
    if let Ok(v) = serde_json::from_str::<Value>(line) {
        return (v["message"] == "authd listening").then(|| v["port"].as_u64())?;
    }
    let plain = strip_ansi(line);
    if !plain.contains("authd listening") {
        return None;
    }
    let digits: String = plain
        .split("port=")
        .nth(1)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// `text` without terminal colour sequences (ESC [ … m).
pub(crate) fn strip_ansi(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    request_id: String,
    pub(crate) body: Value,
}

impl Server {
    /// `authd serve` on SQLite in a temp dir, JSON logs.
    pub(crate) async fn start(extra: &[(&str, &str)]) -> Server {
        Server::start_in(tempfile::tempdir().unwrap(), extra).await
    }

    /// Stops this process (SIGTERM, exit 0) and starts a new one on the
    /// same folder: database, key and outbox.
    async fn restart(mut self, extra: &[(&str, &str)]) -> Server {
        self.sigterm();
        assert_eq!(self.exit_code().await, Some(0));
        let dir = self.dir.take().unwrap();
        Server::start_in(dir, extra).await
    }

    async fn start_in(dir: tempfile::TempDir, extra: &[(&str, &str)]) -> Server {
        let path = |p: &str| dir.path().join(p).display().to_string();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_authd"));
        cmd.env_clear()
            .current_dir(dir.path())
            .arg("serve")
            .env("AUTH_BIND", "127.0.0.1:0")
            .env("AUTH_BCRYPT_COST", "4")
            .env("DATABASE_URL", format!("sqlite://{}", path("authd.db")))
            .env("AUTH_JWT_KEY_FILE", path("key.pem"))
            .env("AUTH_MFA_KEY_FILE", path("mfa.key"))
            .env("AUTH_OUTBOX_DIR", path("outbox"))
            .env("AUTH_FRONTEND_URL", "https://app.example.test")
            .env("AUTH_LOG_FORMAT", "json")
            .env("RUST_LOG", "info,authd=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start authd serve");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout_paused = Arc::new(AtomicBool::new(false));
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        for stream in [
            Box::new(out) as Box<dyn std::io::Read + Send>,
            Box::new(err) as Box<dyn std::io::Read + Send>,
        ] {
            let lines = lines.clone();
            let paused = stdout_paused.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                    while paused.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
            });
        }
        let started = Instant::now();
        let port = loop {
            let found = lines.lock().unwrap().iter().find_map(|l| listening_port(l));
            if let Some(port) = found {
                break port;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "authd did not start: {:?}",
                lines.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir: Some(dir),
            lines,
            stdout_paused,
        }
    }

    fn root(&self) -> &Path {
        self.dir.as_ref().unwrap().path()
    }

    pub(crate) fn db_path(&self) -> PathBuf {
        self.root().join("authd.db")
    }

    fn outbox(&self) -> PathBuf {
        self.root().join("outbox")
    }

    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        call(&self.base, method, path, token, body, &[]).await
    }

    /// A request without a body, with extra headers.
    pub(crate) async fn call_with_headers(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Answer {
        call(&self.base, method, path, None, None, headers).await
    }

    /// The `.eml` files written so far, oldest first.
    fn mails(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.outbox())
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|x| x == "eml"));
        files.sort();
        files
    }

    /// The tokens of the links to `path` (`/verify-email` …) in the mail
    /// so far, oldest first.
    fn tokens_to(&self, path: &str) -> Vec<String> {
        let needle = format!("{path}?token=");
        self.mails()
            .iter()
            .filter_map(|file| {
                let raw = std::fs::read_to_string(file).ok()?;
                let link = raw.split_whitespace().find(|w| w.contains(&needle))?;
                Some(link.split("token=").nth(1)?.to_owned())
            })
            .collect()
    }

    /// Waits for a mail linking to `path` beyond the `already` seen, and
    /// returns its token.
    pub(crate) async fn next_token_to(&self, path: &str, already: usize) -> String {
        for _ in 0..200 {
            if let Some(token) = self.tokens_to(path).get(already) {
                return token.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail number {} linking to {path}", already + 1);
    }

    /// Waits for the `n`th mail and returns the token in its link.
    pub(crate) async fn token_of_mail(&self, n: usize) -> String {
        for _ in 0..200 {
            if let Some(file) = self.mails().get(n - 1) {
                let raw = std::fs::read_to_string(file).unwrap();
                let link = raw
                    .split_whitespace()
                    .find(|w| w.starts_with("https://") && w.contains("token="))
                    .unwrap_or_else(|| panic!("no link in {raw}"));
                return link.split("token=").nth(1).unwrap().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("mail {n} never arrived");
    }

    fn sigterm(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits (up to 15 s) for the process to exit.
    async fn exit_code(&mut self) -> Option<i32> {
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("authd did not exit");
    }

    /// Every log line so far, parsed (a line that is not JSON fails).
    pub(crate) fn log(&self) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))
            })
            .collect()
    }

    /// Waits (up to 5 s) until a line with this `event` has been read:
    /// lines come through a pipe and a reader thread, so an answer can
    /// arrive before its log line does. Lines before it are in by then.
    pub(crate) async fn wait_for_event(&self, event: &str) {
        for _ in 0..100 {
            if self.log().iter().any(|line| line["event"] == event) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 15 s) until a line with this `message` has been read.
    async fn wait_for_message(&self, message: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.log().iter().any(|line| line["message"] == message) {
            assert!(
                Instant::now() < deadline,
                "no log line {message:?}: {}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 15 s) until at least `n` mails are in the outbox and the
    /// path of each is logged (the worker logs a path after writing it).
    async fn wait_for_mails_logged(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mails = self.mails();
            let log = self.log();
            let logged = |m: &PathBuf| {
                let path = m.display().to_string();
                log.iter().any(|l| l["path"] == path.as_str())
            };
            if mails.len() >= n && mails.iter().all(logged) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} mails written and logged: {}",
                mails.len(),
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// CPU time the process has used so far (user + system, in clock ticks),
    /// from /proc/PID/stat.
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("/proc/PID/stat (Linux)");
        // The fields after the command name, which is in parentheses.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }

    /// Waits (up to 20 s) until the process has used 20 clock ticks (0.2 s at
    /// the usual 100 Hz) of CPU more than `since`: it is working on a request.
    async fn wait_until_busy(&self, since: u64) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.cpu_ticks() < since + 20 {
            assert!(Instant::now() < deadline, "the server never got busy");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Every line so far, as written (either log format).
    pub(crate) fn log_text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    let mut req = client.request(
        awc::http::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{base}{path}"),
    );
    if let Some(token) = token {
        req = req.insert_header(("Authorization", format!("Bearer {token}")));
    }
    for (name, value) in headers {
        req = req.insert_header((*name, *value));
    }
    let mut response = match body {
        Some(body) => req.send_json(&body).await,
        None => req.send().await,
    }
    .expect("request");
    let bytes = response.body().await.unwrap();
    Answer {
        status: response.status().as_u16(),
        request_id: response
            .headers()
            .get("x-request-id")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

#[track_caller]
pub(crate) fn expect(answer: &Answer, status: u16) -> &Value {
    assert_eq!(answer.status, status, "{}", answer.body);
    &answer.body
}

fn text(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .to_owned()
}

/// The request id of a log line: its own field, or the request span's.
fn request_id_of(line: &Value) -> Option<&str> {
    line["request_id"]
        .as_str()
        .or_else(|| line["span"]["request_id"].as_str())
}

fn break_the_roles_table(db: &Path) {
    use diesel::{Connection, RunQueryDsl, SqliteConnection};
    let mut conn = SqliteConnection::establish(&db.display().to_string()).unwrap();
    diesel::sql_query("ALTER TABLE user_roles RENAME TO user_roles_gone")
        .execute(&mut conn)
        .unwrap();
}

#[actix_web::test]
async fn a_whole_account_lifecycle_logs_no_secret_and_masks_emails() {
    let mut server = Server::start(&[]).await;
    let email = format!("lifecycle-{}@example.com", uuid::Uuid::new_v4().simple());
    let first = "correct-Horse-battery-9";
    let second = "Second-staple-horse-42";
    let third = "Third-battery-staple-77";
    let mut secrets: Vec<String> = vec![first.into(), second.into(), third.into()];

    expect(
        &server
            .call(
                "POST",
                "/v1/auth/register",
                None,
                Some(json!({"email": email, "password": first, "display_name": "Ada"})),
            )
            .await,
        202,
    );
    let verify = server.token_of_mail(1).await;
    secrets.push(verify.clone());
    expect(
        &server
            .call(
                "POST",
                "/v1/auth/verify-email",
                None,
                Some(json!({"token": verify})),
            )
            .await,
        200,
    );
    let login = server
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": first})),
        )
        .await;
    let pair = expect(&login, 200).clone();
    let access = text(&pair, "access_token");
    secrets.extend([access.clone(), text(&pair, "refresh_token")]);
    expect(
        &server
            .call("GET", "/v1/me?token=query-secret-4711", Some(&access), None)
            .await,
        200,
    );
    secrets.push("query-secret-4711".into());
    let refreshed = server
        .call(
            "POST",
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": text(&pair, "refresh_token")})),
        )
        .await;
    let pair = expect(&refreshed, 200).clone();
    secrets.extend([text(&pair, "access_token"), text(&pair, "refresh_token")]);

    expect(
        &server
            .call(
                "POST",
                "/v1/auth/password-reset/request",
                None,
                Some(json!({"email": email})),
            )
            .await,
        202,
    );
    let reset = server.token_of_mail(2).await;
    secrets.push(reset.clone());
    expect(
        &server
            .call(
                "POST",
                "/v1/auth/password-reset/confirm",
                None,
                Some(json!({"token": reset, "new_password": second})),
            )
            .await,
        204,
    );
    let login = server
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": second})),
        )
        .await;
    let pair = expect(&login, 200).clone();
    let access = text(&pair, "access_token");
    secrets.extend([access.clone(), text(&pair, "refresh_token")]);
    expect(
        &server
            .call(
                "POST",
                "/v1/auth/password/change",
                Some(&access),
                Some(json!({"current_password": second, "new_password": third})),
            )
            .await,
        204,
    );

    // A lockout is logged, with the email masked.
    let locked = format!("locked-{}@example.com", uuid::Uuid::new_v4().simple());
    for _ in 0..5 {
        expect(
            &server
                .call(
                    "POST",
                    "/v1/auth/login",
                    None,
                    Some(json!({"email": locked, "password": "Wrong-passw0rd!"})),
                )
                .await,
            401,
        );
    }

    // A 500: its error_id is in the body and in the log next to the cause.
    break_the_roles_table(&server.db_path());
    let broken = server.call("GET", "/v1/me", Some(&access), None).await;
    let problem = expect(&broken, 500).clone();
    assert_eq!(problem["code"], "internal_error");
    let error_id = text(&problem, "error_id");

    // Wait for the mail worker to write every mail (verification, reset,
    // password changed) and log each path, then stop.
    server.wait_for_mails_logged(3).await;
    server.sigterm();
    assert_eq!(server.exit_code().await, Some(0));

    let log = server.log();
    let all = server.log_text();
    assert!(log.iter().any(|l| l["message"] == "authd stopped"), "{all}");

    // No secret, no link, no full email anywhere.
    for secret in &secrets {
        assert!(
            !all.contains(secret.as_str()),
            "a secret is in the log: {secret}"
        );
        // Nor the signature of a JWT on its own.
        if let Some(signature) = secret.split('.').nth(2) {
            assert!(!all.contains(signature), "a token signature is in the log");
        }
    }
    assert!(!all.contains("token="), "a mail link is in the log");
    for address in [&email, &locked] {
        assert!(
            !all.to_lowercase().contains(&address.to_lowercase()),
            "{address} is in the log unmasked"
        );
    }
    assert!(all.contains("l***@example.com"), "no masked email: {all}");

    // Each mail's file path is logged.
    let mails = server.mails();
    assert!(mails.len() >= 3, "verification, reset, password changed");
    for mail in &mails {
        let path = mail.display().to_string();
        assert!(
            log.iter().any(|l| l["path"] == path.as_str()),
            "the path of {path} is not logged"
        );
    }

    // One line per request, with what the README lists, carrying the id
    // the response carried.
    for answer in [&login, &refreshed, &broken] {
        let line = log
            .iter()
            .find(|l| l["message"] == "request" && request_id_of(l) == Some(&answer.request_id))
            .unwrap_or_else(|| panic!("no request line for {}", answer.request_id));
        for field in ["method", "path", "route", "status", "latency_ms"] {
            assert!(!line[field].is_null(), "{field} missing in {line}");
        }
    }
    let me_line = log
        .iter()
        .find(|l| l["message"] == "request" && l["route"] == "/v1/me" && l["status"] == 200)
        .expect("a request line for /v1/me");
    assert_eq!(me_line["path"], "/v1/me", "the query string is not logged");

    let error = log
        .iter()
        .find(|l| l["error_id"] == error_id.as_str())
        .unwrap_or_else(|| panic!("error_id {error_id} is not logged: {all}"));
    assert_eq!(error["level"], "ERROR");
    assert!(
        error["cause"]
            .as_str()
            .is_some_and(|c| c.contains("user_roles")),
        "the cause is logged: {error}"
    );
    assert_eq!(
        request_id_of(error),
        Some(broken.request_id.as_str()),
        "the error line carries the request id: {error}"
    );
}

#[actix_web::test]
async fn a_request_in_flight_at_sigterm_is_answered_before_the_process_exits() {
    // A bcrypt cost that makes one login take over a second.
    let mut server = Server::start(&[
        ("AUTH_BCRYPT_COST", "14"),
        ("AUTH_REQUIRE_VERIFIED_EMAIL", "false"),
    ])
    .await;
    let password = "correct-Horse-battery-9";
    expect(
        &server
            .call(
                "POST",
                "/v1/auth/register",
                None,
                Some(json!({"email": "slow@example.com", "password": password})),
            )
            .await,
        202,
    );
    let idle_ticks = server.cpu_ticks();
    let base = server.base.clone();
    let login = actix_web::rt::spawn(async move {
        call(
            &base,
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": "slow@example.com", "password": password})),
            &[],
        )
        .await
    });
    // Wait until the server is hashing the login's password (its CPU time
    // grows: an idle server uses none), then ask the process to stop while
    // the login is still being served.
    server.wait_until_busy(idle_ticks).await;
    assert!(!login.is_finished(), "the login finished before SIGTERM");
    server.sigterm();
    let answer = login.await.unwrap();
    let pair = expect(&answer, 200);
    assert!(pair["access_token"].is_string());
    assert_eq!(server.exit_code().await, Some(0));
}

/// Mail, the outbox: a mail that could not be sent yet is still sent after
/// the process restarts.
#[actix_web::test]
async fn mail_that_could_not_be_sent_goes_out_after_a_restart() {
    let down = SmtpSink::start_in(Mode::Refuse).await;
    let server = Server::start(&[("AUTH_SMTP_URL", &down.url())]).await;
    expect(
        &server
            .call(
                "POST",
                "/v1/auth/register",
                None,
                Some(json!({"email": "restart-mail@example.com", "password": "correct-Horse-battery-9"})),
            )
            .await,
        202,
    );
    let started = Instant::now();
    while down.connections() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no delivery attempt"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the worker record the failure before the process stops: it logs
    // the retry after it has recorded the attempt.
    server.wait_for_message("delivery failed; will retry").await;

    let up = SmtpSink::start().await;
    let _restarted = server.restart(&[("AUTH_SMTP_URL", &up.url())]).await;
    let mail = up.wait_for("restart-mail@example.com", 20).await;
    assert!(mail.data.contains("verify-email?token="));
    assert!(down.messages().is_empty());
}

/// Issue #14 item 3: a refused CORS preflight is logged at info level,
/// naming the origin and `AUTH_CORS_ORIGINS`, so the operator sees why.
#[actix_web::test]
async fn a_refused_cors_preflight_is_logged_with_the_origin_and_the_variable() {
    let server = Server::start(&[("AUTH_CORS_ORIGINS", "https://app.example.test")]).await;
    let response = awc::Client::new()
        .request(
            awc::http::Method::OPTIONS,
            format!("{}/v1/auth/login", server.base),
        )
        .insert_header(("Origin", "http://localhost:3000"))
        .insert_header(("Access-Control-Request-Method", "POST"))
        .send()
        .await
        .expect("preflight");
    assert_eq!(response.status().as_u16(), 403);
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let found = server.log().into_iter().find(|l| {
            l["level"] == "INFO"
                && l["origin"] == "http://localhost:3000"
                && l["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("AUTH_CORS_ORIGINS"))
        });
        if let Some(line) = found {
            break line;
        }
        assert!(Instant::now() < deadline, "{}", server.log_text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(line["message"].as_str().unwrap().contains("preflight"));
}

impl Server {
    /// The text of `GET /metrics`.
    async fn metrics(&self) -> String {
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish();
        let mut response = client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status().as_u16(), 200);
        String::from_utf8(response.body().await.unwrap().to_vec()).unwrap()
    }
}

fn dropped_lines(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("authd_log_lines_dropped_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no authd_log_lines_dropped_total in {metrics}"))
}

#[actix_web::test]
async fn a_stdout_that_does_not_keep_up_costs_log_lines_not_requests() {
    // Every crate at trace: a request writes many lines, so the pipe and the
    // writer's buffer fill within a few hundred requests.
    let server = Server::start(&[("RUST_LOG", "trace")]).await;
    assert_eq!(dropped_lines(&server.metrics().await), 0);
    server.stdout_paused.store(true, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        for _ in 0..50 {
            let started = Instant::now();
            let answer = server.call("GET", "/healthz", None, None).await;
            assert_eq!(answer.status, 200);
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "a request waited for stdout"
            );
        }
        if dropped_lines(&server.metrics().await) > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no log line was dropped");
    }
    // Once stdout drains, lines are written again (a request while the
    // buffer is still full may lose its line: try until one is logged).
    server.stdout_paused.store(false, Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let after = server.call("GET", "/healthz", None, None).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        if server.log_text().contains(&after.request_id) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no request is logged after the stall"
        );
    }
}

#[actix_web::test]
async fn the_last_lines_before_a_graceful_stop_reach_stdout() {
    let mut server = Server::start(&[]).await;
    // Stdout is not read while the requests run and for a moment after
    // SIGTERM: at the stop, hundreds of lines are still in the writer's
    // buffer (more than the pipe holds).
    server.stdout_paused.store(true, Ordering::Relaxed);
    let mut ids = Vec::new();
    for _ in 0..1000 {
        let answer = server.call("GET", "/healthz", None, None).await;
        assert_eq!(answer.status, 200);
        ids.push(answer.request_id);
    }
    server.sigterm();
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.stdout_paused.store(false, Ordering::Relaxed);
    assert_eq!(server.exit_code().await, Some(0));
    server.wait_for_message("authd stopped").await;
    let log = server.log();
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| {
            !log.iter()
                .any(|l| l["message"] == "request" && request_id_of(l) == Some(id.as_str()))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} request lines are missing",
        missing.len(),
        ids.len()
    );
}
