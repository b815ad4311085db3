//! A stand-in for GitHub's OAuth app endpoints and REST API, on a random
//! local port: GitHub cannot be run locally. It implements exactly what
//! the preset uses, as GitHub documents it:
//!
//! - `GET /login/oauth/authorize`: checks `client_id`, `redirect_uri` and
//!   the PKCE S256 challenge, then redirects back with `code` and `state`
//!   (the browser's user is whoever `sign_in` named last).
//! - `POST /login/oauth/access_token`: checks the client secret, the code
//!   (single use), the redirect URI and the `code_verifier` against the
//!   challenge; refusals are, as at GitHub, status 200 with `{"error": …}`.
//! - `GET /api/v3/user`, `GET /api/v3/user/emails`: the bearer token, the
//!   headers GitHub requires (`User-Agent`); the emails answer 404 without
//!   the `user:email` scope.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::dev::ServerHandle;
use actix_web::{HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "Iv1.fakeclient";
pub const CLIENT_SECRET: &str = "fake-client-secret";

/// A GitHub account: `emails` are `(address, primary, verified)`.
#[derive(Clone, Debug)]
pub struct GitHubUser {
    pub id: u64,
    pub login: String,
    pub name: Option<String>,
    pub emails: Vec<(String, bool, bool)>,
}

impl GitHubUser {
    /// An account whose only address is primary and verified or not.
    pub fn new(id: u64, login: &str, email: &str, verified: bool) -> Self {
        Self {
            id,
            login: login.to_owned(),
            name: Some(format!("{login} at GitHub")),
            emails: vec![(email.to_owned(), true, verified)],
        }
    }
}

struct Grant {
    user_id: u64,
    challenge: String,
    redirect_uri: String,
    scope: String,
}

#[derive(Default)]
struct Fake {
    redirect_uri: String,
    users: HashMap<u64, GitHubUser>,
    signed_in: Option<u64>,
    codes: HashMap<String, Grant>,
    /// Access token → (user id, scope).
    tokens: HashMap<String, (u64, String)>,
    /// The scope of each authorization request, in order.
    scopes_asked: Vec<String>,
}

type Shared = web::Data<Mutex<Fake>>;

fn lock(shared: &Mutex<Fake>) -> MutexGuard<'_, Fake> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The running fake; stopped when dropped (or by `stop`).
pub struct FakeGitHub {
    pub web_url: String,
    pub api_url: String,
    shared: Arc<Mutex<Fake>>,
    handle: ServerHandle,
}

impl FakeGitHub {
    /// Serves on a random port; `redirect_uri` is the OAuth app's
    /// registered callback.
    pub async fn start(redirect_uri: &str) -> Self {
        let shared = Arc::new(Mutex::new(Fake {
            redirect_uri: redirect_uri.to_owned(),
            ..Fake::default()
        }));
        let data: Shared = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .route("/login/oauth/authorize", web::get().to(authorize))
                .route("/login/oauth/access_token", web::post().to(access_token))
                .route("/api/v3/user", web::get().to(user))
                .route("/api/v3/user/emails", web::get().to(emails))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .expect("bind the fake GitHub");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let web_url = format!("http://127.0.0.1:{port}");
        Self {
            api_url: format!("{web_url}/api/v3"),
            web_url,
            shared,
            handle,
        }
    }

    /// Adds or replaces an account.
    pub fn put_user(&self, user: GitHubUser) {
        lock(&self.shared).users.insert(user.id, user);
    }

    /// The browser's user at GitHub from now on.
    pub fn sign_in(&self, user: &GitHubUser) {
        self.put_user(user.clone());
        lock(&self.shared).signed_in = Some(user.id);
    }

    pub fn scopes_asked(&self) -> Vec<String> {
        lock(&self.shared).scopes_asked.clone()
    }

    /// The access tokens it issued.
    pub fn tokens_issued(&self) -> Vec<String> {
        lock(&self.shared).tokens.keys().cloned().collect()
    }

    /// The variables that point authd's preset at this fake.
    pub fn vars(&self, redirect_uri: &str) -> Vec<(&'static str, String)> {
        vec![
            ("AUTH_OIDC_PROVIDERS", "github".into()),
            ("AUTH_OIDC_GITHUB_CLIENT_ID", CLIENT_ID.into()),
            ("AUTH_OIDC_GITHUB_CLIENT_SECRET", CLIENT_SECRET.into()),
            ("AUTH_OIDC_GITHUB_WEB_URL", self.web_url.clone()),
            ("AUTH_OIDC_GITHUB_API_URL", self.api_url.clone()),
            ("AUTH_OAUTH_REDIRECT_URIS", redirect_uri.into()),
        ]
    }

    /// GitHub goes down: nothing listens on its port any more.
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: String,
    code_challenge: String,
    code_challenge_method: String,
}

async fn authorize(shared: Shared, query: web::Query<AuthorizeQuery>) -> HttpResponse {
    let query = query.into_inner();
    let mut fake = lock(&shared);
    fake.scopes_asked.push(query.scope.clone());
    if query.client_id != CLIENT_ID {
        return HttpResponse::NotFound().body("no such OAuth app");
    }
    if query.redirect_uri != fake.redirect_uri {
        return HttpResponse::BadRequest()
            .body("The redirect_uri is not associated with this application.");
    }
    if query.code_challenge_method != "S256" || query.code_challenge.len() != 43 {
        return HttpResponse::BadRequest().body("a PKCE S256 challenge is expected");
    }
    let Some(user_id) = fake.signed_in else {
        return HttpResponse::Unauthorized().body("nobody is signed in at the fake GitHub");
    };
    let code = random_token("code-");
    fake.codes.insert(
        code.clone(),
        Grant {
            user_id,
            challenge: query.code_challenge,
            redirect_uri: query.redirect_uri.clone(),
            scope: query.scope,
        },
    );
    let mut back = openidconnect::url::Url::parse(&query.redirect_uri).expect("redirect URI");
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &query.state);
    HttpResponse::Found()
        .insert_header(("Location", back.to_string()))
        .finish()
}

