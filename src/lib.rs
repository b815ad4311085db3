//! authd: register, verify, log in, rotate refresh tokens, reset passwords
//! and guard routes by role. `docs/ARCHITECTURE.md` shows the path of a
//! request through these modules.

pub mod api_types;
pub mod auth;
pub mod blocking;
pub mod cli;
pub mod config;
pub mod db;
pub mod docs;
pub mod error;
pub mod extract;
pub mod housekeeping;
pub mod mail;
pub mod metrics;
pub mod migrate_users;
pub mod openapi;
pub mod outbox_runner;
pub mod password;
pub mod private_fs;
pub mod ratelimit;
pub mod revocation_feed;
pub mod route_table;
pub mod routes;
pub mod secret;
pub mod shared_signals;
pub mod ssf_delivery;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod tokens;
pub mod webhooks;
