//! ASVS 16.2.1 / 16.3.1–16.3.2: every authentication decision and every
//! authorization refusal is one structured line in the log of a real
//! `authd serve` process, with emails masked and no password.

use serde_json::{Value, json};

use crate::logs::{Server, expect};

fn events(server: &Server, event: &str) -> Vec<Value> {
    server
        .log()
        .into_iter()
        .filter(|line| line["event"] == event)
        .collect()
}

/// The `event` lines once at least `n` have arrived (up to 5 s): the log is
/// read from the child's pipe by another thread, a moment after the answer.
async fn settled(server: &Server, event: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let found = events(server, event);
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    events(server, event)
}

#[actix_web::test]
async fn logins_and_authorization_refusals_are_logged_as_security_events() {
    let server = Server::start(&[]).await;
    let email = format!("events-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "correct-Horse-battery-9";
    let register = server
        .call(
            "POST",
            "/v1/auth/register",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
    expect(&register, 202);
    let token = server.token_of_mail(1).await;
    let verified = server
        .call(
            "POST",
            "/v1/auth/verify-email",
            None,
            Some(json!({"token": token})),
        )
        .await;
    expect(&verified, 200);

    let wrong = server
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": "Wrong-password-1!"})),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body["code"], "invalid_credentials");
    let login = server
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
    let body = expect(&login, 200).clone();
    let access = body["access_token"].as_str().unwrap().to_owned();
    let user_id = body["user"]["id"].as_str().unwrap().to_owned();

    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = server
        .call(
            "POST",
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    expect(&refreshed, 200);
    let forged = server
        .call(
            "POST",
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": "not-a-token"})),
        )
        .await;
    assert_eq!(forged.status, 401);
    assert_eq!(forged.body["code"], "invalid_token");

    // A viewer asking for an admin route.
    let denied = server
        .call("GET", "/v1/admin/users", Some(&access), None)
        .await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["code"], "forbidden");

    server.wait_for_event("authz.denied").await;
    let masked = format!("e***@{}", email.split('@').nth(1).unwrap());
    let logins = settled(&server, "auth.login", 2).await;
    assert_eq!(logins.len(), 2, "{logins:?}");
    let failed = &logins[0];
    assert_eq!(failed["outcome"], "invalid_credentials", "{failed}");
    assert_eq!(failed["email"], masked.as_str(), "{failed}");
    assert_eq!(failed["ip"], "127.0.0.1", "{failed}");
    let succeeded = &logins[1];
    assert_eq!(succeeded["outcome"], "success", "{succeeded}");
    assert_eq!(succeeded["user_id"], user_id.as_str(), "{succeeded}");
    assert_eq!(succeeded["email"], masked.as_str(), "{succeeded}");
    assert_eq!(succeeded["ip"], "127.0.0.1", "{succeeded}");
    assert!(
        succeeded["session_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{succeeded}"
    );

    let refreshes = settled(&server, "auth.refresh", 2).await;
    assert_eq!(refreshes.len(), 2, "{refreshes:?}");
    assert_eq!(refreshes[0]["outcome"], "success", "{}", refreshes[0]);
    assert_eq!(
        refreshes[0]["user_id"],
        user_id.as_str(),
        "{}",
        refreshes[0]
    );
    assert_eq!(
        refreshes[0]["session_id"], succeeded["session_id"],
        "{}",
        refreshes[0]
    );
    assert_eq!(refreshes[1]["outcome"], "invalid_token", "{}", refreshes[1]);

    let refusals = settled(&server, "authz.denied", 1).await;
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    let refusal = &refusals[0];
    assert_eq!(refusal["route"], "/v1/admin/users", "{refusal}");
    assert_eq!(refusal["permission"], "users:read", "{refusal}");
    assert_eq!(refusal["user_id"], user_id.as_str(), "{refusal}");
    assert_eq!(refusal["outcome"], "forbidden", "{refusal}");

    let text: String = server.log().iter().map(Value::to_string).collect();
    assert!(!text.contains(password) && !text.contains(&email));
}

#[actix_web::test]
async fn startup_says_when_the_breach_check_is_off_and_warns_of_a_cleartext_issuer() {
    let server = Server::start(&[("AUTH_ISSUER", "http://auth.example.com")]).await;
    let log = server.log();
    let said = |needle: &str, level: &str| {
        log.iter().any(|line| {
            line["level"] == level && line["message"].as_str().is_some_and(|m| m.contains(needle))
        })
    };
    assert!(said("AUTH_BREACHED_PASSWORDS=off", "INFO"), "{log:?}");
    assert!(said("AUTH_ISSUER is http://", "WARN"), "{log:?}");

    let local = Server::start(&[]).await;
    assert!(
        !local.log().iter().any(|line| line["message"]
            .as_str()
            .is_some_and(|m| m.contains("AUTH_ISSUER is http://"))),
        "{:?}",
        local.log()
    );
}

#[actix_web::test]
async fn a_failed_login_names_the_account_only_in_the_log() {
    let server = Server::start(&[]).await;
    let email = format!("known-{}@example.com", uuid::Uuid::new_v4().simple());
    let password = "correct-Horse-battery-9";
    let register = server
        .call(
            "POST",
            "/v1/auth/register",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
    expect(&register, 202);
    let token = server.token_of_mail(1).await;
    let verified = server
        .call(
            "POST",
            "/v1/auth/verify-email",
            None,
            Some(json!({"token": token})),
        )
        .await;
    let user_id = expect(&verified, 200)["id"].as_str().unwrap().to_owned();

    let wrong = "Wrong-password-1!";
    let known = server
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": wrong})),
        )
        .await;
    let unknown_email = format!("nobody-{}@example.com", uuid::Uuid::new_v4().simple());
    let unknown = server
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"email": unknown_email, "password": wrong})),
        )
        .await;
    // The answers are the same; only the log knows the account.
    assert_eq!(known.status, 401);
    assert_eq!(unknown.status, known.status);
    assert_eq!(known.body["code"], "invalid_credentials");
    assert_eq!(unknown.body, known.body);

    let logins = settled(&server, "auth.login", 2).await;
    assert_eq!(logins.len(), 2, "{logins:?}");
    assert_eq!(logins[0]["outcome"], "invalid_credentials", "{}", logins[0]);
    assert_eq!(logins[0]["user_id"], user_id.as_str(), "{}", logins[0]);
    assert_eq!(logins[1]["outcome"], "invalid_credentials", "{}", logins[1]);
    assert!(logins[1].get("user_id").is_none(), "{}", logins[1]);

    let text: String = server.log().iter().map(Value::to_string).collect();
    assert!(!text.contains(password) && !text.contains(wrong) && !text.contains(&email));
}
