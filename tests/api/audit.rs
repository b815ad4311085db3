//! Regression tests for the findings of the outside security audit (issue
//! #11). Each test is named after its finding and failed on the code before
//! the fix; the comment above it says how.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::cli::{app_vars, authd};
use crate::helpers::{PASSWORD, TestApp, Tokens, spawn_app, spawn_app_with, spawn_sibling};

const OTHER_PASSWORD: &str = "another-Staple-horse-7";
const NEW_PASSWORD: &str = "brand-new-Lantern-42";

fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", uuid::Uuid::new_v4().simple())
}

fn tokens_of(body: &Value) -> Tokens {
    Tokens {
        access: body["access_token"].as_str().expect("access").to_owned(),
        refresh: body["refresh_token"].as_str().expect("refresh").to_owned(),
        body: body.clone(),
    }
}

async fn user_id(app: &TestApp, email: &str) -> String {
    let email = email.to_owned();
    app.state
        .db
        .run(move |conn| {
            Ok(authd::db::users::find_by_email(conn, &email)?
                .expect("user")
                .id)
        })
        .await
        .unwrap()
}

/// Stores a hash of `password` at `cost`, so that verifying it takes long
/// enough for another request to land in the middle.
async fn slow_hash(app: &TestApp, email: &str, password: &str, cost: u32) {
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || {
        authd::password::hash_blocking(&password, cost).unwrap()
    })
    .await
    .unwrap();
    let email = email.to_owned();
    app.state
        .db
        .run(move |conn| {
            let row = authd::db::users::find_by_email(conn, &email)?.expect("user");
            authd::db::users::change_password(conn, &row.id, &hash, authd::db::now())?;
            Ok(())
        })
        .await
        .unwrap();
}

// --- High 1: create-admin and unverified accounts ------------------------

/// Before: the pre-registrant's password logged in as admin and the
/// operator's password was ignored.
#[actix_web::test]
async fn create_admin_takes_over_an_unverified_account_with_the_operators_password() {
    let app = spawn_app_with(&[("AUTH_REQUIRE_VERIFIED_EMAIL", "false")]).await;
    let email = unique_email("boss");
    assert_eq!(app.register(&email, OTHER_PASSWORD).await.status, 202);
    let squatter = tokens_of(&app.login(&email, OTHER_PASSWORD).await.json());

    let (code, stdout, stderr) = authd(
        &app_vars(&app),
        &["create-admin", "--email", &email],
        Some(PASSWORD),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("never verified"), "{stdout}");
    assert!(stdout.contains("1 session(s) revoked"), "{stdout}");

    app.login(&email, OTHER_PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    app.refresh(&squatter.refresh)
        .await
        .assert_problem(401, "session_revoked");
    app.get("/v1/admin/users", Some(&squatter.access))
        .await
        .assert_problem(401, "unauthorized");

    let admin = app.login(&email, PASSWORD).await;
    assert_eq!(admin.status, 200);
    assert_eq!(admin.json()["user"]["email_verified"], true);
    assert_eq!(admin.json()["user"]["roles"], json!(["admin", "viewer"]));
}

/// Before: nothing could enable a disabled admin.
#[actix_web::test]
async fn create_admin_brings_back_a_disabled_admin() {
    let app = spawn_app().await;
    let (_, first) = app.admin().await;
    let (second, _) = app.admin().await;
    let id = user_id(&app, &second.email).await;
    let disabled = app
        .post_auth(
            &format!("/v1/admin/users/{id}/disable"),
            &first.access,
            None,
        )
        .await;
    assert_eq!(disabled.status, 200);
    app.login(&second.email, &second.password)
        .await
        .assert_problem(403, "account_disabled");

    let (code, stdout, stderr) = authd(
        &app_vars(&app),
        &["create-admin", "--email", &second.email],
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("enabled again"), "{stdout}");
    let back = app.login_user(&second).await;
    assert_eq!(back.body["user"]["disabled"], false);
    assert_eq!(
        app.get("/v1/admin/users", Some(&back.access)).await.status,
        200
    );
}

// --- Medium 2: a login in flight against a reset or a disable ------------

/// Before: the login answered 200 with a live session after the reset, and
/// its cost upgrade wrote the old password's hash back over the new one.
#[actix_web::test]
async fn a_login_in_flight_does_not_survive_a_password_reset() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    slow_hash(&app, &user.email, &user.password, 14).await;
    app.post(
        "/v1/auth/password-reset/request",
        json!({"email": user.email}),
    )
    .await;
    let token = app.mail_to(&user.email).await.token();

    let login = async {
        let response = app.login(&user.email, &user.password).await;
        (response, Instant::now())
    };
    let reset = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let response = app
            .post(
                "/v1/auth/password-reset/confirm",
                json!({"token": token, "new_password": NEW_PASSWORD}),
            )
            .await;
        (response, Instant::now())
    };
    let ((login, login_done), (reset, reset_done)) = tokio::join!(login, reset);
    assert_eq!(
        reset.status,
        204,
        "{}",
        String::from_utf8_lossy(&reset.body)
    );
    assert!(
        reset_done < login_done,
        "the reset must land while bcrypt runs; raise the stored cost"
    );
    login.assert_problem(401, "invalid_credentials");

    app.login(&user.email, &user.password)
        .await
        .assert_problem(401, "invalid_credentials");
    assert_eq!(app.login(&user.email, NEW_PASSWORD).await.status, 200);
}

