use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};

/// Every admin route with a body where it needs one.
fn admin_routes(id: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", "/v1/admin/users".into(), None),
        ("GET", format!("/v1/admin/users/{id}"), None),
        (
            "PUT",
            format!("/v1/admin/users/{id}/roles"),
            Some(json!({"roles": ["editor"]})),
        ),
        ("POST", format!("/v1/admin/users/{id}/disable"), None),
        ("POST", format!("/v1/admin/users/{id}/enable"), None),
        ("POST", format!("/v1/admin/users/{id}/unlock"), None),
        ("GET", "/v1/admin/roles".into(), None),
    ]
}

async fn user_id(app: &TestApp, access: &str) -> String {
    app.get("/v1/me", Some(access)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn anonymous_callers_and_viewers_are_refused_on_every_admin_route() {
    let app = spawn_app().await;
    let viewer = app.verified_user().await;
    let tokens = app.login_user(&viewer).await;
    let id = user_id(&app, &tokens.access).await;
    for (method, path, body) in admin_routes(&id) {
        app.request(method, &path, None, body.as_ref(), &[])
            .await
            .assert_problem(401, "unauthorized");
        app.request(method, &path, Some(&tokens.access), body.as_ref(), &[])
            .await
            .assert_problem(403, "forbidden");
    }
    // Nothing changed.
    let me = app.get("/v1/me", Some(&tokens.access)).await.json();
    assert_eq!(me["roles"], json!(["viewer"]));
    assert_eq!(me["disabled"], false);
}

#[actix_web::test]
async fn admins_read_users_and_roles() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let id = user_id(&app, &tokens.access).await;

    let one = app
        .get(&format!("/v1/admin/users/{id}"), Some(&admin.access))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["email"], user.email);
    app.get("/v1/admin/users/no-such-id", Some(&admin.access))
        .await
        .assert_problem(404, "not_found");

    let roles = app.get("/v1/admin/roles", Some(&admin.access)).await;
    assert_eq!(roles.status, 200);
    let roles = roles.json()["roles"].clone();
    let find = |name: &str| {
        roles
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(find("viewer")["permissions"], json!(["content:read"]));
    assert_eq!(
        find("editor")["permissions"],
        json!(["content:read", "content:write"])
    );
    let admin_permissions = find("admin")["permissions"].as_array().unwrap().len();
    assert_eq!(admin_permissions, 5);
}

#[actix_web::test]
async fn roles_can_be_set_and_unknown_roles_are_422() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let id = user_id(&app, &tokens.access).await;
    let path = format!("/v1/admin/users/{id}/roles");

    let set = app
        .request(
            "PUT",
            &path,
            Some(&admin.access),
            Some(&json!({"roles": ["editor", "viewer"]})),
            &[],
        )
        .await;
    assert_eq!(set.status, 200);
    assert_eq!(set.json()["roles"], json!(["editor", "viewer"]));

    let unknown = app
        .request(
            "PUT",
            &path,
            Some(&admin.access),
            Some(&json!({"roles": ["editor", "superuser"]})),
            &[],
        )
        .await;
    unknown.assert_problem(422, "validation_failed");
    assert!(
        unknown.json()["errors"]["roles"]
            .to_string()
            .contains("superuser")
    );
    let unchanged = app
        .get(&format!("/v1/admin/users/{id}"), Some(&admin.access))
        .await
        .json();
    assert_eq!(unchanged["roles"], json!(["editor", "viewer"]));
}

#[actix_web::test]
async fn disabling_kills_live_tokens_at_once_and_enabling_allows_login_again() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let id = user_id(&app, &tokens.access).await;

    let disabled = app
        .post_auth(
            &format!("/v1/admin/users/{id}/disable"),
            &admin.access,
            None,
        )
        .await;
    assert_eq!(disabled.status, 200);
    assert_eq!(disabled.json()["disabled"], true);
    app.get("/v1/me", Some(&tokens.access))
        .await
        .assert_problem(401, "unauthorized");
    app.refresh(&tokens.refresh)
        .await
        .assert_problem(403, "account_disabled");
    app.login(&user.email, &user.password)
        .await
        .assert_problem(403, "account_disabled");

    let enabled = app
        .post_auth(&format!("/v1/admin/users/{id}/enable"), &admin.access, None)
        .await;
    assert_eq!(enabled.status, 200);
    assert_eq!(enabled.json()["disabled"], false);
    let again = app.login_user(&user).await;
    assert_eq!(app.get("/v1/me", Some(&again.access)).await.status, 200);
}

