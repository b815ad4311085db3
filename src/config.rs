//! Typed settings, read once from the environment (API.md §7) and passed down
//! explicitly. Nothing here is global, so every test server can have its own.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;

use crate::secret::Secret;

/// A configuration variable that could not be used: printed as one line,
/// exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(var: &'static str, message: impl Into<String>) -> Self {
        Self {
            var,
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file path, or a shared in-memory database name.
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        if raw == "sqlite::memory:" || raw == "sqlite://:memory:" {
            // A pool of connections must see one database: a named, shared
            // in-memory database lives as long as one connection is open.
            let name = uuid::Uuid::new_v4().simple().to_string();
            return Ok(Self::Sqlite(format!(
                "file:authd-{name}?mode=memory&cache=shared"
            )));
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("a sqlite URL needs a path, e.g. sqlite://./data/authd.db".into());
            }
            return Ok(Self::Sqlite(path.to_owned()));
        }
        Err("expected sqlite://PATH, sqlite::memory: or postgres://…".into())
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

#[derive(Clone, Debug)]
pub enum JwtSettings {
    /// Ed25519: the signing key's PEM file (created if absent) and extra
    /// public keys that still verify tokens during a rotation.
    EdDsa {
        key_file: PathBuf,
        verify_key_files: Vec<PathBuf>,
    },
    Hs256 {
        secret: Secret,
    },
}

/// The one header a trusted proxy's client address is read from. Never
/// both: proxies append to `X-Forwarded-For` but pass a client's own
/// `Forwarded` through untouched (or the reverse), so reading the other
/// would let a client choose its address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientIpHeader {
    XForwardedFor,
    Forwarded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// `count` events per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub count: u32,
    pub window: Duration,
}

impl FromStr for Limit {
    type Err = String;

    /// `30/60s`, `10/1h`, `3/3600` (seconds when no unit).
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let (count, window) = raw
            .split_once('/')
            .ok_or_else(|| format!("expected COUNT/WINDOW such as 30/60s, got {raw:?}"))?;
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| format!("{count:?} is not a whole number"))?;
        let window = parse_duration(window.trim())?;
        if count == 0 || window.is_zero() {
            return Err("count and window must be above zero".into());
        }
        Ok(Self { count, window })
    }
}

fn parse_duration(raw: &str) -> Result<Duration, String> {
    let (digits, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration such as 60s, 15m or 1h"))?;
    let secs = match unit {
        "" | "s" => value,
        "m" => value * 60,
        "h" => value * 3600,
        "d" => value * 86_400,
        _ => return Err(format!("{raw:?}: unknown unit (use s, m, h or d)")),
    };
    Ok(Duration::from_secs(secs))
}

#[derive(Clone, Debug)]
pub struct RateLimits {
    pub enabled: bool,
    pub login_per_ip: Limit,
    pub register_per_ip: Limit,
    pub mail_per_email: Limit,
    pub mail_per_ip: Limit,
    pub refresh_per_session: Limit,
    /// Password checks behind a token (change, delete) per session.
    pub password_per_session: Limit,
}

#[derive(Clone, Debug)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub require_letter: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
    pub min_score: u8,
    /// `AUTH_PRODUCT_NAME`, a context word no password may lean on.
    pub product_name: String,
}

/// `AUTH_BREACHED_PASSWORDS`: where new passwords are looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BreachedMode {
    Off,
    /// A sorted file of uppercase SHA-1 hex lines (optionally `:count`).
    File(PathBuf),
    /// Have I Been Pwned's k-anonymity range API.
    Api,
}

#[derive(Clone, Debug)]
pub struct BreachedSettings {
    pub mode: BreachedMode,
    pub api_url: String,
    pub timeout: Duration,
    /// When the API cannot be reached: accept (true) or refuse with 503.
    pub fail_open: bool,
}

