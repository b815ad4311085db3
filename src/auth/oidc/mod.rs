//! Social login: OpenID Connect relying party, and the GitHub preset
//! (OAuth 2.0 without OpenID Connect) (API.md §11). Only `provider` (and
//! `github`) know how a provider proves who the user is; the accounts
//! below are the same for every provider.
//!
//! - `start` keeps `state`, `nonce` (none for GitHub) and the PKCE
//!   verifier in the store for ten minutes under the state's hash;
//!   `callback` takes them out (single use, across instances) before
//!   anything else.
//! - Accounts: an identity is keyed on the provider's issuer and `sub`. A
//!   first login creates a verified user without a password, and only
//!   when the provider says `email_verified`: an unverified provider email
//!   is refused (403 `email_not_verified`) and creates nothing (API.md
//!   §14). An existing account with the same email is linked only when it
//!   verified the address too; otherwise 409 `account_exists`.
//! - MFA still applies: a user with a factor gets the second step, whose
//!   session says `fed` in `amr`.

mod github;
pub mod http;
mod proven;
pub mod provider;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::api_types::Identity;
use crate::auth::audit::{Event, EventType, RequestContext};
use crate::auth::login::LoginOutcome;

use crate::auth::session::{self, AuthLevel, ClientInfo, ProvenLogin};
use crate::auth::{email::Email, mfa};
use crate::db::models::{IdentityRow, MfaFactorRow, NewUser, UserRow};
use crate::db::{AnyConnection, identities, now, users};
use crate::error::ApiError;
use crate::mail::{self, MailKind, Recipient};
use crate::state::AppState;
use crate::tokens::AccessClaims;

pub use provider::{ProvenIdentity, Providers};

/// How long a started login may take (API.md §11).
pub const STATE_TTL: Duration = Duration::from_secs(600);
/// How long a native login's nonce is remembered (longer than any ID
/// token's life at the providers we know).
const NONCE_TTL: Duration = Duration::from_secs(24 * 3600);

/// What `start` keeps for `callback`.
#[derive(Serialize, Deserialize)]
struct Pending {
    provider: String,
    redirect_uri: String,
    nonce: String,
    pkce_verifier: String,
    /// Set when a signed-in user links another provider.
    link_user_id: Option<String>,
    /// The hash of the browser binding, for a login started in browser
    /// mode: its callback must come with the same cookie.
    #[serde(default)]
    browser: Option<String>,
}

/// A started social login in browser mode carries a random binding in a
/// `__Host-` cookie; the state remembers its hash.
pub fn new_browser_binding() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn state_key(state: &str) -> String {
    format!("oidc_state:{}", hex_sha256(state))
}

fn hex_sha256(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(value.as_bytes()))
}

/// `POST /v1/auth/oauth/{provider}/start` (and the linking variant with
/// `link_user_id`): the authorization URL to send the browser to.
pub async fn start(
    state: &AppState,
    provider: &str,
    redirect_uri: &str,
    linking: Option<&AccessClaims>,
    browser: Option<&str>,
) -> Result<String, ApiError> {
    state.oidc.config(provider)?;
    if let Some(caller) = linking {
        may_link(state, caller).await?;
    }
    let link_user_id = linking.map(|c| c.sub.as_str());
    if !state
        .settings
        .oidc
        .redirect_uris
        .iter()
        .any(|allowed| allowed == redirect_uri)
    {
        return Err(ApiError::validation(
            "redirect_uri",
            "is not one of AUTH_OAUTH_REDIRECT_URIS",
        ));
    }
    let authorization = state.oidc.authorize(provider, redirect_uri).await?;
    let pending = Pending {
        provider: provider.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        nonce: authorization.nonce,
        pkce_verifier: authorization.pkce_verifier,
        link_user_id: link_user_id.map(str::to_owned),
        browser: browser.map(hex_sha256),
    };
    let value = serde_json::to_string(&pending).map_err(ApiError::internal)?;
    if !state
        .store
        .put_new(&state_key(&authorization.state), &value, STATE_TTL)
        .await?
    {
        return Err(ApiError::internal("a fresh OAuth state collided"));
    }
    Ok(authorization.url)
}

