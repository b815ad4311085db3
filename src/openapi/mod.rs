//! The OpenAPI document: info, security scheme and shared schemas here; the
//! paths come from the `#[utoipa::path]` handlers that `routes::configure`
//! registers, so what is served is what is documented.

use actix_web::App;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::Problem;

pub mod responses;
pub mod token_pairs;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "authd",
        description = "Authentication service for your apps and APIs:\n\n\
- **Accounts**: registration, email verification, password reset and change, email change (confirmed on the new address, revertible from the old one), account deletion.\n\
- **Tokens**: short-lived JWT access tokens (EdDSA or HS256, keys published at `/.well-known/jwks.json`) and rotating refresh tokens with reuse detection; sessions listed and revoked one by one or all at once.\n\
- **Browser mode**: with `X-Authd-Transport: cookie` the refresh token lives in an `HttpOnly` cookie instead of the JSON body, for single-page apps.\n\
- **Multi-factor authentication**: TOTP with recovery codes, and passkeys (WebAuthn) as a second factor or a passwordless login; roles can require a second factor.\n\
- **Social login**: OpenID Connect providers and GitHub (redirect flow for web apps, ID-token exchange for mobile apps), and identities linked to an account.\n\
- **Administration**: roles and permissions, disabling, unlocking and session control of users.\n\
- **Audit**: the security events of an account for its owner, an audit log for admins, and signed webhooks.\n\n\
Every error is RFC 9457 problem JSON (`application/problem+json`) with a stable `code`. A bearer-guarded 401 carries `WWW-Authenticate: Bearer realm=\"authd\"`.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Registration, login, tokens, sessions, passwords"),
        (name = "me", description = "The caller's own account"),
        (name = "admin", description = "User and role administration"),
        (name = "meta", description = "Keys, the API description, and `/` (where things are)"),
        (name = "ops", description = "Probes for load balancers"),
        (name = "revocations", description = "The revocation feed for the operator's own services (a service key, not an access token)"),
    )
)]
struct ApiDoc;

struct BearerAuth;

/// What Swagger UI's Authorize dialog shows: how to get a token.
const BEARER_DESCRIPTION: &str = "An access token: `access_token` from `POST /v1/auth/login` or \
`POST /v1/auth/refresh`. Paste the token alone; the `Bearer ` prefix is added for you.\n\n\
To get one:\n\
1. `POST /v1/auth/register` with an email and a password.\n\
2. Open the verification mail: with no SMTP server configured, authd writes it as an `.eml` \
file to the outbox folder (`AUTH_OUTBOX_DIR`). `POST /v1/auth/verify-email` with the token \
from its link.\n\
3. `POST /v1/auth/login` with the same email and password; copy `access_token`.\n\n\
It expires after `expires_in` seconds (`AUTH_ACCESS_TTL`): a 401 `token_expired` then says \
to get a new pair from `POST /v1/auth/refresh` with the `refresh_token`.";

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        scheme.description = Some(BEARER_DESCRIPTION.into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
        let mut service = Http::new(HttpAuthScheme::Bearer);
        service.description = Some(
            "A service key from `AUTH_SERVICE_KEYS` (the secret after `name:`), for the \
             revocation feed only"
                .into(),
        );
        components.add_security_scheme("service_key", SecurityScheme::Http(service));
    }
}

/// The whole document, as served at `/openapi.json` and printed by
/// `authd openapi`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    responses::document_rate_limit_headers(&mut doc);
    token_pairs::document(&mut doc);
    doc
}

/// The checked-in document ([`crate::route_table::CHECKED_IN_OPENAPI`]).
pub use crate::route_table::CHECKED_IN_OPENAPI as CHECKED_IN;

/// The document as pretty JSON with a trailing newline (the checked-in form).
pub fn document_json() -> String {
    let mut json = serde_json::to_string_pretty(&document()).unwrap_or_default();
    json.push('\n');
    json
}