/// How often old rows are purged, and how long each kind is kept.
#[derive(Clone, Debug)]
pub struct Housekeeping {
    pub interval: Duration,
    pub sent_mail: Duration,
    pub dead_mail: Duration,
    pub one_time_tokens: Duration,
    /// Never applied below the refresh lifetime (see `housekeeping`).
    pub sessions: Duration,
}

/// The audit log and its webhooks (API.md §12).
#[derive(Clone, Debug)]
pub struct AuditSettings {
    /// `AUTH_AUDIT_RETENTION_DAYS` (90): older events are purged.
    pub retention: Duration,
    /// `AUTH_WEBHOOK_URL` with `AUTH_WEBHOOK_SECRET`: where events go.
    pub webhook: Option<WebhookTarget>,
    /// `AUTH_WEBHOOK_EVENTS`: type prefixes to send; empty sends all.
    pub webhook_events: Vec<String>,
    /// `AUTH_WEBHOOK_MAX_ATTEMPTS` (10): attempts before a delivery is dead.
    pub webhook_max_attempts: u32,
}

/// A webhook receiver and the key its deliveries are signed with.
#[derive(Clone, Debug)]
pub struct WebhookTarget {
    pub url: String,
    /// The base64-decoded `whsec_` secret.
    pub key: Secret,
}

impl AuditSettings {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        let days: u64 = env.parse("AUTH_AUDIT_RETENTION_DAYS", 90)?;
        if days == 0 {
            return Err(ConfigError::new(
                "AUTH_AUDIT_RETENTION_DAYS",
                "must be at least 1",
            ));
        }
        let url = env.get("AUTH_WEBHOOK_URL");
        let secret = env.get("AUTH_WEBHOOK_SECRET");
        let webhook = match (url, secret) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "AUTH_WEBHOOK_SECRET",
                    "required when AUTH_WEBHOOK_URL is set",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "AUTH_WEBHOOK_URL",
                    "required when AUTH_WEBHOOK_SECRET is set",
                ));
            }
            (Some(url), Some(secret)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ConfigError::new(
                        "AUTH_WEBHOOK_URL",
                        "must be an http:// or https:// URL",
                    ));
                }
                Some(WebhookTarget {
                    url: url.to_owned(),
                    key: decode_webhook_secret(secret)?,
                })
            }
        };
        let webhook_max_attempts: u32 = env.parse("AUTH_WEBHOOK_MAX_ATTEMPTS", 10)?;
        if webhook_max_attempts == 0 {
            return Err(ConfigError::new(
                "AUTH_WEBHOOK_MAX_ATTEMPTS",
                "must be at least 1",
            ));
        }
        Ok(Self {
            retention: Duration::from_secs(days.saturating_mul(86_400)),
            webhook,
            webhook_events: env.list("AUTH_WEBHOOK_EVENTS"),
            webhook_max_attempts,
        })
    }
}

/// `whsec_` + base64 (Standard Webhooks): the key is the decoded bytes.
fn decode_webhook_secret(raw: &str) -> Result<Secret, ConfigError> {
    use base64::Engine;
    let invalid = || {
        ConfigError::new(
            "AUTH_WEBHOOK_SECRET",
            "must be whsec_ followed by base64 of at least 24 bytes",
        )
    };
    let encoded = raw.strip_prefix("whsec_").ok_or_else(invalid)?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| invalid())?;
    if key.len() < 24 {
        return Err(invalid());
    }
    // Kept as the base64 text again; the signer decodes it.
    Ok(Secret::new(encoded.to_owned()))
}

/// Changing the email address (API.md §13).
#[derive(Clone, Debug)]
pub struct EmailChangeSettings {
    /// `AUTH_EMAIL_REVERT_TTL` (604800 s): how long the revert link lives.
    pub revert_ttl: Duration,
}

