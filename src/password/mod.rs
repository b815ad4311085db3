//! Password hashing and policy.
//!
//! Hashes are bcrypt over a SHA-256 pre-hash: `bcrypt(base64(sha256(pw)))`.
//! bcrypt reads only 72 bytes, so hashing the raw password would let two
//! passwords that share their first 72 bytes both log in; the pre-hash
//! folds the whole password (up to 256 characters of any Unicode, so up to
//! 1 KiB of UTF-8) into 44 ASCII bytes with no NUL, which bcrypt reads whole.
//! All bcrypt work runs on the blocking pool.
//!
//! `AUTH_PASSWORD_HASH=argon2id` makes new hashes Argon2id instead
//! (m=19456 KiB, t=2, p=1, over the password itself: Argon2 reads it
//! whole). Imported hashes keep their own scheme ([`schemes`]) until the
//! user's next login rewrites them with the configured one.

pub mod breached;
mod policy;
pub mod schemes;

pub use breached::BreachCheck;
pub use policy::{Password, PasswordOwner};

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use crate::blocking::WorkerPool;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

use schemes::prehash;

/// bcrypt-hashes on the calling thread: for start-up and the CLI only.
pub fn hash_blocking(password: &str, cost: u32) -> Result<String, HashError> {
    bcrypt::hash(prehash(password), cost).map_err(|e| HashError(e.to_string()))
}

/// The algorithm new hashes use (`AUTH_PASSWORD_HASH`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Bcrypt,
    Argon2id,
}

/// How authd hashes passwords now: the algorithm and bcrypt's cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub algorithm: Algorithm,
    pub bcrypt_cost: u32,
}

impl Policy {
    pub fn bcrypt(cost: u32) -> Self {
        Self {
            algorithm: Algorithm::Bcrypt,
            bcrypt_cost: cost,
        }
    }

    /// Hashes on the calling thread (the blocking pool, start-up, the CLI).
    pub fn hash_blocking(&self, password: &str) -> Result<String, HashError> {
        match self.algorithm {
            Algorithm::Bcrypt => hash_blocking(password, self.bcrypt_cost),
            Algorithm::Argon2id => {
                schemes::argon2id_hash(password).ok_or_else(|| HashError("argon2id failed".into()))
            }
        }
    }

    /// Whether a stored hash is not what this policy makes now (another
    /// algorithm, another cost, a foreign scheme) and should be redone at
    /// the next successful login.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        match (self.algorithm, schemes::Scheme::read(stored)) {
            (Algorithm::Bcrypt, Some(schemes::Scheme::AuthdBcrypt { cost })) => {
                cost != self.bcrypt_cost
            }
            (
                Algorithm::Argon2id,
                Some(schemes::Scheme::Argon2 {
                    id: true,
                    version: 0x13,
                    kib,
                    passes,
                    lanes,
                    ..
                }),
            ) => {
                (kib, passes, lanes)
                    != (
                        schemes::ARGON2_KIB,
                        schemes::ARGON2_PASSES,
                        schemes::ARGON2_LANES,
                    )
            }
            _ => true,
        }
    }
}

/// A hash of a random password, to verify against for unknown emails.
pub fn dummy_hash(policy: Policy) -> Result<String, HashError> {
    let random: [u8; 16] = rand::random();
    policy.hash_blocking(&STANDARD.encode(random))
}

/// Runs bcrypt on its own threads, one per core: more in parallel would not
/// finish sooner, only hold more memory and make every waiting request slow
/// instead of serving them in turn.
///
/// The queue in front of them is bounded, in all and per caller: past
/// either bound a request is refused at once (503 with `Retry-After`)
/// instead of waiting seconds behind work it cannot overtake, so one client
/// hammering a password check cannot slow every other user's login.
pub struct Hasher {
    policy: Policy,
    /// A hash of a random password under `policy`: a foreign check also
    /// verifies against it, so it never answers faster than an own one.
    floor: Arc<str>,
    workers: WorkerPool,
    admission: Arc<Admission>,
}

/// How many bcrypt jobs may wait or run: in all, and for one caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueBounds {
    pub total: usize,
    /// None: no per-caller share (rate limits off, as in benchmarks).
    pub per_caller: Option<usize>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_caller: HashMap<IpAddr, usize>,
}

struct Admission {
    bounds: QueueBounds,
    counts: Mutex<Counts>,
}

/// A place in the queue, given back when the job has run.
struct Ticket {
    admission: Arc<Admission>,
    caller: Option<IpAddr>,
}

impl Admission {
    fn admit(self: &Arc<Self>, caller: Option<IpAddr>) -> Result<Ticket, ApiError> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= self.bounds.total {
            return Err(ApiError::ServiceUnavailable("password hashing"));
        }
        if let (Some(ip), Some(share)) = (caller, self.bounds.per_caller) {
            let mine = counts.by_caller.entry(ip).or_insert(0);
            if *mine >= share {
                return Err(ApiError::ServiceUnavailable("password hashing"));
            }
            *mine += 1;
        }
        counts.total += 1;
        Ok(Ticket {
            admission: self.clone(),
            caller,
        })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut counts = self
            .admission
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(ip) = self.caller
            && let Some(mine) = counts.by_caller.get_mut(&ip)
        {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                counts.by_caller.remove(&ip);
            }
        }
    }
}

impl Hasher {
    /// `floor` is a [`dummy_hash`] of `policy` (start-up makes one anyway,
    /// off the async workers).
    pub fn new(policy: Policy, bounds: QueueBounds, floor: &str) -> std::io::Result<Self> {
        Ok(Self {
            policy,
            floor: floor.into(),
            workers: WorkerPool::new("authd-bcrypt", cores())?,
            admission: Arc::new(Admission {
                bounds,
                counts: Mutex::default(),
            }),
        })
    }

