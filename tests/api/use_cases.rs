//! The use cases called directly, without HTTP: each owns its transaction
//! and returns a domain result, so it can be exercised on its own. The
//! server runs only to provide the state (database, store, keys, mail).

use authd::auth::audit::{Event, EventType};
use authd::auth::audit_queries::{self, AuditQuery, Cursor};
use authd::auth::registration::{self, NewRegistration};
use authd::auth::session::ClientInfo;
use authd::auth::{
    Authenticated, Email, accounts, admin, email_change, login, reauth, recovery, refresh, session,
};
use authd::db::users::UserFilter;
use authd::error::ApiError;
use authd::password::Password;

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};

const NEW_PASSWORD: &str = "brand-new-Lantern-42";

async fn register_directly(app: &TestApp, raw_email: &str) -> Email {
    let state = &app.state;
    let email = Email::parse(raw_email).unwrap();
    let password = Password::parse(
        PASSWORD,
        authd::password::PasswordOwner::new(email.as_str(), None),
        &state.settings.password,
    )
    .unwrap();
    let hash = state.passwords.hash(&password, None).await.unwrap();
    let queued = registration::register(
        state,
        NewRegistration {
            email: email.clone(),
            password_hash: hash,
            display_name: Some("Ada".into()),
            locale: "en".into(),
        },
        true,
        &ClientInfo::default(),
    )
    .await
    .unwrap();
    assert!(queued);
    email
}

async fn verified_directly(app: &TestApp, raw_email: &str) -> Email {
    let email = register_directly(app, raw_email).await;
    let token = app.mail_to(email.as_str()).await.token();
    let (user, reset_mailed) =
        registration::verify_email(&app.state, token, &ClientInfo::default())
            .await
            .unwrap();
    assert!(user.email_verified && !reset_mailed);
    email
}

fn caller_of(app: &TestApp, access_token: &str) -> Authenticated {
    Authenticated {
        claims: app.state.tokens.verify_access(access_token).unwrap(),
        user_version: None,
    }
}

#[actix_web::test]
async fn registration_verification_and_login_as_functions() {
    let app = spawn_app().await;
    let email = verified_directly(&app, "direct@example.com").await;
    // A second registration of a verified address queues an account-exists
    // mail and changes nothing.
    let again = register_directly(&app, "direct@example.com").await;
    assert_eq!(again, email);
    assert!(!app.mail_to(email.as_str()).await.raw.contains("token="));

    let pair = login::with_password(&app.state, &email, PASSWORD, ClientInfo::default())
        .await
        .unwrap()
        .into_session()
        .unwrap();
    assert_eq!(pair.user.email, "direct@example.com");
    let wrong = login::with_password(&app.state, &email, "nope", ClientInfo::default()).await;
    assert!(matches!(wrong, Err(ApiError::InvalidCredentials)));

    // Resend: only unverified addresses get mail.
    assert!(
        !registration::resend_verification(&app.state, email.clone())
            .await
            .unwrap()
    );
    let fresh = register_directly(&app, "fresh@example.com").await;
    app.mail_to(fresh.as_str()).await;
    assert!(
        registration::resend_verification(&app.state, fresh)
            .await
            .unwrap()
    );
}

#[actix_web::test]
async fn recovery_as_functions() {
    let app = spawn_app().await;
    let email = verified_directly(&app, "recover@example.com").await;
    let unknown = Email::parse("nobody@example.com").unwrap();
    assert!(!recovery::request_reset(&app.state, unknown).await.unwrap());
    assert!(
        recovery::request_reset(&app.state, email.clone())
            .await
            .unwrap()
    );
    let token = app.mail_to(email.as_str()).await.token();
    recovery::confirm_reset(
        &app.state,
        token.clone(),
        NEW_PASSWORD,
        &ClientInfo::default(),
    )
    .await
    .unwrap();
    assert!(matches!(
        recovery::confirm_reset(&app.state, token, NEW_PASSWORD, &ClientInfo::default()).await,
        Err(ApiError::TokenUsed)
    ));
    let pair = login::with_password(&app.state, &email, NEW_PASSWORD, ClientInfo::default())
        .await
        .unwrap()
        .into_session()
        .unwrap();

    // Change it again as the logged-in user, after re-proving the password.
    let caller = caller_of(&app, &pair.access_token);
    let req = actix_web::test::TestRequest::default().to_http_request();
    let (user, _) = reauth::confirm_password(&req, &app.state, &caller, NEW_PASSWORD)
        .await
        .unwrap();
    recovery::change_password(
        &app.state,
        user,
        caller.session_id(),
        PASSWORD,
        &ClientInfo::default(),
    )
    .await
    .unwrap();
    assert!(
        login::with_password(&app.state, &email, PASSWORD, ClientInfo::default())
            .await
            .is_ok()
    );
}

