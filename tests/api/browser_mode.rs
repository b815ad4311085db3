//! Issue #16 / API.md §10: the refresh token in an HttpOnly `__Host-` cookie,
//! and the CSRF rules that guard it.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Response, TestApp, TestUser, spawn_app_with};

const SPA: &str = "http://localhost:5173";
const COOKIE: &str = "__Host-authd_refresh";
const MODE: (&str, &str) = ("X-Authd-Transport", "cookie");

async fn app() -> TestApp {
    spawn_app_with(&[("AUTH_CORS_ORIGINS", SPA)]).await
}

/// The `__Host-authd_refresh` Set-Cookie line of a response.
fn set_cookie(response: &Response) -> String {
    let lines: Vec<String> = response
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with(&format!("{COOKIE}=")))
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 1, "one refresh cookie line: {lines:?}");
    lines[0].clone()
}

/// The cookie's value and its attributes, lower-cased by name.
fn parse(line: &str) -> (String, Vec<String>) {
    let mut parts = line.split(';').map(str::trim);
    let value = parts
        .next()
        .unwrap()
        .strip_prefix(&format!("{COOKIE}="))
        .unwrap()
        .to_owned();
    (value, parts.map(str::to_owned).collect())
}

fn cookie_header(value: &str) -> String {
    format!("{COOKIE}={value}")
}

async fn cookie_login(app: &TestApp, user: &TestUser) -> (Response, String) {
    let response = app
        .request(
            "POST",
            "/v1/auth/login",
            None,
            Some(&json!({"email": user.email, "password": user.password})),
            &[MODE, ("Origin", SPA)],
        )
        .await;
    response.assert_status(200);
    let (value, _) = parse(&set_cookie(&response));
    (response, value)
}

async fn cookie_refresh(app: &TestApp, cookie: &str, extra: &[(&str, &str)]) -> Response {
    let cookie = cookie_header(cookie);
    let mut headers = vec![MODE, ("Cookie", cookie.as_str())];
    headers.extend_from_slice(extra);
    app.request("POST", "/v1/auth/refresh", None, None, &headers)
        .await
}

#[actix_web::test]
async fn login_in_cookie_mode_sets_the_host_cookie_with_every_attribute_and_no_token_in_the_body() {
    let app = app().await;
    let user = app.verified_user().await;
    let (response, value) = cookie_login(&app, &user).await;
    let body = response.json();
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["email"], user.email.as_str());

    let (_, attributes) = parse(&set_cookie(&response));
    for expected in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(
            attributes.iter().any(|a| a == expected),
            "{expected} missing from {attributes:?}"
        );
    }
    assert!(
        !attributes
            .iter()
            .any(|a| a.to_ascii_lowercase().starts_with("domain")),
        "{attributes:?}"
    );
    let max_age: i64 = attributes
        .iter()
        .find_map(|a| a.strip_prefix("Max-Age="))
        .expect("Max-Age")
        .parse()
        .unwrap();
    let ttl = body["refresh_expires_in"].as_i64().unwrap();
    assert!((ttl - 5..=ttl).contains(&max_age), "{max_age} vs {ttl}");
    // The cookie is a working refresh token; the access token works too.
    let access = body["access_token"].as_str().unwrap();
    app.get("/v1/me", Some(access)).await.assert_status(200);
    app.refresh(&value).await.assert_status(200);
    // CORS lets the listed origin read the answer with credentials.
    assert_eq!(
        response.header("access-control-allow-origin").as_deref(),
        Some(SPA)
    );
    assert_eq!(
        response
            .header("access-control-allow-credentials")
            .as_deref(),
        Some("true")
    );
}

#[actix_web::test]
async fn body_mode_is_unchanged_and_sets_no_cookie() {
    let app = app().await;
    let user = app.verified_user().await;
    let response = app.login(&user.email, &user.password).await;
    response.assert_status(200);
    assert!(response.json()["refresh_token"].as_str().is_some());
    assert!(response.header("set-cookie").is_none());
}

#[actix_web::test]
async fn refresh_by_cookie_rotates_it_and_the_grace_window_returns_the_same_value() {
    let app = app().await;
    let user = app.verified_user().await;
    let (_, first) = cookie_login(&app, &user).await;

    let a = cookie_refresh(&app, &first, &[("Origin", SPA)]).await;
    a.assert_status(200);
    let body = a.json();
    assert!(body.get("refresh_token").is_none(), "{body}");
    let (second, _) = parse(&set_cookie(&a));
    assert_ne!(second, first);
    app.get("/v1/me", body["access_token"].as_str())
        .await
        .assert_status(200);

    // `{}` as the body is accepted as well; within the grace window the
    // spent cookie gets the same successor back.
    let cookie = cookie_header(&first);
    let b = app
        .request(
            "POST",
            "/v1/auth/refresh",
            None,
            Some(&json!({})),
            &[MODE, ("Cookie", cookie.as_str())],
        )
        .await;
    b.assert_status(200);
    assert_eq!(parse(&set_cookie(&b)).0, second);

    // The successor works in its turn.
    let c = cookie_refresh(&app, &second, &[]).await;
    c.assert_status(200);
    assert_ne!(parse(&set_cookie(&c)).0, second);
}

