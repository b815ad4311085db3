//! API.md §14 (issue #27): every way into an account crossed with every
//! change of hands and every way an owner secures an account.
//!
//! Each scenario arms an account with one of each way in (a password, a
//! provider identity, a passkey, a TOTP factor, recovery codes, a session,
//! an MFA token and the pending links), proves each one works, applies the
//! change, then asks each way in again. [`survives`] is the table: what
//! the contract lets live through each change. A table that holds ways in
//! and that this test does not exercise fails
//! [`the_matrix_exercises_every_table_that_holds_a_way_in`].

use diesel::prelude::*;
use serde_json::{Value, json};

use authd::auth::ways_in::{HOLDERS, WayIn};
use authd::db::schema::{mfa_factors, mfa_recovery_codes};

use crate::cli::{app_vars, authd};
use crate::helpers::{PASSWORD, Response, SoftAuthenticator, TestApp, Tokens, spawn_app_with};
use crate::mfa::{away_from_step_edge, code};
use crate::oidc::{Provider, authorize, callback, start_link};

/// The password of whoever held the account before the change.
const HOLDER_PASSWORD: &str = "squatters-Own-horse-77";
/// The password the new owner sets.
const NEW_PASSWORD: &str = "owners-Fresh-battery-31";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Password,
    Identity,
    Passkey,
    Totp,
    RecoveryCode,
    Session,
    MfaToken,
    VerifyLink,
    ResetLink,
    ChangeEmailLink,
    RevertLink,
    /// A pending email sign-in (API.md §15), by its link.
    EmailLoginLink,
}

/// The ways this test exercises for each kind the code knows. A new
/// `WayIn` does not compile here until the test covers it.
fn exercised(way: WayIn) -> &'static [Way] {
    match way {
        WayIn::Password => &[Way::Password],
        WayIn::Identity => &[Way::Identity],
        WayIn::Factor => &[Way::Passkey, Way::Totp],
        WayIn::RecoveryCode => &[Way::RecoveryCode],
        WayIn::Session => &[Way::Session],
        WayIn::PendingLink => &[
            Way::VerifyLink,
            Way::ResetLink,
            Way::ChangeEmailLink,
            Way::RevertLink,
        ],
        WayIn::EmailLogin => &[Way::EmailLoginLink],
        WayIn::MfaToken => &[Way::MfaToken],
    }
}

/// The tables whose ways this test arms and asks again.
const EXERCISED_TABLES: &[&str] = &[
    "users",
    "user_identities",
    "mfa_factors",
    "mfa_recovery_codes",
    "sessions",
    "one_time_tokens",
    "email_logins",
    "mfa_challenges",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// The address's owner registers and verifies an address a squatter
    /// registered first (§5, contested).
    ContestedVerification,
    /// `authd create-admin` over an account nobody verified.
    CreateAdminTakeover,
    /// The owner reverts a thief's email change (§13).
    EmailRevert,
    /// The mailbox owner resets the password of an account nobody verified.
    ResetOfUnverifiedAccount,
    /// An admin disables, then enables the account (securing).
    DisableAndEnable,
    /// The owner resets the password of their verified account (securing).
    ResetOfVerifiedAccount,
}

/// What survives each change. Handovers end everything; securing ends
/// the bearer-like ways (sessions, MFA tokens, links that could move the
/// account) and keeps what the owner made.
fn survives(change: Change, way: Way) -> bool {
    use Change::*;
    match change {
        ContestedVerification | CreateAdminTakeover | EmailRevert | ResetOfUnverifiedAccount => {
            false
        }
        DisableAndEnable => matches!(
            way,
            Way::Password | Way::Identity | Way::Passkey | Way::Totp | Way::RecoveryCode
        ),
        ResetOfVerifiedAccount => matches!(
            way,
            Way::Identity | Way::Passkey | Way::Totp | Way::RecoveryCode
        ),
    }
}

/// One of each way in, held by whoever had the account before the change.
struct Held {
    user_id: String,
    /// The address a password login uses after the change.
    login_email: String,
    password: String,
    key: SoftAuthenticator,
    totp_factor: String,
    refresh: String,
    mfa_token: String,
    links: Vec<(Way, String)>,
}

