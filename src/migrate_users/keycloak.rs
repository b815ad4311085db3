//! Keycloak: a realm export (`kc.sh export --realm R`, or the admin
//! console's partial export): `users[]` with `id`, `email`,
//! `emailVerified`, `enabled`, `createdTimestamp`, `firstName`, `lastName`,
//! `realmRoles`, `federatedIdentities[]`, `attributes.locale` and
//! `credentials[]`, whose `password` entry holds `secretData` and
//! `credentialData`, two JSON documents in strings.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::Value;

use super::record::{Entry, FileError, Identity, Record, issuer_of, millis};
use crate::password::schemes::{Prf, Scheme};

#[derive(Deserialize)]
struct Realm {
    users: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    id: Option<String>,
    email: Option<String>,
    #[serde(default)]
    email_verified: bool,
    #[serde(default = "yes")]
    enabled: bool,
    created_timestamp: Option<i64>,
    first_name: Option<String>,
    last_name: Option<String>,
    #[serde(default)]
    realm_roles: Vec<String>,
    #[serde(default)]
    credentials: Vec<Credential>,
    #[serde(default)]
    federated_identities: Vec<Federated>,
    #[serde(default)]
    attributes: std::collections::HashMap<String, Vec<String>>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Credential {
    #[serde(rename = "type")]
    kind: String,
    secret_data: String,
    credential_data: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Secret {
    value: String,
    salt: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialData {
    hash_iterations: u32,
    algorithm: String,
    #[serde(default)]
    additional_parameters: std::collections::HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Federated {
    identity_provider: String,
    user_id: String,
}

pub fn read(content: &str) -> Result<Vec<Entry>, FileError> {
    let realm: Realm = serde_json::from_str(content)
        .map_err(|e| FileError(format!("not a Keycloak realm export (users[]): {e}")))?;
    Ok(realm
        .users
        .into_iter()
        .enumerate()
        .map(|(i, user)| Entry {
            position: format!("user {}", i + 1),
            record: serde_json::from_value::<User>(user)
                .map_err(|e| format!("malformed user: {e}"))
                .and_then(record),
        })
        .collect())
}

/// Roles every Keycloak realm gives; they mean nothing to authd.
fn built_in(role: &str) -> bool {
    role.starts_with("default-roles-") || role == "offline_access" || role == "uma_authorization"
}

fn record(user: User) -> Result<Record, String> {
    let password = user.credentials.iter().find(|c| c.kind == "password");
    let password_hash = password.map(stored_hash).transpose()?;
    let roles: Vec<String> = user
        .realm_roles
        .into_iter()
        .filter(|r| !built_in(r))
        .collect();
    let name = [user.first_name, user.last_name]
        .into_iter()
        .flatten()
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Record {
        source_id: user.id,
        email: user.email.unwrap_or_default(),
        email_verified: user.email_verified,
        password_hash,
        roles: (!roles.is_empty()).then_some(roles),
        display_name: (!name.is_empty()).then_some(name),
        disabled: !user.enabled,
        created_at: user.created_timestamp.and_then(millis),
        identities: user
            .federated_identities
            .into_iter()
            .map(|f| Identity {
                issuer: issuer_of(&f.identity_provider),
                subject: f.user_id,
            })
            .collect(),
        locale: user
            .attributes
            .get("locale")
            .and_then(|l| l.first())
            .cloned(),
    })
}

fn stored_hash(credential: &Credential) -> Result<String, String> {
    let secret: Secret = serde_json::from_str(&credential.secret_data)
        .map_err(|e| format!("unreadable secretData: {e}"))?;
    let data: CredentialData = serde_json::from_str(&credential.credential_data)
        .map_err(|e| format!("unreadable credentialData: {e}"))?;
    let salt = STANDARD
        .decode(&secret.salt)
        .map_err(|_| "the salt is not base64")?;
    let hash = STANDARD
        .decode(&secret.value)
        .map_err(|_| "the hash is not base64")?;
    let param = |name: &str| {
        data.additional_parameters
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    };
    let scheme = match data.algorithm.as_str() {
        "pbkdf2" | "pbkdf2-sha1" => pbkdf2(Prf::Sha1, data.hash_iterations, salt, hash),
        "pbkdf2-sha256" => pbkdf2(Prf::Sha256, data.hash_iterations, salt, hash),
        "pbkdf2-sha512" => pbkdf2(Prf::Sha512, data.hash_iterations, salt, hash),
        "argon2" => Scheme::Argon2 {
            id: match param("type").unwrap_or("id") {
                "id" => true,
                "i" => false,
                other => return Err(format!("unsupported password hash (argon2 type {other})")),
            },
            version: match param("version").unwrap_or("1.3") {
                "1.3" => 0x13,
                "1.0" => 0x10,
                other => {
                    return Err(format!(
                        "unsupported password hash (argon2 version {other})"
                    ));
                }
            },
            kib: number(param("memory").unwrap_or("7168"))?,
            passes: data.hash_iterations,
            lanes: number(param("parallelism").unwrap_or("1"))?,
            salt,
            hash,
        },
        other => return Err(format!("unsupported password hash ({other})")),
    };
    scheme
        .to_stored()
        .ok_or_else(|| "unsupported password hash".into())
}

fn pbkdf2(prf: Prf, iterations: u32, salt: Vec<u8>, hash: Vec<u8>) -> Scheme {
    Scheme::Pbkdf2 {
        prf,
        iterations,
        salt,
        hash,
    }
}

fn number(raw: &str) -> Result<u32, String> {
    raw.parse()
        .map_err(|_| format!("unreadable argon2 parameter {raw:?}"))
}
