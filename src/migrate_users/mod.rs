//! Moving users in and out (API.md §16): `authd import` and `authd export`.
//!
//! Each source format has its own reader that turns the file into
//! [`Record`]s, numbered as the source numbers them; [`import`] checks and
//! writes them, [`export`] writes the `authd` format.

mod auth0;
mod authd;
pub mod command;
pub mod export;
mod firebase;
pub mod import;
mod keycloak;
mod reader;
mod record;
mod supabase;

pub use firebase::FirebaseParams;
pub use reader::read;
pub use record::{Entry, FileError, Format, Identity, Record};
