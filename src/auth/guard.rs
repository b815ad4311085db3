//! Route guards, the Rust analogue of a decorator: `Authenticated` admits a
//! valid, unrevoked access token; `RequirePermission<P>` also needs a role
//! that grants permission `P`. One declarative guard per route:
//!
//! ```ignore
//! async fn list_users(caller: RequirePermission<UsersRead>, …)
//! ```

use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
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
}

impl Authenticated {
    pub fn user_id(&self) -> &str {
        &self.claims.sub
    }

    pub fn session_id(&self) -> &str {
        &self.claims.sid
    }
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
            Ok(Self { claims })
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
        let route = req.match_pattern().unwrap_or_else(|| req.path().to_owned());
        let method = req.method().to_string();
        Box::pin(async move {
            let caller = authenticated.await?;
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let roles = state.roles.clone();
            let checked = caller.clone();
            let held = state
                .db
                .run(move |conn| admin::ensure_caller_holds(&roles, conn, &checked.claims, P::NAME))
                .await;
            if let Err(e) = &held
                && matches!(e, ApiError::Forbidden | ApiError::Unauthorized)
            {
                // ASVS 16.3.2: every authorization refusal, with what was asked.
                tracing::warn!(
                    event = "authz.denied",
                    outcome = e.code(),
                    user_id = caller.user_id(),
                    session_id = caller.session_id(),
                    method,
                    route,
                    permission = P::NAME,
                    "security event"
                );
            }
            held?;
            Ok(Self {
                caller,
                _permission: PhantomData,
            })
        })
    }
}