/// Before: a login that verified the password before the disable answered
/// 200 after it, with a session whose tokens worked.
#[actix_web::test]
async fn a_login_in_flight_does_not_survive_a_disable() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    slow_hash(&app, &user.email, &user.password, 14).await;
    let id = user_id(&app, &user.email).await;

    let login = async {
        let response = app.login(&user.email, &user.password).await;
        (response, Instant::now())
    };
    let disable = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let response = app
            .post_auth(
                &format!("/v1/admin/users/{id}/disable"),
                &admin.access,
                None,
            )
            .await;
        (response, Instant::now())
    };
    let ((login, login_done), (disabled, disable_done)) = tokio::join!(login, disable);
    assert_eq!(disabled.status, 200);
    assert!(
        disable_done < login_done,
        "the disable must land while bcrypt runs"
    );
    login.assert_problem(403, "account_disabled");
}

/// The same race for a password change: the current password is checked
/// outside the transaction that writes the new one, so a reset landing in
/// between must win.
#[actix_web::test]
async fn a_password_change_in_flight_does_not_undo_a_reset() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    slow_hash(&app, &user.email, &user.password, 14).await;
    app.post(
        "/v1/auth/password-reset/request",
        json!({"email": user.email}),
    )
    .await;
    let token = app.mail_to(&user.email).await.token();

    let change = async {
        let response = app
            .post_auth(
                "/v1/auth/password/change",
                &tokens.access,
                Some(json!({"current_password": user.password, "new_password": OTHER_PASSWORD})),
            )
            .await;
        (response, Instant::now())
    };
    let reset = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let response = app
            .post(
                "/v1/auth/password-reset/confirm",
                json!({"token": token, "new_password": NEW_PASSWORD}),
            )
            .await;
        (response, Instant::now())
    };
    let ((change, change_done), (reset, reset_done)) = tokio::join!(change, reset);
    assert_eq!(reset.status, 204);
    assert!(
        reset_done < change_done,
        "the reset must land while bcrypt runs"
    );
    // The reset revoked the session too, so the change answers 401 either
    // way; what matters is which password stands.
    assert_eq!(
        change.status,
        401,
        "{}",
        String::from_utf8_lossy(&change.body)
    );
    assert_eq!(app.login(&user.email, NEW_PASSWORD).await.status, 200);
    app.login(&user.email, OTHER_PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
}

// --- Medium 3: account pre-hijacking -------------------------------------

