//! Passwordless sign-in by email (API.md §15): one mail with a link (the
//! token in its fragment) and a 6-digit code for another device.
//!
//! - `start` does the same work for every address: it ends the older
//!   pair (or, when nothing may be mailed, none), writes one pending row
//!   and one outbox row; the worker drops the row of a start that mails
//!   nothing. So the answer, and its time, tell nothing about the address.
//! - The link's token is kept as its SHA-256, the code as an HMAC under a
//!   key derived from the signing key, with its wrong tries in the row: a
//!   right code spends the pair and a wrong one counts a try in one
//!   conditional update ([`email_logins::try_code`]); 5 wrong tries kill
//!   it. Wrong codes count toward the account's lockout, and toward a
//!   per-address cap of 20 a day.
//! - Verifying resolves the account by the address the mail went to: a
//!   pair dies when its account's address changed; an address without an
//!   account is signed up (`AUTH_EMAIL_LOGIN_SIGNUP`), verified and with
//!   no password; an account whose address was never proved changes hands
//!   (a contested verification, API.md §14): every way in it had ends.
//! - A user with a second factor gets the §9 challenge, whose session says
//!   `email` in `amr`.
//! - What the pair buys (the session, or that challenge) is written in the
//!   transaction that spends it, sign-up and handover included: a database
//!   failure on the way leaves the mail usable.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDateTime, TimeDelta};

use crate::api_types::TokenPair;
use crate::auth::audit::{Event, EventType, mask};
use crate::auth::login::LoginOutcome;
use crate::auth::session::{self, AuthLevel, ClientInfo, ProvenLogin};
use crate::auth::ways_in::{self, Ended, Ending};
use crate::auth::{email::Email, mfa, one_time};
use crate::db::models::{EmailLoginRow, MfaFactorRow, NewUser, UserRow};
use crate::db::{AnyConnection, email_logins, now, users};
use crate::error::{ApiError, TokenKind};
use crate::mail::{self, MailKind, Recipient};
use crate::state::AppState;

/// Wrong tries a code allows; the next kills it.
pub const MAX_TRIES: i32 = 5;
/// Wrong codes per address over any 24 hours.
pub const DAILY_FAILURE_CAP: i64 = 20;
const WINDOW: TimeDelta = TimeDelta::hours(24);
/// What the code's keyed hash is bound to.
const CODE_PURPOSE: &str = "email_login";

/// Six random digits, uniformly drawn.
fn new_code() -> String {
    // The largest multiple of 10^6 below 2^32: no modulo bias.
    const BOUND: u32 = 4_294_000_000;
    loop {
        let value = rand::random::<u32>();
        if value < BOUND {
            return format!("{:06}", value % 1_000_000);
        }
    }
}

/// Starts a sign-in for `email`. `mail_allowed` is the silent per-address
/// quota; with it spent, or for an address without an account while
/// sign-up is off, the same rows are written but nothing is mailed and
/// the older pair stays.
/// `locale` is the request's language (API.md §17): the mail's when the
/// address has no account, and a sign-up's.
pub async fn start(
    state: &AppState,
    email: Email,
    locale: String,
    mail_allowed: bool,
) -> Result<(), ApiError> {
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let code = new_code();
    let token_hash = one_time::hash(&token);
    let code_hash = state.tokens.code_hash(CODE_PURPOSE, &code);
    let settings = state.settings.clone();
    let ttl = TimeDelta::from_std(settings.email_login.ttl).map_err(ApiError::internal)?;
    state
        .db
        .transaction(move |conn| {
            let at = now();
            let user = users::find_by_email(conn, email.as_str())?;
            let send = mail_allowed && (user.is_some() || settings.email_login.signup);
            // The same statement either way; no address is empty.
            let ending = if send { email.as_str() } else { "" };
            email_logins::end_for_address(conn, ending, at)?;
            email_logins::insert(
                conn,
                &EmailLoginRow {
                    token_hash,
                    email: email.as_str().to_owned(),
                    user_id: user.as_ref().map(|u| u.id.clone()),
                    code_hash,
                    tries: 0,
                    created_at: at,
                    expires_at: at + ttl,
                    // A start that mails nothing leaves a dead row.
                    used_at: (!send).then_some(at),
                    locale: Some(locale.clone()),
                },
            )?;
            if send {
                let to = match &user {
                    Some(user) => Recipient::user(user),
                    None => Recipient::address(email.as_str(), Some(&locale)),
                };
                mail::enqueue(conn, &settings, &to, MailKind::EmailLogin { token, code })
            } else {
                mail::enqueue_nothing(conn, email.as_str())
            }
        })
        .await?;
    state.mail_wakeup.notify_one();
    Ok(())
}

/// What the user brings back from the mail.
pub enum Proof {
    /// The link's token.
    Token(String),
    /// The code, with the address it went to.
    Code { email: Email, code: String },
}

