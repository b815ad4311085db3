use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with};

#[actix_web::test]
async fn registering_sends_a_verification_mail_with_a_frontend_link() {
    let app = spawn_app().await;
    let response = app.register("  New.User@Example.COM ", PASSWORD).await;
    assert_eq!(response.status, 202);
    assert_eq!(response.json(), json!({"status": "verification_sent"}));

    let mail = app.mail_to("new.user@example.com").await;
    assert!(mail.subject.contains("Confirm"), "{}", mail.subject);
    assert!(
        mail.link()
            .starts_with("https://app.example.test/verify-email?token="),
        "{}",
        mail.link()
    );
    assert!(mail.raw.contains("Content-Type: text/plain"));

    // Unverified accounts cannot log in (only after the right password).
    app.login("new.user@example.com", PASSWORD)
        .await
        .assert_problem(403, "email_not_verified");
    app.login("new.user@example.com", "Wrong-password-1!")
        .await
        .assert_problem(401, "invalid_credentials");

    let verified = app
        .post("/v1/auth/verify-email", json!({"token": mail.token()}))
        .await;
    assert_eq!(verified.status, 200);
    let user = verified.json();
    assert_eq!(user["email"], "new.user@example.com");
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["roles"], json!(["viewer"]));
    assert_eq!(user["disabled"], false);
    assert_eq!(
        app.login("NEW.USER@example.com", PASSWORD).await.status,
        200
    );
}

#[actix_web::test]
async fn registering_a_taken_email_answers_byte_for_byte_like_a_new_one() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let fresh = app.register("someone-new@example.com", PASSWORD).await;
    let taken = app.register(&user.email, "Another-passw0rd!x").await;
    assert_eq!(fresh.status, taken.status);
    assert_eq!(fresh.body, taken.body);
    assert_eq!(fresh.header("content-type"), taken.header("content-type"));

    let mail = app.mail_to(&user.email).await;
    assert!(
        mail.subject.contains("tried to register"),
        "{}",
        mail.subject
    );
    assert!(
        !mail.raw.contains("verify-email"),
        "an existing account gets no verification link"
    );
    // The password of the existing account did not change.
    assert_eq!(app.login(&user.email, &user.password).await.status, 200);
    app.login(&user.email, "Another-passw0rd!x")
        .await
        .assert_problem(401, "invalid_credentials");
}