async fn pre_hijack(app: &TestApp, owner_clicks_last: bool) {
    let email = unique_email("victim");
    // The attacker registers first and never verifies; then the owner.
    assert_eq!(app.register(&email, OTHER_PASSWORD).await.status, 202);
    let attackers_mail = app.mail_to(&email).await;
    assert_eq!(app.register(&email, PASSWORD).await.status, 202);
    let owners_mail = app.mail_to(&email).await;
    let clicked = if owner_clicks_last {
        owners_mail
    } else {
        attackers_mail
    };
    let verified = app
        .post("/v1/auth/verify-email", json!({"token": clicked.token()}))
        .await;
    assert_eq!(verified.status, 200);
    assert_eq!(verified.json()["email_verified"], true);

    // Nobody's password survives a contested verification...
    app.login(&email, OTHER_PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    app.login(&email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    // ...and the mailbox owner gets a link to set one.
    let reset = app.mail_to(&email).await;
    assert!(
        reset.link().contains("/reset-password?token="),
        "{}",
        reset.raw
    );
    let confirmed = app
        .post(
            "/v1/auth/password-reset/confirm",
            json!({"token": reset.token(), "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(confirmed.status, 204);
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status, 200);
    app.login(&email, OTHER_PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
}

/// Before: the attacker's password logged in and the owner's did not.
#[actix_web::test]
async fn account_pre_hijacking_fails_when_the_owner_clicks_their_own_mail() {
    let app = spawn_app().await;
    pre_hijack(&app, true).await;
}

/// The owner may click the mail the attacker's registration triggered.
#[actix_web::test]
async fn account_pre_hijacking_fails_when_the_owner_clicks_the_attackers_mail() {
    let app = spawn_app().await;
    pre_hijack(&app, false).await;
}

/// A re-registration of an unverified address ends the sessions of whoever
/// set the old password (possible with AUTH_REQUIRE_VERIFIED_EMAIL=false).
#[actix_web::test]
async fn re_registering_an_unverified_email_revokes_the_old_registrants_sessions() {
    let app = spawn_app_with(&[("AUTH_REQUIRE_VERIFIED_EMAIL", "false")]).await;
    let email = unique_email("squat");
    app.register(&email, OTHER_PASSWORD).await;
    let squatter = tokens_of(&app.login(&email, OTHER_PASSWORD).await.json());
    assert_eq!(app.register(&email, PASSWORD).await.status, 202);
    app.get("/v1/me", Some(&squatter.access))
        .await
        .assert_problem(401, "unauthorized");
    app.login(&email, OTHER_PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
}

// --- Medium 4: admin powers come from the database -----------------------

/// Before: the demoted admin's access token still carried `admin`, so it
/// could re-promote itself and disable whoever demoted it.
#[actix_web::test]
async fn a_demoted_admin_can_neither_re_promote_themselves_nor_disable_the_other() {
    let app = spawn_app().await;
    let (first, first_tokens) = app.admin().await;
    let (second, second_tokens) = app.admin().await;
    let first_id = user_id(&app, &first.email).await;
    let second_id = user_id(&app, &second.email).await;

    let demoted = app
        .request(
            "PUT",
            &format!("/v1/admin/users/{first_id}/roles"),
            Some(&second_tokens.access),
            Some(&json!({"roles": ["viewer"]})),
            &[],
        )
        .await;
    assert_eq!(demoted.status, 200);

    app.request(
        "PUT",
        &format!("/v1/admin/users/{first_id}/roles"),
        Some(&first_tokens.access),
        Some(&json!({"roles": ["admin"]})),
        &[],
    )
    .await
    .assert_problem(403, "forbidden");
    app.post_auth(
        &format!("/v1/admin/users/{second_id}/disable"),
        &first_tokens.access,
        None,
    )
    .await
    .assert_problem(403, "forbidden");
    app.get("/v1/admin/users", Some(&first_tokens.access))
        .await
        .assert_problem(403, "forbidden");
}

async fn enabled_admins(app: &TestApp) -> i64 {
    app.state
        .db
        .run(|conn| Ok(authd::db::users::count_enabled_with_role(conn, "admin")?))
        .await
        .unwrap()
}

/// Before: each admin could remove the other (only removing oneself was
/// guarded), leaving zero admins.
#[actix_web::test]
async fn two_admins_removing_each_other_at_once_leave_one_admin() {
    let app = spawn_app().await;
    let (first, _) = app.admin().await;
    let (second, _) = app.admin().await;
    let first_id = user_id(&app, &first.email).await;
    let second_id = user_id(&app, &second.email).await;
    for _ in 0..3 {
        let first_tokens = app.login_user(&first).await;
        let second_tokens = app.login_user(&second).await;
        let roles_path = format!("/v1/admin/users/{second_id}/roles");
        let disable_path = format!("/v1/admin/users/{first_id}/disable");
        let roles_body = json!({"roles": ["viewer"]});
        let demote_second = app.request(
            "PUT",
            &roles_path,
            Some(&first_tokens.access),
            Some(&roles_body),
            &[],
        );
        let disable_first = app.post_auth(&disable_path, &second_tokens.access, None);
        let (a, b) = tokio::join!(demote_second, disable_first);
        assert!(
            [a.status, b.status].contains(&200),
            "one of them goes through: {} {}",
            a.status,
            b.status
        );
        assert_eq!(enabled_admins(&app).await, 1, "{} {}", a.status, b.status);
        // Put both back for the next round.
        let (f, s) = (first_id.clone(), second_id.clone());
        app.state
            .db
            .run(move |conn| {
                for id in [&f, &s] {
                    authd::db::users::set_roles(conn, id, &["admin".to_owned()])?;
                    authd::db::users::set_disabled(conn, id, false, authd::db::now())?;
                }
                Ok(())
            })
            .await
            .unwrap();
    }
    // With one admin left, nobody can take that one away.
    let s = second_id.clone();
    app.state
        .db
        .run(move |conn| {
            Ok(authd::db::users::set_roles(
                conn,
                &s,
                &["viewer".to_owned()],
            )?)
        })
        .await
        .unwrap();
    let first_tokens = app.login_user(&first).await;
    app.post_auth(
        &format!("/v1/admin/users/{first_id}/disable"),
        &first_tokens.access,
        None,
    )
    .await
    .assert_problem(409, "conflict");
    app.request(
        "PUT",
        &format!("/v1/admin/users/{first_id}/roles"),
        Some(&first_tokens.access),
        Some(&json!({"roles": ["editor"]})),
        &[],
    )
    .await
    .assert_problem(409, "conflict");
}

// --- Medium 5: lockout under parallel guesses ----------------------------

/// Before: all 25 parallel wrong guesses were verified (25 × 401).
#[actix_web::test]
async fn parallel_wrong_passwords_never_outrun_the_lockout() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let answers = join_all((0..25).map(|_| app.login(&user.email, "wrong-Password-1"))).await;
    let verified = answers.iter().filter(|r| r.status == 401).count();
    // Refused before bcrypt: locked, or (while the threshold's worth is
    // still being checked) told to retry in a moment.
    let refused = answers
        .iter()
        .filter(|r| {
            (r.status == 429 && r.code() == "account_locked")
                || (r.status == 503 && r.code() == "service_unavailable")
        })
        .count();
    assert!(verified <= 5, "{verified} wrong passwords were verified");
    assert_eq!(verified + refused, 25);
    app.login(&user.email, &user.password)
        .await
        .assert_problem(429, "account_locked");
}

/// Checks that never ran (the bcrypt queue full) do not count toward the
/// lockout: five refused logins, then the right password still works.
#[actix_web::test]
async fn password_checks_that_never_ran_do_not_lock_the_account() {
    let app = spawn_app_with(&[
        ("AUTH_BCRYPT_QUEUE", "1"),
        ("AUTH_RATE_LIMITS", "false"),
        ("AUTH_BCRYPT_COST", "12"),
    ])
    .await;
    let user = app.verified_user().await;
    // Re-hash at the server's cost so each check takes a while.
    slow_hash(&app, &user.email, &user.password, 12).await;
    for _ in 0..3 {
        let answers = join_all((0..4).map(|_| app.login(&user.email, "wrong-Password-1"))).await;
        assert!(
            answers.iter().any(|r| r.status == 503),
            "the queue of one was full"
        );
        // Let the one admitted check finish before the next round.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Three wrong passwords were checked; the nine refused ones were not.
    assert_eq!(
        app.login_user(&user).await.body["user"]["email"],
        user.email
    );
}

// --- Medium 6: password checks behind a token, and the bcrypt queue ------

/// Before: wrong current passwords could be tried without limit.
#[actix_web::test]
async fn password_checks_behind_a_token_count_toward_the_lockout() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    for _ in 0..3 {
        app.post_auth(
            "/v1/auth/password/change",
            &tokens.access,
            Some(json!({"current_password": "wrong-Password-1", "new_password": NEW_PASSWORD})),
        )
        .await
        .assert_problem(401, "invalid_credentials");
    }
    for _ in 0..2 {
        app.request(
            "DELETE",
            "/v1/me",
            Some(&tokens.access),
            Some(&json!({"password": "wrong-Password-1"})),
            &[],
        )
        .await
        .assert_problem(401, "invalid_credentials");
    }
    app.request(
        "DELETE",
        "/v1/me",
        Some(&tokens.access),
        Some(&json!({"password": user.password})),
        &[],
    )
    .await
    .assert_problem(429, "account_locked");
    app.login(&user.email, &user.password)
        .await
        .assert_problem(429, "account_locked");
}

#[actix_web::test]
async fn password_checks_are_limited_per_session() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_PASSWORD_PER_SESSION", "2/1h"),
        ("AUTH_LOCKOUT_THRESHOLD", "50"),
    ])
    .await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let attempt = || {
        app.post_auth(
            "/v1/auth/password/change",
            &tokens.access,
            Some(json!({"current_password": "wrong-Password-1", "new_password": NEW_PASSWORD})),
        )
    };
    attempt().await.assert_problem(401, "invalid_credentials");
    attempt().await.assert_problem(401, "invalid_credentials");
    let limited = attempt().await;
    limited.assert_problem(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    // Another session of the same user has its own budget.
    let other = app.login_user(&user).await;
    app.post_auth(
        "/v1/auth/password/change",
        &other.access,
        Some(json!({"current_password": "wrong-Password-1", "new_password": NEW_PASSWORD})),
    )
    .await
    .assert_problem(401, "invalid_credentials");
}

/// Before: every request queued behind bcrypt for as long as it took.
#[actix_web::test]
async fn a_full_bcrypt_queue_answers_503_with_retry_after_at_once() {
    let app = spawn_app_with(&[
        ("AUTH_BCRYPT_COST", "12"),
        ("AUTH_BCRYPT_QUEUE", "2"),
        ("AUTH_RATE_LIMITS", "false"),
    ])
    .await;
    let emails: Vec<String> = (0..8).map(|i| format!("nobody{i}@example.com")).collect();
    let answers = join_all(emails.iter().map(|email| app.login(email, "x"))).await;
    let busy: Vec<_> = answers.iter().filter(|r| r.status == 503).collect();
    assert!(
        !busy.is_empty() && busy.len() <= 6,
        "{:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for response in &busy {
        response.assert_problem(503, "service_unavailable");
        assert_eq!(response.header("retry-after").as_deref(), Some("1"));
    }
    assert!(answers.iter().all(|r| r.status == 503 || r.status == 401));
}

#[actix_web::test]
async fn one_client_cannot_take_more_than_its_share_of_bcrypt() {
    let app = spawn_app_with(&[
        ("AUTH_BCRYPT_COST", "12"),
        ("AUTH_BCRYPT_QUEUE", "8"),
        ("AUTH_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("AUTH_RATE_LOGIN_PER_IP", "1000/1h"),
    ])
    .await;
    let from = |ip: &'static str, i: usize| {
        let app = &app;
        async move {
            app.request(
                "POST",
                "/v1/auth/login",
                None,
                Some(&json!({"email": format!("n{i}@example.com"), "password": "x"})),
                &[("X-Forwarded-For", ip)],
            )
            .await
        }
    };
    let greedy = join_all((0..6).map(|i| from("203.0.113.7", i)));
    let polite = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        from("198.51.100.9", 99).await
    };
    let (greedy, polite) = tokio::join!(greedy, polite);
    let refused = greedy.iter().filter(|r| r.status == 503).count();
    assert!(refused >= 4, "a share is 2 of 8: {refused} refused");
    polite.assert_problem(401, "invalid_credentials");
}

// --- Medium 7: one client-IP header --------------------------------------

/// Before: the client's own `Forwarded` header won over the proxy's
/// `X-Forwarded-For`, so each guess came from a new "IP".
#[actix_web::test]
async fn a_clients_own_forwarded_header_does_not_escape_per_ip_limits() {
    let app = spawn_app_with(&[
        ("AUTH_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("AUTH_RATE_LOGIN_PER_IP", "2/1h"),
    ])
    .await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let forged = format!("for=192.0.2.{i}");
        let response = app
            .request(
                "POST",
                "/v1/auth/login",
                None,
                Some(&json!({"email": "x@example.com", "password": "x"})),
                &[("Forwarded", &forged), ("X-Forwarded-For", "203.0.113.5")],
            )
            .await;
        statuses.push(response.status);
        if i == 2 {
            response.assert_problem(429, "rate_limited");
        }
    }
    assert_eq!(statuses, vec![401, 401, 429]);
}

#[actix_web::test]
async fn with_forwarded_configured_x_forwarded_for_is_ignored() {
    let app = spawn_app_with(&[
        ("AUTH_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("AUTH_CLIENT_IP_HEADER", "forwarded"),
        ("AUTH_RATE_LOGIN_PER_IP", "2/1h"),
    ])
    .await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let forged = format!("192.0.2.{i}");
        let response = app
            .request(
                "POST",
                "/v1/auth/login",
                None,
                Some(&json!({"email": "x@example.com", "password": "x"})),
                &[
                    ("X-Forwarded-For", &forged),
                    ("Forwarded", "for=203.0.113.5"),
                ],
            )
            .await;
        statuses.push(response.status);
    }
    assert_eq!(statuses, vec![401, 401, 429]);
}

// --- Medium 8: bounded metric labels -------------------------------------

/// Before: every made-up method became a label value of its own.
#[actix_web::test]
async fn made_up_methods_do_not_grow_the_metrics() {
    let app = spawn_app().await;
    for i in 0..20 {
        let response = app
            .request(&format!("BOGUS{i}"), "/v1/me", None, None, &[])
            .await;
        assert!(response.status == 405 || response.status == 404);
    }
    let metrics = String::from_utf8(app.get("/metrics", None).await.body).unwrap();
    assert!(!metrics.contains("BOGUS"), "{metrics}");
    assert!(metrics.contains("method=\"other\""), "{metrics}");
}

// --- Low 9: a deleted account after a restart ----------------------------

/// Before: after a restart on the in-process store nothing remembered the
/// deleted account's sessions, and its access token worked again.
#[actix_web::test]
async fn a_deleted_accounts_token_stays_dead_after_a_restart() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let deleted = app
        .request(
            "DELETE",
            "/v1/me",
            Some(&tokens.access),
            Some(&json!({"password": user.password})),
            &[],
        )
        .await;
    assert_eq!(deleted.status, 204);
    app.stop().await;
    let restarted = spawn_sibling(&app, &[]).await;
    restarted
        .get("/v1/auth/sessions", Some(&tokens.access))
        .await
        .assert_problem(401, "unauthorized");
    restarted
        .post_auth("/v1/auth/logout", &tokens.access, None)
        .await
        .assert_problem(401, "unauthorized");
    // The address can register again and the new account works.
    assert_eq!(restarted.register(&user.email, PASSWORD).await.status, 202);
}

// --- Low 10: files authd creates are private -----------------------------

fn mode_of(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Before: the database and every `.eml` file were 0644.
#[actix_web::test]
async fn files_authd_creates_are_readable_by_its_owner_only() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    assert_eq!(
        app.login_user(&user).await.body["user"]["email"],
        user.email
    );
    let outbox = app.outbox_dir();
    assert_eq!(mode_of(&outbox), 0o700);
    let mails: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!mails.is_empty());
    for mail in mails {
        assert_eq!(mode_of(&mail), 0o600, "{}", mail.display());
    }
    assert_eq!(mode_of(&app.key_file()), 0o600);
    if !app.is_postgres() {
        let db = app.vars["DATABASE_URL"].trim_start_matches("sqlite://");
        assert_eq!(mode_of(std::path::Path::new(db)), 0o600);
    }
}