/// Spends the state and exchanges the code: who the user is at the
/// provider. `link_user_id` must be what `start` was given.
async fn finish(
    state: &AppState,
    provider: &str,
    code: &str,
    state_param: &str,
    iss: Option<&str>,
    link_user_id: Option<&str>,
    browser: Browser<'_>,
) -> Result<ProvenIdentity, ApiError> {
    let config = state.oidc.config(provider)?;
    if state_param.is_empty() || state_param.len() > 512 || code.is_empty() || code.len() > 4096 {
        return Err(ApiError::OAuthFailed(
            "the state is unknown, expired or already used",
        ));
    }
    let raw = state
        .store
        .take(&state_key(state_param))
        .await?
        .ok_or(ApiError::OAuthFailed(
            "the state is unknown, expired or already used",
        ))?;
    let pending: Pending = serde_json::from_str(&raw).map_err(ApiError::internal)?;
    if pending.provider != provider || pending.link_user_id.as_deref() != link_user_id {
        return Err(ApiError::OAuthFailed(
            "the state is unknown, expired or already used",
        ));
    }
    if !browser.matches(pending.browser.as_deref()) {
        return Err(ApiError::OAuthFailed(
            "this login was started in another browser (or not in browser mode): start again here",
        ));
    }
    // RFC 9207: a response from another issuer is a mix-up attack.
    if let Some(iss) = iss
        && iss != config.issuer
    {
        return Err(ApiError::OAuthFailed(
            "the authorization response came from another issuer",
        ));
    }
    state
        .oidc
        .exchange(
            provider,
            code,
            &pending.redirect_uri,
            &pending.pkce_verifier,
            &pending.nonce,
        )
        .await
}

/// Which browser a callback comes from, for the binding check.
#[derive(Clone, Copy, Debug)]
pub enum Browser<'a> {
    /// Not browser mode (and linking, which is bound to the user).
    Unbound,
    /// Browser mode, with the binding cookie the request carried (if any).
    Bound(Option<&'a str>),
}

impl Browser<'_> {
    /// A login started in browser mode finishes only in browser mode, in
    /// the browser holding its cookie; one started otherwise finishes only
    /// otherwise. So a page cannot log a browser-mode app into someone
    /// else's account with a code and state obtained elsewhere.
    fn matches(self, started: Option<&str>) -> bool {
        match (self, started) {
            (Browser::Unbound, None) => true,
            (Browser::Bound(Some(cookie)), Some(hash)) => {
                use subtle::ConstantTimeEq;
                bool::from(hex_sha256(cookie).as_bytes().ct_eq(hash.as_bytes()))
            }
            _ => false,
        }
    }
}

/// `POST /v1/auth/oauth/{provider}/callback`: logs in (or signs up) the
/// provider's user.
pub async fn callback(
    state: &AppState,
    provider: &str,
    code: &str,
    state_param: &str,
    iss: Option<&str>,
    browser: Browser<'_>,
    client: ClientInfo,
) -> Result<LoginOutcome, ApiError> {
    let identity = finish(state, provider, code, state_param, iss, None, browser).await?;
    sign_in(state, identity, client).await
}

/// `POST /v1/auth/oauth/{provider}/id-token`: a native app's ID token
/// (Sign in with Google/Apple on the device). The nonce is required and
/// accepted once.
pub async fn with_id_token(
    state: &AppState,
    provider: &str,
    id_token: &str,
    nonce: Option<&str>,
    client: ClientInfo,
) -> Result<LoginOutcome, ApiError> {
    state.oidc.accepts_id_tokens(provider)?;
    let nonce = nonce
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::validation("nonce", "is required"))?;
    if id_token.is_empty() || id_token.len() > 16 * 1024 || nonce.len() > 512 {
        return Err(ApiError::InvalidToken(crate::error::TokenKind::Access));
    }
    let identity = state.oidc.verify_native(provider, id_token, nonce).await?;
    let key = format!("oidc_nonce:{provider}:{}", hex_sha256(nonce));
    if !state.store.put_new(&key, "1", NONCE_TTL).await? {
        tracing::warn!(provider, "ID token rejected: its nonce was used before");
        return Err(ApiError::InvalidToken(crate::error::TokenKind::Access));
    }
    sign_in(state, identity, client).await
}

/// The user an identity logs in, found, linked or created in one
/// transaction.
enum Resolved {
    Existing,
    Linked,
    Created,
}

type Found = (UserRow, Vec<String>, Vec<MfaFactorRow>, Resolved);