#[derive(Deserialize)]
struct TokenForm {
    client_id: String,
    client_secret: String,
    code: String,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

/// GitHub's refusals come with status 200.
fn token_error(error: &str, description: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "error": error,
        "error_description": description,
        "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors",
    }))
}

async fn access_token(
    shared: Shared,
    req: HttpRequest,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let wants_json = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if !wants_json {
        // GitHub's default answer is form-encoded.
        return HttpResponse::Ok()
            .content_type("application/x-www-form-urlencoded")
            .body("error=bad_verification_code");
    }
    if form.client_id != CLIENT_ID || form.client_secret != CLIENT_SECRET {
        return token_error(
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        );
    }
    let mut fake = lock(&shared);
    // A code is spent by its first use, right or wrong.
    let Some(grant) = fake.codes.remove(&form.code) else {
        return token_error(
            "bad_verification_code",
            "The code passed is incorrect or expired.",
        );
    };
    if form.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
        return token_error(
            "redirect_uri_mismatch",
            "The redirect_uri MUST match the registered callback URL for this application.",
        );
    }
    let verified = form.code_verifier.as_deref().is_some_and(|verifier| {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == grant.challenge
    });
    if !verified {
        return token_error(
            "bad_verification_code",
            "The code_verifier does not match the code_challenge.",
        );
    }
    let token = random_token("gho_");
    fake.tokens
        .insert(token.clone(), (grant.user_id, grant.scope.clone()));
    HttpResponse::Ok().json(json!({
        "access_token": token,
        "token_type": "bearer",
        "scope": grant.scope.replace(' ', ","),
    }))
}

/// The account a REST request's token belongs to, and the token's scope;
/// Err is GitHub's answer.
fn caller(
    shared: &Mutex<Fake>,
    req: &HttpRequest,
) -> Result<(GitHubUser, String), Box<HttpResponse>> {
    let headers = req.headers();
    if !headers.contains_key("user-agent") {
        return Err(Box::new(HttpResponse::Forbidden().body("Request forbidden by administrative rules. Please make sure your request has a User-Agent header.")));
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let fake = lock(shared);
    let found = token
        .and_then(|t| fake.tokens.get(t))
        .and_then(|(id, scope)| fake.users.get(id).map(|u| (u.clone(), scope.clone())));
    found.ok_or_else(|| {
        Box::new(HttpResponse::Unauthorized().json(json!({
            "message": "Requires authentication",
            "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user",
        })))
    })
}

async fn user(shared: Shared, req: HttpRequest) -> HttpResponse {
    match caller(&shared, &req) {
        Ok((user, _)) => HttpResponse::Ok().json(json!({
            "login": user.login,
            "id": user.id,
            "type": "User",
            "name": user.name,
            // The public profile address: neither primary nor verified.
            "email": null,
        })),
        Err(answer) => *answer,
    }
}

async fn emails(shared: Shared, req: HttpRequest) -> HttpResponse {
    match caller(&shared, &req) {
        Ok((_, scope)) if !scope.split([' ', ',']).any(|s| s == "user:email" || s == "user") => {
            HttpResponse::NotFound().json(json!({"message": "Not Found"}))
        }
        Ok((user, _)) => HttpResponse::Ok().json(
            user.emails
                .iter()
                .map(|(email, primary, verified)| {
                    json!({"email": email, "primary": primary, "verified": verified, "visibility": null})
                })
                .collect::<Vec<_>>(),
        ),
        Err(answer) => *answer,
    }
}
