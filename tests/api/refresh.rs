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
    // README (Tokens, refresh rotation): a disabled user gets 403
    // `account_disabled`, though disabling also revoked the session.
    app.refresh(&tokens.refresh)
        .await
        .assert_problem(403, "account_disabled");
    // Enabling does not bring the revoked session back.
    assert_eq!(
        app.post_auth(&format!("/v1/admin/users/{id}/enable"), &admin.access, None)
            .await
            .status,
        200
    );
    app.refresh(&tokens.refresh)
        .await
        .assert_problem(401, "session_revoked");
}

/// The store remembers a revocation only as long as an access token lives
/// (`revocation::remembered_for`); a refresh token lives on, and the
/// session row refuses it after that: a restart reloads nothing older, and
/// the logged-out session stays logged out.
#[actix_web::test]
async fn a_revocation_the_store_no_longer_holds_still_refuses_its_refresh_token() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    app.post_auth("/v1/auth/logout", &session.access, None)
        .await
        .assert_status(204);
    let sid = crate::helpers::session_of(&session.access);
    let long_ago = (chrono::Utc::now() - chrono::Duration::minutes(30)).naive_utc();
    app.state
        .db
        .run(move |conn| {
            use authd::db::schema::sessions;
            use diesel::prelude::*;
            diesel::update(sessions::table.find(sid))
                .set(sessions::revoked_at.eq(Some(long_ago)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    app.stop().await;
    let mut extra = Vec::new();
    if app.is_redis() {
        extra.push((
            "AUTH_REDIS_PREFIX",
            format!("{}later:", app.vars["AUTH_REDIS_PREFIX"]),
        ));
    }
    let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let restarted = spawn_sibling(&app, &extra).await;
    restarted
        .refresh(&session.refresh)
        .await
        .assert_problem(401, "session_revoked");
}

#[actix_web::test]
async fn revocations_survive_a_restart() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let logged_out = app.login_user(&user).await;
    let rotated = app.login_user(&user).await;
    let untouched = app.login_user(&user).await;
    assert_eq!(
        app.post_auth("/v1/auth/logout", &logged_out.access, None)
            .await
            .status,
        204
    );
    let successor = app.refresh(&rotated.refresh).await.json();

    // Log out everywhere for a second user; a session started after that
    // must keep working (the user's "tokens valid after" time is restored,
    // not "everything of this user is dead").
    let other = app.verified_user().await;
    let before_all = app.login_user(&other).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        app.post_auth("/v1/auth/logout-all", &before_all.access, None)
            .await
            .status,
        204
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after_all = app.login_user(&other).await;
    app.stop().await;

    // A new process on the same database, with an empty store: the
    // in-process store always starts empty; with Redis the restarted server
    // uses a fresh key prefix (under the test's own, so it is cleaned up),
    // as after a Redis flush or failover, so the reload path has to run.
    let mut extra = vec![("AUTH_REFRESH_REUSE_GRACE", "0".to_owned())];
    if app.is_redis() {
        let prefix = format!("{}restarted:", app.vars["AUTH_REDIS_PREFIX"]);
        extra.push(("AUTH_REDIS_PREFIX", prefix));
    }
    let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let restarted = spawn_sibling(&app, &extra).await;

    restarted
        .get("/v1/me", Some(&logged_out.access))
        .await
        .assert_problem(401, "unauthorized");
    restarted
        .refresh(&logged_out.refresh)
        .await
        .assert_problem(401, "session_revoked");
    restarted
        .get("/v1/me", Some(&before_all.access))
        .await
        .assert_problem(401, "unauthorized");
    restarted
        .refresh(&before_all.refresh)
        .await
        .assert_problem(401, "session_revoked");
    // The positive controls: sessions nobody touched still work.
    assert_eq!(
        restarted
            .get("/v1/me", Some(&after_all.access))
            .await
            .status,
        200
    );
    assert_eq!(
        restarted
            .get("/v1/me", Some(&untouched.access))
            .await
            .status,
        200
    );
    assert_eq!(restarted.refresh(&untouched.refresh).await.status, 200);
    assert_eq!(restarted.refresh(&after_all.refresh).await.status, 200);
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

#[actix_web::test]
async fn the_grace_window_covers_only_the_token_just_replaced() {
    // A → B → C well inside the 10 s window: A is two rotations back, so
    // presenting it is reuse, not a retry.
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let a = app.login_user(&user).await;
    let b = app.refresh(&a.refresh).await;
    assert_eq!(b.status, 200);
    let b = b.json();
    let c = app.refresh(b["refresh_token"].as_str().unwrap()).await;
    assert_eq!(c.status, 200);
    let c = c.json();
    app.refresh(&a.refresh)
        .await
        .assert_problem(401, "refresh_token_reused");
    // The reuse revoked the session: C is dead too.
    app.refresh(c["refresh_token"].as_str().unwrap())
        .await
        .assert_problem(401, "session_revoked");
    app.get("/v1/me", c["access_token"].as_str())
        .await
        .assert_problem(401, "unauthorized");
}

/// The `kid` in a JWT's header.
fn kid(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().unwrap();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn refresh_tokens_survive_key_rotation_while_the_old_key_is_listed_and_die_after() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let kept = app.login_user(&user).await;
    let dropped = app.login_user(&user).await;
    let old_key = app.key_file().display().to_string();
    let new_key = app
        .key_file()
        .with_file_name("jwt-ed25519-2.pem")
        .display()
        .to_string();
    app.stop().await;

    // The new key signs, the old one still verifies.
    let rotated = spawn_sibling(
        &app,
        &[
            ("AUTH_JWT_KEY_FILE", &new_key),
            ("AUTH_JWT_VERIFY_KEY_FILES", &old_key),
        ],
    )
    .await;
    let renewed = rotated.refresh(&kept.refresh).await;
    assert_eq!(
        renewed.status,
        200,
        "{}",
        String::from_utf8_lossy(&renewed.body)
    );
    let renewed = renewed.json();
    let new_refresh = renewed["refresh_token"].as_str().unwrap();
    assert_ne!(
        kid(new_refresh),
        kid(&kept.refresh),
        "signed by the new key"
    );
    let jwks = rotated.get("/.well-known/jwks.json", None).await.json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    rotated.stop().await;

    // The old key removed: its refresh tokens are refused, the new key's work.
    let after = spawn_sibling(&app, &[("AUTH_JWT_KEY_FILE", &new_key)]).await;
    after
        .refresh(&dropped.refresh)
        .await
        .assert_problem(401, "invalid_token");
    assert_eq!(after.refresh(new_refresh).await.status, 200);
}

#[actix_web::test]
async fn twelve_concurrent_refreshes_of_one_token_across_three_instances_share_one_successor() {
    let app = spawn_app().await;
    let b = spawn_sibling(&app, &[]).await;
    let c = spawn_sibling(&app, &[]).await;
    let servers = [&app, &b, &c];
    let user = app.verified_user().await;
    let first = app.login_user(&user).await;
    let responses = join_all((0..12).map(|i| servers[i % 3].refresh(&first.refresh))).await;
    for r in &responses {
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let pairs: Vec<_> = responses.iter().map(|r| r.json()).collect();
    for pair in &pairs[1..] {
        assert_eq!(pair["refresh_token"], pairs[0]["refresh_token"]);
        assert_eq!(pair["access_token"], pairs[0]["access_token"]);
    }
    let access = pairs[0]["access_token"].as_str().unwrap();
    let next = pairs[0]["refresh_token"].as_str().unwrap();
    for server in servers {
        assert_eq!(server.get("/v1/me", Some(access)).await.status, 200);
    }
    assert_eq!(c.refresh(next).await.status, 200);
}
