//! The password hash schemes a stored hash may carry (API.md §16).
//!
//! The scheme is read from the hash itself; no column says it:
//!
//! | stored form | scheme |
//! |---|---|
//! | `$2a$`, `$2b$`, `$2y$`… | authd's own: bcrypt over base64(SHA-256(password)) |
//! | `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, `$argon2i$…` | Argon2 over the password (PHC); authd's own when `AUTH_PASSWORD_HASH=argon2id` |
//! | `{bcrypt}$2b$…` | bcrypt over the raw password, imported |
//! | `{pbkdf2-sha1}I$SALT$HASH`, `{pbkdf2-sha256}…`, `{pbkdf2-sha512}…` | PBKDF2-HMAC, `I` iterations, salt and hash in padded base64 |
//! | `{firebase-scrypt}r=R,m=M$SIGNER$SEPARATOR$SALT$HASH` | Firebase's modified scrypt with the project's parameters, base64 |
//!
//! Only authd's own bcrypt hashes are untagged (they predate the tags); an
//! export writes them as `{authd-bcrypt}$2b$…`, so a raw bcrypt hash from
//! elsewhere (`$2b$…` in an import) is never taken for one of ours.
//! Parameters above [`Limits`] are refused at import and never verified:
//! a verification costs what its parameters say.

use aes::cipher::{KeyIvInit, StreamCipher};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use subtle::ConstantTimeEq;

/// How an export writes authd's own bcrypt hashes.
pub const AUTHD_BCRYPT_TAG: &str = "{authd-bcrypt}";
const RAW_BCRYPT_TAG: &str = "{bcrypt}";
const FIREBASE_TAG: &str = "{firebase-scrypt}";

/// The highest parameters a stored hash may have (API.md §16).
pub const MAX_BCRYPT_COST: u32 = 14;
pub const MAX_PBKDF2_ITERATIONS: u32 = 2_000_000;
/// Argon2 memory, KiB (256 MiB).
pub const MAX_ARGON2_KIB: u32 = 256 * 1024;
pub const MAX_ARGON2_PASSES: u32 = 16;
pub const MAX_ARGON2_LANES: u32 = 16;
/// scrypt N = 2^17.
pub const MAX_SCRYPT_LOG_N: u8 = 17;
/// scrypt r (Firebase's "rounds", 8 in every project seen): with
/// N = 2^17, 128 MiB.
pub const MAX_SCRYPT_R: u32 = 8;
/// PBKDF2 output blocks: each costs the iterations again (Keycloak's
/// SHA-256 credentials have two).
pub const MAX_PBKDF2_BLOCKS: usize = 4;

/// authd's own Argon2id parameters (OWASP's first choice).
pub const ARGON2_KIB: u32 = 19_456;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;
const ARGON2_VERSION: u32 = 0x13;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prf {
    Sha1,
    Sha256,
    Sha512,
}

impl Prf {
    fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Self::Sha1 => "{pbkdf2-sha1}",
            Self::Sha256 => "{pbkdf2-sha256}",
            Self::Sha512 => "{pbkdf2-sha512}",
        }
    }
}

/// Firebase's project parameters and one user's salt and hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firebase {
    pub rounds: u32,
    pub mem_cost: u8,
    pub signer_key: Vec<u8>,
    pub salt_separator: Vec<u8>,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

