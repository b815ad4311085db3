//! The second outside audit's findings (issue #27), one test each for
//! what must hold; the crossing of every way in with every change of
//! hands is `ways_in.rs`.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{SoftAuthenticator, TestApp, Tokens, spawn_app, spawn_app_with};
use crate::mfa::{code, enrol_and_confirm};
use crate::oidc::{Provider, REDIRECT_URI};

/// Finding 3: a pending email change dies when the owner secures the
/// account (reset and disable are in `ways_in.rs`).
#[actix_web::test]
async fn a_pending_email_change_dies_when_the_owner_logs_out_everywhere_or_changes_the_password() {
    let app = spawn_app().await;
    for secure in ["logout-all", "password-change"] {
        let user = app.verified_user().await;
        let session = app.login_user(&user).await;
        let thief = format!("thief-{secure}@example.test");
        app.post_auth(
            "/v1/me/email",
            &session.access,
            Some(json!({"new_email": thief, "password": user.password})),
        )
        .await
        .assert_status(202);
        let link = app.mail_to(&thief).await.token();
        match secure {
            "logout-all" => app
                .post_auth("/v1/auth/logout-all", &session.access, None)
                .await
                .assert_status(204),
            _ => app
                .post_auth(
                    "/v1/auth/password/change",
                    &session.access,
                    Some(json!({"current_password": user.password, "new_password": "another-Good-pass-88"})),
                )
                .await
                .assert_status(204),
        }
        let confirmed = app
            .post("/v1/auth/email-change/confirm", json!({"token": link}))
            .await;
        assert_eq!(confirmed.status, 400, "{secure}: {}", confirmed.json());
        let me = app
            .login(
                &user.email,
                if secure == "logout-all" {
                    &user.password
                } else {
                    "another-Good-pass-88"
                },
            )
            .await;
        assert_eq!(me.json()["user"]["email"], user.email.as_str(), "{secure}");
    }
}

async fn link_start(app: &TestApp, access: &str) -> crate::helpers::Response {
    app.post_auth(
        "/v1/me/identities/test/start",
        access,
        Some(json!({"redirect_uri": REDIRECT_URI})),
    )
    .await
}

/// Finding 4: a stale token links nothing, at the start or at the
/// callback, and a user with a factor needs `aal2`.
#[actix_web::test]
async fn linking_an_identity_needs_a_recent_login_and_aal2_with_a_factor() {
    let Some(provider) = Provider::start() else {
        return;
    };
    let mut vars = provider.vars();
    vars.push(("AUTH_REAUTH_MAX_AGE", "2".into()));
    let extra: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = spawn_app_with(&extra).await;

    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let redirect = crate::oidc::start_link(&app, &session.access, "other").await;
    // Past AUTH_REAUTH_MAX_AGE since the login.
    let login_at = session.body["access_token"]
        .as_str()
        .map(crate::oidc::claims);
    let auth_time = login_at.expect("claims")["auth_time"]
        .as_i64()
        .expect("auth_time");
    while chrono::Utc::now().timestamp() - auth_time <= 2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    crate::oidc::link(&app, "test", &session.access, &redirect)
        .await
        .assert_problem(403, "reauthentication_required");
    link_start(&app, &session.access)
        .await
        .assert_problem(403, "reauthentication_required");
    let identities = app.get("/v1/me/identities", Some(&session.access)).await;
    assert_eq!(identities.json()["identities"], json!([]));
    // Unlinking asks the same (ASVS 7.5.1).
    app.request(
        "DELETE",
        "/v1/me/identities/019aaaaa-0000-7000-8000-000000000000",
        Some(&session.access),
        None,
        &[],
    )
    .await
    .assert_problem(403, "reauthentication_required");

    // A user with a second factor: an aal1 token is refused even fresh.
    let app = spawn_app_with(
        &provider
            .vars()
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    )
    .await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    enrol_and_confirm(&app, &session).await;
    link_start(&app, &session.access)
        .await
        .assert_problem(403, "mfa_required");
}

/// Finding 6: a wrong password for an account without one costs a bcrypt
/// verification, like any other wrong password.
#[actix_web::test]
async fn a_wrong_password_costs_a_bcrypt_for_an_account_without_one() {
    let app = spawn_app_with(&[("AUTH_BCRYPT_COST", "10")]).await;
    let user = app.verified_user().await;
    let email = user.email.clone();
    app.state
        .db
        .run(move |conn| {
            let row = authd::db::users::find_by_email(conn, &email)?.expect("user");
            authd::db::users::change_password(conn, &row.id, "", authd::db::now())?;
            Ok(())
        })
        .await
        .expect("clear the password");
    let fastest = |email: String| {
        let app = &app;
        async move {
            let mut best = Duration::MAX;
            for _ in 0..3 {
                let started = Instant::now();
                app.login(&email, "not-the-Password-1")
                    .await
                    .assert_problem(401, "invalid_credentials");
                best = best.min(started.elapsed());
            }
            best
        }
    };
    let unknown = fastest("nobody-at-all@example.test".into()).await;
    let without_password = fastest(user.email.clone()).await;
    // bcrypt at cost 10 takes tens of milliseconds; no bcrypt, about one.
    assert!(
        without_password * 3 >= unknown,
        "no password: {without_password:?}, unknown email: {unknown:?}"
    );
}

