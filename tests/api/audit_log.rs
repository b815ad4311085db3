//! The audit log (API.md §12): every event type once for its action, none
//! for a change that did not commit, the admin listing with its filters and
//! cursor, a user's own security events, and the retention purge.

use std::collections::BTreeMap;

use authd::auth::audit::{Event, EventType, RequestContext};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, Tokens, spawn_app, spawn_app_with};

const NEW_PASSWORD: &str = "brand-new-Lantern-42";

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

/// Every event about `user` (through the admin API), oldest first.
async fn events_about(app: &TestApp, admin: &Tokens, user: &str) -> Vec<Value> {
    let page = app
        .get(
            &format!("/v1/admin/audit?user_id={user}&limit=200"),
            Some(&admin.access),
        )
        .await;
    page.assert_status(200);
    let mut events = page.json()["events"].as_array().expect("events").clone();
    events.reverse();
    events
}

fn count_by_type(events: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for event in events {
        *counts
            .entry(event["type"].as_str().expect("type").to_owned())
            .or_insert(0) += 1;
    }
    counts
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

#[actix_web::test]
async fn each_account_action_records_exactly_one_event_of_its_type() {
    let app = spawn_app_with(&[("AUTH_RATE_LIMITS", "false")]).await;
    let (_, admin) = app.admin().await;
    let admin_id = app
        .state
        .tokens
        .verify_access(&admin.access)
        .unwrap()
        .sub
        .clone();

    let user = app.verified_user().await;
    let id = user_id(&app, &user.email).await;
    app.login(&user.email, "wrong-Password-1")
        .await
        .assert_status(401);
    let tokens = app.login_user(&user).await;
    // Rotate once, then present the spent token again after the grace
    // window has no say (a second, unrelated session shows reuse).
    let second = app.login_user(&user).await;
    let rotated = app.refresh(&second.refresh).await;
    rotated.assert_status(200);
    app.state
        .db
        .run({
            let sid = app
                .state
                .tokens
                .verify_refresh(&second.refresh)
                .unwrap()
                .sid;
            move |conn| {
                use authd::db::schema::sessions;
                use diesel::prelude::*;
                diesel::update(sessions::table.find(sid))
                    .set(
                        sessions::rotated_at.eq(chrono::NaiveDate::from_ymd_opt(2020, 1, 1)
                            .unwrap()
                            .and_hms_opt(0, 0, 0)
                            .unwrap()),
                    )
                    .execute(conn)?;
                Ok(())
            }
        })
        .await
        .unwrap();
    app.refresh(&second.refresh)
        .await
        .assert_problem(401, "refresh_token_reused");
    app.post_auth(
        "/v1/auth/password/change",
        &tokens.access,
        Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
    )
    .await
    .assert_status(204);
    let _notice = app.mail_to(&user.email).await;
    app.post_auth("/v1/auth/logout", &tokens.access, None)
        .await
        .assert_status(204);

    let roles = app
        .request(
            "PUT",
            &format!("/v1/admin/users/{id}/roles"),
            Some(&admin.access),
            Some(&json!({"roles": ["editor"]})),
            &[],
        )
        .await;
    roles.assert_status(200);
    app.post_auth(
        &format!("/v1/admin/users/{id}/disable"),
        &admin.access,
        None,
    )
    .await
    .assert_status(200);
    app.post_auth(&format!("/v1/admin/users/{id}/enable"), &admin.access, None)
        .await
        .assert_status(200);

    app.post(
        "/v1/auth/password-reset/request",
        json!({"email": user.email}),
    )
    .await
    .assert_status(202);
    let reset = app.mail_to(&user.email).await;
    app.post(
        "/v1/auth/password-reset/confirm",
        json!({"token": reset.token(), "new_password": PASSWORD}),
    )
    .await
    .assert_status(204);
    let last = app.login_user(&user).await;
    app.post_auth("/v1/auth/logout-all", &last.access, None)
        .await
        .assert_status(204);
    let last = app.login_user(&user).await;
    app.request(
        "DELETE",
        "/v1/me",
        Some(&last.access),
        Some(&json!({"password": PASSWORD})),
        &[],
    )
    .await
    .assert_status(204);

    let events = events_about(&app, &admin, &id).await;
    let counts = count_by_type(&events);
    let expected: BTreeMap<String, usize> = [
        ("user.registered", 1),
        ("user.email_verified", 1),
        ("login.failed", 1),
        ("login.succeeded", 4),
        ("refresh.reuse_detected", 1),
        ("password.changed", 1),
        ("session.revoked", 2),
        ("user.roles_changed", 1),
        ("user.disabled", 1),
        ("user.enabled", 1),
        ("password.reset", 1),
        ("user.deleted", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(counts, expected, "{events:#?}");

    // Who acted: the admin for role changes, disable and enable; the user
    // for their own actions; nobody for a failed login or a reuse.
    for kind in ["user.roles_changed", "user.disabled", "user.enabled"] {
        let event = of_type(&events, kind)[0];
        assert_eq!(event["actor_id"], admin_id.as_str(), "{kind}");
        assert_eq!(event["user_id"], id.as_str(), "{kind}");
    }
    for kind in [
        "user.registered",
        "login.succeeded",
        "password.changed",
        "user.deleted",
    ] {
        assert_eq!(of_type(&events, kind)[0]["actor_id"], id.as_str(), "{kind}");
    }
    assert!(of_type(&events, "login.failed")[0]["actor_id"].is_null());
    assert!(of_type(&events, "refresh.reuse_detected")[0]["actor_id"].is_null());
    let roles = of_type(&events, "user.roles_changed")[0];
    assert_eq!(
        roles["data"],
        json!({"previous": ["viewer"], "roles": ["editor"]})
    );
    // Sessions are named for login, logout and reuse.
    let reuse_sid = app
        .state
        .tokens
        .verify_refresh(&second.refresh)
        .unwrap()
        .sid;
    assert_eq!(
        of_type(&events, "refresh.reuse_detected")[0]["session_id"],
        reuse_sid.as_str()
    );
    let logout_sid = app
        .state
        .tokens
        .verify_access(&tokens.access)
        .unwrap()
        .sid
        .clone();
    let logouts = of_type(&events, "session.revoked");
    assert_eq!(logouts[0]["session_id"], logout_sid.as_str());
    assert_eq!(logouts[0]["data"]["reason"], "logout");
    assert_eq!(logouts[1]["data"]["reason"], "logout_all");
    assert!(
        of_type(&events, "login.succeeded")
            .iter()
            .all(|e| e["session_id"].is_string())
    );

    // Nothing in any event holds the password, a token or the full email.
    let text = serde_json::to_string(&events).unwrap();
    for secret in [
        PASSWORD,
        NEW_PASSWORD,
        user.email.as_str(),
        reset.token().as_str(),
        tokens.refresh.as_str(),
    ] {
        assert!(!text.contains(secret), "an event holds {secret:?}");
    }
    assert!(text.contains("u***@example.com"));
}

#[actix_web::test]
async fn a_change_that_does_not_commit_records_nothing() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let admin_id = app
        .state
        .tokens
        .verify_access(&admin.access)
        .unwrap()
        .sub
        .clone();
    let before = events_about(&app, &admin, &admin_id).await.len();

    // The lone admin cannot step down, disable or delete themselves.
    app.request(
        "PUT",
        &format!("/v1/admin/users/{admin_id}/roles"),
        Some(&admin.access),
        Some(&json!({"roles": ["viewer"]})),
        &[],
    )
    .await
    .assert_problem(409, "conflict");
    app.post_auth(
        &format!("/v1/admin/users/{admin_id}/disable"),
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
    // A wrong current password changes nothing; a spent link neither.
    app.post_auth(
        "/v1/auth/password/change",
        &admin.access,
        Some(json!({"current_password": "wrong-Password-1", "new_password": NEW_PASSWORD})),
    )
    .await
    .assert_problem(401, "invalid_credentials");
    // Enabling an enabled user changes nothing.
    app.post_auth(
        &format!("/v1/admin/users/{admin_id}/enable"),
        &admin.access,
        None,
    )
    .await
    .assert_status(200);

    let events = events_about(&app, &admin, &admin_id).await;
    let types: Vec<&str> = events[before..]
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(types.is_empty(), "unexpected events {types:?}");
}

#[actix_web::test]
async fn a_failed_login_has_no_actor_a_masked_email_and_the_client_address() {
    let app = spawn_app_with(&[
        ("AUTH_TRUSTED_PROXIES", "127.0.0.1"),
        ("AUTH_LOCKOUT_THRESHOLD", "2"),
        ("AUTH_RATE_LIMITS", "false"),
    ])
    .await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    let id = user_id(&app, &user.email).await;
    let body = json!({"email": user.email, "password": "wrong-Password-1"});
    for _ in 0..2 {
        app.request(
            "POST",
            "/v1/auth/login",
            None,
            Some(&body),
            &[
                ("X-Forwarded-For", "198.51.100.23"),
                ("User-Agent", "audit-test/1"),
            ],
        )
        .await
        .assert_problem(401, "invalid_credentials");
    }
    // Locked now: refused without a check, and no second lock event.
    app.login(&user.email, PASSWORD)
        .await
        .assert_problem(429, "account_locked");
    // An unknown address: no subject at all.
    app.login("nobody-here@example.com", PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");

    let events = events_about(&app, &admin, &id).await;
    let failed = of_type(&events, "login.failed");
    assert_eq!(failed.len(), 2, "{events:#?}");
    for event in &failed {
        assert!(event["actor_id"].is_null());
        assert_eq!(event["ip"], "198.51.100.23");
        assert_eq!(event["user_agent"], "audit-test/1");
        assert_eq!(event["data"]["reason"], "invalid_credentials");
        assert_eq!(event["data"]["email"], "u***@example.com");
    }
    let locked = of_type(&events, "login.locked");
    assert_eq!(locked.len(), 1);
    assert_eq!(locked[0]["ip"], "198.51.100.23");

    let page = app
        .get(
            "/v1/admin/audit?type=login.failed&limit=200",
            Some(&admin.access),
        )
        .await;
    page.assert_status(200);
    let all = page.json()["events"].as_array().unwrap().clone();
    let reasons: Vec<(&Value, &Value)> = all
        .iter()
        .map(|e| (&e["data"]["reason"], &e["user_id"]))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|(r, u)| *r == "account_locked" && u.is_null()),
        "{reasons:?}"
    );
    assert!(
        all.iter()
            .any(|e| e["data"]["email"] == "n***@example.com" && e["user_id"].is_null())
    );
}

/// Writes `n` events through the recorder, each in its own transaction.
async fn record_events(app: &TestApp, kind: EventType, user: &str, n: usize) {
    for _ in 0..n {
        let event = Event::new(kind).about(user);
        app.state
            .audit
            .record_alone(&app.state.db, &RequestContext::default(), event)
            .await
            .unwrap();
    }
}

#[actix_web::test]
async fn the_cursor_returns_every_event_once_while_events_are_added() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let subject = uuid::Uuid::now_v7().to_string();
    record_events(&app, EventType::LoginFailed, &subject, 120).await;

    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/admin/audit?user_id={subject}&limit=50&cursor={c}"),
            None => format!("/v1/admin/audit?user_id={subject}&limit=50"),
        };
        let page = app.get(&path, Some(&admin.access)).await;
        page.assert_status(200);
        let body = page.json();
        seen.extend(
            body["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        // Newer events arrive between pages: they belong before the first
        // page and never show up in a later one.
        record_events(&app, EventType::LoginFailed, &subject, 7).await;
        match body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 120);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(sorted, seen, "newest first, each once");
}

#[actix_web::test]
async fn the_listing_filters_by_type_and_time_and_refuses_bad_parameters() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let subject = uuid::Uuid::now_v7().to_string();
    record_events(&app, EventType::UserDisabled, &subject, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let middle = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    record_events(&app, EventType::UserEnabled, &subject, 3).await;

    let get = |query: String| {
        let app = &app;
        let token = admin.access.clone();
        async move {
            app.get(&format!("/v1/admin/audit?{query}"), Some(&token))
                .await
        }
    };
    let count = |r: &crate::helpers::Response| r.json()["events"].as_array().unwrap().len();
    let typed = get(format!("user_id={subject}&type=user.enabled")).await;
    typed.assert_status(200);
    assert_eq!(count(&typed), 3);
    let since = middle.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let later = get(format!("user_id={subject}&since={since}")).await;
    assert_eq!(count(&later), 3);
    let earlier = get(format!("user_id={subject}&until={since}")).await;
    assert_eq!(count(&earlier), 2);
    let limited = get(format!("user_id={subject}&limit=1")).await;
    assert_eq!(count(&limited), 1);
    assert!(limited.json()["next_cursor"].is_string());
    let all = get(format!("user_id={subject}&limit=5")).await;
    assert!(all.json()["next_cursor"].is_null());

    for bad in [
        "type=login.nope",
        "since=yesterday",
        "limit=0",
        "limit=many",
        "cursor=%25%25",
        "user_id=a%00b",
    ] {
        get(bad.to_owned())
            .await
            .assert_problem(422, "validation_failed");
    }
    // Only `users:read` may read the log.
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    app.get("/v1/admin/audit", Some(&tokens.access))
        .await
        .assert_problem(403, "forbidden");
    app.get("/v1/admin/audit", None)
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn security_events_are_the_callers_own_last_fifty() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    let id = user_id(&app, &user.email).await;
    app.login_user(&user).await;
    let other = app.verified_user().await;
    app.login_user(&other).await;
    app.post_auth(
        &format!("/v1/admin/users/{id}/disable"),
        &admin.access,
        None,
    )
    .await
    .assert_status(200);
    app.post_auth(&format!("/v1/admin/users/{id}/enable"), &admin.access, None)
        .await
        .assert_status(200);

    let tokens = app.login_user(&user).await;
    let mine = app
        .get("/v1/me/security-events", Some(&tokens.access))
        .await;
    mine.assert_status(200);
    let events = mine.json()["events"].as_array().unwrap().clone();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        vec![
            "login.succeeded",
            "user.enabled",
            "user.disabled",
            "login.succeeded",
            "user.email_verified",
            "user.registered"
        ]
    );
    assert!(events.iter().all(|e| e["user_id"] == id.as_str()));

    // The admin sees what they did to others (they were the actor).
    let theirs = app.get("/v1/me/security-events", Some(&admin.access)).await;
    let types: Vec<String> = theirs.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert!(types.starts_with(&["user.enabled".to_owned(), "user.disabled".to_owned()]));

    record_events(&app, EventType::LoginFailed, &id, 60).await;
    let mine = app
        .get("/v1/me/security-events", Some(&tokens.access))
        .await;
    assert_eq!(mine.json()["events"].as_array().unwrap().len(), 50);
    app.get("/v1/me/security-events", None)
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn events_past_their_retention_are_purged() {
    let app = spawn_app_with(&[("AUTH_AUDIT_RETENTION_DAYS", "30")]).await;
    let subject = uuid::Uuid::now_v7().to_string();
    record_events(&app, EventType::LoginFailed, &subject, 3).await;
    // Two events of 40 days ago (their ids carry the time).
    let old = chrono::Utc::now() - chrono::Duration::days(40);
    let subject_old = subject.clone();
    app.state
        .db
        .run(move |conn| {
            for n in 0..2u64 {
                let ms = old.timestamp_millis() as u64 + n;
                let id = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
                    uuid::NoContext,
                    ms / 1000,
                    (ms % 1000) as u32 * 1_000_000,
                ));
                authd::db::audit_events::insert(
                    conn,
                    &authd::db::models::AuditEventRow {
                        id: id.to_string(),
                        kind: "login.failed".into(),
                        at: authd::db::truncate(old.naive_utc()),
                        actor_id: None,
                        user_id: Some(subject_old.clone()),
                        session_id: None,
                        ip: None,
                        user_agent: None,
                        data: "{}".into(),
                    },
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let purged = authd::housekeeping::run_once(&app.state, "audit-test")
        .await
        .unwrap()
        .expect("lease");
    assert_eq!(purged.audit_events, 2);
    let left = authd::auth::audit_queries::list(
        &app.state.db,
        authd::auth::audit_queries::AuditQuery {
            user_id: Some(subject),
            kind: None,
            since: None,
            until: None,
            cursor: None,
            limit: 50,
        },
    )
    .await
    .unwrap();
    assert_eq!(left.0.len(), 3);
}

#[actix_web::test]
async fn admin_revocations_and_session_cap_evictions_are_recorded() {
    let app = spawn_app_with(&[("AUTH_MAX_SESSIONS_PER_USER", "1")]).await;
    let (_, admin) = app.admin().await;
    let admin_id = app
        .state
        .tokens
        .verify_access(&admin.access)
        .unwrap()
        .sub
        .clone();
    let user = app.verified_user().await;
    let id = user_id(&app, &user.email).await;
    let first = app.login_user(&user).await;
    let second = app.login_user(&user).await;
    let first_sid = app
        .state
        .tokens
        .verify_access(&first.access)
        .unwrap()
        .sid
        .clone();
    let second_sid = app
        .state
        .tokens
        .verify_access(&second.access)
        .unwrap()
        .sid
        .clone();
    app.request(
        "DELETE",
        &format!("/v1/admin/users/{id}/sessions/{second_sid}"),
        Some(&admin.access),
        None,
        &[],
    )
    .await
    .assert_status(204);

    let events = events_about(&app, &admin, &id).await;
    let revoked = of_type(&events, "session.revoked");
    assert_eq!(revoked.len(), 2, "{events:#?}");
    assert_eq!(revoked[0]["data"]["reason"], "session_limit");
    assert_eq!(revoked[0]["session_id"], first_sid.as_str());
    assert!(revoked[0]["actor_id"].is_null());
    assert_eq!(revoked[1]["data"]["reason"], "admin");
    assert_eq!(revoked[1]["session_id"], second_sid.as_str());
    assert_eq!(revoked[1]["actor_id"], admin_id.as_str());
}
