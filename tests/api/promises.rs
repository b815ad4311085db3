//! README promises that had no test of their own: each test names the
//! section it holds to.

use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with};

/// Choices and deviations (j): HEAD on a GET route is 405 with `Allow: GET`.
#[actix_web::test]
async fn head_on_a_get_route_is_405_allowing_get() {
    let app = spawn_app().await;
    for (path, allow) in [
        ("/healthz", "GET"),
        ("/.well-known/jwks.json", "GET"),
        ("/v1/admin/roles", "GET"),
        // A route with more methods lists them all, and still not HEAD.
        ("/v1/me", "GET, PATCH, DELETE"),
    ] {
        let head = app.request("HEAD", path, None, None, &[]).await;
        assert_eq!(head.status, 405, "{path}");
        assert_eq!(head.header("allow").as_deref(), Some(allow), "{path}");
        // A HEAD answer has no body; another wrong method on the same route
        // shows the problem code that goes with it.
        let put = app.request("PUT", path, None, None, &[]).await;
        put.assert_problem(405, "method_not_allowed");
        assert_eq!(put.header("allow").as_deref(), Some(allow), "{path}");
    }
}

/// Other choices: JSON bodies may use any `application/*+json` type; others
/// are 415.
#[actix_web::test]
async fn bodies_typed_application_plus_json_are_read_as_json() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let body =
        serde_json::to_vec(&json!({"email": user.email, "password": user.password})).unwrap();
    for content_type in [
        "application/vnd.api+json",
        "application/merge-patch+json; charset=utf-8",
    ] {
        let login = app
            .raw("POST", "/v1/auth/login", Some(content_type), body.clone())
            .await;
        login.assert_status(200);
        assert!(login.json()["access_token"].is_string(), "{content_type}");
    }
    for content_type in ["text/plain", "application/jsonx", "application/xml"] {
        app.raw("POST", "/v1/auth/login", Some(content_type), body.clone())
            .await
            .assert_problem(415, "unsupported_media_type");
    }
}

/// Tokens, signing: the JWKS is served with `Cache-Control: max-age=300`.
#[actix_web::test]
async fn the_jwks_may_be_cached_for_five_minutes() {
    let app = spawn_app().await;
    let jwks = app.get("/.well-known/jwks.json", None).await;
    jwks.assert_status(200);
    let cache = jwks.header("cache-control").expect("Cache-Control");
    assert!(
        cache.split(',').map(str::trim).any(|d| d == "max-age=300"),
        "{cache}"
    );
    assert!(!cache.contains("no-store"), "{cache}");
}

/// Configuration: `AUTH_DEFAULT_ROLE` is the role of new users, and must
/// exist.
#[actix_web::test]
async fn new_users_get_the_configured_default_role() {
    let app = spawn_app_with(&[("AUTH_DEFAULT_ROLE", "editor")]).await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    assert_eq!(tokens.body["user"]["roles"], json!(["editor"]));
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    me.assert_status(200);
    assert_eq!(me.json()["roles"], json!(["editor"]));

    let mut vars = app.vars.clone();
    vars.insert("AUTH_DEFAULT_ROLE".into(), "superuser".into());
    let settings = authd::config::Settings::from_vars(&vars).expect("settings");
    let refused = authd::startup::Application::build(settings).await;
    let error = refused
        .err()
        .expect("an unknown default role stops the start");
    assert!(error.to_string().contains("AUTH_DEFAULT_ROLE"), "{error}");
}

/// Choices and deviations: a 500 says nothing internal and carries an
/// `error_id` (the log side is in `logs.rs`).
#[actix_web::test]
async fn a_broken_database_answers_500_with_an_error_id_and_nothing_internal() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    app.get("/v1/auth/sessions", Some(&tokens.access))
        .await
        .assert_status(200);
    // The table sessions live in goes missing under the server.
    app.state
        .db
        .run(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("ALTER TABLE sessions RENAME TO sessions_gone").execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let broken = app.get("/v1/auth/sessions", Some(&tokens.access)).await;
    broken.assert_problem(500, "internal_error");
    let error_id = broken.json()["error_id"]
        .as_str()
        .expect("error_id")
        .to_owned();
    assert!(uuid::Uuid::parse_str(&error_id).is_ok(), "{error_id}");
    let body = String::from_utf8_lossy(&broken.body).to_lowercase();
    for leak in ["sessions_gone", "sql", "diesel", "table"] {
        assert!(!body.contains(leak), "the 500 leaks {leak}: {body}");
    }
}

/// Choices and deviations (f): a malformed email on login, verification
/// resend and reset request is 422 `validation_failed`, naming `email`.
#[actix_web::test]
async fn a_malformed_email_is_422_on_login_resend_and_reset() {
    let app = spawn_app().await;
    for (path, body) in [
        (
            "/v1/auth/login",
            json!({"email": "not-an-email", "password": "correct-Horse-battery-9"}),
        ),
        (
            "/v1/auth/verify-email/resend",
            json!({"email": "not-an-email"}),
        ),
        (
            "/v1/auth/password-reset/request",
            json!({"email": "not-an-email"}),
        ),
    ] {
        let response = app.post(path, body).await;
        response.assert_problem(422, "validation_failed");
        assert!(response.json()["errors"]["email"].is_array(), "{path}");
    }
}

/// Other choices: the session list is newest first.
#[actix_web::test]
async fn the_session_list_is_newest_first() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let mut logins = Vec::new();
    for _ in 0..3 {
        logins.push(app.login_user(&user).await);
        // created_at has sub-second precision; keep the order unambiguous.
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let newest = logins.last().unwrap();
    let listed = app.get("/v1/auth/sessions", Some(&newest.access)).await;
    listed.assert_status(200);
    let sessions = listed.json()["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions[0]["current"], true, "the newest comes first");
    let created: Vec<&str> = sessions
        .iter()
        .map(|s| s["created_at"].as_str().unwrap())
        .collect();
    let mut sorted = created.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(created, sorted);
    // The oldest session, asking, is last.
    let oldest = app
        .get("/v1/auth/sessions", Some(&logins[0].access))
        .await
        .json();
    assert_eq!(oldest["sessions"][2]["current"], true);
}

/// Choices and deviations (k): a request whose head cannot be parsed (a NUL
/// byte in a header) gets the HTTP layer's empty 400, before any route runs.
#[actix_web::test]
async fn a_nul_byte_in_a_header_gets_an_empty_400() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\0b\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("an answer within 10 s")
    .unwrap();
    let answer = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(answer.starts_with("http/1.1 400"), "{answer}");
    assert!(answer.contains("content-length: 0"), "{answer}");
    assert!(!answer.contains("problem+json"), "{answer}");
}
