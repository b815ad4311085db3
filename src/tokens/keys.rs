//! Signing and verification keys, and the JWKS that publishes the public ones.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use crate::config::JwtSettings;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read {path}: {cause}")]
    Read { path: String, cause: String },
    #[error("cannot write {path}: {cause}")]
    Write { path: String, cause: String },
    #[error("{path} is not an Ed25519 key in PEM form: {cause}")]
    Parse { path: String, cause: String },
    #[error("verification key {path}: {cause}")]
    VerifyKey { path: String, cause: String },
    #[error("{0}")]
    Other(String),
}

impl KeyError {
    /// The configuration variable a failure is about.
    pub fn variable(&self) -> &'static str {
        match self {
            Self::VerifyKey { .. } => "AUTH_JWT_VERIFY_KEY_FILES",
            _ => "AUTH_JWT_KEY_FILE",
        }
    }
}

/// The key set of a running server: one key signs, every key verifies.
pub struct KeySet {
    pub algorithm: Algorithm,
    pub signing_kid: String,
    pub encoding: EncodingKey,
    /// The Ed25519 signing key, parsed once (jsonwebtoken re-parses it and
    /// re-derives its public half on every signature).
    pub ed25519: Option<SigningKey>,
    pub decoding: HashMap<String, DecodingKey>,
    pub jwks: JwkSet,
    /// Refresh tokens are HS256 under keys derived from the private keys
    /// (see [`RefreshKeys`]).
    pub refresh: RefreshKeys,
    /// The key of the keyed hashes of one-time codes (email sign-in,
    /// API.md §15), derived from the signing key like the refresh keys:
    /// a stolen database alone cannot test codes offline.
    pub code_key: [u8; 32],
}

/// The keys of refresh tokens. Only authd verifies refresh tokens, so they
/// need not be publicly verifiable: an HMAC (about a microsecond) instead
/// of Ed25519 (tens of microseconds to sign, more to verify). Each key is
/// derived from a private signing key, so it rotates with it and needs no
/// file of its own; it is never published. A refresh token names its key
/// by the kid `rt-<signing key's kid>`.
pub struct RefreshKeys {
    pub signing_kid: String,
    pub encoding: EncodingKey,
    pub decoding: HashMap<String, DecodingKey>,
}

/// The kid prefix of refresh-token keys.
pub const REFRESH_KID_PREFIX: &str = "rt-";

impl RefreshKeys {
    fn new(signing_kid: &str, secret: &[u8]) -> Result<Self, KeyError> {
        let (kid, bytes) = derive_refresh_key(signing_kid, secret)?;
        let other = |e: jsonwebtoken::errors::Error| KeyError::Other(e.to_string());
        Ok(Self {
            signing_kid: kid.clone(),
            encoding: EncodingKey::from_secret(&bytes).map_err(other)?,
            decoding: HashMap::from([(kid, DecodingKey::from_secret(&bytes).map_err(other)?)]),
        })
    }

    /// Refresh tokens signed under an older key (kept in
    /// `AUTH_JWT_VERIFY_KEY_FILES` as a private key) still verify.
    fn add(&mut self, signing_kid: &str, secret: &[u8]) -> Result<(), KeyError> {
        let (kid, bytes) = derive_refresh_key(signing_kid, secret)?;
        let key = DecodingKey::from_secret(&bytes).map_err(|e| KeyError::Other(e.to_string()))?;
        self.decoding.entry(kid).or_insert(key);
        Ok(())
    }
}

fn derive_code_key(secret: &[u8]) -> Result<[u8; 32], KeyError> {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret)
        .map_err(|e| KeyError::Other(e.to_string()))?;
    mac.update(b"authd one-time code key v1");
    Ok(mac.finalize().into_bytes().into())
}

fn derive_refresh_key(signing_kid: &str, secret: &[u8]) -> Result<(String, [u8; 32]), KeyError> {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret)
        .map_err(|e| KeyError::Other(e.to_string()))?;
    mac.update(b"authd refresh-token key v1");
    Ok((
        format!("{REFRESH_KID_PREFIX}{signing_kid}"),
        mac.finalize().into_bytes().into(),
    ))
}