// --- Low 11: email look-alikes -------------------------------------------

/// Before: full-width letters and a trailing zero-width space made accounts
/// of their own.
#[actix_web::test]
async fn email_look_alikes_cannot_make_separate_accounts() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let (local, domain) = user.email.split_once('@').unwrap();
    // Full-width letters normalise to the same address: the owner is told
    // the account exists, no second account appears.
    let full_width: String = local
        .chars()
        .map(|c| {
            char::from_u32(c as u32 + 0xFEE0)
                .filter(|_| c.is_ascii_alphanumeric())
                .unwrap_or(c)
        })
        .collect();
    assert_eq!(
        app.register(&format!("{full_width}@{domain}"), PASSWORD)
            .await
            .status,
        202
    );
    let mail = app.mail_to(&user.email).await;
    assert!(
        !mail.raw.contains("token="),
        "an account-exists mail: {}",
        mail.raw
    );
    assert_eq!(
        app.login(&format!("{full_width}@{domain}"), &user.password)
            .await
            .status,
        200
    );

    for bad in [
        format!("{}\u{200B}", user.email),
        format!("a\u{202E}b@{domain}"),
        "ada@[127.0.0.1]".to_owned(),
        "ada@127.0.0.1".to_owned(),
    ] {
        let response = app.register(&bad, PASSWORD).await;
        response.assert_problem(422, "validation_failed");
        assert!(response.json()["errors"]["email"].is_array(), "{bad:?}");
    }

    // An IDN domain is stored in its ASCII form: both spellings are one.
    assert_eq!(
        app.register("ada@bücher.example", PASSWORD).await.status,
        202
    );
    let mail = app.mail_to("ada@xn--bcher-kva.example").await;
    let verified = app
        .post("/v1/auth/verify-email", json!({"token": mail.token()}))
        .await;
    assert_eq!(verified.json()["email"], "ada@xn--bcher-kva.example");
    assert_eq!(
        app.login("ada@xn--bcher-kva.example", PASSWORD)
            .await
            .status,
        200
    );
}

