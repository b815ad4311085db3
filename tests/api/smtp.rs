//! Mail delivery over SMTP, with the server up, down, and never coming back;
//! and the outbox claim between several instances.

use std::time::{Duration, Instant};

use crate::helpers::{PASSWORD, spawn_app_with, spawn_sibling};
use crate::smtp_sink::{Mode, SmtpSink};

/// Waits (up to 10 s) until the sink has accepted a connection: the worker
/// made a delivery attempt.
async fn wait_for_attempt(sink: &SmtpSink) {
    for _ in 0..200 {
        if sink.connections() > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the worker never tried to deliver");
}

#[actix_web::test]
async fn mail_goes_out_over_smtp_with_recipient_subject_and_link() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = spawn_app_with(&[
        ("AUTH_SMTP_URL", &url),
        ("AUTH_MAIL_FROM", "Auth <auth@example.test>"),
    ])
    .await;
    assert_eq!(
        app.get("/readyz", None).await.json()["backends"]["mail"],
        "smtp"
    );
    assert_eq!(
        app.register("smtp-user@example.com", PASSWORD).await.status,
        202
    );
    let mail = sink.wait_for("smtp-user@example.com", 10).await;
    assert!(
        mail.data.contains("Subject: Confirm your email address"),
        "{}",
        mail.data
    );
    assert!(
        mail.data.contains("From: Auth <auth@example.test>"),
        "{}",
        mail.data
    );
    assert!(
        mail.data
            .contains("https://app.example.test/verify-email?token="),
        "{}",
        mail.data
    );
    // Nothing went to the outbox folder.
    assert!(
        !app.outbox_dir().exists()
            || std::fs::read_dir(app.outbox_dir())
                .unwrap()
                .next()
                .is_none()
    );
}

#[actix_web::test]
async fn with_smtp_down_requests_answer_at_once_and_mail_arrives_when_it_is_back() {
    let sink = SmtpSink::start_in(Mode::Refuse).await;
    let app = spawn_app_with(&[("AUTH_SMTP_URL", &sink.url())]).await;
    let started = Instant::now();
    app.register("patient@example.com", PASSWORD)
        .await
        .assert_status(202);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the request waited for SMTP"
    );

    // The first attempt was made and failed; then the server comes back.
    wait_for_attempt(&sink).await;
    assert!(sink.messages().is_empty());
    sink.set_mode(Mode::Serve);
    let mail = sink.wait_for("patient@example.com", 20).await;
    assert!(mail.data.contains("verify-email?token="));
    app.wait_outbox_drained().await;
}

#[actix_web::test]
async fn with_smtp_hanging_requests_still_answer_at_once() {
    let sink = SmtpSink::start_in(Mode::Stall).await;
    let app = spawn_app_with(&[("AUTH_SMTP_URL", &sink.url())]).await;
    app.register("first@example.com", PASSWORD)
        .await
        .assert_status(202);
    // The worker is now stuck in a connection that never answers…
    wait_for_attempt(&sink).await;
    // …and requests that queue mail do not wait for it.
    let started = Instant::now();
    app.register("second@example.com", PASSWORD)
        .await
        .assert_status(202);
    app.post(
        "/v1/auth/password-reset/request",
        serde_json::json!({"email": "first@example.com"}),
    )
    .await
    .assert_status(202);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a request waited for SMTP: {:?}",
        started.elapsed()
    );
    assert_eq!(app.get("/readyz", None).await.status, 200);
    assert!(sink.messages().is_empty());
}

#[actix_web::test]
async fn a_message_that_keeps_failing_ends_dead_with_its_error() {
    let sink = SmtpSink::start_in(Mode::Refuse).await;
    let app = spawn_app_with(&[
        ("AUTH_SMTP_URL", &sink.url()),
        ("AUTH_MAIL_MAX_ATTEMPTS", "2"),
    ])
    .await;
    assert_eq!(
        app.register("doomed@example.com", PASSWORD).await.status,
        202
    );
    let db = app.state.db.clone();
    for _ in 0..200 {
        let rows = db
            .run(|conn| {
                use authd::db::schema::mail_outbox::dsl::*;
                use diesel::prelude::*;
                Ok(mail_outbox.select((status, attempts, last_error)).load::<(
                    String,
                    i32,
                    Option<String>,
                )>(conn)?)
            })
            .await
            .unwrap();
        if let Some((s, a, e)) = rows.first()
            && s == "dead"
        {
            assert_eq!(*a, 2);
            assert!(sink.connections() >= 2, "both attempts reached the server");
            assert!(
                e.as_deref().is_some_and(|e| !e.is_empty()),
                "the last error is kept"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the message never ended dead");
}

#[actix_web::test]
async fn several_instances_never_send_one_message_twice() {
    // Each instance writes to its own folder, so a message sent twice would
    // show up as two files.
    let app = spawn_app_with(&[("AUTH_RATE_LIMITS", "false")]).await;
    let dirs = tempfile::tempdir().unwrap();
    let dir = |n: &str| dirs.path().join(n).display().to_string();
    let other = spawn_sibling(&app, &[("AUTH_OUTBOX_DIR", &dir("b"))]).await;
    let third = spawn_sibling(&app, &[("AUTH_OUTBOX_DIR", &dir("c"))]).await;
    for i in 0..30 {
        let target = [&app, &other, &third][i % 3];
        assert_eq!(
            target
                .register(&format!("many-{i}@example.com"), PASSWORD)
                .await
                .status,
            202
        );
    }
    app.wait_outbox_drained().await;
    let count = |dir: std::path::PathBuf| {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0)
    };
    let total = count(app.outbox_dir()) + count(other.outbox_dir()) + count(third.outbox_dir());
    assert_eq!(total, 30, "each message delivered exactly once");
}
