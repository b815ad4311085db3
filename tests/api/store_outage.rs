//! Redis going away and coming back: fail closed with 503, stay live, and
//! recover without a restart.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::spawn_app_with;

fn start_redis(port: u16) -> Option<Child> {
    Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

async fn wait_for_redis(port: u16) {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("redis-server did not start");
}

#[actix_web::test]
async fn with_redis_down_protected_routes_fail_closed_and_recover_when_it_returns() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Some(mut redis) = start_redis(port) else {
        eprintln!("redis-server is not installed: skipping the outage test");
        return;
    };
    wait_for_redis(port).await;
    let url = format!("redis://127.0.0.1:{port}");
    let app = spawn_app_with(&[("REDIS_URL", &url), ("AUTH_REDIS_PREFIX", "outage:")]).await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    assert_eq!(app.get("/v1/me", Some(&tokens.access)).await.status, 200);

    redis.kill().unwrap();
    redis.wait().unwrap();

    app.get("/v1/me", Some(&tokens.access))
        .await
        .assert_problem(503, "service_unavailable");
    app.refresh(&tokens.refresh)
        .await
        .assert_problem(503, "service_unavailable");
    app.post_auth("/v1/auth/logout", &tokens.access, None)
        .await
        .assert_problem(503, "service_unavailable");
    assert_eq!(app.get("/healthz", None).await.status, 200);
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["checks"]["store"], "unavailable");
    assert_eq!(ready.json()["checks"]["database"], "ok");

    let mut redis = start_redis(port).expect("restart redis");
    wait_for_redis(port).await;
    let mut recovered = false;
    for _ in 0..60 {
        if app.get("/v1/me", Some(&tokens.access)).await.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "did not recover after Redis came back");
    assert_eq!(app.get("/readyz", None).await.status, 200);
    assert_eq!(app.refresh(&tokens.refresh).await.status, 200);
    redis.kill().unwrap();
    redis.wait().unwrap();
}