#[actix_web::test]
async fn the_last_admin_cannot_demote_or_disable_themselves() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let id = user_id(&app, &admin.access).await;
    app.request(
        "PUT",
        &format!("/v1/admin/users/{id}/roles"),
        Some(&admin.access),
        Some(&json!({"roles": ["viewer"]})),
        &[],
    )
    .await
    .assert_problem(409, "conflict");
    app.post_auth(
        &format!("/v1/admin/users/{id}/disable"),
        &admin.access,
        None,
    )
    .await
    .assert_problem(409, "conflict");
    app.request(
        "DELETE",
        "/v1/me",
        Some(&admin.access),
        Some(&json!({"password": PASSWORD})),
        &[],
    )
    .await
    .assert_problem(409, "conflict");

    // With a second admin, the first may step down.
    let (_, second) = app.admin().await;
    let demoted = app
        .request(
            "PUT",
            &format!("/v1/admin/users/{id}/roles"),
            Some(&admin.access),
            Some(&json!({"roles": ["viewer"]})),
            &[],
        )
        .await;
    assert_eq!(demoted.status, 200);
    assert_eq!(demoted.json()["roles"], json!(["viewer"]));
    assert_eq!(
        app.get("/v1/admin/roles", Some(&second.access))
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn pagination_and_filters_over_120_users() {
    let app = spawn_app_with(&[("AUTH_RATE_LIMITS", "false")]).await;
    let (admin_user, admin) = app.admin().await;
    for i in 0..120 {
        let email = if i % 3 == 0 {
            format!("team-{i}@corp.example")
        } else {
            format!("person-{i}@mail.example")
        };
        assert_eq!(app.register(&email, PASSWORD).await.status, 202);
    }
    let page = |query: &'static str| {
        let app = &app;
        let token = admin.access.clone();
        async move {
            app.get(&format!("/v1/admin/users?{query}"), Some(&token))
                .await
        }
    };

    let first = page("page=1&per_page=50").await.json();
    assert_eq!(first["total"], 121);
    assert_eq!(first["page"], 1);
    assert_eq!(first["per_page"], 50);
    assert_eq!(first["users"].as_array().unwrap().len(), 50);
    let third = page("page=3&per_page=50").await.json();
    assert_eq!(third["users"].as_array().unwrap().len(), 21);
    let beyond = page("page=9&per_page=50").await.json();
    assert_eq!(beyond["users"].as_array().unwrap().len(), 0);

    // Pages do not overlap.
    let second = page("page=2&per_page=50").await.json();
    let ids = |p: &Value| {
        p["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].clone())
            .collect::<Vec<_>>()
    };
    assert!(ids(&first).iter().all(|id| !ids(&second).contains(id)));

    let capped = page("per_page=1000").await.json();
    assert_eq!(capped["per_page"], 100);
    assert_eq!(capped["users"].as_array().unwrap().len(), 100);

    let corp = page("email=CORP.example&per_page=100").await.json();
    assert_eq!(corp["total"], 40);
    assert!(
        corp["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["email"].as_str().unwrap().ends_with("@corp.example"))
    );

    let admins = page("role=admin").await.json();
    assert_eq!(admins["total"], 1);
    // person-1, person-10…19 and person-100…119, less the multiples of 3.
    let viewers = page("role=viewer&email=person-1&per_page=100").await.json();
    assert_eq!(viewers["total"], 22);
    assert_eq!(viewers["users"].as_array().unwrap().len(), 22);
    assert!(viewers["users"].as_array().unwrap().iter().all(|u| {
        u["roles"] == json!(["viewer"]) && u["email"].as_str().unwrap().contains("person-1")
    }));

    // Newest first: the pages, read in order, list the users from the last
    // registered back to the admin, who came first.
    let mut listed = Vec::new();
    for query in ["page=1&per_page=100", "page=2&per_page=100"] {
        for user in page(query).await.json()["users"].as_array().unwrap() {
            listed.push(user["email"].as_str().unwrap().to_owned());
        }
    }
    let mut expected: Vec<String> = (0..120)
        .rev()
        .map(|i| {
            if i % 3 == 0 {
                format!("team-{i}@corp.example")
            } else {
                format!("person-{i}@mail.example")
            }
        })
        .collect();
    expected.push(admin_user.email.clone());
    assert_eq!(listed, expected);

    let bad = app
        .get("/v1/admin/users?page=zero", Some(&admin.access))
        .await;
    bad.assert_problem(422, "validation_failed");
    let zero = app.get("/v1/admin/users?page=0", Some(&admin.access)).await;
    zero.assert_problem(422, "validation_failed");
}

async fn demote_self(server: &TestApp, id: &str, access: &str) -> crate::helpers::Response {
    server
        .request(
            "PUT",
            &format!("/v1/admin/users/{id}/roles"),
            Some(access),
            Some(&json!({"roles": ["viewer"]})),
            &[],
        )
        .await
}

#[actix_web::test]
async fn two_admins_demoting_themselves_at_once_leave_one_admin() {
    // On two instances of one database, so no in-process lock can help.
    let app = spawn_app().await;
    let other = crate::helpers::spawn_sibling(&app, &[]).await;
    for round in 0..3 {
        let (_, first) = app.admin().await;
        let (_, second) = app.admin().await;
        let first_id = user_id(&app, &first.access).await;
        let second_id = user_id(&app, &second.access).await;
        let (a, b) = futures_util::future::join(
            demote_self(&app, &first_id, &first.access),
            demote_self(&other, &second_id, &second.access),
        )
        .await;
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 409],
            "round {round}: exactly one steps down"
        );
        let (refused, still_admin) = if a.status == 409 {
            (&a, &first.access)
        } else {
            (&b, &second.access)
        };
        refused.assert_problem(409, "conflict");
        // Admin powers are read from the database: only the one who stayed
        // can still list users.
        let admins = app
            .get("/v1/admin/users?role=admin", Some(still_admin))
            .await;
        assert_eq!(admins.status, 200);
        assert_eq!(admins.json()["total"], 1, "round {round}");
        // Leave no admin behind for the next round's pair to lean on.
        let remaining = admins.json()["users"][0]["id"].as_str().unwrap().to_owned();
        app.state
            .db
            .run(move |conn| {
                authd::db::users::set_roles(conn, &remaining, &["viewer".to_owned()])?;
                Ok(())
            })
            .await
            .unwrap();
    }
}

