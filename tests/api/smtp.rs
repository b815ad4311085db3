//! Mail delivery over SMTP, with the server up, down, and never coming back;
//! and the outbox claim between several instances.

use std::time::{Duration, Instant};

use crate::helpers::{PASSWORD, spawn_app_with, spawn_sibling};
use crate::smtp_sink::SmtpSink;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[actix_web::test]
async fn mail_goes_out_over_smtp_with_recipient_subject_and_link() {
    let sink = SmtpSink::start(0).await;
    let url = format!("smtp://127.0.0.1:{}?tls=none", sink.port);
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
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let app = spawn_app_with(&[("AUTH_SMTP_URL", &url)]).await;
    let started = Instant::now();
    assert_eq!(
        app.register("patient@example.com", PASSWORD).await.status,
        202
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the request waited for SMTP"
    );

    // Let the first attempt fail, then bring the server up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sink = SmtpSink::start(port).await;
    let mail = sink.wait_for("patient@example.com", 20).await;
    assert!(mail.data.contains("verify-email?token="));
    app.wait_outbox_drained().await;
}

#[actix_web::test]
async fn a_message_that_keeps_failing_ends_dead_with_its_error() {
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let app = spawn_app_with(&[("AUTH_SMTP_URL", &url), ("AUTH_MAIL_MAX_ATTEMPTS", "2")]).await;
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
