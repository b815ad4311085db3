use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, session_of, spawn_app, spawn_app_with, spawn_sibling};

/// The permission each admin operation needs (docs/API.md, Admin; README,
/// Roles). `each_admin_route_needs_exactly_its_permission` holds every
/// documented admin operation to this table, and this table to the server.
const ADMIN_PERMISSIONS: &[(&str, &str, &str)] = &[
    ("GET", "/v1/admin/users", "users:read"),
    ("GET", "/v1/admin/users/{id}", "users:read"),
    ("PUT", "/v1/admin/users/{id}/roles", "roles:assign"),
    ("POST", "/v1/admin/users/{id}/disable", "users:write"),
    ("POST", "/v1/admin/users/{id}/enable", "users:write"),
    ("POST", "/v1/admin/users/{id}/unlock", "users:write"),
    ("GET", "/v1/admin/users/{id}/sessions", "users:write"),
    ("DELETE", "/v1/admin/users/{id}/sessions", "users:write"),
    (
        "DELETE",
        "/v1/admin/users/{id}/sessions/{sid}",
        "users:write",
    ),
    ("DELETE", "/v1/admin/users/{id}/mfa", "users:write"),
    ("GET", "/v1/admin/users/{id}/mfa", "users:read"),
    ("GET", "/v1/admin/users/{id}/identities", "users:read"),
    ("GET", "/v1/admin/roles", "users:read"),
    ("GET", "/v1/admin/audit", "users:read"),
];

/// An admin operation as the route table (the generated OpenAPI document,
/// which `routes::configure` builds from the handlers) lists it, with the
/// example body of its request schema when it takes one.
struct AdminOperation {
    method: String,
    template: String,
    body: Option<Value>,
}

impl AdminOperation {
    /// The path with `{id}` and `{sid}` filled in.
    fn path(&self, id: &str, sid: &str) -> String {
        let path = self.template.replace("{id}", id).replace("{sid}", sid);
        assert!(
            !path.contains('{'),
            "{} has a parameter this test does not fill",
            self.template
        );
        path
    }
}

/// Every operation under `/v1/admin` of the route table: a new admin route
/// is in this list without anyone adding it.
fn admin_operations() -> Vec<AdminOperation> {
    let doc = serde_json::to_value(authd::openapi::document()).unwrap();
    let mut found = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        if !template.starts_with("/v1/admin") {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let body = operation.get("requestBody").map(|b| {
                let schema = &b["content"]["application/json"]["schema"];
                let example = match schema["$ref"].as_str() {
                    Some(r) => {
                        let name = r.trim_start_matches("#/components/schemas/");
                        doc["components"]["schemas"][name]["example"].clone()
                    }
                    None => schema["example"].clone(),
                };
                assert!(
                    !example.is_null(),
                    "{method} {template}: its request schema needs an example for this test"
                );
                example
            });
            found.push(AdminOperation {
                method: method.to_uppercase(),
                template: template.clone(),
                body,
            });
        }
    }
    assert!(!found.is_empty(), "no admin route in the OpenAPI document");
    found
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
    let sid = session_of(&tokens.access);
    let operations = admin_operations();
    for op in &operations {
        let path = op.path(&id, &sid);
        app.request(&op.method, &path, None, op.body.as_ref(), &[])
            .await
            .assert_problem(401, "unauthorized");
        app.request(
            &op.method,
            &path,
            Some(&tokens.access),
            op.body.as_ref(),
            &[],
        )
        .await
        .assert_problem(403, "forbidden");
    }
    // Nothing changed.
    let me = app.get("/v1/me", Some(&tokens.access)).await.json();
    assert_eq!(me["roles"], json!(["viewer"]));
    assert_eq!(me["disabled"], false);
}

