//! Token verification: algorithm, issuer, audience, expiry and type.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

pub(crate) fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn header_of(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

/// Signs `claims` with the server's own private key (from its key file),
/// with the JOSE `typ` authd gives that kind of token.
pub(crate) fn sign(app: &TestApp, claims: &Value) -> String {
    let typ = if claims["typ"] == "access" {
        "at+jwt"
    } else {
        "JWT"
    };
    sign_as(app, claims, typ)
}

/// Signs `claims` with the server's own private key under the JOSE `typ`
/// given.
pub(crate) fn sign_as(app: &TestApp, claims: &Value, typ: &str) -> String {
    let pem = std::fs::read(app.key_file()).unwrap();
    let key = EncodingKey::from_ed_pem(&pem).unwrap();
    let jwks = jwks_of(app);
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some(typ.into());
    header.kid = Some(jwks["keys"][0]["kid"].as_str().unwrap().to_owned());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// `token` with its payload replaced by `claims` and its signature kept:
/// a tampered token.
pub(crate) fn with_payload(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    )
}

fn jwks_of(app: &TestApp) -> Value {
    serde_json::to_value(app.state.tokens.jwks()).unwrap()
}

fn unsigned(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[actix_web::test]
async fn access_tokens_carry_the_contract_claims() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let access = claims_of(&tokens.access);
    let refresh = claims_of(&tokens.refresh);
    assert_eq!(access["iss"], "http://localhost:8080");
    assert_eq!(access["aud"], "authd");
    assert_eq!(access["typ"], "access");
    assert_eq!(access["email"], user.email);
    assert_eq!(access["email_verified"], true);
    assert_eq!(access["roles"], json!(["viewer"]));
    assert_eq!(access["sub"], tokens.body["user"]["id"]);
    assert_eq!(
        access["exp"].as_i64().unwrap() - access["iat"].as_i64().unwrap(),
        900
    );
    assert_eq!(refresh["typ"], "refresh");
    assert_eq!(refresh["aud"], "authd:refresh");
    assert_eq!(refresh["sid"], access["sid"]);
    assert_ne!(refresh["jti"], access["jti"]);
    assert!(refresh.get("email").is_none() && refresh.get("roles").is_none());
    assert_eq!(
        refresh["exp"].as_i64().unwrap() - refresh["iat"].as_i64().unwrap(),
        2_592_000
    );

    let header = header_of(&tokens.access);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "at+jwt");
    // Refresh tokens: HS256 under a key derived from the signing key, which
    // is never published (only authd verifies them).
    let refresh_header = header_of(&tokens.refresh);
    assert_eq!(refresh_header["typ"], "JWT");
    assert_eq!(refresh_header["alg"], "HS256");
    assert_eq!(
        refresh_header["kid"],
        format!("rt-{}", header["kid"].as_str().unwrap())
    );
    let jwks = app.get("/.well-known/jwks.json", None).await.json();
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert_eq!(jwks["keys"][0]["kty"], "OKP");
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn other_services_can_verify_access_tokens_with_the_jwks() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_slice(&app.get("/.well-known/jwks.json", None).await.body).unwrap();
    let kid = header_of(&tokens.access)["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).expect("kid in jwks")).unwrap();
    let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["authd"]);
    validation.set_issuer(&["http://localhost:8080"]);
    let data =
        jsonwebtoken::decode::<Value>(&tokens.access, &key, &validation).expect("verifies offline");
    assert_eq!(data.claims["email"], user.email);
}

#[actix_web::test]
async fn a_token_signed_with_the_right_key_and_claims_is_accepted() {
    // The control for the forgeries below: the signing helper is sound.
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let mut claims = claims_of(&tokens.access);
    claims["jti"] = json!(uuid::Uuid::new_v4().to_string());
    assert_eq!(
        app.get("/v1/me", Some(&sign(&app, &claims))).await.status,
        200
    );
}

