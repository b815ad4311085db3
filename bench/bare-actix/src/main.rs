//! `bare-actix PORT KEY_FILE ISSUER AUDIENCE`: `GET /v1/me` verifies the
//! bearer token (EdDSA, `iss`, `aud`, `exp`) against the public half of
//! authd's key file and answers the user JSON from its claims; anything
//! else is a 401. What a hand-written actix-web handler does for a token
//! check, and nothing more: authd's `/v1/me` divided by this, measured in
//! the same run, is the share of the framework's ceiling authd keeps.
//!
//! `bare-actix PORT` alone checks nothing and answers a fixed user, as
//! `../shared/peer-bare-actix` does: the ceiling of the framework itself.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, get, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::DecodePrivateKey;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

#[derive(serde::Deserialize)]
struct Claims {
    sub: String,
    email: String,
    email_verified: bool,
    roles: Vec<String>,
}

#[derive(serde::Serialize)]
struct User<'a> {
    id: &'a str,
    email: &'a str,
    email_verified: bool,
    display_name: Option<String>,
    roles: &'a [String],
    disabled: bool,
    created_at: &'static str,
    updated_at: &'static str,
    last_login_at: &'static str,
}

#[get("/v1/me")]
async fn me(req: HttpRequest, verifier: web::Data<Option<Verifier>>) -> HttpResponse {
    let Some(verifier) = verifier.get_ref().as_ref() else {
        return HttpResponse::Ok().json(User {
            id: "01a22c05-7599-7140-b35c-fe524b26555e",
            email: "ada@example.com",
            email_verified: true,
            display_name: None,
            roles: &[],
            disabled: false,
            created_at: "2026-11-30T10:34:45.016649Z",
            updated_at: "2026-11-30T10:34:45.244527Z",
            last_login_at: "2026-11-30T10:34:45.244527Z",
        });
    };
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = token else {
        return HttpResponse::Unauthorized().finish();
    };
    match jsonwebtoken::decode::<Claims>(token, &verifier.key, &verifier.validation) {
        Ok(data) => HttpResponse::Ok().json(User {
            id: &data.claims.sub,
            email: &data.claims.email,
            email_verified: data.claims.email_verified,
            display_name: None,
            roles: &data.claims.roles,
            disabled: false,
            created_at: "2026-11-30T10:34:45.016649Z",
            updated_at: "2026-11-30T10:34:45.244527Z",
            last_login_at: "2026-11-30T10:34:45.244527Z",
        }),
        Err(_) => HttpResponse::Unauthorized().finish(),
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (port, verifier) = match args.as_slice() {
        [_, port] => (port, None),
        [_, port, key_file, issuer, audience] => {
            let pem = std::fs::read_to_string(key_file)?;
            let signing = SigningKey::from_pkcs8_pem(&pem).map_err(std::io::Error::other)?;
            let x = URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes());
            let key = DecodingKey::from_ed_components(&x).map_err(std::io::Error::other)?;
            let mut validation = Validation::new(Algorithm::EdDSA);
            validation.set_issuer(&[issuer]);
            validation.set_audience(&[audience]);
            (port, Some(Verifier { key, validation }))
        }
        _ => {
            eprintln!("usage: bare-actix PORT [KEY_FILE ISSUER AUDIENCE]");
            std::process::exit(2);
        }
    };
    let port: u16 = port.parse().map_err(std::io::Error::other)?;
    let verifier = web::Data::new(verifier);
    actix_web::rt::System::new().block_on(
        HttpServer::new(move || App::new().app_data(verifier.clone()).service(me))
            .bind(("127.0.0.1", port))?
            .run(),
    )
}
