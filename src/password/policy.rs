//! The password policy of API.md §4. A `Password` can only hold a password
//! that passed it; every failed rule is reported at once.

use crate::config::PasswordPolicy;
use crate::secret::Secret;

pub const MAX_CHARS: usize = 256;
/// zxcvbn's cost grows quickly with length; a prefix's estimate is a lower
/// bound for the whole, and 100 characters is far past any threshold.
const STRENGTH_PREFIX_CHARS: usize = 100;

#[derive(Debug, Clone)]
pub struct Password(Secret);

impl Password {
    /// Checks `raw` against the policy for the account `email`.
    pub fn parse(raw: &str, email: &str, policy: &PasswordPolicy) -> Result<Self, Vec<String>> {
        let mut failures = Vec::new();
        let chars = raw.chars().count();
        if chars < policy.min_length {
            failures.push(format!(
                "must be at least {} characters long",
                policy.min_length
            ));
        }
        if chars > MAX_CHARS {
            failures.push(format!("must be at most {MAX_CHARS} characters long"));
        }
        if policy.require_letter && !raw.chars().any(char::is_alphabetic) {
            failures.push("must contain a letter".into());
        }
        if policy.require_digit && !raw.chars().any(|c| c.is_numeric()) {
            failures.push("must contain a digit".into());
        }
        if policy.require_symbol && !raw.chars().any(|c| !c.is_alphanumeric()) {
            failures.push("must contain a symbol".into());
        }
        if built_around_email(raw, email) {
            failures.push("must not be built around your email address".into());
        }
        if policy.min_score > 0 && !raw.is_empty() {
            let prefix: String = raw.chars().take(STRENGTH_PREFIX_CHARS).collect();
            let local = email.split('@').next().unwrap_or("");
            let score = zxcvbn::zxcvbn(&prefix, &[email, local]).score() as u8;
            if score < policy.min_score {
                failures.push(
                    "is too easy to guess; use a longer password or an unusual phrase".into(),
                );
            }
        }
        if failures.is_empty() {
            Ok(Self(Secret::new(raw.to_owned())))
        } else {
            Err(failures)
        }
    }

    /// A password that already matched the stored hash (for rehashing at a
    /// new cost): the policy applied when it was set.
    pub fn from_verified(raw: &str) -> Self {
        Self(Secret::new(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

fn built_around_email(password: &str, email: &str) -> bool {
    let password = password.to_lowercase();
    let email = email.to_lowercase();
    let local = email.split('@').next().unwrap_or("");
    (!email.is_empty() && password.contains(&email))
        || (local.chars().count() >= 4 && password.contains(local))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 8,
            require_letter: true,
            require_digit: true,
            require_symbol: true,
            min_score: 3,
        }
    }

    #[test]
    fn long_unicode_passwords_work() {
        let long: String = "Grüße aus Köln, 7 Tage 🔑 später! "
            .chars()
            .cycle()
            .take(256)
            .collect();
        assert_eq!(long.chars().count(), 256);
        assert!(Password::parse(&long, "a@example.com", &policy()).is_ok());
        assert!(Password::parse(&format!("{long}x"), "a@example.com", &policy()).is_err());
    }
}
