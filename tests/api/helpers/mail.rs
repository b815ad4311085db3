//! Mail read back from the outbox folder.

use std::path::PathBuf;
use std::time::Duration;

use super::TestApp;

/// A mail read back from the outbox folder.
#[derive(Debug)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub raw: String,
}

impl Mail {
    /// The link with a token in the plain-text part.
    pub fn link(&self) -> String {
        self.raw
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
    let header = |name: &str| {
        raw.lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let to = header("To");
    let to = to.rsplit_once('<').map_or(to.clone(), |(_, addr)| {
        addr.trim_end_matches('>').to_owned()
    });
    Mail {
        to,
        subject: header("Subject"),
        raw: raw.to_owned(),
    }
}
