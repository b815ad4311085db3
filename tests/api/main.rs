//! The integration suite: every test starts a real server on a random port
//! and talks HTTP to it. See `helpers.rs` for how the backend is chosen.

// Test code may panic on the unexpected: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod admin_console;
mod admin_sessions;
mod audit;
mod audit_log;
mod backend_tls;
mod breached;
mod browser_mode;
mod cli;
mod cors;
mod database_folder;
mod email_change;
mod email_login;
mod errors;
mod expired;
mod faults_db;
mod faults_housekeeping;
mod faults_mail;
mod faults_redis;
mod github;
mod health;
mod import;
mod log_hygiene;
mod login;
mod logs;
mod mail_locale;
mod me;
mod mfa;
mod oidc;
mod ops_listener;
mod passkeys;
mod password;
mod promises;
mod ratelimit;
mod redis_cluster;
mod refresh;
mod register;
mod revocations;
mod security_events;
mod sessions;
mod shared_signals;
mod smtp;
mod store;
mod store_outage;
mod takeover;
mod tokens;
mod unlock;
mod use_cases;
mod user_cache;
mod ways_in;
mod webhooks;

mod helpers;
mod private_services;
mod smtp_sink;
