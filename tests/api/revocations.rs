//! The revocation feed (API.md §18): who may read it, what a logout, a
//! logout everywhere and a disable put in it and why, cursors, the stream,
//! and a second instance on the same database.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, session_of, spawn_app_with, spawn_sibling};

const KEY: &str = "feed-secret-0123456789abcdef-0123";
const NEXT_KEY: &str = "feed-secret-next-0123456789abcdef";

async fn feed_app() -> TestApp {
    let keys = format!("orders:{KEY},orders:{NEXT_KEY}");
    spawn_app_with(&[("AUTH_SERVICE_KEYS", &keys)]).await
}

async fn feed(app: &TestApp, since: Option<&str>) -> Value {
    let path = match since {
        Some(cursor) => format!("/v1/revocations?since={cursor}"),
        None => "/v1/revocations".to_owned(),
    };
    let answer = app.get(&path, Some(KEY)).await;
    answer.assert_status(200);
    answer.json()
}

fn listed_session<'a>(page: &'a Value, sid: &str) -> Option<&'a Value> {
    page["sessions"]
        .as_array()?
        .iter()
        .find(|s| s["sid"] == sid)
}

async fn user_id(app: &TestApp, access: &str) -> String {
    let me = app.get("/v1/me", Some(access)).await;
    me.json()["id"].as_str().unwrap_or_default().to_owned()
}

async fn logged_in(app: &TestApp) -> (TestUser, String, String) {
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let id = user_id(app, &tokens.access).await;
    (user, tokens.access, id)
}

#[actix_web::test]
async fn only_a_configured_service_key_opens_the_feed() {
    let app = feed_app().await;
    let (_, access, _) = logged_in(&app).await;
    app.get("/v1/revocations", None)
        .await
        .assert_problem(401, "unauthorized");
    for wrong in [
        "feed-secret-0123456789abcdef-012",
        access.as_str(),
        "orders",
    ] {
        app.get("/v1/revocations", Some(wrong))
            .await
            .assert_problem(401, "unauthorized");
        app.get("/v1/revocations/stream", Some(wrong))
            .await
            .assert_problem(401, "unauthorized");
    }
    // Either key of a service being rotated works.
    for key in [KEY, NEXT_KEY] {
        let page = app.get("/v1/revocations", Some(key)).await;
        page.assert_status(200);
        let page = page.json();
        assert_eq!(page["max_age"], 905, "AUTH_ACCESS_TTL 900 + 5 s leeway");
        assert_eq!(page["has_more"], false);
        assert!(page["cursor"].is_string());
    }
    // No keys configured: nobody reads the feed.
    let closed = spawn_app_with(&[]).await;
    closed
        .get("/v1/revocations", Some(KEY))
        .await
        .assert_problem(401, "unauthorized");
}

#[actix_web::test]
async fn logouts_and_disables_are_listed_with_their_reasons() {
    let app = feed_app().await;
    let (_, one, one_id) = logged_in(&app).await;
    let (_, everywhere, everywhere_id) = logged_in(&app).await;
    let (_, disabled, disabled_id) = logged_in(&app).await;
    let (_, admin) = app.admin().await;

    app.post_auth("/v1/auth/logout", &one, None)
        .await
        .assert_status(204);
    app.post_auth("/v1/auth/logout-all", &everywhere, None)
        .await
        .assert_status(204);
    app.post_auth(
        &format!("/v1/admin/users/{disabled_id}/disable"),
        &admin.access,
        None,
    )
    .await
    .assert_status(200);

    let page = feed(&app, None).await;
    for (access, sub, reason) in [
        (&one, &one_id, "logout"),
        (&everywhere, &everywhere_id, "logout_all"),
        (&disabled, &disabled_id, "disabled"),
    ] {
        let entry = listed_session(&page, &session_of(access))
            .unwrap_or_else(|| panic!("{reason}: session not in {page}"));
        assert_eq!(entry["sub"], *sub);
        assert_eq!(entry["reason"], reason);
        assert!(entry["revoked_at"].is_string());
    }
    let users: Vec<&Value> = page["users"].as_array().into_iter().flatten().collect();
    for sub in [&everywhere_id, &disabled_id] {
        assert!(
            users
                .iter()
                .any(|u| u["sub"] == *sub && u["valid_after"].is_string()),
            "{sub} has no valid_after entry in {page}"
        );
    }
    assert!(
        !users.iter().any(|u| u["sub"] == one_id),
        "a single logout moves nobody's valid_after"
    );
}

