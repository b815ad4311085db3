//! The GitHub preset for social login (API.md §11, issue #17). GitHub
//! cannot be run locally, so these tests talk to a stand-in written here:
//! `helpers::FakeGitHub`, which implements exactly the GitHub endpoints the
//! preset uses (authorize, access_token, `/user`, `/user/emails`) with the
//! checks GitHub makes. They show what authd does with GitHub's documented
//! answers; they cannot show that GitHub still answers as documented.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{FakeGitHub, GitHubUser, PASSWORD, Response, TestApp, Tokens, spawn_app_with};
use crate::oidc::{
    Redirect, callback_with_cookie, claims, identity_events, link, linked, start_in_browser, unlink,
};

pub(crate) const REDIRECT_URI: &str = "http://127.0.0.1:9/oauth/github";

async fn app_with(github: &FakeGitHub, more: &[(&str, &str)]) -> TestApp {
    let vars = github.vars(REDIRECT_URI);
    let mut extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    extra.extend_from_slice(more);
    spawn_app_with(&extra).await
}

/// A GitHub, an authd using it, and `octocat` (verified address) signed in
/// at GitHub.
async fn setup() -> (FakeGitHub, TestApp, GitHubUser) {
    let github = FakeGitHub::start(REDIRECT_URI).await;
    let app = app_with(&github, &[]).await;
    let octocat = GitHubUser::new(583231, "octocat", "octocat@example.test", true);
    github.sign_in(&octocat);
    (github, app, octocat)
}

/// The browser at `authorization_url`: GitHub's redirect, not followed.
pub(crate) async fn browse(authorization_url: &str) -> Redirect {
    let client = awc::Client::builder().disable_redirects().finish();
    let response = client
        .get(authorization_url)
        .send()
        .await
        .expect("the fake GitHub answers");
    assert_eq!(response.status().as_u16(), 302, "{authorization_url}");
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("a Location");
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    Redirect::of(location)
}

fn authorization_url(started: &Response) -> String {
    started.assert_status(200);
    started.json()["authorization_url"]
        .as_str()
        .expect("authorization_url")
        .to_owned()
}

/// `start` (a login, or linking with `token`) and the trip to GitHub.
async fn authorize(app: &TestApp, token: Option<&str>) -> Redirect {
    let body = json!({"redirect_uri": REDIRECT_URI});
    let started = match token {
        None => app.post("/v1/auth/oauth/github/start", body).await,
        Some(token) => {
            app.post_auth("/v1/me/identities/github/start", token, Some(body))
                .await
        }
    };
    browse(&authorization_url(&started)).await
}

async fn callback(app: &TestApp, redirect: &Redirect) -> Response {
    app.post(
        "/v1/auth/oauth/github/callback",
        json!({"code": redirect.get("code"), "state": redirect.get("state")}),
    )
    .await
}

async fn login(app: &TestApp) -> Response {
    callback(app, &authorize(app, None).await).await
}