/// One test role per permission (`only-users:read`, …, read from the
/// permissions table, so a new permission gets its own role), one caller
/// per role, and every admin route: only the caller holding the route's
/// permission gets through (a 2xx), every other one gets 403 `forbidden`.
/// A route guarded by the wrong permission fails here, which it could not
/// while only `admin` held any admin permission.
#[actix_web::test]
async fn each_admin_route_needs_exactly_its_permission() {
    let operations = admin_operations();
    let mut documented: Vec<(String, String)> = operations
        .iter()
        .map(|op| (op.method.clone(), op.template.clone()))
        .collect();
    documented.sort();
    let mut tabled: Vec<(String, String)> = ADMIN_PERMISSIONS
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    tabled.sort();
    assert_eq!(
        documented, tabled,
        "every documented admin route needs its permission in ADMIN_PERMISSIONS"
    );

    // Seventeen users register: past the per-IP registration limit.
    let app = spawn_app_with(&[("AUTH_RATE_LIMITS", "false")]).await;
    let permissions: Vec<String> = app
        .state
        .db
        .run(|conn| {
            use authd::db::schema::{permissions, role_permissions, roles};
            use diesel::prelude::*;
            let names: Vec<String> = permissions::table
                .select(permissions::name)
                .order(permissions::name)
                .load(conn)?;
            for name in &names {
                let role = format!("only-{name}");
                diesel::insert_into(roles::table)
                    .values((
                        roles::name.eq(&role),
                        roles::description.eq("test: one permission"),
                    ))
                    .execute(conn)?;
                diesel::insert_into(role_permissions::table)
                    .values((
                        role_permissions::role_name.eq(&role),
                        role_permissions::permission_name.eq(name),
                    ))
                    .execute(conn)?;
            }
            Ok(names)
        })
        .await
        .unwrap();
    for (_, _, needed) in ADMIN_PERMISSIONS {
        assert!(
            permissions.iter().any(|p| p == needed),
            "{needed} is seeded"
        );
    }
    // Roles are read once at start: an instance started now on the same
    // database knows the test roles.
    let server = spawn_sibling(&app, &[]).await;
    let mut callers = Vec::new();
    for permission in &permissions {
        let user = server.verified_user().await;
        let (email, role) = (user.email.clone(), format!("only-{permission}"));
        server
            .state
            .db
            .run(move |conn| {
                let row = authd::db::users::find_by_email(conn, &email)?.expect("user");
                authd::db::users::set_roles(conn, &row.id, &[role])?;
                Ok(())
            })
            .await
            .unwrap();
        callers.push((permission.clone(), server.login_user(&user).await));
    }

    for (method, template, needed) in ADMIN_PERMISSIONS {
        let op = operations
            .iter()
            .find(|op| op.method == *method && op.template == *template)
            .unwrap();
        // A user of its own for each route, logged in (a session to list
        // or end).
        let target = server.verified_user().await;
        let target_tokens = server.login_user(&target).await;
        let path = op.path(
            &user_id(&server, &target_tokens.access).await,
            &session_of(&target_tokens.access),
        );
        // The callers without the permission first: they change nothing
        // the one with it then needs.
        callers.sort_by_key(|(permission, _)| permission == needed);
        for (permission, tokens) in &callers {
            let answer = server
                .request(method, &path, Some(&tokens.access), op.body.as_ref(), &[])
                .await;
            if permission == needed {
                assert!(
                    (200..300).contains(&answer.status),
                    "{method} {template} with only {permission}: {} {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
            } else {
                assert_eq!(
                    (answer.status, answer.code()),
                    (403, "forbidden".to_owned()),
                    "{method} {template} needs {needed}, not {permission}"
                );
            }
        }
    }
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

    // The same walk by cursor; a user added meanwhile does not shift it.
    let by_cursor = |query: String| {
        let app = &app;
        let token = admin.access.clone();
        async move {
            let response = app
                .get(&format!("/v1/admin/users?{query}"), Some(&token))
                .await;
            response.assert_status(200);
            response.json()
        }
    };
    let mut walked = Vec::new();
    let mut query = "per_page=50".to_owned();
    let mut pages = 0;
    loop {
        let answer = by_cursor(query.clone()).await;
        assert_eq!(answer["total"], 121 + u64::from(pages > 0));
        pages += 1;
        for user in answer["users"].as_array().unwrap() {
            walked.push(user["email"].as_str().unwrap().to_owned());
        }
        if pages == 1 {
            app.register("late-comer@mail.example", PASSWORD)
                .await
                .assert_status(202);
        }
        match answer["next_cursor"].as_str() {
            Some(cursor) => query = format!("per_page=50&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(walked, expected);
    let mut corp_walk = Vec::new();
    let mut query = "email=corp.example&per_page=15".to_owned();
    loop {
        let answer = by_cursor(query.clone()).await;
        assert_eq!(answer["total"], 40);
        corp_walk.extend(answer["users"].as_array().unwrap().iter().cloned());
        match answer["next_cursor"].as_str() {
            Some(cursor) => query = format!("email=corp.example&per_page=15&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(corp_walk.len(), 40);
    // "123|a\0b" (a NUL in the id) and NULs in the filters: 422, not a
    // database error (PostgreSQL refuses NUL in text).
    for query in ["cursor=MTIzfGEAYg", "email=a%00b", "role=%00", "email=%0Aa"] {
        app.get(&format!("/v1/admin/users?{query}"), Some(&admin.access))
            .await
            .assert_problem(422, "validation_failed");
    }
    for forged in ["not-a-cursor", "MTIzfA", "%2Fetc"] {
        app.get(
            &format!("/v1/admin/users?cursor={forged}"),
            Some(&admin.access),
        )
        .await
        .assert_problem(422, "validation_failed");
    }

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
