//! The user cache behind `/v1/me` and refresh (`db::user_cache`): a change
//! shows at once, on the instance that made it and on every other one
//! sharing the store.

use serde_json::json;

use crate::helpers::{TestApp, Tokens, spawn_app, spawn_sibling};

async fn me(app: &TestApp, access: &str) -> serde_json::Value {
    let me = app.get("/v1/me", Some(access)).await;
    assert_eq!(me.status, 200, "{}", String::from_utf8_lossy(&me.body));
    me.json()
}

async fn set_roles(app: &TestApp, admin: &str, id: &str, roles: serde_json::Value) {
    let set = app
        .request(
            "PUT",
            &format!("/v1/admin/users/{id}/roles"),
            Some(admin),
            Some(&json!({ "roles": roles })),
            &[],
        )
        .await;
    assert_eq!(set.status, 200, "{}", String::from_utf8_lossy(&set.body));
}

/// A user, logged in on `reader` and cached there (read twice), and their id.
async fn cached_user(reader: &TestApp) -> (Tokens, String) {
    let user = reader.verified_user().await;
    let tokens = reader.login_user(&user).await;
    let id = me(reader, &tokens.access).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(me(reader, &tokens.access).await["roles"], json!(["viewer"]));
    (tokens, id)
}

/// Changes the user through `writer` (a role, then the display name, then
/// a role again) and checks that `reader` shows each change at once, and
/// that a refresh on `reader` carries the last roles.
async fn changes_show_at_once(writer: &TestApp, reader: &TestApp, admin: &Tokens) {
    let (tokens, id) = cached_user(reader).await;
    set_roles(writer, &admin.access, &id, json!(["editor"])).await;
    assert_eq!(me(reader, &tokens.access).await["roles"], json!(["editor"]));

    let renamed = writer
        .request(
            "PATCH",
            "/v1/me",
            Some(&tokens.access),
            Some(&json!({"display_name": "Ada"})),
            &[],
        )
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(me(reader, &tokens.access).await["display_name"], "Ada");

    set_roles(writer, &admin.access, &id, json!(["viewer", "editor"])).await;
    let pair = reader.refresh(&tokens.refresh).await;
    assert_eq!(pair.status, 200);
    let access = pair.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        crate::tokens::claims_of(&access)["roles"],
        json!(["editor", "viewer"])
    );
    assert_eq!(
        me(reader, &access).await["roles"],
        json!(["editor", "viewer"])
    );
}

#[actix_web::test]
async fn me_shows_every_change_at_once() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    changes_show_at_once(&app, &app, &admin).await;

    // A change written straight to the database through the server's own
    // pool (as a use case does) is seen too.
    let (tokens, id) = cached_user(&app).await;
    app.state
        .db
        .run(move |conn| {
            authd::db::users::set_display_name(conn, &id, Some("Grace"), authd::db::now())?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(me(&app, &tokens.access).await["display_name"], "Grace");
}

#[actix_web::test]
async fn an_instance_never_serves_a_user_as_they_were_before_another_changed_them() {
    let a = spawn_app().await;
    if a.state.store.kind() != "redis" {
        // Instances share changes through Redis; the in-process store is
        // for one instance (this runs in the PostgreSQL + Redis pass).
        eprintln!("skipped: needs TEST_REDIS_URL (instances share a store only through Redis)");
        return;
    }
    let b = spawn_sibling(&a, &[]).await;
    let (_, admin) = b.admin().await;
    // Cached on A, changed through B.
    changes_show_at_once(&b, &a, &admin).await;
}