#[actix_web::test]
async fn a_first_github_login_creates_a_verified_user_and_a_second_finds_it() {
    let (github, app, _) = setup().await;
    let listed = app.get("/v1/auth/oauth/providers", None).await;
    assert_eq!(
        listed.json(),
        json!({"providers": [{"name": "github", "display_name": "GitHub"}]})
    );

    // The authorization URL: GitHub's, PKCE S256, a state, no nonce.
    let started = app
        .post(
            "/v1/auth/oauth/github/start",
            json!({"redirect_uri": REDIRECT_URI}),
        )
        .await;
    let url = openidconnect::url::Url::parse(&authorization_url(&started)).expect("a URL");
    assert_eq!(
        url.as_str().split('?').next(),
        Some(format!("{}/login/oauth/authorize", github.web_url).as_str())
    );
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], crate::helpers::fake_github::CLIENT_ID);
    assert_eq!(query["redirect_uri"], REDIRECT_URI);
    assert_eq!(query["scope"], "read:user user:email");
    assert_eq!(query["code_challenge_method"], "S256");
    assert!(query["state"].len() >= 16);
    assert!(!query.contains_key("nonce"), "{query:?}");

    let first = Tokens::of(&callback(&app, &browse(url.as_str()).await).await);
    let user = &first.body["user"];
    assert_eq!(user["email"], "octocat@example.test");
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["display_name"], "octocat at GitHub");
    assert_eq!(claims(&first.access)["amr"], json!(["fed"]));
    let user_id = user["id"].clone();

    let identities = app
        .get("/v1/me/identities", Some(&first.access))
        .await
        .json();
    assert_eq!(identities["identities"][0]["provider"], "github");
    assert_eq!(identities["identities"][0]["email"], "octocat@example.test");

    // Again, in the browser transport: the same account, a refresh cookie.
    let (url, binding) = start_in_browser(&app, "github", REDIRECT_URI).await;
    let redirect = browse(&url).await;
    let again = callback_with_cookie(&app, "github", &redirect, Some(&binding)).await;
    again.assert_status(200);
    assert_eq!(again.json()["user"]["id"], user_id);
    assert!(again.json().get("refresh_token").is_none());
    let cookie = again.header("set-cookie").expect("a refresh cookie");
    assert!(cookie.starts_with("__Host-authd_refresh="), "{cookie}");

    // No password: the password login cannot get in.
    app.login("octocat@example.test", "anything-at-all-1")
        .await
        .assert_problem(401, "invalid_credentials");
    assert_eq!(github.scopes_asked().len(), 2);
}

#[actix_web::test]
async fn the_identity_is_keyed_on_the_github_id_not_on_the_email_or_login() {
    let (github, app, mut octocat) = setup().await;
    let first = login(&app).await;
    first.assert_status(200);
    let user_id = first.json()["user"]["id"].clone();

    // octocat renames the account and changes the primary address.
    octocat.login = "monalisa".into();
    octocat.emails = vec![
        ("octocat@example.test".into(), false, true),
        ("mona@example.test".into(), true, true),
    ];
    github.sign_in(&octocat);
    let again = login(&app).await;
    again.assert_status(200);
    assert_eq!(again.json()["user"]["id"], user_id);

    // Another GitHub account with octocat's old address is someone else:
    // it meets the existing account's address and must not get in.
    let impostor = GitHubUser::new(9_000_001, "octocat2", "octocat@example.test", false);
    github.sign_in(&impostor);
    login(&app).await.assert_problem(403, "email_not_verified");
}

#[actix_web::test]
async fn an_unverified_primary_email_never_links_an_existing_account() {
    let (github, app, _) = setup().await;
    let user = app.verified_user().await;
    // A verified address at GitHub, but not the primary one.
    let mut other = GitHubUser::new(42, "someone", "someone@example.test", false);
    other.emails.push((user.email.clone(), false, true));
    github.sign_in(&other);
    // An address GitHub did not verify creates nothing (API.md §14).
    login(&app).await.assert_problem(403, "email_not_verified");
    assert!(app.unread_mail_to("someone@example.test").await.is_empty());

    let unverified = GitHubUser::new(43, "claimant", &user.email, false);
    github.sign_in(&unverified);
    login(&app).await.assert_problem(403, "email_not_verified");

    // Verified at GitHub and locally: linked, with a notice.
    let verified = GitHubUser::new(44, "owner", &user.email, true);
    github.sign_in(&verified);
    let linked = login(&app).await;
    linked.assert_status(200);
    assert_eq!(linked.json()["user"]["email"], user.email);
    let notice = app.mail_to(&user.email).await;
    assert!(notice.subject.contains("linked"), "{}", notice.subject);
}