#[actix_web::test]
async fn refresh_and_access_tokens_are_not_interchangeable() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    app.get("/v1/me", Some(&tokens.refresh))
        .await
        .assert_problem(401, "unauthorized");
    app.refresh(&tokens.access)
        .await
        .assert_problem(401, "invalid_token");
    // A refresh-shaped token with typ access is refused too.
    let mut claims = claims_of(&tokens.refresh);
    claims["typ"] = json!("access");
    app.refresh(&sign(&app, &claims))
        .await
        .assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn forged_and_tampered_tokens_are_rejected() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let claims = claims_of(&tokens.access);

    // alg: none
    let none = unsigned(&json!({"alg": "none", "typ": "JWT"}), &claims);
    app.get("/v1/me", Some(&none))
        .await
        .assert_problem(401, "unauthorized");

    // HS256 signed with the public key as the secret (algorithm confusion).
    let jwks = jwks_of(&app);
    let public = URL_SAFE_NO_PAD
        .decode(jwks["keys"][0]["x"].as_str().unwrap())
        .unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(jwks["keys"][0]["kid"].as_str().unwrap().to_owned());
    let confused = jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(&public).unwrap(),
    )
    .unwrap();
    app.get("/v1/me", Some(&confused))
        .await
        .assert_problem(401, "unauthorized");

    // Tampered payload, original signature.
    let mut tampered_claims = claims.clone();
    tampered_claims["roles"] = json!(["admin"]);
    let tampered = with_payload(&tokens.access, &tampered_claims);
    app.get("/v1/me", Some(&tampered))
        .await
        .assert_problem(401, "unauthorized");

    // Wrong audience, wrong issuer: properly signed, still refused. (An
    // expired one answers `token_expired`: `expired.rs`.)
    for (field, value) in [
        ("aud", json!("someone-else")),
        ("iss", json!("https://evil.example")),
    ] {
        let mut bad = claims.clone();
        bad[field] = value;
        app.get("/v1/me", Some(&sign(&app, &bad)))
            .await
            .assert_problem(401, "unauthorized");
    }

    // Garbage and a missing scheme.
    app.get("/v1/me", Some("not.a.jwt"))
        .await
        .assert_problem(401, "unauthorized");
    let no_scheme = app
        .request(
            "GET",
            "/v1/me",
            None,
            None,
            &[("Authorization", &tokens.access)],
        )
        .await;
    no_scheme.assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn expired_and_foreign_refresh_tokens_are_refused() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let mut claims = claims_of(&tokens.refresh);
    claims["exp"] = json!(claims["iat"].as_i64().unwrap() - 60);
    app.refresh(&sign(&app, &claims))
        .await
        .assert_problem(401, "token_expired");

    let mut foreign = claims_of(&tokens.refresh);
    foreign["aud"] = json!("other");
    app.refresh(&sign(&app, &foreign))
        .await
        .assert_problem(401, "invalid_token");
    app.refresh("garbage")
        .await
        .assert_problem(401, "invalid_token");
}

#[actix_web::test]
async fn hs256_is_an_option_with_an_empty_jwks() {
    let secret = "a-very-long-test-secret-of-at-least-32-bytes";
    let app = spawn_app_with(&[("AUTH_JWT_ALG", "HS256"), ("AUTH_JWT_SECRET", secret)]).await;
    let jwks = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(jwks.json(), json!({"keys": []}));
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    assert_eq!(header_of(&tokens.access)["alg"], "HS256");
    assert_eq!(app.get("/v1/me", Some(&tokens.access)).await.status, 200);
    assert_eq!(app.refresh(&tokens.refresh).await.status, 200);
}

#[actix_web::test]
async fn an_old_key_listed_for_verification_still_verifies_after_rotation() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let old = app.login_user(&user).await;

    // Rotate: a new signing key, the old one kept for verification.
    let dir = app.key_file().parent().unwrap().to_path_buf();
    let new_key = dir.join("new.pem");
    authd::tokens::keys::write_signing_key(
        &new_key,
        &authd::tokens::keys::generate_signing_key(),
        false,
    )
    .unwrap();
    let new_key = new_key.display().to_string();
    let old_key = app.key_file().display().to_string();
    let rotated = crate::helpers::spawn_sibling(
        &app,
        &[
            ("AUTH_JWT_KEY_FILE", &new_key),
            ("AUTH_JWT_VERIFY_KEY_FILES", &old_key),
        ],
    )
    .await;
    let jwks = rotated.get("/.well-known/jwks.json", None).await.json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(rotated.get("/v1/me", Some(&old.access)).await.status, 200);
    let fresh = rotated.login_user(&user).await;
    assert_ne!(
        header_of(&fresh.access)["kid"],
        header_of(&old.access)["kid"]
    );

    // Without the old key listed, old tokens stop verifying.
    let forgotten = crate::helpers::spawn_sibling(&app, &[("AUTH_JWT_KEY_FILE", &new_key)]).await;
    forgotten
        .get("/v1/me", Some(&old.access))
        .await
        .assert_problem(401, "unauthorized");
}
