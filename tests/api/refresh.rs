use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, spawn_sibling};

#[actix_web::test]
async fn refresh_rotates_the_pair() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let first = app.login_user(&user).await;
    let response = app.refresh(&first.refresh).await;
    assert_eq!(response.status, 200);
    let second = response.json();
    assert_ne!(second["refresh_token"], first.body["refresh_token"]);
    assert_ne!(second["access_token"], first.body["access_token"]);
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(second["user"]["email"], user.email);
    assert_eq!(
        app.get("/v1/me", second["access_token"].as_str())
            .await
            .status,
        200
    );
    assert_eq!(
        app.refresh(second["refresh_token"].as_str().unwrap())
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn reusing_a_spent_refresh_token_after_the_grace_window_revokes_the_session() {
    let app = spawn_app_with(&[("AUTH_REFRESH_REUSE_GRACE", "1")]).await;
    let user = app.verified_user().await;
    let first = app.login_user(&user).await;
    let second = app.refresh(&first.refresh).await.json();
    let new_access = second["access_token"].as_str().unwrap();
    let new_refresh = second["refresh_token"].as_str().unwrap();

    tokio::time::sleep(Duration::from_millis(1300)).await;
    app.refresh(&first.refresh)
        .await
        .assert_problem(401, "refresh_token_reused");

    // Every token descended from that login is dead.
    app.get("/v1/me", Some(new_access))
        .await
        .assert_problem(401, "unauthorized");
    app.get("/v1/me", Some(&first.access))
        .await
        .assert_problem(401, "unauthorized");
    app.refresh(new_refresh)
        .await
        .assert_problem(401, "session_revoked");
    // Other sessions of the user are untouched.
    let other = app.login_user(&user).await;
    assert_eq!(app.get("/v1/me", Some(&other.access)).await.status, 200);
}

#[actix_web::test]
async fn within_the_grace_window_the_same_successor_pair_is_returned() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let first = app.login_user(&user).await;
    let a = app.refresh(&first.refresh).await;
    let b = app.refresh(&first.refresh).await;
    assert_eq!(a.status, 200);
    assert_eq!(b.status, 200);
    assert_eq!(a.json()["refresh_token"], b.json()["refresh_token"]);
    assert_eq!(a.json()["access_token"], b.json()["access_token"]);
}

#[actix_web::test]
async fn ten_concurrent_refreshes_of_one_token_share_one_successor_and_keep_the_session() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let first = app.login_user(&user).await;
    let responses = join_all((0..10).map(|_| app.refresh(&first.refresh))).await;
    for r in &responses {
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let pairs: Vec<_> = responses.iter().map(|r| r.json()).collect();
    for pair in &pairs[1..] {
        assert_eq!(pair["refresh_token"], pairs[0]["refresh_token"]);
        assert_eq!(pair["access_token"], pairs[0]["access_token"]);
    }
    let access = pairs[0]["access_token"].as_str().unwrap();
    assert_eq!(app.get("/v1/me", Some(access)).await.status, 200);
    assert_eq!(
        app.refresh(pairs[0]["refresh_token"].as_str().unwrap())
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn refresh_after_logout_is_refused() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    assert_eq!(
        app.post_auth("/v1/auth/logout", &tokens.access, None)
            .await
            .status,
        204
    );
    app.refresh(&tokens.refresh)
        .await
        .assert_problem(401, "session_revoked");
}

#[actix_web::test]
async fn refresh_rereads_roles_and_email_state() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let id = tokens.body["user"]["id"].as_str().unwrap().to_owned();
    let changed = app
        .request(
            "PUT",
            &format!("/v1/admin/users/{id}/roles"),
            Some(&admin.access),
            Some(&json!({"roles": ["editor"]})),
            &[],
        )
        .await;
    assert_eq!(changed.status, 200);
    let refreshed = app.refresh(&tokens.refresh).await.json();
    assert_eq!(refreshed["user"]["roles"], json!(["editor"]));
    let payload = refreshed["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["roles"], json!(["editor"]));
}

#[actix_web::test]
async fn refresh_of_a_disabled_account_is_refused() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let id = tokens.body["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.post_auth(
            &format!("/v1/admin/users/{id}/disable"),
            &admin.access,
            None
        )
        .await
        .status,
        200
    );
    let refused = app.refresh(&tokens.refresh).await;
    assert_eq!(
        refused.status,
        401,
        "{}",
        String::from_utf8_lossy(&refused.body)
    );
}

#[actix_web::test]
async fn revocations_survive_a_restart() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let logged_out = app.login_user(&user).await;
    let rotated = app.login_user(&user).await;
    assert_eq!(
        app.post_auth("/v1/auth/logout", &logged_out.access, None)
            .await
            .status,
        204
    );
    let successor = app.refresh(&rotated.refresh).await.json();
    app.stop().await;

    // A new process on the same database (and, on the in-process store, an
    // empty store restored from the session rows).
    let restarted = spawn_sibling(&app, &[("AUTH_REFRESH_REUSE_GRACE", "0")]).await;
    restarted
        .get("/v1/me", Some(&logged_out.access))
        .await
        .assert_problem(401, "unauthorized");
    restarted
        .refresh(&logged_out.refresh)
        .await
        .assert_problem(401, "session_revoked");
    // The spent refresh token stays spent: presenting it is reuse.
    restarted
        .refresh(&rotated.refresh)
        .await
        .assert_problem(401, "refresh_token_reused");
    restarted
        .refresh(successor["refresh_token"].as_str().unwrap())
        .await
        .assert_problem(401, "session_revoked");
}
