//! Password hashing and policy.
//!
//! Hashes are bcrypt over a SHA-256 pre-hash: `bcrypt(base64(sha256(pw)))`.
//! bcrypt reads only 72 bytes, so hashing the raw password would let two
//! passwords that share their first 72 bytes both log in; the pre-hash
//! folds the whole password (up to 256 characters of any Unicode, so up to
//! 1 KiB of UTF-8) into 44 ASCII bytes with no NUL, which bcrypt reads whole.
//! All bcrypt work runs on the blocking pool.

pub mod breached;
mod policy;

pub use breached::BreachCheck;
pub use policy::{Password, PasswordOwner};

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use crate::blocking::WorkerPool;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn prehash(password: &str) -> String {
    STANDARD.encode(Sha256::digest(password.as_bytes()))
}

/// Hashes on the calling thread: for start-up and the CLI only.
pub fn hash_blocking(password: &str, cost: u32) -> Result<String, HashError> {
    bcrypt::hash(prehash(password), cost).map_err(|e| HashError(e.to_string()))
}

/// A hash of a random password, to verify against for unknown emails.
pub fn dummy_hash(cost: u32) -> Result<String, HashError> {
    let random: [u8; 16] = rand::random();
    hash_blocking(&STANDARD.encode(random), cost)
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
    cost: u32,
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
    pub fn new(cost: u32, bounds: QueueBounds) -> std::io::Result<Self> {
        Ok(Self {
            cost,
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
        let cost = self.cost;
        self.workers
            .run(move || {
                let hashed = hash_blocking(&password, cost);
                drop(ticket);
                hashed
            })
            .await?
            .map_err(ApiError::internal)
    }

    /// Checks `password` against `hash` (bcrypt compares in constant time).
    /// A malformed stored hash verifies as false.
    pub async fn verify(
        &self,
        password: &str,
        hash: &str,
        caller: Option<IpAddr>,
    ) -> Result<bool, ApiError> {
        let ticket = self.admission.admit(caller)?;
        let password = password.to_owned();
        let hash = hash.to_owned();
        self.workers
            .run(move || {
                let matches = verify_blocking(&password, &hash);
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

/// Verifies on the calling thread: for the CLI and benchmarks only.
pub fn verify_blocking(password: &str, hash: &str) -> bool {
    bcrypt::verify(prehash(password), hash).unwrap_or(false)
}

/// Whether a stored hash was made at another cost and should be redone.
pub fn needs_rehash(hash: &str, cost: u32) -> bool {
    hash.split('$')
        .nth(2)
        .and_then(|c| c.parse::<u32>().ok())
        .is_none_or(|c| c != cost)
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
    fn cost_is_read_from_the_hash() {
        let hash = hash_blocking("x", 4).unwrap();
        assert!(!needs_rehash(&hash, 4));
        assert!(needs_rehash(&hash, 5));
        assert!(needs_rehash("garbage", 4));
    }
}
