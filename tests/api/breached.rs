//! ASVS 6.2.12: new passwords are checked against known breaches, through
//! a local server speaking Have I Been Pwned's range API, or a sorted file.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use authd::password::breached::sha1_hex;
use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app_with};

const BREACHED: &str = "Breached-Horse-battery-77";
const UNBREACHED: &str = "velvet-Tundra-harbour-42";

/// One request the range server saw: its request line and its headers.
type Request = (String, Vec<String>);

/// What the range server saw.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Request>>>);

/// A range API on 127.0.0.1: `BREACHED` has a count, every other answer
/// carries padding lines (count 0), one of them `UNBREACHED`'s suffix.
fn range_server() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Seen::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line.trim().is_empty() {
                    break;
                }
                headers.push(line.trim().to_ascii_lowercase());
            }
            let prefix = request_line
                .split_whitespace()
                .nth(1)
                .and_then(|p| p.strip_prefix("/range/"))
                .unwrap_or("")
                .to_owned();
            log.0
                .lock()
                .unwrap()
                .push((request_line.trim().to_owned(), headers));
            let mut body = String::new();
            for (password, count) in [(BREACHED, 42), (UNBREACHED, 0)] {
                let hash = sha1_hex(password);
                if hash.starts_with(&prefix) {
                    body.push_str(&format!("{}:{count}\r\n", &hash[5..]));
                }
            }
            body.push_str("00000000000000000000000000000000000:0\r\n");
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, seen)
}

fn assert_breached(response: &crate::helpers::Response, field: &str) {
    response.assert_problem(422, "validation_failed");
    let errors = response.json()["errors"][field].clone();
    assert!(
        errors[0]
            .as_str()
            .is_some_and(|m| m.starts_with("password_breached")),
        "{errors}"
    );
}

#[actix_web::test]
async fn a_breached_password_is_refused_and_only_a_padded_prefix_leaves() {
    let (url, seen) = range_server();
    let app = spawn_app_with(&[
        ("AUTH_BREACHED_PASSWORDS", "api"),
        ("AUTH_BREACHED_PASSWORDS_API_URL", &url),
    ])
    .await;
    assert_breached(&app.register("ada@example.com", BREACHED).await, "password");
    let accepted = app.register("ada@example.com", UNBREACHED).await;
    assert_eq!(accepted.status, 202, "{}", accepted.json());

    let seen = seen.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for (line, headers) in &seen {
        let prefix = line
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.strip_prefix("/range/"))
            .unwrap_or_else(|| panic!("{line}"));
        assert_eq!(prefix.len(), 5, "{line}");
        assert!(prefix.chars().all(|c| c.is_ascii_hexdigit()), "{line}");
        assert!(
            headers.iter().any(|h| h == "add-padding: true"),
            "{headers:?}"
        );
    }
    assert!(seen[0].0.contains(&sha1_hex(BREACHED)[..5]));
}

#[actix_web::test]
async fn a_breached_new_password_is_refused_on_change() {
    let (url, _seen) = range_server();
    let app = spawn_app_with(&[
        ("AUTH_BREACHED_PASSWORDS", "api"),
        ("AUTH_BREACHED_PASSWORDS_API_URL", &url),
    ])
    .await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let refused = app
        .post_auth(
            "/v1/auth/password/change",
            &tokens.access,
            Some(json!({"current_password": PASSWORD, "new_password": BREACHED})),
        )
        .await;
    assert_breached(&refused, "new_password");
}

/// A port nothing listens on.
fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

#[actix_web::test]
async fn an_unreachable_api_fails_open_by_default() {
    let url = dead_url();
    let app = spawn_app_with(&[
        ("AUTH_BREACHED_PASSWORDS", "api"),
        ("AUTH_BREACHED_PASSWORDS_API_URL", &url),
    ])
    .await;
    let accepted = app.register("ada@example.com", BREACHED).await;
    assert_eq!(accepted.status, 202, "{}", accepted.json());
}

#[actix_web::test]
async fn an_unreachable_api_fails_closed_when_asked() {
    let url = dead_url();
    let app = spawn_app_with(&[
        ("AUTH_BREACHED_PASSWORDS", "api"),
        ("AUTH_BREACHED_PASSWORDS_API_URL", &url),
        ("AUTH_BREACHED_PASSWORDS_FAIL", "closed"),
    ])
    .await;
    app.register("ada@example.com", UNBREACHED)
        .await
        .assert_problem(503, "service_unavailable");
}

#[actix_web::test]
async fn a_sorted_file_refuses_the_passwords_it_lists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pwned.txt");
    let mut lines: Vec<String> = (0..3000)
        .map(|i| format!("{}:{}", sha1_hex(&format!("filler-{i}")), i + 1))
        .chain([format!("{}:7", sha1_hex(BREACHED))])
        .collect();
    lines.sort();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let mode = format!("file:{}", path.display());
    let app = spawn_app_with(&[("AUTH_BREACHED_PASSWORDS", &mode)]).await;
    assert_breached(&app.register("ada@example.com", BREACHED).await, "password");
    let accepted = app.register("ada@example.com", UNBREACHED).await;
    assert_eq!(accepted.status, 202, "{}", accepted.json());
}

#[actix_web::test]
async fn a_breached_new_password_is_refused_on_reset() {
    let (url, _seen) = range_server();
    let app = spawn_app_with(&[
        ("AUTH_BREACHED_PASSWORDS", "api"),
        ("AUTH_BREACHED_PASSWORDS_API_URL", &url),
    ])
    .await;
    let user = app.verified_user().await;
    app.post(
        "/v1/auth/password-reset/request",
        json!({"email": user.email}),
    )
    .await
    .assert_status(202);
    let token = app.mail_to(&user.email).await.token();
    let refused = app
        .post(
            "/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": BREACHED}),
        )
        .await;
    assert_breached(&refused, "new_password");
}

#[actix_web::test]
async fn create_admin_refuses_a_breached_password() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pwned.txt");
    std::fs::write(&path, format!("{}:3\n", sha1_hex(BREACHED))).unwrap();
    let mode = format!("file:{}", path.display());
    let app = spawn_app_with(&[("AUTH_BREACHED_PASSWORDS", &mode)]).await;
    let vars = crate::cli::app_vars(&app);
    let (code, _, stderr) = crate::cli::authd(
        &vars,
        &["create-admin", "--email", "boss@example.com"],
        Some(BREACHED),
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("known data breaches"), "{stderr}");
    app.login("boss@example.com", BREACHED)
        .await
        .assert_problem(401, "invalid_credentials");
    let (code, _, stderr) = crate::cli::authd(
        &vars,
        &["create-admin", "--email", "boss@example.com"],
        Some(UNBREACHED),
    );
    assert_eq!(code, 0, "{stderr}");
}