#[actix_web::test]
async fn accounts_and_sessions_as_functions() {
    let app = spawn_app().await;
    let email = verified_directly(&app, "self@example.com").await;
    let first = login::with_password(&app.state, &email, PASSWORD, ClientInfo::default())
        .await
        .unwrap()
        .into_session()
        .unwrap();
    let second = login::with_password(&app.state, &email, PASSWORD, ClientInfo::default())
        .await
        .unwrap()
        .into_session()
        .unwrap();
    let user_id = first.user.id.clone();

    let name = |raw| accounts::Changes {
        display_name: Some(Some(raw)),
        locale: None,
    };
    let renamed = accounts::update(&app.state.db, &user_id, name("  Grace  "))
        .await
        .unwrap();
    assert_eq!(renamed.display_name.as_deref(), Some("Grace"));
    assert!(matches!(
        accounts::update(&app.state.db, &user_id, name("a\u{202E}b")).await,
        Err(ApiError::Validation(_))
    ));
    let changes = accounts::Changes {
        display_name: None,
        locale: Some("es-mx"),
    };
    let relocated = accounts::update(&app.state.db, &user_id, changes)
        .await
        .unwrap();
    assert_eq!(relocated.locale.as_deref(), Some("es-MX"));
    assert_eq!(relocated.display_name.as_deref(), Some("Grace"));

    let live = session::list_active(&app.state.db, &user_id).await.unwrap();
    assert_eq!(live.len(), 2);
    let second_sid = caller_of(&app, &second.access_token).claims.sid.clone();
    session::revoke_own(
        app.state.revoker(),
        &user_id,
        &second_sid,
        &ClientInfo::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        session::list_active(&app.state.db, &user_id)
            .await
            .unwrap()
            .len(),
        1
    );
    // Revoking it again: an ended session of one's own is simply gone (not
    // a refusal).
    assert!(matches!(
        session::revoke_own(
            app.state.revoker(),
            &user_id,
            &second_sid,
            &ClientInfo::default()
        )
        .await,
        Err(ApiError::NotFound(_))
    ));
    assert!(matches!(
        session::revoke_own(
            app.state.revoker(),
            "someone-else",
            &second_sid,
            &ClientInfo::default()
        )
        .await,
        // Another user's session: answered as a missing one (404), logged
        // as a refusal.
        Err(ApiError::NotYours(_))
    ));

    accounts::delete(app.state.revoker(), &user_id, &ClientInfo::default())
        .await
        .unwrap();
    assert!(matches!(
        accounts::view(&app.state.db, &user_id, None).await,
        Err(ApiError::Unauthorized)
    ));
}

