//! JWTs: the claims of API.md §2, issuing, and verification that pins the
//! algorithm and checks `iss`, `aud`, `exp` and `typ`.
//!
//! A refresh token must never pass as an access token, even with a
//! careless verifier that skips the `typ` claim: access tokens carry the
//! JOSE header `typ: at+jwt` (RFC 9068), and refresh tokens the audience
//! `<AUTH_AUDIENCE>:refresh`, which no resource server is configured to
//! accept. Only authd verifies refresh tokens.

pub mod keys;

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Header, Validation};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use self::keys::{KeyError, KeySet};
use crate::config::Settings;

/// Leeway for `exp`, for clocks of verifying services that run a bit behind.
pub const LEEWAY_SECS: u64 = 5;

/// The JOSE `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// The JOSE `typ` of Security Event Tokens (RFC 8417).
pub const SECURITY_EVENT_TYP: &str = "secevent+jwt";

/// The audience of refresh tokens for a given `AUTH_AUDIENCE`.
pub fn refresh_audience(audience: &str) -> String {
    format!("{audience}:refresh")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub sid: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: TokenType,
    pub email: String,
    pub email_verified: bool,
    pub roles: Vec<String>,
    /// Authenticator assurance level: `aal1` (a password) or `aal2` (a
    /// second factor too). Absent in tokens from before MFA: `aal1`.
    #[serde(default = "aal1")]
    pub aal: String,
    /// How the session authenticated (RFC 8176: `pwd`, `otp`, `mfa`).
    #[serde(default)]
    pub amr: Vec<String>,
    /// When the session last proved a password or factor (unix seconds).
    #[serde(default)]
    pub auth_time: i64,
}

fn aal1() -> String {
    AAL1.to_owned()
}

pub const AAL1: &str = "aal1";
pub const AAL2: &str = "aal2";

impl AccessClaims {
    pub fn is_aal2(&self) -> bool {
        self.aal == AAL2
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub sid: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    pub typ: TokenType,
}

/// A compact JWS exactly as `jsonwebtoken::encode` writes it (base64url of
/// the serde JSON of header and claims), signed with the cached key.
fn sign_ed25519<T: Serialize>(
    key: &ed25519_dalek::SigningKey,
    header: &Header,
    claims: &T,
) -> Result<String, TokenError> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_dalek::Signer;
    let part = |json: serde_json::Result<Vec<u8>>| {
        json.map(|j| URL_SAFE_NO_PAD.encode(j))
            .map_err(|_| TokenError::Signing)
    };
    let message = format!(
        "{}.{}",
        part(serde_json::to_vec(header))?,
        part(serde_json::to_vec(claims))?
    );
    let signature = key.sign(message.as_bytes());
    Ok(format!(
        "{message}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

trait Typed {
    fn typ(&self) -> TokenType;
}

impl Typed for AccessClaims {
    fn typ(&self) -> TokenType {
        self.typ
    }
}

impl Typed for RefreshClaims {
    fn typ(&self) -> TokenType {
        self.typ
    }
}

/// What makes a pair: its two token ids and its issue time. Kept for the
/// refresh grace window, it lets the same pair be signed again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairIds {
    pub access_jti: String,
    pub refresh_jti: String,
    pub iat: i64,
}

impl PairIds {
    pub fn new(at: chrono::NaiveDateTime) -> Self {
        Self {
            access_jti: uuid::Uuid::new_v4().to_string(),
            refresh_jti: uuid::Uuid::new_v4().to_string(),
            iat: at.and_utc().timestamp(),
        }
    }
}

/// Who an access token speaks for.
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    pub email_verified: bool,
    pub roles: &'a [String],
    /// The session's level: `aal`, `amr` and `auth_time` (unix seconds).
    pub aal: &'a str,
    pub amr: &'a [String],
    pub auth_time: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is invalid")]
    Invalid,
    #[error("the token could not be signed")]
    Signing,
}

/// How many verified access tokens to remember. Each entry is a few hundred
/// bytes; the bound keeps memory flat under any load.
const VERIFIED_CACHE_ENTRIES: u64 = 10_000;

pub struct Tokens {
    keys: KeySet,
    /// SHA-256 of an access token → its verified claims, until it expires:
    /// a token presented again skips the signature check. Revocation is
    /// still checked on every request (the guard asks the store).
    verified: moka::sync::Cache<[u8; 32], Arc<AccessClaims>>,
    issuer: String,
    audience: String,
    access_ttl: Duration,
    refresh_ttl: Duration,
    access_validation: Validation,
    refresh_validation: Validation,
    refresh_hs256_validation: Validation,
}

impl Tokens {
    pub fn new(settings: &Settings) -> Result<Self, KeyError> {
        let keys = KeySet::load(&settings.tokens.signing)?;
        let validation = |algorithm, audience: &str| {
            let mut validation = Validation::new(algorithm);
            validation.leeway = LEEWAY_SECS;
            validation.set_issuer(&[&settings.tokens.issuer]);
            validation.set_audience(&[audience]);
            validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            validation
        };
        let refresh = refresh_audience(&settings.tokens.audience);
        let access_validation = validation(keys.algorithm, &settings.tokens.audience);
        let refresh_validation = validation(keys.algorithm, &refresh);
        let refresh_hs256_validation = validation(jsonwebtoken::Algorithm::HS256, &refresh);
        Ok(Self {
            verified: moka::sync::Cache::builder()
                .max_capacity(VERIFIED_CACHE_ENTRIES)
                .time_to_live(settings.tokens.access_ttl)
                .build(),
            keys,
            issuer: settings.tokens.issuer.clone(),
            audience: settings.tokens.audience.clone(),
            access_ttl: settings.tokens.access_ttl,
            refresh_ttl: settings.tokens.refresh_ttl,
            access_validation,
            refresh_validation,
            refresh_hs256_validation,
        })
    }