#[actix_web::test]
async fn without_a_primary_email_the_login_is_refused_with_what_to_do() {
    let github = FakeGitHub::start(REDIRECT_URI).await;
    // Without user:email GitHub withholds the addresses (404).
    let app = app_with(&github, &[("AUTH_OIDC_GITHUB_SCOPES", "read:user")]).await;
    github.sign_in(&GitHubUser::new(7, "private", "private@example.test", true));
    let refused = login(&app).await;
    refused.assert_problem(400, "oauth_failed");
    let detail = refused.detail();
    assert!(
        detail.contains("verify one in your GitHub email settings"),
        "{detail}"
    );
    assert_eq!(github.scopes_asked(), ["read:user"]);
}

#[actix_web::test]
async fn a_wrong_or_used_state_is_oauth_failed_before_github_is_asked() {
    let (github, app, _) = setup().await;
    let redirect = authorize(&app, None).await;
    app.post(
        "/v1/auth/oauth/github/callback",
        json!({"code": redirect.get("code"), "state": "never-issued"}),
    )
    .await
    .assert_problem(400, "oauth_failed");
    assert_eq!(github.tokens_issued().len(), 0);
    callback(&app, &redirect).await.assert_status(200);
    // Replayed: the state was spent.
    callback(&app, &redirect)
        .await
        .assert_problem(400, "oauth_failed");
    assert_eq!(github.tokens_issued().len(), 1);

    // A login state does not link, nor a link state log in.
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let redirect = authorize(&app, Some(&tokens.access)).await;
    callback(&app, &redirect)
        .await
        .assert_problem(400, "oauth_failed");
}

#[actix_web::test]
async fn github_refusing_the_code_with_status_200_is_oauth_failed() {
    let (github, app, _) = setup().await;
    let redirect = authorize(&app, None).await;
    let refused = app
        .post(
            "/v1/auth/oauth/github/callback",
            json!({"code": "not-the-code", "state": redirect.get("state")}),
        )
        .await;
    refused.assert_problem(400, "oauth_failed");
    let detail = refused.detail();
    assert!(
        detail.contains("refused the authorization code"),
        "{detail}"
    );
    // The state went with the failed attempt: the right code is too late.
    callback(&app, &redirect)
        .await
        .assert_problem(400, "oauth_failed");
    assert_eq!(github.tokens_issued().len(), 0);

    // A wrong client secret is refused the same way.
    let app = spawn_app_with(
        &github
            .vars(REDIRECT_URI)
            .iter()
            .map(|(k, v)| match *k {
                "AUTH_OIDC_GITHUB_CLIENT_SECRET" => (*k, "not-the-secret"),
                _ => (*k, v.as_str()),
            })
            .collect::<Vec<_>>(),
    )
    .await;
    login(&app).await.assert_problem(400, "oauth_failed");
    assert_eq!(github.tokens_issued().len(), 0);
}

#[actix_web::test]
async fn github_down_answers_503_quickly() {
    let (github, app, _) = setup().await;
    let redirect = authorize(&app, None).await;
    github.stop().await;
    let began = Instant::now();
    callback(&app, &redirect)
        .await
        .assert_problem(503, "service_unavailable");
    assert!(began.elapsed() < Duration::from_secs(6));
}

#[actix_web::test]
async fn github_has_no_id_tokens() {
    let (_github, app, _) = setup().await;
    for body in [
        json!({"id_token": "eyJhbGciOiJub25lIn0.e30.", "nonce": "n-1"}),
        json!({"id_token": "eyJhbGciOiJub25lIn0.e30."}),
    ] {
        let refused = app.post("/v1/auth/oauth/github/id-token", body).await;
        refused.assert_problem(400, "oauth_failed");
        let detail = refused.detail();
        assert!(detail.contains("no ID tokens"), "{detail}");
    }
}

