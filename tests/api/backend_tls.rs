//! ASVS 12.3.1: authd reaches PostgreSQL and Redis over TLS, verifying the
//! server against a CA it is given. Each test makes its own CA and server
//! certificate with the `openssl` CLI and starts private servers that speak
//! TLS only.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use authd::config::Settings;
use authd::startup::Application;

use crate::helpers::{missing_prerequisite, spawn_app_with};
use crate::private_services::{PrivatePostgres, free_port, postgres_bin_dir, wait_for_port};

/// A CA and a server certificate for 127.0.0.1 / localhost signed by it.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `ca.pem`, `server.pem` and `server.key` into `dir`.
fn make_pki(dir: &Path) -> Pki {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    let mut ca = vec!["req", "-x509", "-nodes", "-days", "2"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=authd test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req", "-nodes"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(dir, &csr);
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "server.pem",
            "-extfile",
            "server.ext",
        ],
    );
    Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    }
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A `redis-server` that speaks TLS only (`--port 0`); killed on drop.
struct TlsRedis {
    port: u16,
    child: Child,
}

impl TlsRedis {
    async fn start(pki: &Pki) -> TlsRedis {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--tls-cert-file")
            .arg(&pki.cert)
            .arg("--tls-key-file")
            .arg(&pki.key)
            .arg("--tls-ca-cert-file")
            .arg(&pki.ca)
            .args(["--tls-auth-clients", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let redis = TlsRedis { port, child };
        assert!(
            wait_for_port(port, Duration::from_secs(10)).await,
            "redis-server with TLS did not start"
        );
        redis
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private PostgreSQL that accepts TLS connections only.
fn tls_postgres(pki: &Pki) -> Option<PrivatePostgres> {
    PrivatePostgres::start_with(|dir| {
        std::fs::copy(&pki.cert, dir.join("server.pem")).unwrap();
        std::fs::copy(&pki.key, dir.join("server.key")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        std::fs::write(
            dir.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n\
             hostnossl all all 127.0.0.1/32 reject\n",
        )
        .unwrap();
        format!(
            "-c ssl=on -c ssl_cert_file={0}/server.pem -c ssl_key_file={0}/server.key -c hba_file={0}/pg_hba.conf",
            dir.display()
        )
    })
}

/// Registers, verifies and logs in a user: the backends work end to end.
async fn register_and_login(app: &crate::helpers::TestApp) {
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    assert_eq!(app.get("/v1/me", Some(&tokens.access)).await.status, 200);
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 200, "{:?}", ready.json());
}

/// What `Application::build` says for these variables on top of a default
/// SQLite test setup, when it fails.
async fn startup_error(dir: &Path, extra: &[(&str, &str)]) -> (String, String) {
    let mut vars: std::collections::HashMap<String, String> = [
        ("AUTH_BIND", "127.0.0.1:0".to_owned()),
        ("AUTH_BCRYPT_COST", "4".to_owned()),
        ("DATABASE_URL", "sqlite::memory:".to_owned()),
        (
            "AUTH_JWT_KEY_FILE",
            dir.join("key.pem").display().to_string(),
        ),
        ("AUTH_OUTBOX_DIR", dir.join("outbox").display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in extra {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    let settings = Settings::from_vars(&vars).expect("settings");
    match Application::build(settings).await {
        Ok(_) => panic!("authd started with {extra:?}"),
        Err(e) => (e.var.to_owned(), e.message),
    }
}

#[actix_web::test]
async fn redis_over_tls_with_a_private_ca() {
    if !have("openssl") || !have("redis-server") {
        return missing_prerequisite("openssl and redis-server");
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let redis = TlsRedis::start(&pki).await;
    let url = format!("rediss://127.0.0.1:{}", redis.port);
    let ca = pki.ca.display().to_string();
    let app = spawn_app_with(&[
        ("REDIS_URL", url.as_str()),
        ("AUTH_REDIS_PREFIX", "authd-tls-test:"),
        ("AUTH_REDIS_CA_FILE", ca.as_str()),
    ])
    .await;
    assert!(app.is_redis());
    register_and_login(&app).await;

    // Without the CA, the server's certificate is not trusted: authd
    // refuses to start and says why.
    let (var, message) = startup_error(dir.path(), &[("REDIS_URL", url.as_str())]).await;
    assert_eq!(var, "REDIS_URL", "{message}");
    assert!(message.to_lowercase().contains("certificate"), "{message}");
    // A CA file with a plaintext URL is a configuration mistake.
    let plain = format!("redis://127.0.0.1:{}", redis.port);
    let err = Settings::from_vars(
        &[
            ("REDIS_URL", plain.as_str()),
            ("AUTH_REDIS_CA_FILE", ca.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    )
    .unwrap_err();
    assert_eq!(err.var, "AUTH_REDIS_CA_FILE");
}

#[actix_web::test]
async fn postgres_over_tls_with_verify_full() {
    if !have("openssl") || postgres_bin_dir().is_none() {
        return missing_prerequisite("openssl and the PostgreSQL server binaries");
    }
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    // The cluster folder goes to the `postgres` user; the CA stays readable.
    let pg = tls_postgres(&pki).expect("PostgreSQL server binaries");
    let ca = pki.ca.display().to_string();
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=verify-full&sslrootcert={ca}",
        pg.port
    );
    let app = spawn_app_with(&[("DATABASE_URL", url.as_str())]).await;
    assert!(app.is_postgres());
    register_and_login(&app).await;

    // The server takes TLS only: a plaintext connection is refused, and
    // authd stops with a line naming DATABASE_URL.
    let plain = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
        pg.port
    );
    let (var, message) = startup_error(dir.path(), &[("DATABASE_URL", plain.as_str())]).await;
    assert_eq!(var, "DATABASE_URL", "{message}");
    assert!(message.contains("no encryption"), "{message}");
}

#[actix_web::test]
async fn sslmode_require_refuses_a_server_without_tls() {
    if postgres_bin_dir().is_none() {
        return missing_prerequisite("the PostgreSQL server binaries");
    }
    let dir = tempfile::tempdir().unwrap();
    let pg = PrivatePostgres::start().expect("PostgreSQL server binaries");
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=require",
        pg.port
    );
    let (var, message) = startup_error(dir.path(), &[("DATABASE_URL", url.as_str())]).await;
    assert_eq!(var, "DATABASE_URL", "{message}");
    assert!(message.contains("server does not support SSL"), "{message}");
}