impl EmailChangeSettings {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            revert_ttl: env.seconds("AUTH_EMAIL_REVERT_TTL", 604_800)?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub bind: String,
    pub database_url: DatabaseUrl,
    pub database_pool_size: u32,
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    pub issuer: String,
    pub audience: String,
    pub jwt: JwtSettings,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub reset_ttl: Duration,
    pub verify_ttl: Duration,
    pub refresh_reuse_grace: Duration,
    /// A session's absolute lifetime, however often it is refreshed.
    pub session_max_age: Duration,
    pub bcrypt_cost: u32,
    /// bcrypt jobs that may wait or run at once (`AUTH_BCRYPT_QUEUE`).
    pub bcrypt_queue: usize,
    pub require_verified_email: bool,
    pub default_role: String,
    pub lockout_threshold: u32,
    pub lockout_duration: Duration,
    pub rate_limits: RateLimits,
    pub trusted_proxies: Vec<IpNet>,
    pub client_ip_header: ClientIpHeader,
    pub cors_origins: Vec<String>,
    pub frontend_url: String,
    pub smtp_url: Option<Secret>,
    pub mail_from: lettre::message::Mailbox,
    pub mail_max_attempts: u32,
    pub outbox_dir: PathBuf,
    pub log_format: LogFormat,
    pub password: PasswordPolicy,
    pub breached: BreachedSettings,
    pub body_limit: usize,
    pub product_name: String,
    pub housekeeping: Housekeeping,
    pub audit: AuditSettings,
    pub email_change: EmailChangeSettings,
    /// `AUTH_*` variables that are set but mean nothing (typos): warned
    /// about at start.
    pub unknown_variables: Vec<String>,
}

