//! Seconds per Argon2id verification as authd does it with
//! `AUTH_PASSWORD_HASH=argon2id` (m=19456 KiB, t=2, p=1): the login
//! ceiling is cores ÷ this, the sibling of `bcrypt_ceiling`.
//!
//!     cargo run --release --example argon2id_ceiling

// A measuring tool, not a request path: it may stop on the impossible.
#![allow(clippy::expect_used)]

use std::time::Instant;

use authd::password::{Algorithm, Policy};

fn main() {
    let policy = Policy {
        algorithm: Algorithm::Argon2id,
        bcrypt_cost: 12,
    };
    let hash = policy.hash_blocking("bench-password-1!").expect("hash");
    let mut samples: Vec<f64> = (0..7)
        .map(|_| {
            let started = Instant::now();
            assert!(authd::password::verify_blocking("bench-password-1!", &hash));
            started.elapsed().as_secs_f64()
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    println!("{:.5}", samples[samples.len() / 2]);
}