#[actix_web::test]
async fn administration_as_functions() {
    let app = spawn_app().await;
    let (_, admin_tokens) = app.admin().await;
    let caller = caller_of(&app, &admin_tokens.access);
    let ctx = ClientInfo::default();
    let email = verified_directly(&app, "staff@example.com").await;
    let listing = admin::list_users(
        &app.state.db,
        UserFilter {
            email_contains: Some("staff".into()),
            role: None,
            offset: 0,
            limit: 10,
            after: None,
        },
        None,
    )
    .await
    .unwrap();
    let (users, total) = (listing.users, listing.total);
    assert_eq!((users.len(), total), (1, 1));
    let id = users[0].user.id.clone();
    assert_eq!(
        admin::get_user(&app.state.db, &id).await.unwrap().email,
        email.as_str()
    );
    let roles = admin::list_roles(&app.state.db).await.unwrap();
    assert!(roles.iter().any(|(name, _, _)| name == "editor"));

    let updated = admin::set_roles(
        &app.state,
        &caller.claims,
        &id,
        vec!["viewer".into(), "editor".into(), "editor".into()],
        &ClientInfo::default(),
    )
    .await
    .unwrap();
    assert_eq!(updated.roles, vec!["editor", "viewer"]);
    assert!(matches!(
        admin::set_roles(&app.state, &caller.claims, &id, vec!["wizard".into()], &ctx).await,
        Err(ApiError::Validation(_))
    ));
    assert!(
        admin::disable(&app.state, &caller.claims, &id, &ctx)
            .await
            .unwrap()
            .disabled
    );
    assert!(
        !admin::enable(&app.state, &caller.claims, &id, &ctx)
            .await
            .unwrap()
            .disabled
    );
    // The lone admin cannot step down.
    assert!(matches!(
        admin::set_roles(&app.state, &caller.claims, &caller.claims.sub, vec![], &ctx).await,
        Err(ApiError::Conflict(_))
    ));
}

#[actix_web::test]
async fn audit_log_as_functions() {
    let app = spawn_app().await;
    let subject = uuid::Uuid::now_v7().to_string();
    for _ in 0..3 {
        let event = Event::new(EventType::UserEnabled)
            .about(&subject)
            .with("n", 1);
        app.state
            .audit
            .record_alone(&app.state.db, &ClientInfo::default(), event)
            .await
            .unwrap();
    }
    let query = |cursor: Option<Cursor>| AuditQuery {
        user_id: Some(subject.clone()),
        kind: Some(EventType::UserEnabled),
        since: None,
        until: None,
        cursor,
        limit: 2,
    };
    let (first, next) = audit_queries::list(&app.state.db, query(None))
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    let cursor = Cursor::parse(&next.expect("a second page")).unwrap();
    let (second, next) = audit_queries::list(&app.state.db, query(Some(cursor)))
        .await
        .unwrap();
    assert_eq!((second.len(), next), (1, None));
    assert!(first[1].id > second[0].id);
    assert!(Cursor::parse("not a cursor").is_err());
    let mine = audit_queries::security_events(&app.state.db, &subject)
        .await
        .unwrap();
    assert_eq!(mine.len(), 3);
}

#[actix_web::test]
async fn email_change_as_functions() {
    let app = spawn_app().await;
    let email = verified_directly(&app, "mover@example.com").await;
    let user = app
        .state
        .db
        .run({
            let email = email.clone();
            move |conn| Ok(authd::db::users::find_by_email(conn, email.as_str())?.unwrap())
        })
        .await
        .unwrap();
    let ctx = ClientInfo::default();
    // The caller's session (a pending link is issued only while it lives).
    let pair = login::with_password(&app.state, &email, PASSWORD, ClientInfo::default())
        .await
        .unwrap()
        .into_session()
        .unwrap();
    let sid = caller_of(&app, &pair.access_token).claims.sid.clone();
    let same = email_change::request(&app.state, user.clone(), &sid, email.clone()).await;
    assert!(matches!(same, Err(ApiError::Validation(_))));
    let new_email = Email::parse("moved@example.com").unwrap();
    email_change::request(&app.state, user, &sid, new_email.clone())
        .await
        .unwrap();
    let token = app.mail_to(new_email.as_str()).await.token();
    let moved = email_change::confirm(&app.state, token.clone(), &ctx)
        .await
        .unwrap();
    assert_eq!(
        (moved.email.as_str(), moved.email_verified),
        (new_email.as_str(), true)
    );
    assert!(matches!(
        email_change::confirm(&app.state, token, &ctx).await,
        Err(ApiError::TokenUsed)
    ));
    let revert = app.mail_to(email.as_str()).await.token();
    let back = email_change::revert(&app.state, revert, &ctx)
        .await
        .unwrap();
    assert_eq!(back.email, email.as_str());
    assert!(
        login::with_password(&app.state, &email, PASSWORD, ClientInfo::default())
            .await
            .is_err()
    );
}

