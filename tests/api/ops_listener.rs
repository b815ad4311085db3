//! ASVS 13.4.5: with `AUTH_OPS_BIND`, metrics and docs live on a second
//! listener; the public port exposes only the API and the probes.

use crate::helpers::{spawn_app, spawn_app_with};

async fn status_at(base: &str, path: &str) -> (u16, String) {
    let client = awc::Client::builder().disable_redirects().finish();
    let mut response = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("request");
    let body = response.body().limit(4 << 20).await.expect("body");
    (
        response.status().as_u16(),
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[actix_web::test]
async fn metrics_and_docs_move_to_the_ops_listener() {
    let app = spawn_app_with(&[("AUTH_OPS_BIND", "127.0.0.1:0")]).await;
    let ops = app.ops_address.clone().expect("an ops listener");
    assert_ne!(ops, app.address);

    for path in ["/metrics", "/openapi.json", "/docs", "/docs/"] {
        let (status, body) = status_at(&app.address, path).await;
        assert_eq!(status, 404, "public {path}: {body}");
        assert!(body.contains("\"not_found\""), "public {path}: {body}");
    }
    let (status, body) = status_at(&ops, "/metrics").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("authd_"), "{body}");
    let (status, body) = status_at(&ops, "/openapi.json").await;
    assert_eq!(status, 200);
    assert!(body.contains("\"openapi\""));
    assert_eq!(status_at(&ops, "/docs/").await.0, 200);

    // Probes answer on both; the API only on the public port.
    for base in [&app.address, &ops] {
        assert_eq!(status_at(base, "/healthz").await.0, 200, "{base}");
        assert_eq!(status_at(base, "/readyz").await.0, 200, "{base}");
    }
    // `/` answers on both and lists the docs only where they are served.
    let (status, body) = status_at(&app.address, "/").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"name": "authd", "health": "/healthz", "ready": "/readyz"})
    );
    let (status, body) = status_at(&ops, "/").await;
    assert_eq!(status, 200, "{body}");
    let index: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(index["docs"], "/docs");
    assert_eq!(index["openapi"], "/openapi.json");
    assert_eq!(
        status_at(&app.address, "/.well-known/jwks.json").await.0,
        200
    );
    let (status, body) = status_at(&ops, "/.well-known/jwks.json").await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = status_at(&ops, "/v1/me").await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn without_an_ops_listener_the_public_port_serves_metrics() {
    let app = spawn_app().await;
    assert!(app.ops_address.is_none());
    assert_eq!(status_at(&app.address, "/metrics").await.0, 200);
    assert_eq!(status_at(&app.address, "/openapi.json").await.0, 200);
}
