//! ASVS 6.2.12: a new password must not be one known from data breaches.
//!
//! Three modes (`AUTH_BREACHED_PASSWORDS`): `off`; `file:PATH`, a sorted
//! list of uppercase SHA-1 hex lines (optionally `:count`, as in Have I
//! Been Pwned's downloadable list), searched by bisection on disk on the
//! blocking pool; `api`, Have I Been Pwned's k-anonymity range API: only
//! the first 5 hex characters of the SHA-1 leave the process, with
//! `Add-Padding: true` so the answer's size says nothing either.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sha1::{Digest, Sha1};

use super::policy::Password;
use crate::config::{BreachedMode, BreachedSettings};
use crate::error::ApiError;

/// The field error a breached password gets.
pub const BREACHED: &str =
    "password_breached: this password appears in known data breaches; choose another";

const RANGE_CACHE_ENTRIES: u64 = 1024;
const RANGE_CACHE_TTL: Duration = Duration::from_secs(3600);
/// A padded range answer is about 40 KiB; anything far above is not one.
const RANGE_BODY_LIMIT: usize = 1024 * 1024;

pub struct BreachCheck {
    mode: Mode,
}

enum Mode {
    Off,
    File(PathBuf),
    Api(Api),
}

struct Api {
    url: String,
    timeout: Duration,
    fail_open: bool,
    tls: Arc<rustls::ClientConfig>,
    /// Range prefix → the suffixes in it with a count above zero.
    ranges: moka::sync::Cache<String, Arc<Vec<String>>>,
}

impl BreachCheck {
    pub fn new(settings: &BreachedSettings) -> Result<Self, String> {
        let mode = match &settings.mode {
            BreachedMode::Off => {
                tracing::info!(
                    "AUTH_BREACHED_PASSWORDS=off: new passwords are not checked against known breaches"
                );
                Mode::Off
            }
            BreachedMode::File(path) => {
                File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
                tracing::info!(file = %path.display(), "breached-password check: sorted SHA-1 file");
                Mode::File(path.clone())
            }
            BreachedMode::Api => {
                let tls = crate::tls::public_client_config()?;
                tracing::info!(url = %settings.api_url, fail_open = settings.fail_open, "breached-password check: range API");
                Mode::Api(Api {
                    url: settings.api_url.trim_end_matches('/').to_owned(),
                    timeout: settings.timeout,
                    fail_open: settings.fail_open,
                    tls,
                    ranges: moka::sync::Cache::builder()
                        .max_capacity(RANGE_CACHE_ENTRIES)
                        .time_to_live(RANGE_CACHE_TTL)
                        .build(),
                })
            }
        };
        Ok(Self { mode })
    }

    /// Whether `password` is known from a breach. Ok(false) when the check
    /// is off or, failing open, could not be made.
    pub async fn is_breached(&self, password: &Password) -> Result<bool, ApiError> {
        let hash = sha1_hex(password.expose());
        match &self.mode {
            Mode::Off => Ok(false),
            Mode::File(path) => {
                let path = path.clone();
                actix_web::rt::task::spawn_blocking(move || file_contains(&path, &hash))
                    .await
                    .map_err(ApiError::internal)?
                    .map_err(ApiError::internal)
            }
            Mode::Api(api) => match api.is_breached(&hash).await {
                Ok(found) => Ok(found),
                Err(e) if api.fail_open => {
                    tracing::warn!(error = %e, "breached-password API unreachable: accepting the password (fail open)");
                    Ok(false)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "breached-password API unreachable: refusing the password (fail closed)");
                    Err(ApiError::ServiceUnavailable("breached-password check"))
                }
            },
        }
    }

    /// 422 with `password_breached` under `field` for a breached password.
    pub async fn check(&self, password: &Password, field: &str) -> Result<(), ApiError> {
        if self.is_breached(password).await? {
            return Err(ApiError::Validation(
                [(field.to_owned(), vec![BREACHED.to_owned()])].into(),
            ));
        }
        Ok(())
    }
}

