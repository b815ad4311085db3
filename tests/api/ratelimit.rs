//! Rate limits, lockout, client IP, CORS.

use serde_json::json;

use crate::helpers::{PASSWORD, redis_url, spawn_app, spawn_app_with, spawn_sibling};

#[actix_web::test]
async fn the_31st_login_from_one_ip_in_a_minute_is_429_with_headers() {
    let app = spawn_app().await;
    for i in 0..30 {
        let response = app
            .login(&format!("nobody-{i}@example.com"), PASSWORD)
            .await;
        assert_eq!(response.status, 401);
        assert_eq!(response.header("ratelimit-limit").as_deref(), Some("30"));
        assert_eq!(
            response.header("ratelimit-remaining"),
            Some((29 - i).to_string())
        );
    }
    let limited = app.login("nobody@example.com", PASSWORD).await;
    limited.assert_problem(429, "rate_limited");
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_eq!(limited.header("ratelimit-limit").as_deref(), Some("30"));
    assert_eq!(limited.header("ratelimit-remaining").as_deref(), Some("0"));
    assert!(limited.header("ratelimit-reset").is_some());
}

#[actix_web::test]
async fn successful_responses_on_limited_routes_carry_the_headers() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let login = app.login(&user.email, &user.password).await;
    assert_eq!(login.status, 200);
    assert_eq!(login.header("ratelimit-limit").as_deref(), Some("30"));
    let refresh = app
        .refresh(login.json()["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(refresh.status, 200);
    assert_eq!(refresh.header("ratelimit-limit").as_deref(), Some("60"));
    let register = app.register("headers@example.com", PASSWORD).await;
    assert_eq!(register.header("ratelimit-limit").as_deref(), Some("10"));
}

#[actix_web::test]
async fn a_spoofed_forwarded_for_does_not_move_the_limit_without_a_trusted_proxy() {
    let app = spawn_app_with(&[("AUTH_RATE_LOGIN_PER_IP", "3/60s")]).await;
    for i in 0..3 {
        let r = app
            .request(
                "POST",
                "/v1/auth/login",
                None,
                Some(&json!({"email": "a@example.com", "password": "x"})),
                &[("X-Forwarded-For", &format!("10.0.0.{i}"))],
            )
            .await;
        assert_eq!(r.status, 401);
    }
    app.request(
        "POST",
        "/v1/auth/login",
        None,
        Some(&json!({"email": "a@example.com", "password": "x"})),
        &[("X-Forwarded-For", "10.9.9.9")],
    )
    .await
    .assert_problem(429, "rate_limited");
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_LOGIN_PER_IP", "3/60s"),
        ("AUTH_TRUSTED_PROXIES", "127.0.0.1/32"),
    ])
    .await;
    let login = |xff: &'static str| {
        let app = &app;
        async move {
            app.request(
                "POST",
                "/v1/auth/login",
                None,
                Some(&json!({"email": "a@example.com", "password": "x"})),
                &[("X-Forwarded-For", xff)],
            )
            .await
        }
    };
    for _ in 0..3 {
        assert_eq!(login("203.0.113.7").await.status, 401);
    }
    login("203.0.113.7")
        .await
        .assert_problem(429, "rate_limited");
    // Another client behind the same proxy has its own budget; the right-most
    // untrusted hop counts, not what the client claims to the left of it.
    assert_eq!(login("203.0.113.7, 198.51.100.2").await.status, 401);
    let forwarded = app
        .request(
            "POST",
            "/v1/auth/login",
            None,
            Some(&json!({"email": "a@example.com", "password": "x"})),
            &[("Forwarded", "for=192.0.2.60;proto=https")],
        )
        .await;
    assert_eq!(forwarded.status, 401);

    // The session list shows the forwarded client address.
    let user = app.verified_user().await;
    let tokens = app
        .request(
            "POST",
            "/v1/auth/login",
            None,
            Some(&json!({"email": user.email, "password": user.password})),
            &[("X-Forwarded-For", "192.0.2.99")],
        )
        .await
        .json();
    let sessions = app
        .get("/v1/auth/sessions", tokens["access_token"].as_str())
        .await
        .json();
    assert_eq!(sessions["sessions"][0]["ip"], "192.0.2.99");
}