#[actix_web::test]
async fn unlock_and_refresh_as_functions() {
    let app = spawn_app().await;
    let (_, admin_tokens) = app.admin().await;
    let admin = caller_of(&app, &admin_tokens.access);
    let email = verified_directly(&app, "locked@example.com").await;

    // Fail until locked: then even the right password is refused.
    let threshold = app.state.settings.lockout.threshold;
    for _ in 0..threshold {
        let wrong = login::with_password(&app.state, &email, "nope", ClientInfo::default()).await;
        assert!(matches!(wrong, Err(ApiError::InvalidCredentials)));
    }
    let locked = login::with_password(&app.state, &email, PASSWORD, ClientInfo::default()).await;
    assert!(matches!(locked, Err(ApiError::AccountLocked { .. })));

    let id = admin::list_users(
        &app.state.db,
        UserFilter {
            email_contains: Some("locked".into()),
            role: None,
            offset: 0,
            limit: 10,
            after: None,
        },
        None,
    )
    .await
    .unwrap()
    .users[0]
        .user
        .id
        .clone();
    let viewer = caller_of(
        &app,
        &login::with_password(
            &app.state,
            &verified_directly(&app, "viewer@example.com").await,
            PASSWORD,
            ClientInfo::default(),
        )
        .await
        .unwrap()
        .into_session()
        .unwrap()
        .access_token,
    );
    assert!(matches!(
        admin::unlock(&app.state, &viewer.claims, &id).await,
        Err(ApiError::Forbidden)
    ));
    assert!(matches!(
        admin::unlock(&app.state, &admin.claims, "no-such-id").await,
        Err(ApiError::NotFound(_))
    ));
    admin::unlock(&app.state, &admin.claims, &id).await.unwrap();
    let pair = login::with_password(&app.state, &email, PASSWORD, ClientInfo::default())
        .await
        .unwrap()
        .into_session()
        .unwrap();

    // Refresh: a rotated pair works; a revoked session's token does not.
    let claims = refresh::verify(&app.state.tokens, &pair.refresh_token).unwrap();
    let rotated = refresh::rotate(&app.state, &claims, &ClientInfo::default())
        .await
        .unwrap();
    let next = refresh::verify(&app.state.tokens, &rotated.refresh_token).unwrap();
    assert_eq!(next.sid, claims.sid);
    assert!(refresh::verify(&app.state.tokens, &rotated.access_token).is_err());
    session::revoke_own(
        app.state.revoker(),
        &pair.user.id,
        &claims.sid,
        &ClientInfo::default(),
    )
    .await
    .unwrap();
    assert!(
        refresh::rotate(&app.state, &next, &ClientInfo::default())
            .await
            .is_err()
    );
}

#[actix_web::test]
async fn admin_session_use_cases_as_functions() {
    use authd::auth::admin_sessions;
    let app = spawn_app().await;
    let (_, admin_tokens) = app.admin().await;
    let admin = caller_of(&app, &admin_tokens.access).claims;
    let user = app.verified_user().await;
    let a = caller_of(&app, &app.login_user(&user).await.access).claims;
    let b = caller_of(&app, &app.login_user(&user).await.access).claims;
    let state = &app.state;

    let rows = admin_sessions::list(state, &admin, &a.sub).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec![b.sid.as_str(), a.sid.as_str()]
    );
    // Not an admin: refused before anything is read.
    assert!(matches!(
        admin_sessions::list(state, &b, &a.sub).await,
        Err(ApiError::Forbidden)
    ));

    admin_sessions::revoke_one(state, &admin, &a.sub, &a.sid, &ClientInfo::default())
        .await
        .unwrap();
    assert!(matches!(
        admin_sessions::revoke_one(state, &admin, &a.sub, &a.sid, &ClientInfo::default()).await,
        Err(ApiError::NotFound(_))
    ));
    // The admin's own session, asked for under the user: not theirs.
    assert!(matches!(
        admin_sessions::revoke_one(state, &admin, &a.sub, &admin.sid, &ClientInfo::default()).await,
        Err(ApiError::NotFound(_))
    ));
    assert_eq!(
        admin_sessions::revoke_all(state, &admin, &a.sub, &ClientInfo::default())
            .await
            .unwrap(),
        1
    );
    assert!(
        admin_sessions::list(state, &admin, &a.sub)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        admin_sessions::revoke_all(state, &admin, "no-such-user", &ClientInfo::default()).await,
        Err(ApiError::NotFound(_))
    ));
}