impl Settings {
    /// Reads `.env` in the working directory (if present) and the process
    /// environment. Never a parent directory's `.env`: a writable parent
    /// such as `/tmp` could otherwise choose the signing algorithm and key.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is the normal case; a broken one is worth a line.
        if let Err(e) = dotenvy::from_path(".env")
            && !e.not_found()
        {
            return Err(ConfigError::new(".env", e.to_string()));
        }
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_vars(&vars)
    }

    /// Builds settings from a variable map: the environment in production,
    /// a literal map in tests.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let env = Vars::new(vars);
        let jwt = match env.text("AUTH_JWT_ALG", "EdDSA").as_str() {
            "EdDSA" => JwtSettings::EdDsa {
                key_file: env
                    .text("AUTH_JWT_KEY_FILE", "./data/jwt-ed25519.pem")
                    .into(),
                verify_key_files: env
                    .list("AUTH_JWT_VERIFY_KEY_FILES")
                    .into_iter()
                    .map(PathBuf::from)
                    .collect(),
            },
            "HS256" => {
                let secret = env.get("AUTH_JWT_SECRET").ok_or_else(|| {
                    ConfigError::new("AUTH_JWT_SECRET", "required when AUTH_JWT_ALG=HS256")
                })?;
                if secret.len() < 32 {
                    return Err(ConfigError::new(
                        "AUTH_JWT_SECRET",
                        "must be at least 32 bytes long",
                    ));
                }
                JwtSettings::Hs256 {
                    secret: Secret::new(secret.to_owned()),
                }
            }
            other => {
                return Err(ConfigError::new(
                    "AUTH_JWT_ALG",
                    format!("unknown algorithm {other:?}; use EdDSA or HS256"),
                ));
            }
        };

        let database_url =
            DatabaseUrl::parse(&env.text("DATABASE_URL", "sqlite://./data/authd.db"))
                .map_err(|m| ConfigError::new("DATABASE_URL", m))?;

        let bcrypt_cost: u32 = env.parse("AUTH_BCRYPT_COST", 12)?;
        if !(4..=31).contains(&bcrypt_cost) {
            return Err(ConfigError::new(
                "AUTH_BCRYPT_COST",
                "must be between 4 and 31",
            ));
        }

        // Set but empty disables the class rules, so read it raw.
        let classes = env
            .raw("AUTH_PASSWORD_CLASSES")
            .unwrap_or("letter,digit,symbol")
            .to_owned();
        let classes: Vec<&str> = classes
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        if let Some(bad) = classes
            .iter()
            .find(|c| !["letter", "digit", "symbol"].contains(c))
        {
            return Err(ConfigError::new(
                "AUTH_PASSWORD_CLASSES",
                format!("unknown class {bad:?}; use letter, digit and/or symbol"),
            ));
        }
        let min_length: usize = env.parse("AUTH_PASSWORD_MIN_LENGTH", 8)?;
        if !(1..=256).contains(&min_length) {
            return Err(ConfigError::new(
                "AUTH_PASSWORD_MIN_LENGTH",
                "must be between 1 and 256",
            ));
        }
        let min_score: u8 = env.parse("AUTH_PASSWORD_MIN_SCORE", 3)?;
        if min_score > 4 {
            return Err(ConfigError::new(
                "AUTH_PASSWORD_MIN_SCORE",
                "must be between 0 and 4",
            ));
        }

        let trusted_proxies = env
            .list("AUTH_TRUSTED_PROXIES")
            .iter()
            .map(|raw| parse_cidr(raw))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| ConfigError::new("AUTH_TRUSTED_PROXIES", m))?;

        let smtp_url = env.get("AUTH_SMTP_URL").map(|s| Secret::new(s.to_owned()));
        let frontend_url = env.text("AUTH_FRONTEND_URL", "http://localhost:3000");
        let frontend_url = frontend_url.trim_end_matches('/').to_owned();

        let mut settings = Self {
            bind: env.text("AUTH_BIND", "127.0.0.1:8080"),
            database_url,
            database_pool_size: env.parse("AUTH_DATABASE_POOL_SIZE", 8)?,
            redis_url: env.get("REDIS_URL").map(str::to_owned),
            redis_prefix: env.text("AUTH_REDIS_PREFIX", "authd:"),
            issuer: env.text("AUTH_ISSUER", "http://localhost:8080"),
            audience: env.text("AUTH_AUDIENCE", "authd"),
            jwt,
            access_ttl: env.seconds("AUTH_ACCESS_TTL", 900)?,
            refresh_ttl: env.seconds("AUTH_REFRESH_TTL", 2_592_000)?,
            reset_ttl: env.seconds("AUTH_RESET_TTL", 3600)?,
            verify_ttl: env.seconds("AUTH_VERIFY_TTL", 86_400)?,
            refresh_reuse_grace: env.seconds_or_zero("AUTH_REFRESH_REUSE_GRACE", 10)?,
            session_max_age: env.seconds("AUTH_SESSION_MAX_AGE", 90 * 86_400)?,
            bcrypt_cost,
            bcrypt_queue: env.parse("AUTH_BCRYPT_QUEUE", 16 * crate::password::cores())?,
            require_verified_email: env.parse("AUTH_REQUIRE_VERIFIED_EMAIL", true)?,
            default_role: env.text("AUTH_DEFAULT_ROLE", "viewer"),
            lockout_threshold: env.parse("AUTH_LOCKOUT_THRESHOLD", 5)?,
            lockout_duration: env.seconds("AUTH_LOCKOUT_DURATION", 900)?,
            rate_limits: RateLimits {
                enabled: env.parse("AUTH_RATE_LIMITS", true)?,
                login_per_ip: env.parse(
                    "AUTH_RATE_LOGIN_PER_IP",
                    Limit {
                        count: 30,
                        window: Duration::from_secs(60),
                    },
                )?,
                register_per_ip: env.parse(
                    "AUTH_RATE_REGISTER_PER_IP",
                    Limit {
                        count: 10,
                        window: Duration::from_secs(3600),
                    },
                )?,
                mail_per_email: env.parse(
                    "AUTH_RATE_MAIL_PER_EMAIL",
                    Limit {
                        count: 3,
                        window: Duration::from_secs(3600),
                    },
                )?,
                mail_per_ip: env.parse(
                    "AUTH_RATE_MAIL_PER_IP",
                    Limit {
                        count: 20,
                        window: Duration::from_secs(3600),
                    },
                )?,
                refresh_per_session: env.parse(
                    "AUTH_RATE_REFRESH_PER_SESSION",
                    Limit {
                        count: 60,
                        window: Duration::from_secs(60),
                    },
                )?,
                password_per_session: env.parse(
                    "AUTH_RATE_PASSWORD_PER_SESSION",
                    Limit {
                        count: 10,
                        window: Duration::from_secs(3600),
                    },
                )?,
            },
            trusted_proxies,
            client_ip_header: match env
                .text("AUTH_CLIENT_IP_HEADER", "x-forwarded-for")
                .to_ascii_lowercase()
                .as_str()
            {
                "x-forwarded-for" => ClientIpHeader::XForwardedFor,
                "forwarded" => ClientIpHeader::Forwarded,
                other => {
                    return Err(ConfigError::new(
                        "AUTH_CLIENT_IP_HEADER",
                        format!("unknown header {other:?}; use x-forwarded-for or forwarded"),
                    ));
                }
            },
            cors_origins: env.list("AUTH_CORS_ORIGINS"),
            frontend_url,
            smtp_url,
            mail_from: env
                .text("AUTH_MAIL_FROM", "authd <no-reply@localhost>")
                .parse()
                .map_err(|e| {
                    ConfigError::new("AUTH_MAIL_FROM", format!("not a mail address: {e}"))
                })?,
            mail_max_attempts: env.parse("AUTH_MAIL_MAX_ATTEMPTS", 16)?,
            outbox_dir: env.text("AUTH_OUTBOX_DIR", "./data/outbox").into(),
            log_format: match env.text("AUTH_LOG_FORMAT", "pretty").as_str() {
                "pretty" => LogFormat::Pretty,
                "json" => LogFormat::Json,
                other => {
                    return Err(ConfigError::new(
                        "AUTH_LOG_FORMAT",
                        format!("unknown format {other:?}; use pretty or json"),
                    ));
                }
            },
            password: PasswordPolicy {
                min_length,
                require_letter: classes.contains(&"letter"),
                require_digit: classes.contains(&"digit"),
                require_symbol: classes.contains(&"symbol"),
                min_score,
                product_name: env.text("AUTH_PRODUCT_NAME", "authd"),
            },
            breached: BreachedSettings {
                mode: match env.text("AUTH_BREACHED_PASSWORDS", "off").as_str() {
                    "off" => BreachedMode::Off,
                    "api" => BreachedMode::Api,
                    other => match other.strip_prefix("file:") {
                        Some(path) if !path.is_empty() => BreachedMode::File(path.into()),
                        _ => {
                            return Err(ConfigError::new(
                                "AUTH_BREACHED_PASSWORDS",
                                format!("unknown mode {other:?}; use off, api or file:PATH"),
                            ));
                        }
                    },
                },
                api_url: env.text(
                    "AUTH_BREACHED_PASSWORDS_API_URL",
                    "https://api.pwnedpasswords.com",
                ),
                timeout: Duration::from_secs(2),
                fail_open: match env.text("AUTH_BREACHED_PASSWORDS_FAIL", "open").as_str() {
                    "open" => true,
                    "closed" => false,
                    other => {
                        return Err(ConfigError::new(
                            "AUTH_BREACHED_PASSWORDS_FAIL",
                            format!("unknown value {other:?}; use open or closed"),
                        ));
                    }
                },
            },
            body_limit: env.parse("AUTH_BODY_LIMIT", 64 * 1024)?,
            product_name: env.text("AUTH_PRODUCT_NAME", "authd"),
            housekeeping: Housekeeping {
                interval: env.seconds("AUTH_HOUSEKEEPING_INTERVAL", 3600)?,
                sent_mail: env.seconds("AUTH_RETENTION_SENT_MAIL", 7 * 86_400)?,
                dead_mail: env.seconds("AUTH_RETENTION_DEAD_MAIL", 30 * 86_400)?,
                one_time_tokens: env.seconds("AUTH_RETENTION_TOKENS", 7 * 86_400)?,
                sessions: env.seconds("AUTH_RETENTION_SESSIONS", 30 * 86_400)?,
            },
            audit: AuditSettings::from_vars(&env)?,
            email_change: EmailChangeSettings::from_vars(&env)?,
            unknown_variables: Vec::new(),
        };
        settings.unknown_variables = env.unread();
        if settings.lockout_threshold == 0 {
            return Err(ConfigError::new(
                "AUTH_LOCKOUT_THRESHOLD",
                "must be at least 1",
            ));
        }
        if settings.bcrypt_queue == 0 {
            return Err(ConfigError::new("AUTH_BCRYPT_QUEUE", "must be at least 1"));
        }
        if settings.database_pool_size == 0 {
            return Err(ConfigError::new(
                "AUTH_DATABASE_POOL_SIZE",
                "must be at least 1",
            ));
        }
        Ok(settings)
    }

    /// Whether the issuer is plain `http://` on a host other than loopback:
    /// tokens and passwords would cross the network unencrypted.
    pub fn issuer_is_cleartext_remote(&self) -> bool {
        let Some(rest) = self.issuer.strip_prefix("http://") else {
            return false;
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
        };
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        !loopback
    }

    /// Whether `ip` is one of the configured trusted proxies.
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