async fn app(provider: &Provider, require_verified: bool) -> TestApp {
    let mut vars = provider.vars();
    vars.push(("AUTH_REQUIRE_VERIFIED_EMAIL", require_verified.to_string()));
    let extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_app_with(&extra).await
}

/// The token of the next mail to `to` whose subject contains `needle`.
async fn token_in_mail(app: &TestApp, to: &str, needle: &str) -> String {
    for _ in 0..8 {
        let mail = app.mail_to(to).await;
        if mail.subject.to_lowercase().contains(needle) {
            return mail.token();
        }
    }
    panic!("no mail about {needle:?} to {to}");
}

fn pair(response: &Response) -> Tokens {
    response.assert_status(200);
    Tokens::of(response)
}

/// Gives the account behind `session` (fresh, no factor yet) one of each
/// way in: an identity at the provider, TOTP with recovery codes, a
/// passkey, a pending email change to `thief_address`, a reset link, an
/// MFA token and a live session.
async fn arm(
    app: &TestApp,
    account_email: &str,
    password: &str,
    session: Tokens,
    thief_address: &str,
) -> Held {
    let user_id = session.body["user"]["id"]
        .as_str()
        .expect("user id")
        .to_owned();
    // A provider identity (the holder's own account at the provider).
    let redirect = start_link(app, &session.access, "other").await;
    crate::oidc::link(app, "test", &session.access, &redirect)
        .await
        .assert_status(200);

    // TOTP, with the recovery codes of a first factor.
    let enrolled = app
        .post_auth("/v1/me/mfa/totp", &session.access, None)
        .await;
    enrolled.assert_status(200);
    let totp_factor = enrolled.json()["factor_id"]
        .as_str()
        .expect("factor")
        .to_owned();
    let secret = totp_rs::Secret::Encoded(enrolled.json()["secret"].as_str().expect("s").into())
        .to_bytes()
        .expect("base32");
    away_from_step_edge().await;
    let confirmed = app
        .post_auth(
            &format!("/v1/me/mfa/totp/{totp_factor}/confirm"),
            &session.access,
            Some(json!({"code": code(&secret, -1)})),
        )
        .await;
    confirmed.assert_status(200);
    assert!(confirmed.json()["recovery_codes"].as_array().is_some());

    // The session is aal2 from its next refresh; a passkey needs that.
    let session = pair(&app.refresh(&session.refresh).await);
    let mut key = SoftAuthenticator::new();
    let started = app
        .post_auth("/v1/me/passkeys/register/start", &session.access, None)
        .await;
    started.assert_status(200);
    let (challenge_id, options) = (
        started.json()["challenge_id"].clone(),
        started.json()["options"].clone(),
    );
    app.post_auth(
        "/v1/me/passkeys/register/finish",
        &session.access,
        Some(json!({"challenge_id": challenge_id, "credential": key.register(&options)})),
    )
    .await
    .assert_status(201);

    let mut links = Vec::new();
    // A pending email change to an address the holder reads.
    app.post_auth(
        "/v1/me/email",
        &session.access,
        Some(json!({"new_email": thief_address, "password": password})),
    )
    .await
    .assert_status(202);
    links.push((
        Way::ChangeEmailLink,
        token_in_mail(app, thief_address, "confirm your new").await,
    ));
    // A reset link (in the account's mailbox).
    app.post(
        "/v1/auth/password-reset/request",
        json!({"email": account_email}),
    )
    .await
    .assert_status(202);
    links.push((
        Way::ResetLink,
        token_in_mail(app, account_email, "reset").await,
    ));
    // A pending email sign-in (in the account's mailbox).
    app.post(
        "/v1/auth/email-login/start",
        json!({"email": account_email}),
    )
    .await
    .assert_status(202);
    links.push((
        Way::EmailLoginLink,
        token_in_mail(app, account_email, "sign in").await,
    ));
    // An MFA token of a password login.
    let login = app.login(account_email, password).await;
    login.assert_status(200);
    assert_eq!(login.json()["mfa_required"], true, "{}", login.json());
    let mfa_token = login.json()["mfa_token"]
        .as_str()
        .expect("mfa_token")
        .to_owned();
    Held {
        user_id,
        login_email: account_email.to_owned(),
        password: password.to_owned(),
        key,
        totp_factor,
        refresh: session.refresh,
        mfa_token,
        links,
    }
}

