use crate::helpers::{spawn_app, spawn_app_with};

#[actix_web::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), serde_json::json!({"status": "ok"}));
}

/// `GET /` says where things are instead of a 404.
#[actix_web::test]
async fn the_root_points_to_the_docs_and_the_probes() {
    let app = spawn_app().await;
    let response = app.get("/", None).await;
    response.assert_status(200);
    assert_eq!(
        response.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        response.json(),
        serde_json::json!({"name": "authd", "docs": "/docs", "health": "/healthz",
            "ready": "/readyz", "openapi": "/openapi.json"})
    );
    // Every link it gives answers.
    for link in ["/docs/", "/healthz", "/readyz", "/openapi.json"] {
        app.get(link, None).await.assert_status(200);
    }
    let post = app.request("POST", "/", None, None, &[]).await;
    post.assert_problem(405, "method_not_allowed");
}

#[actix_web::test]
async fn readyz_checks_the_database_store_and_mail_and_names_the_backends() {
    let app = spawn_app().await;
    let response = app.get("/readyz", None).await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["store"], "ok");
    assert_eq!(body["checks"]["mail"], "ok");
    assert_eq!(
        body["backends"]["database"],
        if app.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    );
    assert_eq!(
        body["backends"]["store"],
        if app.is_redis() { "redis" } else { "memory" }
    );
    assert_eq!(body["backends"]["mail"], "file");
}

/// CI says which backends each test stage must run on
/// (`TEST_EXPECT_BACKENDS=sqlite,memory`, then `postgres,redis`); this fails
/// the stage when the servers it starts use any others, so a stage cannot
/// pass on the wrong backends. `.ci/run` prints the line below.
#[actix_web::test]
async fn the_server_runs_on_the_backends_ci_expects() {
    let app = spawn_app().await;
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 200);
    let backends = &ready.json()["backends"];
    let name = |k: &str| backends[k].as_str().unwrap_or_default().to_owned();
    println!(
        "backends in use: database={} store={} mail={}",
        name("database"),
        name("store"),
        name("mail")
    );
    let in_use = format!("{},{}", name("database"), name("store"));
    match std::env::var("TEST_EXPECT_BACKENDS") {
        Ok(expected) => assert_eq!(
            in_use, expected,
            "TEST_EXPECT_BACKENDS names the backends this run must use"
        ),
        Err(_) => assert!(
            std::env::var("CI").is_err(),
            "CI must set TEST_EXPECT_BACKENDS (database,store), e.g. sqlite,memory"
        ),
    }
}

/// The served document (the checked-in file, built in) is the one the
/// handlers generate now, byte for byte: a handler whose annotation changed
/// without `openapi/openapi.json` being regenerated fails here.
/// `cli::migrate_and_openapi_commands_work` holds `authd openapi` (the same
/// generator) to the file on disk.
#[actix_web::test]
async fn served_openapi_document_is_the_generated_one() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status, 200);
    let served = String::from_utf8(response.body.clone()).unwrap();
    let generated = authd::openapi::document_json();
    assert!(
        served == generated,
        "the served openapi.json is not what the handlers generate: regenerate it with `cargo run -- openapi > openapi/openapi.json`"
    );
    assert_eq!(response.json()["openapi"], "3.1.0");
}

#[actix_web::test]
async fn openapi_documents_every_contract_route() {
    let doc = authd::openapi::document();
    let paths: Vec<&String> = doc.paths.paths.keys().collect();
    for expected in [
        "/v1/auth/register",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/logout",
        "/v1/auth/logout-all",
        "/v1/auth/sessions",
        "/v1/auth/sessions/{id}",
        "/v1/auth/verify-email",
        "/v1/auth/verify-email/resend",
        "/v1/auth/password-reset/request",
        "/v1/auth/password-reset/confirm",
        "/v1/auth/password/change",
        "/v1/me",
        "/v1/admin/users",
        "/v1/admin/users/{id}",
        "/v1/admin/users/{id}/roles",
        "/v1/admin/users/{id}/disable",
        "/v1/admin/users/{id}/enable",
        "/v1/admin/users/{id}/unlock",
        "/v1/admin/roles",
        "/.well-known/jwks.json",
        "/openapi.json",
        "/",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            paths.iter().any(|p| p.as_str() == expected),
            "{expected} is not documented"
        );
    }
    let components = doc.components.expect("components");
    assert!(components.security_schemes.contains_key("bearer"));
}

#[actix_web::test]
async fn docs_page_is_served_with_a_strict_content_security_policy() {
    let app = spawn_app().await;
    let redirect = app.get("/docs", None).await;
    assert_eq!(redirect.status, 308);
    let page = app.get("/docs/", None).await;
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("swagger"));
    let csp = page.header("content-security-policy").expect("csp");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[actix_web::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    for path in ["/healthz", "/nope", "/v1/me"] {
        let response = app.get(path, None).await;
        assert_eq!(
            response.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            response.header("referrer-policy").as_deref(),
            Some("no-referrer"),
            "{path}"
        );
        assert!(response.header("x-request-id").is_some(), "{path}");
    }
    let api = app.get("/v1/me", None).await;
    assert_eq!(api.header("cache-control").as_deref(), Some("no-store"));
}

