//! The binary: configuration errors, create-admin, openapi, keygen.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

pub(crate) fn authd(
    vars: &[(&str, &str)],
    args: &[&str],
    stdin: Option<&str>,
) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_authd"));
    cmd.env_clear()
        .current_dir(dir.path())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run authd");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    // A command that should end but serves instead (a regression) is
    // killed after a minute, so the test fails rather than hangs.
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let pid = child.id().to_string();
    let watchdog = std::thread::spawn(move || {
        if wait
            .recv_timeout(std::time::Duration::from_secs(60))
            .is_err()
        {
            let _ = Command::new("kill").args(["-9", &pid]).status();
        }
    });
    let out = child.wait_with_output().unwrap();
    let _ = done.send(());
    watchdog.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub(crate) fn app_vars(app: &TestApp) -> Vec<(&str, &str)> {
    app.vars
        .iter()
        .filter(|(k, _)| k.as_str() != "AUTH_BIND")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[actix_web::test]
async fn bad_configuration_exits_2_with_one_line_naming_the_variable() {
    for (var, value) in [
        ("AUTH_JWT_ALG", "none"),
        ("AUTH_BCRYPT_COST", "99"),
        ("AUTH_RATE_LOGIN_PER_IP", "lots"),
        ("AUTH_TRUSTED_PROXIES", "not-an-ip"),
    ] {
        let (code, _, stderr) = authd(&[(var, value)], &["serve"], None);
        assert_eq!(code, 2, "{var}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(var), "{stderr}");
    }
    let (code, _, stderr) = authd(
        &[("AUTH_JWT_ALG", "HS256"), ("AUTH_JWT_SECRET", "short")],
        &["serve"],
        None,
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("AUTH_JWT_SECRET"), "{stderr}");
}

/// A key file that cannot be read names its own variable: the signing key,
/// or the list of verification keys.
#[actix_web::test]
async fn an_unreadable_key_file_exits_2_naming_its_variable() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a key").unwrap();
    let garbage = garbage.display().to_string();
    let database = format!("sqlite://{}/authd.db", dir.path().display());
    let signing = dir.path().join("signing.pem").display().to_string();
    for (vars, named, not_named) in [
        (
            vec![("AUTH_JWT_KEY_FILE", garbage.as_str())],
            "AUTH_JWT_KEY_FILE",
            "AUTH_JWT_VERIFY_KEY_FILES",
        ),
        (
            vec![
                ("AUTH_JWT_KEY_FILE", signing.as_str()),
                ("AUTH_JWT_VERIFY_KEY_FILES", garbage.as_str()),
            ],
            "AUTH_JWT_VERIFY_KEY_FILES",
            "AUTH_JWT_KEY_FILE:",
        ),
    ] {
        let mut vars = vars;
        vars.push(("DATABASE_URL", &database));
        vars.push(("AUTH_BIND", "127.0.0.1:0"));
        let (code, _, stderr) = authd(&vars, &["serve"], None);
        assert_eq!(code, 2, "{named}: {stderr}");
        assert!(stderr.contains(named), "{stderr}");
        assert!(!stderr.contains(not_named), "{stderr}");
    }
    // A key file that exists but cannot be read (a folder here: root reads
    // any file) is an error, not a reason to make a new key: only a
    // missing one is created.
    let folder = dir.path().join("a-folder.pem");
    std::fs::create_dir(&folder).unwrap();
    let folder = folder.display().to_string();
    let vars = [
        ("AUTH_JWT_KEY_FILE", folder.as_str()),
        ("DATABASE_URL", &database),
        ("AUTH_BIND", "127.0.0.1:0"),
    ];
    let (code, _, stderr) = authd(&vars, &["serve"], None);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot read {folder}")),
        "{stderr}"
    );
}

#[actix_web::test]
async fn an_unreachable_database_at_start_exits_2_naming_it() {
    let (code, _, stderr) = authd(
        &[
            ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/nothing"),
            ("AUTH_BIND", "127.0.0.1:0"),
        ],
        &["serve"],
        None,
    );
    assert_eq!(code, 2, "{stderr}");
    let last = stderr.trim().lines().last().unwrap_or_default();
    assert!(last.contains("DATABASE_URL"), "{stderr}");
}