    /// The keyed hash (HMAC-SHA256, hex) of a one-time code under the
    /// server's code key: what the database keeps instead of the code.
    pub fn code_hash(&self, purpose: &str, code: &str) -> String {
        use hmac::{Hmac, KeyInit, Mac};
        let Ok(mut mac) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.keys.code_key)
        else {
            // Unreachable (HMAC takes any key length); a value no stored
            // hash equals, never a shared one.
            return format!("unusable-{}", uuid::Uuid::new_v4());
        };
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(code.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn jwks(&self) -> &jsonwebtoken::jwk::JwkSet {
        &self.keys.jwks
    }

    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    pub fn refresh_ttl(&self) -> Duration {
        self.refresh_ttl
    }

    /// Signs an access token with id `jti`. Signing is deterministic (EdDSA
    /// and HS256): the same claims always give the same token.
    pub fn issue_access(
        &self,
        subject: &Subject<'_>,
        session_id: &str,
        now: i64,
        jti: &str,
    ) -> Result<(String, AccessClaims), TokenError> {
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.user_id.to_owned(),
            sid: session_id.to_owned(),
            jti: jti.to_owned(),
            iat: now,
            exp: now + self.access_ttl.as_secs() as i64,
            typ: TokenType::Access,
            email: subject.email.to_owned(),
            email_verified: subject.email_verified,
            roles: subject.roles.to_vec(),
            aal: subject.aal.to_owned(),
            amr: subject.amr.to_vec(),
            auth_time: subject.auth_time,
        };
        Ok((self.sign(&claims, ACCESS_TOKEN_TYP)?, claims))
    }

    pub fn issue_refresh(
        &self,
        user_id: &str,
        session_id: &str,
        now: i64,
        jti: &str,
    ) -> Result<(String, RefreshClaims), TokenError> {
        let claims = RefreshClaims {
            iss: self.issuer.clone(),
            aud: refresh_audience(&self.audience),
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            jti: jti.to_owned(),
            iat: now,
            exp: now + self.refresh_ttl.as_secs() as i64,
            typ: TokenType::Refresh,
        };
        let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
        header.typ = Some("JWT".to_owned());
        header.kid = Some(self.keys.refresh.signing_kid.clone());
        let token =
            jsonwebtoken::encode(&header, &claims, &self.keys.refresh.encoding).map_err(|e| {
                tracing::error!(error = %e, "signing a refresh token failed");
                TokenError::Signing
            })?;
        Ok((token, claims))
    }

    /// Signs a Security Event Token (RFC 8417: JOSE `typ: secevent+jwt`)
    /// with the access-token key, so receivers verify it with the JWKS.
    pub fn sign_security_event(&self, claims: &serde_json::Value) -> Result<String, TokenError> {
        self.sign(claims, SECURITY_EVENT_TYP)
    }

    fn sign<T: Serialize>(&self, claims: &T, typ: &str) -> Result<String, TokenError> {
        let mut header = Header::new(self.keys.algorithm);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.keys.signing_kid.clone());
        if let Some(key) = &self.keys.ed25519 {
            return sign_ed25519(key, &header, claims);
        }
        jsonwebtoken::encode(&header, claims, &self.keys.encoding).map_err(|e| {
            tracing::error!(error = %e, "signing a token failed");
            TokenError::Signing
        })
    }

