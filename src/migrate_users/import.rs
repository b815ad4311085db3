//! Checking and writing imported users: chunks of at most 1,000 users per
//! transaction, existing emails skipped, refused entries reported with
//! their position and reason.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::Connection;

use super::record::{Entry, Format, Record};
use crate::auth::Email;
use crate::auth::audit::{AuditLog, Event, EventType, RequestContext};
use crate::db::models::{IdentityRow, NewUser};
use crate::db::{AnyConnection, Db, identities, now, users};
use crate::password::schemes;

/// Users per transaction.
pub const CHUNK: usize = 1_000;

/// What to do with the file's users.
pub struct Options<'a> {
    pub format: Format,
    pub dry_run: bool,
    pub default_role: &'a str,
    /// OpenID providers configured here, by issuer: their names label the
    /// imported identities (others are named by their issuer).
    pub providers: HashMap<String, String>,
}

/// A run's outcome: the report lines and the counts.
#[derive(Debug, Default)]
pub struct Report {
    pub refused_lines: Vec<String>,
    pub created: usize,
    pub skipped: usize,
    /// `source_id,authd_id` of each created user that had a source id.
    pub id_map: Vec<(String, String)>,
}

impl Report {
    pub fn refused(&self) -> usize {
        self.refused_lines.len()
    }

    /// The report's last line (API.md §16).
    pub fn summary(&self) -> String {
        format!(
            "created {}, skipped {}, refused {}",
            self.created,
            self.skipped,
            self.refused()
        )
    }

    fn refuse(&mut self, position: &str, reason: impl std::fmt::Display) {
        self.refused_lines.push(format!("{position}: {reason}"));
    }
}

/// A record that passed the checks that need no database.
struct Checked {
    position: String,
    source_id: Option<String>,
    id: String,
    email: String,
    hash: String,
    roles: Vec<String>,
    display_name: Option<String>,
    email_verified: bool,
    disabled: bool,
    created_at: NaiveDateTime,
    identities: Vec<super::record::Identity>,
    locale: Option<String>,
}

/// Why a chunk's transaction ended early: a database error, or a dry run.
enum Stop {
    Db(diesel::result::Error),
    DryRun,
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

impl From<crate::error::ApiError> for Stop {
    fn from(e: crate::error::ApiError) -> Self {
        Self::Db(diesel::result::Error::QueryBuilderError(
            e.to_string().into(),
        ))
    }
}

/// Imports `entries` (blocking: run it on a blocking thread). `progress`
/// is told how many entries are done after each chunk.
pub fn run(
    db: &Db,
    audit: &AuditLog,
    entries: Vec<Entry>,
    options: &Options<'_>,
    progress: &mut dyn FnMut(usize),
) -> Result<Report, diesel::result::Error> {
    let mut report = Report::default();
    let mut conn = db
        .get_blocking()
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
    let known_roles: HashSet<String> = users::roles_with_permissions(&mut conn)?
        .into_iter()
        .map(|(name, _, _)| name)
        .collect();
    let mut checked = Vec::with_capacity(entries.len());
    for entry in entries {
        match entry
            .record
            .and_then(|record| check(record, &known_roles, options.default_role))
        {
            Ok(mut c) => {
                c.position = entry.position;
                checked.push(c);
            }
            Err(reason) => report.refuse(&entry.position, reason),
        }
    }
    // Emails and ids this run has created (a dry run rolls each chunk
    // back, so the database alone would not show them to later chunks).
    let mut seen_emails = HashSet::new();
    let mut seen_ids = HashSet::new();
    let ctx = RequestContext {
        ip: None,
        user_agent: Some("authd import".into()),
    };
    let mut done = 0;
    for chunk in checked.chunks(CHUNK) {
        let mut chunk_report = Report::default();
        let (mut emails, mut ids) = (Vec::new(), Vec::new());
        let outcome = conn.transaction(|conn| {
            // One query each for the chunk's emails and ids already taken.
            let (taken_emails, taken_ids) = taken(conn, chunk)?;
            for user in chunk {
                if seen_emails.contains(&user.email)
                    || emails.contains(&user.email)
                    || taken_emails.contains(&user.email)
                {
                    chunk_report.skipped += 1;
                    continue;
                }
                if seen_ids.contains(&user.id)
                    || ids.contains(&user.id)
                    || taken_ids.contains(&user.id)
                {
                    chunk_report.refuse(&user.position, "the id belongs to another user");
                    continue;
                }
                if let Some(identity) = taken_identity(conn, &user.identities)? {
                    chunk_report.refuse(
                        &user.position,
                        format!("the identity {identity} belongs to another user"),
                    );
                    continue;
                }
                insert(conn, user, audit, &ctx, options)?;
                emails.push(user.email.clone());
                ids.push(user.id.clone());
                chunk_report.created += 1;
                if let Some(source) = &user.source_id {
                    chunk_report.id_map.push((source.clone(), user.id.clone()));
                }
            }
            if options.dry_run {
                Err(Stop::DryRun)
            } else {
                Ok(())
            }
        });
        match outcome {
            Ok(()) | Err(Stop::DryRun) => {}
            Err(Stop::Db(e)) => return Err(e),
        }
        seen_emails.extend(emails);
        seen_ids.extend(ids);
        report.created += chunk_report.created;
        report.skipped += chunk_report.skipped;
        report.refused_lines.extend(chunk_report.refused_lines);
        report.id_map.extend(chunk_report.id_map);
        done += chunk.len();
        progress(done);
    }
    Ok(report)
}

fn check(
    record: Record,
    known_roles: &HashSet<String>,
    default_role: &str,
) -> Result<Checked, String> {
    let email = Email::parse(&record.email).map_err(|m| format!("the email {m}"))?;
    let hash = match &record.password_hash {
        Some(given) => schemes::import(given).map_err(|e| e.to_string())?,
        None => String::new(),
    };
    let roles = record
        .roles
        .unwrap_or_else(|| vec![default_role.to_owned()]);
    if let Some(unknown) = roles.iter().find(|r| !known_roles.contains(*r)) {
        return Err(format!("unknown role {unknown:?}"));
    }
    let id = match record
        .source_id
        .as_deref()
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
    {
        Some(uuid) => uuid.to_string(),
        None => uuid::Uuid::now_v7().to_string(),
    };
    if let Some(i) = record
        .identities
        .iter()
        .find(|i| i.issuer.is_empty() || i.subject.is_empty())
    {
        return Err(format!("an identity without issuer or subject ({i:?})"));
    }
    // Some systems write `pt_BR`; BCP 47 says `pt-BR`.
    let locale = match record.locale.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            crate::mail::locale::normalize(&raw.replace('_', "-"))
                .ok_or_else(|| format!("the locale {raw:?} is not a language tag (BCP 47)"))?,
        ),
    };
    Ok(Checked {
        position: String::new(),
        source_id: record.source_id,
        id,
        email: email.as_str().to_owned(),
        hash,
        roles,
        display_name: record.display_name,
        email_verified: record.email_verified,
        disabled: record.disabled,
        created_at: record.created_at.unwrap_or_else(now),
        identities: record.identities,
        locale,
    })
}

