//! Crash-safe mail: an instance killed in the middle of a delivery leaves
//! its claimed message to the next one, which sends it within 30 s of the
//! restart, and every message arrives exactly once.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{PASSWORD, postgres_admin_url};
use crate::private_services::{AuthdProcess, FreshDatabase, StallingSmtp, authd_vars};

const USERS: usize = 4;

async fn register(address: &str, email: &str) -> u16 {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    client
        .post(format!("{address}/v1/auth/register"))
        .send_json(&json!({"email": email, "password": PASSWORD}))
        .await
        .expect("register")
        .status()
        .as_u16()
}

/// Registers users against a server whose SMTP relay stalls, SIGKILLs it
/// while it holds a message, restarts it on the same database, and checks
/// that every mail arrives once within 30 s of the restart.
async fn crash_in_the_middle_of_delivery(database_url: &str, dir: &std::path::Path) {
    let smtp = StallingSmtp::start().await;
    smtp.set_stalled(true);
    let mut vars = authd_vars(dir, database_url);
    vars.insert("AUTH_SMTP_URL".into(), smtp.url());
    let mut first = AuthdProcess::start(dir, &vars).await;

    let emails: Vec<String> = (0..USERS)
        .map(|i| format!("crash-{i}-{}@example.com", uuid::Uuid::new_v4().simple()))
        .collect();
    for email in &emails {
        assert_eq!(register(&first.address(), email).await, 202);
    }
    // Wait until the relay holds a message mid-delivery, then crash.
    let deadline = Instant::now() + Duration::from_secs(30);
    while smtp.held() == 0 {
        assert!(
            Instant::now() < deadline,
            "no delivery began: {}",
            first.log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill();
    smtp.set_stalled(false);

    let restarted_at = Instant::now();
    let second = AuthdProcess::start(dir, &vars).await;
    let deadline = restarted_at + Duration::from_secs(30);
    loop {
        let missing: Vec<&String> = emails.iter().filter(|e| smtp.count_to(e) == 0).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not delivered within 30 s of the restart: {missing:?}\n{}",
            second.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "every message arrived {:?} after the restart",
        restarted_at.elapsed()
    );
    // Give a duplicate time to show up, then count.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for email in &emails {
        assert_eq!(smtp.count_to(email), 1, "{email} got one copy");
    }
}

#[actix_web::test]
async fn mail_claimed_by_a_killed_instance_arrives_once_within_30_s_of_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("authd.db").display());
    crash_in_the_middle_of_delivery(&url, dir.path()).await;
}

#[actix_web::test]
async fn mail_claimed_by_a_killed_instance_arrives_once_within_30_s_of_restart_on_postgres() {
    let Some(admin_url) = postgres_admin_url() else {
        eprintln!("TEST_DATABASE_URL is unset: skipping the PostgreSQL crash test");
        return;
    };
    let database = FreshDatabase::create(&admin_url);
    let dir = tempfile::tempdir().unwrap();
    crash_in_the_middle_of_delivery(&database.url, dir.path()).await;
}
