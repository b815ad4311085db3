//! The command line: `serve`, `migrate`, `openapi`, `keygen`, `create-admin`,
//! `docs`, `import`, `export` (those two live in `migrate_users`), `mail
//! preview`.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use diesel::Connection;

use crate::auth::Email;
use crate::auth::audit::{AuditLog, RequestContext};
use crate::auth::ways_in::{self, Ending};
use crate::config::{JwtSettings, Settings};
use crate::db::models::NewUser;
use crate::db::{Db, now, users};
use crate::error::ApiError;
use crate::migrate_users::command as migrate_users;
use crate::password::{self, Password, PasswordOwner};
use crate::startup::{Application, StartupError};
use crate::tokens::keys;

/// Where settings come from, shown under `authd --help`.
const AFTER_HELP: &str = "\
Configuration comes from environment variables (AUTH_*, DATABASE_URL, REDIS_URL,
RUST_LOG), not from flags. A .env file in the working directory is read first;
variables already set win over it. Every variable, its default and its format
(durations take seconds or forms such as 15m, 1h30m, 30d) are listed in the
book, docs/reference/configuration.md (\"Configuration\").

Start with `authd serve`, then open http://127.0.0.1:8080/docs for the API.";

#[derive(Debug, Parser)]
#[command(
    name = "authd",
    version,
    about = "Authentication service: JWTs, sessions, roles",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (runs pending migrations first).
    Serve,
    /// Run pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Write a new Ed25519 signing key (PKCS#8 PEM, mode 0600).
    Keygen {
        /// Where to write it (default: AUTH_JWT_KEY_FILE).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Create a verified admin, or give an existing verified user the admin
    /// role (enabling it if disabled). An existing account whose email was
    /// never verified gets the password given here, loses every session,
    /// then becomes admin. The password is read from stdin, or prompted for
    /// on a terminal.
    CreateAdmin {
        /// The admin's email address.
        #[arg(long)]
        email: String,
    },
    /// Import users from another system's export, password hashes kept
    /// (API.md §16). Exit 3 when any record is refused.
    Import(migrate_users::ImportArgs),
    /// Write every user, password hashes included, as JSON Lines to a new
    /// file (mode 0600).
    Export {
        /// The file to create (never overwritten).
        file: PathBuf,
    },
    /// Mail templates (API.md §17).
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Write the generated reference pages of the book (configuration
    /// variables, error codes, this CLI, metrics) into DIR. Needs no
    /// configuration.
    Docs {
        /// Where to write them.
        #[arg(default_value = "docs/reference")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Print a mail rendered with sample values, as the configured
    /// templates (AUTH_MAIL_TEMPLATES_DIR over the built-in ones) write it:
    /// the subject, its language and the text part, or with --html the
    /// HTML part.
    Preview {
        /// The kind of mail.
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(
            crate::mail::templates::KINDS.map(|k| k.name)
        ))]
        kind: String,
        /// The recipient's language, a BCP 47 tag (default:
        /// AUTH_DEFAULT_LOCALE); falls back as a user's does (de-AT → de).
        #[arg(long)]
        locale: Option<String>,
        /// Print the HTML part instead.
        #[arg(long)]
        html: bool,
    },
}

/// A failed command: the line to print and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl Failure {
    fn config(e: impl std::fmt::Display) -> Self {
        Self {
            message: e.to_string(),
            code: 2,
        }
    }

    fn runtime(e: impl std::fmt::Display) -> Self {
        Self {
            message: e.to_string(),
            code: 1,
        }
    }
}

impl From<migrate_users::Failure> for Failure {
    fn from(e: migrate_users::Failure) -> Self {
        Self {
            message: e.message,
            code: e.code,
        }
    }
}

impl From<StartupError> for Failure {
    fn from(e: StartupError) -> Self {
        Self::config(e)
    }
}