/// Whether `way` still leads into the held account.
async fn reaches(app: &TestApp, held: &mut Held, way: Way) -> bool {
    match way {
        Way::Password => app.login(&held.login_email, &held.password).await.status == 200,
        Way::Identity => {
            let response = callback(app, &authorize(app, "other").await).await;
            let body = if response.status == 200 {
                response.json()
            } else {
                Value::Null
            };
            // Either the held account's session, or its second step (a new
            // account for the provider's user has no factor).
            body["user"]["id"] == held.user_id.as_str() || body["mfa_required"] == true
        }
        Way::Passkey => {
            let started = app.post("/v1/auth/passkey/start", json!({})).await;
            started.assert_status(200);
            let (challenge_id, options) = (
                started.json()["challenge_id"].clone(),
                started.json()["options"].clone(),
            );
            let finished = app
                .post(
                    "/v1/auth/passkey/finish",
                    json!({"challenge_id": challenge_id, "credential": held.key.assert(&options)}),
                )
                .await;
            finished.status == 200 && finished.json()["user"]["id"] == held.user_id.as_str()
        }
        Way::Totp => {
            let id = held.totp_factor.clone();
            count(app, move |conn| {
                mfa_factors::table
                    .filter(mfa_factors::id.eq(&id))
                    .count()
                    .get_result(conn)
            })
            .await
                > 0
        }
        Way::RecoveryCode => {
            let user = held.user_id.clone();
            count(app, move |conn| {
                mfa_recovery_codes::table
                    .filter(mfa_recovery_codes::user_id.eq(&user))
                    .filter(mfa_recovery_codes::used_at.is_null())
                    .count()
                    .get_result(conn)
            })
            .await
                > 0
        }
        Way::Session => {
            let response = app.refresh(&held.refresh).await;
            if response.status == 200 {
                held.refresh = Tokens::of(&response).refresh;
                true
            } else {
                false
            }
        }
        Way::MfaToken => {
            let response = app
                .post(
                    "/v1/auth/mfa/passkey/start",
                    json!({"mfa_token": held.mfa_token}),
                )
                .await;
            response.status != 401
        }
        Way::VerifyLink
        | Way::ResetLink
        | Way::ChangeEmailLink
        | Way::RevertLink
        | Way::EmailLoginLink => {
            let Some((_, token)) = held.links.iter().find(|(w, _)| *w == way) else {
                panic!("no {way:?} was armed");
            };
            let (path, body) = match way {
                // A session, or the second step of the held account.
                Way::EmailLoginLink => ("/v1/auth/email-login/verify", json!({"token": token})),
                Way::VerifyLink => ("/v1/auth/verify-email", json!({"token": token})),
                Way::ResetLink => (
                    "/v1/auth/password-reset/confirm",
                    json!({"token": token, "new_password": HOLDER_PASSWORD}),
                ),
                Way::ChangeEmailLink => ("/v1/auth/email-change/confirm", json!({"token": token})),
                _ => ("/v1/auth/email-change/revert", json!({"token": token})),
            };
            (200..300).contains(&app.post(path, body).await.status)
        }
    }
}

async fn count(
    app: &TestApp,
    query: impl FnOnce(&mut authd::db::AnyConnection) -> QueryResult<i64> + Send + 'static,
) -> i64 {
    app.state
        .db
        .run(move |conn| Ok(query(conn)?))
        .await
        .expect("query")
}

/// The ways a scenario armed, links last (using one changes the account).
fn armed(held: &Held) -> Vec<Way> {
    let mut ways = vec![
        Way::Totp,
        Way::RecoveryCode,
        Way::Passkey,
        Way::Session,
        Way::Identity,
        Way::MfaToken,
        Way::Password,
    ];
    ways.extend(held.links.iter().map(|(w, _)| *w));
    ways
}

/// Every armed way works before the change (so the check after it can
/// fail); links are proven by being in hand.
async fn assert_all_reach(app: &TestApp, held: &mut Held) {
    for way in armed(held) {
        if matches!(
            way,
            Way::VerifyLink
                | Way::ResetLink
                | Way::ChangeEmailLink
                | Way::RevertLink
                | Way::EmailLoginLink
        ) {
            continue;
        }
        assert!(
            reaches(app, held, way).await,
            "{way:?} did not work before the change"
        );
    }
}