/// ASVS 3.4.1: HSTS on every answer when the issuer is https, never on a
/// plain-http setup (where it would mean nothing, or lock a host out).
#[actix_web::test]
async fn hsts_follows_an_https_issuer() {
    let app = spawn_app_with(&[("AUTH_ISSUER", "https://auth.example.test")]).await;
    for path in ["/healthz", "/nope", "/v1/me"] {
        let response = app.get(path, None).await;
        assert_eq!(
            response.header("strict-transport-security").as_deref(),
            Some("max-age=31536000; includeSubDomains"),
            "{path}"
        );
    }
    let refused = app.get("/v1/me", None).await;
    refused.assert_problem(401, "unauthorized");

    let plain = spawn_app().await;
    for path in ["/healthz", "/nope", "/v1/me"] {
        let response = plain.get(path, None).await;
        assert_eq!(response.header("strict-transport-security"), None, "{path}");
    }
}

#[actix_web::test]
async fn serves_on_an_in_memory_sqlite_database() {
    let app = crate::helpers::spawn_app_with(&[("DATABASE_URL", "sqlite::memory:")]).await;
    assert_eq!(app.get("/readyz", None).await.status, 200);
    // Several pooled connections see one database: a full flow works.
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    assert_eq!(app.get("/v1/me", Some(&tokens.access)).await.status, 200);
}

#[actix_web::test]
async fn readyz_reports_mail_degraded_when_old_mail_waits() {
    let app = spawn_app().await;
    let old = authd::db::now() - chrono::TimeDelta::minutes(10);
    app.state
        .db
        .run(move |conn| {
            use authd::db::schema::mail_outbox::dsl::*;
            use diesel::prelude::*;
            diesel::insert_into(mail_outbox)
                .values((
                    id.eq("stuck"),
                    recipient.eq("stuck@example.com"),
                    kind.eq("verification"),
                    subject.eq("s"),
                    body_text.eq("t"),
                    body_html.eq("h"),
                    status.eq("pending"),
                    attempts.eq(3),
                    // Not due for an hour: the worker leaves it alone.
                    next_attempt_at.eq(authd::db::now() + chrono::TimeDelta::hours(1)),
                    created_at.eq(old),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 200, "mail alone does not fail readiness");
    assert_eq!(ready.json()["checks"]["mail"], "degraded");
}

#[actix_web::test]
async fn metrics_count_requests_logins_tokens_and_mail_with_bounded_labels() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    app.login(&user.email, "Wrong-passw0rd!").await;
    app.get(
        "/v1/admin/users/0192f5b8-6c4e-7d3a-9a51-3f1c2b7e8d90",
        Some(&tokens.access),
    )
    .await;
    app.get("/nope/secret@example.com", None).await;
    app.wait_outbox_drained().await;

    let response = app.get("/metrics", None).await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .contains("openmetrics-text")
    );
    let text = String::from_utf8(response.body).unwrap();
    for needle in [
        r#"authd_http_requests_total{method="POST",route="/v1/auth/login",status="200"} 1"#,
        r#"authd_http_requests_total{method="POST",route="/v1/auth/login",status="401"} 1"#,
        r#"authd_http_requests_total{method="GET",route="/v1/admin/users/{id}",status="403"} 1"#,
        r#"route="unmatched""#,
        r#"authd_logins_total{outcome="success"} 1"#,
        r#"authd_logins_total{outcome="invalid_credentials"} 1"#,
        r#"authd_tokens_issued_total{kind="access"} 1"#,
        r#"authd_tokens_issued_total{kind="refresh"} 1"#,
        "authd_http_request_duration_seconds_bucket",
        "authd_mail_outbox_pending 0",
        "authd_mail_outbox_dead 0",
        "authd_refresh_reuse_detected_total 0",
        r#"authd_db_pool_connections{state="idle"}"#,
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    assert!(
        !text.contains("secret@example.com"),
        "a raw path leaked into a label"
    );
    assert!(!text.contains(&user.email));
}

#[actix_web::test]
async fn metrics_count_refresh_reuse_and_rate_limit_hits() {
    let app = crate::helpers::spawn_app_with(&[
        ("AUTH_REFRESH_REUSE_GRACE", "0"),
        ("AUTH_RATE_LOGIN_PER_IP", "2/60s"),
    ])
    .await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    app.refresh(&tokens.refresh).await.assert_status(200);
    app.refresh(&tokens.refresh)
        .await
        .assert_problem(401, "refresh_token_reused");
    // The user's login above was the first of 2 for this IP.
    app.login("nobody@example.com", "Wrong-passw0rd!")
        .await
        .assert_problem(401, "invalid_credentials");
    app.login("nobody@example.com", "Wrong-passw0rd!")
        .await
        .assert_problem(429, "rate_limited");

    let text = String::from_utf8(app.get("/metrics", None).await.body).unwrap();
    for needle in [
        "authd_refresh_reuse_detected_total 1",
        r#"authd_rate_limit_hits_total{kind="login"} 1"#,
        r#"authd_http_requests_total{method="POST",route="/v1/auth/login",status="429"} 1"#,
        r#"authd_http_requests_total{method="POST",route="/v1/auth/refresh",status="401"} 1"#,
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
}