fn parse_cidr(raw: &str) -> Result<IpNet, String> {
    raw.parse::<IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{raw:?} is not an IP address or CIDR"))
}

/// Lookup helpers: empty values count as unset.
/// Remembers every name it was asked for, so that an `AUTH_*` variable
/// nobody reads (a typo) can be reported.
struct Vars<'a> {
    vars: &'a HashMap<String, String>,
    read: RefCell<HashSet<String>>,
}

impl<'a> Vars<'a> {
    fn new(vars: &'a HashMap<String, String>) -> Self {
        Self {
            vars,
            read: RefCell::default(),
        }
    }

    /// The value as set, empty or not.
    fn raw(&self, var: &str) -> Option<&'a str> {
        self.read.borrow_mut().insert(var.to_owned());
        self.vars.get(var).map(String::as_str)
    }

    fn get(&self, var: &str) -> Option<&'a str> {
        self.raw(var).map(str::trim).filter(|v| !v.is_empty())
    }

    /// `AUTH_*` variables that are set but that no setting reads, sorted.
    fn unread(&self) -> Vec<String> {
        let read = self.read.borrow();
        let mut unread: Vec<String> = self
            .vars
            .keys()
            .filter(|k| k.starts_with("AUTH_") && !read.contains(k.as_str()))
            .cloned()
            .collect();
        unread.sort();
        unread
    }

    fn text(&self, var: &str, default: &str) -> String {
        self.get(var).unwrap_or(default).to_owned()
    }

    fn list(&self, var: &str) -> Vec<String> {
        self.get(var)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn parse<T>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|e| ConfigError::new(var, format!("cannot use {raw:?}: {e}"))),
        }
    }

    fn seconds(&self, var: &'static str, default: u64) -> Result<Duration, ConfigError> {
        let value = self.seconds_or_zero(var, default)?;
        if value.is_zero() {
            return Err(ConfigError::new(var, "must be at least 1 second"));
        }
        Ok(value)
    }

    fn seconds_or_zero(&self, var: &'static str, default: u64) -> Result<Duration, ConfigError> {
        self.parse::<u64>(var, default).map(Duration::from_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_variables() {
        let s = Settings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(
            s.database_url,
            DatabaseUrl::Sqlite("./data/authd.db".into())
        );
        assert_eq!(s.access_ttl, Duration::from_secs(900));
        assert_eq!(
            s.rate_limits.login_per_ip,
            Limit {
                count: 30,
                window: Duration::from_secs(60)
            }
        );
    }

    #[test]
    fn unknown_auth_variables_are_reported() {
        let s = Settings::from_vars(&vars(&[
            ("AUTH_BCRYPT_CSOT", "10"),
            ("AUTH_BCRYPT_COST", "10"),
            ("AUTH_PASSWORD_CLASSES", ""),
            ("HOME", "/root"),
        ]))
        .unwrap();
        assert_eq!(s.unknown_variables, vec!["AUTH_BCRYPT_CSOT".to_owned()]);
    }

    #[test]
    fn cleartext_issuer_is_flagged_off_loopback_only() {
        for (issuer, flagged) in [
            ("http://localhost:8080", false),
            ("http://127.0.0.1:8080/x", false),
            ("http://[::1]:8080", false),
            ("https://auth.example.com", false),
            ("http://auth.example.com", true),
            ("http://10.0.0.5:8080", true),
        ] {
            let s = Settings::from_vars(&vars(&[("AUTH_ISSUER", issuer)])).unwrap();
            assert_eq!(s.issuer_is_cleartext_remote(), flagged, "{issuer}");
        }
    }

    #[test]
    fn webhook_needs_url_and_a_whsec_secret() {
        let s = Settings::from_vars(&HashMap::new()).unwrap();
        assert!(s.audit.webhook.is_none());
        assert_eq!(s.audit.retention, Duration::from_secs(90 * 86_400));
        let err = Settings::from_vars(&vars(&[("AUTH_WEBHOOK_URL", "http://h/x")])).unwrap_err();
        assert_eq!(err.var, "AUTH_WEBHOOK_SECRET");
        let err = Settings::from_vars(&vars(&[
            ("AUTH_WEBHOOK_URL", "http://h/x"),
            ("AUTH_WEBHOOK_SECRET", "not-whsec"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "AUTH_WEBHOOK_SECRET");
        let s = Settings::from_vars(&vars(&[
            ("AUTH_WEBHOOK_URL", "http://h/x"),
            (
                "AUTH_WEBHOOK_SECRET",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ),
            ("AUTH_WEBHOOK_EVENTS", "login., user."),
        ]))
        .unwrap();
        assert!(s.audit.webhook.is_some());
        assert_eq!(s.audit.webhook_events, vec!["login.", "user."]);
    }

    #[test]
    fn unknown_algorithm_names_the_variable() {
        let err = Settings::from_vars(&vars(&[("AUTH_JWT_ALG", "none")])).unwrap_err();
        assert_eq!(err.var, "AUTH_JWT_ALG");
    }

    #[test]
    fn short_hs256_secret_is_refused() {
        let err = Settings::from_vars(&vars(&[
            ("AUTH_JWT_ALG", "HS256"),
            ("AUTH_JWT_SECRET", "short"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "AUTH_JWT_SECRET");
    }

    #[test]
    fn limits_parse_with_units() {
        assert_eq!(
            "10/1h".parse::<Limit>().unwrap(),
            Limit {
                count: 10,
                window: Duration::from_secs(3600)
            }
        );
        assert!("0/1h".parse::<Limit>().is_err());
        assert!("ten/1h".parse::<Limit>().is_err());
    }

    #[test]
    fn trusted_proxies_accept_addresses_and_cidrs() {
        let s = Settings::from_vars(&vars(&[("AUTH_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")]))
            .unwrap();
        assert!(s.is_trusted_proxy("10.1.2.3".parse().unwrap()));
        assert!(s.is_trusted_proxy("127.0.0.1".parse().unwrap()));
        assert!(!s.is_trusted_proxy("192.168.0.1".parse().unwrap()));
    }
}