async fn assert_table(app: &TestApp, held: &mut Held, change: Change) {
    let mut wrong = Vec::new();
    for way in armed(held) {
        let reached = reaches(app, held, way).await;
        if reached != survives(change, way) {
            wrong.push(format!(
                "{way:?}: {} after {change:?}",
                if reached {
                    "still reaches the account"
                } else {
                    "was ended"
                }
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A squatter's account at `email` (registered first, never verified),
/// armed; the app lets unverified accounts log in.
async fn squatted(app: &TestApp, email: &str) -> Held {
    app.register(email, HOLDER_PASSWORD)
        .await
        .assert_status(202);
    let verify = token_in_mail(app, email, "confirm your email").await;
    let session = pair(&app.login(email, HOLDER_PASSWORD).await);
    let mut held = arm(
        app,
        email,
        HOLDER_PASSWORD,
        session,
        "squatter@example.test",
    )
    .await;
    held.links.push((Way::VerifyLink, verify));
    held
}

/// Sets `password` with the reset link of the next reset mail to `email`.
async fn reset_by_mail(app: &TestApp, email: &str, password: &str) {
    let reset = token_in_mail(app, email, "reset").await;
    app.post(
        "/v1/auth/password-reset/confirm",
        json!({"token": reset, "new_password": password}),
    )
    .await
    .assert_status(204);
}

/// A password login that gets tokens at once (no second step): its body.
async fn logs_in_without_a_second_step(app: &TestApp, email: &str, password: &str) -> Value {
    let login = app.login(email, password).await;
    login.assert_status(200);
    assert!(login.json()["access_token"].is_string(), "{}", login.json());
    login.json()
}

#[actix_web::test]
async fn a_contested_verification_ends_every_way_in_of_the_squatter() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app(&provider, false).await;
    let email = "owner-a@example.test";
    let mut held = squatted(&app, email).await;
    assert_all_reach(&app, &mut held).await;

    app.register(email, PASSWORD).await.assert_status(202);
    let verify = token_in_mail(&app, email, "confirm your email").await;
    app.post("/v1/auth/verify-email", json!({"token": verify}))
        .await
        .assert_status(200);
    assert_table(&app, &mut held, Change::ContestedVerification).await;

    // The owner's own way in: the reset link of the contested mail.
    reset_by_mail(&app, email, NEW_PASSWORD).await;
    logs_in_without_a_second_step(&app, email, NEW_PASSWORD).await;
}

#[actix_web::test]
async fn create_admin_over_an_unverified_account_ends_every_way_in_of_the_squatter() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app(&provider, false).await;
    let email = "owner-b@example.test";
    let mut held = squatted(&app, email).await;
    assert_all_reach(&app, &mut held).await;

    let (code, stdout, stderr) = authd(
        &app_vars(&app),
        &["create-admin", "--email", email],
        Some(NEW_PASSWORD),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(email), "{stdout}");
    assert_table(&app, &mut held, Change::CreateAdminTakeover).await;

    let login = logs_in_without_a_second_step(&app, email, NEW_PASSWORD).await;
    assert_eq!(login["user"]["roles"], json!(["admin", "viewer"]));
}

#[actix_web::test]
async fn a_reset_of_an_unverified_account_ends_every_way_in_of_the_squatter() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app(&provider, false).await;
    let email = "owner-e@example.test";
    let mut held = squatted(&app, email).await;
    assert_all_reach(&app, &mut held).await;

    app.post("/v1/auth/password-reset/request", json!({"email": email}))
        .await
        .assert_status(202);
    reset_by_mail(&app, email, NEW_PASSWORD).await;
    assert_table(&app, &mut held, Change::ResetOfUnverifiedAccount).await;

    // No second step: the squatter's factors are gone.
    logs_in_without_a_second_step(&app, email, NEW_PASSWORD).await;
}

#[actix_web::test]
async fn a_revert_ends_every_way_in_the_thief_added_even_after_two_changes() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app(&provider, true).await;
    let victim = app.verified_user().await;
    // The thief has the password and a session: V → X, confirmed.
    let session = app.login_user(&victim).await;
    let (x, y) = ("thief-x@example.test", "thief-y@example.test");
    app.post_auth(
        "/v1/me/email",
        &session.access,
        Some(json!({"new_email": x, "password": victim.password})),
    )
    .await
    .assert_status(202);
    let confirm = token_in_mail(&app, x, "confirm your new").await;
    app.post("/v1/auth/email-change/confirm", json!({"token": confirm}))
        .await
        .assert_status(200);
    let first_revert = token_in_mail(&app, &victim.email, "was changed").await;
    // X → Y, confirmed: the revert link to X is the thief's.
    app.post_auth(
        "/v1/me/email",
        &session.access,
        Some(json!({"new_email": y, "password": victim.password})),
    )
    .await
    .assert_status(202);
    let confirm = token_in_mail(&app, y, "confirm your new").await;
    app.post("/v1/auth/email-change/confirm", json!({"token": confirm}))
        .await
        .assert_status(200);
    let thiefs_revert = token_in_mail(&app, x, "was changed").await;

    let fresh = app.login(y, &victim.password).await;
    let mut held = arm(
        &app,
        y,
        &victim.password,
        pair(&fresh),
        "thief-z@example.test",
    )
    .await;
    held.links.push((Way::RevertLink, thiefs_revert));
    assert_all_reach(&app, &mut held).await;

    // The victim's link still works after the later change (§13).
    let reverted = app
        .post(
            "/v1/auth/email-change/revert",
            json!({"token": first_revert}),
        )
        .await;
    reverted.assert_status(200);
    assert_eq!(reverted.json()["email"], victim.email);
    held.login_email = victim.email.clone();
    assert_table(&app, &mut held, Change::EmailRevert).await;

    reset_by_mail(&app, &victim.email, NEW_PASSWORD).await;
    logs_in_without_a_second_step(&app, &victim.email, NEW_PASSWORD).await;
}

#[actix_web::test]
async fn disabling_and_enabling_ends_sessions_tokens_and_links_but_not_credentials() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app(&provider, true).await;
    let (_, admin) = app.admin().await;
    let owner = app.verified_user().await;
    let session = app.login_user(&owner).await;
    let mut held = arm(
        &app,
        &owner.email,
        &owner.password,
        session,
        "new-home@example.test",
    )
    .await;
    assert_all_reach(&app, &mut held).await;

    for action in ["disable", "enable"] {
        app.post_auth(
            &format!("/v1/admin/users/{}/{action}", held.user_id),
            &admin.access,
            None,
        )
        .await
        .assert_status(200);
    }
    assert_table(&app, &mut held, Change::DisableAndEnable).await;
}

