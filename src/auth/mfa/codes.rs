//! Recovery codes: 10 per user, 24 characters each from an alphabet
//! without look-alikes (no 0/O, 1/I/L, U), shown as
//! `XXXXXX-XXXXXX-XXXXXX-XXXXXX`, compared case-insensitively with dashes
//! and spaces ignored, stored as SHA-256 hashes. 24 characters of 30 are
//! 117 random bits: above the 112 below which ASVS 5.0 (6.5.2) asks for a
//! salted slow hash, so a fast unsalted one is enough. Codes issued when
//! they were 10 characters long still verify.

pub const COUNT: usize = 10;
const LEN: usize = 24;
/// Characters per dash-separated group as shown.
const GROUP: usize = 6;
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

fn random_char() -> char {
    // Rejection sampling: 240 is the largest multiple of 30 under 256.
    loop {
        let byte = rand::random::<u8>();
        if usize::from(byte) < 240 {
            return char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]);
        }
    }
}

/// A fresh set of codes as the user sees them.
pub fn generate() -> Vec<String> {
    (0..COUNT)
        .map(|_| {
            let raw: Vec<char> = (0..LEN).map(|_| random_char()).collect();
            raw.chunks(GROUP)
                .map(|group| group.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// The canonical form: upper case, no dashes or white space.
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub fn hash(code: &str) -> String {
    crate::auth::one_time::hash(&normalize(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unambiguous_and_compare_loosely() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        for code in &codes {
            assert_eq!(normalize(code).len(), LEN);
            assert!(normalize(code).bytes().all(|b| ALPHABET.contains(&b)));
        }
        assert!(LEN as f64 * (ALPHABET.len() as f64).log2() >= 112.0);
        let code = &codes[0];
        let loose = format!(" {} ", code.to_lowercase().replace('-', " "));
        assert_eq!(hash(code), hash(&loose));
    }
}
