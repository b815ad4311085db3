//! What a provider sign-in hands back, whichever kind of provider
//! (OpenID Connect or GitHub's OAuth) proved it.

use crate::error::ApiError;

/// What an ID token proved: who the user is at the provider.
#[derive(Debug, Clone)]
pub struct ProvenIdentity {
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// An authorization request in flight: what the callback needs back.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

pub(super) fn unavailable(provider: &str, what: &str, cause: impl std::fmt::Display) -> ApiError {
    tracing::warn!(provider, error = %cause, "identity provider unavailable: {what}");
    ApiError::ServiceUnavailable("identity provider")
}