#[actix_web::test]
async fn create_admin_then_login() {
    let app = spawn_app().await;
    let vars = app_vars(&app);
    let (code, stdout, stderr) = authd(
        &vars,
        &["create-admin", "--email", "Boss@Example.com"],
        Some(PASSWORD),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("created admin boss@example.com"),
        "{stdout}"
    );

    let tokens = app.login("boss@example.com", PASSWORD).await;
    assert_eq!(tokens.status, 200);
    assert_eq!(tokens.json()["user"]["roles"], serde_json::json!(["admin"]));
    let access = tokens.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/v1/admin/users", Some(&access)).await.status, 200);
}

#[actix_web::test]
async fn create_admin_refuses_a_weak_password_and_promotes_existing_users() {
    let app = spawn_app().await;
    let vars = app_vars(&app);
    let (code, _, stderr) = authd(
        &vars,
        &["create-admin", "--email", "weak@example.com"],
        Some("password"),
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("password"), "{stderr}");
    app.login("weak@example.com", "password")
        .await
        .assert_problem(401, "invalid_credentials");

    let (code, _, stderr) = authd(
        &vars,
        &["create-admin", "--email", "not-an-email"],
        Some(PASSWORD),
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("email"), "{stderr}");

    let user = app.verified_user().await;
    let before = app.login_user(&user).await;
    let me = |access: String| {
        let app = &app;
        async move { app.get("/v1/me", Some(&access)).await.json()["roles"].clone() }
    };
    // The running server now has the user cached.
    assert_eq!(
        me(before.access.clone()).await,
        serde_json::json!(["viewer"])
    );
    let (code, stdout, stderr) = authd(&vars, &["create-admin", "--email", &user.email], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("admin role"), "{stdout}");
    if app.state.store.kind() == "redis" {
        // Published through Redis: the server's cached user is stale no more
        // (with the in-process store it is within the cache's 30 s).
        assert_eq!(
            me(before.access.clone()).await,
            serde_json::json!(["admin", "viewer"])
        );
    }
    let tokens = app.login_user(&user).await;
    assert_eq!(
        tokens.body["user"]["roles"],
        serde_json::json!(["admin", "viewer"])
    );
}

#[actix_web::test]
async fn migrate_and_openapi_commands_work() {
    let app = spawn_app().await;
    let (code, stdout, stderr) = authd(&app_vars(&app), &["migrate"], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("up to date"));
    let (code, stdout, _) = authd(&[], &["openapi"], None);
    assert_eq!(code, 0);
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap();
    assert!(
        stdout == checked_in,
        "openapi/openapi.json is stale: regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
}

/// The book's generated references (configuration variables, error codes,
/// CLI, metrics) are what `authd docs` writes now, as the OpenAPI document
/// is: the docs cannot drift from the code. Needs no configuration, even a
/// broken one.
#[actix_web::test]
async fn docs_command_writes_the_checked_in_references() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reference");
    let (code, stdout, stderr) = authd(
        &[("AUTH_JWT_ALG", "nope")],
        &["docs", out.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    let reference = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reference");
    for page in ["variables.md", "errors.md", "cli.md", "metrics.md"] {
        assert!(stdout.contains(page), "{stdout}");
        let written = std::fs::read_to_string(out.join(page)).unwrap();
        let checked_in = std::fs::read_to_string(format!("{reference}/{page}")).unwrap_or_default();
        assert!(
            written == checked_in,
            "docs/reference/{page} is stale: regenerate it with `cargo run -- docs docs/reference`"
        );
    }
}

/// `authd migrate` says what it did in one line: how many migrations ran,
/// or that there were none.
#[actix_web::test]
async fn migrate_prints_one_line_saying_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let vars = [("DATABASE_URL", url.as_str())];
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count();

    let (code, stdout, stderr) = authd(&vars, &["migrate"], None);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!("applied {migrations} migrations; the database is up to date\n")
    );
    let (code, stdout, stderr) = authd(&vars, &["migrate"], None);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "the database is up to date: no pending migrations\n"
    );
}

/// `authd --help` says that settings come from the environment (and
/// `.env`) and where they are described.
#[actix_web::test]
async fn help_says_where_configuration_comes_from() {
    let (code, stdout, stderr) = authd(&[], &["--help"], None);
    assert_eq!(code, 0, "{stderr}");
    for says in [
        "environment variables",
        ".env",
        "docs/reference/configuration.md",
        "\"Configuration\"",
        "15m",
        "/docs",
    ] {
        assert!(stdout.contains(says), "--help lacks {says:?}:\n{stdout}");
    }
}

