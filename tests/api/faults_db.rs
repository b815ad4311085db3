//! PostgreSQL going away and coming back, on a private cluster the test
//! stops: every request that needs the database answers 503 within a
//! second, readiness names the database, and the first request after it
//! returns succeeds.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{
    PASSWORD, Response, TestApp, Tokens, missing_prerequisite, postgres_admin_url, spawn_app_with,
};
use crate::private_services::{PrivatePostgres, PrivateRedis, postgres_bin_dir};

/// The private cluster, or None (after saying why) when this run is not
/// against PostgreSQL. In CI, missing server binaries are a failure.
fn private_postgres() -> Option<PrivatePostgres> {
    if postgres_admin_url().is_none() {
        eprintln!("TEST_DATABASE_URL is unset: skipping the PostgreSQL outage test");
        return None;
    }
    if postgres_bin_dir().is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but initdb/pg_ctl are not installed under /usr/lib/postgresql"
        );
        eprintln!("PostgreSQL server binaries are missing: skipping the outage test");
        return None;
    }
    PrivatePostgres::start()
}

async fn timed<F: std::future::Future<Output = Response>>(request: F) -> (Response, Duration) {
    let started = Instant::now();
    let response = request.await;
    (response, started.elapsed())
}

/// A request on its way.
type Pending<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Response> + 'a>>;

async fn requests_needing_the_database(app: &TestApp, access: &str, refresh: &str) {
    let calls: Vec<(&str, Pending<'_>)> = vec![
        ("login", Box::pin(app.login("down@example.com", PASSWORD))),
        (
            "register",
            Box::pin(app.register("newcomer@example.com", PASSWORD)),
        ),
        ("refresh", Box::pin(app.refresh(refresh))),
        ("me", Box::pin(app.get("/v1/me", Some(access)))),
        (
            "reset request",
            Box::pin(app.post(
                "/v1/auth/password-reset/request",
                json!({"email": "down@example.com"}),
            )),
        ),
    ];
    for (name, call) in calls {
        let (response, took) = timed(call).await;
        eprintln!(
            "database down: {name} answered {} in {took:?}",
            response.status
        );
        response.assert_problem(503, "service_unavailable");
        assert!(
            took < Duration::from_secs(1),
            "{name} took {took:?} to answer 503"
        );
    }
}

