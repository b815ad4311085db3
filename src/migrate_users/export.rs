//! `authd export FILE`: every user in the `authd` format (JSON Lines),
//! password hashes included, to a new file of mode 0600.

use std::io::Write;
use std::path::Path;

use chrono::SecondsFormat;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::db::models::UserRow;
use crate::db::schema::users as users_table;
use crate::db::{Db, identities, users};
use crate::password::schemes;

/// Users read per query.
const PAGE: i64 = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}: {1}")]
    File(String, std::io::Error),
    #[error("database: {0}")]
    Db(String),
}

/// One user as the `authd` format writes it.
pub fn line(user: &UserRow, roles: Vec<String>, identities: Vec<super::record::Identity>) -> Value {
    let mut line = json!({
        "id": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "roles": roles,
        "disabled": user.disabled,
        "created_at": user.created_at.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true),
        "identities": identities,
    });
    if !user.password_hash.is_empty() {
        line["password_hash"] = schemes::export(&user.password_hash).into();
    }
    if let Some(name) = &user.display_name {
        line["display_name"] = name.clone().into();
    }
    if let Some(locale) = &user.locale {
        line["locale"] = locale.clone().into();
    }
    line
}

/// Writes every user to `path` (blocking); the number written.
pub fn run(db: &Db, path: &Path) -> Result<usize, ExportError> {
    let shown = path.display().to_string();
    let file = crate::private_fs::options()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| ExportError::File(shown.clone(), e))?;
    let mut out = std::io::BufWriter::new(file);
    let db_error = |e: diesel::result::Error| ExportError::Db(e.to_string());
    let mut conn = db
        .get_blocking()
        .map_err(|e| ExportError::Db(e.to_string()))?;
    let mut after = String::new();
    let mut written = 0;
    loop {
        let page: Vec<UserRow> = users_table::table
            .filter(users_table::id.gt(&after))
            .order(users_table::id.asc())
            .limit(PAGE)
            .select(UserRow::as_select())
            .load(&mut conn)
            .map_err(db_error)?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for user in &page {
            let roles = users::roles_of(&mut conn, &user.id).map_err(db_error)?;
            let identities = identities::list_for_user(&mut conn, &user.id)
                .map_err(db_error)?
                .into_iter()
                .map(|i| super::record::Identity {
                    issuer: i.issuer,
                    subject: i.subject,
                })
                .collect();
            let text = line(user, roles, identities).to_string();
            writeln!(out, "{text}").map_err(|e| ExportError::File(shown.clone(), e))?;
            written += 1;
        }
    }
    out.flush()
        .map_err(|e| ExportError::File(shown.clone(), e))?;
    Ok(written)
}