/// Logs piped to a file or a collector carry no ANSI colour codes, and no
/// actix-server start-up chatter; the start line gives the URL and the docs.
#[actix_web::test]
async fn piped_logs_have_no_colour_and_the_start_line_gives_the_url() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_authd"))
        .env_clear()
        .env("AUTH_BIND", "127.0.0.1:0")
        .current_dir(dir.path())
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let done = line.contains("authd listening");
            seen.push(line);
            if done {
                let _ = tx.send(seen);
                return;
            }
        }
    });
    let lines = rx.recv_timeout(std::time::Duration::from_secs(20));
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
    let lines = lines.expect("authd logged its start line");
    let all = lines.join("\n");
    assert!(
        !all.contains('\x1b'),
        "ANSI escape codes in piped logs:\n{all}"
    );
    assert!(!all.contains("Actix runtime found"), "{all}");
    assert!(!all.contains("starting service"), "{all}");
    let start = lines.last().cloned().unwrap_or_default();
    let port = start
        .split_whitespace()
        .find_map(|field| field.strip_prefix("port="))
        .expect("a port field");
    assert!(
        start.contains(&format!("url=http://127.0.0.1:{port} ")),
        "{start}"
    );
    assert!(
        start.contains(&format!("docs=http://127.0.0.1:{port}/docs")),
        "{start}"
    );
}

#[actix_web::test]
async fn keygen_writes_an_owner_only_key_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.pem").display().to_string();
    let (code, stdout, stderr) = authd(&[], &["keygen", "--out", &path], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("kid"), "{stdout}");
    let pem = std::fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let (code, _, _) = authd(&[], &["keygen", "--out", &path], None);
    assert_ne!(code, 0);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pem);
    let (code, _, _) = authd(&[], &["keygen", "--out", &path, "--force"], None);
    assert_eq!(code, 0);
    assert_ne!(std::fs::read_to_string(&path).unwrap(), pem);
    // Folders that do not exist yet are made.
    let nested = dir.path().join("keys/2026/k.pem");
    let nested = nested.display().to_string();
    let (code, _, stderr) = authd(&[], &["keygen", "--out", &nested], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        std::fs::read_to_string(&nested)
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
}

#[actix_web::test]
async fn serve_on_defaults_creates_data_and_answers_healthz() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    // Port 0, read back from the start line: no port is freed and re-bound.
    let mut child = Command::new(env!("CARGO_BIN_EXE_authd"))
        .env_clear()
        .env("AUTH_BIND", "127.0.0.1:0")
        .env("AUTH_LOG_FORMAT", "json")
        .current_dir(dir.path())
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if v["message"] == "authd listening" {
                let _ = tx.send(v);
            }
        }
    });
    let start = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("authd logged the port it listens on");
    let port = start["port"].as_u64().unwrap_or_default();
    assert_eq!(start["url"], format!("http://127.0.0.1:{port}"), "{start}");
    assert_eq!(
        start["docs"],
        format!("http://127.0.0.1:{port}/docs"),
        "{start}"
    );
    let client = awc::Client::default();
    let mut r = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    let ok = r.status() == 200 && r.body().await.unwrap() == r#"{"status":"ok"}"#;
    // SIGTERM: a graceful stop with exit code 0.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let status = child.wait().unwrap();
    assert!(ok, "healthz did not answer");
    assert!(status.success(), "{status:?}");
    assert!(dir.path().join("data/authd.db").exists());
    assert!(dir.path().join("data/jwt-ed25519.pem").exists());
}

/// Configuration: a `.env` file in the working directory is read first,
/// variables already set win over it, and an empty value counts as unset.
#[actix_web::test]
async fn a_dot_env_file_is_read_and_the_environment_wins_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_authd"));
        cmd.env_clear()
            .current_dir(dir.path())
            .arg("migrate")
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("authd.db").display()),
            )
            .stdin(Stdio::null());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    std::fs::write(dir.path().join(".env"), "AUTH_BCRYPT_COST=99\n").unwrap();
    let (code, stderr) = run(&[]);
    assert_eq!(code, 2, "the .env value was read: {stderr}");
    assert!(stderr.contains("AUTH_BCRYPT_COST"), "{stderr}");
    let (code, stderr) = run(&[("AUTH_BCRYPT_COST", "10")]);
    assert_eq!(code, 0, "the environment wins over .env: {stderr}");

    std::fs::write(dir.path().join(".env"), "").unwrap();
    let (code, stderr) = run(&[("AUTH_BCRYPT_COST", "")]);
    assert_eq!(code, 0, "an empty value is the default: {stderr}");
    let (code, stderr) = run(&[("AUTH_BCRYPT_COST", "99")]);
    assert_eq!(code, 2, "{stderr}");
}
