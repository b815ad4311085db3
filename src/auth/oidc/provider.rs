//! The configured providers. GitHub goes through its preset (`github.rs`);
//! for OpenID Providers: discovery at first use (cached, the
//! issuer must match exactly), the key set cached and fetched again when an
//! ID token names an unknown `kid`, the authorization URL, the code
//! exchange and the ID-token checks (signature, `iss`, `aud`, `exp`,
//! `nonce`), all through `openidconnect`.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, NonceVerifier, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError,
    Scope, SignatureVerificationError, TokenResponse,
};

use super::github;
use super::http::Outbound;
use super::proven::unavailable;
pub use super::proven::{Authorization, ProvenIdentity};
use crate::config::{OidcProvider, OidcSettings, ProviderKind};
use crate::error::{ApiError, TokenKind};

/// How long requests to a provider may take: a provider that is down
/// answers 503 quickly.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Discovery documents are read again after this long.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// An unknown `kid` fetches the key set again at most this often (per
/// provider and instance), so forged tokens cannot make authd hammer the
/// provider.
pub const JWKS_REFETCH_MIN: Duration = Duration::from_secs(5);

struct Discovered {
    metadata: CoreProviderMetadata,
    discovered_at: Instant,
    jwks_fetched_at: Instant,
}

struct Entry {
    config: OidcProvider,
    cached: RwLock<Option<Arc<Discovered>>>,
}

/// The providers of `AUTH_OIDC_PROVIDERS`, shared by every worker.
pub struct Providers {
    http: Outbound,
    entries: Vec<Entry>,
}

fn bad_id_token(provider: &str, cause: impl std::fmt::Display) -> ApiError {
    tracing::warn!(provider, error = %cause, "ID token rejected");
    ApiError::InvalidToken(TokenKind::Access)
}

impl Providers {
    pub fn new(settings: &OidcSettings) -> Result<Self, String> {
        Ok(Self {
            http: Outbound::new(TIMEOUT)?,
            entries: settings
                .providers
                .iter()
                .map(|config| Entry {
                    config: config.clone(),
                    cached: RwLock::new(None),
                })
                .collect(),
        })
    }

    /// `(name, display name)` of each provider, as configured.
    pub fn list(&self) -> Vec<(String, String)> {
        self.entries
            .iter()
            .map(|e| (e.config.name.clone(), e.config.display_name.clone()))
            .collect()
    }

    fn entry(&self, name: &str) -> Result<&Entry, ApiError> {
        self.entries
            .iter()
            .find(|e| e.config.name == name)
            .ok_or(ApiError::NotFound("no such provider"))
    }

    /// The provider's configuration (404 for an unknown name).
    pub fn config(&self, name: &str) -> Result<&OidcProvider, ApiError> {
        self.entry(name).map(|e| &e.config)
    }

    /// 400 `oauth_failed` for a provider that issues no ID tokens
    /// (GitHub), before the request is looked at further.
    pub fn accepts_id_tokens(&self, name: &str) -> Result<(), ApiError> {
        match self.config(name)?.kind {
            ProviderKind::OpenIdConnect => Ok(()),
            ProviderKind::GitHub { .. } => Err(ApiError::OAuthFailed(
                "GitHub issues no ID tokens: log in through start and callback",
            )),
        }
    }

