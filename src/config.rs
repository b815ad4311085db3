//! Typed settings, read once from the environment (API.md §7) and passed down
//! explicitly. Nothing here is global, so every test server can have its own.
//!
//! One section per concern, each with its own constructor that validates
//! while it reads; `Settings::from_vars` only assembles them.

mod cleartext;
mod oidc;
pub mod registry;
mod service_keys;
mod settings;
mod values;
mod vars;

pub use cleartext::CleartextChannel;
pub use oidc::{OidcProvider, OidcSettings, ProviderKind};
pub use service_keys::ServiceKeys;
pub use settings::*;
pub use values::{ConfigError, DatabaseUrl, Limit, RedisUrl};
pub use vars::Vars;
