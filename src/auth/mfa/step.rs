//! The second step of a login, whichever factor answers it: the
//! `mfa_token` a first step buys, its row, and the session a right answer
//! starts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;

use crate::api_types::{MfaFactorRef, TokenPair};
use crate::auth::lockout::Reservation;
use crate::auth::one_time;
use crate::auth::session::{self, AuthLevel, ClientInfo, ProvenLogin};
use crate::db::models::{MfaChallengeRow, MfaFactorRow, UserRow};
use crate::db::{AnyConnection, Db, mfa as rows, now};
use crate::error::{ApiError, TokenKind};
use crate::state::AppState;

/// The second step a password login asks for.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// The `mfa_token` (only its hash is stored).
    pub token: String,
    pub factors: Vec<MfaFactorRef>,
}

/// Records the second step of a password login and returns its token.
pub async fn start_challenge(
    state: &AppState,
    user: &UserRow,
    factors: &[MfaFactorRow],
    client: ClientInfo,
) -> Result<Challenge, ApiError> {
    start_challenge_after(state, user, factors, client, "pwd").await
}

/// [`start_challenge`] after a first step proved otherwise than by a
/// password (`first_amr`: `fed` for a provider login, `email` for a mail),
/// so the session the second step starts says so in `amr`.
pub async fn start_challenge_after(
    state: &AppState,
    user: &UserRow,
    factors: &[MfaFactorRow],
    client: ClientInfo,
    first_amr: &str,
) -> Result<Challenge, ApiError> {
    let (write, challenge) = prepare_challenge(state, user, factors, client, first_amr)?;
    state.db.transaction(move |conn| write.apply(conn)).await?;
    Ok(challenge)
}

/// A second step about to be offered: its token is drawn, its row not yet
/// written. [`ChallengeWrite::apply`] writes it inside the caller's
/// transaction, so a first step that spends a proof (a mailed link or
/// code) spends it only together with the challenge it buys.
pub(crate) struct ChallengeWrite {
    row: MfaChallengeRow,
}

/// Draws the `mfa_token` of a second step for `user`, bound to the
/// "valid after" time and password change time of `user` as given.
pub(crate) fn prepare_challenge(
    state: &AppState,
    user: &UserRow,
    factors: &[MfaFactorRow],
    client: ClientInfo,
    first_amr: &str,
) -> Result<(ChallengeWrite, Challenge), ApiError> {
    let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let at = now();
    let row = MfaChallengeRow {
        token_hash: one_time::hash(&token),
        user_id: user.id.clone(),
        password_changed_at: user.password_changed_at,
        tokens_valid_after: user.tokens_valid_after,
        ip: client.ip.map(|ip| ip.to_string()),
        user_agent: client.user_agent,
        created_at: at,
        expires_at: at
            + TimeDelta::from_std(state.settings.mfa.token_ttl).map_err(ApiError::internal)?,
        used_at: None,
        first_amr: first_amr.to_owned(),
    };
    let challenge = Challenge {
        token,
        factors: factors
            .iter()
            .map(|f| MfaFactorRef {
                id: f.id.clone(),
                kind: f.kind.clone(),
            })
            .collect(),
    };
    Ok((ChallengeWrite { row }, challenge))
}

impl ChallengeWrite {
    /// Writes the challenge row (and drops the user's dead ones).
    pub(crate) fn apply(self, conn: &mut AnyConnection) -> Result<(), ApiError> {
        rows::delete_dead_challenges(conn, &self.row.user_id, self.row.created_at)?;
        Ok(rows::insert_challenge(conn, &self.row)?)
    }
}

/// The live second step with this `mfa_token` hash, its user and roles;
/// 401 `invalid_token` when it is spent, expired, unknown, or no longer
/// bound to the login that issued it.
pub(crate) async fn live_challenge(
    db: &Db,
    token_hash: &str,
) -> Result<(MfaChallengeRow, UserRow, Vec<String>), ApiError> {
    let lookup = token_hash.to_owned();
    let (challenge, row, roles) = db
        .run(move |conn| {
            let challenge = rows::find_live_challenge(conn, &lookup, now())?
                .ok_or(ApiError::InvalidToken(TokenKind::Mfa))?;
            let (row, roles) = crate::auth::users::load(conn, &challenge.user_id)?
                .ok_or(ApiError::InvalidToken(TokenKind::Mfa))?;
            Ok((challenge, row, roles))
        })
        .await?;
    // Bound to the login that issued it: a password change or a
    // logout-all since then ends it.
    if row.password_changed_at != challenge.password_changed_at
        || row.tokens_valid_after != challenge.tokens_valid_after
    {
        return Err(ApiError::InvalidToken(TokenKind::Mfa));
    }
    Ok((challenge, row, roles))
}

/// A right second step resets the lockout count. Its session is committed
/// already: a store failure here is logged, not answered (the count lapses
/// by itself), so the client still gets the pair it bought.
pub(crate) async fn succeeded(state: &AppState, email: &str, reservation: Reservation) {
    if let Err(e) = state.lockout().succeeded(email, reservation).await {
        tracing::warn!(error = %e, "could not reset the lockout count after a second step");
    }
}

/// The session a finished second step starts, with the client and the
/// "valid after" time the password login saw: signed now, written by
/// [`session::SessionWrite::apply`] in the transaction that spends the
/// proof.
pub(crate) fn prepare_session(
    state: &AppState,
    row: UserRow,
    roles: Vec<String>,
    challenge: &MfaChallengeRow,
    level: impl FnOnce(chrono::NaiveDateTime) -> AuthLevel,
) -> Result<(session::SessionWrite, TokenPair), ApiError> {
    let client = ClientInfo {
        ip: challenge.ip.as_deref().and_then(|ip| ip.parse().ok()),
        user_agent: challenge.user_agent.clone(),
    };
    let proven = ProvenLogin {
        verified_hash: row.password_hash.clone(),
        tokens_valid_after: challenge.tokens_valid_after,
        upgraded_hash: None,
    };
    let mut level = level(now());
    // The first step was a provider's login or a mail (`fed`, `email`),
    // not a password.
    if matches!(challenge.first_amr.as_str(), "fed" | "email") {
        for method in &mut level.amr {
            if method == "pwd" {
                challenge.first_amr.clone_into(method);
            }
        }
    }
    session::prepare(state, row, roles, client, proven, level)
}
