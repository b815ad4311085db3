//! RFC 6238 TOTP as authenticator apps do it: SHA-1, 6 digits, 30 s steps,
//! one step of skew either way.

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

pub const DIGITS: usize = 6;
pub const STEP_SECS: u64 = 30;
/// 160 bits, as RFC 4226 recommends.
pub const SECRET_LEN: usize = 20;

pub fn new_secret() -> [u8; SECRET_LEN] {
    rand::random()
}

fn totp(secret: &[u8]) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP_SECS, secret.to_vec()).ok()
}

/// The secret as authenticator apps take it by hand (base32, no padding).
pub fn base32(secret: &[u8]) -> String {
    match totp_rs::Secret::Raw(secret.to_vec()).to_encoded() {
        totp_rs::Secret::Encoded(text) => text.trim_end_matches('=').to_owned(),
        totp_rs::Secret::Raw(_) => String::new(),
    }
}

/// The `otpauth://` URI of Google Authenticator's key-URI format.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        account = percent_encode(account),
        secret = base32(secret),
    )
}

fn percent_encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The time step of `unix_secs`.
pub fn step_of(unix_secs: u64) -> i64 {
    (unix_secs / STEP_SECS) as i64
}

/// The time step (previous, current or next) whose code is `code`, or None.
/// Every candidate is compared, in constant time.
pub fn matching_step(secret: &[u8], code: &str, unix_secs: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret)?;
    let current = step_of(unix_secs);
    let mut found = None;
    for step in [current - 1, current, current + 1] {
        let Ok(at) = u64::try_from(step.max(0)) else {
            continue;
        };
        let expected = totp.generate(at * STEP_SECS);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 appendix B, T = 59, 8 digits 94287082 → last 6 digits.
        let secret = b"12345678901234567890";
        assert_eq!(matching_step(secret, "287082", 59), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 30), Some(1));
        assert_eq!(matching_step(secret, "287082", 59 + 60), None);
        assert_eq!(matching_step(secret, "28708", 59), None);
        assert_eq!(matching_step(secret, "abcdef", 59), None);
    }

    #[test]
    fn uri_carries_the_base32_secret() {
        let uri = otpauth_uri("My App", "a@b.c", b"12345678901234567890");
        assert!(
            uri.starts_with(
                "otpauth://totp/My%20App:a@b.c?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"
            )
        );
    }
}