#[actix_web::test]
async fn a_pair_never_claims_more_life_than_its_session_has() {
    let app = spawn_app_with(&[("AUTH_SESSION_MAX_AGE", "300")]).await;
    let email = verified_directly(&app, "short@example.com").await;
    let pair = login::with_password(&app.state, &email, PASSWORD, ClientInfo::default())
        .await
        .unwrap()
        .into_session()
        .unwrap();
    assert_eq!(pair.refresh_expires_in, 300);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let claims = refresh::verify(&app.state.tokens, &pair.refresh_token).unwrap();
    let rotated = refresh::rotate(&app.state, &claims, &ClientInfo::default())
        .await
        .unwrap();
    assert!(
        (290..300).contains(&rotated.refresh_expires_in),
        "{}",
        rotated.refresh_expires_in
    );
    // Within the grace window the same pair comes back, with the same cap.
    let again = refresh::rotate(&app.state, &claims, &ClientInfo::default())
        .await
        .unwrap();
    assert_eq!(again.refresh_token, rotated.refresh_token);
    assert!(again.refresh_expires_in <= rotated.refresh_expires_in);
}

#[actix_web::test]
async fn oidc_sign_in_keys_identities_on_issuer_and_subject() {
    use authd::auth::login::LoginOutcome;
    use authd::auth::oidc::{self, ProvenIdentity};
    let app = spawn_app().await;
    let proven = |subject: &str, email: &str, verified: bool| ProvenIdentity {
        provider: "corp".into(),
        issuer: "https://idp.example".into(),
        subject: subject.into(),
        email: Some(email.into()),
        email_verified: verified,
        name: Some("Ada".into()),
    };
    let Ok(LoginOutcome::Session(first)) = oidc::sign_in(
        &app.state,
        proven("sub-1", "ada@example.com", true),
        ClientInfo::default(),
    )
    .await
    else {
        panic!("a new user logs in");
    };
    assert!(first.user.email_verified);
    // The email changed at the provider: still the same account.
    let Ok(LoginOutcome::Session(again)) = oidc::sign_in(
        &app.state,
        proven("sub-1", "ada@new.example.com", true),
        ClientInfo::default(),
    )
    .await
    else {
        panic!("the identity logs in again");
    };
    assert_eq!(again.user.id, first.user.id);
    // Another subject claiming the address, unverified: refused, and
    // nothing is created (API.md §14).
    let other = oidc::sign_in(
        &app.state,
        proven("sub-2", "ada@example.com", false),
        ClientInfo::default(),
    )
    .await;
    assert!(matches!(other, Err(ApiError::EmailNotVerified)));

    let identities = oidc::list(&app.state, &first.user.id).await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].email.as_deref(), Some("ada@new.example.com"));
    // The only way in stays.
    let caller = app
        .state
        .tokens
        .verify_access(&first.access_token)
        .expect("claims");
    let unlinked = oidc::unlink(
        &app.state,
        &caller,
        &identities[0].id,
        &ClientInfo::default(),
    )
    .await;
    assert!(matches!(unlinked, Err(ApiError::Conflict(_))));
}