/// The chunk's emails and ids that are already some user's.
fn taken(
    conn: &mut AnyConnection,
    chunk: &[Checked],
) -> Result<(HashSet<String>, HashSet<String>), Stop> {
    use crate::db::schema::users as u;
    use diesel::prelude::*;
    let emails: Vec<&str> = chunk.iter().map(|c| c.email.as_str()).collect();
    let ids: Vec<&str> = chunk.iter().map(|c| c.id.as_str()).collect();
    let taken_emails = u::table
        .filter(u::email.eq_any(&emails))
        .select(u::email)
        .load::<String>(conn)?;
    let taken_ids = u::table
        .filter(u::id.eq_any(&ids))
        .select(u::id)
        .load::<String>(conn)?;
    Ok((
        taken_emails.into_iter().collect(),
        taken_ids.into_iter().collect(),
    ))
}

fn taken_identity(
    conn: &mut AnyConnection,
    wanted: &[super::record::Identity],
) -> Result<Option<String>, Stop> {
    for identity in wanted {
        if identities::find_by_subject(conn, &identity.issuer, &identity.subject)?.is_some() {
            return Ok(Some(format!("{} {}", identity.issuer, identity.subject)));
        }
    }
    Ok(None)
}

fn insert(
    conn: &mut AnyConnection,
    user: &Checked,
    audit: &AuditLog,
    ctx: &RequestContext,
    options: &Options<'_>,
) -> Result<(), Stop> {
    use crate::db::schema::{user_roles, users as u};
    use diesel::prelude::*;
    let at = now();
    diesel::insert_into(u::table)
        .values(&NewUser {
            id: &user.id,
            email: &user.email,
            password_hash: &user.hash,
            display_name: user.display_name.as_deref(),
            email_verified: user.email_verified,
            disabled: user.disabled,
            created_at: user.created_at,
            updated_at: at,
            password_changed_at: at,
            locale: user.locale.as_deref(),
        })
        .execute(conn)?;
    // A new user has no roles to replace (`users::set_roles` would delete
    // first): one insert each.
    for role in &user.roles {
        diesel::insert_into(user_roles::table)
            .values((
                user_roles::user_id.eq(&user.id),
                user_roles::role_name.eq(role),
            ))
            .execute(conn)?;
    }
    for identity in &user.identities {
        let provider = options
            .providers
            .get(&identity.issuer)
            .cloned()
            .unwrap_or_else(|| identity.issuer.clone());
        identities::insert(
            conn,
            &IdentityRow {
                id: uuid::Uuid::now_v7().to_string(),
                user_id: user.id.clone(),
                provider,
                issuer: identity.issuer.clone(),
                subject: identity.subject.clone(),
                email: None,
                created_at: at,
                last_login_at: None,
            },
        )?;
    }
    let event = Event::new(EventType::UserImported)
        .about(&user.id)
        .with("format", options.format.as_str());
    audit.record(conn, ctx, event)?;
    Ok(())
}
