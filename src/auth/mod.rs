//! The account logic behind the routes: parsing identities, guarding routes,
//! starting and rotating sessions, revoking them, one-time tokens, lockout.

pub mod accounts;
pub mod admin;
pub mod admin_sessions;
pub mod audit;
pub mod audit_queries;
pub mod email;
pub mod email_change;
pub mod email_login;
pub mod guard;
pub mod lockout;
pub mod login;
pub mod mfa;
pub mod oidc;
pub mod one_time;
pub mod reauth;
pub mod recovery;
pub mod refresh;
pub mod registration;
pub mod revocation;
pub mod revocation_watch;
pub mod roles;
pub mod session;
pub mod text;
pub mod users;
pub mod ways_in;

pub use email::Email;
pub use guard::{Authenticated, Permission, RequirePermission};
