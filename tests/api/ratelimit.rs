//! Rate limits, lockout, client IP, CORS.

use serde_json::json;

use crate::helpers::{
    PASSWORD, Response, TestApp, redis_url_or_skip, spawn_app, spawn_app_with, spawn_sibling,
};

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
    let app = spawn_app_with(&[
        ("AUTH_LOCKOUT_DURATION", "4"),
        // The polling below must not run into the per-IP login limit.
        ("AUTH_RATE_LOGIN_PER_IP", "1000/60s"),
    ])
    .await;
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

    // The lock ends by itself, not before its time and not much after.
    let locked_at = std::time::Instant::now();
    loop {
        let attempt = app.login(&user.email, &user.password).await;
        if attempt.status == 200 {
            break;
        }
        attempt.assert_problem(429, "account_locked");
        assert!(
            locked_at.elapsed() < std::time::Duration::from_secs(15),
            "the lock did not expire"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        locked_at.elapsed() >= std::time::Duration::from_secs(2),
        "the lock ended early"
    );
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
    // The in-process store is per instance by design.
    if redis_url_or_skip("two servers sharing counters").is_none() {
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
    // Browser mode (API.md §10): a listed origin may send credentials.
    assert_eq!(
        allowed
            .header("access-control-allow-credentials")
            .as_deref(),
        Some("true")
    );

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
    assert!(simple.header("access-control-allow-credentials").is_none());
}

/// A failed login with the given extra headers.
async fn login_via(app: &TestApp, headers: &[(&str, &str)]) -> Response {
    app.request(
        "POST",
        "/v1/auth/login",
        None,
        // A new email each time: the per-email lockout stays out of the way.
        Some(&json!({
            "email": format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple()),
            "password": "x",
        })),
        headers,
    )
    .await
}

#[track_caller]
fn assert_rate_limited(response: &Response, window_secs: u64) {
    response.assert_problem(429, "rate_limited");
    let retry_after: u64 = response
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds");
    assert!(
        (1..=window_secs).contains(&retry_after),
        "Retry-After {retry_after} outside 1..={window_secs}"
    );
}

#[actix_web::test]
async fn a_forwarded_header_from_a_trusted_proxy_gives_each_client_its_own_bucket() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_LOGIN_PER_IP", "3/60s"),
        ("AUTH_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("AUTH_CLIENT_IP_HEADER", "forwarded"),
    ])
    .await;
    for _ in 0..3 {
        let r = login_via(&app, &[("Forwarded", "for=192.0.2.60;proto=https")]).await;
        r.assert_problem(401, "invalid_credentials");
    }
    // 192.0.2.60's budget is used up…
    assert_rate_limited(
        &login_via(&app, &[("Forwarded", "for=192.0.2.60;proto=https")]).await,
        60,
    );
    // …and another client behind the same proxy still has its own. Were the
    // header ignored, all of these would share 127.0.0.1's bucket.
    for _ in 0..3 {
        login_via(&app, &[("Forwarded", "for=\"192.0.2.61:4711\"")])
            .await
            .assert_problem(401, "invalid_credentials");
    }
    assert_rate_limited(
        &login_via(&app, &[("Forwarded", "for=\"192.0.2.61:4711\"")]).await,
        60,
    );

    // The session list shows the forwarded address.
    let user = app.verified_user().await;
    let tokens = app
        .request(
            "POST",
            "/v1/auth/login",
            None,
            Some(&json!({"email": user.email, "password": user.password})),
            &[("Forwarded", "for=192.0.2.99")],
        )
        .await;
    assert_eq!(tokens.status, 200);
    let sessions = app
        .get("/v1/auth/sessions", tokens.json()["access_token"].as_str())
        .await
        .json();
    assert_eq!(sessions["sessions"][0]["ip"], "192.0.2.99");
}

