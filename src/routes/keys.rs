//! The public keys that verify access tokens, for other services.

use actix_web::{HttpResponse, get, web};

use crate::error::ApiError;
use crate::state::AppState;

/// JSON Web Key Set of the token-verification keys (empty with HS256).
#[utoipa::path(
    tag = "meta",
    responses((status = 200, description = "JWKS (RFC 7517)", content_type = "application/json", body = Object,
        example = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", "use": "sig", "alg": "EdDSA"}]})))
)]
#[get("/.well-known/jwks.json")]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(state.tokens.jwks())
}

/// The Shared Signals transmitter's metadata (SSF 1.0 §7.1): where the
/// keys that sign its Security Event Tokens are, and which events and
/// delivery method it offers. Receivers are configured by the operator
/// (`AUTH_SSF_RECEIVERS`); there is no stream-management endpoint. 404
/// when no receiver is configured.
#[utoipa::path(
    tag = "meta",
    responses(
        (status = 200, description = "Transmitter configuration (OpenID Shared Signals Framework 1.0)",
            content_type = "application/json", body = Object,
            example = json!({"spec_version": "1_0", "issuer": "https://id.example.com",
                "jwks_uri": "https://id.example.com/.well-known/jwks.json",
                "delivery_methods_supported": ["urn:ietf:rfc:8935"],
                "critical_subject_members": ["user"], "default_subjects": "ALL",
                "events_supported": ["https://schemas.openid.net/secevent/caep/event-type/session-revoked"]})),
        crate::openapi::responses::SsfOff,
    )
)]
#[get("/.well-known/ssf-configuration")]
pub async fn ssf_configuration(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.settings.audit.ssf_receivers.is_empty() {
        return Err(ApiError::NotFound(
            "no Shared Signals receiver is configured",
        ));
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(crate::shared_signals::configuration(
            &state.settings.tokens.issuer,
        )))
}
