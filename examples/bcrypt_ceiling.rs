//! Seconds per bcrypt verification at a cost, as authd does it (SHA-256
//! pre-hash, then bcrypt): the bench's "bcrypt ceiling" is cores ÷ this.
//!
//!     cargo run --release --example bcrypt_ceiling -- 12

// A measuring tool, not a request path: it may stop on the impossible.
#![allow(clippy::expect_used)]

use std::time::Instant;

fn main() {
    let cost: u32 = std::env::args()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(12);
    let hash = authd::password::hash_blocking("bench-password-1!", cost).expect("hash");
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
