//! The settings themselves: one section per concern, each with its own
//! constructor that validates while it reads; `Settings::from_vars` only
//! assembles them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use std::sync::Arc;

use ipnet::IpNet;
use webauthn_rs::prelude::Url;

use crate::mail::templates::Catalog;
use crate::secret::Secret;

use super::oidc::OidcSettings;
use super::service_keys::ServiceKeys;
use super::values::{self, ConfigError, DatabaseUrl, Limit, RedisUrl};
use super::vars::Vars;

#[derive(Clone, Debug)]
pub struct Settings {
    pub http: HttpSettings,
    pub storage: StorageSettings,
    pub tokens: TokenSettings,
    pub accounts: AccountSettings,
    pub bcrypt: BcryptSettings,
    pub lockout: LockoutSettings,
    pub rate_limits: RateLimits,
    pub password: PasswordPolicy,
    pub breached: BreachedSettings,
    pub mail: MailSettings,
    pub housekeeping: Housekeeping,
    pub sessions: SessionPolicy,
    pub audit: AuditSettings,
    pub email_change: EmailChangeSettings,
    pub email_login: EmailLoginSettings,
    pub mfa: MfaSettings,
    pub oidc: OidcSettings,
    /// `AUTH_SERVICE_KEYS`: who may read the revocation feed (API.md §18).
    pub service_keys: ServiceKeys,
    pub log_format: LogFormat,
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
        let mut settings = Self::read(&env)?;
        settings.unknown_variables = env.unread();
        Ok(settings)
    }

    /// Every section, read from `env` (which remembers the names asked for).
    fn read(env: &Vars<'_>) -> Result<Self, ConfigError> {
        let settings = Self::read_sections(env)?;
        let symmetric = matches!(settings.tokens.signing, JwtSettings::Hs256 { .. });
        if symmetric && !settings.audit.ssf_receivers.is_empty() {
            return Err(ConfigError::new(
                "AUTH_SSF_RECEIVERS",
                "needs AUTH_JWT_ALG=EdDSA: receivers verify each Security Event Token with the \
                 JWKS, which has no key under HS256",
            ));
        }
        Ok(settings)
    }

    fn read_sections(env: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            http: HttpSettings::from_vars(env)?,
            storage: StorageSettings::from_vars(env)?,
            tokens: TokenSettings::from_vars(env)?,
            accounts: AccountSettings::from_vars(env)?,
            bcrypt: BcryptSettings::from_vars(env)?,
            lockout: LockoutSettings::from_vars(env)?,
            rate_limits: RateLimits::from_vars(env)?,
            password: PasswordPolicy::from_vars(env)?,
            breached: BreachedSettings::from_vars(env)?,
            mail: MailSettings::from_vars(env)?,
            housekeeping: Housekeeping::from_vars(env)?,
            sessions: SessionPolicy::from_vars(env)?,
            audit: AuditSettings::from_vars(env)?,
            email_change: EmailChangeSettings::from_vars(env)?,
            email_login: EmailLoginSettings::from_vars(env)?,
            mfa: MfaSettings::from_vars(env)?,
            oidc: OidcSettings::from_vars(env)?,
            service_keys: ServiceKeys::parse(env.get("AUTH_SERVICE_KEYS"))
                .map_err(|e| ConfigError::new("AUTH_SERVICE_KEYS", e))?,
            log_format: env.choice(
                "AUTH_LOG_FORMAT",
                "pretty",
                &[("pretty", LogFormat::Pretty), ("json", LogFormat::Json)],
            )?,
            unknown_variables: Vec::new(),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

const DEFAULT_ISSUER: &str = "http://localhost:8080";

/// `scheme://host[:port]` of an `http(s)://` URL, as a browser's `Origin`
/// names it.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let known = scheme == "http" || scheme == "https";
    (known && !authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

/// The public listener and what it believes about its clients.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    pub bind: String,
    pub body_limit: usize,
    pub trusted_proxies: Vec<IpNet>,
    pub client_ip_header: ClientIpHeader,
    pub cors_origins: Vec<String>,
    /// `AUTH_OPS_BIND` (ASVS 13.4.5): when set, `/metrics`, `/docs` and
    /// `/openapi.json` are served only on this address; the public port
    /// answers 404 for them.
    pub ops_bind: Option<String>,
    /// `AUTH_ADMIN_CONSOLE`: serve the admin console at `/admin/`.
    pub admin_console: bool,
    /// The origin of `AUTH_ISSUER` while the console is on: the console is
    /// served from there, so cookie mode accepts it as if it were listed in
    /// `AUTH_CORS_ORIGINS` (a same-origin request is no cross-site one).
    pub console_origin: Option<String>,
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

impl HttpSettings {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        let trusted_proxies = env
            .list("AUTH_TRUSTED_PROXIES")
            .iter()
            .map(|raw| values::parse_cidr(raw))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| ConfigError::new("AUTH_TRUSTED_PROXIES", m))?;
        let admin_console = env.parse("AUTH_ADMIN_CONSOLE", true)?;
        Ok(Self {
            bind: env.text("AUTH_BIND", "127.0.0.1:8080"),
            body_limit: env.parse("AUTH_BODY_LIMIT", 64 * 1024)?,
            trusted_proxies,
            client_ip_header: env.choice(
                "AUTH_CLIENT_IP_HEADER",
                "x-forwarded-for",
                &[
                    ("x-forwarded-for", ClientIpHeader::XForwardedFor),
                    ("forwarded", ClientIpHeader::Forwarded),
                ],
            )?,
            cors_origins: env.list("AUTH_CORS_ORIGINS"),
            ops_bind: env.get("AUTH_OPS_BIND").map(str::to_owned),
            admin_console,
            console_origin: admin_console
                .then(|| origin_of(&env.text("AUTH_ISSUER", DEFAULT_ISSUER)))
                .flatten(),
        })
    }

    /// Whether `ip` is one of the configured trusted proxies.
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }
}

