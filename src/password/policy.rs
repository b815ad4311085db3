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

/// Whose password it is: the words an attacker who knows the account
/// would try first (ASVS 6.1.2 / 6.2.11), given to zxcvbn as user inputs
/// together with the product name.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordOwner<'a> {
    pub email: &'a str,
    pub display_name: Option<&'a str>,
}

impl<'a> PasswordOwner<'a> {
    pub fn new(email: &'a str, display_name: Option<&'a str>) -> Self {
        Self {
            email,
            display_name,
        }
    }
}

/// The context words for zxcvbn: the email, its local part, the display
/// name and each of its words, and the product name.
fn context_words<'a>(owner: &PasswordOwner<'a>, product_name: &'a str) -> Vec<&'a str> {
    let mut words = vec![owner.email, owner.email.split('@').next().unwrap_or("")];
    if let Some(name) = owner.display_name {
        words.push(name);
        words.extend(name.split_whitespace());
    }
    words.push(product_name);
    words.extend(product_name.split_whitespace());
    words.retain(|w| !w.is_empty());
    words
}

impl Password {
    /// Checks `raw` against the policy for the account of `owner`.
    pub fn parse(
        raw: &str,
        owner: PasswordOwner<'_>,
        policy: &PasswordPolicy,
    ) -> Result<Self, Vec<String>> {
        let email = owner.email;
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
            let words = context_words(&owner, &policy.product_name);
            let score = zxcvbn::zxcvbn(&prefix, &words).score() as u8;
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
            product_name: "Quokkamail".into(),
        }
    }

    fn owner() -> PasswordOwner<'static> {
        PasswordOwner::new("marguerite.okafor@example.com", Some("Marguerite Okafor"))
    }

    #[test]
    fn context_words_weaken_a_password() {
        for built in ["Quokkamail#2024", "Marguerite!1985"] {
            assert!(
                Password::parse(built, owner(), &policy()).is_err(),
                "{built} should be refused"
            );
        }
        assert!(Password::parse("velvet-Tundra-harbour-42", owner(), &policy()).is_ok());
    }

    #[test]
    fn long_unicode_passwords_work() {
        let long: String = "Grüße aus Köln, 7 Tage 🔑 später! "
            .chars()
            .cycle()
            .take(256)
            .collect();
        assert_eq!(long.chars().count(), 256);
        assert!(
            Password::parse(&long, PasswordOwner::new("a@example.com", None), &policy()).is_ok()
        );
        assert!(
            Password::parse(
                &format!("{long}x"),
                PasswordOwner::new("a@example.com", None),
                &policy()
            )
            .is_err()
        );
    }
}
