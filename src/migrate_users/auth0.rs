//! Auth0: NDJSON, as the user export job writes it, with the password
//! hashes Auth0 hands over (`passwordHash`, bcrypt) on the same lines. The
//! id is `user_id` (or the hash export's `_id.$oid`); times may be strings
//! or `{"$date": …}`.

use serde::Deserialize;
use serde_json::Value;

use super::record::{Entry, Identity, Record, issuer_of, json_lines, parse_time};

#[derive(Deserialize)]
struct Line {
    user_id: Option<String>,
    #[serde(rename = "_id")]
    mongo_id: Option<Value>,
    email: String,
    #[serde(default)]
    email_verified: bool,
    #[serde(rename = "passwordHash")]
    password_hash: Option<String>,
    created_at: Option<Value>,
    name: Option<String>,
    #[serde(default)]
    blocked: bool,
    #[serde(default)]
    identities: Vec<Auth0Identity>,
}

#[derive(Deserialize)]
struct Auth0Identity {
    provider: String,
    user_id: Value,
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o.get("$oid").or_else(|| o.get("$date")).and_then(text),
        _ => None,
    }
}

pub fn read(content: &str) -> Vec<Entry> {
    json_lines(content, |line: Line| {
        let created_at = match line.created_at.as_ref().and_then(text) {
            Some(raw) => Some(parse_time(&raw)?),
            None => None,
        };
        Ok(Record {
            source_id: line
                .user_id
                .or_else(|| line.mongo_id.as_ref().and_then(text)),
            email: line.email,
            email_verified: line.email_verified,
            password_hash: line.password_hash.filter(|h| !h.is_empty()),
            display_name: line.name.filter(|n| !n.is_empty() && !n.contains('@')),
            disabled: line.blocked,
            created_at,
            // The database connection ("auth0") is the password itself.
            identities: line
                .identities
                .iter()
                .filter(|i| i.provider != "auth0")
                .filter_map(|i| {
                    Some(Identity {
                        issuer: issuer_of(&i.provider),
                        subject: text(&i.user_id)?,
                    })
                })
                .collect(),
            ..Record::default()
        })
    })
}