/// A stored hash, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// authd's own bcrypt over a SHA-256 pre-hash.
    AuthdBcrypt {
        cost: u32,
    },
    /// bcrypt over the raw password (imported).
    RawBcrypt {
        cost: u32,
    },
    Argon2 {
        id: bool,
        version: u32,
        kib: u32,
        passes: u32,
        lanes: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    Pbkdf2 {
        prf: Prf,
        iterations: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    Firebase(Firebase),
}

/// Why a hash cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("unsupported password hash")]
    Unsupported,
    #[error("password hash parameters above the limit ({0})")]
    TooCostly(&'static str),
}

impl Scheme {
    /// Reads a stored hash (the forms in the module documentation), checking
    /// its parameters against the limits.
    pub fn parse(stored: &str) -> Result<Self, Refused> {
        let scheme = Self::read(stored).ok_or(Refused::Unsupported)?;
        scheme.check_limits()?;
        Ok(scheme)
    }

    /// Reads a stored hash without the import's limits (for verifying).
    pub fn read(stored: &str) -> Option<Self> {
        if let Some(rest) = stored.strip_prefix(RAW_BCRYPT_TAG) {
            return Some(Self::RawBcrypt {
                cost: bcrypt_cost(rest)?,
            });
        }
        if stored.starts_with("$2") {
            return Some(Self::AuthdBcrypt {
                cost: bcrypt_cost(stored)?,
            });
        }
        if stored.starts_with("$argon2") {
            return parse_argon2(stored);
        }
        if let Some(rest) = stored.strip_prefix(FIREBASE_TAG) {
            return parse_firebase(rest);
        }
        for prf in [Prf::Sha1, Prf::Sha256, Prf::Sha512] {
            if let Some(rest) = stored.strip_prefix(prf.tag()) {
                let mut parts = rest.split('$');
                let iterations = parts.next()?.parse().ok()?;
                let salt = STANDARD.decode(parts.next()?).ok()?;
                let hash = STANDARD.decode(parts.next()?).ok()?;
                if parts.next().is_some() || hash.is_empty() || hash.len() > 128 {
                    return None;
                }
                return Some(Self::Pbkdf2 {
                    prf,
                    iterations,
                    salt,
                    hash,
                });
            }
        }
        None
    }

    fn check_limits(&self) -> Result<(), Refused> {
        let ok = match self {
            Self::AuthdBcrypt { cost } | Self::RawBcrypt { cost } => {
                if *cost > MAX_BCRYPT_COST {
                    return Err(Refused::TooCostly("bcrypt cost 14"));
                }
                true
            }
            Self::Argon2 {
                kib, passes, lanes, ..
            } => {
                if *kib > MAX_ARGON2_KIB || *passes > MAX_ARGON2_PASSES || *lanes > MAX_ARGON2_LANES
                {
                    return Err(Refused::TooCostly("Argon2 256 MiB, 16 passes, 16 lanes"));
                }
                argon2_params(*kib, *passes, *lanes, 32).is_some()
            }
            Self::Pbkdf2 {
                prf,
                iterations,
                hash,
                ..
            } => {
                if *iterations > MAX_PBKDF2_ITERATIONS
                    || hash.len().div_ceil(prf.output_len()) > MAX_PBKDF2_BLOCKS
                {
                    return Err(Refused::TooCostly(
                        "PBKDF2 2,000,000 iterations, 4 output blocks",
                    ));
                }
                *iterations > 0
            }
            Self::Firebase(f) => {
                if f.mem_cost > MAX_SCRYPT_LOG_N || f.rounds > MAX_SCRYPT_R {
                    return Err(Refused::TooCostly("scrypt N = 2^17, r = 8"));
                }
                scrypt::Params::new(f.mem_cost, f.rounds, 1).is_ok() && !f.hash.is_empty()
            }
        };
        if ok {
            Ok(())
        } else {
            Err(Refused::Unsupported)
        }
    }

    /// The stored form.
    pub fn to_stored(&self) -> Option<String> {
        match self {
            // bcrypt strings are kept as they came; see `import`.
            Self::AuthdBcrypt { .. } | Self::RawBcrypt { .. } => None,
            Self::Argon2 {
                id,
                version,
                kib,
                passes,
                lanes,
                salt,
                hash,
            } => Some(format!(
                "$argon2{}$v={version}$m={kib},t={passes},p={lanes}${}${}",
                if *id { "id" } else { "i" },
                STANDARD_NO_PAD.encode(salt),
                STANDARD_NO_PAD.encode(hash)
            )),
            Self::Pbkdf2 {
                prf,
                iterations,
                salt,
                hash,
            } => Some(format!(
                "{}{iterations}${}${}",
                prf.tag(),
                STANDARD.encode(salt),
                STANDARD.encode(hash)
            )),
            Self::Firebase(f) => Some(format!(
                "{FIREBASE_TAG}r={},m={}${}${}${}${}",
                f.rounds,
                f.mem_cost,
                STANDARD.encode(&f.signer_key),
                STANDARD.encode(&f.salt_separator),
                STANDARD.encode(&f.salt),
                STANDARD.encode(&f.hash)
            )),
        }
    }

    /// Whether `password` is the one this hash was made from. Runs the
    /// scheme's own work: call it off the async workers.
    pub fn verify(&self, password: &str, stored: &str) -> bool {
        match self {
            Self::AuthdBcrypt { .. } => bcrypt::verify(prehash(password), stored).unwrap_or(false),
            Self::RawBcrypt { .. } => stored
                .strip_prefix(RAW_BCRYPT_TAG)
                .is_some_and(|raw| bcrypt::verify(password, raw).unwrap_or(false)),
            Self::Argon2 {
                id,
                version,
                kib,
                passes,
                lanes,
                salt,
                hash,
            } => {
                let Some(params) = argon2_params(*kib, *passes, *lanes, hash.len()) else {
                    return false;
                };
                let version = if *version == 0x10 {
                    argon2::Version::V0x10
                } else {
                    argon2::Version::V0x13
                };
                let algorithm = if *id {
                    argon2::Algorithm::Argon2id
                } else {
                    argon2::Algorithm::Argon2i
                };
                let mut out = vec![0u8; hash.len()];
                argon2_into(algorithm, version, params, password, salt, &mut out)
                    && bool::from(out.ct_eq(hash))
            }
            Self::Pbkdf2 {
                prf,
                iterations,
                salt,
                hash,
            } => {
                let mut out = vec![0u8; hash.len()];
                let pw = password.as_bytes();
                match prf {
                    Prf::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pw, salt, *iterations, &mut out),
                    Prf::Sha256 => {
                        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pw, salt, *iterations, &mut out);
                    }
                    Prf::Sha512 => {
                        pbkdf2::pbkdf2_hmac::<sha2::Sha512>(pw, salt, *iterations, &mut out);
                    }
                }
                bool::from(out.ct_eq(hash))
            }
            Self::Firebase(f) => {
                firebase_hash(password, f).is_some_and(|h| bool::from(h.ct_eq(&f.hash)))
            }
        }
    }
}

