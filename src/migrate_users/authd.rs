//! The `authd` format: JSON Lines, one user per line, as `authd export`
//! writes it.

use serde::Deserialize;

use super::record::{Entry, Identity, Record, json_lines, parse_time};

#[derive(Deserialize)]
struct Line {
    id: Option<String>,
    email: String,
    #[serde(default)]
    email_verified: bool,
    password_hash: Option<String>,
    roles: Option<Vec<String>>,
    display_name: Option<String>,
    #[serde(default)]
    disabled: bool,
    created_at: Option<String>,
    #[serde(default)]
    identities: Vec<Identity>,
    locale: Option<String>,
}

pub fn read(content: &str) -> Vec<Entry> {
    json_lines(content, |line: Line| {
        Ok(Record {
            source_id: line.id,
            email: line.email,
            email_verified: line.email_verified,
            password_hash: line.password_hash.filter(|h| !h.is_empty()),
            roles: line.roles,
            display_name: line.display_name,
            disabled: line.disabled,
            created_at: line.created_at.as_deref().map(parse_time).transpose()?,
            identities: line.identities,
            locale: line.locale,
        })
    })
}
