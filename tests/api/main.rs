//! The integration suite: every test starts a real server on a random port
//! and talks HTTP to it. See `helpers.rs` for how the backend is chosen.

// Test code may panic on the unexpected: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod audit;
mod cli;
mod errors;
mod expired;
mod health;
mod login;
mod logs;
mod me;
mod password;
mod promises;
mod ratelimit;
mod refresh;
mod register;
mod sessions;
mod smtp;
mod store;
mod store_outage;
mod tokens;

mod helpers;
mod smtp_sink;