#[actix_web::test]
async fn reusing_an_old_cookie_after_the_grace_window_revokes_the_session() {
    let app = spawn_app_with(&[
        ("AUTH_CORS_ORIGINS", SPA),
        ("AUTH_REFRESH_REUSE_GRACE", "1"),
    ])
    .await;
    let user = app.verified_user().await;
    let (_, first) = cookie_login(&app, &user).await;
    let rotated = cookie_refresh(&app, &first, &[]).await;
    rotated.assert_status(200);
    let (second, _) = parse(&set_cookie(&rotated));
    let access = rotated.json()["access_token"].as_str().unwrap().to_owned();

    tokio::time::sleep(Duration::from_millis(1300)).await;
    cookie_refresh(&app, &first, &[])
        .await
        .assert_problem(401, "refresh_token_reused");
    cookie_refresh(&app, &second, &[])
        .await
        .assert_problem(401, "session_revoked");
    app.get("/v1/me", Some(&access))
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn refresh_in_cookie_mode_without_a_cookie_is_invalid_token() {
    let app = app().await;
    app.request("POST", "/v1/auth/refresh", None, None, &[MODE])
        .await
        .assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn an_unknown_transport_value_is_a_validation_error() {
    let app = app().await;
    let user = app.verified_user().await;
    let refused = app
        .request(
            "POST",
            "/v1/auth/login",
            None,
            Some(&json!({"email": user.email, "password": user.password})),
            &[("X-Authd-Transport", "carrier-pigeon")],
        )
        .await;
    refused.assert_problem(422, "validation_failed");
    assert!(refused.json()["errors"]["X-Authd-Transport"].is_array());
}

/// Each CSRF refusal is 403 `forbidden`, and the cookie is left as it was:
/// no session is touched, the cookie still refreshes afterwards.
#[actix_web::test]
async fn the_cookie_without_the_header_is_refused() {
    let app = app().await;
    let user = app.verified_user().await;
    let (_, value) = cookie_login(&app, &user).await;
    let cookie = cookie_header(&value);
    let refused = app
        .request(
            "POST",
            "/v1/auth/refresh",
            None,
            None,
            &[("Cookie", cookie.as_str()), ("Origin", SPA)],
        )
        .await;
    refused.assert_problem(403, "forbidden");
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap()
            .contains("X-Authd-Transport")
    );
    assert!(refused.header("set-cookie").is_none());
    cookie_refresh(&app, &value, &[]).await.assert_status(200);
}

#[actix_web::test]
async fn a_simple_form_post_with_the_cookie_is_refused() {
    let app = app().await;
    let user = app.verified_user().await;
    let (_, value) = cookie_login(&app, &user).await;
    let cookie = cookie_header(&value);
    for origin in [SPA, "https://evil.example"] {
        let refused = app
            .raw_with(
                "/v1/auth/refresh",
                "application/x-www-form-urlencoded",
                "refresh_token=x",
                &[("Cookie", cookie.as_str()), ("Origin", origin)],
            )
            .await;
        refused.assert_problem(403, "forbidden");
        assert!(refused.header("set-cookie").is_none());
    }
    cookie_refresh(&app, &value, &[]).await.assert_status(200);
}

/// The admin console is served from authd's own origin (the issuer's):
/// cookie mode accepts that origin while the console is on, unlisted.
#[actix_web::test]
async fn cookie_mode_from_the_consoles_own_origin_needs_no_listing_while_it_is_served() {
    let issuer = "https://id.example.test";
    for (console, expected) in [("true", 200), ("false", 403)] {
        let app = spawn_app_with(&[
            ("AUTH_ISSUER", issuer),
            ("AUTH_CORS_ORIGINS", SPA),
            ("AUTH_ADMIN_CONSOLE", console),
        ])
        .await;
        let user = app.verified_user().await;
        let login = app
            .request(
                "POST",
                "/v1/auth/login",
                None,
                Some(&json!({"email": user.email, "password": user.password})),
                &[MODE, ("Origin", issuer)],
            )
            .await;
        assert_eq!(
            login.status,
            expected,
            "console {console}: {}",
            login.detail()
        );
        // Another port of the same host is another origin.
        let (_, value) = cookie_login(&app, &user).await;
        cookie_refresh(&app, &value, &[("Origin", "https://id.example.test:444")])
            .await
            .assert_problem(403, "forbidden");
    }
}

#[actix_web::test]
async fn cookie_mode_from_a_foreign_or_null_origin_is_refused() {
    let app = app().await;
    let user = app.verified_user().await;
    let (_, value) = cookie_login(&app, &user).await;
    for origin in ["https://evil.example", "null", "http://localhost:5174"] {
        let refused = cookie_refresh(&app, &value, &[("Origin", origin)]).await;
        refused.assert_problem(403, "forbidden");
        assert!(
            refused.json()["detail"]
                .as_str()
                .unwrap()
                .contains("AUTH_CORS_ORIGINS")
        );
        assert!(refused.header("set-cookie").is_none());
        assert!(refused.header("access-control-allow-credentials").is_none());

        // Login in cookie mode from there is refused before any password check.
        let login = app
            .request(
                "POST",
                "/v1/auth/login",
                None,
                Some(&json!({"email": user.email, "password": user.password})),
                &[MODE, ("Origin", origin)],
            )
            .await;
        login.assert_problem(403, "forbidden");
        assert!(login.header("set-cookie").is_none());
    }
    // The cookie itself was never spent by the refused requests.
    cookie_refresh(&app, &value, &[]).await.assert_status(200);
}

#[actix_web::test]
async fn a_wildcard_cors_list_never_allows_cookie_mode_or_credentials() {
    let app = spawn_app_with(&[("AUTH_CORS_ORIGINS", "*")]).await;
    let user = app.verified_user().await;
    let login = app
        .request(
            "POST",
            "/v1/auth/login",
            None,
            Some(&json!({"email": user.email, "password": user.password})),
            &[MODE, ("Origin", SPA)],
        )
        .await;
    login.assert_problem(403, "forbidden");
    assert!(login.header("access-control-allow-credentials").is_none());
}

#[actix_web::test]
async fn a_preflight_names_the_transport_header_and_allows_credentials() {
    let app = app().await;
    let allowed = app
        .request(
            "OPTIONS",
            "/v1/auth/refresh",
            None,
            None,
            &[
                ("Origin", SPA),
                ("Access-Control-Request-Method", "POST"),
                (
                    "Access-Control-Request-Headers",
                    "content-type,x-authd-transport",
                ),
            ],
        )
        .await;
    assert!((200..300).contains(&allowed.status), "{}", allowed.status);
    assert_eq!(
        allowed.header("access-control-allow-origin").as_deref(),
        Some(SPA)
    );
    assert_eq!(
        allowed
            .header("access-control-allow-credentials")
            .as_deref(),
        Some("true")
    );
    let headers = allowed
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in ["authorization", "content-type", "x-authd-transport"] {
        assert!(headers.contains(name), "{name} not in {headers}");
    }
    assert!(!headers.contains('*'), "{headers}");
}

#[actix_web::test]
async fn logout_and_logout_all_clear_the_cookie() {
    let app = app().await;
    let user = app.verified_user().await;
    for path in ["/v1/auth/logout", "/v1/auth/logout-all"] {
        let (login, value) = cookie_login(&app, &user).await;
        let access = login.json()["access_token"].as_str().unwrap().to_owned();
        let out = app
            .request("POST", path, Some(&access), None, &[MODE, ("Origin", SPA)])
            .await;
        out.assert_status(204);
        let (cleared, attributes) = parse(&set_cookie(&out));
        assert_eq!(cleared, "");
        for expected in ["Max-Age=0", "Path=/", "Secure"] {
            assert!(attributes.iter().any(|a| a == expected), "{attributes:?}");
        }
        cookie_refresh(&app, &value, &[])
            .await
            .assert_problem(401, "session_revoked");
    }
}

#[actix_web::test]
async fn the_cookie_lives_no_longer_than_the_session() {
    let app = spawn_app_with(&[("AUTH_CORS_ORIGINS", SPA), ("AUTH_SESSION_MAX_AGE", "120")]).await;
    let user = app.verified_user().await;
    let (login, first) = cookie_login(&app, &user).await;
    assert_eq!(login.json()["refresh_expires_in"], 120);
    let max_age = |response: &Response| -> i64 {
        parse(&set_cookie(response))
            .1
            .iter()
            .find_map(|a| a.strip_prefix("Max-Age="))
            .expect("Max-Age")
            .parse()
            .unwrap()
    };
    assert!(
        (115..=120).contains(&max_age(&login)),
        "{}",
        max_age(&login)
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let refreshed = cookie_refresh(&app, &first, &[]).await;
    refreshed.assert_status(200);
    let left = max_age(&refreshed);
    assert!((110..120).contains(&left), "{left}");
    assert!(refreshed.json()["refresh_expires_in"].as_i64().unwrap() < 120);
}
