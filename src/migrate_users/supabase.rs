//! Supabase: a CSV of `auth.users` with its header (the dashboard's export
//! or `\copy auth.users to … csv header`). Read: `id`, `email`,
//! `encrypted_password` (bcrypt), `email_confirmed_at`, `created_at`;
//! other columns are ignored.

use super::record::{Entry, FileError, Record, parse_time};

pub fn read(content: &str) -> Result<Vec<Entry>, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(content.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| FileError(format!("unreadable CSV header: {e}")))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let email = column("email").ok_or_else(|| FileError("no \"email\" column".into()))?;
    let (id, hash, confirmed, created) = (
        column("id"),
        column("encrypted_password"),
        column("email_confirmed_at"),
        column("created_at"),
    );
    let mut entries = Vec::new();
    for row in reader.records() {
        let (position, record) = match row {
            Ok(row) => {
                let line = row.position().map_or(0, |p| p.line());
                let field = |i: Option<usize>| {
                    i.and_then(|i| row.get(i))
                        .map(str::trim)
                        .filter(|v| !v.is_empty() && *v != "NULL")
                        .map(str::to_owned)
                };
                let record = (|| {
                    Ok(Record {
                        source_id: field(id),
                        email: field(Some(email)).unwrap_or_default(),
                        email_verified: field(confirmed).is_some(),
                        password_hash: field(hash),
                        created_at: field(created).as_deref().map(parse_time).transpose()?,
                        ..Record::default()
                    })
                })();
                (line, record)
            }
            Err(e) => (
                e.position().map_or(0, |p| p.line()),
                Err(format!("malformed line: {e}")),
            ),
        };
        entries.push(Entry {
            position: format!("line {position}"),
            record,
        });
    }
    Ok(entries)
}