impl Api {
    async fn is_breached(&self, hash: &str) -> Result<bool, String> {
        let (prefix, suffix) = hash.split_at(5);
        if let Some(range) = self.ranges.get(prefix) {
            return Ok(range.iter().any(|s| s == suffix));
        }
        let connector = awc::Connector::new()
            .rustls_0_23(self.tls.clone())
            .timeout(self.timeout);
        let client = awc::Client::builder()
            .connector(connector)
            .timeout(self.timeout)
            .finish();
        let mut response = client
            .get(format!("{}/range/{prefix}", self.url))
            .insert_header(("Add-Padding", "true"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("range API answered {}", response.status()));
        }
        let body = response
            .body()
            .limit(RANGE_BODY_LIMIT)
            .await
            .map_err(|e| e.to_string())?;
        let range = Arc::new(parse_range(&String::from_utf8_lossy(&body)));
        let found = range.iter().any(|s| s == suffix);
        self.ranges.insert(prefix.to_owned(), range);
        Ok(found)
    }
}

/// The suffixes of a range answer whose count is above zero (padding
/// lines have count 0).
fn parse_range(body: &str) -> Vec<String> {
    body.lines()
        .filter_map(|line| {
            let (suffix, count) = line.trim().split_once(':')?;
            (count.trim().parse::<u64>().ok()? > 0).then(|| suffix.to_ascii_uppercase())
        })
        .collect()
}

pub fn sha1_hex(password: &str) -> String {
    Sha1::digest(password.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The hash part of a line: before any `:count`, trimmed, uppercase.
fn line_hash(line: &[u8]) -> Vec<u8> {
    let end = line.iter().position(|&b| b == b':').unwrap_or(line.len());
    line[..end].trim_ascii().to_ascii_uppercase()
}

/// Reads the line starting at `start` (without its newline), at most 256 bytes.
fn read_line(file: &File, start: u64) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    let n = file.read_at(&mut buf, start)?;
    buf.truncate(n);
    if let Some(end) = buf.iter().position(|&b| b == b'\n') {
        buf.truncate(end);
    }
    Ok(buf)
}

/// Bisects the sorted file `path` for `hash` (40 uppercase hex digits).
/// `lo` is always a line start; a matching line starts in `lo..=hi`.
pub fn file_contains(path: &Path, hash: &str) -> std::io::Result<bool> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let target = hash.as_bytes();
    let (mut lo, mut hi) = (0u64, len);
    while hi - lo > 4096 {
        let mid = lo + (hi - lo) / 2;
        // The first line that starts after `mid`.
        let skipped = read_line(&file, mid)?;
        let start = mid + skipped.len() as u64 + 1;
        if start >= hi {
            break;
        }
        let line = read_line(&file, start)?;
        if line_hash(&line).as_slice() < target {
            lo = start + line.len() as u64 + 1;
        } else {
            hi = start;
        }
    }
    let mut window = vec![0u8; (hi - lo) as usize + 256];
    let n = file.read_at(&mut window, lo)?;
    window.truncate(n);
    Ok(window
        .split(|&b| b == b'\n')
        .any(|line| line_hash(line).as_slice() == target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn bisection_finds_every_line_and_nothing_else() {
        let mut hashes: Vec<String> = (0..5000).map(|i| sha1_hex(&format!("pw{i}"))).collect();
        hashes.sort();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        for (i, h) in hashes.iter().enumerate() {
            writeln!(file, "{h}:{}", i + 1).unwrap();
        }
        file.flush().unwrap();
        for h in hashes.iter().step_by(37).chain(hashes.last()) {
            assert!(file_contains(file.path(), h).unwrap(), "{h}");
        }
        for i in 0..200 {
            assert!(!file_contains(file.path(), &sha1_hex(&format!("other{i}"))).unwrap());
        }
    }

    #[test]
    fn padding_lines_do_not_count() {
        let range = parse_range(
            "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\nFFFF0000000000000000000000000000000:0\r\n",
        );
        assert_eq!(
            range,
            vec!["0018A45C4D1DEF81644B54AB7F969B88D65".to_owned()]
        );
    }
}
