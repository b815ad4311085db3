//! ASVS 7.1.2 / 7.4.5: the concurrent-session limit and an admin's view of
//! one user's sessions. Every revocation stops access and refresh tokens at
//! once.

use serde_json::Value;

use crate::helpers::{TestApp, Tokens, spawn_app, spawn_app_with};

async fn user_id_of(app: &TestApp, tokens: &Tokens) -> String {
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    me.assert_status(200);
    me.json()["id"].as_str().expect("id").to_owned()
}

fn session_ids(list: &Value) -> Vec<String> {
    list["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect()
}

fn sid_of(app: &TestApp, tokens: &Tokens) -> String {
    app.state
        .tokens
        .verify_access(&tokens.access)
        .expect("access token")
        .sid
        .clone()
}

async fn assert_dead(app: &TestApp, tokens: &Tokens) {
    app.get("/v1/me", Some(&tokens.access))
        .await
        .assert_problem(401, "unauthorized");
    app.refresh(&tokens.refresh)
        .await
        .assert_problem(401, "session_revoked");
}

#[actix_web::test]
async fn an_admin_lists_and_revokes_one_session_of_a_user() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    let first = app.login_user(&user).await;
    let second = app.login_user(&user).await;
    let id = user_id_of(&app, &first).await;
    let path = format!("/v1/admin/users/{id}/sessions");

    let list = app.get(&path, Some(&admin.access)).await;
    list.assert_status(200);
    let body = list.json();
    assert_eq!(
        session_ids(&body),
        vec![sid_of(&app, &second), sid_of(&app, &first)]
    );
    assert_eq!(body["sessions"][0]["current"], false);
    assert!(body["sessions"][0]["created_at"].is_string());

    // A user without users:write sees nothing.
    app.get(&path, Some(&first.access))
        .await
        .assert_problem(403, "forbidden");
    app.request("DELETE", &path, Some(&first.access), None, &[])
        .await
        .assert_problem(403, "forbidden");

    // The admin's own session is not this user's: 404, and it lives on.
    let admin_sid = sid_of(&app, &admin);
    app.request(
        "DELETE",
        &format!("{path}/{admin_sid}"),
        Some(&admin.access),
        None,
        &[],
    )
    .await
    .assert_problem(404, "not_found");
    assert_eq!(app.get("/v1/me", Some(&admin.access)).await.status, 200);

    let one = format!("{path}/{}", sid_of(&app, &first));
    app.request("DELETE", &one, Some(&admin.access), None, &[])
        .await
        .assert_status(204);
    assert_dead(&app, &first).await;
    assert_eq!(app.get("/v1/me", Some(&second.access)).await.status, 200);
    // Already revoked: gone.
    app.request("DELETE", &one, Some(&admin.access), None, &[])
        .await
        .assert_problem(404, "not_found");
    let after = app.get(&path, Some(&admin.access)).await.json();
    assert_eq!(session_ids(&after), vec![sid_of(&app, &second)]);

    let unknown = format!("/v1/admin/users/{}/sessions", uuid::Uuid::new_v4());
    app.get(&unknown, Some(&admin.access))
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn an_admin_revokes_every_session_of_a_user_at_once() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    let other = app.verified_user().await;
    let sessions = vec![app.login_user(&user).await, app.login_user(&user).await];
    let bystander = app.login_user(&other).await;
    let id = user_id_of(&app, &sessions[0]).await;
    let path = format!("/v1/admin/users/{id}/sessions");

    app.request("DELETE", &path, Some(&admin.access), None, &[])
        .await
        .assert_status(204);
    for s in &sessions {
        assert_dead(&app, s).await;
    }
    let list = app.get(&path, Some(&admin.access)).await.json();
    assert!(session_ids(&list).is_empty());
    assert_eq!(app.get("/v1/me", Some(&bystander.access)).await.status, 200);
    assert_eq!(app.get("/v1/me", Some(&admin.access)).await.status, 200);
    // The user can log in again at once.
    let fresh = app.login_user(&user).await;
    assert_eq!(app.get("/v1/me", Some(&fresh.access)).await.status, 200);
}

#[actix_web::test]
async fn a_login_past_the_session_limit_ends_the_oldest_session() {
    let app = spawn_app_with(&[("AUTH_MAX_SESSIONS_PER_USER", "2")]).await;
    let user = app.verified_user().await;
    let first = app.login_user(&user).await;
    let second = app.login_user(&user).await;
    assert_eq!(app.get("/v1/me", Some(&first.access)).await.status, 200);
    let third = app.login_user(&user).await;

    assert_dead(&app, &first).await;
    for live in [&second, &third] {
        assert_eq!(app.get("/v1/me", Some(&live.access)).await.status, 200);
    }
    let list = app.get("/v1/auth/sessions", Some(&third.access)).await;
    assert_eq!(
        session_ids(&list.json()),
        vec![sid_of(&app, &third), sid_of(&app, &second)]
    );
    // Another user's sessions do not count.
    let other = app.verified_user().await;
    let theirs = app.login_user(&other).await;
    assert_eq!(app.get("/v1/me", Some(&second.access)).await.status, 200);
    assert_eq!(app.get("/v1/me", Some(&theirs.access)).await.status, 200);
}

#[actix_web::test]
async fn racing_logins_never_exceed_the_session_limit() {
    // The lockout admits at most its threshold of password checks per
    // email at once (more answer 503): raise it above the six logins.
    let app = spawn_app_with(&[
        ("AUTH_MAX_SESSIONS_PER_USER", "1"),
        ("AUTH_LOCKOUT_THRESHOLD", "10"),
    ])
    .await;
    let user = app.verified_user().await;
    let logins: Vec<Tokens> =
        futures_util::future::join_all((0..6).map(|_| app.login_user(&user))).await;
    let mut live = Vec::new();
    for tokens in &logins {
        if app.get("/v1/me", Some(&tokens.access)).await.status == 200 {
            live.push(tokens);
        }
    }
    assert_eq!(live.len(), 1, "exactly one session survives");
    let id = user_id_of(&app, live[0]).await;
    let active = authd::auth::session::list_active(&app.state.db, &id)
        .await
        .expect("list");
    assert_eq!(active.len(), 1);
}

#[actix_web::test]
async fn unlimited_sessions_by_default() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let logins: Vec<Tokens> =
        futures_util::future::join_all((0..4).map(|_| app.login_user(&user))).await;
    for tokens in &logins {
        assert_eq!(app.get("/v1/me", Some(&tokens.access)).await.status, 200);
    }
}
