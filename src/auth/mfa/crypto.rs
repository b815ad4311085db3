//! TOTP secrets at rest: AES-256-GCM under a key generated once into
//! `AUTH_MFA_KEY_FILE` (like the signing key, mode 0600). Each secret has
//! its own random nonce, and its factor id as associated data, so a
//! ciphertext copied onto another factor's row does not decrypt.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum MfaKeyError {
    #[error("cannot read {path}: {cause}")]
    Read { path: String, cause: String },
    #[error("cannot write {path}: {cause}")]
    Write { path: String, cause: String },
    #[error("{path} does not hold a base64 AES-256 key (32 bytes)")]
    Parse { path: String },
}

/// The key that encrypts TOTP secrets.
#[derive(Clone)]
pub struct MfaKey {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for MfaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaKey([redacted])")
    }
}

/// A secret that could not be decrypted (another key, a tampered row).
#[derive(Debug, thiserror::Error)]
#[error("the secret could not be decrypted")]
pub struct Undecryptable;

impl MfaKey {
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        Self {
            cipher: Aes256Gcm::new(bytes.into()),
        }
    }

    /// Loads the key from `path`, or creates it there (0600, its folder
    /// 0700) when the file does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, MfaKeyError> {
        let shown = || path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = STANDARD
                    .decode(text.trim())
                    .ok()
                    .and_then(|b| <[u8; KEY_LEN]>::try_from(b.as_slice()).ok())
                    .ok_or_else(|| MfaKeyError::Parse { path: shown() })?;
                Ok(Self::from_bytes(&bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let bytes = rand::random::<[u8; KEY_LEN]>();
                let err = |cause: String| MfaKeyError::Write {
                    path: shown(),
                    cause,
                };
                if let Some(parent) = path.parent()
                    && !parent.as_os_str().is_empty()
                {
                    crate::private_fs::create_dir_all(parent).map_err(|e| err(e.to_string()))?;
                }
                let mut options = crate::private_fs::options();
                options.write(true).create_new(true);
                let mut file = options.open(path).map_err(|e| err(e.to_string()))?;
                file.write_all(format!("{}\n", STANDARD.encode(bytes)).as_bytes())
                    .map_err(|e| err(e.to_string()))?;
                tracing::info!(path = %path.display(), "generated a new MFA secret key");
                Ok(Self::from_bytes(&bytes))
            }
            Err(e) => Err(MfaKeyError::Read {
                path: shown(),
                cause: e.to_string(),
            }),
        }
    }

    /// base64(nonce ‖ ciphertext) of `plain`, bound to `factor_id`.
    pub fn seal(&self, factor_id: &str, plain: &[u8]) -> Result<String, Undecryptable> {
        let nonce_bytes = rand::random::<[u8; NONCE_LEN]>();
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce_bytes),
                Payload {
                    msg: plain,
                    aad: factor_id.as_bytes(),
                },
            )
            .map_err(|_| Undecryptable)?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        Ok(STANDARD.encode(out))
    }

    pub fn open(&self, factor_id: &str, sealed: &str) -> Result<Vec<u8>, Undecryptable> {
        let raw = STANDARD.decode(sealed).map_err(|_| Undecryptable)?;
        if raw.len() <= NONCE_LEN {
            return Err(Undecryptable);
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: factor_id.as_bytes(),
                },
            )
            .map_err(|_| Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_for_their_factor() {
        let key = MfaKey::from_bytes(&[7; KEY_LEN]);
        let sealed = key.seal("f1", b"secret").unwrap();
        assert!(!sealed.contains("secret"));
        assert_eq!(key.open("f1", &sealed).unwrap(), b"secret");
        assert!(key.open("f2", &sealed).is_err());
        assert!(
            MfaKey::from_bytes(&[8; KEY_LEN])
                .open("f1", &sealed)
                .is_err()
        );
    }
}