fn bcrypt_cost(hash: &str) -> Option<u32> {
    let mut parts = hash.split('$');
    let (empty, variant, cost, rest) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let known = matches!(variant, "2a" | "2b" | "2y");
    (empty.is_empty() && known && rest.len() == 53 && parts.next().is_none())
        .then(|| cost.parse().ok())
        .flatten()
}

thread_local! {
    /// This password worker's Argon2 memory, kept from one hash to the
    /// next. Allocating it per login (19 MiB) let the allocator keep
    /// gigabytes resident under a login load (issue #35's bench); the
    /// workers are one per core, so this holds cores × 19 MiB at most.
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Argon2 of `password` into `out`, in the worker's kept memory when the
/// parameters fit authd's own (an imported hash that asks for more borrows
/// its memory for this one call).
fn argon2_into(
    algorithm: argon2::Algorithm,
    version: argon2::Version,
    params: argon2::Params,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> bool {
    let blocks = params.block_count();
    let argon = argon2::Argon2::new(algorithm, version, params);
    let mut hash = |memory: &mut [argon2::Block]| {
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt, out, memory)
            .is_ok()
    };
    if blocks > ARGON2_KIB as usize {
        return hash(&mut vec![argon2::Block::default(); blocks]);
    }
    ARGON2_MEMORY.with(|kept| match kept.try_borrow_mut() {
        Ok(mut memory) => {
            if memory.len() < blocks {
                memory.resize(blocks, argon2::Block::default());
            }
            hash(&mut memory[..blocks])
        }
        Err(_) => hash(&mut vec![argon2::Block::default(); blocks]),
    })
}

fn argon2_params(kib: u32, passes: u32, lanes: u32, len: usize) -> Option<argon2::Params> {
    argon2::Params::new(kib, passes, lanes, Some(len)).ok()
}

fn parse_argon2(stored: &str) -> Option<Scheme> {
    let mut parts = stored.split('$');
    if !parts.next()?.is_empty() {
        return None;
    }
    let id = match parts.next()? {
        "argon2id" => true,
        "argon2i" => false,
        _ => return None,
    };
    let mut next = parts.next()?;
    let mut version = 0x10;
    if let Some(v) = next.strip_prefix("v=") {
        version = v.parse().ok()?;
        next = parts.next()?;
    }
    if version != 0x10 && version != ARGON2_VERSION {
        return None;
    }
    let (mut kib, mut passes, mut lanes) = (None, None, None);
    for pair in next.split(',') {
        let (key, value) = pair.split_once('=')?;
        let value = value.parse().ok()?;
        match key {
            "m" => kib = Some(value),
            "t" => passes = Some(value),
            "p" => lanes = Some(value),
            _ => return None,
        }
    }
    let salt = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
    let hash = STANDARD_NO_PAD.decode(parts.next()?).ok()?;
    if parts.next().is_some() || hash.len() < 4 || hash.len() > 128 {
        return None;
    }
    Some(Scheme::Argon2 {
        id,
        version,
        kib: kib?,
        passes: passes?,
        lanes: lanes?,
        salt,
        hash,
    })
}

fn parse_firebase(rest: &str) -> Option<Scheme> {
    let mut parts = rest.split('$');
    let mut params = parts.next()?.split(',');
    let rounds = params.next()?.strip_prefix("r=")?.parse().ok()?;
    let mem_cost = params.next()?.strip_prefix("m=")?.parse().ok()?;
    if params.next().is_some() {
        return None;
    }
    let mut field = || parts.next().and_then(|p| STANDARD.decode(p).ok());
    let firebase = Firebase {
        rounds,
        mem_cost,
        signer_key: field()?,
        salt_separator: field()?,
        salt: field()?,
        hash: field()?,
    };
    parts.next().is_none().then_some(Scheme::Firebase(firebase))
}

/// Firebase's modified scrypt: the scrypt key of the password (salt, then
/// the project's separator; N = 2^mem_cost, r = rounds, p = 1) encrypts
/// the project's signer key with AES-256-CTR under a zero IV.
pub fn firebase_hash(password: &str, f: &Firebase) -> Option<Vec<u8>> {
    let params = scrypt::Params::new(f.mem_cost, f.rounds, 1).ok()?;
    let mut salt = f.salt.clone();
    salt.extend_from_slice(&f.salt_separator);
    let mut key = [0u8; 32];
    scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key).ok()?;
    let mut out = f.signer_key.clone();
    let mut cipher = ctr::Ctr128BE::<aes::Aes256>::new(&key.into(), &[0u8; 16].into());
    cipher.apply_keystream(&mut out);
    Some(out)
}

