//! Expired access tokens: a token that is valid in every respect but its
//! `exp` (past the 5 s leeway) answers 401 `token_expired`, so a client knows
//! to refresh; anything else wrong with a token stays 401 `unauthorized`.

use serde_json::json;

use crate::helpers::spawn_app;
use crate::tokens::{claims_of, sign, sign_as, with_payload};

#[actix_web::test]
async fn an_expired_access_token_signed_by_the_server_answers_token_expired() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let mut claims = claims_of(&tokens.access);
    let now = claims["iat"].as_i64().unwrap();
    claims["jti"] = json!(uuid::Uuid::new_v4().to_string());
    claims["iat"] = json!(now - 120);
    claims["exp"] = json!(now - 60);
    let expired = sign(&app, &claims);

    app.get("/v1/me", Some(&expired))
        .await
        .assert_problem(401, "token_expired");
    // The same on a route behind a permission guard, and asked twice (the
    // second answer must not come from a cache that forgot why).
    app.get("/v1/admin/roles", Some(&expired))
        .await
        .assert_problem(401, "token_expired");
    app.get("/v1/me", Some(&expired))
        .await
        .assert_problem(401, "token_expired");
}

#[actix_web::test]
async fn an_access_token_within_the_leeway_is_still_accepted() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let mut claims = claims_of(&tokens.access);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    claims["jti"] = json!(uuid::Uuid::new_v4().to_string());
    claims["exp"] = json!(now - 2);
    let token = sign(&app, &claims);
    app.get("/v1/me", Some(&token)).await.assert_status(200);
    // Again, from the cache of verified tokens: the same rule.
    app.get("/v1/me", Some(&token)).await.assert_status(200);
    // Once the leeway has passed too, the cached token is expired.
    let leeway_end = (now - 2 + 5) as u64;
    while (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs())
        <= leeway_end
    {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.get("/v1/me", Some(&token))
        .await
        .assert_problem(401, "token_expired");
}

#[actix_web::test]
async fn a_tampered_expired_access_token_answers_unauthorized() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let mut claims = claims_of(&tokens.access);
    let now = claims["iat"].as_i64().unwrap();
    claims["exp"] = json!(now - 60);
    let expired = sign(&app, &claims);

    // The signature no longer matches the payload.
    let mut tampered_claims = claims.clone();
    tampered_claims["roles"] = json!(["admin"]);
    let tampered = with_payload(&expired, &tampered_claims);
    app.get("/v1/me", Some(&tampered))
        .await
        .assert_problem(401, "unauthorized");

    // Expired and signed, but for another audience: not ours to call expired.
    let mut foreign = claims.clone();
    foreign["aud"] = json!("someone-else");
    app.get("/v1/me", Some(&sign(&app, &foreign)))
        .await
        .assert_problem(401, "unauthorized");
    // Expired, signed, for us, but a refresh token by its `typ` claim: not
    // an access token that expired either.
    let mut refresh = claims.clone();
    refresh["typ"] = json!("refresh");
    app.get("/v1/me", Some(&sign_as(&app, &refresh, "at+jwt")))
        .await
        .assert_problem(401, "unauthorized");
}

/// RFC 6750 §3: a 401 of a bearer guard carries `WWW-Authenticate: Bearer
/// realm="authd"`, with `error="invalid_token"` once a token was presented;
/// a 401 that is not about the bearer token (a wrong password) carries none.
#[actix_web::test]
async fn bearer_401s_carry_a_www_authenticate_challenge() {
    let app = spawn_app().await;
    const CHALLENGE: &str = "www-authenticate";

    for path in ["/v1/me", "/v1/admin/roles"] {
        let none = app.get(path, None).await;
        none.assert_problem(401, "unauthorized");
        assert_eq!(
            none.header(CHALLENGE).as_deref(),
            Some(r#"Bearer realm="authd""#),
            "{path}"
        );
        let garbage = app.get(path, Some("not-a-token")).await;
        garbage.assert_problem(401, "unauthorized");
        let value = garbage.header(CHALLENGE).unwrap_or_default();
        assert!(
            value.starts_with(r#"Bearer realm="authd", error="invalid_token""#),
            "{path}: {value}"
        );
    }

    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let mut claims = claims_of(&tokens.access);
    let now = claims["iat"].as_i64().unwrap();
    claims["jti"] = json!(uuid::Uuid::new_v4().to_string());
    claims["iat"] = json!(now - 120);
    claims["exp"] = json!(now - 60);
    let expired = app.get("/v1/me", Some(&sign(&app, &claims))).await;
    expired.assert_problem(401, "token_expired");
    let value = expired.header(CHALLENGE).unwrap_or_default();
    assert!(value.contains(r#"error="invalid_token""#), "{value}");
    assert!(value.contains("expired"), "{value}");

    // A valid token: no challenge. A wrong password: 401, but no bearer
    // challenge either.
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    me.assert_status(200);
    assert_eq!(me.header(CHALLENGE), None);
    let wrong = app.login(&user.email, "not the password at all").await;
    wrong.assert_problem(401, "invalid_credentials");
    assert_eq!(wrong.header(CHALLENGE), None);
}