/// Where users and sessions live (the database) and where the shared
/// counters and denylists live (the store).
#[derive(Clone, Debug)]
pub struct StorageSettings {
    pub database_url: DatabaseUrl,
    pub database_pool_size: u32,
    /// `REDIS_URL`: one server or a cluster; unset → the in-process store.
    pub redis_url: Option<RedisUrl>,
    pub redis_prefix: String,
    /// `AUTH_REDIS_CA_FILE` (ASVS 12.3.1): PEM certificates that alone are
    /// trusted for a `rediss://` Redis (a private CA); unset trusts the
    /// built-in web roots. PostgreSQL takes its TLS options in
    /// `DATABASE_URL` (`sslmode`, `sslrootcert`).
    pub redis_ca_file: Option<PathBuf>,
    /// `AUTH_REQUIRE_TLS_BACKENDS` (false; ASVS 12.3.1): refuse to start
    /// when a channel to another host is cleartext
    /// ([`Settings::cleartext_channels`]) instead of warning.
    pub require_tls_backends: bool,
}

impl StorageSettings {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        let redis_url = env
            .get("REDIS_URL")
            .map(RedisUrl::parse)
            .transpose()
            .map_err(|m| ConfigError::new("REDIS_URL", m))?;
        let redis_ca_file = env.get("AUTH_REDIS_CA_FILE").map(PathBuf::from);
        if redis_ca_file.is_some() && !redis_url.as_ref().is_some_and(RedisUrl::is_tls) {
            return Err(ConfigError::new(
                "AUTH_REDIS_CA_FILE",
                "is set but REDIS_URL is not a rediss:// or rediss+cluster:// (TLS) URL",
            ));
        }
        let redis_prefix = env.text("AUTH_REDIS_PREFIX", "authd:");
        if redis_url.as_ref().is_some_and(RedisUrl::is_cluster) && redis_prefix.contains(['{', '}'])
        {
            // A hash tag in the prefix would put every key in one slot.
            return Err(ConfigError::new(
                "AUTH_REDIS_PREFIX",
                "must not contain { or } with a Redis Cluster (keys carry their own hash tags)",
            ));
        }
        Ok(Self {
            database_url: DatabaseUrl::parse(&env.text("DATABASE_URL", "sqlite://./data/authd.db"))
                .map_err(|m| ConfigError::new("DATABASE_URL", m))?,
            database_pool_size: env.positive("AUTH_DATABASE_POOL_SIZE", 8)?,
            redis_url,
            redis_prefix,
            redis_ca_file,
            require_tls_backends: env.parse("AUTH_REQUIRE_TLS_BACKENDS", false)?,
        })
    }

    /// The Redis CA certificates, read from `AUTH_REDIS_CA_FILE`.
    pub fn redis_ca_pem(&self) -> Result<Option<Vec<u8>>, String> {
        self.redis_ca_file
            .as_ref()
            .map(|path| {
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
            })
            .transpose()
    }
}

/// What every token says about its origin, how it is signed and how long
/// it and its session live.
#[derive(Clone, Debug)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    pub signing: JwtSettings,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub refresh_reuse_grace: Duration,
    /// A session's absolute lifetime, however often it is refreshed.
    pub session_max_age: Duration,
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

#[derive(Clone, Copy)]
enum Algorithm {
    EdDsa,
    Hs256,
}

impl TokenSettings {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        let algorithm = env.choice(
            "AUTH_JWT_ALG",
            "EdDSA",
            &[("EdDSA", Algorithm::EdDsa), ("HS256", Algorithm::Hs256)],
        )?;
        let signing = match algorithm {
            Algorithm::EdDsa => JwtSettings::EdDsa {
                key_file: env
                    .text("AUTH_JWT_KEY_FILE", "./data/jwt-ed25519.pem")
                    .into(),
                verify_key_files: env
                    .list("AUTH_JWT_VERIFY_KEY_FILES")
                    .into_iter()
                    .map(PathBuf::from)
                    .collect(),
            },
            Algorithm::Hs256 => {
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
        };
        Ok(Self {
            issuer: env.text("AUTH_ISSUER", DEFAULT_ISSUER),
            audience: env.text("AUTH_AUDIENCE", "authd"),
            signing,
            access_ttl: env.seconds("AUTH_ACCESS_TTL", 900)?,
            refresh_ttl: env.seconds("AUTH_REFRESH_TTL", 2_592_000)?,
            refresh_reuse_grace: env.seconds_or_zero("AUTH_REFRESH_REUSE_GRACE", 10)?,
            session_max_age: env.seconds("AUTH_SESSION_MAX_AGE", 90 * 86_400)?,
        })
    }
}