/// authd's own Argon2id hash of `password`.
pub fn argon2id_hash(password: &str) -> Option<String> {
    let salt: [u8; 16] = rand::random();
    let params = argon2_params(ARGON2_KIB, ARGON2_PASSES, ARGON2_LANES, 32)?;
    let mut hash = vec![0u8; 32];
    let (id, v13) = (argon2::Algorithm::Argon2id, argon2::Version::V0x13);
    if !argon2_into(id, v13, params, password, &salt, &mut hash) {
        return None;
    }
    Scheme::Argon2 {
        id: true,
        version: ARGON2_VERSION,
        kib: ARGON2_KIB,
        passes: ARGON2_PASSES,
        lanes: ARGON2_LANES,
        salt: salt.to_vec(),
        hash,
    }
    .to_stored()
}

/// The stored form of a hash as an import (or another system) gives it:
/// the forms in the module documentation, `{authd-bcrypt}$2b$…` for an
/// exported authd hash, a bare `$2a$`/`$2b$`/`$2y$` for bcrypt over the raw
/// password, and Django's `pbkdf2_sha256$I$SALT$HASH`, `pbkdf2_sha1$…` and
/// `argon2$argon2id$…`.
pub fn import(given: &str) -> Result<String, Refused> {
    let stored = if let Some(own) = given.strip_prefix(AUTHD_BCRYPT_TAG) {
        own.to_owned()
    } else if given.starts_with("$2") {
        format!("{RAW_BCRYPT_TAG}{given}")
    } else if let Some(django) = django(given) {
        django
    } else if let Some(argon) = given.strip_prefix("argon2$argon2") {
        format!("$argon2{argon}")
    } else {
        given.to_owned()
    };
    let scheme = Scheme::parse(&stored)?;
    // Re-encode what has a canonical form, so what is stored is what verifies.
    Ok(scheme.to_stored().unwrap_or(stored))
}