    /// `caller` is the client IP the work is done for (None: no share).
    pub async fn hash(
        &self,
        password: &Password,
        caller: Option<IpAddr>,
    ) -> Result<String, ApiError> {
        let ticket = self.admission.admit(caller)?;
        let password = password.expose().to_owned();
        let policy = self.policy;
        self.workers
            .run(move || {
                let hashed = policy.hash_blocking(&password);
                drop(ticket);
                hashed
            })
            .await?
            .map_err(ApiError::internal)
    }

    /// Whether `stored` should be rewritten under the configured policy.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        self.policy.needs_rehash(stored)
    }

    /// Checks `password` against `hash` (bcrypt compares in constant time).
    /// A malformed stored hash verifies as false. A hash not made by the
    /// configured policy (an imported one, an old algorithm) costs one more
    /// check at the configured policy, so it takes at least as long as an
    /// own one: timing does not tell migrated accounts apart.
    pub async fn verify(
        &self,
        password: &str,
        hash: &str,
        caller: Option<IpAddr>,
    ) -> Result<bool, ApiError> {
        let ticket = self.admission.admit(caller)?;
        let password = password.to_owned();
        let hash = hash.to_owned();
        let floor = self.policy.needs_rehash(&hash).then(|| self.floor.clone());
        self.workers
            .run(move || {
                let matches = verify_blocking(&password, &hash);
                if let Some(floor) = floor {
                    std::hint::black_box(verify_blocking(&password, &floor));
                }
                drop(ticket);
                matches
            })
            .await
    }
}

/// The number of bcrypt threads.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Verifies on the calling thread, whatever the stored scheme: for the
/// blocking pool, the CLI and benchmarks only. A hash of an unknown scheme
/// verifies as false. (The import's limits are not applied here: no
/// foreign hash over them is ever stored, and authd's own bcrypt may have
/// any configured cost.)
pub fn verify_blocking(password: &str, hash: &str) -> bool {
    schemes::Scheme::read(hash).is_some_and(|scheme| scheme.verify(password, hash))
}

/// Whether a stored hash was made at another cost and should be redone.
pub fn needs_rehash(hash: &str, cost: u32) -> bool {
    Policy::bcrypt(cost).needs_rehash(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_sharing_72_bytes_differ() {
        let base = "a".repeat(72);
        let hash = hash_blocking(&format!("{base}1"), 4).unwrap();
        assert!(bcrypt::verify(prehash(&format!("{base}1")), &hash).unwrap());
        assert!(!bcrypt::verify(prehash(&format!("{base}2")), &hash).unwrap());
        assert!(!bcrypt::verify(prehash(&base), &hash).unwrap());
    }

    #[test]
    fn policy_rehashes_other_algorithms_and_foreign_schemes() {
        let bcrypt = Policy::bcrypt(4);
        let argon = Policy {
            algorithm: Algorithm::Argon2id,
            bcrypt_cost: 4,
        };
        let own = bcrypt.hash_blocking("pw").unwrap();
        let a2 = argon.hash_blocking("pw").unwrap();
        assert!(a2.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_blocking("pw", &a2) && verify_blocking("pw", &own));
        assert!(!bcrypt.needs_rehash(&own) && bcrypt.needs_rehash(&a2));
        assert!(!argon.needs_rehash(&a2) && argon.needs_rehash(&own));
        let raw = schemes::import(&bcrypt::hash("pw", 4).unwrap()).unwrap();
        assert!(bcrypt.needs_rehash(&raw) && verify_blocking("pw", &raw));
    }

    /// A cheap foreign hash (PBKDF2, one iteration) still costs a check
    /// at the configured policy: no timing oracle for migrated accounts.
    #[tokio::test]
    async fn a_foreign_check_takes_as_long_as_an_own_one() {
        let bounds = QueueBounds {
            total: 8,
            per_caller: None,
        };
        let hasher = Hasher::new(
            Policy::bcrypt(8),
            bounds,
            &dummy_hash(Policy::bcrypt(8)).unwrap(),
        )
        .unwrap();
        let own = hash_blocking("pw", 8).unwrap();
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"pw", b"salt", 1, &mut out);
        let cheap = format!("{{pbkdf2-sha256}}1$c2FsdA==${}", STANDARD.encode(out));
        let timed = |hash: String| {
            let hasher = &hasher;
            async move {
                let start = std::time::Instant::now();
                let ok = hasher.verify("pw", &hash, None).await.unwrap();
                (ok, start.elapsed())
            }
        };
        timed(own.clone()).await; // the workers start
        let (mut own_time, mut cheap_time) = (std::time::Duration::MAX, std::time::Duration::MAX);
        for _ in 0..5 {
            let (own_ok, t) = timed(own.clone()).await;
            own_time = own_time.min(t);
            let (cheap_ok, t) = timed(cheap.clone()).await;
            cheap_time = cheap_time.min(t);
            assert!(own_ok && cheap_ok);
        }
        // Without the padding the cheap check takes microseconds, a
        // hundredth of a bcrypt at cost 8: a quarter keeps the test failing
        // then, and passing on a machine busy enough to stretch one run.
        assert!(
            cheap_time * 4 >= own_time,
            "{cheap_time:?} is not even a quarter of {own_time:?}"
        );
    }

    #[test]
    fn cost_is_read_from_the_hash() {
        let hash = hash_blocking("x", 4).unwrap();
        assert!(!needs_rehash(&hash, 4));
        assert!(needs_rehash(&hash, 5));
        assert!(needs_rehash("garbage", 4));
    }
}