/// How accounts come to be and prove their email, and how long the mailed
/// links live.
#[derive(Clone, Debug)]
pub struct AccountSettings {
    pub require_verified_email: bool,
    pub default_role: String,
    pub verify_ttl: Duration,
    pub reset_ttl: Duration,
}

impl AccountSettings {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            require_verified_email: env.parse("AUTH_REQUIRE_VERIFIED_EMAIL", true)?,
            default_role: env.text("AUTH_DEFAULT_ROLE", "viewer"),
            verify_ttl: env.seconds("AUTH_VERIFY_TTL", 86_400)?,
            reset_ttl: env.seconds("AUTH_RESET_TTL", 3600)?,
        })
    }
}

#[derive(Clone, Copy, Debug)]
pub struct BcryptSettings {
    pub cost: u32,
    /// New hashes: bcrypt or Argon2id (`AUTH_PASSWORD_HASH`).
    pub algorithm: crate::password::Algorithm,
    /// bcrypt jobs that may wait or run at once (`AUTH_BCRYPT_QUEUE`).
    pub queue: usize,
}

impl BcryptSettings {
    /// How new hashes are made.
    pub fn policy(&self) -> crate::password::Policy {
        crate::password::Policy {
            algorithm: self.algorithm,
            bcrypt_cost: self.cost,
        }
    }

    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            cost: env.within("AUTH_BCRYPT_COST", 12, 4..=31)?,
            algorithm: env.choice(
                "AUTH_PASSWORD_HASH",
                "bcrypt",
                &[
                    ("bcrypt", crate::password::Algorithm::Bcrypt),
                    ("argon2id", crate::password::Algorithm::Argon2id),
                ],
            )?,
            queue: env.positive("AUTH_BCRYPT_QUEUE", 16 * crate::password::cores())?,
        })
    }
}

/// Failed password checks per account before it is locked, and for how long.
#[derive(Clone, Copy, Debug)]
pub struct LockoutSettings {
    pub threshold: u32,
    pub duration: Duration,
}

impl LockoutSettings {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            threshold: env.positive("AUTH_LOCKOUT_THRESHOLD", 5)?,
            duration: env.seconds("AUTH_LOCKOUT_DURATION", 900)?,
        })
    }
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
    /// `POST /v1/auth/email-login/start` per client IP (API.md §15).
    pub email_login_per_ip: Limit,
    /// `POST /v1/auth/email-login/verify` per client IP (API.md §15).
    pub email_login_verify_per_ip: Limit,
}

impl RateLimits {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            enabled: env.parse("AUTH_RATE_LIMITS", true)?,
            login_per_ip: env.parse("AUTH_RATE_LOGIN_PER_IP", Limit::per_secs(30, 60))?,
            register_per_ip: env.parse("AUTH_RATE_REGISTER_PER_IP", Limit::per_secs(10, 3600))?,
            mail_per_email: env.parse("AUTH_RATE_MAIL_PER_EMAIL", Limit::per_secs(3, 3600))?,
            mail_per_ip: env.parse("AUTH_RATE_MAIL_PER_IP", Limit::per_secs(20, 3600))?,
            refresh_per_session: env
                .parse("AUTH_RATE_REFRESH_PER_SESSION", Limit::per_secs(60, 60))?,
            password_per_session: env
                .parse("AUTH_RATE_PASSWORD_PER_SESSION", Limit::per_secs(10, 3600))?,
            email_login_per_ip: env
                .parse("AUTH_RATE_EMAIL_LOGIN_PER_IP", Limit::per_secs(20, 3600))?,
            email_login_verify_per_ip: env.parse(
                "AUTH_RATE_EMAIL_LOGIN_VERIFY_PER_IP",
                Limit::per_secs(30, 60),
            )?,
        })
    }
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

impl PasswordPolicy {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        // Set but empty disables the class rules, so read it raw.
        let classes: Vec<&str> = env
            .raw("AUTH_PASSWORD_CLASSES")
            .unwrap_or("letter,digit,symbol")
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
        Ok(Self {
            min_length: env.within("AUTH_PASSWORD_MIN_LENGTH", 8, 1..=256)?,
            require_letter: classes.contains(&"letter"),
            require_digit: classes.contains(&"digit"),
            require_symbol: classes.contains(&"symbol"),
            min_score: env.within("AUTH_PASSWORD_MIN_SCORE", 3, 0..=4)?,
            product_name: product_name(env),
        })
    }
}

fn product_name(env: &Vars<'_>) -> String {
    env.text("AUTH_PRODUCT_NAME", "authd")
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

impl BreachedSettings {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        let mode = match env.text("AUTH_BREACHED_PASSWORDS", "off").as_str() {
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
        };
        Ok(Self {
            mode,
            api_url: env.text(
                "AUTH_BREACHED_PASSWORDS_API_URL",
                "https://api.pwnedpasswords.com",
            ),
            timeout: Duration::from_secs(2),
            fail_open: env.choice(
                "AUTH_BREACHED_PASSWORDS_FAIL",
                "open",
                &[("open", true), ("closed", false)],
            )?,
        })
    }
}

