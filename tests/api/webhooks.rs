//! Webhooks (API.md §12): deliveries to a local HTTP receiver started by
//! the test, their Standard Webhooks signature checked with an independent
//! HMAC computation; a retry after a 500 under the same id, dead after the
//! last attempt, a redirect not followed, the type-prefix filter.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::helpers::{TestApp, spawn_app_with};

#[derive(Clone, Debug)]
pub(crate) struct Received {
    path: String,
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A receiver answering each request with the next status of `plan`
/// (then 204), recording what it got. A 302 points at `/elsewhere`.
pub(crate) struct Receiver {
    pub(crate) url: String,
    pub(crate) seen: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub(crate) async fn start(plan: &[u16]) -> Self {
        let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
        let plan: Arc<Mutex<Vec<u16>>> = Arc::new(Mutex::new(plan.iter().rev().copied().collect()));
        let (seen_in, plan_in) = (seen.clone(), plan.clone());
        let server = HttpServer::new(move || {
            let (seen, plan) = (seen_in.clone(), plan_in.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (seen, plan) = (seen.clone(), plan.clone());
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    seen.lock().unwrap().push(Received {
                        path: req.path().to_owned(),
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    let status = plan.lock().unwrap().pop().unwrap_or(204);
                    let mut answer =
                        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
                    if status == 302 {
                        answer.insert_header(("Location", "/elsewhere"));
                    }
                    answer.finish()
                }
            }))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}/hooks"),
            seen,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived (the worker polls every
    /// second; retries wait their backoff).
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let start = Instant::now();
        while start.elapsed() < within {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{n} webhook requests expected, got {:?}", self.received());
    }
}

fn secret_key() -> (String, Vec<u8>) {
    let key: [u8; 32] = rand::random();
    (format!("whsec_{}", STANDARD.encode(key)), key.to_vec())
}

/// The Standard Webhooks signature, computed here without authd's code.
fn expected_signature(key: &[u8], r: &Received) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

async fn app_sending_to(receiver: &Receiver, secret: &str, extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("AUTH_WEBHOOK_URL", receiver.url.as_str()),
        ("AUTH_WEBHOOK_SECRET", secret),
    ];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

async fn webhook_counts(app: &TestApp) -> (i64, i64, i64) {
    app.state
        .db
        .run(|conn| Ok(authd::db::webhook_outbox::counts(conn)?))
        .await
        .map(|c| (c.pending, c.delivered, c.dead))
        .unwrap()
}

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = String::from_utf8(app.get("/metrics", None).await.body.to_vec()).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .trim()
        .parse()
        .unwrap()
}

#[actix_web::test]
async fn deliveries_are_signed_as_standard_webhooks_say() {
    let receiver = Receiver::start(&[]).await;
    let (secret, key) = secret_key();
    let app = app_sending_to(&receiver, &secret, &[]).await;
    let email = format!("hooked-{}@example.com", uuid::Uuid::new_v4().simple());
    app.register(&email, crate::helpers::PASSWORD)
        .await
        .assert_status(202);

    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    let delivery = &got[0];
    assert_eq!(delivery.path, "/hooks");
    assert_eq!(delivery.signature, expected_signature(&key, delivery));
    let sent_at: i64 = delivery.timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);
    let body: Value = serde_json::from_str(&delivery.body).unwrap();
    assert_eq!(body["type"], "user.registered");
    assert!(body["timestamp"].is_string());
    assert_eq!(body["data"]["id"], delivery.id.as_str());
    assert_eq!(body["data"]["type"], "user.registered");
    assert_eq!(body["data"]["data"]["email"], "h***@example.com");
    assert!(
        !delivery.body.contains(&email),
        "the full address never leaves"
    );

