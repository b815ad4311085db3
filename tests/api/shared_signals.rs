//! The Shared Signals transmitter (API.md §18): logouts, a password
//! change, a disable and an enable pushed to a local receiver as Security
//! Event Tokens, each verified here against the JWKS with `jsonwebtoken`'s
//! verifier (authd signs with ed25519-dalek directly); a retry carries the
//! same bytes; an RFC 8935 refusal is dead at once; the transmitter's
//! metadata; and no receiver, no push.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde_json::{Value, json};

use crate::helpers::{TestApp, session_of, spawn_app, spawn_app_with};

const CAEP: &str = "https://schemas.openid.net/secevent/caep/event-type/";
const RISC: &str = "https://schemas.openid.net/secevent/risc/event-type/";
const ISSUER: &str = "https://id.example.test";

#[derive(Clone, Debug)]
struct Pushed {
    content_type: String,
    body: String,
}

/// A receiver answering each push with the next `(status, body)` of
/// `plan`, then 202.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Pushed>>>,
}

impl Receiver {
    async fn start(plan: Vec<(u16, &'static str)>) -> Self {
        let seen: Arc<Mutex<Vec<Pushed>>> = Arc::default();
        let plan = Arc::new(Mutex::new(plan.into_iter().rev().collect::<Vec<_>>()));
        let (seen_in, plan_in) = (seen.clone(), plan.clone());
        let server = HttpServer::new(move || {
            let (seen, plan) = (seen_in.clone(), plan_in.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (seen, plan) = (seen.clone(), plan.clone());
                async move {
                    let content_type = req
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    seen.lock().unwrap().push(Pushed {
                        content_type,
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    let (status, body) = plan.lock().unwrap().pop().unwrap_or((202, ""));
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .content_type("application/json")
                        .body(body)
                }
            }))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}/ssf/events"),
            seen,
        }
    }

    async fn wait_for(&self, n: usize) -> Vec<Pushed> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            let got = self.seen.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{n} pushes expected, got {:?}", self.seen.lock().unwrap());
    }
}

/// Verifies one SET as a receiver would: EdDSA under a key of the JWKS,
/// `typ: secevent+jwt`, the issuer, the receiver as audience, no `exp`.
async fn verified(app: &TestApp, receiver: &Receiver, token: &str) -> Value {
    let jwks: JwkSet = serde_json::from_value(app.get("/.well-known/jwks.json", None).await.json())
        .expect("a JWKS");
    let header = jsonwebtoken::decode_header(token).expect("a JOSE header");
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.typ.as_deref(), Some("secevent+jwt"));
    let kid = header.kid.expect("a kid");
    let jwk = jwks.find(&kid).expect("the kid is in the JWKS");
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[receiver.url.as_str()]);
    validation.set_required_spec_claims(&["iss", "aud"]);
    validation.validate_exp = false;
    let claims: Value =
        jsonwebtoken::decode(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .expect("the SET verifies")
            .claims;
    assert!(claims.get("exp").is_none(), "a SET has no exp: {claims}");
    assert!(
        claims["jti"].is_string() && claims["iat"].is_i64(),
        "{claims}"
    );
    claims
}

/// The only event of a SET: its type URI and members.
fn event(claims: &Value) -> (String, Value) {
    let events = claims["events"].as_object().expect("events");
    assert_eq!(events.len(), 1, "{claims}");
    let (uri, members) = events.iter().next().unwrap();
    (uri.clone(), members.clone())
}

async fn user_id(app: &TestApp, access: &str) -> String {
    let me = app.get("/v1/me", Some(access)).await;
    me.json()["id"].as_str().unwrap_or_default().to_owned()
}

async fn ssf_counts(app: &TestApp) -> (i64, i64) {
    app.state
        .db
        .run(|conn| Ok(authd::db::ssf_outbox::counts(conn)?))
        .await
        .map(|c| (c.pending, c.dead))
        .unwrap()
}

#[actix_web::test]
async fn revocations_credential_changes_and_account_states_are_pushed_as_signed_sets() {
    let receiver = Receiver::start(Vec::new()).await;
    let app = spawn_app_with(&[
        ("AUTH_SSF_RECEIVERS", &receiver.url),
        ("AUTH_ISSUER", ISSUER),
    ])
    .await;
    let (_, admin) = app.admin().await;
    let admin_pushes = receiver.seen.lock().unwrap().len();
    let user = app.verified_user().await;
    let first = app.login_user(&user).await;
    let second = app.login_user(&user).await;
    let sub = user_id(&app, &first.access).await;

    app.post_auth("/v1/auth/logout", &first.access, None)
        .await
        .assert_status(204);
    app.post_auth("/v1/auth/logout-all", &second.access, None)
        .await
        .assert_status(204);
    let third = app.login_user(&user).await;
    app.post_auth(
        "/v1/auth/password/change",
        &third.access,
        Some(json!({"current_password": user.password, "new_password": "a-Different-horse-42"})),
    )
    .await
    .assert_status(204);
    for action in ["disable", "enable"] {
        app.post_auth(
            &format!("/v1/admin/users/{sub}/{action}"),
            &admin.access,
            None,
        )
        .await
        .assert_status(200);
    }

    let pushes = receiver.wait_for(admin_pushes + 5).await;
    let mut seen = Vec::new();
    for push in &pushes[admin_pushes..] {
        assert_eq!(push.content_type, "application/secevent+jwt");
        let claims = verified(&app, &receiver, &push.body).await;
        assert_eq!(claims["sub_id"]["format"], "complex");
        assert_eq!(claims["sub_id"]["user"]["format"], "iss_sub");
        assert_eq!(claims["sub_id"]["user"]["iss"], ISSUER);
        assert_eq!(claims["sub_id"]["user"]["sub"], sub);
        let session = claims["sub_id"]["session"]["id"]
            .as_str()
            .map(str::to_owned);
        seen.push((event(&claims), session));
    }
    let logout = &seen[0];
    assert_eq!(logout.0.0, format!("{CAEP}session-revoked"));
    assert_eq!(logout.0.1["initiating_entity"], "user");
    assert_eq!(logout.0.1["reason_admin"]["en"], "logout");
    assert_eq!(
        logout.1.as_deref(),
        Some(session_of(&first.access).as_str())
    );
    let everywhere = &seen[1];
    assert_eq!(everywhere.0.0, format!("{CAEP}session-revoked"));
    assert_eq!(everywhere.1, None, "every session: no session member");
    let changed = &seen[2];
    assert_eq!(changed.0.0, format!("{CAEP}credential-change"));
    assert_eq!(changed.0.1["credential_type"], "password");
    assert_eq!(changed.0.1["change_type"], "update");
    assert_eq!(seen[3].0.0, format!("{RISC}account-disabled"));
    assert_eq!(seen[4].0.0, format!("{RISC}account-enabled"));

    let start = Instant::now();
    while ssf_counts(&app).await.0 > 0 && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(ssf_counts(&app).await, (0, 0));
}

