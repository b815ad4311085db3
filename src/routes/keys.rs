//! The public keys that verify access tokens, for other services.

use actix_web::{HttpResponse, get, web};

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