pub async fn run(cli: Cli, settings: Settings) -> Result<(), Failure> {
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(settings).await,
        Command::Openapi => {
            print!("{}", crate::openapi::document_json());
            Ok(())
        }
        Command::Keygen { out, force } => keygen(&settings, out, force),
        Command::CreateAdmin { email } => create_admin(settings, &email).await,
        Command::Import(args) => {
            let (db, _) = open_db(&settings).await?;
            migrate_users::import(&settings, &db, args).map_err(Failure::from)
        }
        Command::Export { file } => {
            if file.exists() {
                return Err(Failure::runtime(format!(
                    "{}: already exists",
                    file.display()
                )));
            }
            let (db, _) = open_db(&settings).await?;
            migrate_users::export(&db, &file).map_err(Failure::from)
        }
        Command::Mail {
            command: MailCommand::Preview { kind, locale, html },
        } => preview_mail(&settings, &kind, locale.as_deref(), html),
        Command::Docs { dir } => write_docs(&dir),
    }
}

/// `authd mail preview`: one mail with sample values, to stdout.
fn preview_mail(
    settings: &Settings,
    kind: &str,
    locale: Option<&str>,
    html: bool,
) -> Result<(), Failure> {
    use crate::mail::{MailKind, Recipient};
    let kind = MailKind::sample(kind)
        .ok_or_else(|| Failure::config(format!("{kind}: no such kind of mail")))?;
    if let Some(tag) = locale
        && crate::mail::locale::normalize(tag).is_none()
    {
        return Err(Failure::config(format!(
            "--locale {tag}: not a language tag (BCP 47)"
        )));
    }
    let to = Recipient {
        email: "ada@example.com",
        locale,
        display_name: "Ada",
    };
    let mail = crate::mail::render(settings, &to, &kind).map_err(Failure::config)?;
    if html {
        print!("{}", mail.html);
    } else {
        println!("Subject: {}", mail.subject);
        println!("Content-Language: {}", mail.locale);
        println!();
        print!("{}", mail.text);
    }
    Ok(())
}

/// `authd docs DIR`: writes the generated reference pages and names them.
/// Runs before settings are read (`main`), so a broken environment does not
/// stop it.
pub fn write_docs(dir: &std::path::Path) -> Result<(), Failure> {
    let written = crate::docs::write(dir, <Cli as clap::CommandFactory>::command())
        .map_err(|e| Failure::runtime(format!("{}: {e}", dir.display())))?;
    for path in written {
        println!("wrote {}", path.display());
    }
    Ok(())
}

async fn serve(settings: Settings) -> Result<(), Failure> {
    let bind = settings.http.bind.clone();
    let app = Application::build(settings).await?;
    let url = base_url(&bind, app.port());
    let ops = app
        .ops_port()
        .zip(app.state().settings.http.ops_bind.clone());
    // The docs live on the ops listener when there is one.
    let docs = match &ops {
        Some((port, ops)) => {
            let ops_url = base_url(ops, *port);
            tracing::info!(address = %ops, port, url = %ops_url, "authd ops listening (metrics, docs)");
            format!("{ops_url}/docs")
        }
        None => format!("{url}/docs"),
    };
    tracing::info!(address = %bind, port = app.port(), url = %url, docs = %docs, "authd listening");
    app.run_until_stopped().await.map_err(Failure::runtime)?;
    tracing::info!("authd stopped");
    Ok(())
}

/// `http://HOST:PORT` to reach a listener bound to `bind` (host and port as
/// configured, the port as bound): an unspecified address (`0.0.0.0`, `[::]`)
/// is reached on loopback.
fn base_url(bind: &str, port: u16) -> String {
    let host = bind.rsplit_once(':').map_or(bind, |(host, _)| host);
    let host = match host {
        "" | "0.0.0.0" => "127.0.0.1",
        "[::]" => "[::1]",
        other => other,
    };
    format!("http://{host}:{port}")
}

/// Opens the database and runs pending migrations; also says how many ran.
async fn open_db(settings: &Settings) -> Result<(Db, usize), Failure> {
    let url = settings.storage.database_url.clone();
    let size = settings.storage.database_pool_size.min(2);
    tokio::task::spawn_blocking(move || {
        let db =
            Db::connect(&url, size).map_err(|e| Failure::config(format!("DATABASE_URL: {e}")))?;
        let applied = db
            .migrate()
            .map_err(|e| Failure::config(format!("DATABASE_URL: {e}")))?;
        Ok::<_, Failure>((db, applied))
    })
    .await
    .map_err(Failure::runtime)?
}

async fn migrate(settings: Settings) -> Result<(), Failure> {
    let (_, applied) = open_db(&settings).await?;
    match applied {
        0 => println!("the database is up to date: no pending migrations"),
        1 => println!("applied 1 migration; the database is up to date"),
        n => println!("applied {n} migrations; the database is up to date"),
    }
    Ok(())
}