/// How mail leaves (SMTP or the outbox folder), from whom, and what the
/// links in it point at.
#[derive(Clone, Debug)]
pub struct MailSettings {
    pub smtp_url: Option<Secret>,
    pub from: lettre::message::Mailbox,
    pub max_attempts: u32,
    pub outbox_dir: PathBuf,
    /// The SPA the links in mails open, without a trailing slash.
    pub frontend_url: String,
    pub product_name: String,
    /// `AUTH_DEFAULT_LOCALE`: the language of mail when the recipient's is
    /// unknown or has no templates.
    pub default_locale: String,
    /// `AUTH_MAIL_LINK_COLOR`: the HTML mail's button and link colour.
    pub link_color: String,
    /// Every mail template, built in and from `AUTH_MAIL_TEMPLATES_DIR`,
    /// compiled and checked.
    pub templates: Arc<Catalog>,
}

impl MailSettings {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        let templates = templates(env)?;
        Ok(Self {
            smtp_url: env.get("AUTH_SMTP_URL").map(|s| Secret::new(s.to_owned())),
            from: env
                .text("AUTH_MAIL_FROM", "authd <no-reply@localhost>")
                .parse()
                .map_err(|e| {
                    ConfigError::new("AUTH_MAIL_FROM", format!("not a mail address: {e}"))
                })?,
            max_attempts: env.positive("AUTH_MAIL_MAX_ATTEMPTS", 16)?,
            outbox_dir: env.text("AUTH_OUTBOX_DIR", "./data/outbox").into(),
            frontend_url: env
                .text("AUTH_FRONTEND_URL", "http://localhost:3000")
                .trim_end_matches('/')
                .to_owned(),
            product_name: product_name(env),
            default_locale: default_locale(env, &templates)?,
            link_color: link_color(env)?,
            templates: Arc::new(templates),
        })
    }
}

fn templates(env: &Vars<'_>) -> Result<Catalog, ConfigError> {
    let dir = env.get("AUTH_MAIL_TEMPLATES_DIR").map(std::path::Path::new);
    Catalog::load(dir).map_err(|e| ConfigError::new("AUTH_MAIL_TEMPLATES_DIR", e.to_string()))
}

/// A locale with every kind of mail: the last fallback.
fn default_locale(env: &Vars<'_>, templates: &Catalog) -> Result<String, ConfigError> {
    let raw = env.text("AUTH_DEFAULT_LOCALE", "en");
    let tag = crate::mail::locale::normalize(&raw)
        .ok_or_else(|| ConfigError::new("AUTH_DEFAULT_LOCALE", "not a language tag (BCP 47)"))?;
    if templates.is_complete(&tag) {
        return Ok(tag);
    }
    let complete: Vec<&str> = templates
        .locales()
        .filter(|l| templates.is_complete(l))
        .collect();
    Err(ConfigError::new(
        "AUTH_DEFAULT_LOCALE",
        format!(
            "no mail templates for every kind in `{tag}`; these have them: {}",
            complete.join(", ")
        ),
    ))
}

/// `#rgb` or `#rrggbb`: it goes into the mail's inline styles.
fn link_color(env: &Vars<'_>) -> Result<String, ConfigError> {
    let raw = env.text("AUTH_MAIL_LINK_COLOR", "#2563eb");
    let hex = raw.strip_prefix('#').unwrap_or_default();
    if matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(raw)
    } else {
        Err(ConfigError::new(
            "AUTH_MAIL_LINK_COLOR",
            "must be a hex colour such as #2563eb",
        ))
    }
}

/// How many sessions one user may hold at once (ASVS 7.1.2 / 7.4.5).
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionPolicy {
    /// `AUTH_MAX_SESSIONS_PER_USER`; 0 = unlimited. A login past the limit
    /// revokes the user's oldest active sessions.
    pub max_per_user: u32,
}

impl SessionPolicy {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            max_per_user: env.parse("AUTH_MAX_SESSIONS_PER_USER", 0)?,
        })
    }
}

/// Multi-factor authentication (API.md §9).
#[derive(Clone, Debug)]
pub struct MfaSettings {
    /// The AES-256-GCM key that encrypts TOTP secrets at rest, created
    /// (0600) if absent.
    pub key_file: PathBuf,
    /// How long the `mfa_token` of a password login lives.
    pub token_ttl: Duration,
    /// How recent `auth_time` must be to enrol the first factor.
    pub reauth_max_age: Duration,
    /// Second-factor failures an account may have in 24 hours before the
    /// second step answers 429 (API.md §14); 0 turns the cap off.
    pub max_failures_per_day: u32,
    /// Users holding any of these roles reach only enrolment until they
    /// have a factor.
    pub required_roles: Vec<String>,
    /// The WebAuthn relying party id (`AUTH_WEBAUTHN_RP_ID`, by default the
    /// host of `AUTH_FRONTEND_URL`).
    pub webauthn_rp_id: String,
    /// Origins a passkey ceremony may come from (`AUTH_WEBAUTHN_ORIGINS`,
    /// by default `AUTH_FRONTEND_URL`'s origin).
    pub webauthn_origins: Vec<webauthn_rs::prelude::Url>,
}