    // Counted: delivered, nothing pending or dead.
    let start = Instant::now();
    while webhook_counts(&app).await.1 < 1 && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(webhook_counts(&app).await, (0, 1, 0));
    assert_eq!(metric(&app, "authd_webhooks_delivered_total").await, 1.0);
    assert_eq!(metric(&app, "authd_webhooks_pending").await, 0.0);
    assert_eq!(metric(&app, "authd_webhooks_dead").await, 0.0);
}

#[actix_web::test]
async fn a_failed_delivery_is_retried_under_the_same_id() {
    let receiver = Receiver::start(&[500]).await;
    let (secret, key) = secret_key();
    let app = app_sending_to(&receiver, &secret, &[]).await;
    app.register("retried@example.com", crate::helpers::PASSWORD)
        .await
        .assert_status(202);
    let got = receiver.wait_for(2, Duration::from_secs(15)).await;
    assert_eq!(got[0].id, got[1].id);
    assert_eq!(got[0].body, got[1].body);
    for delivery in &got {
        assert_eq!(delivery.signature, expected_signature(&key, delivery));
    }
    let start = Instant::now();
    while webhook_counts(&app).await != (0, 1, 0) && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(webhook_counts(&app).await, (0, 1, 0));
}

#[actix_web::test]
async fn a_failed_delivery_waits_as_retrying_in_the_metrics() {
    let receiver = Receiver::start(&[500, 500, 500, 500]).await;
    let (secret, _) = secret_key();
    let app = app_sending_to(&receiver, &secret, &[]).await;
    assert_eq!(metric(&app, "authd_webhooks_retrying").await, 0.0);
    app.register("retrying@example.com", crate::helpers::PASSWORD)
        .await
        .assert_status(202);
    receiver.wait_for(1, Duration::from_secs(10)).await;
    let start = Instant::now();
    while metric(&app, "authd_webhooks_retrying").await < 1.0
        && start.elapsed() < Duration::from_secs(5)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(metric(&app, "authd_webhooks_retrying").await, 1.0);
    assert_eq!(metric(&app, "authd_webhooks_pending").await, 1.0);
    assert_eq!(metric(&app, "authd_webhooks_dead").await, 0.0);
}

#[actix_web::test]
async fn a_delivery_is_dead_after_its_last_attempt() {
    let receiver = Receiver::start(&[500, 503, 500, 500]).await;
    let (secret, _) = secret_key();
    let app = app_sending_to(&receiver, &secret, &[("AUTH_WEBHOOK_MAX_ATTEMPTS", "2")]).await;
    app.register("dead-letter@example.com", crate::helpers::PASSWORD)
        .await
        .assert_status(202);
    receiver.wait_for(2, Duration::from_secs(15)).await;
    let start = Instant::now();
    while webhook_counts(&app).await.2 < 1 && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(webhook_counts(&app).await, (0, 0, 1));
    assert_eq!(metric(&app, "authd_webhooks_dead").await, 1.0);
    // No third attempt.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(receiver.received().len(), 2);
}

#[actix_web::test]
async fn a_redirect_is_not_followed() {
    let receiver = Receiver::start(&[302]).await;
    let (secret, _) = secret_key();
    let app = app_sending_to(&receiver, &secret, &[("AUTH_WEBHOOK_MAX_ATTEMPTS", "1")]).await;
    app.register("redirected@example.com", crate::helpers::PASSWORD)
        .await
        .assert_status(202);
    receiver.wait_for(1, Duration::from_secs(10)).await;
    let start = Instant::now();
    while webhook_counts(&app).await.2 < 1 && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(webhook_counts(&app).await, (0, 0, 1));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let paths: Vec<String> = receiver.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, vec!["/hooks"], "the redirect was followed");
    let error: Option<String> = app
        .state
        .db
        .run(|conn| {
            use authd::db::schema::webhook_outbox;
            use diesel::prelude::*;
            Ok(webhook_outbox::table
                .select(webhook_outbox::last_error)
                .first(conn)?)
        })
        .await
        .unwrap();
    assert!(
        error
            .unwrap_or_default()
            .contains("redirects are not followed")
    );
}

#[actix_web::test]
async fn only_the_configured_type_prefixes_are_sent() {
    let receiver = Receiver::start(&[]).await;
    let (secret, _) = secret_key();
    let app = app_sending_to(
        &receiver,
        &secret,
        &[("AUTH_WEBHOOK_EVENTS", "login.,session.")],
    )
    .await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    app.post_auth("/v1/auth/logout", &tokens.access, None)
        .await
        .assert_status(204);
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got_now = receiver.received();
    assert_eq!(got_now.len(), got.len());
    let types: Vec<String> = got_now
        .iter()
        .map(|r| {
            serde_json::from_str::<Value>(&r.body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types, vec!["login.succeeded", "session.revoked"]);
    // Registration and verification were recorded, not queued.
    let (pending, delivered, dead) = webhook_counts(&app).await;
    assert_eq!((pending, delivered, dead), (0, 2, 0));
}

#[actix_web::test]
async fn two_instances_never_deliver_one_event_twice() {
    let receiver = Receiver::start(&[]).await;
    let (secret, key) = secret_key();
    let first = app_sending_to(
        &receiver,
        &secret,
        &[
            ("AUTH_WEBHOOK_EVENTS", "user."),
            ("AUTH_RATE_LIMITS", "false"),
        ],
    )
    .await;
    let second = crate::helpers::spawn_sibling(&first, &[]).await;
    for n in 0..12 {
        let app = if n % 2 == 0 { &first } else { &second };
        let email = format!("twice-{n}-{}@example.com", uuid::Uuid::new_v4().simple());
        app.register(&email, crate::helpers::PASSWORD)
            .await
            .assert_status(202);
    }
    let got = receiver.wait_for(12, Duration::from_secs(15)).await;
    // Both workers keep polling; give a double delivery time to show.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let got_now = receiver.received();
    assert_eq!(got_now.len(), got.len());
    let mut ids: Vec<&str> = got_now.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "each event once");
    assert!(
        got_now
            .iter()
            .all(|r| r.signature == expected_signature(&key, r))
    );
}

#[actix_web::test]
async fn a_claimed_row_is_not_claimed_again_within_its_lease_nor_before_it_is_due() {
    // No webhook configured: no worker competes for the rows.
    let app = crate::helpers::spawn_app().await;
    let claims = app
        .state
        .db
        .transaction(|conn| {
            use authd::db::{now, outbox, webhook_outbox};
            let at = now();
            let later = at + chrono::TimeDelta::seconds(30);
            for (id, due) in [("due-now", at), ("due-later", later)] {
                webhook_outbox::enqueue(
                    conn,
                    &authd::db::models::NewWebhook {
                        id,
                        event_type: "user.registered",
                        payload: "{}",
                        status: outbox::PENDING,
                        next_attempt_at: due,
                        created_at: at,
                    },
                )?;
            }
            let lease = at + chrono::TimeDelta::seconds(20);
            let first = outbox::claim_one(conn, webhook_outbox::TABLE, at, lease)?;
            let second = outbox::claim_one(conn, webhook_outbox::TABLE, at, lease)?;
            // Once the lease lapsed, the row is claimed again.
            let after = lease + chrono::TimeDelta::seconds(1);
            let third = outbox::claim_one(conn, webhook_outbox::TABLE, after, after)?;
            Ok((
                first.map(|c| c.id),
                second.map(|c| c.id),
                third.map(|c| c.id),
            ))
        })
        .await
        .unwrap();
    assert_eq!(
        claims,
        (Some("due-now".to_owned()), None, Some("due-now".to_owned()))
    );
}