// --- Low 12: .env only from the working directory ------------------------

/// Before: a `.env` in a parent directory (a writable `/tmp`) was read.
#[actix_web::test]
async fn dot_env_is_read_from_the_working_directory_only() {
    let parent = tempfile::tempdir().unwrap();
    std::fs::write(parent.path().join(".env"), "AUTH_JWT_ALG=bogus\n").unwrap();
    let child = parent.path().join("work");
    std::fs::create_dir(&child).unwrap();
    let run = |dir: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_authd"))
            .env_clear()
            .current_dir(dir)
            .arg("openapi")
            .output()
            .unwrap()
    };
    let out = run(&child);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The control: the working directory's own .env is read.
    let out = run(parent.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AUTH_JWT_ALG"));
}

// --- Also ------------------------------------------------------------------

/// Before: a verifier that checked signature, issuer and audience but not
/// `typ` accepted a 30-day refresh token as an access token.
#[actix_web::test]
async fn a_careless_verifier_does_not_accept_a_refresh_token_as_access() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_slice(&app.get("/.well-known/jwks.json", None).await.body).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwks.keys[0]).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_audience(&["authd"]);
    validation.set_issuer(&["http://localhost:8080"]);
    assert!(jsonwebtoken::decode::<Value>(&tokens.access, &key, &validation).is_ok());
    assert!(jsonwebtoken::decode::<Value>(&tokens.refresh, &key, &validation).is_err());
}