impl MfaSettings {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        let (webauthn_rp_id, webauthn_origins) = Self::webauthn(env)?;
        Ok(Self {
            key_file: env.text("AUTH_MFA_KEY_FILE", "./data/mfa.key").into(),
            token_ttl: env.seconds("AUTH_MFA_TOKEN_TTL", 300)?,
            reauth_max_age: env.seconds("AUTH_REAUTH_MAX_AGE", 300)?,
            max_failures_per_day: env.parse("AUTH_MFA_MAX_FAILURES_PER_DAY", 20)?,
            required_roles: env.list("AUTH_MFA_REQUIRED_ROLES"),
            webauthn_rp_id,
            webauthn_origins,
        })
    }

    /// The relying party: its id and origins, checked against each other.
    fn webauthn(env: &Vars<'_>) -> Result<(String, Vec<Url>), ConfigError> {
        let frontend = env.text("AUTH_FRONTEND_URL", "http://localhost:3000");
        let frontend = Url::parse(&frontend)
            .map_err(|e| ConfigError::new("AUTH_FRONTEND_URL", format!("not a URL: {e}")))?;
        let listed = env.list("AUTH_WEBAUTHN_ORIGINS");
        let origins = if listed.is_empty() {
            vec![
                Url::parse(&frontend.origin().ascii_serialization()).map_err(|e| {
                    ConfigError::new(
                        "AUTH_WEBAUTHN_ORIGINS",
                        format!("AUTH_FRONTEND_URL has no origin: {e}"),
                    )
                })?,
            ]
        } else {
            listed
                .iter()
                .map(|o| {
                    Url::parse(o).map_err(|e| {
                        ConfigError::new(
                            "AUTH_WEBAUTHN_ORIGINS",
                            format!("{o:?} is not a URL: {e}"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        let rp_id = match env.get("AUTH_WEBAUTHN_RP_ID") {
            Some(id) => id.to_owned(),
            None => frontend.host_str().map(str::to_owned).ok_or_else(|| {
                ConfigError::new(
                    "AUTH_WEBAUTHN_RP_ID",
                    "required when AUTH_FRONTEND_URL has no host",
                )
            })?,
        };
        // Each origin must be the relying party's domain or below it.
        for origin in &origins {
            webauthn_rs::WebauthnBuilder::new(&rp_id, origin).map_err(|e| {
                ConfigError::new(
                    "AUTH_WEBAUTHN_ORIGINS",
                    format!("{origin} is not within relying party {rp_id:?}: {e}"),
                )
            })?;
        }
        Ok((rp_id, origins))
    }
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

impl Housekeeping {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            interval: env.seconds("AUTH_HOUSEKEEPING_INTERVAL", 3600)?,
            sent_mail: env.seconds("AUTH_RETENTION_SENT_MAIL", 7 * 86_400)?,
            dead_mail: env.seconds("AUTH_RETENTION_DEAD_MAIL", 30 * 86_400)?,
            one_time_tokens: env.seconds("AUTH_RETENTION_TOKENS", 7 * 86_400)?,
            sessions: env.seconds("AUTH_RETENTION_SESSIONS", 30 * 86_400)?,
        })
    }
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
    /// `AUTH_SSF_RECEIVERS`: where each revocation is pushed as a Security
    /// Event Token (API.md §18); empty pushes nothing.
    pub ssf_receivers: Vec<String>,
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
        let ssf_receivers = env.list("AUTH_SSF_RECEIVERS");
        for url in &ssf_receivers {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::new(
                    "AUTH_SSF_RECEIVERS",
                    format!("{url:?} is not an http:// or https:// URL"),
                ));
            }
        }
        Ok(Self {
            retention: Duration::from_secs(days.saturating_mul(86_400)),
            webhook,
            webhook_events: env.list("AUTH_WEBHOOK_EVENTS"),
            webhook_max_attempts,
            ssf_receivers,
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

/// Passwordless sign-in by email (API.md §15).
#[derive(Clone, Debug)]
pub struct EmailLoginSettings {
    /// `AUTH_EMAIL_LOGIN` (true): false turns both routes off (404).
    pub enabled: bool,
    /// `AUTH_EMAIL_LOGIN_SIGNUP` (true): the mail also signs up an address
    /// with no account.
    pub signup: bool,
    /// `AUTH_EMAIL_LOGIN_TTL` (600 s): how long a link and its code live.
    pub ttl: Duration,
}

impl EmailLoginSettings {
    fn from_vars(env: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            enabled: env.parse("AUTH_EMAIL_LOGIN", true)?,
            signup: env.parse("AUTH_EMAIL_LOGIN_SIGNUP", true)?,
            ttl: env.seconds("AUTH_EMAIL_LOGIN_TTL", 600)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::registry;
    use super::*;

    /// Configurations that, together, make the readers ask for every
    /// variable they know (conditional ones included).
    fn configurations() -> Vec<HashMap<String, String>> {
        vec![
            vars(&[]),
            vars(&[
                ("AUTH_JWT_ALG", "HS256"),
                ("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ]),
            vars(&[
                ("AUTH_WEBHOOK_URL", "http://h/x"),
                (
                    "AUTH_WEBHOOK_SECRET",
                    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                ),
                ("REDIS_URL", "rediss://127.0.0.1:6380"),
                ("AUTH_SMTP_URL", "smtp://127.0.0.1:25?tls=none"),
            ]),
            vars(&[
                ("AUTH_OIDC_PROVIDERS", "corp,github"),
                ("AUTH_OIDC_CORP_ISSUER", "https://id.example.com"),
                ("AUTH_OIDC_CORP_CLIENT_ID", "web"),
                ("AUTH_OIDC_GITHUB_CLIENT_ID", "gh"),
                ("AUTH_OIDC_GITHUB_CLIENT_SECRET", "s"),
            ]),
        ]
    }

    /// The registry (`registry::VARIABLES`, from which the configuration
    /// reference is written) names exactly the variables the readers ask
    /// for: a new variable without its row, or a row for a variable no
    /// longer read, fails here.
    #[test]
    fn the_registry_lists_exactly_the_variables_read() {
        let mut read = std::collections::BTreeSet::new();
        for map in configurations() {
            let env = Vars::new(&map);
            if let Err(e) = Settings::read(&env) {
                panic!("{map:?}: {e}");
            }
            read.extend(env.read_names());
        }
        let unlisted: Vec<&String> = read
            .iter()
            .filter(|name| !registry::VARIABLES.iter().any(|v| v.matches(name)))
            .collect();
        assert!(
            unlisted.is_empty(),
            "read but not in src/config/registry.rs: {unlisted:?}"
        );
        let unread: Vec<&str> = registry::VARIABLES
            .iter()
            .filter(|v| !read.iter().any(|name| v.matches(name)))
            .map(|v| v.name)
            .collect();
        assert!(
            unread.is_empty(),
            "in src/config/registry.rs but never read: {unread:?}"
        );
        let mut names: Vec<&str> = registry::VARIABLES.iter().map(|v| v.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            registry::VARIABLES.len(),
            "a variable listed twice"
        );
    }

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ssf_receivers_are_urls_and_need_a_published_key() {
        let url = (
            "AUTH_SSF_RECEIVERS",
            "https://rp.example/ssf, http://127.0.0.1:9/x",
        );
        let settings = Settings::from_vars(&vars(&[url])).unwrap();
        assert_eq!(
            settings.audit.ssf_receivers,
            ["https://rp.example/ssf", "http://127.0.0.1:9/x"]
        );
        let err = Settings::from_vars(&vars(&[("AUTH_SSF_RECEIVERS", "rp.example")])).unwrap_err();
        assert_eq!(err.var, "AUTH_SSF_RECEIVERS");
        let hs256 = [
            url,
            ("AUTH_JWT_ALG", "HS256"),
            ("AUTH_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ];
        let err = Settings::from_vars(&vars(&hs256)).unwrap_err();
        assert_eq!(err.var, "AUTH_SSF_RECEIVERS");
        assert!(err.message.contains("EdDSA"), "{}", err.message);
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
    fn defaults_need_no_variables() {
        let s = Settings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(s.http.bind, "127.0.0.1:8080");
        assert_eq!(
            s.storage.database_url,
            DatabaseUrl::Sqlite("./data/authd.db".into())
        );
        assert_eq!(s.tokens.access_ttl, Duration::from_secs(900));
        assert_eq!(
            s.rate_limits.login_per_ip,
            Limit {
                count: 30,
                window: Duration::from_secs(60)
            }
        );
    }

    #[test]
    fn the_admin_console_is_on_by_default_and_off_only_by_a_boolean() {
        let s = Settings::from_vars(&HashMap::new()).unwrap();
        assert!(s.http.admin_console);
        let s = Settings::from_vars(&vars(&[("AUTH_ADMIN_CONSOLE", "false")])).unwrap();
        assert!(!s.http.admin_console);
        let err = Settings::from_vars(&vars(&[("AUTH_ADMIN_CONSOLE", "off")])).unwrap_err();
        assert_eq!(err.var, "AUTH_ADMIN_CONSOLE");
    }

    #[test]
    fn the_console_is_served_from_the_issuers_origin() {
        let s = Settings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(
            s.http.console_origin.as_deref(),
            Some("http://localhost:8080")
        );
        let issuer = ("AUTH_ISSUER", "https://id.example.com:8443/tenant?x#y");
        let s = Settings::from_vars(&vars(&[issuer])).unwrap();
        assert_eq!(
            s.http.console_origin.as_deref(),
            Some("https://id.example.com:8443")
        );
        let off = Settings::from_vars(&vars(&[issuer, ("AUTH_ADMIN_CONSOLE", "false")])).unwrap();
        assert_eq!(off.http.console_origin, None);
        assert_eq!(origin_of("urn:authd"), None);
        assert_eq!(origin_of("https://"), None);
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
            assert_eq!(s.tokens.issuer_is_cleartext_remote(), flagged, "{issuer}");
        }
    }

    #[test]
    fn session_cap_ops_listener_and_redis_ca_are_read() {
        let s = Settings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(s.sessions.max_per_user, 0);
        assert!(s.http.ops_bind.is_none() && s.storage.redis_ca_file.is_none());
        let s = Settings::from_vars(&vars(&[
            ("AUTH_MAX_SESSIONS_PER_USER", "3"),
            ("AUTH_OPS_BIND", "127.0.0.1:9090"),
            ("REDIS_URL", "rediss://redis.internal:6380"),
            ("AUTH_REDIS_CA_FILE", "/etc/authd/redis-ca.pem"),
        ]))
        .unwrap();
        assert_eq!(s.sessions.max_per_user, 3);
        assert_eq!(s.http.ops_bind.as_deref(), Some("127.0.0.1:9090"));
        assert!(s.unknown_variables.is_empty());
        let err = Settings::from_vars(&vars(&[("AUTH_MAX_SESSIONS_PER_USER", "-1")])).unwrap_err();
        assert_eq!(err.var, "AUTH_MAX_SESSIONS_PER_USER");
        let err = Settings::from_vars(&vars(&[
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("AUTH_REDIS_CA_FILE", "/etc/authd/redis-ca.pem"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "AUTH_REDIS_CA_FILE");
    }

    #[test]
    fn redis_url_names_a_server_or_a_cluster() {
        let s = Settings::from_vars(&vars(&[(
            "REDIS_URL",
            "redis+cluster://:s3cret@10.0.0.1:7000,10.0.0.2:7001/",
        )]))
        .unwrap();
        let url = s.storage.redis_url.unwrap();
        assert_eq!(
            url,
            RedisUrl::Cluster {
                nodes: vec![
                    "redis://:s3cret@10.0.0.1:7000".into(),
                    "redis://:s3cret@10.0.0.2:7001".into()
                ],
                tls: false
            }
        );
        assert!(
            !format!("{url:?}").contains("s3cret"),
            "Debug hides the password"
        );
        assert_eq!(
            RedisUrl::parse("rediss+cluster://a:6380").unwrap(),
            RedisUrl::Cluster {
                nodes: vec!["rediss://a:6380".into()],
                tls: true
            }
        );
        assert_eq!(
            RedisUrl::parse("redis://127.0.0.1:6379/2").unwrap(),
            RedisUrl::Server("redis://127.0.0.1:6379/2".into())
        );
        for bad in [
            "redis+cluster://a:1/3",
            "redis+cluster://a",
            "redis+cluster://a:1,:2",
            "redis+sentinel://a:26379/mymaster",
            "http://a:1",
        ] {
            let err = Settings::from_vars(&vars(&[("REDIS_URL", bad)])).unwrap_err();
            assert_eq!(err.var, "REDIS_URL", "{bad}");
        }
        let err = Settings::from_vars(&vars(&[
            ("REDIS_URL", "redis+cluster://a:1"),
            ("AUTH_REDIS_PREFIX", "{authd}:"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "AUTH_REDIS_PREFIX");
        Settings::from_vars(&vars(&[
            ("REDIS_URL", "rediss+cluster://a:1"),
            ("AUTH_REDIS_CA_FILE", "/etc/authd/redis-ca.pem"),
        ]))
        .unwrap();
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
    fn durations_accept_seconds_and_human_forms() {
        let s = Settings::from_vars(&vars(&[
            ("AUTH_ACCESS_TTL", "15m"),
            ("AUTH_REFRESH_TTL", "30d"),
            ("AUTH_SESSION_MAX_AGE", "1h30m"),
            ("AUTH_REFRESH_REUSE_GRACE", "0"),
            ("AUTH_RESET_TTL", "7200"),
            ("AUTH_RATE_LOGIN_PER_IP", "30/1m30s"),
        ]))
        .unwrap();
        assert_eq!(s.tokens.access_ttl, Duration::from_secs(900));
        assert_eq!(s.tokens.refresh_ttl, Duration::from_secs(30 * 86_400));
        assert_eq!(s.tokens.session_max_age, Duration::from_secs(5400));
        assert_eq!(s.tokens.refresh_reuse_grace, Duration::ZERO);
        assert_eq!(s.accounts.reset_ttl, Duration::from_secs(7200));
        assert_eq!(s.rate_limits.login_per_ip.window, Duration::from_secs(90));

        for (var, value, says) in [
            ("AUTH_ACCESS_TTL", "15x", "such as 90s, 15m, 1h30m or 30d"),
            ("AUTH_ACCESS_TTL", "fifteen", "whole seconds (900)"),
            ("AUTH_ACCESS_TTL", "1500ms", "not a whole number of seconds"),
            ("AUTH_ACCESS_TTL", "0s", "at least 1 second"),
            ("AUTH_VERIFY_TTL", "99999999999999999999", "too large"),
        ] {
            let err = Settings::from_vars(&vars(&[(var, value)])).unwrap_err();
            assert_eq!(err.var, var);
            assert!(err.message.contains(says), "{value}: {}", err.message);
        }
    }

    #[test]
    fn trusted_proxies_accept_addresses_and_cidrs() {
        let s = Settings::from_vars(&vars(&[("AUTH_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")]))
            .unwrap();
        assert!(s.http.is_trusted_proxy("10.1.2.3".parse().unwrap()));
        assert!(s.http.is_trusted_proxy("127.0.0.1".parse().unwrap()));
        assert!(!s.http.is_trusted_proxy("192.168.0.1".parse().unwrap()));
    }

    #[test]
    fn each_section_names_the_variable_it_refuses() {
        for (var, value, says) in [
            ("AUTH_LOG_FORMAT", "xml", "use pretty or json"),
            (
                "AUTH_CLIENT_IP_HEADER",
                "x-real-ip",
                "use x-forwarded-for or forwarded",
            ),
            ("AUTH_MAIL_MAX_ATTEMPTS", "0", "at least 1"),
            ("AUTH_BCRYPT_COST", "3", "between 4 and 31"),
            ("AUTH_PASSWORD_HASH", "md5", "use bcrypt or argon2id"),
            ("AUTH_PASSWORD_MIN_SCORE", "5", "between 0 and 4"),
            ("AUTH_LOCKOUT_THRESHOLD", "0", "at least 1"),
            ("AUTH_MAIL_FROM", "not an address", "not a mail address"),
            ("AUTH_RATE_LOGIN_PER_IP", "30", "COUNT/WINDOW"),
        ] {
            let err = Settings::from_vars(&vars(&[(var, value)])).unwrap_err();
            assert_eq!(err.var, var);
            assert!(err.message.contains(says), "{var}: {}", err.message);
        }
    }

    #[test]
    fn webauthn_relying_party_defaults_to_the_frontend_and_is_checked() {
        let s = Settings::from_vars(&HashMap::new()).unwrap();
        assert_eq!(s.mfa.webauthn_rp_id, "localhost");
        let origins: Vec<String> = s
            .mfa
            .webauthn_origins
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(origins, ["http://localhost:3000/"]);

        let s = Settings::from_vars(&vars(&[
            ("AUTH_FRONTEND_URL", "https://app.example.com/spa/"),
            ("AUTH_WEBAUTHN_RP_ID", "example.com"),
            (
                "AUTH_WEBAUTHN_ORIGINS",
                "https://app.example.com, https://login.example.com",
            ),
        ]))
        .unwrap();
        assert_eq!(s.mfa.webauthn_rp_id, "example.com");
        assert_eq!(s.mfa.webauthn_origins.len(), 2);
        let default_origin = Settings::from_vars(&vars(&[(
            "AUTH_FRONTEND_URL",
            "https://app.example.com/spa/",
        )]))
        .unwrap();
        assert_eq!(
            default_origin.mfa.webauthn_origins[0].as_str(),
            "https://app.example.com/"
        );

        for (pairs, var, says) in [
            (
                vec![("AUTH_WEBAUTHN_RP_ID", "example.org")],
                "AUTH_WEBAUTHN_ORIGINS",
                "not within relying party",
            ),
            (
                vec![("AUTH_WEBAUTHN_ORIGINS", "https://evil.test")],
                "AUTH_WEBAUTHN_ORIGINS",
                "not within relying party",
            ),
            (
                vec![("AUTH_WEBAUTHN_ORIGINS", "not a url")],
                "AUTH_WEBAUTHN_ORIGINS",
                "is not a URL",
            ),
        ] {
            let err = Settings::from_vars(&vars(&pairs)).unwrap_err();
            assert_eq!(err.var, var);
            assert!(err.message.contains(says), "{var}: {}", err.message);
        }
    }

    #[test]
    fn sections_store_typed_values() {
        let s = Settings::from_vars(&vars(&[
            ("AUTH_MAIL_FROM", "Ada <ada@example.com>"),
            ("AUTH_FRONTEND_URL", "https://app.example.com/"),
            ("AUTH_LOG_FORMAT", "JSON"),
        ]))
        .unwrap();
        assert_eq!(s.mail.from.email.to_string(), "ada@example.com");
        assert_eq!(s.mail.frontend_url, "https://app.example.com");
        assert_eq!(s.log_format, LogFormat::Json);
    }

    #[test]
    fn oidc_providers_are_read_by_name_and_are_not_unknown_variables() {
        let s = Settings::from_vars(&vars(&[
            ("AUTH_OIDC_PROVIDERS", "Google, corp"),
            ("AUTH_OIDC_GOOGLE_ISSUER", "https://accounts.google.com"),
            ("AUTH_OIDC_GOOGLE_CLIENT_ID", "web-id"),
            ("AUTH_OIDC_GOOGLE_CLIENT_SECRET", "s3cret"),
            ("AUTH_OIDC_GOOGLE_CLIENT_IDS", "ios-id, android-id"),
            ("AUTH_OIDC_CORP_ISSUER", "https://idp.corp.example"),
            ("AUTH_OIDC_CORP_CLIENT_ID", "authd"),
            ("AUTH_OIDC_CORP_SCOPES", "openid email groups"),
            ("AUTH_OIDC_TYPO_ISSUER", "https://nowhere.example"),
            (
                "AUTH_OAUTH_REDIRECT_URIS",
                "https://app.example.com/oauth/callback",
            ),
        ]))
        .unwrap();
        let google = s.oidc.provider("google").unwrap();
        assert_eq!(google.display_name, "Google");
        assert_eq!(google.audiences, ["web-id", "ios-id", "android-id"]);
        assert_eq!(google.scopes, ["openid", "email", "profile"]);
        assert_eq!(
            google.client_secret.as_ref().map(Secret::expose),
            Some("s3cret")
        );
        let corp = s.oidc.provider("corp").unwrap();
        assert!(corp.client_secret.is_none());
        assert_eq!(corp.scopes, ["openid", "email", "groups"]);
        assert_eq!(s.unknown_variables, ["AUTH_OIDC_TYPO_ISSUER"]);

        let err = Settings::from_vars(&vars(&[("AUTH_OIDC_PROVIDERS", "corp")])).unwrap_err();
        assert_eq!(err.var, "AUTH_OIDC_PROVIDERS");
        assert!(
            err.message.contains("AUTH_OIDC_CORP_ISSUER"),
            "{}",
            err.message
        );
        let err =
            Settings::from_vars(&vars(&[("AUTH_OAUTH_REDIRECT_URIS", "/relative")])).unwrap_err();
        assert_eq!(err.var, "AUTH_OAUTH_REDIRECT_URIS");
    }
}