    #[cfg(test)]
    fn sign_with_jsonwebtoken<T: Serialize>(&self, claims: &T, typ: &str) -> String {
        let mut header = Header::new(self.keys.algorithm);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.keys.signing_kid.clone());
        jsonwebtoken::encode(&header, claims, &self.keys.encoding).unwrap()
    }

    pub fn verify_access(&self, token: &str) -> Result<Arc<AccessClaims>, TokenError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(claims) = self.verified.get(&key) {
            // The same rule as the full check (jsonwebtoken's): valid up to
            // and including the second `exp` plus the leeway.
            if claims.exp + LEEWAY_SECS as i64 >= jsonwebtoken::get_current_timestamp() as i64 {
                return Ok(claims);
            }
            self.verified.invalidate(&key);
            return Err(TokenError::Expired);
        }
        let claims = Arc::new(self.verify::<AccessClaims>(token, TokenType::Access)?);
        self.verified.insert(key, claims.clone());
        Ok(claims)
    }

    /// A refresh token: HS256 under a refresh key (`rt-…` kid), or, until
    /// they expire, one signed like an access token before refresh keys
    /// existed.
    pub fn verify_refresh(&self, token: &str) -> Result<RefreshClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let Some(kid) = header
            .kid
            .as_deref()
            .filter(|kid| kid.starts_with(keys::REFRESH_KID_PREFIX))
        else {
            return self.verify(token, TokenType::Refresh);
        };
        if header.alg != jsonwebtoken::Algorithm::HS256 || header.typ.as_deref() != Some("JWT") {
            return Err(TokenError::Invalid);
        }
        let key = self
            .keys
            .refresh
            .decoding
            .get(kid)
            .ok_or(TokenError::Invalid)?;
        decode_checked(
            token,
            key,
            &self.refresh_hs256_validation,
            TokenType::Refresh,
        )
    }

    fn verify<T: DeserializeOwned + Typed>(
        &self,
        token: &str,
        expected: TokenType,
    ) -> Result<T, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != self.keys.algorithm {
            return Err(TokenError::Invalid);
        }
        let (validation, header_typ_ok) = match expected {
            TokenType::Access => (
                &self.access_validation,
                header.typ.as_deref() == Some(ACCESS_TOKEN_TYP),
            ),
            TokenType::Refresh => (
                &self.refresh_validation,
                header.typ.as_deref() != Some(ACCESS_TOKEN_TYP),
            ),
        };
        if !header_typ_ok {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.as_deref().unwrap_or(&self.keys.signing_kid);
        let key = self.keys.decoding.get(kid).ok_or(TokenError::Invalid)?;
        decode_checked(token, key, validation, expected)
    }
}

/// Decodes and checks a token; `Expired` only for a token that is valid in
/// every other respect (signature, issuer, audience, type): the caller may
/// then refresh; anything else is simply invalid.
fn decode_checked<T: DeserializeOwned + Typed>(
    token: &str,
    key: &jsonwebtoken::DecodingKey,
    validation: &Validation,
    expected: TokenType,
) -> Result<T, TokenError> {
    let data = match jsonwebtoken::decode::<T>(token, key, validation) {
        Ok(data) => data,
        Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => {
            let mut ignoring_exp = validation.clone();
            ignoring_exp.validate_exp = false;
            return match jsonwebtoken::decode::<T>(token, key, &ignoring_exp) {
                Ok(data) if data.claims.typ() == expected => Err(TokenError::Expired),
                _ => Err(TokenError::Invalid),
            };
        }
        Err(_) => return Err(TokenError::Invalid),
    };
    if data.claims.typ() != expected {
        return Err(TokenError::Invalid);
    }
    Ok(data.claims)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn new_tokens() -> (tempfile::TempDir, Tokens) {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.pem").display().to_string();
        let vars = HashMap::from([("AUTH_JWT_KEY_FILE".to_owned(), key)]);
        let tokens = Tokens::new(&Settings::from_vars(&vars).unwrap()).unwrap();
        (dir, tokens)
    }

    #[test]
    fn cached_key_signatures_equal_jsonwebtokens() {
        let (_dir, tokens) = new_tokens();
        let roles = ["viewer".to_owned()];
        let subject = Subject {
            user_id: "u",
            email: "u@example.com",
            email_verified: true,
            roles: &roles,
            aal: AAL1,
            amr: &[],
            auth_time: 1_700_000_000,
        };
        let (ours, claims) = tokens
            .issue_access(&subject, "s", 1_700_000_000, "j")
            .unwrap();
        assert_eq!(
            ours,
            tokens.sign_with_jsonwebtoken(&claims, ACCESS_TOKEN_TYP)
        );
    }

    #[test]
    fn refresh_tokens_are_hs256_under_a_refresh_key_and_never_pass_as_access() {
        let (_dir, tokens) = new_tokens();
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let (fresh, claims) = tokens.issue_refresh("u", "s", now, "k").unwrap();
        let header = jsonwebtoken::decode_header(&fresh).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
        assert_eq!(
            header.kid.unwrap(),
            format!("rt-{}", tokens.keys.signing_kid)
        );
        assert_eq!(tokens.verify_refresh(&fresh).unwrap(), claims);
        assert_eq!(tokens.verify_access(&fresh), Err(TokenError::Invalid));
        // Refresh tokens signed with the signing key before refresh keys
        // existed still verify until they expire.
        let legacy = tokens.sign(&claims, "JWT").unwrap();
        assert_eq!(tokens.verify_refresh(&legacy).unwrap(), claims);
        // A token under another refresh key, or tampered with, does not.
        let (_other_dir, other) = new_tokens();
        let (foreign, _) = other.issue_refresh("u", "s", now, "k").unwrap();
        assert_eq!(tokens.verify_refresh(&foreign), Err(TokenError::Invalid));
        let mut tampered = fresh.clone();
        tampered.pop();
        tampered.push(if fresh.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(tokens.verify_refresh(&tampered), Err(TokenError::Invalid));
    }
}