fn ceremony(response: &crate::helpers::Response) -> (Value, Value) {
    response.assert_status(200);
    let body = response.json();
    (body["challenge_id"].clone(), body["options"].clone())
}

/// Finding 7: two second steps started before either finished: a cloned
/// authenticator's assertion with the counter the first one already used
/// is refused, although it is greater than the count at its start.
#[actix_web::test]
async fn overlapping_second_steps_cannot_use_one_passkey_counter_twice() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let mut key = SoftAuthenticator::new();
    let (challenge_id, options) = ceremony(
        &app.post_auth("/v1/me/passkeys/register/start", &session.access, None)
            .await,
    );
    app.post_auth(
        "/v1/me/passkeys/register/finish",
        &session.access,
        Some(json!({"challenge_id": challenge_id, "credential": key.register(&options)})),
    )
    .await
    .assert_status(201);
    let mut twin = key.clone_at(0);

    let mut started = Vec::new();
    for _ in 0..2 {
        let login = app.login(&user.email, &user.password).await;
        let token = login.json()["mfa_token"].clone();
        started.push(ceremony(
            &app.post("/v1/auth/mfa/passkey/start", json!({"mfa_token": token}))
                .await,
        ));
    }
    let first = json!({"challenge_id": started[0].0, "credential": key.assert(&started[0].1)});
    app.post("/v1/auth/mfa/passkey/finish", first)
        .await
        .assert_status(200);
    let second = json!({"challenge_id": started[1].0, "credential": twin.assert(&started[1].1)});
    app.post("/v1/auth/mfa/passkey/finish", second)
        .await
        .assert_problem(401, "invalid_mfa_code");
}

/// Finding 8: second-factor failures are capped per account over 24
/// hours, with a notice mail; an admin unlock lifts the cap.
#[actix_web::test]
async fn second_factor_failures_are_capped_per_day_and_an_admin_unlock_lifts_the_cap() {
    let app = spawn_app_with(&[
        ("AUTH_MFA_MAX_FAILURES_PER_DAY", "3"),
        ("AUTH_LOCKOUT_THRESHOLD", "50"),
    ])
    .await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let user_id = session.body["user"]["id"].as_str().expect("id").to_owned();
    let (_, secret) = enrol_and_confirm(&app, &session).await;
    let _ = app.unread_mail_to(&user.email).await;
    let mfa_token = app.login(&user.email, &user.password).await.json()["mfa_token"].clone();
    for _ in 0..3 {
        app.post(
            "/v1/auth/mfa/verify",
            json!({"mfa_token": mfa_token, "code": "000000"}),
        )
        .await
        .assert_problem(401, "invalid_mfa_code");
    }
    let notice = app.mail_to(&user.email).await;
    assert!(
        notice.subject.to_lowercase().contains("too many"),
        "{}",
        notice.subject
    );
    // Even the right code waits now.
    let refused = app
        .post(
            "/v1/auth/mfa/verify",
            json!({"mfa_token": mfa_token, "code": code(&secret, 0)}),
        )
        .await;
    refused.assert_problem(429, "account_locked");
    assert!(refused.header("retry-after").is_some());

    app.post_auth(
        &format!("/v1/admin/users/{user_id}/unlock"),
        &admin.access,
        None,
    )
    .await
    .assert_status(200);
    let verified = app
        .post(
            "/v1/auth/mfa/verify",
            json!({"mfa_token": mfa_token, "code": code(&secret, 0)}),
        )
        .await;
    verified.assert_status(200);
    assert!(Tokens::of(&verified).access.len() > 10);
}

/// Finding 9: the ops routes on a public listener are warned about.
#[actix_web::test]
async fn serve_warns_when_the_ops_routes_share_a_public_listener() {
    for (bind, warned) in [("0.0.0.0:0", true), ("127.0.0.1:0", false)] {
        let dir = tempfile::tempdir().expect("dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_authd"))
            .env_clear()
            .env("AUTH_BIND", bind)
            .env("AUTH_LOG_FORMAT", "json")
            .env("AUTH_BCRYPT_COST", "4")
            .current_dir(dir.path())
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("authd starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut seen = false;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let v: Value = serde_json::from_str(&line).unwrap_or_default();
            if v["message"] == "authd listening" {
                break;
            }
            seen |= line.contains("AUTH_OPS_BIND");
        }
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(seen, warned, "bind {bind}");
    }
}

/// Finding 10: a user who has TOTP adds a passkey only with `aal2`.
#[actix_web::test]
async fn adding_a_passkey_next_to_totp_needs_aal2() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    enrol_and_confirm(&app, &session).await;
    app.post_auth("/v1/me/passkeys/register/start", &session.access, None)
        .await
        .assert_problem(403, "mfa_required");
}