/// The account a spent pair signs in to, after any sign-up or handover.
struct SignedIn {
    row: UserRow,
    roles: Vec<String>,
    factors: Vec<MfaFactorRow>,
    /// What a contested verification ended.
    ended: Option<Ended>,
}

/// What a spent pair bought, written in the transaction that spent it: a
/// database failure (503) leaves the pair as it was.
enum Bought {
    /// The session's first pair, and the sessions its start evicted.
    Session(Box<TokenPair>, Vec<String>),
    /// The user has a second factor: the §9 step.
    SecondStep(mfa::Challenge),
}

/// A verified pair, committed.
struct Verified {
    user_id: String,
    ended: Option<Ended>,
    bought: Bought,
}

enum Verdict {
    Right(Box<Verified>),
    /// A wrong code; the account the live pair belonged to, if any.
    Wrong(Option<String>),
}

/// Signs in with what the mail carried: a session, or the second step.
pub async fn verify(
    state: &Arc<AppState>,
    proof: Proof,
    client: ClientInfo,
) -> Result<LoginOutcome, ApiError> {
    let verified = match proof {
        Proof::Token(token) => by_token(state, token, client).await?,
        Proof::Code { email, code } => by_code(state, email, code, client).await?,
    };
    if let Some(ended) = &verified.ended {
        state
            .revoker()
            .publish_ended(&verified.user_id, ended)
            .await?;
    }
    state.mail_wakeup.notify_one();
    match verified.bought {
        Bought::SecondStep(challenge) => Ok(LoginOutcome::MfaRequired(challenge)),
        Bought::Session(pair, evicted) => session::opened(state, *pair, evicted)
            .await
            .map(LoginOutcome::Session),
    }
}

/// Inside the spending transaction: the session the pair buys, or for a
/// user with a second factor the challenge whose session says `email` in
/// `amr`.
fn buy(
    state: &AppState,
    conn: &mut AnyConnection,
    signed: SignedIn,
    client: ClientInfo,
    at: NaiveDateTime,
) -> Result<Verified, ApiError> {
    let SignedIn {
        row,
        roles,
        factors,
        ended,
    } = signed;
    let user_id = row.id.clone();
    let bought = if factors.is_empty() {
        let proven = ProvenLogin {
            verified_hash: row.password_hash.clone(),
            tokens_valid_after: row.tokens_valid_after,
            upgraded_hash: None,
        };
        let level = AuthLevel::email(at);
        let (write, pair) = session::prepare(state, row, roles, client, proven, level)?;
        Bought::Session(Box::new(pair), write.apply(conn)?)
    } else {
        let (write, challenge) = mfa::prepare_challenge(state, &row, &factors, client, "email")?;
        write.apply(conn)?;
        Bought::SecondStep(challenge)
    };
    Ok(Verified {
        user_id,
        ended,
        bought,
    })
}

async fn by_token(
    state: &Arc<AppState>,
    token: String,
    client: ClientInfo,
) -> Result<Verified, ApiError> {
    let invalid = || ApiError::InvalidToken(TokenKind::OneTime);
    if token.is_empty() || token.len() > 128 {
        return Err(invalid());
    }
    let token_hash = one_time::hash(&token);
    let shared = Arc::clone(state);
    state
        .db
        .transaction(move |conn| {
            let at = now();
            let row = email_logins::spend_by_token(conn, &token_hash, MAX_TRIES, at)?
                .ok_or_else(invalid)?;
            let signed = sign_in(conn, &shared, &client, &row, invalid, at)?;
            buy(&shared, conn, signed, client, at)
        })
        .await
}

