//! Recovery codes: 10 per user, 10 characters each from an alphabet
//! without look-alikes (no 0/O, 1/I/L, U), shown as `XXXXX-XXXXX`,
//! compared case-insensitively with dashes and spaces ignored, stored as
//! SHA-256 hashes (50 random bits each: a fast hash is enough).

pub const COUNT: usize = 10;
const LEN: usize = 10;
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
            let raw: String = (0..LEN).map(|_| random_char()).collect();
            format!("{}-{}", &raw[..LEN / 2], &raw[LEN / 2..])
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
        let code = &codes[0];
        let loose = format!(" {} ", code.to_lowercase().replace('-', " "));
        assert_eq!(hash(code), hash(&loose));
    }
}
