//! `Email`: one spelling per mailbox. Trimmed, NFKC-normalised and
//! lower-cased, free of invisible characters, its domain in ASCII (IDNA)
//! form and never an IP literal, syntactically valid, at most 254 bytes.
//! Look-alikes (a trailing zero-width space, full-width letters, an IDN
//! domain and its punycode) parse to the same value or not at all, so they
//! cannot make separate accounts.

use std::fmt;
use std::net::IpAddr;

use icu_normalizer::ComposingNormalizerBorrowed;
use validator::ValidateEmail;

use super::text::has_invisible;

pub const MAX_LEN: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is required");
        }
        if has_invisible(raw) {
            return Err("must not contain invisible or control characters");
        }
        let normalized = ComposingNormalizerBorrowed::new_nfkc()
            .normalize(raw)
            .to_lowercase();
        let Some((local, domain)) = normalized.rsplit_once('@') else {
            return Err("is not a valid email address");
        };
        if domain.starts_with('[') || domain.parse::<IpAddr>().is_ok() {
            return Err("must name a domain, not an IP address");
        }
        let domain = idna::domain_to_ascii(domain).map_err(|_| "is not a valid email address")?;
        // A numeric last label is an IPv4 address in another spelling
        // (`0x7f.1`, `127.1`); no top-level domain is numeric.
        let numeric_tld = domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| !tld.is_empty() && tld.chars().all(|c| c.is_ascii_digit()));
        if numeric_tld || domain.parse::<IpAddr>().is_ok() {
            return Err("must name a domain, not an IP address");
        }
        let email = format!("{local}@{domain}");
        if email.len() > MAX_LEN {
            return Err("must be at most 254 characters long");
        }
        if local.is_empty() || domain.is_empty() || !email.validate_email() {
            return Err("is not a valid email address");
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An address as logs and audit events show it: `a***@example.com`.
pub fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn look_alikes_parse_to_one_address() {
        let plain = Email::parse("ada@example.com").unwrap();
        assert_eq!(Email::parse("ａｄａ@ｅｘａｍｐｌｅ.ｃｏｍ").unwrap(), plain);
        assert_eq!(
            Email::parse("ada@bücher.example").unwrap(),
            Email::parse("ada@xn--bcher-kva.example").unwrap()
        );
        assert_eq!(
            Email::parse("ada@bücher.example").unwrap().as_str(),
            "ada@xn--bcher-kva.example"
        );
    }

    #[test]
    fn invalid_emails_are_refused() {
        for bad in [
            "",
            "no-at-sign",
            "a@",
            "@b.c",
            "ada@example.com\u{200B}",
            "a\u{202E}da@example.com",
            "ada@[127.0.0.1]",
            "ada@127.0.0.1",
            "ada@127.1",
            "ada@[IPv6:::1]",
            &format!("{}@example.com", "a".repeat(250)),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