fn django(given: &str) -> Option<String> {
    let (prf, rest) = if let Some(rest) = given.strip_prefix("pbkdf2_sha256$") {
        (Prf::Sha256, rest)
    } else {
        (Prf::Sha1, given.strip_prefix("pbkdf2_sha1$")?)
    };
    let mut parts = rest.splitn(3, '$');
    let iterations = parts.next()?;
    let salt = parts.next()?;
    let hash = parts.next()?;
    Some(format!(
        "{}{iterations}${}${hash}",
        prf.tag(),
        STANDARD.encode(salt.as_bytes())
    ))
}

/// How an export writes a stored hash: authd's own bcrypt gets its tag.
pub fn export(stored: &str) -> String {
    if stored.starts_with("$2") {
        format!("{AUTHD_BCRYPT_TAG}{stored}")
    } else {
        stored.to_owned()
    }
}

/// authd's own bcrypt hashes are of the password's SHA-256, base64: bcrypt
/// reads only 72 bytes, and this keeps every character of a long password.
pub(crate) fn prehash(password: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(password.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector in firebase/scrypt's README.
    #[test]
    fn firebase_scrypt_matches_the_published_vector() {
        let f = Firebase {
            rounds: 8,
            mem_cost: 14,
            signer_key: STANDARD
                .decode("jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==")
                .unwrap(),
            salt_separator: STANDARD.decode("Bw==").unwrap(),
            salt: STANDARD.decode("42xEC+ixf3L2lw==").unwrap(),
            hash: STANDARD
                .decode("lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==")
                .unwrap(),
        };
        assert_eq!(firebase_hash("user1password", &f).unwrap(), f.hash);
        let stored = Scheme::Firebase(f).to_stored().unwrap();
        let scheme = Scheme::parse(&stored).unwrap();
        assert!(scheme.verify("user1password", &stored));
        assert!(crate::password::verify_blocking("user1password", &stored));
        assert!(!scheme.verify("user1passwore", &stored));
    }

    #[test]
    fn raw_bcrypt_is_tagged_and_authd_bcrypt_round_trips() {
        let raw = bcrypt::hash("secret", 4).unwrap();
        let stored = import(&raw).unwrap();
        assert!(stored.starts_with("{bcrypt}$2"));
        assert!(Scheme::parse(&stored).unwrap().verify("secret", &stored));
        let own = super::super::hash_blocking("secret", 4).unwrap();
        assert_eq!(import(&export(&own)).unwrap(), own);
        let scheme = Scheme::parse(&own).unwrap();
        assert_eq!(scheme, Scheme::AuthdBcrypt { cost: 4 });
        assert!(scheme.verify("secret", &own));
    }

    #[test]
    fn django_pbkdf2_and_argon2_verify() {
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"pw", b"saltsalt", 1000, &mut out);
        let given = format!("pbkdf2_sha256$1000$saltsalt${}", STANDARD.encode(out));
        let stored = import(&given).unwrap();
        assert!(Scheme::parse(&stored).unwrap().verify("pw", &stored));
        assert!(!Scheme::parse(&stored).unwrap().verify("px", &stored));
        let argon = argon2id_hash("pw").unwrap();
        assert_eq!(import(&format!("argon2{argon}")).unwrap(), argon);
        assert!(Scheme::parse(&argon).unwrap().verify("pw", &argon));
    }

    #[test]
    fn costly_parameters_are_refused() {
        let too_slow = format!("$2b$15${}", "a".repeat(53));
        assert!(matches!(import(&too_slow), Err(Refused::TooCostly(_))));
        let big = "$argon2id$v=19$m=300000,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
        assert!(matches!(import(big), Err(Refused::TooCostly(_))));
        let many = format!(
            "{{pbkdf2-sha256}}2000001$c2FsdA==${}",
            STANDARD.encode([0u8; 32])
        );
        assert!(matches!(import(&many), Err(Refused::TooCostly(_))));
        assert_eq!(import("md5$abc"), Err(Refused::Unsupported));
        assert_eq!(
            import("$argon2d$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"),
            Err(Refused::Unsupported)
        );
    }
}
