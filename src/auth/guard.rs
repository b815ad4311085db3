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

use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::AccessClaims;

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
            let claims = state
                .tokens
                .verify_access(&token)
                .map_err(|_| ApiError::Unauthorized)?;
            let access = state.store.access_state(&claims.sid, &claims.sub).await?;
            if access.session_revoked || access.valid_after.is_some_and(|after| claims.iat < after)
            {
                return Err(ApiError::Unauthorized);
            }
            Ok(Self { claims })
        })
    }
}

/// A permission, named as in the database (`users:read`, …).
pub trait Permission: 'static {
    const NAME: &'static str;
}

macro_rules! permissions {
    ($($ty:ident => $name:literal),* $(,)?) => {
        $(
            #[doc = concat!("The `", $name, "` permission.")]
            pub struct $ty;
            impl Permission for $ty {
                const NAME: &'static str = $name;
            }
        )*
    };
}

permissions! {
    UsersRead => "users:read",
    UsersWrite => "users:write",
    RolesAssign => "roles:assign",
}

/// An authenticated caller whose roles (from the access token) grant `P`.
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
        Box::pin(async move {
            let caller = authenticated.await?;
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let granted = caller
                .claims
                .roles
                .iter()
                .any(|role| state.role_grants(role, P::NAME));
            if !granted {
                return Err(ApiError::Forbidden);
            }
            Ok(Self {
                caller,
                _permission: PhantomData,
            })
        })
    }
}