fn resolve(
    conn: &mut AnyConnection,
    settings: &crate::config::Settings,
    identity: &ProvenIdentity,
    at: NaiveDateTime,
) -> Result<Found, ApiError> {
    let email = identity
        .email
        .as_deref()
        .and_then(|e| Email::parse(e).ok())
        .map(|e| e.as_str().to_owned());
    if let Some(found) = identities::find_by_subject(conn, &identity.issuer, &identity.subject)? {
        identities::touch(conn, &found.id, identity.email.as_deref(), at)?;
        let (row, roles) = crate::auth::users::load(conn, &found.user_id)?
            .ok_or(ApiError::internal("an identity without its user"))?;
        let factors = crate::db::mfa::confirmed_factors(conn, &row.id)?;
        return Ok((row, roles, factors, Resolved::Existing));
    }
    let Some(email) = email else {
        return Err(ApiError::OAuthFailed(
            "the provider gave no usable email address (ask for the email scope)",
        ));
    };
    // An address the provider did not vouch for creates nothing and links
    // nothing (API.md §14): an account made from it would be a way in for
    // whoever claimed the address at the provider, surviving the day its
    // real owner registers.
    if !identity.email_verified {
        return Err(ApiError::EmailNotVerified);
    }
    let resolved = if let Some(existing) = users::find_by_email(conn, &email)? {
        // The account must have proved the address too.
        if !existing.email_verified {
            return Err(ApiError::AccountExists);
        }
        mail::enqueue(
            conn,
            settings,
            &Recipient::user(&existing),
            MailKind::IdentityLinked {
                provider: identity.provider.clone(),
            },
        )?;
        insert_identity(conn, &existing.id, identity, at)?;
        Resolved::Linked
    } else {
        let id = uuid::Uuid::now_v7().to_string();
        users::insert(
            conn,
            &NewUser {
                id: &id,
                email: &email,
                // No password: the account logs in through the provider
                // (or sets a password through a reset).
                password_hash: "",
                display_name: identity.name.as_deref(),
                email_verified: true,
                disabled: false,
                created_at: at,
                updated_at: at,
                password_changed_at: at,
                locale: None,
            },
            std::slice::from_ref(&settings.accounts.default_role),
        )?;
        insert_identity(conn, &id, identity, at)?;
        Resolved::Created
    };
    let row = users::find_by_email(conn, &email)?
        .ok_or(ApiError::internal("the user just written is missing"))?;
    let roles = users::roles_of(conn, &row.id)?;
    let factors = crate::db::mfa::confirmed_factors(conn, &row.id)?;
    Ok((row, roles, factors, resolved))
}

fn insert_identity(
    conn: &mut AnyConnection,
    user_id: &str,
    identity: &ProvenIdentity,
    at: NaiveDateTime,
) -> Result<IdentityRow, ApiError> {
    let row = IdentityRow {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        provider: identity.provider.clone(),
        issuer: identity.issuer.clone(),
        subject: identity.subject.clone(),
        email: identity.email.clone(),
        created_at: at,
        last_login_at: Some(at),
    };
    identities::insert(conn, &row)?;
    Ok(row)
}

/// Logs in the user an identity belongs to: the second step when they
/// have a factor, else a session with `amr: ["fed"]`.
pub async fn sign_in(
    state: &AppState,
    identity: ProvenIdentity,
    client: ClientInfo,
) -> Result<LoginOutcome, ApiError> {
    let settings = state.settings.clone();
    let proven = identity.clone();
    let (audit, ctx) = (state.audit.clone(), client.clone());
    let (row, roles, factors, resolved) = state
        .db
        .transaction(move |conn| {
            let found = resolve(conn, &settings, &proven, now())?;
            let (row, resolved) = (&found.0, &found.3);
            if matches!(resolved, Resolved::Created) {
                let event = Event::new(EventType::UserRegistered).about(&row.id);
                audit.record(conn, &ctx, event.with("provider", proven.provider.as_str()))?;
            }
            if !matches!(resolved, Resolved::Existing) {
                let event = Event::new(EventType::IdentityLinked).about(&row.id);
                audit.record(conn, &ctx, event.with("provider", proven.provider.as_str()))?;
            }
            Ok(found)
        })
        .await?;
    if !matches!(resolved, Resolved::Existing) {
        state.mail_wakeup.notify_one();
    }
    let outcome = match resolved {
        Resolved::Existing => "existing",
        Resolved::Linked => "linked",
        Resolved::Created => "created",
    };
    tracing::info!(
        event = "auth.oauth.login",
        provider = %identity.provider,
        user_id = %row.id,
        account = outcome,
        "security event"
    );
    if row.disabled {
        return Err(ApiError::AccountDisabled);
    }
    if state.settings.accounts.require_verified_email && !row.email_verified {
        return Err(ApiError::EmailNotVerified);
    }
    if !factors.is_empty() {
        let challenge = mfa::start_challenge_after(state, &row, &factors, client, "fed").await?;
        return Ok(LoginOutcome::MfaRequired(challenge));
    }
    let proven = ProvenLogin {
        verified_hash: row.password_hash.clone(),
        tokens_valid_after: row.tokens_valid_after,
        upgraded_hash: None,
    };
    session::start_at_level(
        state,
        row,
        roles,
        client,
        proven,
        AuthLevel::federated(now()),
    )
    .await
    .map(LoginOutcome::Session)
}