#[actix_web::test]
async fn registering_an_unverified_email_again_resends_verification() {
    let app = spawn_app().await;
    let email = "pending@example.com";
    assert_eq!(app.register(email, PASSWORD).await.status, 202);
    let first = app.mail_to(email).await;
    assert_eq!(app.register(email, PASSWORD).await.status, 202);
    let second = app.mail_to(email).await;
    assert_ne!(first.token(), second.token());
    assert_eq!(
        app.post("/v1/auth/verify-email", json!({"token": second.token()}))
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn password_policy_reports_every_failed_rule_at_once() {
    let app = spawn_app().await;
    let response = app.register("weak@example.com", "abc").await;
    response.assert_problem(422, "validation_failed");
    let rules = response.json()["errors"]["password"].clone();
    let rules: Vec<String> = serde_json::from_value(rules).unwrap();
    assert!(rules.iter().any(|r| r.contains("at least 8")), "{rules:?}");
    assert!(rules.iter().any(|r| r.contains("digit")), "{rules:?}");
    assert!(rules.iter().any(|r| r.contains("symbol")), "{rules:?}");
    assert!(rules.iter().any(|r| r.contains("guess")), "{rules:?}");
    assert!(!String::from_utf8_lossy(&response.body).contains("\"abc\""));

    let around_email = app
        .register("jonathan.smith@example.com", "Jonathan.Smith!2024")
        .await;
    around_email.assert_problem(422, "validation_failed");
    assert!(
        around_email.json()["errors"]["password"]
            .to_string()
            .contains("email")
    );

    let too_long = app.register("long@example.com", &"aB3!".repeat(65)).await;
    too_long.assert_problem(422, "validation_failed");
    assert!(
        too_long.json()["errors"]["password"]
            .to_string()
            .contains("at most 256")
    );
}

#[actix_web::test]
async fn the_password_policy_is_configurable() {
    let app = spawn_app_with(&[
        ("AUTH_PASSWORD_CLASSES", ""),
        ("AUTH_PASSWORD_MIN_SCORE", "0"),
        ("AUTH_PASSWORD_MIN_LENGTH", "4"),
    ])
    .await;
    assert_eq!(app.register("simple@example.com", "abcd").await.status, 202);
}

#[actix_web::test]
async fn invalid_emails_and_display_names_are_422() {
    let app = spawn_app().await;
    let response = app.register("not-an-email", PASSWORD).await;
    response.assert_problem(422, "validation_failed");
    assert!(response.json()["errors"]["email"].is_array());

    let long_name = app
        .post(
            "/v1/auth/register",
            json!({"email": "named@example.com", "password": PASSWORD, "display_name": "x".repeat(101)}),
        )
        .await;
    long_name.assert_problem(422, "validation_failed");
    assert!(long_name.json()["errors"]["display_name"].is_array());
}

#[actix_web::test]
async fn verification_tokens_are_single_use() {
    let app = spawn_app().await;
    assert_eq!(app.register("once@example.com", PASSWORD).await.status, 202);
    let token = app.mail_to("once@example.com").await.token();
    assert_eq!(
        app.post("/v1/auth/verify-email", json!({"token": token}))
            .await
            .status,
        200
    );
    app.post("/v1/auth/verify-email", json!({"token": token}))
        .await
        .assert_problem(400, "token_used");
    app.post("/v1/auth/verify-email", json!({"token": "not-a-token"}))
        .await
        .assert_problem(400, "invalid_token");
}

#[actix_web::test]
async fn verification_tokens_expire() {
    let app = spawn_app_with(&[("AUTH_VERIFY_TTL", "1")]).await;
    assert_eq!(app.register("late@example.com", PASSWORD).await.status, 202);
    let token = app.mail_to("late@example.com").await.token();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.post("/v1/auth/verify-email", json!({"token": token}))
        .await
        .assert_problem(400, "token_expired");
}

#[actix_web::test]
async fn resend_answers_alike_and_mails_only_unverified_accounts() {
    let app = spawn_app().await;
    let verified = app.verified_user().await;
    assert_eq!(
        app.register("unverified@example.com", PASSWORD)
            .await
            .status,
        202
    );
    app.mail_to("unverified@example.com").await;

    let mut bodies = Vec::new();
    for email in [
        "nobody@example.com",
        verified.email.as_str(),
        "unverified@example.com",
    ] {
        let response = app
            .post("/v1/auth/verify-email/resend", json!({"email": email}))
            .await;
        assert_eq!(response.status, 202);
        bodies.push(response.body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));

    let resent = app.mail_to("unverified@example.com").await;
    assert!(resent.link().contains("/verify-email?token="));
    assert!(app.unread_mail_to("nobody@example.com").await.is_empty());
    assert!(app.unread_mail_to(&verified.email).await.is_empty());
}

/// ASVS 6.1.2 / 6.2.11: the product name, the email's local part and the
/// display name are context words; a password built from them is weak.
#[actix_web::test]
async fn passwords_built_from_context_words_are_refused() {
    let app = spawn_app_with(&[("AUTH_PRODUCT_NAME", "Quokkamail")]).await;
    let register = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/v1/auth/register",
                json!({"email": email, "password": password, "display_name": "Marguerite Okafor"}),
            )
            .await
        }
    };
    for (email, password) in [
        ("someone@example.com", "Quokkamail#2024"),
        ("zanzibarfeld@example.com", "Zanzibarfeld!99"),
        ("someone@example.com", "Marguerite!1985"),
    ] {
        let response = register(email, password).await;
        response.assert_problem(422, "validation_failed");
        assert!(
            response.json()["errors"]["password"].is_array(),
            "{password}: {}",
            response.json()
        );
    }
    let response = register("someone@example.com", "velvet-Tundra-harbour-42").await;
    assert_eq!(response.status, 202, "{}", response.json());
}