#[actix_web::test]
async fn a_password_account_links_and_unlinks_github() {
    let (github, app, octocat) = setup().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;

    let redirect = authorize(&app, Some(&tokens.access)).await;
    let identity = linked(&app, "github", &tokens.access, &redirect, &user.email).await;
    assert_eq!(identity["provider"], "github");
    assert_eq!(identity["email"], "octocat@example.test");

    // GitHub now logs in the password account.
    let via_github = login(&app).await;
    via_github.assert_status(200);
    assert_eq!(via_github.json()["user"]["email"], user.email);

    // The same GitHub account cannot be linked to someone else.
    let other = app.verified_user().await;
    let other_tokens = app.login_user(&other).await;
    github.sign_in(&octocat);
    let redirect = authorize(&app, Some(&other_tokens.access)).await;
    link(&app, "github", &other_tokens.access, &redirect)
        .await
        .assert_problem(409, "conflict");

    let id = identity["id"].as_str().expect("id");
    unlink(&app, &tokens.access, id).await.assert_status(204);
    let notice = app.mail_to(&user.email).await;
    assert!(notice.subject.contains("removed"), "{}", notice.subject);
    assert_eq!(
        identity_events(&app, &tokens.access).await,
        ["identity.unlinked", "identity.linked"]
    );

    // Unlinked, the GitHub account no longer reaches the password account
    // (it signs up on its own address), and the password still logs in.
    let stranger = login(&app).await;
    stranger.assert_status(200);
    assert_eq!(stranger.json()["user"]["email"], "octocat@example.test");
    app.login(&user.email, PASSWORD).await.assert_status(200);
}

#[actix_web::test]
async fn a_github_login_still_asks_for_the_second_factor() {
    let (_github, app, _) = setup().await;
    crate::oidc::assert_provider_login_asks_for_the_second_factor(&app, async || login(&app).await)
        .await;
}

#[actix_web::test]
async fn github_misconfigured_is_refused_at_startup() {
    let base = [
        ("AUTH_OIDC_PROVIDERS", "github"),
        ("AUTH_OIDC_GITHUB_CLIENT_SECRET", "s3cret"),
        ("AUTH_OIDC_GITHUB_CLIENT_ID", "Iv1.abc"),
    ];
    for (vars, named) in [
        (&base[..2], "AUTH_OIDC_GITHUB_CLIENT_ID"),
        (&[base[0], base[2]][..], "AUTH_OIDC_GITHUB_CLIENT_SECRET"),
        (
            &[
                base[0],
                base[1],
                base[2],
                ("AUTH_OIDC_GITHUB_WEB_URL", "http://ghe.corp.example"),
            ][..],
            "AUTH_OIDC_GITHUB_WEB_URL",
        ),
    ] {
        let (code, _, stderr) = crate::cli::authd(vars, &["serve"], None);
        assert_eq!(code, 2, "{stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(named), "{stderr}");
    }
}

#[actix_web::test]
async fn github_tokens_and_secrets_never_reach_the_log() {
    use crate::logs::{Server, expect};
    let github = FakeGitHub::start(REDIRECT_URI).await;
    github.sign_in(&GitHubUser::new(1, "logged", "logged@example.test", true));
    let vars = github.vars(REDIRECT_URI);
    let extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start(&extra).await;
    let body = json!({"redirect_uri": REDIRECT_URI});
    let started = server
        .call("POST", "/v1/auth/oauth/github/start", None, Some(body))
        .await;
    let url = expect(&started, 200)["authorization_url"]
        .as_str()
        .expect("authorization_url")
        .to_owned();
    let redirect = browse(&url).await;
    let body = json!({"code": redirect.get("code"), "state": redirect.get("state")});
    let answer = server
        .call("POST", "/v1/auth/oauth/github/callback", None, Some(body))
        .await;
    expect(&answer, 200);
    server.wait_for_event("auth.oauth.login").await;

    let log: String = server.log().iter().map(|l| format!("{l}\n")).collect();
    assert!(log.contains("auth.oauth.login"), "{log}");
    let mut secrets = github.tokens_issued();
    assert_eq!(secrets.len(), 1);
    secrets.push(crate::helpers::fake_github::CLIENT_SECRET.to_owned());
    secrets.push(redirect.get("code").to_owned());
    secrets.push(redirect.get("state").to_owned());
    for secret in secrets {
        assert!(!log.contains(&secret), "{secret} is in the log:\n{log}");
    }
}
