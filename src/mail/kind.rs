//! What a mail says and to whom: its kind with the values only it has,
//! the recipient's address and language, and the values every template
//! gets (API.md §17).

use std::collections::BTreeMap;

use minijinja::Value;

use super::templates::{Rendered, TemplateError};
use crate::config::Settings;
use crate::db::models::UserRow;

pub enum MailKind {
    Verification {
        token: String,
    },
    AccountExists,
    PasswordReset {
        token: String,
    },
    PasswordChanged,
    /// To the new address: confirm the change.
    EmailChange {
        token: String,
    },
    /// To the old address after a change: the revert link.
    EmailChanged {
        token: String,
    },
    /// A second factor was added to the account.
    MfaFactorAdded,
    /// A second factor was removed by its owner.
    MfaFactorRemoved,
    /// A recovery code was spent; `remaining` are left.
    RecoveryCodeUsed {
        remaining: i64,
    },
    /// An admin removed every factor and ended every session.
    MfaReset,
    /// A provider's identity was linked to the account (API.md §11).
    IdentityLinked {
        provider: String,
    },
    /// The owner unlinked a provider's identity.
    IdentityUnlinked {
        provider: String,
    },
    /// Too many second-factor failures in a day (API.md §14).
    MfaLocked,
    /// Passwordless sign-in (API.md §15): a link with the token in its
    /// fragment, and a code for another device.
    EmailLogin {
        token: String,
        code: String,
    },
}

impl MailKind {
    /// The kind's name: its template files' and the outbox row's.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Verification { .. } => "verification",
            Self::AccountExists => "account_exists",
            Self::PasswordReset { .. } => "password_reset",
            Self::PasswordChanged => "password_changed",
            Self::EmailChange { .. } => "email_change",
            Self::EmailChanged { .. } => "email_changed",
            Self::MfaFactorAdded => "mfa_factor_added",
            Self::MfaFactorRemoved => "mfa_factor_removed",
            Self::RecoveryCodeUsed { .. } => "recovery_code_used",
            Self::MfaReset => "mfa_reset",
            Self::IdentityLinked { .. } => "identity_linked",
            Self::IdentityUnlinked { .. } => "identity_unlinked",
            Self::MfaLocked => "mfa_locked",
            Self::EmailLogin { .. } => "email_login",
        }
    }

    /// A mail of kind `name` with sample values (`authd mail preview`).
    pub fn sample(name: &str) -> Option<Self> {
        let token = || "sample-token".to_owned();
        Some(match name {
            "verification" => Self::Verification { token: token() },
            "account_exists" => Self::AccountExists,
            "password_reset" => Self::PasswordReset { token: token() },
            "password_changed" => Self::PasswordChanged,
            "email_change" => Self::EmailChange { token: token() },
            "email_changed" => Self::EmailChanged { token: token() },
            "mfa_factor_added" => Self::MfaFactorAdded,
            "mfa_factor_removed" => Self::MfaFactorRemoved,
            "recovery_code_used" => Self::RecoveryCodeUsed { remaining: 7 },
            "mfa_reset" => Self::MfaReset,
            "identity_linked" => Self::IdentityLinked {
                provider: "GitHub".into(),
            },
            "identity_unlinked" => Self::IdentityUnlinked {
                provider: "GitHub".into(),
            },
            "mfa_locked" => Self::MfaLocked,
            "email_login" => Self::EmailLogin {
                token: token(),
                code: "042917".into(),
            },
            _ => return None,
        })
    }
}

/// Who a mail goes to, in which language, and by what name.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub email: &'a str,
    /// The wanted locale (BCP 47); None: `AUTH_DEFAULT_LOCALE`.
    pub locale: Option<&'a str>,
    /// Empty unless the account's address is proved: nobody puts their
    /// words into a mail to someone else's address.
    pub display_name: &'a str,
}

impl<'a> Recipient<'a> {
    /// An account at its own address, in its language.
    pub fn user(user: &'a UserRow) -> Self {
        let display_name = if user.email_verified {
            user.display_name.as_deref().unwrap_or_default()
        } else {
            ""
        };
        Self {
            email: &user.email,
            locale: user.locale.as_deref(),
            display_name,
        }
    }

    /// An address, in the language a request asked for: no name.
    pub fn address(email: &'a str, locale: Option<&'a str>) -> Self {
        Self {
            email,
            locale,
            display_name: "",
        }
    }

    /// An account's language at another address (a new one, not yet
    /// proved): the account's name stays out.
    pub fn user_at(user: &'a UserRow, email: &'a str) -> Self {
        Self::address(email, user.locale.as_deref())
    }
}