#[actix_web::test]
async fn a_failed_push_is_retried_with_the_same_bytes_and_a_refusal_is_dead_at_once() {
    let refusal = r#"{"err":"invalid_audience","description":"not for us"}"#;
    let receiver = Receiver::start(vec![(503, ""), (202, ""), (400, refusal)]).await;
    let app = spawn_app_with(&[
        ("AUTH_SSF_RECEIVERS", &receiver.url),
        ("AUTH_ISSUER", ISSUER),
    ])
    .await;
    let user = app.verified_user().await;
    let first = app.login_user(&user).await;
    let second = app.login_user(&user).await;

    app.post_auth("/v1/auth/logout", &first.access, None)
        .await
        .assert_status(204);
    let pushes = receiver.wait_for(2).await;
    assert_eq!(pushes[0].body, pushes[1].body, "a retry sends the same SET");
    let jti = verified(&app, &receiver, &pushes[1].body).await["jti"].clone();

    app.post_auth("/v1/auth/logout", &second.access, None)
        .await
        .assert_status(204);
    let pushes = receiver.wait_for(3).await;
    assert_ne!(verified(&app, &receiver, &pushes[2].body).await["jti"], jti);
    let start = Instant::now();
    while ssf_counts(&app).await != (0, 1) && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        ssf_counts(&app).await,
        (0, 1),
        "refused for good: dead, not pending"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        receiver.seen.lock().unwrap().len(),
        3,
        "no retry after a refusal"
    );
    let metrics = String::from_utf8(app.get("/metrics", None).await.body.to_vec()).unwrap();
    assert!(metrics.contains("authd_ssf_pushes_dead 1"), "{metrics}");
    assert!(
        metrics.contains("authd_ssf_pushes_delivered_total 1"),
        "{metrics}"
    );
}

#[actix_web::test]
async fn the_transmitter_describes_itself_only_when_it_pushes() {
    let receiver = Receiver::start(Vec::new()).await;
    let app = spawn_app_with(&[
        ("AUTH_SSF_RECEIVERS", &receiver.url),
        ("AUTH_ISSUER", ISSUER),
    ])
    .await;
    let answer = app.get("/.well-known/ssf-configuration", None).await;
    answer.assert_status(200);
    let config = answer.json();
    assert_eq!(config["spec_version"], "1_0");
    assert_eq!(config["issuer"], ISSUER);
    assert_eq!(
        config["jwks_uri"],
        format!("{ISSUER}/.well-known/jwks.json")
    );
    assert_eq!(
        config["delivery_methods_supported"],
        json!(["urn:ietf:rfc:8935"])
    );
    assert!(
        config.get("configuration_endpoint").is_none(),
        "no stream management: nobody can point authd at an address"
    );

    let quiet = spawn_app().await;
    quiet
        .get("/.well-known/ssf-configuration", None)
        .await
        .assert_problem(404, "not_found");
    let user = quiet.verified_user().await;
    let tokens = quiet.login_user(&user).await;
    quiet
        .post_auth("/v1/auth/logout", &tokens.access, None)
        .await
        .assert_status(204);
    assert_eq!(ssf_counts(&quiet).await, (0, 0), "no receiver, no row");
}

/// A change of hands (API.md §14) ends every session of the account, and
/// receivers are told: a second registration of an unverified address.
#[actix_web::test]
async fn a_change_of_hands_is_pushed_as_every_session_revoked() {
    let receiver = Receiver::start(Vec::new()).await;
    let app = spawn_app_with(&[
        ("AUTH_SSF_RECEIVERS", &receiver.url),
        ("AUTH_ISSUER", ISSUER),
    ])
    .await;
    let email = format!("contested-{}@example.com", uuid::Uuid::new_v4().simple());
    app.register(&email, crate::helpers::PASSWORD)
        .await
        .assert_status(202);
    assert!(
        receiver.seen.lock().unwrap().is_empty(),
        "a sign-up ends nothing"
    );
    app.register(&email, "another-Horse-battery-7")
        .await
        .assert_status(202);
    let pushes = receiver.wait_for(1).await;
    let claims = verified(&app, &receiver, &pushes[0].body).await;
    let (uri, members) = event(&claims);
    assert_eq!(uri, format!("{CAEP}session-revoked"));
    assert_eq!(members["reason_admin"]["en"], "takeover");
    assert_eq!(members["initiating_entity"], "policy");
    assert!(
        claims["sub_id"].get("session").is_none(),
        "every session: {claims}"
    );
}