#[actix_web::test]
async fn a_cursor_gives_what_came_since_and_repeats_only_the_last_seconds() {
    let app = feed_app().await;
    let (_, early, _) = logged_in(&app).await;
    app.post_auth("/v1/auth/logout", &early, None)
        .await
        .assert_status(204);
    let first = feed(&app, None).await;
    assert!(listed_session(&first, &session_of(&early)).is_some());
    let cursor = first["cursor"].as_str().unwrap_or_default().to_owned();

    let (_, late, _) = logged_in(&app).await;
    app.post_auth("/v1/auth/logout", &late, None)
        .await
        .assert_status(204);
    let next = feed(&app, Some(&cursor)).await;
    assert!(
        listed_session(&next, &session_of(&late)).is_some(),
        "the revocation after the cursor is missing: {next}"
    );
    assert_ne!(next["cursor"], cursor);

    // A cursor from the future lists nothing older than 5 s before it; an
    // unknown one gives the full list.
    let later = chrono::Utc::now().timestamp_millis() + 60_000;
    let future = feed(&app, Some(&format!("c.{later}"))).await;
    assert_eq!(future["sessions"], json!([]));
    let unknown = feed(&app, Some("not-a-cursor")).await;
    assert!(listed_session(&unknown, &session_of(&early)).is_some());
}

/// Reads stream events until `wanted` is in one; returns its `data` and id.
async fn next_event_with(
    body: &mut (
             impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
             + Unpin
         ),
    buffer: &mut String,
    wanted: &str,
) -> Option<(Value, String)> {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let id = event.lines().find_map(|l| l.strip_prefix("id: "));
            let data = event.lines().find_map(|l| l.strip_prefix("data: "));
            if let (Some(id), Some(data)) = (id, data)
                && data.contains(wanted)
            {
                return Some((serde_json::from_str(data).ok()?, id.to_owned()));
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
            .await
            .ok()??
            .ok()?;
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

async fn open_stream(
    app: &TestApp,
    last_event_id: Option<&str>,
) -> awc::ClientResponse<
    impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>,
> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    let mut request = client
        .get(format!("{}/v1/revocations/stream", app.address))
        .insert_header(("Authorization", format!("Bearer {KEY}")));
    if let Some(id) = last_event_id {
        request = request.insert_header(("Last-Event-ID", id));
    }
    let response = request.send().await.expect("stream opens");
    assert_eq!(response.status(), 200);
    let content_type = response.headers().get("content-type").cloned();
    assert_eq!(
        content_type.as_ref().and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    response
}

#[actix_web::test]
async fn the_stream_tells_of_a_logout_on_another_instance_within_a_second() {
    let app = feed_app().await;
    let sibling = spawn_sibling(&app, &[]).await;
    let (_, before, _) = logged_in(&app).await;
    app.post_auth("/v1/auth/logout", &before, None)
        .await
        .assert_status(204);

    let mut stream = open_stream(&sibling, None).await;
    let mut buffer = String::new();
    // The full current list comes first.
    let (old, _) = next_event_with(&mut stream, &mut buffer, &session_of(&before))
        .await
        .expect("the earlier logout is in the initial list");
    assert_eq!(old["reason"], "logout");

    let (_, access, sub) = logged_in(&app).await;
    let sid = session_of(&access);
    app.post_auth("/v1/auth/logout", &access, None)
        .await
        .assert_status(204);
    let logged_out = Instant::now();
    let (entry, id) = next_event_with(&mut stream, &mut buffer, &sid)
        .await
        .expect("the logout reaches the other instance's stream");
    let took = logged_out.elapsed();
    assert_eq!(entry["sub"], sub);
    assert_eq!(entry["reason"], "logout");
    // §18 promises 1 s; the bound leaves room for a loaded CI machine, the
    // figure is printed (`--nocapture`) and measured in the README.
    println!("revocation reached the other instance's stream after {took:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    drop(stream);

    // Resuming from the last event id repeats nothing it would skip: the
    // entry is sent again (repeats are for verifiers to ignore).
    let mut resumed = open_stream(&sibling, Some(&id)).await;
    let mut buffer = String::new();
    assert!(
        next_event_with(&mut resumed, &mut buffer, &sid)
            .await
            .is_some()
    );
}