impl KeySet {
    pub fn load(settings: &JwtSettings) -> Result<Self, KeyError> {
        match settings {
            JwtSettings::Hs256 { secret } => {
                let bytes = secret.expose().as_bytes();
                let encoding =
                    EncodingKey::from_secret(bytes).map_err(|e| KeyError::Other(e.to_string()))?;
                let decoding =
                    DecodingKey::from_secret(bytes).map_err(|e| KeyError::Other(e.to_string()))?;
                let kid = "hs256".to_owned();
                Ok(Self {
                    algorithm: Algorithm::HS256,
                    signing_kid: kid.clone(),
                    encoding,
                    ed25519: None,
                    refresh: RefreshKeys::new(&kid, bytes)?,
                    code_key: derive_code_key(bytes)?,
                    decoding: HashMap::from([(kid, decoding)]),
                    jwks: JwkSet { keys: Vec::new() },
                })
            }
            JwtSettings::EdDsa {
                key_file,
                verify_key_files,
            } => {
                let signing = load_or_create_signing_key(key_file)?;
                let pem = signing
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|e| KeyError::Other(e.to_string()))?;
                let encoding = EncodingKey::from_ed_pem(pem.as_bytes())
                    .map_err(|e| KeyError::Other(e.to_string()))?;
                let signing_kid = kid_of(&signing)?;
                let mut set = Self {
                    algorithm: Algorithm::EdDSA,
                    signing_kid: String::new(),
                    encoding,
                    ed25519: None,
                    decoding: HashMap::new(),
                    jwks: JwkSet { keys: Vec::new() },
                    refresh: RefreshKeys::new(&signing_kid, signing.as_bytes())?,
                    code_key: derive_code_key(signing.as_bytes())?,
                };
                set.signing_kid = set.add_public(&signing.verifying_key())?;
                set.ed25519 = Some(signing);
                for path in verify_key_files {
                    let (key, private) =
                        load_verifying_key(path).map_err(|e| KeyError::VerifyKey {
                            path: path.display().to_string(),
                            cause: e.to_string(),
                        })?;
                    let kid = set.add_public(&key)?;
                    // Only a private key can vouch for its refresh tokens.
                    if let Some(private) = private {
                        set.refresh.add(&kid, private.as_bytes())?;
                    }
                }
                Ok(set)
            }
        }
    }

    /// Adds a verification key and its JWK; returns its kid (the RFC 7638
    /// thumbprint, so the same key always has the same id).
    fn add_public(&mut self, key: &VerifyingKey) -> Result<String, KeyError> {
        let x = URL_SAFE_NO_PAD.encode(key.as_bytes());
        let decoding =
            DecodingKey::from_ed_components(&x).map_err(|e| KeyError::Other(e.to_string()))?;
        let mut jwk = ed25519_jwk(key)?;
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| KeyError::Other(e.to_string()))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::EdDSA);
        if !self.decoding.contains_key(&kid) {
            self.decoding.insert(kid.clone(), decoding);
            self.jwks.keys.push(jwk);
        }
        Ok(kid)
    }
}

fn load_or_create_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    match std::fs::read_to_string(path) {
        Ok(pem) => SigningKey::from_pkcs8_pem(&pem).map_err(|e| KeyError::Parse {
            path: path.display().to_string(),
            cause: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = generate_signing_key();
            write_signing_key(path, &key, false)?;
            tracing::info!(path = %path.display(), "generated a new Ed25519 signing key");
            Ok(key)
        }
        Err(e) => Err(KeyError::Read {
            path: path.display().to_string(),
            cause: e.to_string(),
        }),
    }
}

/// A public key file (SPKI PEM), or a private key file whose public half is
/// used (and which is returned too).
fn load_verifying_key(path: &Path) -> Result<(VerifyingKey, Option<SigningKey>), KeyError> {
    let pem = std::fs::read_to_string(path).map_err(|e| KeyError::Read {
        path: path.display().to_string(),
        cause: e.to_string(),
    })?;
    VerifyingKey::from_public_key_pem(&pem)
        .map(|public| (public, None))
        .or_else(|_| SigningKey::from_pkcs8_pem(&pem).map(|k| (k.verifying_key(), Some(k))))
        .map_err(|e| KeyError::Parse {
            path: path.display().to_string(),
            cause: e.to_string(),
        })
}

pub fn generate_signing_key() -> SigningKey {
    SigningKey::from_bytes(&rand::random::<[u8; 32]>())
}

/// Writes a PKCS#8 PEM readable by its owner only (0600).
pub fn write_signing_key(path: &Path, key: &SigningKey, overwrite: bool) -> Result<(), KeyError> {
    let err = |cause: String| KeyError::Write {
        path: path.display().to_string(),
        cause,
    };
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        crate::private_fs::create_dir_all(parent).map_err(|e| err(e.to_string()))?;
    }
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| err(e.to_string()))?;
    let mut options = crate::private_fs::options();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| err(e.to_string()))?;
    file.write_all(pem.as_bytes())
        .map_err(|e| err(e.to_string()))
}

/// The kid a signing key gets, as `authd keygen` reports it: the RFC 7638
/// thumbprint of its public half.
pub fn kid_of(key: &SigningKey) -> Result<String, KeyError> {
    ed25519_jwk(&key.verifying_key())?
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|e| KeyError::Other(e.to_string()))
}

fn ed25519_jwk(key: &VerifyingKey) -> Result<Jwk, KeyError> {
    let x = URL_SAFE_NO_PAD.encode(key.as_bytes());
    serde_json::from_value(serde_json::json!({
        "kty": "OKP", "crv": "Ed25519", "x": x,
    }))
    .map_err(|e| KeyError::Other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn hs256(secret: &str) -> Option<KeySet> {
        let settings = JwtSettings::Hs256 {
            secret: Secret::new(secret.to_owned()),
        };
        KeySet::load(&settings).ok()
    }

    /// The one-time-code key (API.md §15) is the signing key's: the same
    /// after a restart, another for another key, never a constant (with a
    /// constant, a stolen database alone would test codes offline).
    #[test]
    fn the_code_key_is_derived_from_the_signing_key() {
        let (a, b) = ("a".repeat(32), "b".repeat(32));
        let keys = [hs256(&a), hs256(&a), hs256(&b)].map(|k| k.map(|k| k.code_key));
        assert!(keys.iter().all(Option::is_some));
        assert_eq!(keys[0], keys[1]);
        assert_ne!(keys[0], keys[2]);
    }
}