    fn cached(entry: &Entry) -> Option<Arc<Discovered>> {
        entry
            .cached
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn remember(entry: &Entry, discovered: Discovered) -> Arc<Discovered> {
        let discovered = Arc::new(discovered);
        *entry
            .cached
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(discovered.clone());
        discovered
    }

    /// The provider's metadata and keys: discovered at first use, again
    /// after an hour (the old ones serve while the provider is down).
    async fn discovered(&self, entry: &Entry) -> Result<Arc<Discovered>, ApiError> {
        let cached = Self::cached(entry);
        if let Some(found) = &cached
            && found.discovered_at.elapsed() < DISCOVERY_TTL
        {
            return Ok(found.clone());
        }
        let name = entry.config.name.as_str();
        let issuer = IssuerUrl::new(entry.config.issuer.clone())
            .map_err(|e| unavailable(name, "issuer", e))?;
        match CoreProviderMetadata::discover_async(issuer, &self.http).await {
            Ok(metadata) => {
                let at = Instant::now();
                Ok(Self::remember(
                    entry,
                    Discovered {
                        metadata,
                        discovered_at: at,
                        jwks_fetched_at: at,
                    },
                ))
            }
            Err(e) => match cached {
                Some(stale) => {
                    tracing::warn!(provider = name, error = %e, "OpenID discovery failed; keeping the last document");
                    Ok(stale)
                }
                None => Err(unavailable(name, "discovery", e)),
            },
        }
    }

    /// Fetches the key set again (an ID token named a `kid` it lacks), at
    /// most every `JWKS_REFETCH_MIN`; None when it was fetched too recently.
    async fn refetch_keys(
        &self,
        entry: &Entry,
        current: &Discovered,
    ) -> Result<Option<Arc<Discovered>>, ApiError> {
        if current.jwks_fetched_at.elapsed() < JWKS_REFETCH_MIN {
            return Ok(None);
        }
        let name = entry.config.name.as_str();
        let jwks = CoreJsonWebKeySet::fetch_async(current.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| unavailable(name, "key set", e))?;
        Ok(Some(Self::remember(
            entry,
            Discovered {
                metadata: current.metadata.clone().set_jwks(jwks),
                discovered_at: current.discovered_at,
                jwks_fetched_at: Instant::now(),
            },
        )))
    }

    /// Builds the authorization URL: code flow, PKCE S256, fresh state and
    /// nonce.
    pub async fn authorize(
        &self,
        name: &str,
        redirect_uri: &str,
    ) -> Result<Authorization, ApiError> {
        let entry = self.entry(name)?;
        if let ProviderKind::GitHub { .. } = entry.config.kind {
            return github::authorize(&entry.config, redirect_uri);
        }
        let discovered = self.discovered(entry).await?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|_| ApiError::validation("redirect_uri", "is not an absolute URL"))?;
        let client = CoreClient::from_provider_metadata(
            discovered.metadata.clone(),
            ClientId::new(entry.config.client_id.clone()),
            None,
        );
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_redirect_uri(Cow::Owned(redirect))
            .set_pkce_challenge(challenge);
        for scope in entry.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges an authorization code and checks the ID token it brings
    /// against `nonce` (GitHub: reads the user from its API instead).
    pub async fn exchange(
        &self,
        name: &str,
        code: &str,
        redirect_uri: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<ProvenIdentity, ApiError> {
        let entry = self.entry(name)?;
        if let ProviderKind::GitHub { api_url } = &entry.config.kind {
            let (config, http) = (&entry.config, &self.http);
            return github::exchange(http, config, api_url, code, redirect_uri, pkce_verifier)
                .await;
        }
        let discovered = self.discovered(entry).await?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(ApiError::internal)?;
        let client = CoreClient::from_provider_metadata(
            discovered.metadata.clone(),
            ClientId::new(entry.config.client_id.clone()),
            entry
                .config
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose().to_owned())),
        );
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|_| ApiError::OAuthFailed("the provider has no token endpoint"))?
            .set_redirect_uri(Cow::Owned(redirect))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await;
        let response = match response {
            Ok(response) => response,
            Err(RequestTokenError::Request(e)) => return Err(unavailable(name, "token", e)),
            Err(RequestTokenError::ServerResponse(e)) => {
                tracing::info!(provider = name, error = %e.error(), "the provider refused the code");
                return Err(ApiError::OAuthFailed(
                    "the provider refused the authorization code",
                ));
            }
            Err(e) => {
                tracing::warn!(provider = name, error = %e, "the token response could not be read");
                return Err(ApiError::OAuthFailed(
                    "the provider's token response could not be read",
                ));
            }
        };
        // The access token is not used: the ID token says who this is.
        let id_token = response
            .id_token()
            .ok_or(ApiError::OAuthFailed("the provider returned no ID token"))?
            .clone();
        let expected = Nonce::new(nonce.to_owned());
        self.verify(
            entry,
            discovered,
            &id_token,
            std::slice::from_ref(&entry.config.client_id),
            &expected,
        )
        .await
    }

    /// Checks an ID token a native app obtained itself: any of the
    /// provider's audiences, and exactly `nonce`.
    pub async fn verify_native(
        &self,
        name: &str,
        raw: &str,
        nonce: &str,
    ) -> Result<ProvenIdentity, ApiError> {
        self.accepts_id_tokens(name)?;
        let entry = self.entry(name)?;
        let id_token: CoreIdToken = raw.parse().map_err(|e| bad_id_token(name, e))?;
        let discovered = self.discovered(entry).await?;
        let expected = Nonce::new(nonce.to_owned());
        self.verify(
            entry,
            discovered,
            &id_token,
            &entry.config.audiences,
            &expected,
        )
        .await
    }

    async fn verify(
        &self,
        entry: &Entry,
        discovered: Arc<Discovered>,
        id_token: &CoreIdToken,
        audiences: &[String],
        nonce: &Nonce,
    ) -> Result<ProvenIdentity, ApiError> {
        let name = entry.config.name.as_str();
        let mut discovered = discovered;
        let mut refetched = false;
        loop {
            match check(entry, &discovered, id_token, audiences, nonce) {
                Ok(identity) => return Ok(identity),
                Err(ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                )) if !refetched => {
                    refetched = true;
                    match self.refetch_keys(entry, &discovered).await? {
                        Some(fresh) => discovered = fresh,
                        None => return Err(bad_id_token(name, "no key matches the token's kid")),
                    }
                }
                Err(e) => return Err(bad_id_token(name, e)),
            }
        }
    }
}

