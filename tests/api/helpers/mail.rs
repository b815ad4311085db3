//! Mail read back from the outbox folder, parsed by a MIME parser
//! (`mail-parser`): headers decoded, parts by content type.

use std::path::PathBuf;
use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders};

use super::TestApp;

/// A mail read back from the outbox folder.
#[derive(Debug)]
pub struct Mail {
    pub to: String,
    /// Decoded (RFC 2047).
    pub subject: String,
    pub raw: String,
    /// `multipart/alternative` for every mail authd sends.
    pub content_type: String,
    pub content_language: String,
    /// The decoded `text/plain` and `text/html` parts ("" when absent).
    pub text: String,
    pub html: String,
}

impl Mail {
    /// The link with a token in the plain-text part.
    pub fn link(&self) -> String {
        self.text
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains("token="))
            .unwrap_or_else(|| panic!("no link in mail: {}", self.raw))
            .to_owned()
    }

    pub fn token(&self) -> String {
        self.link()
            .split("token=")
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    }
}

impl TestApp {
    /// The next unread mail to `to`. With the file transport, queued mail
    /// is delivered right here (the worker's own delivery function), so
    /// the wait is only for a message the background worker holds.
    pub async fn mail_to(&self, to: &str) -> Mail {
        if !self.vars.contains_key("AUTH_SMTP_URL") {
            // Best effort: when the background worker holds the database
            // (an in-memory SQLite database answers "locked" at once), it
            // delivers the message itself and the loop below finds it.
            let _ = authd::mail::worker::dispatch_all_pending(&self.state).await;
        }
        for _ in 0..200 {
            if let Some(mail) = self.next_mail(to) {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} arrived in {}", self.outbox_dir().display());
    }

    fn next_mail(&self, to: &str) -> Option<Mail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.outbox_dir())
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        let mut seen = self.seen_mail.lock().expect("lock");
        for file in files {
            if seen.contains(&file) {
                continue;
            }
            let raw = std::fs::read_to_string(&file).ok()?;
            let mail = parse_mail(&raw);
            if mail.to.eq_ignore_ascii_case(to) {
                seen.insert(file);
                return Some(mail);
            }
        }
        None
    }

    /// Waits until the worker has handled every queued message, then
    /// returns the unread mails to `to` (usually asserted empty).
    pub async fn unread_mail_to(&self, to: &str) -> Vec<Mail> {
        self.wait_outbox_drained().await;
        let mut mails = Vec::new();
        while let Some(mail) = self.next_mail(to) {
            mails.push(mail);
        }
        mails
    }

    pub async fn wait_outbox_drained(&self) {
        for _ in 0..200 {
            let (pending, _, _) = self
                .state
                .db
                .run(|conn| Ok(authd::db::outbox::stats(conn)?))
                .await
                .expect("outbox stats");
            if pending == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the outbox did not drain");
    }
}

fn parse_mail(raw: &str) -> Mail {
    let message = MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap_or_else(|| panic!("not a MIME message: {raw}"));
    let to = message
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_owned();
    let type_of = |headers: &dyn MimeHeaders| {
        headers.content_type().map_or(String::new(), |t| {
            format!("{}/{}", t.ctype(), t.subtype().unwrap_or_default())
        })
    };
    // The part itself, not mail-parser's stand-in (it makes an HTML body
    // from a text part and the other way round).
    let part = |wanted: &str| {
        message
            .parts
            .iter()
            .filter(|p| type_of(*p) == wanted)
            .find_map(|p| p.text_contents())
            .unwrap_or_default()
            .to_owned()
    };
    Mail {
        to,
        subject: message.subject().unwrap_or_default().to_owned(),
        content_type: type_of(&message),
        content_language: message
            .header_raw("Content-Language")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        text: part("text/plain"),
        html: part("text/html"),
        raw: raw.to_owned(),
    }
}