#[actix_web::test]
async fn with_postgres_down_requests_fail_within_a_second_and_the_first_after_it_returns_succeeds()
{
    let Some(pg) = private_postgres() else {
        return;
    };
    let url = pg.url("postgres");
    let app = spawn_app_with(&[("DATABASE_URL", &url), ("AUTH_RATE_LIMITS", "false")]).await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    // Several pooled connections, all about to go stale.
    // (At most AUTH_LOCKOUT_THRESHOLD checks of one account run at once.)
    let logins = futures_util::future::join_all((0..4).map(|_| app.login_user(&user))).await;
    assert_eq!(logins.len(), 4);

    pg.stop();

    requests_needing_the_database(&app, &tokens.access, &tokens.refresh).await;
    // Again, now that the stale connections are gone.
    requests_needing_the_database(&app, &tokens.access, &tokens.refresh).await;

    // A burst does not queue behind connection attempts.
    let started = Instant::now();
    let burst = futures_util::future::join_all(
        (0..12).map(|_| timed(app.login(&user.email, &user.password))),
    )
    .await;
    for (response, took) in &burst {
        response.assert_problem(503, "service_unavailable");
        assert!(
            *took < Duration::from_secs(1),
            "a login in a burst took {took:?}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(2));

    let (ready, took) = timed(app.get("/readyz", None)).await;
    eprintln!(
        "database down: /readyz answered {} in {took:?}",
        ready.status
    );
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["checks"]["database"], "unavailable");
    assert!(took < Duration::from_secs(2), "/readyz took {took:?}");

    pg.start_again();

    let (first, took) = timed(app.login(&user.email, &user.password)).await;
    eprintln!(
        "database back: the first login answered {} in {took:?}",
        first.status
    );
    assert_eq!(
        first.status,
        200,
        "the first login after the database returned: {}",
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(app.get("/v1/me", Some(&tokens.access)).await.status, 200);
    assert_eq!(app.get("/readyz", None).await.status, 200);
    // The refresh token the outage refused is still the session's.
    app.refresh(&tokens.refresh).await.assert_status(200);
}

/// Polls `/readyz` until it is 200, for at most 20 s.
async fn until_ready(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while app.get("/readyz", None).await.status != 200 {
        assert!(
            Instant::now() < deadline,
            "/readyz not 200 20 s after PostgreSQL returned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Issue 28: with Redis, a refresh marked the token spent there before the
/// rotation failed on the database (503); once PostgreSQL was back, the
/// same token was taken for reuse (401) and the session revoked. A refresh
/// answered 503 must leave the session as it was. No grace window, so a
/// mark left behind is reuse at once. The same for the other routes that
/// touch Redis before the database: more logins than the lockout threshold
/// (each reserves a password check in Redis first) and a second step, all
/// 503, leave no check reserved, no failure counted and the `mfa_token`
/// and code unspent.
#[actix_web::test]
async fn requests_refused_while_postgres_is_down_leave_everything_as_it_was() {
    let Some(pg) = private_postgres() else {
        return;
    };
    let Some(redis) = PrivateRedis::start().await else {
        missing_prerequisite("redis-server is not installed");
        return;
    };
    let (url, redis_url) = (pg.url("postgres"), redis.url());
    let app = spawn_app_with(&[
        ("DATABASE_URL", &url),
        ("REDIS_URL", &redis_url),
        ("AUTH_REDIS_PREFIX", "pg-outage:"),
        ("AUTH_RATE_LIMITS", "false"),
        ("AUTH_REFRESH_REUSE_GRACE", "0"),
    ])
    .await;
    assert_eq!(
        app.get("/readyz", None).await.json()["backends"]["store"],
        "redis"
    );
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let second = app.verified_user().await;
    let session = app.login_user(&second).await;
    let (_, secret) = crate::mfa::enrol_and_confirm(&app, &session).await;
    let login = app.login(&second.email, &second.password).await;
    login.assert_status(200);
    let mfa_token = login.json()["mfa_token"]
        .as_str()
        .expect("an mfa_token")
        .to_owned();

    pg.stop();
    for _ in 0..2 {
        app.refresh(&tokens.refresh)
            .await
            .assert_problem(503, "service_unavailable");
    }
    // Twice the lockout threshold (5), right and wrong passwords.
    for password in [user.password.as_str(), "wrong-Horse-battery-1"].repeat(5) {
        app.login(&user.email, password)
            .await
            .assert_problem(503, "service_unavailable");
    }
    crate::mfa::away_from_step_edge().await;
    let code = crate::mfa::code(&secret, 0);
    let verify = json!({"mfa_token": mfa_token, "code": code});
    app.post("/v1/auth/mfa/verify", verify.clone())
        .await
        .assert_problem(503, "service_unavailable");
    pg.start_again();
    until_ready(&app).await;

    // No check was left reserved, no failure counted: four wrong passwords
    // (one short of the threshold) and the right one still logs in.
    for _ in 0..4 {
        app.login(&user.email, "wrong-Horse-battery-1")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    app.login_user(&user).await;
    // The same second step logs in.
    let verified = app.post("/v1/auth/mfa/verify", verify).await;
    assert_eq!(
        verified.status,
        200,
        "the second step a 503 refused, once PostgreSQL is back: {}",
        String::from_utf8_lossy(&verified.body)
    );

    let renewed = app.refresh(&tokens.refresh).await;
    assert_eq!(
        renewed.status,
        200,
        "the refresh token a 503 refused, once PostgreSQL is back: {}",
        String::from_utf8_lossy(&renewed.body)
    );
    let renewed = Tokens::of(&renewed);
    assert_eq!(app.get("/v1/me", Some(&renewed.access)).await.status, 200);
    // It rotated for real: the new token works, the old one is now spent.
    let next = Tokens::of(&app.refresh(&renewed.refresh).await);
    app.refresh(&tokens.refresh)
        .await
        .assert_problem(401, "refresh_token_reused");
    app.refresh(&next.refresh)
        .await
        .assert_problem(401, "session_revoked");
}
