//! Where mail goes: `.eml` files in the outbox folder, or SMTP.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, Header, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Settings;
use crate::db::models::OutboxRow;

pub enum Transport {
    File(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Transport {
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        match &settings.mail.smtp_url {
            None => Ok(Self::File(settings.mail.outbox_dir.clone())),
            Some(url) => {
                let url = lettre_url(url.expose())?;
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    .map_err(|e| format!("cannot use the SMTP URL: {e}"))?
                    .timeout(Some(Duration::from_secs(10)))
                    .build();
                Ok(Self::Smtp(transport))
            }
        }
    }

    /// Delivers one message; the error text is kept on the outbox row.
    pub async fn deliver(&self, from: &Mailbox, row: &OutboxRow) -> Result<(), String> {
        let message = build_message(from, row)?;
        match self {
            Self::File(dir) => write_eml(dir, row, &message.formatted()).await,
            Self::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
        }
    }
}

/// Our URL forms (API.md §5) in lettre's: plain `smtp://` means STARTTLS
/// required, `?tls=none` means no TLS (local relays).
fn lettre_url(url: &str) -> Result<String, String> {
    if url.starts_with("smtps://") {
        return Ok(url.to_owned());
    }
    if !url.starts_with("smtp://") {
        return Err("the SMTP URL must start with smtp:// or smtps://".into());
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    let tls = params.iter().find_map(|p| p.strip_prefix("tls="));
    match tls {
        None => params.push("tls=required"),
        Some("none") => params.retain(|p| !p.starts_with("tls=")),
        Some("required" | "opportunistic") => {}
        Some(other) => {
            return Err(format!(
                "unknown tls={other}; use none, required or opportunistic"
            ));
        }
    }
    Ok(if params.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", params.join("&"))
    })
}

fn build_message(from: &Mailbox, row: &OutboxRow) -> Result<Message, String> {
    let to: Mailbox = row
        .recipient
        .parse()
        .map_err(|e| format!("bad recipient address: {e}"))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(format!("<{}@authd>", row.id)));
    if !row.locale.is_empty() {
        builder = builder.header(ContentLanguage(row.locale.clone()));
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(plain_body(&row.body_text)))
                .singlepart(SinglePart::html(row.body_html.clone())),
        )
        .map_err(|e| format!("cannot build the message: {e}"))
}

/// The plain-text part as it is (7bit when ASCII, 8bit for other
/// languages) when its lines are within RFC 5322's 998 bytes, so the link
/// stands in it verbatim. (lettre would pick quoted-printable for any line
/// over 76 characters, which splits the link.)
fn plain_body(text: &str) -> Body {
    let fits = !text.contains('\0') && text.lines().all(|l| l.len() <= 998);
    if fits {
        let crlf = text.lines().map(|l| format!("{l}\r\n")).collect::<String>();
        let encoding = if text.is_ascii() {
            ContentTransferEncoding::SevenBit
        } else {
            ContentTransferEncoding::EightBit
        };
        Body::dangerous_pre_encoded(crlf.into_bytes(), encoding)
    } else {
        Body::new(text.to_owned())
    }
}

/// `Content-Language` (RFC 3282): the language the mail was written in.
#[derive(Clone)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Writes atomically (temporary name, then rename), so a reader never sees
/// half a file; owner-only (0600 in a 0700 folder), since a mail holds a
/// live link. Names sort by creation time.
async fn write_eml(dir: &Path, row: &OutboxRow, bytes: &[u8]) -> Result<(), String> {
    let name = format!(
        "{}-{}.eml",
        row.created_at.format("%Y%m%dT%H%M%S%.6f"),
        row.id
    );
    let path = dir.join(&name);
    let (dir, target, bytes) = (dir.to_owned(), path.clone(), bytes.to_vec());
    tokio::task::spawn_blocking(move || write_private_atomically(&dir, &name, &target, &bytes))
        .await
        .map_err(|e| e.to_string())??;
    tracing::info!(path = %path.display(), kind = %row.kind, "mail written to the outbox folder");
    Ok(())
}

fn write_private_atomically(
    dir: &Path,
    name: &str,
    target: &Path,
    bytes: &[u8],
) -> Result<(), String> {
    use std::io::Write;
    crate::private_fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = crate::private_fs::options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    file.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    drop(file);
    std::fs::rename(&tmp, target).map_err(|e| format!("cannot write {}: {e}", target.display()))
}

#[cfg(test)]
mod tests {
    use super::lettre_url;

    #[test]
    fn plain_smtp_means_starttls() {
        assert_eq!(
            lettre_url("smtp://u:p@h:587").unwrap(),
            "smtp://u:p@h:587?tls=required"
        );
        assert_eq!(lettre_url("smtp://h:25?tls=none").unwrap(), "smtp://h:25");
        assert_eq!(lettre_url("smtps://u:p@h").unwrap(), "smtps://u:p@h");
        assert!(lettre_url("http://h").is_err());
    }
}
