//! Every route that hands out a token pair is documented alike, from here
//! (API.md §10): it takes the `X-Authd-Transport` header and, in cookie
//! mode, answers with the refresh token in `Set-Cookie`. A route opts in by
//! answering 200 with a [`LoginResponse`] or [`TokenResponse`] (which is
//! what makes it call `Transport::of`); it declares neither itself.
//!
//! [`LoginResponse`]: crate::api_types::LoginResponse
//! [`TokenResponse`]: crate::api_types::TokenResponse

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr, Required};
use utoipa::{PartialSchema, ToSchema};

use crate::api_types::{LoginResponse, TokenResponse};

pub const TRANSPORT_HEADER: &str = "X-Authd-Transport";

const TRANSPORT_DESCRIPTION: &str = "`cookie` for browser mode: the refresh token travels in the \
    HttpOnly `__Host-authd_refresh` cookie (read from it by `/v1/auth/refresh`, set by the answer) \
    and the body has none; `body` or absent for body mode";

const SET_COOKIE_DESCRIPTION: &str = "Cookie mode only: `__Host-authd_refresh=<refresh token>; \
    Max-Age=<seconds>; Path=/; Secure; HttpOnly; SameSite=Strict`";

/// Adds the transport header and the cookie answer to every operation whose
/// 200 answer is a token pair.
pub fn document(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
            if hands_out_a_pair(operation) {
                add_transport_header(operation);
                add_set_cookie(operation);
            }
        }
    }
}

fn pair_schemas() -> [String; 2] {
    [LoginResponse::name(), TokenResponse::name()]
        .map(|name| format!("#/components/schemas/{name}"))
}

fn hands_out_a_pair(operation: &Operation) -> bool {
    let Some(RefOr::T(ok)) = operation.responses.responses.get("200") else {
        return false;
    };
    let schemas = pair_schemas();
    ok.content.values().any(|content| match content {
        RefOr::T(content) => {
            matches!(&content.schema, Some(RefOr::Ref(r)) if schemas.contains(&r.ref_location))
        }
        RefOr::Ref(_) => false,
    })
}

fn add_transport_header(operation: &mut Operation) {
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    if parameters.iter().any(is_transport_header) {
        return;
    }
    parameters.push(
        ParameterBuilder::new()
            .name(TRANSPORT_HEADER)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(TRANSPORT_DESCRIPTION))
            .schema(Some(nullable_string()))
            .build()
            .into(),
    );
}

/// `{"type": ["string", "null"]}`, as the handlers' own `Option<String>`
/// parameters render.
fn nullable_string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
}

fn is_transport_header(parameter: &RefOr<Parameter>) -> bool {
    matches!(parameter, RefOr::T(p) if p.name == TRANSPORT_HEADER)
}

fn add_set_cookie(operation: &mut Operation) {
    if let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200") {
        ok.headers.insert(
            "Set-Cookie".to_owned(),
            HeaderBuilder::new()
                .schema(Some(String::schema()))
                .description(Some(SET_COOKIE_DESCRIPTION))
                .build()
                .into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The routes that call `Transport::of` to answer with a pair, each
    /// documented with the header and the cookie answer (the OAuth start
    /// takes the header too, for its own binding cookie).
    #[test]
    fn every_route_handing_out_a_pair_documents_both_transports() {
        let doc = crate::openapi::document();
        let mut documented = Vec::new();
        for (path, item) in &doc.paths.paths {
            for operation in [&item.get, &item.post].into_iter().flatten() {
                let takes_header = operation
                    .parameters
                    .iter()
                    .flatten()
                    .any(is_transport_header);
                let sets_cookie = matches!(
                    operation.responses.responses.get("200"),
                    Some(RefOr::T(ok)) if ok.headers.contains_key("Set-Cookie")
                );
                if takes_header && sets_cookie {
                    documented.push(path.as_str());
                }
            }
        }
        documented.sort_unstable();
        assert_eq!(
            documented,
            [
                "/v1/auth/email-login/verify",
                "/v1/auth/login",
                "/v1/auth/mfa/passkey/finish",
                "/v1/auth/mfa/verify",
                "/v1/auth/oauth/{provider}/callback",
                "/v1/auth/oauth/{provider}/id-token",
                "/v1/auth/passkey/finish",
                "/v1/auth/refresh",
            ]
        );
    }
}
