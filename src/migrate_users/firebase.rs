//! Firebase: the JSON of `firebase auth:export --format=json`: `users[]`
//! with `localId`, `email`, `emailVerified`, `passwordHash` and `salt`
//! (base64), `createdAt` (milliseconds, as a string), `disabled`,
//! `displayName` and `providerUserInfo[]`. The hashes are Firebase's
//! modified scrypt under the project's parameters, given as flags.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::Value;

use super::record::{Entry, FileError, Identity, Record, issuer_of, millis, parse_time};
use crate::password::schemes::{Firebase, Scheme};

/// The project's "password hash parameters" (Firebase console).
#[derive(Clone, Debug)]
pub struct FirebaseParams {
    pub signer_key: String,
    pub salt_separator: String,
    pub rounds: u32,
    pub mem_cost: u8,
}

#[derive(Deserialize)]
struct Export {
    users: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    local_id: Option<String>,
    email: String,
    #[serde(default)]
    email_verified: bool,
    password_hash: Option<String>,
    salt: Option<String>,
    created_at: Option<Value>,
    #[serde(default)]
    disabled: bool,
    display_name: Option<String>,
    #[serde(default)]
    provider_user_info: Vec<ProviderInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProviderInfo {
    provider_id: String,
    raw_id: Option<String>,
}

pub fn read(content: &str, params: Option<&FirebaseParams>) -> Result<Vec<Entry>, FileError> {
    let export: Export = serde_json::from_str(content)
        .map_err(|e| FileError(format!("not a Firebase export (users[]): {e}")))?;
    Ok(export
        .users
        .into_iter()
        .enumerate()
        .map(|(i, user)| Entry {
            position: format!("user {}", i + 1),
            record: serde_json::from_value::<User>(user)
                .map_err(|e| format!("malformed user: {e}"))
                .and_then(|user| record(user, params)),
        })
        .collect())
}

fn record(user: User, params: Option<&FirebaseParams>) -> Result<Record, String> {
    let password_hash = match user.password_hash.filter(|h| !h.is_empty()) {
        None => None,
        Some(hash) => Some(stored_hash(
            &hash,
            user.salt.as_deref().unwrap_or(""),
            params,
        )?),
    };
    let created_at = match &user.created_at {
        Some(Value::String(ms)) => Some(parse_time(ms)?),
        Some(Value::Number(ms)) => ms.as_i64().and_then(millis),
        _ => None,
    };
    Ok(Record {
        source_id: user.local_id,
        email: user.email,
        email_verified: user.email_verified,
        password_hash,
        display_name: user.display_name.filter(|n| !n.is_empty()),
        disabled: user.disabled,
        created_at,
        identities: user
            .provider_user_info
            .into_iter()
            .filter(|p| !matches!(p.provider_id.as_str(), "password" | "phone" | "email"))
            .filter_map(|p| {
                Some(Identity {
                    issuer: issuer_of(&p.provider_id),
                    subject: p.raw_id?,
                })
            })
            .collect(),
        ..Record::default()
    })
}

fn stored_hash(hash: &str, salt: &str, params: Option<&FirebaseParams>) -> Result<String, String> {
    let params = params.ok_or(
        "a Firebase password hash needs the project's parameters (--firebase-signer-key, \
         --firebase-salt-separator, --firebase-rounds, --firebase-mem-cost)",
    )?;
    let decode = |what: &str, v: &str| {
        STANDARD
            .decode(v.trim())
            .map_err(|_| format!("{what} is not base64"))
    };
    Scheme::Firebase(Firebase {
        rounds: params.rounds,
        mem_cost: params.mem_cost,
        signer_key: decode("the signer key", &params.signer_key)?,
        salt_separator: decode("the salt separator", &params.salt_separator)?,
        salt: decode("salt", salt)?,
        hash: decode("passwordHash", hash)?,
    })
    .to_stored()
    .ok_or_else(|| "unsupported password hash".into())
}
