//! Housekeeping: a sent mail keeps no body (bodies hold live tokens), and
//! old rows are purged after their retention, while revoked sessions stay
//! for a refresh lifetime (the revocation restore reloads them).

use std::time::Duration;

use authd::db::schema::{mail_outbox, one_time_tokens, sessions, users};
use chrono::{TimeDelta, Utc};
use diesel::prelude::*;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

#[actix_web::test]
async fn a_sent_mail_keeps_no_body_and_so_no_token() {
    let app = spawn_app().await;
    let email = "bodiless@example.com";
    assert_eq!(
        app.register(email, crate::helpers::PASSWORD).await.status,
        202
    );
    let token = app.mail_to(email).await.token();
    app.wait_outbox_drained().await;
    let rows: Vec<(String, String, String, String)> = app
        .state
        .db
        .run(|conn| {
            Ok(mail_outbox::table
                .select((
                    mail_outbox::status,
                    mail_outbox::subject,
                    mail_outbox::body_text,
                    mail_outbox::body_html,
                ))
                .load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let (status, subject, text, html) = &rows[0];
    assert_eq!(status, "sent");
    assert!(
        !text.contains(&token) && !html.contains(&token),
        "the token stayed"
    );
    assert!(subject.is_empty() && text.is_empty() && html.is_empty());
}

fn ago(hours: i64) -> chrono::NaiveDateTime {
    authd::db::truncate((Utc::now() - TimeDelta::hours(hours)).naive_utc())
}

async fn user_id(app: &TestApp, email: &str) -> String {
    let email = email.to_owned();
    app.state
        .db
        .run(move |conn| {
            Ok(users::table
                .filter(users::email.eq(email))
                .select(users::id)
                .first(conn)?)
        })
        .await
        .unwrap()
}

async fn counts(app: &TestApp, user: &str) -> (i64, i64, i64) {
    let user = user.to_owned();
    app.state
        .db
        .run(move |conn| {
            let email: String = users::table.find(&user).select(users::email).first(conn)?;
            let mails = mail_outbox::table
                .filter(mail_outbox::recipient.eq(email))
                .count()
                .get_result(conn)?;
            let tokens = one_time_tokens::table
                .filter(one_time_tokens::user_id.eq(&user))
                .count()
                .get_result(conn)?;
            let sessions = sessions::table
                .filter(sessions::user_id.eq(&user))
                .count()
                .get_result(conn)?;
            Ok((mails, tokens, sessions))
        })
        .await
        .unwrap()
}

#[actix_web::test]
async fn housekeeping_purges_old_rows_and_keeps_revoked_sessions_for_a_refresh_lifetime() {
    let app = spawn_app_with(&[
        ("AUTH_HOUSEKEEPING_INTERVAL", "1"),
        ("AUTH_RETENTION_SENT_MAIL", "3600"),
        ("AUTH_RETENTION_TOKENS", "3600"),
        ("AUTH_RETENTION_SESSIONS", "60"),
        ("AUTH_REFRESH_TTL", "86400"),
        ("AUTH_RATE_LIMITS", "false"),
    ])
    .await;
    // Old: its mail, used token and three sessions get backdated.
    let old = app.verified_user().await;
    for _ in 0..4 {
        app.login_user(&old).await;
    }
    // Recent: nothing of it is old enough to go.
    let recent = app.verified_user().await;
    app.login_user(&recent).await;
    app.wait_outbox_drained().await;

    let old_id = user_id(&app, &old.email).await;
    let recent_id = user_id(&app, &recent.email).await;
    let before_old = counts(&app, &old_id).await;
    let before_recent = counts(&app, &recent_id).await;
    assert_eq!(before_old, (1, 1, 4));

    let id = old_id.clone();
    let email = old.email.clone();
    app.state
        .db
        .run(move |conn| {
            diesel::update(mail_outbox::table.filter(mail_outbox::recipient.eq(email)))
                .set(mail_outbox::sent_at.eq(ago(48)))
                .execute(conn)?;
            diesel::update(one_time_tokens::table.filter(one_time_tokens::user_id.eq(&id)))
                .set(one_time_tokens::used_at.eq(ago(48)))
                .execute(conn)?;
            let ids: Vec<String> = sessions::table
                .filter(sessions::user_id.eq(&id))
                .order(sessions::created_at.asc())
                .select(sessions::id)
                .load(conn)?;
            // Revoked two days ago (beyond the refresh lifetime): purged.
            diesel::update(sessions::table.find(&ids[0]))
                .set(sessions::revoked_at.eq(ago(48)))
                .execute(conn)?;
            // Expired two days ago: purged.
            diesel::update(sessions::table.find(&ids[1]))
                .set(sessions::expires_at.eq(ago(48)))
                .execute(conn)?;
            // Revoked two hours ago: past its retention, but within the
            // refresh lifetime, so kept.
            diesel::update(sessions::table.find(&ids[2]))
                .set(sessions::revoked_at.eq(ago(2)))
                .execute(conn)?;
            // Tombstones of deleted accounts: two days old goes, an hour
            // old (within the refresh lifetime) stays.
            authd::db::users::insert_tombstone(conn, "gone-long-ago", ago(48))?;
            authd::db::users::insert_tombstone(conn, "gone-just-now", ago(1))?;
            Ok(())
        })
        .await
        .unwrap();

    let mut after = counts(&app, &old_id).await;
    for _ in 0..150 {
        if after == (0, 0, 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = counts(&app, &old_id).await;
    }
    assert_eq!(after, (0, 0, 2), "old mail, token and two sessions purged");
    let tombstones = app
        .state
        .db
        .run(|conn| {
            Ok(authd::db::users::deleted_since(conn, ago(24 * 365))?
                .into_iter()
                .map(|(id, _)| id)
                .collect::<Vec<_>>())
        })
        .await
        .unwrap();
    assert_eq!(tombstones, vec!["gone-just-now".to_owned()]);
    assert_eq!(counts(&app, &recent_id).await, before_recent);
}
