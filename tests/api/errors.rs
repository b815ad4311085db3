use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

#[actix_web::test]
async fn malformed_json_is_a_400_problem() {
    let app = spawn_app().await;
    let response = app
        .raw(
            "POST",
            "/v1/auth/login",
            Some("application/json"),
            b"{".to_vec(),
        )
        .await;
    response.assert_problem(400, "malformed_request");
    assert_eq!(response.json()["type"], "about:blank");
    assert_eq!(response.json()["title"], "Bad Request");
}

#[actix_web::test]
async fn missing_and_wrong_typed_fields_are_a_422_naming_each_field() {
    let app = spawn_app().await;
    let missing = app
        .post("/v1/auth/login", json!({"email": "a@example.com"}))
        .await;
    missing.assert_problem(422, "validation_failed");
    assert_eq!(missing.json()["errors"]["password"], json!(["is required"]));

    let wrong = app
        .post(
            "/v1/auth/login",
            json!({"email": "a@example.com", "password": 12345678}),
        )
        .await;
    wrong.assert_problem(422, "validation_failed");
    assert_eq!(
        wrong.json()["errors"]["password"],
        json!(["must be a string"])
    );
    assert!(
        !String::from_utf8_lossy(&wrong.body).contains("12345678"),
        "the value is echoed"
    );
}

#[actix_web::test]
async fn a_body_over_64_kib_is_a_413() {
    let app = spawn_app().await;
    let big = json!({"email": "a@example.com", "password": "x".repeat(70 * 1024)});
    let response = app
        .raw(
            "POST",
            "/v1/auth/login",
            Some("application/json"),
            serde_json::to_vec(&big).unwrap(),
        )
        .await;
    response.assert_problem(413, "payload_too_large");
}

#[actix_web::test]
async fn a_wrong_content_type_is_a_415() {
    let app = spawn_app().await;
    let body = br#"{"email": "a@example.com", "password": "x"}"#.to_vec();
    app.raw("POST", "/v1/auth/login", Some("text/plain"), body.clone())
        .await
        .assert_problem(415, "unsupported_media_type");
    app.raw("POST", "/v1/auth/login", None, body)
        .await
        .assert_problem(415, "unsupported_media_type");
}

#[actix_web::test]
async fn unknown_routes_are_404_and_wrong_methods_405_problems() {
    let app = spawn_app().await;
    app.get("/v1/nothing-here", None)
        .await
        .assert_problem(404, "not_found");
    app.get("/nothing-here", None)
        .await
        .assert_problem(404, "not_found");
    let wrong = app.get("/v1/auth/login", None).await;
    wrong.assert_problem(405, "method_not_allowed");
    assert_eq!(wrong.header("allow").as_deref(), Some("POST"));
    let wrong = app
        .request("PUT", "/v1/auth/sessions/abc", None, None, &[])
        .await;
    wrong.assert_problem(405, "method_not_allowed");
}

#[actix_web::test]
async fn bad_input_changes_nothing() {
    let app = spawn_app().await;
    let email = "half@example.com";
    // A weak password: refused, and no account, no mail.
    app.register(email, "short")
        .await
        .assert_problem(422, "validation_failed");
    assert!(app.unread_mail_to(email).await.is_empty());
    // The email is still free: registering properly sends a verification mail.
    assert_eq!(app.register(email, PASSWORD).await.status, 202);
    let mail = app.mail_to(email).await;
    assert!(mail.link().contains("/verify-email?token="));
}

#[actix_web::test]
async fn a_json_array_is_not_an_object() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let array = serde_json::to_vec(&json!([user.email, user.password])).unwrap();
    let response = app
        .raw("POST", "/v1/auth/login", Some("application/json"), array)
        .await;
    response.assert_problem(422, "validation_failed");
    assert_eq!(
        response.json()["errors"]["body"],
        json!(["must be a JSON object"])
    );
}

#[actix_web::test]
async fn a_trailing_slash_is_another_path() {
    let app = spawn_app().await;
    app.get("/v1/me/", None)
        .await
        .assert_problem(404, "not_found");
    app.get("//v1/me", None)
        .await
        .assert_problem(404, "not_found");
    app.request("POST", "/v1/auth/login/", None, Some(&json!({})), &[])
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn a_nul_in_a_path_id_is_a_404_on_every_backend() {
    // PostgreSQL refuses NUL in text: before this answer, each of these
    // was a 500 there.
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    for (method, path) in [
        ("GET", "/v1/admin/users/a%00b"),
        ("GET", "/v1/admin/users/a%00b/sessions"),
        ("GET", "/v1/admin/users/a%00b/mfa"),
        ("DELETE", "/v1/me/mfa/a%00b"),
        ("DELETE", "/v1/auth/sessions/a%00b"),
    ] {
        app.request(method, path, Some(&admin.access), None, &[])
            .await
            .assert_problem(404, "not_found");
    }
}