#[actix_web::test]
async fn two_admins_disabling_themselves_at_once_leave_one_enabled_admin() {
    let app = spawn_app().await;
    let other = crate::helpers::spawn_sibling(&app, &[]).await;
    for round in 0..5 {
        let (_, first) = app.admin().await;
        let (_, second) = app.admin().await;
        let first_id = user_id(&app, &first.access).await;
        let second_id = user_id(&app, &second.access).await;
        let (a, b) = futures_util::future::join(
            app.post_auth(
                &format!("/v1/admin/users/{first_id}/disable"),
                &first.access,
                None,
            ),
            other.post_auth(
                &format!("/v1/admin/users/{second_id}/disable"),
                &second.access,
                None,
            ),
        )
        .await;
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 409],
            "round {round}: exactly one steps down"
        );
        let (refused, stayed) = if a.status == 409 {
            (&a, first_id)
        } else {
            (&b, second_id)
        };
        refused.assert_problem(409, "conflict");
        // The one left is an enabled admin; make them a viewer so the next
        // round starts again with exactly two enabled admins.
        app.state
            .db
            .run(move |conn| {
                let row = authd::db::users::find_by_id(conn, &stayed)?.expect("user");
                assert!(!row.disabled, "round {round}");
                authd::db::users::set_roles(conn, &stayed, &["viewer".to_owned()])?;
                Ok(())
            })
            .await
            .unwrap();
    }
}