#[actix_web::test]
async fn five_failures_lock_the_account_even_for_the_right_password_until_it_expires() {
    let app = spawn_app_with(&[("AUTH_LOCKOUT_DURATION", "2")]).await;
    let user = app.verified_user().await;
    for _ in 0..5 {
        app.login(&user.email, "Wrong-passw0rd!")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let locked = app.login(&user.email, &user.password).await;
    locked.assert_problem(429, "account_locked");
    assert!(locked.header("retry-after").is_some());
    // Unknown emails lock the same way: the lock reveals nothing.
    for _ in 0..5 {
        app.login("ghost@example.com", "Wrong-passw0rd!").await;
    }
    app.login("ghost@example.com", PASSWORD)
        .await
        .assert_problem(429, "account_locked");

    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(app.login(&user.email, &user.password).await.status, 200);
}

#[actix_web::test]
async fn a_success_resets_the_failure_count() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    for _ in 0..4 {
        app.login(&user.email, "Wrong-passw0rd!")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    assert_eq!(app.login(&user.email, &user.password).await.status, 200);
    for _ in 0..4 {
        app.login(&user.email, "Wrong-passw0rd!")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    assert_eq!(app.login(&user.email, &user.password).await.status, 200);
}

#[actix_web::test]
async fn mail_quotas_answer_as_usual_but_send_nothing_past_the_limit() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    for _ in 0..5 {
        let r = app
            .post(
                "/v1/auth/password-reset/request",
                json!({"email": user.email}),
            )
            .await;
        assert_eq!(r.status, 202);
        assert_eq!(r.json(), json!({"status": "reset_sent"}));
    }
    let mails = app.unread_mail_to(&user.email).await;
    assert_eq!(mails.len(), 3, "3 reset mails an hour per email");

    assert_eq!(
        app.register("quota@example.com", PASSWORD).await.status,
        202
    );
    for _ in 0..4 {
        assert_eq!(
            app.post(
                "/v1/auth/verify-email/resend",
                json!({"email": "quota@example.com"})
            )
            .await
            .status,
            202
        );
    }
    assert_eq!(app.unread_mail_to("quota@example.com").await.len(), 3);
}

#[actix_web::test]
async fn two_servers_on_one_redis_share_the_counters() {
    if redis_url().is_none() {
        eprintln!("TEST_REDIS_URL unset: the in-process store is per instance by design");
        return;
    }
    let a = spawn_app_with(&[("AUTH_RATE_LOGIN_PER_IP", "4/60s")]).await;
    let b = spawn_sibling(&a, &[]).await;
    for _ in 0..2 {
        assert_eq!(a.login("x@example.com", "nope").await.status, 401);
        assert_eq!(b.login("x@example.com", "nope").await.status, 401);
    }
    a.login("x@example.com", "nope")
        .await
        .assert_problem(429, "rate_limited");
    b.login("x@example.com", "nope")
        .await
        .assert_problem(429, "rate_limited");
}

#[actix_web::test]
async fn rate_limits_can_be_switched_off() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_LIMITS", "false"),
        ("AUTH_RATE_LOGIN_PER_IP", "1/60s"),
    ])
    .await;
    for _ in 0..3 {
        let r = app.login("x@example.com", "nope").await;
        assert_eq!(r.status, 401);
        assert!(r.header("ratelimit-limit").is_none());
    }
}

#[actix_web::test]
async fn cors_preflight_is_answered_for_allowed_origins_only() {
    let app = spawn_app_with(&[("AUTH_CORS_ORIGINS", "https://spa.example.test")]).await;
    let allowed = app
        .request(
            "OPTIONS",
            "/v1/auth/login",
            None,
            None,
            &[
                ("Origin", "https://spa.example.test"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
        )
        .await;
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin").as_deref(),
        Some("https://spa.example.test")
    );
    assert!(allowed.header("access-control-allow-credentials").is_none());

    let refused = app
        .request(
            "OPTIONS",
            "/v1/auth/login",
            None,
            None,
            &[
                ("Origin", "https://evil.example.test"),
                ("Access-Control-Request-Method", "POST"),
            ],
        )
        .await;
    assert!(refused.header("access-control-allow-origin").is_none());
    assert!(refused.header("access-control-allow-methods").is_none());

    let simple = app
        .request(
            "GET",
            "/healthz",
            None,
            None,
            &[("Origin", "https://evil.example.test")],
        )
        .await;
    assert!(simple.header("access-control-allow-origin").is_none());
}
