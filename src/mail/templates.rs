//! Mail templates: files under `templates/mail/`, compiled in. The first line
//! of each `.txt` file is the subject. Every mail has a plain-text part that
//! holds its link verbatim.

use crate::config::Settings;

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
}

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn sources(kind: &MailKind) -> (&'static str, &'static str) {
    match kind {
        MailKind::Verification { .. } => (
            include_str!("../../templates/mail/verification.txt"),
            include_str!("../../templates/mail/verification.html"),
        ),
        MailKind::AccountExists => (
            include_str!("../../templates/mail/account_exists.txt"),
            include_str!("../../templates/mail/account_exists.html"),
        ),
        MailKind::PasswordReset { .. } => (
            include_str!("../../templates/mail/password_reset.txt"),
            include_str!("../../templates/mail/password_reset.html"),
        ),
        MailKind::PasswordChanged => (
            include_str!("../../templates/mail/password_changed.txt"),
            include_str!("../../templates/mail/password_changed.html"),
        ),
        MailKind::EmailChange { .. } => (
            include_str!("../../templates/mail/email_change.txt"),
            include_str!("../../templates/mail/email_change.html"),
        ),
        MailKind::EmailChanged { .. } => (
            include_str!("../../templates/mail/email_changed.txt"),
            include_str!("../../templates/mail/email_changed.html"),
        ),
        MailKind::MfaFactorAdded => (
            include_str!("../../templates/mail/mfa_factor_added.txt"),
            include_str!("../../templates/mail/mfa_factor_added.html"),
        ),
        MailKind::MfaFactorRemoved => (
            include_str!("../../templates/mail/mfa_factor_removed.txt"),
            include_str!("../../templates/mail/mfa_factor_removed.html"),
        ),
        MailKind::RecoveryCodeUsed { .. } => (
            include_str!("../../templates/mail/recovery_code_used.txt"),
            include_str!("../../templates/mail/recovery_code_used.html"),
        ),
        MailKind::MfaReset => (
            include_str!("../../templates/mail/mfa_reset.txt"),
            include_str!("../../templates/mail/mfa_reset.html"),
        ),
        MailKind::IdentityLinked { .. } => (
            include_str!("../../templates/mail/identity_linked.txt"),
            include_str!("../../templates/mail/identity_linked.html"),
        ),
        MailKind::IdentityUnlinked { .. } => (
            include_str!("../../templates/mail/identity_unlinked.txt"),
            include_str!("../../templates/mail/identity_unlinked.html"),
        ),
        MailKind::MfaLocked => (
            include_str!("../../templates/mail/mfa_locked.txt"),
            include_str!("../../templates/mail/mfa_locked.html"),
        ),
        MailKind::EmailLogin { .. } => (
            include_str!("../../templates/mail/email_login.txt"),
            include_str!("../../templates/mail/email_login.html"),
        ),
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

pub fn render(settings: &Settings, kind: &MailKind) -> Rendered {
    let (text, html) = sources(kind);
    let link = link(settings, kind);
    let hours = match kind {
        MailKind::PasswordReset { .. } => settings.accounts.reset_ttl.as_secs().div_ceil(3600),
        MailKind::EmailChanged { .. } => settings.email_change.revert_ttl.as_secs().div_ceil(3600),
        _ => settings.accounts.verify_ttl.as_secs().div_ceil(3600),
    }
    .to_string();
    let remaining = match kind {
        MailKind::RecoveryCodeUsed { remaining } => remaining.to_string(),
        _ => String::new(),
    };
    let (code, minutes) = match kind {
        MailKind::EmailLogin { code, .. } => (
            code.clone(),
            settings.email_login.ttl.as_secs().div_ceil(60).to_string(),
        ),
        _ => (String::new(), String::new()),
    };
    let provider = match kind {
        MailKind::IdentityLinked { provider } | MailKind::IdentityUnlinked { provider } => {
            provider.clone()
        }
        _ => String::new(),
    };
    let fill = |template: &str, escape: bool| {
        let value = |v: &str| if escape { html_escape(v) } else { v.to_owned() };
        template
            .replace("{{product}}", &value(&settings.mail.product_name))
            .replace("{{link}}", &value(&link))
            .replace("{{hours}}", &hours)
            .replace("{{remaining}}", &remaining)
            .replace("{{provider}}", &value(&provider))
            .replace("{{code}}", &code)
            .replace("{{minutes}}", &minutes)
    };
    let text = fill(text, false);
    let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    Rendered {
        subject: subject.trim().to_owned(),
        text: body.to_owned(),
        html: fill(html, true),
    }
}

fn html_escape(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn verification_mail_carries_the_link_in_plain_text() {
        let settings = Settings::from_vars(&HashMap::new()).unwrap();
        let kind = MailKind::Verification {
            token: "abc".into(),
        };
        let rendered = render(&settings, &kind);
        assert!(
            rendered
                .text
                .contains("http://localhost:3000/verify-email?token=abc")
        );
        assert!(rendered.subject.contains("Confirm"));
        assert!(rendered.html.contains("verify-email?token=abc"));
    }

    #[test]
    fn email_login_mail_carries_the_token_in_the_fragment_and_the_code() {
        let settings = Settings::from_vars(&HashMap::new()).unwrap();
        let kind = MailKind::EmailLogin {
            token: "abc".into(),
            code: "012345".into(),
        };
        let rendered = render(&settings, &kind);
        assert!(
            rendered
                .text
                .contains("http://localhost:3000/email-login#token=abc")
        );
        assert!(!rendered.text.contains("?token="));
        assert!(rendered.text.contains("012345"));
        assert!(rendered.html.contains("email-login#token=abc"));
        assert!(rendered.text.contains("10 minutes"));
    }
}
