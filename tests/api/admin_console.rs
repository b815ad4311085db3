//! The admin console at `/admin/` (issue #37): embedded files with their
//! types and a strict Content-Security-Policy, off with
//! `AUTH_ADMIN_CONSOLE=false`. The console itself is tested in Chromium by
//! `admin-console/test/console.test.mjs`.

use crate::helpers::{spawn_app, spawn_app_with};

/// The directives the console's CSP must have, each with its exact value.
const DIRECTIVES: &[(&str, &str)] = &[
    ("default-src", "'none'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    ("img-src", "'self' data:"),
    ("connect-src", "'self'"),
    ("base-uri", "'none'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
];

fn directives(csp: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = csp
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| match d.split_once(' ') {
            Some((name, value)) => (name.to_owned(), value.trim().to_owned()),
            None => (d.to_owned(), String::new()),
        })
        .collect();
    found.sort();
    found
}

#[actix_web::test]
async fn the_console_page_is_html_under_a_strict_content_security_policy() {
    let app = spawn_app().await;
    let page = app.get("/admin/", None).await;
    page.assert_status(200);
    assert_eq!(
        page.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains(r#"<script type="module" src="app.js"></script>"#));
    assert!(
        !html.contains("<style") && !html.contains(" style="),
        "inline style"
    );
    let csp = page
        .header("content-security-policy")
        .expect("no Content-Security-Policy");
    let mut expected: Vec<(String, String)> = DIRECTIVES
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(directives(&csp), expected, "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    assert_eq!(
        page.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(
        page.header("referrer-policy").as_deref(),
        Some("no-referrer")
    );
    assert_eq!(page.header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(page.header("cache-control").as_deref(), Some("no-cache"));
}

#[actix_web::test]
async fn the_console_script_and_stylesheet_have_their_types_and_the_same_policy() {
    let app = spawn_app().await;
    for (path, content_type) in [
        ("/admin/app.js", "text/javascript; charset=utf-8"),
        ("/admin/app.css", "text/css; charset=utf-8"),
    ] {
        let file = app.get(path, None).await;
        file.assert_status(200);
        assert_eq!(
            file.header("content-type").as_deref(),
            Some(content_type),
            "{path}"
        );
        assert!(!file.body.is_empty(), "{path} is empty");
        let csp = file.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(
            file.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
    }
    // The files are the checked-in build (admin-console/dist), byte for byte.
    for name in ["index.html", "app.js", "app.css"] {
        let path = if name == "index.html" {
            String::new()
        } else {
            name.to_owned()
        };
        let served = app.get(&format!("/admin/{path}"), None).await.body;
        let built = std::fs::read(format!(
            "{}/admin-console/dist/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        assert!(
            served == built,
            "/admin/{path} is not admin-console/dist/{name} ({} and {} bytes): rebuild",
            served.len(),
            built.len()
        );
    }
    // Nothing else is served under /admin/.
    app.get("/admin/missing.js", None)
        .await
        .assert_problem(404, "not_found");
}

#[actix_web::test]
async fn the_api_keeps_its_own_policy_beside_the_console() {
    let app = spawn_app().await;
    let csp = app
        .get("/healthz", None)
        .await
        .header("content-security-policy")
        .unwrap_or_default();
    assert_eq!(csp, "default-src 'none'; frame-ancestors 'none'");
}

#[actix_web::test]
async fn admin_console_false_answers_404_like_any_unknown_path() {
    let app = spawn_app_with(&[("AUTH_ADMIN_CONSOLE", "false")]).await;
    for path in ["/admin/", "/admin/app.js", "/admin/app.css", "/admin"] {
        let response = app.get(path, None).await;
        response.assert_problem(404, "not_found");
        assert_eq!(
            response.header("content-type").as_deref(),
            Some("application/problem+json"),
            "{path}"
        );
    }
    // The API is unchanged.
    app.get("/healthz", None).await.assert_status(200);
}

/// The read-only views the console's user page needs (`users:read`): a
/// user's confirmed factors and linked identities, metadata only.
#[actix_web::test]
async fn an_operator_reads_a_users_factors_and_identities_but_no_secret() {
    let app = spawn_app().await;
    let (_, admin) = app.admin().await;
    let user = app.verified_user().await;
    let session = app.login_user(&user).await;
    let id = app.get("/v1/me", Some(&session.access)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let none = app
        .get(&format!("/v1/admin/users/{id}/mfa"), Some(&admin.access))
        .await;
    none.assert_status(200);
    assert_eq!(none.json()["factors"], serde_json::json!([]));

    let (factor_id, secret) = crate::mfa::enrol_and_confirm(&app, &session).await;
    let factors = app
        .get(&format!("/v1/admin/users/{id}/mfa"), Some(&admin.access))
        .await;
    factors.assert_status(200);
    let body = factors.json();
    assert_eq!(body["factors"][0]["id"], factor_id.as_str());
    assert_eq!(body["factors"][0]["type"], "totp");
    assert_eq!(body["recovery_codes_remaining"], 10);
    let text = String::from_utf8_lossy(&factors.body).to_string();
    let encoded = authd::auth::mfa::totp::base32(&secret);
    assert!(
        !text.contains(&encoded) && !text.contains("secret"),
        "the TOTP secret is in {text}"
    );

    let identities = app
        .get(
            &format!("/v1/admin/users/{id}/identities"),
            Some(&admin.access),
        )
        .await;
    identities.assert_status(200);
    assert_eq!(identities.json(), serde_json::json!({"identities": []}));

    // Another user's own token has no users:read; an unknown id is a 404.
    for path in [
        format!("/v1/admin/users/{id}/mfa"),
        format!("/v1/admin/users/{id}/identities"),
    ] {
        app.get(&path, Some(&session.access))
            .await
            .assert_problem(403, "forbidden");
        app.get(&path.replace(&id, "no-such-user"), Some(&admin.access))
            .await
            .assert_problem(404, "not_found");
    }
}