/// The frontend link a mail carries (API.md §5): never a mutating GET here.
pub fn link(settings: &Settings, kind: &MailKind) -> String {
    let base = &settings.mail.frontend_url;
    match kind {
        MailKind::Verification { token } => format!("{base}/verify-email?token={token}"),
        MailKind::PasswordReset { token } => format!("{base}/reset-password?token={token}"),
        MailKind::EmailChange { token } => format!("{base}/confirm-email-change?token={token}"),
        MailKind::EmailChanged { token } => format!("{base}/revert-email-change?token={token}"),
        // In the fragment: never sent to a server, so a mail scanner that
        // fetches the link spends nothing.
        MailKind::EmailLogin { token, .. } => format!("{base}/email-login#token={token}"),
        MailKind::AccountExists
        | MailKind::PasswordChanged
        | MailKind::MfaFactorAdded
        | MailKind::MfaFactorRemoved
        | MailKind::RecoveryCodeUsed { .. }
        | MailKind::MfaReset
        | MailKind::IdentityLinked { .. }
        | MailKind::IdentityUnlinked { .. }
        | MailKind::MfaLocked => format!("{base}/reset-password"),
    }
}

fn hours(ttl: std::time::Duration) -> Value {
    Value::from(ttl.as_secs().div_ceil(3600))
}

/// Renders `kind` for `to` with the configured templates.
pub fn render(
    settings: &Settings,
    to: &Recipient<'_>,
    kind: &MailKind,
) -> Result<Rendered, TemplateError> {
    let mail = &settings.mail;
    let mut vars: BTreeMap<&'static str, Value> = BTreeMap::from([
        ("product_name", Value::from(mail.product_name.as_str())),
        ("email", Value::from(to.email)),
        ("display_name", Value::from(to.display_name)),
        ("link", Value::from(link(settings, kind))),
        ("link_color", Value::from(mail.link_color.as_str())),
    ]);
    match kind {
        MailKind::Verification { .. } | MailKind::EmailChange { .. } => {
            vars.insert("expires_in_hours", hours(settings.accounts.verify_ttl));
        }
        MailKind::PasswordReset { .. } => {
            vars.insert("expires_in_hours", hours(settings.accounts.reset_ttl));
        }
        MailKind::EmailChanged { .. } => {
            vars.insert("expires_in_hours", hours(settings.email_change.revert_ttl));
        }
        MailKind::RecoveryCodeUsed { remaining } => {
            vars.insert("remaining", Value::from(*remaining));
        }
        MailKind::IdentityLinked { provider } | MailKind::IdentityUnlinked { provider } => {
            vars.insert("provider", Value::from(provider.as_str()));
        }
        MailKind::EmailLogin { code, .. } => {
            vars.insert("code", Value::from(code.as_str()));
            let minutes = settings.email_login.ttl.as_secs().div_ceil(60);
            vars.insert("expires_in_minutes", Value::from(minutes));
        }
        MailKind::AccountExists
        | MailKind::PasswordChanged
        | MailKind::MfaFactorAdded
        | MailKind::MfaFactorRemoved
        | MailKind::MfaReset
        | MailKind::MfaLocked => {}
    }
    mail.templates
        .render(kind.name(), to.locale, &mail.default_locale, vars)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings() -> Settings {
        Settings::from_vars(&HashMap::new()).unwrap()
    }

    #[test]
    fn verification_mail_carries_the_link_in_plain_text() {
        let kind = MailKind::Verification {
            token: "abc".into(),
        };
        let mail = render(
            &settings(),
            &Recipient::address("a@example.com", None),
            &kind,
        )
        .unwrap();
        assert!(
            mail.text
                .contains("http://localhost:3000/verify-email?token=abc")
        );
        assert!(mail.subject.contains("Confirm"));
        assert!(mail.html.contains("verify-email?token=abc"));
        assert_eq!(mail.locale, "en");
    }

    #[test]
    fn email_login_mail_carries_the_token_in_the_fragment_and_the_code() {
        let kind = MailKind::EmailLogin {
            token: "abc".into(),
            code: "012345".into(),
        };
        let to = Recipient::address("a@example.com", Some("de-CH"));
        let mail = render(&settings(), &to, &kind).unwrap();
        assert!(
            mail.text
                .contains("http://localhost:3000/email-login#token=abc")
        );
        assert!(!mail.text.contains("?token="));
        assert!(mail.text.contains("012345"));
        assert!(mail.html.contains("email-login#token=abc"));
        assert!(mail.text.contains("10 Minuten"), "{}", mail.text);
        assert_eq!(mail.locale, "de");
    }

    #[test]
    fn every_kind_has_a_sample_and_a_spec() {
        for spec in &super::super::templates::KINDS {
            let kind = MailKind::sample(spec.name).unwrap();
            assert_eq!(kind.name(), spec.name);
        }
    }
}
