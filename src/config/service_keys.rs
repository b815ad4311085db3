//! `AUTH_SERVICE_KEYS` (API.md §18): the keys of the services that may
//! read the revocation feed, as `name:secret` (at least 32 bytes) or
//! `name:sha256:<hex>` (only the hash configured). A name may appear twice,
//! so a key rotates without downtime. Only SHA-256 digests are kept.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const MIN_SECRET_BYTES: usize = 32;

#[derive(Clone, Default)]
pub struct ServiceKeys(Vec<ServiceKey>);

#[derive(Clone)]
struct ServiceKey {
    name: String,
    digest: [u8; 32],
}

impl fmt::Debug for ServiceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|k| &k.name))
            .finish()
    }
}

impl ServiceKeys {
    /// The keys, or what is wrong with `AUTH_SERVICE_KEYS`.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        let mut keys = Vec::new();
        for entry in raw.unwrap_or("").split(',').map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            let (name, rest) = entry
                .split_once(':')
                .ok_or_else(|| String::from("each key is name:secret or name:sha256:<hex>"))?;
            let named_well = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !named_well {
                return Err(String::from(
                    "a service name is letters, digits, '-', '_' or '.'",
                ));
            }
            let digest = match rest.strip_prefix("sha256:") {
                Some(hex) => parse_digest(hex)
                    .ok_or_else(|| format!("{name}: sha256: takes 64 hex digits"))?,
                None if rest.len() >= MIN_SECRET_BYTES => Sha256::digest(rest.as_bytes()).into(),
                None => {
                    return Err(format!(
                        "{name}: a secret has at least {MIN_SECRET_BYTES} bytes"
                    ));
                }
            };
            keys.push(ServiceKey {
                name: name.to_owned(),
                digest,
            });
        }
        Ok(Self(keys))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The service whose key `presented` is. Every configured key is
    /// compared in constant time, so the time taken says neither which
    /// matched nor how much of one.
    pub fn identify(&self, presented: &str) -> Option<&str> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for key in &self.0 {
            if bool::from(key.digest.ct_eq(&digest)) && found.is_none() {
                found = Some(key.name.as_str());
            }
        }
        found
    }
}

fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn secrets_and_hashes_both_identify_their_service() {
        let hashed: String = Sha256::digest(b"another-secret-of-thirty-two-bytes!")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let raw = format!("api:{SECRET}, billing:sha256:{hashed}, api:{SECRET}-next");
        let keys = ServiceKeys::parse(Some(&raw)).unwrap_or_default();
        assert_eq!(keys.identify(SECRET), Some("api"));
        assert_eq!(keys.identify(&format!("{SECRET}-next")), Some("api"));
        assert_eq!(
            keys.identify("another-secret-of-thirty-two-bytes!"),
            Some("billing")
        );
        assert_eq!(keys.identify(&SECRET[1..]), None);
        assert_eq!(keys.identify(""), None);
        assert!(!format!("{keys:?}").contains(SECRET));
    }

    #[test]
    fn short_secrets_bad_names_and_bad_hashes_are_refused() {
        for raw in [
            "api:short",
            ":0123456789abcdef0123456789abcdef",
            "a b:0123456789abcdef0123456789abcdef",
            "api:sha256:abc",
            "api:sha256:zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "no-colon",
        ] {
            assert!(ServiceKeys::parse(Some(raw)).is_err(), "{raw}");
        }
        assert!(ServiceKeys::parse(None).is_ok_and(|k| k.is_empty()));
    }
}