/// Linking adds a way in, so it needs what adding a factor needs (API.md
/// §14): a login within `AUTH_REAUTH_MAX_AGE`, and `aal2` when the user
/// has a second factor. A stolen access token alone links nothing.
async fn may_link(state: &AppState, caller: &AccessClaims) -> Result<(), ApiError> {
    let claims = caller.clone();
    state
        .db
        .run(move |conn| mfa::require_step_up(conn, &claims))
        .await?;
    if !mfa::recently_authenticated(state, caller) {
        return Err(ApiError::ReauthenticationRequired);
    }
    Ok(())
}

fn view(row: &IdentityRow) -> Identity {
    Identity {
        id: row.id.clone(),
        provider: row.provider.clone(),
        email: row.email.clone(),
        created_at: row.created_at.and_utc(),
    }
}

/// `GET /v1/me/identities`.
pub async fn list(state: &AppState, user_id: &str) -> Result<Vec<Identity>, ApiError> {
    let id = user_id.to_owned();
    let rows = state
        .db
        .run(move |conn| Ok(identities::list_for_user(conn, &id)?))
        .await?;
    Ok(rows.iter().map(view).collect())
}

/// `POST /v1/me/identities/{provider}/callback`: links the provider's
/// identity to the caller. An identity linked to another account answers
/// 409 `conflict`; one already theirs is answered as it is.
pub async fn link(
    state: &AppState,
    caller: &AccessClaims,
    provider: &str,
    code: &str,
    state_param: &str,
    iss: Option<&str>,
    ctx: &RequestContext,
) -> Result<Identity, ApiError> {
    // Checked again: the start may have been minutes ago.
    may_link(state, caller).await?;
    let user_id = caller.sub.as_str();
    let identity = finish(
        state,
        provider,
        code,
        state_param,
        iss,
        Some(user_id),
        Browser::Unbound,
    )
    .await?;
    if !identity.email_verified {
        return Err(ApiError::EmailNotVerified);
    }
    let settings = state.settings.clone();
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    let owner = user_id.to_owned();
    let session_id = caller.sid.clone();
    let row = state
        .db
        .transaction(move |conn| {
            let at = now();
            crate::auth::ways_in::hold_session(conn, &session_id, at)?;
            if let Some(found) =
                identities::find_by_subject(conn, &identity.issuer, &identity.subject)?
            {
                if found.user_id != owner {
                    return Err(ApiError::Conflict(
                        "this provider account is linked to another user",
                    ));
                }
                return Ok(found);
            }
            let user = users::find_by_id(conn, &owner)?.ok_or(ApiError::Unauthorized)?;
            let row = insert_identity(conn, &owner, &identity, at)?;
            let event = Event::new(EventType::IdentityLinked).by(&owner);
            audit.record(
                conn,
                &ctx,
                event.with("provider", identity.provider.as_str()),
            )?;
            mail::enqueue(
                conn,
                &settings,
                &Recipient::user(&user),
                MailKind::IdentityLinked {
                    provider: identity.provider.clone(),
                },
            )?;
            Ok(row)
        })
        .await?;
    state.mail_wakeup.notify_one();
    Ok(view(&row))
}

/// `DELETE /v1/me/identities/{id}`: never the last way in (a password, or
/// another identity, must remain); a recent login (and `aal2` with a
/// factor), as linking.
pub async fn unlink(
    state: &AppState,
    caller: &AccessClaims,
    identity_id: &str,
    ctx: &RequestContext,
) -> Result<(), ApiError> {
    // Changing the ways in asks for what adding one asks (ASVS 7.5.1).
    may_link(state, caller).await?;
    let user_id = caller.sub.as_str();
    let settings = state.settings.clone();
    let (audit, ctx) = (state.audit.clone(), ctx.clone());
    let (owner, target) = (user_id.to_owned(), identity_id.to_owned());
    state
        .db
        .transaction(move |conn| {
            let user = users::find_by_id(conn, &owner)?.ok_or(ApiError::Unauthorized)?;
            let all = identities::list_for_user(conn, &owner)?;
            let Some(found) = all.iter().find(|i| i.id == target) else {
                // Another user's: the same answer, but a logged refusal.
                return Err(if identities::exists(conn, &target)? {
                    ApiError::NotYours("no such identity")
                } else {
                    ApiError::NotFound("no such identity")
                });
            };
            let ways_in = all.len() + usize::from(!user.password_hash.is_empty());
            if ways_in <= 1 {
                return Err(ApiError::Conflict(
                    "this is the last way to log in: set a password or link another provider first",
                ));
            }
            identities::delete_own(conn, &owner, &target)?;
            let event = Event::new(EventType::IdentityUnlinked).by(&owner);
            audit.record(conn, &ctx, event.with("provider", found.provider.as_str()))?;
            mail::enqueue(
                conn,
                &settings,
                &Recipient::user(&user),
                MailKind::IdentityUnlinked {
                    provider: found.provider.clone(),
                },
            )?;
            Ok(())
        })
        .await?;
    state.mail_wakeup.notify_one();
    Ok(())
}