#[actix_web::test]
async fn a_trusted_proxy_as_the_right_most_hop_is_skipped() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_LOGIN_PER_IP", "3/60s"),
        ("AUTH_TRUSTED_PROXIES", "127.0.0.1/32,10.0.0.0/8"),
    ])
    .await;
    // The client went through a second proxy of ours (10.1.2.3): the client
    // is the address left of it.
    for _ in 0..3 {
        login_via(&app, &[("X-Forwarded-For", "203.0.113.9, 10.1.2.3")])
            .await
            .assert_problem(401, "invalid_credentials");
    }
    // The same client arriving without the inner proxy shares the bucket.
    assert_rate_limited(
        &login_via(&app, &[("X-Forwarded-For", "203.0.113.9")]).await,
        60,
    );
    // Another client through the same proxies does not.
    login_via(&app, &[("X-Forwarded-For", "198.51.100.4, 10.1.2.3")])
        .await
        .assert_problem(401, "invalid_credentials");
}

#[actix_web::test]
async fn registrations_past_the_per_ip_limit_are_429_and_mail_nothing() {
    let app = spawn_app_with(&[("AUTH_RATE_REGISTER_PER_IP", "2/1h")]).await;
    for i in 0..2 {
        let r = app
            .register(&format!("reg-{i}@example.com"), PASSWORD)
            .await;
        assert_eq!(r.status, 202);
        assert_eq!(r.header("ratelimit-limit").as_deref(), Some("2"));
    }
    assert_rate_limited(&app.register("reg-2@example.com", PASSWORD).await, 3600);
    assert!(app.unread_mail_to("reg-2@example.com").await.is_empty());
}

#[actix_web::test]
async fn resend_and_reset_requests_share_one_per_ip_limit() {
    let app = spawn_app_with(&[("AUTH_RATE_MAIL_PER_IP", "3/1h")]).await;
    let resend = |email: &'static str| {
        let app = &app;
        async move {
            app.post("/v1/auth/verify-email/resend", json!({"email": email}))
                .await
        }
    };
    let reset = |email: &'static str| {
        let app = &app;
        async move {
            app.post("/v1/auth/password-reset/request", json!({"email": email}))
                .await
        }
    };
    assert_eq!(resend("m1@example.com").await.status, 202);
    assert_eq!(reset("m2@example.com").await.status, 202);
    assert_eq!(resend("m3@example.com").await.status, 202);
    assert_rate_limited(&reset("m4@example.com").await, 3600);
    assert_rate_limited(&resend("m5@example.com").await, 3600);
}

#[actix_web::test]
async fn refreshes_past_the_per_session_limit_are_429_and_other_sessions_are_not_affected() {
    let app = spawn_app_with(&[("AUTH_RATE_REFRESH_PER_SESSION", "2/60s")]).await;
    let user = app.verified_user().await;
    let busy = app.login_user(&user).await;
    let quiet = app.login_user(&user).await;
    let mut refresh = busy.refresh.clone();
    for _ in 0..2 {
        let r = app.refresh(&refresh).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("ratelimit-limit").as_deref(), Some("2"));
        refresh = r.json()["refresh_token"].as_str().unwrap().to_owned();
    }
    assert_rate_limited(&app.refresh(&refresh).await, 60);
    assert_eq!(app.refresh(&quiet.refresh).await.status, 200);
}

#[actix_web::test]
async fn with_rate_limits_off_the_lockout_still_locks() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_LIMITS", "false"),
        ("AUTH_RATE_LOGIN_PER_IP", "1/60s"),
    ])
    .await;
    let user = app.verified_user().await;
    for _ in 0..5 {
        let r = app.login(&user.email, "Wrong-passw0rd!").await;
        r.assert_problem(401, "invalid_credentials");
        assert!(r.header("ratelimit-limit").is_none());
    }
    let locked = app.login(&user.email, &user.password).await;
    locked.assert_problem(429, "account_locked");
    let retry_after: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
}