/// A use case that adds a way in holds the caller's session in its
/// transaction: once the session ended (log out everywhere here; a
/// handover or a reset alike) while the request was under way, nothing is
/// added, although the access token still verifies.
#[actix_web::test]
async fn no_way_in_is_added_through_a_session_that_ended() {
    let app = spawn_app().await;
    let email = verified_directly(&app, "late@example.com").await;
    let pair = login::with_password(&app.state, &email, PASSWORD, ClientInfo::default())
        .await
        .unwrap()
        .into_session()
        .unwrap();
    let caller = caller_of(&app, &pair.access_token);
    let user = app
        .state
        .db
        .run({
            let email = email.clone();
            move |conn| Ok(authd::db::users::find_by_email(conn, email.as_str())?.unwrap())
        })
        .await
        .unwrap();
    let enrolment = authd::auth::mfa::enrol_totp(&app.state, &caller.claims)
        .await
        .unwrap();
    app.state
        .revoker()
        .revoke_everything(
            &user.id,
            authd::db::sessions::RevokeReason::LogoutAll,
            &ClientInfo::default(),
            None,
        )
        .await
        .unwrap();

    let new_email = Email::parse("elsewhere@example.com").unwrap();
    let link =
        email_change::request(&app.state, user.clone(), caller.session_id(), new_email).await;
    assert!(matches!(link, Err(ApiError::SessionRevoked)), "{link:?}");
    let secret = totp_rs::Secret::Encoded(enrolment.secret.clone())
        .to_bytes()
        .unwrap();
    crate::mfa::away_from_step_edge().await;
    let confirmed = authd::auth::mfa::confirm_totp(
        &app.state,
        &caller.claims,
        &enrolment.factor_id,
        &crate::mfa::code(&secret, 0),
        false,
        &Default::default(),
    )
    .await;
    assert!(
        matches!(confirmed, Err(ApiError::SessionRevoked)),
        "{confirmed:?}"
    );
    let factors = authd::auth::mfa::list(&app.state.db, &user.id)
        .await
        .unwrap();
    assert!(factors.factors.is_empty());
    assert!(app.unread_mail_to("elsewhere@example.com").await.is_empty());
}

/// A login checks the password outside any transaction (bcrypt is slow); a
/// disable or a password change that lands meanwhile stops its session from
/// being written: the disabled account is told so, the replaced password is
/// a failed login, and no session exists.
#[actix_web::test]
async fn a_login_whose_account_changed_during_its_password_check_starts_no_session() {
    let app = spawn_app().await;
    let email = verified_directly(&app, "raced@example.com").await;
    let lookup = email.as_str().to_owned();
    // What the login read before its password check.
    let (row, roles) = app
        .state
        .db
        .run(move |conn| {
            let row = authd::db::users::find_by_email(conn, &lookup)?.expect("the user");
            let roles = authd::db::users::roles_of(conn, &row.id)?;
            Ok((row, roles))
        })
        .await
        .unwrap();
    let proven = || session::ProvenLogin {
        verified_hash: row.password_hash.clone(),
        tokens_valid_after: row.tokens_valid_after,
        upgraded_hash: None,
    };
    let meanwhile = |disabled: bool, new_hash: Option<&'static str>| {
        let id = row.id.clone();
        app.state.db.run(move |conn| {
            let at = chrono::Utc::now().naive_utc();
            authd::db::users::set_disabled(conn, &id, disabled, at)?;
            if let Some(hash) = new_hash {
                authd::db::users::change_password(conn, &id, hash, at)?;
            }
            Ok(())
        })
    };
    let start = || {
        let (row, roles) = (row.clone(), roles.clone());
        session::start(
            &app.state,
            row,
            roles,
            ClientInfo::default(),
            proven(),
            false,
        )
    };

    meanwhile(true, None).await.unwrap();
    let disabled = start().await.err();
    assert!(
        matches!(disabled, Some(ApiError::AccountDisabled)),
        "{disabled:?}"
    );
    meanwhile(
        false,
        Some("$2b$04$replaced.by.a.reset.elsewhere........................."),
    )
    .await
    .unwrap();
    let replaced = start().await.err();
    assert!(
        matches!(replaced, Some(ApiError::InvalidCredentials)),
        "{replaced:?}"
    );
    let live = session::list_active(&app.state.db, &row.id).await.unwrap();
    assert!(live.is_empty(), "{live:?}");
}
