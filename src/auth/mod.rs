//! The account logic behind the routes: parsing identities, guarding routes,
//! starting and rotating sessions, revoking them, one-time tokens, lockout.

pub mod email;
pub mod guard;
pub mod lockout;
pub mod one_time;
pub mod refresh;
pub mod revocation;
pub mod revocation_watch;
pub mod session;
pub mod users;

pub use email::Email;
pub use guard::{Authenticated, Permission, RequirePermission};