/// One pass of the ID-token checks against the cached keys: the first of
/// `audiences` the token names must be its audience.
fn check(
    entry: &Entry,
    discovered: &Discovered,
    id_token: &CoreIdToken,
    audiences: &[String],
    nonce: &Nonce,
) -> Result<ProvenIdentity, ClaimsVerificationError> {
    let issuer = discovered.metadata.issuer().clone();
    let jwks = discovered.metadata.jwks().clone();
    let mut last = ClaimsVerificationError::InvalidAudience("no audience configured".into());
    for audience in audiences {
        let others: Vec<String> = audiences.to_vec();
        let verifier = match &entry.config.client_secret {
            // HS256 tokens are signed with the web client's secret.
            Some(secret) if *audience == entry.config.client_id => {
                CoreIdTokenVerifier::new_confidential_client(
                    ClientId::new(audience.clone()),
                    ClientSecret::new(secret.expose().to_owned()),
                    issuer.clone(),
                    jwks.clone(),
                )
            }
            _ => CoreIdTokenVerifier::new_public_client(
                ClientId::new(audience.clone()),
                issuer.clone(),
                jwks.clone(),
            ),
        }
        // Another of the provider's own client ids may share the audience.
        .set_other_audience_verifier_fn(move |aud| others.iter().any(|a| a == aud.as_str()));
        match id_token.claims(&verifier, ExactNonce(nonce)) {
            Ok(claims) => {
                return Ok(ProvenIdentity {
                    provider: entry.config.name.clone(),
                    issuer: claims.issuer().as_str().to_owned(),
                    subject: claims.subject().as_str().to_owned(),
                    email: claims.email().map(|e| e.as_str().to_owned()),
                    email_verified: claims.email_verified().unwrap_or(false),
                    name: claims
                        .name()
                        .and_then(|n| n.get(None))
                        .map(|n| n.as_str().to_owned()),
                });
            }
            Err(ClaimsVerificationError::InvalidAudience(m)) => {
                last = ClaimsVerificationError::InvalidAudience(m);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// The token's `nonce` must be present and equal, compared in constant time.
struct ExactNonce<'a>(&'a Nonce);

impl NonceVerifier for ExactNonce<'_> {
    fn verify(self, nonce: Option<&Nonce>) -> Result<(), String> {
        use subtle::ConstantTimeEq;
        match nonce {
            Some(found)
                if bool::from(found.secret().as_bytes().ct_eq(self.0.secret().as_bytes())) =>
            {
                Ok(())
            }
            Some(_) => Err("the nonce does not match".into()),
            None => Err("the ID token has no nonce".into()),
        }
    }
}