#[actix_web::test]
async fn a_reset_of_a_verified_account_ends_sessions_tokens_and_links_and_keeps_the_factors() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = app(&provider, true).await;
    let owner = app.verified_user().await;
    let session = app.login_user(&owner).await;
    let mut held = arm(
        &app,
        &owner.email,
        &owner.password,
        session,
        "new-home@example.test",
    )
    .await;
    assert_all_reach(&app, &mut held).await;

    app.post(
        "/v1/auth/password-reset/request",
        json!({"email": owner.email}),
    )
    .await
    .assert_status(202);
    reset_by_mail(&app, &owner.email, NEW_PASSWORD).await;
    assert_table(&app, &mut held, Change::ResetOfVerifiedAccount).await;

    // A reset does not bypass the second factor (issue #28 item 7).
    let login = app.login(&owner.email, NEW_PASSWORD).await;
    login.assert_status(200);
    assert_eq!(login.json()["mfa_required"], true, "{}", login.json());
}

#[test]
fn the_matrix_exercises_every_table_that_holds_a_way_in() {
    for (table, way) in HOLDERS {
        assert!(
            EXERCISED_TABLES.contains(table),
            "ways_in::HOLDERS has `{table}`, which tests/api/ways_in.rs does not arm: \
             arm a way in of it and cross it with every change"
        );
        assert!(!exercised(*way).is_empty());
    }
    assert_eq!(EXERCISED_TABLES.len(), HOLDERS.len());
}