/// Before: every refresh extended the session, forever.
#[actix_web::test]
async fn a_session_ends_at_its_absolute_lifetime_however_often_refreshed() {
    let app = spawn_app_with(&[("AUTH_SESSION_MAX_AGE", "3600")]).await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    // The session's start moves back instead of the test waiting for it:
    // 100 s of its hour left, then none.
    let sid = crate::helpers::session_of(&tokens.access);
    app.backdate_session(&sid, crate::helpers::SessionClock::Started, 3500)
        .await;
    let refreshed = app.refresh(&tokens.refresh).await;
    assert_eq!(refreshed.status, 200);
    // The new pair lives no longer than the session.
    let left = refreshed.json()["refresh_expires_in"].as_i64().unwrap();
    assert!((90..=100).contains(&left), "refresh_expires_in {left}");
    app.backdate_session(&sid, crate::helpers::SessionClock::Started, 3601)
        .await;
    app.refresh(refreshed.json()["refresh_token"].as_str().unwrap())
        .await
        .assert_problem(401, "token_expired");
}

/// Before: a bidi override made a name read backwards.
#[actix_web::test]
async fn display_names_refuse_bidi_overrides_and_invisible_characters() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    for bad in ["evil\u{202E}gnp.exe", "zero\u{200B}width", "tag\u{E0041}"] {
        let response = app
            .request(
                "PATCH",
                "/v1/me",
                Some(&tokens.access),
                Some(&json!({"display_name": bad})),
                &[],
            )
            .await;
        response.assert_problem(422, "validation_failed");
        assert!(response.json()["errors"]["display_name"].is_array());
        let registered = app
            .post(
                "/v1/auth/register",
                json!({"email": unique_email("name"), "password": PASSWORD, "display_name": bad}),
            )
            .await;
        registered.assert_problem(422, "validation_failed");
    }
    let ok = app
        .request(
            "PATCH",
            "/v1/me",
            Some(&tokens.access),
            Some(&json!({"display_name": "Zoë عربي 李"})),
            &[],
        )
        .await;
    assert_eq!(ok.status, 200);
}
