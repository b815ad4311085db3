use serde_json::json;

use crate::helpers::{Tokens, spawn_app};

#[actix_web::test]
async fn sessions_lists_the_active_ones_with_ip_user_agent_and_current() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let first = app.login_user(&user).await;
    let response = app
        .request(
            "POST",
            "/v1/auth/login",
            None,
            Some(&json!({"email": user.email, "password": user.password})),
            &[("User-Agent", "test-phone/1.0")],
        )
        .await;
    let second = response.json();
    let list = app.get("/v1/auth/sessions", Some(&first.access)).await;
    assert_eq!(list.status, 200);
    let sessions = list.json()["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2);
    let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    let phone = sessions
        .iter()
        .find(|s| s["user_agent"] == "test-phone/1.0")
        .expect("phone session");
    assert_eq!(phone["current"], false);
    assert_eq!(phone["ip"], "127.0.0.1");
    assert!(phone["created_at"].is_string() && phone["last_used_at"].is_string());

    // Revoke the phone from the first session.
    let id = phone["id"].as_str().unwrap();
    let revoked = app
        .request(
            "DELETE",
            &format!("/v1/auth/sessions/{id}"),
            Some(&first.access),
            None,
            &[],
        )
        .await;
    assert_eq!(revoked.status, 204);
    app.get("/v1/me", second["access_token"].as_str())
        .await
        .assert_problem(401, "unauthorized");
    let list = app
        .get("/v1/auth/sessions", Some(&first.access))
        .await
        .json();
    assert_eq!(list["sessions"].as_array().unwrap().len(), 1);
    // Revoking it again: it is no longer an active session.
    app.request(
        "DELETE",
        &format!("/v1/auth/sessions/{id}"),
        Some(&first.access),
        None,
        &[],
    )
    .await
    .assert_problem(404, "not_found");
}

/// A refresh extends the session's row by a refresh lifetime: the session
/// is still listed (and still counts toward the session limit) after it,
/// and after the next one.
#[actix_web::test]
async fn a_refreshed_session_stays_listed_as_the_current_one() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let mut tokens = app.login_user(&user).await;
    for _ in 0..2 {
        tokens = Tokens::of(&app.refresh(&tokens.refresh).await);
        let list = app.get("/v1/auth/sessions", Some(&tokens.access)).await;
        list.assert_status(200);
        let sessions = list.json()["sessions"].as_array().unwrap().clone();
        assert_eq!(sessions.len(), 1, "{sessions:?}");
        assert_eq!(sessions[0]["current"], true);
    }
}

#[actix_web::test]
async fn another_users_session_cannot_be_revoked() {
    let app = spawn_app().await;
    let alice = app.verified_user().await;
    let bob = app.verified_user().await;
    let alice_tokens = app.login_user(&alice).await;
    let bob_tokens = app.login_user(&bob).await;
    let bob_sessions = app
        .get("/v1/auth/sessions", Some(&bob_tokens.access))
        .await
        .json();
    let bob_session = bob_sessions["sessions"][0]["id"].as_str().unwrap();
    app.request(
        "DELETE",
        &format!("/v1/auth/sessions/{bob_session}"),
        Some(&alice_tokens.access),
        None,
        &[],
    )
    .await
    .assert_problem(404, "not_found");
    assert_eq!(
        app.get("/v1/me", Some(&bob_tokens.access)).await.status,
        200
    );
}

#[actix_web::test]
async fn logout_revokes_only_the_current_session() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let a = app.login_user(&user).await;
    let b = app.login_user(&user).await;
    assert_eq!(
        app.post_auth("/v1/auth/logout", &a.access, None)
            .await
            .status,
        204
    );
    app.get("/v1/me", Some(&a.access))
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(app.get("/v1/me", Some(&b.access)).await.status, 200);
    app.post_auth("/v1/auth/logout", &a.access, None)
        .await
        .assert_problem(401, "unauthorized");
    app.request("POST", "/v1/auth/logout", None, None, &[])
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn logout_all_kills_every_sessions_tokens() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let sessions: Vec<_> =
        futures_util::future::join_all((0..3).map(|_| app.login_user(&user))).await;
    let other = app.verified_user().await;
    let other_tokens = app.login_user(&other).await;
    assert_eq!(
        app.post_auth("/v1/auth/logout-all", &sessions[0].access, None)
            .await
            .status,
        204
    );
    for s in &sessions {
        app.get("/v1/me", Some(&s.access))
            .await
            .assert_problem(401, "unauthorized");
        app.refresh(&s.refresh)
            .await
            .assert_problem(401, "session_revoked");
    }
    assert_eq!(
        app.get("/v1/me", Some(&other_tokens.access)).await.status,
        200
    );
    // A new login works at once.
    let fresh = app.login_user(&user).await;
    assert_eq!(app.get("/v1/me", Some(&fresh.access)).await.status, 200);
}
