//! Backing services a fault test owns alone, so it can kill, stall or wipe
//! them without disturbing the shared PostgreSQL and Redis: a private
//! `redis-server`, a private PostgreSQL cluster (`initdb` + `pg_ctl`), an SMTP
//! server that can hold a message before accepting it, a fresh database on
//! the shared PostgreSQL, and the real `authd` binary as a child process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection, RunQueryDsl};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn wait_for_port(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

// ---------------------------------------------------------------- Redis

/// A `redis-server` on a free port, without persistence; killed on drop.
pub struct PrivateRedis {
    pub port: u16,
    child: Child,
}

impl PrivateRedis {
    /// None when `redis-server` is not installed.
    pub async fn start() -> Option<PrivateRedis> {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let redis = PrivateRedis { port, child };
        assert!(
            wait_for_port(port, Duration::from_secs(10)).await,
            "redis-server did not start"
        );
        Some(redis)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it and starts an empty one on the same port.
    pub async fn restart_empty(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("restart redis-server");
        assert!(
            wait_for_port(self.port, Duration::from_secs(10)).await,
            "redis-server did not restart"
        );
    }

    /// Kills it (connections refused until [`PrivateRedis::restart_empty`]).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops it answering (SIGSTOP) without closing its connections, as a
    /// stalled or partitioned server would; [`PrivateRedis::resume`] lets
    /// it run on with what it received meanwhile.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let sent = Command::new("kill")
            .args([which, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill {which} redis-server failed");
    }

    pub fn flushall(&self) {
        let client = redis::Client::open(self.url()).unwrap();
        let mut conn = client.get_connection().unwrap();
        let _: () = redis::cmd("FLUSHALL").query(&mut conn).unwrap();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        // A paused server dies of SIGKILL all the same.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ----------------------------------------------------------- PostgreSQL

/// The directory holding `initdb` and `pg_ctl`, if PostgreSQL is installed.
pub fn postgres_bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

/// A PostgreSQL cluster of its own in a temporary folder, on a free port,
/// with trust authentication; stopped (immediately) on drop.
pub struct PrivatePostgres {
    pub port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// Extra server options (`-c name=value …`), from `start_with`.
    options: String,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PrivatePostgres {
    /// None when the PostgreSQL server binaries are not installed.
    pub fn start() -> Option<PrivatePostgres> {
        Self::start_with(|_| String::new())
    }

    /// Like `start`; `setup` may write files into the cluster's folder
    /// (handed to `postgres` afterwards) and returns extra server options
    /// such as `-c ssl=on`.
    pub fn start_with(setup: impl FnOnce(&Path) -> String) -> Option<PrivatePostgres> {
        let bin = postgres_bin_dir()?;
        let dir = tempfile::Builder::new()
            .prefix("authd-private-pg")
            .tempdir()
            .unwrap();
        let options = setup(dir.path());
        let pg = PrivatePostgres {
            port: free_port(),
            bin,
            dir,
            options,
        };
        if is_root() {
            // PostgreSQL refuses to run as root: hand the folder to `postgres`.
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(pg.dir.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "cannot hand the cluster folder to the postgres user");
        }
        let data = pg.data_dir();
        let out = pg
            .run(
                "initdb",
                &[
                    "-D",
                    &data.display().to_string(),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                ],
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pg.pg_ctl_start();
        Some(pg)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, tool: &str, args: &[&str]) -> Command {
        let program = self.bin.join(tool);
        if is_root() {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program).args(args);
            cmd
        } else {
            let mut cmd = Command::new(program);
            cmd.args(args);
            cmd
        }
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off {}",
            self.port,
            self.dir.path().display(),
            self.options
        );
        let log = self.dir.path().join("server.log").display().to_string();
        let status = self
            .run(
                "pg_ctl",
                &[
                    "-D",
                    &self.data_dir().display().to_string(),
                    "-o",
                    &options,
                    "-l",
                    &log,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "pg_ctl start failed: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Starts it again on the same data and port.
    pub fn start_again(&self) {
        self.pg_ctl_start();
    }

    /// Stops it at once, as a crash or a failover would.
    pub fn stop(&self) {
        let _ = self
            .run(
                "pg_ctl",
                &[
                    "-D",
                    &self.data_dir().display().to_string(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A new database on the shared PostgreSQL of `TEST_DATABASE_URL`, dropped
/// with this value.
pub struct FreshDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl FreshDatabase {
    pub fn create(admin_url: &str) -> FreshDatabase {
        let name = format!("authd_fault_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(admin_url).expect("TEST_DATABASE_URL answers");
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .expect("create database");
        let base = admin_url.split('?').next().unwrap_or(admin_url);
        let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
        FreshDatabase {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

// ----------------------------------------------------------------- SMTP

/// What the sink accepted: recipients and data of each message.
type Received = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// An SMTP server that, while stalled, holds every message at the end of
/// DATA without answering (a slow relay), then refuses it with a temporary
/// error once released, so only messages it acknowledged count as received.
pub struct StallingSmtp {
    pub port: u16,
    stalled: Arc<AtomicBool>,
    held: Arc<AtomicUsize>,
    received: Received,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StallingSmtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StallingSmtp {
    pub async fn start() -> StallingSmtp {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let stalled = Arc::new(AtomicBool::new(false));
        let held = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (s, h, r) = (stalled.clone(), held.clone(), received.clone());
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (s, h, r) = (s.clone(), h.clone(), r.clone());
                tokio::spawn(async move {
                    let _ = smtp_session(socket, s, h, r).await;
                });
            }
        });
        StallingSmtp {
            port,
            stalled,
            held,
            received,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    pub fn set_stalled(&self, stalled: bool) {
        self.stalled.store(stalled, Ordering::SeqCst);
    }

    /// How many messages it has held so far.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    /// How many accepted messages went to `to`.
    pub fn count_to(&self, to: &str) -> usize {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|(rcpts, _)| rcpts.iter().any(|r| r == to))
            .count()
    }
}

async fn smtp_session(
    socket: tokio::net::TcpStream,
    stalled: Arc<AtomicBool>,
    held: Arc<AtomicUsize>,
    received: Received,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 stalling sink ESMTP\r\n").await?;
    let mut recipients = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            write.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?;
        } else if upper.starts_with("RCPT TO") {
            let addr = line[8..]
                .trim()
                .trim_start_matches(':')
                .trim()
                .trim_matches(['<', '>'])
                .to_owned();
            recipients.push(addr);
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RSET") {
            recipients.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("DATA") {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                data.push('\n');
            }
            if stalled.load(Ordering::SeqCst) {
                held.fetch_add(1, Ordering::SeqCst);
                while stalled.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                recipients.clear();
                write.write_all(b"451 4.3.0 try again later\r\n").await?;
                continue;
            }
            received
                .lock()
                .unwrap()
                .push((std::mem::take(&mut recipients), data));
            write.write_all(b"250 OK queued\r\n").await?;
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"250 OK\r\n").await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- authd

/// The real `authd serve` as a child process; SIGKILLed on drop.
pub struct AuthdProcess {
    pub port: u16,
    child: Child,
    pub log: PathBuf,
}

/// The variables of a test server on `dir`, `database_url` and a free port.
pub fn authd_vars(dir: &Path, database_url: &str) -> HashMap<String, String> {
    let path = |p: &str| dir.join(p).display().to_string();
    [
        ("AUTH_BIND", format!("127.0.0.1:{}", free_port())),
        ("AUTH_BCRYPT_COST", "4".to_owned()),
        ("DATABASE_URL", database_url.to_owned()),
        ("AUTH_JWT_KEY_FILE", path("jwt-ed25519.pem")),
        ("AUTH_MFA_KEY_FILE", path("mfa.key")),
        ("AUTH_OUTBOX_DIR", path("outbox")),
        ("AUTH_FRONTEND_URL", "https://app.example.test".to_owned()),
        ("AUTH_LOG_FORMAT", "json".to_owned()),
        ("AUTH_RATE_LIMITS", "false".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

impl AuthdProcess {
    /// Starts `authd serve` with exactly `vars` and waits (up to 60 s) for
    /// `/healthz` to answer.
    pub async fn start(dir: &Path, vars: &HashMap<String, String>) -> AuthdProcess {
        let port: u16 = vars["AUTH_BIND"]
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("AUTH_BIND with a port");
        let log = dir.join(format!("authd-{}.log", uuid::Uuid::new_v4().simple()));
        let out = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_authd"));
        cmd.env_clear()
            .current_dir(dir)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start authd");
        let mut process = AuthdProcess { port, child, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!("authd exited with {status}: {}", process.log_text());
            }
            if status_of_get(port, "/healthz").await == Some(200) {
                return process;
            }
            assert!(
                Instant::now() < deadline,
                "authd did not answer: {}",
                process.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn address(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: no shutdown, no cleanup, as a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for AuthdProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The status of a GET, or None when nothing answers.
async fn status_of_get(port: u16, path: &str) -> Option<u16> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(2))
        .finish();
    client
        .get(format!("http://127.0.0.1:{port}{path}"))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}
