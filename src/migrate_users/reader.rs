//! Which reader reads which format.

use super::firebase::FirebaseParams;
use super::record::{Entry, FileError, Format};
use super::{auth0, authd, firebase, keycloak, supabase};

/// Reads the file's content in its format.
pub fn read(
    format: Format,
    content: &str,
    firebase: Option<&FirebaseParams>,
) -> Result<Vec<Entry>, FileError> {
    match format {
        Format::Authd => Ok(authd::read(content)),
        Format::Supabase => supabase::read(content),
        Format::Firebase => firebase::read(content, firebase),
        Format::Auth0 => Ok(auth0::read(content)),
        Format::Keycloak => keycloak::read(content),
    }
}