async fn by_code(
    state: &Arc<AppState>,
    email: Email,
    code: String,
    client: ClientInfo,
) -> Result<Verified, ApiError> {
    let lockout = state.lockout();
    let reservation = lockout.reserve(email.as_str()).await?;
    let code_hash = state.tokens.code_hash(CODE_PURPOSE, &code);
    let (shared, ctx) = (Arc::clone(state), client.clone());
    let address = email.as_str().to_owned();
    let judged = state
        .db
        .transaction(move |conn| {
            let at = now();
            ensure_under_cap(conn, &address, at)?;
            let Some(row) = email_logins::live_for_address(conn, &address, MAX_TRIES, at)? else {
                // No live code answers like a wrong one.
                return Ok(Verdict::Wrong(None));
            };
            match email_logins::try_code(conn, &row.token_hash, &code_hash, MAX_TRIES, at)? {
                email_logins::CodeTry::Spent => {
                    let invalid = || ApiError::InvalidCode;
                    let signed = sign_in(conn, &shared, &ctx, &row, invalid, at)?;
                    let verified = buy(&shared, conn, signed, ctx, at)?;
                    Ok(Verdict::Right(Box::new(verified)))
                }
                email_logins::CodeTry::Wrong | email_logins::CodeTry::Gone => {
                    Ok(Verdict::Wrong(row.user_id))
                }
            }
        })
        .await;
    match judged {
        Ok(Verdict::Right(verified)) => {
            if matches!(verified.bought, Bought::Session(..)) {
                // Committed already: a store failure only leaves the count
                // to lapse by itself.
                if let Err(e) = lockout.succeeded(email.as_str(), reservation).await {
                    tracing::warn!(error = %e, "could not reset the lockout count after an email sign-in");
                }
            } else {
                lockout.not_checked(email.as_str(), reservation).await;
            }
            Ok(*verified)
        }
        Ok(Verdict::Wrong(user_id)) => {
            let locked = lockout.failed(email.as_str(), reservation).await?;
            let subject = |kind| {
                let event = Event::new(kind)
                    .with("email", mask(email.as_str()))
                    .with("method", "email");
                match &user_id {
                    Some(id) => event.about(id),
                    None => event,
                }
            };
            let failed = subject(EventType::LoginFailed).with("reason", "invalid_code");
            state.audit.record_alone(&state.db, &client, failed).await?;
            if locked {
                let event = subject(EventType::LoginLocked);
                state.audit.record_alone(&state.db, &client, event).await?;
            }
            Err(ApiError::InvalidCode)
        }
        Err(e) => {
            lockout.not_checked(email.as_str(), reservation).await;
            Err(e)
        }
    }
}

/// 429 `account_locked` once the address's wrong codes reached the daily
/// cap; it lifts when the oldest of them is a day old.
fn ensure_under_cap(
    conn: &mut AnyConnection,
    email: &str,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    let since = at - WINDOW;
    if email_logins::failures_since(conn, email, since)? < DAILY_FAILURE_CAP {
        return Ok(());
    }
    let oldest = email_logins::oldest_failure_since(conn, email, since)?.unwrap_or(at);
    let until = oldest + WINDOW;
    Err(ApiError::AccountLocked {
        retry_after: (until - at).num_seconds().max(1) as u64,
        locked_until: until.and_utc(),
    })
}

/// The account a spent pair signs in to, inside the spending transaction:
/// `invalid` when the pair no longer leads anywhere (its account's address
/// changed, or sign-up was turned off since).
fn sign_in(
    conn: &mut AnyConnection,
    state: &AppState,
    ctx: &ClientInfo,
    pair: &EmailLoginRow,
    invalid: impl Fn() -> ApiError,
    at: NaiveDateTime,
) -> Result<SignedIn, ApiError> {
    let user = match &pair.user_id {
        Some(id) => users::find_by_id(conn, id)?
            .filter(|user| user.email == pair.email)
            .ok_or_else(&invalid)?,
        None => match users::find_by_email(conn, &pair.email)? {
            Some(user) => user,
            None if state.settings.email_login.signup => sign_up(conn, state, ctx, pair, at)?,
            None => return Err(invalid()),
        },
    };
    if user.disabled {
        return Err(ApiError::AccountDisabled);
    }
    let ended = if user.email_verified {
        None
    } else {
        // The mailbox's owner proved the address: whoever registered it
        // before loses every way in (API.md §14).
        let ending = Ending::handover(&state.audit, ctx);
        let ended = ways_in::end(conn, &user.id, ending, at)?;
        users::mark_verified(conn, &user.id, at)?;
        let event = Event::new(EventType::UserEmailVerified).by(&user.id);
        let event = event.with("password_cleared", !user.password_hash.is_empty());
        state
            .audit
            .record(conn, ctx, event.with("method", "email"))?;
        Some(ended)
    };
    let (row, roles) = crate::auth::users::load(conn, &user.id)?
        .ok_or(ApiError::internal("the signed-in user is missing"))?;
    let factors = crate::db::mfa::confirmed_factors(conn, &row.id)?;
    Ok(SignedIn {
        row,
        roles,
        factors,
        ended,
    })
}

/// A new account for an address its owner just proved: verified, no
/// password.
fn sign_up(
    conn: &mut AnyConnection,
    state: &AppState,
    ctx: &ClientInfo,
    pair: &EmailLoginRow,
    at: NaiveDateTime,
) -> Result<UserRow, ApiError> {
    let id = uuid::Uuid::now_v7().to_string();
    users::insert(
        conn,
        &NewUser {
            id: &id,
            email: &pair.email,
            password_hash: "",
            display_name: None,
            email_verified: true,
            disabled: false,
            created_at: at,
            updated_at: at,
            password_changed_at: at,
            locale: pair.locale.as_deref(),
        },
        std::slice::from_ref(&state.settings.accounts.default_role),
    )?;
    let event = Event::new(EventType::UserRegistered).by(&id);
    let event = event
        .with("email", mask(&pair.email))
        .with("method", "email");
    state.audit.record(conn, ctx, event)?;
    users::find_by_id(conn, &id)?.ok_or(ApiError::internal("the user just written is missing"))
}
