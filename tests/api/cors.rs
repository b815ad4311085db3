//! Issue #14 item 3: CORS that explains itself. A preflight from an origin
//! that `AUTH_CORS_ORIGINS` does not list is 403 `forbidden` naming the
//! origin and the variable; a listed origin's preflight still succeeds.

use crate::helpers::spawn_app_with;

const LISTED: &str = "https://app.example.test";

fn preflight(origin: &str) -> [(&str, &str); 3] {
    [
        ("Origin", origin),
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "content-type"),
    ]
}

#[actix_web::test]
async fn a_preflight_from_an_unlisted_origin_is_forbidden_and_says_how_to_allow_it() {
    let app = spawn_app_with(&[("AUTH_CORS_ORIGINS", LISTED)]).await;
    let origin = "http://localhost:3000";
    let refused = app
        .request("OPTIONS", "/v1/auth/login", None, None, &preflight(origin))
        .await;
    refused.assert_problem(403, "forbidden");
    let detail = refused.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains(origin), "{detail}");
    assert!(detail.contains("AUTH_CORS_ORIGINS"), "{detail}");
    assert!(refused.header("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn with_no_origins_configured_every_preflight_is_forbidden() {
    let app = spawn_app_with(&[]).await;
    let refused = app
        .request("OPTIONS", "/v1/auth/login", None, None, &preflight(LISTED))
        .await;
    refused.assert_problem(403, "forbidden");
    let detail = refused.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains(LISTED), "{detail}");
    assert!(detail.contains("AUTH_CORS_ORIGINS"), "{detail}");
}

#[actix_web::test]
async fn a_preflight_from_a_listed_origin_still_succeeds() {
    let app = spawn_app_with(&[(
        "AUTH_CORS_ORIGINS",
        "http://localhost:5173,https://app.example.test",
    )])
    .await;
    let allowed = app
        .request("OPTIONS", "/v1/auth/login", None, None, &preflight(LISTED))
        .await;
    assert!(
        (200..300).contains(&allowed.status),
        "{} {}",
        allowed.status,
        String::from_utf8_lossy(&allowed.body)
    );
    assert_eq!(
        allowed.header("access-control-allow-origin").as_deref(),
        Some(LISTED)
    );
    // The real request from that origin is answered with the header too.
    let login = app
        .request(
            "POST",
            "/v1/auth/login",
            None,
            Some(
                &serde_json::json!({"email": "nobody@example.com", "password": "Wrong-passw0rd!"}),
            ),
            &[("Origin", LISTED)],
        )
        .await;
    login.assert_problem(401, "invalid_credentials");
    assert_eq!(
        login.header("access-control-allow-origin").as_deref(),
        Some(LISTED)
    );
}