fn keygen(settings: &Settings, out: Option<PathBuf>, force: bool) -> Result<(), Failure> {
    let path = match (out, &settings.tokens.signing) {
        (Some(path), _) => path,
        (None, JwtSettings::EdDsa { key_file, .. }) => key_file.clone(),
        (None, JwtSettings::Hs256 { .. }) => {
            return Err(Failure::config(
                "AUTH_JWT_ALG: keygen makes Ed25519 keys; pass --out PATH",
            ));
        }
    };
    let key = keys::generate_signing_key();
    keys::write_signing_key(&path, &key, force)
        .map_err(|e| Failure::runtime(format!("{e} (use --force to replace an existing key)")))?;
    let kid = keys::kid_of(&key).map_err(Failure::runtime)?;
    println!("wrote {} (kid {kid})", path.display());
    Ok(())
}

fn read_password() -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        let first =
            rpassword::prompt_password("Password for the new admin: ").map_err(Failure::runtime)?;
        let again = rpassword::prompt_password("Again: ").map_err(Failure::runtime)?;
        if first != again {
            return Err(Failure::runtime("the passwords differ"));
        }
        Ok(first)
    } else {
        let mut raw = String::new();
        std::io::stdin()
            .read_to_string(&mut raw)
            .map_err(Failure::runtime)?;
        Ok(raw.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// What `create-admin` did, as it tells the operator.
enum AdminOutcome {
    Created,
    Promoted { re_enabled: bool },
    TakenOver { revoked_sessions: usize },
}

async fn create_admin(settings: Settings, raw_email: &str) -> Result<(), Failure> {
    let email = Email::parse(raw_email).map_err(|m| Failure::runtime(format!("--email {m}")))?;
    let (db, applied) = open_db(&settings).await?;
    if applied > 0 {
        tracing::info!(applied, "ran database migrations");
    }
    let mut conn = db.get_blocking().map_err(Failure::runtime)?;
    let existing = users::find_by_email(&mut conn, email.as_str()).map_err(Failure::runtime)?;
    let at = now();
    let outcome = match existing {
        // A verified owner proved the address: promote (and bring back a
        // disabled admin).
        Some(user) if user.email_verified => {
            let mut roles = users::roles_of(&mut conn, &user.id).map_err(Failure::runtime)?;
            if !roles.iter().any(|r| r == "admin") {
                roles.push("admin".into());
            }
            conn.transaction(|conn| {
                users::set_roles(conn, &user.id, &roles)?;
                users::set_disabled(conn, &user.id, false, at)
            })
            .map_err(Failure::runtime)?;
            publish_user_change(&settings, &user.id).await?;
            AdminOutcome::Promoted {
                re_enabled: user.disabled,
            }
        }
        // Never verified: whoever registered it may not own the address.
        // The operator's password replaces theirs and every session of it
        // ends before it becomes an admin.
        Some(user) => {
            let hash = operator_password(&settings, &email).await?;
            let mut roles = users::roles_of(&mut conn, &user.id).map_err(Failure::runtime)?;
            if !roles.iter().any(|r| r == "admin") {
                roles.push("admin".into());
            }
            let audit = AuditLog::new(&settings.audit, &settings.tokens.issuer);
            let operator = RequestContext::default();
            let ended = conn
                .transaction(|conn| {
                    // Whoever held the account may have made any way in
                    // (API.md §14): all end before the operator's start.
                    let ending = Ending::handover(&audit, &operator);
                    let ended = ways_in::end(conn, &user.id, ending, at)?;
                    users::change_password(conn, &user.id, &hash, at)?;
                    users::mark_verified(conn, &user.id, at)?;
                    users::set_disabled(conn, &user.id, false, at)?;
                    users::set_roles(conn, &user.id, &roles)?;
                    Ok::<_, ApiError>(ended)
                })
                .map_err(Failure::runtime)?;
            publish_revocations(&settings, &user.id, &ended.sessions, at).await?;
            AdminOutcome::TakenOver {
                revoked_sessions: ended.sessions.len(),
            }
        }
        None => {
            let hash = operator_password(&settings, &email).await?;
            let id = uuid::Uuid::now_v7().to_string();
            conn.transaction(|conn| {
                users::insert(
                    conn,
                    &NewUser {
                        id: &id,
                        email: email.as_str(),
                        password_hash: &hash,
                        display_name: None,
                        email_verified: true,
                        disabled: false,
                        created_at: at,
                        updated_at: at,
                        password_changed_at: at,
                        locale: None,
                    },
                    &["admin".to_owned()],
                )
            })
            .map_err(Failure::runtime)?;
            AdminOutcome::Created
        }
    };
    match outcome {
        AdminOutcome::Created => println!("created admin {email}"),
        AdminOutcome::Promoted { re_enabled: false } => {
            println!("{email} now has the admin role (existing verified account)");
        }
        AdminOutcome::Promoted { re_enabled: true } => {
            println!(
                "{email} now has the admin role and is enabled again (existing verified account)"
            );
        }
        AdminOutcome::TakenOver { revoked_sessions } => println!(
            "{email} was registered but never verified: its password was replaced by the one \
             given here, {revoked_sessions} session(s) revoked, and it now has the admin role"
        ),
    }
    Ok(())
}

/// The password the operator gives (stdin or prompt), policy-checked and hashed.
async fn operator_password(settings: &Settings, email: &Email) -> Result<String, Failure> {
    let raw = read_password()?;
    let password = Password::parse(
        &raw,
        PasswordOwner::new(email.as_str(), None),
        &settings.password,
    )
    .map_err(|failures| Failure::runtime(format!("the password {}", failures.join("; "))))?;
    let breached = password::BreachCheck::new(&settings.breached).map_err(Failure::runtime)?;
    if breached
        .is_breached(&password)
        .await
        .map_err(|e| Failure::runtime(format!("the breached-password check could not run: {e}")))?
    {
        return Err(Failure::runtime(
            "the password appears in known data breaches; choose another",
        ));
    }
    let policy = settings.bcrypt.policy();
    let raw = password.expose().to_owned();
    tokio::task::spawn_blocking(move || policy.hash_blocking(&raw))
        .await
        .map_err(Failure::runtime)?
        .map_err(Failure::runtime)
}

/// With Redis, running instances drop the user from their user caches at
/// once (see `db::user_cache`; the in-process store of a running instance
/// cannot be reached from here: it sees the change within the cache's 30 s).
async fn publish_user_change(settings: &Settings, user_id: &str) -> Result<(), Failure> {
    let Some(store) = redis_store(settings).await? else {
        return Ok(());
    };
    use crate::store::Store;
    store
        .bump_user_versions(&[user_id.to_owned()], crate::db::user_cache::VERSION_TTL)
        .await
        .map_err(Failure::runtime)
}

async fn redis_store(settings: &Settings) -> Result<Option<crate::store::RedisStore>, Failure> {
    let Some(url) = &settings.storage.redis_url else {
        return Ok(None);
    };
    let ca = settings
        .storage
        .redis_ca_pem()
        .map_err(|e| Failure::config(format!("AUTH_REDIS_CA_FILE: {e}")))?;
    crate::store::RedisStore::connect_with_ca(url, &settings.storage.redis_prefix, ca)
        .await
        .map(Some)
        .map_err(|e| Failure::runtime(format!("REDIS_URL: {e}")))
}

/// With Redis, running instances learn of the revocation (and of the
/// user's change, for their user caches) at once, over one connection. (The
/// in-process store of a running instance cannot be reached from here: its
/// refresh tokens die now, since the session rows say so, and admin routes
/// check the database; other access tokens of the account live at most
/// `AUTH_ACCESS_TTL` on authd's own endpoints.)
async fn publish_revocations(
    settings: &Settings,
    user_id: &str,
    sessions: &[String],
    at: chrono::NaiveDateTime,
) -> Result<(), Failure> {
    let Some(store) = redis_store(settings).await? else {
        return Ok(());
    };
    use crate::store::Store;
    let remember = crate::auth::revocation::remembered_for(settings);
    store
        .revoke_sessions(sessions, remember)
        .await
        .map_err(Failure::runtime)?;
    store
        .set_valid_after(user_id, at.and_utc().timestamp_millis(), remember)
        .await
        .map_err(Failure::runtime)?;
    store
        .bump_user_versions(&[user_id.to_owned()], crate::db::user_cache::VERSION_TTL)
        .await
        .map_err(Failure::runtime)
}
