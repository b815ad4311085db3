//! Route guards, the Rust analogue of a decorator: `Authenticated` admits a
//! valid, unrevoked access token; `RequirePermission<P>` also needs a role
//! that grants permission `P`. One declarative guard per route:
//!
//! ```ignore
//! async fn list_users(caller: RequirePermission<UsersRead>, …)
//! ```
//!
//! Both also enforce `AUTH_MFA_REQUIRED_ROLES` (API.md §9): an `aal1` token
//! whose `roles` claim holds such a role reaches only the enrolment routes
//! ([`enrolment_route`]); anything else is 403 `mfa_required`. The check
//! reads the token alone (no database round trip on every request, and the
//! same rule a JWKS verifier can apply offline: require `aal2` for these
//! roles). It is stricter than "no factor yet": an `aal1` session of such
//! a user opened before they enrolled is restricted too, until they log in
//! with their factor. `RequirePermission` checks the roles the database
//! holds now as well, so a role granted after the token was issued does
//! not slip through on the admin routes.

use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::auth::admin;
use crate::error::{ApiError, TokenKind};
use crate::state::AppState;
use crate::tokens::{AccessClaims, TokenError};

/// A caller with a valid access token whose session is live and which was
/// issued after the user's last logout-all, reset or disable.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub claims: Arc<AccessClaims>,
    /// The user's cache version as the store gave it with the revocation
    /// check (see `db::user_cache`).
    pub user_version: Option<i64>,
}

impl Authenticated {
    pub fn user_id(&self) -> &str {
        &self.claims.sub
    }

    pub fn session_id(&self) -> &str {
        &self.claims.sid
    }
}

/// The caller of a request once its access token proved valid, kept in the
/// request's extensions so a refusal can be logged with who asked.
#[derive(Clone)]
struct Caller(Arc<AccessClaims>);

/// Why a refusal happened, when its error alone does not say (the same
/// `mfa_required` is a step-up or `AUTH_MFA_REQUIRED_ROLES`).
#[derive(Clone, Copy)]
struct RefusalReason(&'static str);

/// The permission a [`RequirePermission`] route asked for.
#[derive(Clone, Copy)]
struct AskedPermission(&'static str);

const MFA_REQUIRED_BY_ROLE: RefusalReason = RefusalReason("mfa_required_by_role");

/// ASVS 16.3.2: logs one `authz.denied` line when `error` refuses an
/// authenticated caller something (a permission, a role's MFA rule, a
/// step-up, a recent login, another user's object). Called once for every
/// answer (`telemetry::request_log`); other errors are not refusals of
/// authorization and log nothing here. Never logs a token or a body.
pub fn log_refusal(req: &HttpRequest, error: &ApiError) {
    let extensions = req.extensions();
    let caller = extensions.get::<Caller>();
    let reason = match error {
        ApiError::Forbidden => "missing_permission",
        ApiError::MfaRequired => "step_up_required",
        ApiError::ReauthenticationRequired => "reauthentication_required",
        ApiError::NotYours(_) => "not_owner",
        // A valid token whose session or user the database no longer has.
        ApiError::Unauthorized if caller.is_some() => "session_ended",
        _ => return,
    };
    let reason = extensions.get::<RefusalReason>().map_or(reason, |r| r.0);
    let route = req.match_pattern().unwrap_or_else(|| req.path().to_owned());
    tracing::warn!(
        event = "authz.denied",
        outcome = error.code(),
        reason,
        user_id = caller.map(|c| c.0.sub.as_str()),
        session_id = caller.map(|c| c.0.sid.as_str()),
        method = req.method().as_str(),
        route,
        permission = extensions.get::<AskedPermission>().map(|p| p.0),
        "security event"
    );
}

/// Whether an `aal1` caller holding one of `required` roles is restricted.
fn held_back(required: &[String], roles: &[String], aal2: bool) -> bool {
    !aal2 && roles.iter().any(|r| required.contains(r))
}

/// The routes a caller held back by `AUTH_MFA_REQUIRED_ROLES` may use:
/// their account, enrolment, and logging out (refresh needs no access
/// token).
pub fn enrolment_route(method: &str, path: &str) -> bool {
    let under = |prefix: &str| {
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    (method == "GET" && path == "/v1/me")
        || under("/v1/me/mfa")
        || under("/v1/me/passkeys")
        || (method == "POST" && (path == "/v1/auth/logout" || path == "/v1/auth/logout-all"))
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        let enrolling = enrolment_route(req.method().as_str(), req.path());
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let token = token.ok_or(ApiError::Unauthorized)?;
            let claims = state.tokens.verify_access(&token).map_err(|e| match e {
                TokenError::Expired => ApiError::TokenExpired(TokenKind::Access),
                _ => ApiError::Unauthorized,
            })?;
            let access = state.store.access_state(&claims.sid, &claims.sub).await?;
            if crate::auth::revocation::is_dead(&access, &claims.sid) {
                return Err(ApiError::Unauthorized);
            }
            req.extensions_mut().insert(Caller(claims.clone()));
            let required = &state.settings.mfa.required_roles;
            if !enrolling && held_back(required, &claims.roles, claims.is_aal2()) {
                req.extensions_mut().insert(MFA_REQUIRED_BY_ROLE);
                return Err(ApiError::MfaRequired);
            }
            Ok(Self {
                claims,
                user_version: access.user_version,
            })
        })
    }
}

pub use crate::auth::roles::{Permission, RolesAssign, UsersRead, UsersWrite};

/// An authenticated caller whose roles grant `P` — the roles the database
/// holds now, not those in the token: a demoted or disabled admin loses
/// admin routes at once, not at the next refresh. (Admin routes are rare;
/// one indexed query each costs far less than revoking every session of a
/// user whose roles change.)
pub struct RequirePermission<P: Permission> {
    pub caller: Authenticated,
    _permission: PhantomData<P>,
}

impl<P: Permission> FromRequest for RequirePermission<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let authenticated = Authenticated::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let caller = authenticated.await?;
            req.extensions_mut().insert(AskedPermission(P::NAME));
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let roles = state.roles.clone();
            let checked = caller.clone();
            let required = state.settings.mfa.required_roles.clone();
            let held = state
                .db
                .run(move |conn| {
                    admin::ensure_caller_holds(&roles, conn, &checked.claims, P::NAME)?;
                    if !required.is_empty() && !checked.claims.is_aal2() {
                        let now_held = crate::db::users::roles_of(conn, &checked.claims.sub)?;
                        if held_back(&required, &now_held, false) {
                            return Err(ApiError::MfaRequired);
                        }
                    }
                    Ok(())
                })
                .await;
            if matches!(held, Err(ApiError::MfaRequired)) {
                req.extensions_mut().insert(MFA_REQUIRED_BY_ROLE);
            }
            held?;
            Ok(Self {
                caller,
                _permission: PhantomData,
            })
        })
    }
}
