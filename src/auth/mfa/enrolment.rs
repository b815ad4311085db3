//! The rules of adding and removing a factor, whichever kind: who may
//! enrol now, step-up, and ending the other sessions when asked.

use crate::auth::ways_in::{self, Ended, Ending};
use crate::db::sessions::RevokeReason;
use crate::db::{AnyConnection, mfa as rows};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::AccessClaims;

/// 403 `mfa_required` when the user has a confirmed factor and the token
/// is not `aal2` (step-up for password change, factor removal, account
/// deletion).
pub fn require_step_up(conn: &mut AnyConnection, claims: &AccessClaims) -> Result<(), ApiError> {
    if claims.is_aal2() || rows::confirmed_factors(conn, &claims.sub)?.is_empty() {
        Ok(())
    } else {
        Err(ApiError::MfaRequired)
    }
}

/// Whether the caller may enrol a factor now: another one needs `aal2`,
/// the first a recent login. True when it would be the first.
pub(crate) fn may_enrol(
    conn: &mut AnyConnection,
    user_id: &str,
    aal2: bool,
    recent: bool,
) -> Result<bool, ApiError> {
    let first = rows::confirmed_factors(conn, user_id)?.is_empty();
    if !first && !aal2 {
        return Err(ApiError::MfaRequired);
    }
    if first && !recent {
        return Err(ApiError::ReauthenticationRequired);
    }
    Ok(first)
}

/// Whether `auth_time` is within `AUTH_REAUTH_MAX_AGE`.
pub(crate) fn recently_authenticated(state: &AppState, caller: &AccessClaims) -> bool {
    let max_age = state.settings.mfa.reauth_max_age.as_secs() as i64;
    chrono::Utc::now().timestamp() - caller.auth_time <= max_age
}

/// Ends the caller's other sessions when asked, as a password change does
/// (ASVS 7.4.3: adding or removing a factor offers it).
pub(crate) fn end_others(
    conn: &mut AnyConnection,
    caller: &AccessClaims,
    asked: bool,
    at: chrono::NaiveDateTime,
) -> Result<Ended, ApiError> {
    if !asked {
        return Ok(Ended::default());
    }
    let ending = Ending::Secure {
        keep_session: Some(&caller.sid),
        reason: RevokeReason::LogoutAll,
    };
    ways_in::end(conn, &caller.sub, ending, at)
}
