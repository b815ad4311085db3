//! Localised mail (API.md §17): the user's locale, where it comes from,
//! and the mail it gives (parsed as MIME); overrides and the start-time
//! check through the real binary.

use std::path::Path;

use serde_json::{Value, json};

use crate::cli::{app_vars, authd};
use crate::helpers::{Mail, PASSWORD, TestApp, TestUser, Tokens, spawn_app, spawn_app_with};

fn new_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::new_v4().simple())
}

async fn register_with(app: &TestApp, body: Value, headers: &[(&str, &str)]) {
    app.request("POST", "/v1/auth/register", None, Some(&body), headers)
        .await
        .assert_status(202);
}

/// Every mail: multipart/alternative with a text and an HTML part in the
/// language it names.
#[track_caller]
fn assert_localised(mail: &Mail, locale: &str) {
    assert_eq!(mail.content_language, locale, "{}", mail.raw);
    assert_eq!(mail.content_type, "multipart/alternative", "{}", mail.raw);
    assert!(!mail.text.is_empty(), "no text part: {}", mail.raw);
    assert!(
        mail.html.contains(&format!("<html lang=\"{locale}\">")),
        "{}",
        mail.html
    );
}

async fn verify_and_login(app: &TestApp, email: &str, mail: &Mail) -> Tokens {
    app.post("/v1/auth/verify-email", json!({"token": mail.token()}))
        .await
        .assert_status(200);
    app.login_user(&TestUser {
        email: email.to_owned(),
        password: PASSWORD.into(),
    })
    .await
}

async fn patch_me(app: &TestApp, token: &str, body: Value) -> crate::helpers::Response {
    app.request("PATCH", "/v1/me", Some(token), Some(&body), &[])
        .await
}

async fn request_reset(app: &TestApp, email: &str, headers: &[(&str, &str)]) -> Mail {
    app.request(
        "POST",
        "/v1/auth/password-reset/request",
        None,
        Some(&json!({"email": email})),
        headers,
    )
    .await
    .assert_status(202);
    app.mail_to(email).await
}

#[actix_web::test]
async fn registration_with_a_locale_mails_in_it_and_keeps_it() {
    let app = spawn_app().await;
    let email = new_email();
    // The body wins over Accept-Language.
    let body = json!({"email": email, "password": PASSWORD, "locale": "DE"});
    register_with(&app, body, &[("Accept-Language", "fr")]).await;
    let mail = app.mail_to(&email).await;
    assert_localised(&mail, "de");
    assert_eq!(mail.subject, "Bestätigen Sie Ihre E-Mail-Adresse für authd");
    assert!(mail.text.contains("/verify-email?token="), "{}", mail.text);
    assert!(
        mail.html.contains("E-Mail-Adresse bestätigen"),
        "{}",
        mail.html
    );

    let tokens = verify_and_login(&app, &email, &mail).await;
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.json()["locale"], "de");
}

#[actix_web::test]
async fn registration_without_a_locale_takes_the_best_accept_language_match() {
    let app = spawn_app().await;
    let email = new_email();
    let body = json!({"email": email, "password": PASSWORD});
    // ja is not available; fr-CA falls back to fr, which outranks de.
    let header = [("Accept-Language", "ja, fr-CA;q=0.9, de;q=0.8")];
    register_with(&app, body, &header).await;
    let mail = app.mail_to(&email).await;
    assert_localised(&mail, "fr");
    assert_eq!(mail.subject, "Confirmez votre adresse e-mail pour authd");

    let tokens = verify_and_login(&app, &email, &mail).await;
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.json()["locale"], "fr");
}

#[actix_web::test]
async fn without_locale_or_accept_language_the_default_locale_is_used() {
    let app = spawn_app_with(&[("AUTH_DEFAULT_LOCALE", "es")]).await;
    let email = new_email();
    let body = json!({"email": email, "password": PASSWORD});
    register_with(&app, body, &[]).await;
    let mail = app.mail_to(&email).await;
    assert_localised(&mail, "es");
    assert_eq!(mail.subject, "Confirma tu dirección de correo para authd");

    // An invalid tag in the body is a 422 naming the field.
    let bad = json!({"email": new_email(), "password": PASSWORD, "locale": "de_DE"});
    let answer = app.post("/v1/auth/register", bad).await;
    answer.assert_problem(422, "validation_failed");
    assert!(
        answer.json()["errors"]["locale"].is_array(),
        "{}",
        answer.json()
    );
}

#[actix_web::test]
async fn patch_me_changes_the_locale_and_later_mail_follows_it() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.json()["locale"], "en");
    let mail = request_reset(&app, &user.email, &[]).await;
    assert_localised(&mail, "en");
    assert_eq!(mail.subject, "Reset your authd password");

    let patched = patch_me(&app, &tokens.access, json!({"locale": "es"})).await;
    patched.assert_status(200);
    assert_eq!(patched.json()["locale"], "es");
    // A request's own language does not override the account's.
    let mail = request_reset(&app, &user.email, &[("Accept-Language", "de")]).await;
    assert_localised(&mail, "es");
    assert_eq!(mail.subject, "Restablece tu contraseña de authd");
    assert!(
        mail.text.contains("/reset-password?token="),
        "{}",
        mail.text
    );

    // Any non-empty subset: the name alone leaves the locale alone.
    let renamed = patch_me(&app, &tokens.access, json!({"display_name": "Ana"})).await;
    renamed.assert_status(200);
    assert_eq!(renamed.json()["locale"], "es");
    assert_eq!(renamed.json()["display_name"], "Ana");
    let both = json!({"display_name": null, "locale": "fr-ca"});
    let both = patch_me(&app, &tokens.access, both).await;
    both.assert_status(200);
    assert_eq!(both.json()["locale"], "fr-CA");
    assert_eq!(both.json()["display_name"], Value::Null);

    // An invalid tag changes nothing, not even the valid field beside it.
    for bad in ["", "english please", "de_AT", "x"] {
        let body = json!({"display_name": "Changed", "locale": bad});
        let answer = patch_me(&app, &tokens.access, body).await;
        answer.assert_problem(422, "validation_failed");
        assert!(
            answer.json()["errors"]["locale"].is_array(),
            "{bad}: {}",
            answer.json()
        );
    }
    let wrong_type = patch_me(&app, &tokens.access, json!({"locale": 7})).await;
    wrong_type.assert_problem(422, "validation_failed");
    patch_me(&app, &tokens.access, json!({}))
        .await
        .assert_problem(422, "validation_failed");
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.json()["locale"], "fr-CA");
    assert_eq!(me.json()["display_name"], Value::Null);
}

#[actix_web::test]
async fn a_regional_locale_falls_back_to_its_language_then_the_default() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    patch_me(&app, &tokens.access, json!({"locale": "de-AT"}))
        .await
        .assert_status(200);
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.json()["locale"], "de-AT");
    let mail = request_reset(&app, &user.email, &[]).await;
    assert_localised(&mail, "de");
    assert_eq!(mail.subject, "Setzen Sie Ihr Passwort für authd zurück");

    // A language with no templates at all: the default.
    patch_me(&app, &tokens.access, json!({"locale": "ja-JP"}))
        .await
        .assert_status(200);
    let mail = request_reset(&app, &user.email, &[]).await;
    assert_localised(&mail, "en");
}

#[actix_web::test]
async fn mail_to_an_address_with_no_account_uses_the_request_language() {
    let app = spawn_app().await;
    // The body's locale, with a region that falls back.
    let email = new_email();
    app.post(
        "/v1/auth/email-login/start",
        json!({"email": email, "locale": "fr-BE"}),
    )
    .await
    .assert_status(202);
    let mail = app.mail_to(&email).await;
    assert_localised(&mail, "fr");
    assert_eq!(mail.subject, "Connexion à authd");
    // The sign-up the mail makes keeps the request's language.
    let code = mail
        .text
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.chars().all(|c| c.is_ascii_digit()))
        .expect("a code in the text part")
        .to_owned();
    let signed_in = app
        .post(
            "/v1/auth/email-login/verify",
            json!({"email": email, "code": code}),
        )
        .await;
    let tokens = Tokens::of(&signed_in);
    let me = app.get("/v1/me", Some(&tokens.access)).await;
    assert_eq!(me.json()["locale"], "fr-BE");

    // No body locale: Accept-Language.
    let other = new_email();
    app.request(
        "POST",
        "/v1/auth/email-login/start",
        None,
        Some(&json!({"email": other})),
        &[("Accept-Language", "es-MX,es;q=0.9,en;q=0.5")],
    )
    .await
    .assert_status(202);
    let mail = app.mail_to(&other).await;
    assert_localised(&mail, "es");
    assert_eq!(mail.subject, "Inicia sesión en authd");

    // Reset and resend for an unknown address queue nothing, whatever the
    // language (API.md §3: the same 202).
    for path in [
        "/v1/auth/password-reset/request",
        "/v1/auth/verify-email/resend",
    ] {
        let nobody = new_email();
        app.request(
            "POST",
            path,
            None,
            Some(&json!({"email": nobody})),
            &[("Accept-Language", "de")],
        )
        .await
        .assert_status(202);
        assert!(app.unread_mail_to(&nobody).await.is_empty(), "{path}");
    }
}

#[actix_web::test]
async fn a_display_name_is_escaped_in_html_and_only_a_proved_account_shows_it() {
    let app = spawn_app().await;
    let user = app.verified_user().await;
    let tokens = app.login_user(&user).await;
    let name = "<script>alert(1)</script> & Co";
    patch_me(&app, &tokens.access, json!({"display_name": name}))
        .await
        .assert_status(200);
    let mail = request_reset(&app, &user.email, &[]).await;
    assert!(
        mail.html
            .contains("Hello &lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; Co,"),
        "{}",
        mail.html
    );
    assert!(!mail.html.contains("<script>"), "{}", mail.html);
    assert!(
        mail.text.contains(&format!("Hello {name},")),
        "{}",
        mail.text
    );

    // Nobody's words reach an address they have not proved: an
    // unverified registration's name stays out of its mail.
    let email = new_email();
    let body =
        json!({"email": email, "password": PASSWORD, "display_name": "Visit evil.example now"});
    register_with(&app, body, &[]).await;
    let mail = app.mail_to(&email).await;
    assert!(!mail.raw.contains("evil.example"), "{}", mail.raw);
    assert!(mail.text.starts_with("Hello,"), "{}", mail.text);
    // Nor in the mail a resend writes from the stored (unverified) account.
    app.post("/v1/auth/verify-email/resend", json!({"email": email}))
        .await
        .assert_status(202);
    let mail = app.mail_to(&email).await;
    assert!(mail.link().contains("/verify-email?token="), "{}", mail.raw);
    assert!(!mail.raw.contains("evil.example"), "{}", mail.raw);
}

fn write(dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[actix_web::test]
async fn an_override_replaces_one_file_and_a_new_folder_adds_a_locale() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_str().unwrap();
    write(
        dir.path(),
        "de/verification.subject",
        "Willkommen bei {{ product_name }}, {{ email }}",
    );
    for (part, text) in [
        ("subject", "Confirme seu e-mail no {{ product_name }}"),
        ("txt", "Olá,\n\nconfirme: {{ link }}\n"),
        (
            "html",
            "<p>Olá {{ display_name }}</p><a href=\"{{ link }}\">Confirmar</a>",
        ),
    ] {
        write(dir.path(), &format!("pt-BR/verification.{part}"), text);
    }
    let app = spawn_app_with(&[
        ("AUTH_MAIL_TEMPLATES_DIR", dir_path),
        ("AUTH_PRODUCT_NAME", "Acme"),
    ])
    .await;

    let email = new_email();
    register_with(
        &app,
        json!({"email": email, "password": PASSWORD, "locale": "de"}),
        &[],
    )
    .await;
    let mail = app.mail_to(&email).await;
    assert_localised(&mail, "de");
    assert_eq!(mail.subject, format!("Willkommen bei Acme, {email}"));
    // The text and HTML parts are still the built-in German ones.
    assert!(
        mail.text.contains("Bestätigen Sie sie über diesen Link:"),
        "{}",
        mail.text
    );
    assert!(
        mail.html.contains("E-Mail-Adresse bestätigen"),
        "{}",
        mail.html
    );

    let email = new_email();
    register_with(
        &app,
        json!({"email": email, "password": PASSWORD}),
        &[("Accept-Language", "pt-BR, en;q=0.5")],
    )
    .await;
    let mail = app.mail_to(&email).await;
    assert_eq!(mail.content_language, "pt-BR");
    assert_eq!(mail.subject, "Confirme seu e-mail no Acme");
    assert!(mail.text.contains("confirme: http"), "{}", mail.text);
    assert!(mail.link().contains("/verify-email?token="));

    // The preview shows what the server sends.
    let (code, stdout, stderr) = authd(
        &app_vars(&app),
        &["mail", "preview", "verification", "--locale", "de-CH"],
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout
            .starts_with("Subject: Willkommen bei Acme, ada@example.com\nContent-Language: de\n\n"),
        "{stdout}"
    );
    assert!(stdout.contains("Hallo Ada,"), "{stdout}");
}

#[actix_web::test]
async fn a_broken_template_stops_serve_with_exit_2_naming_file_and_line() {
    let app = spawn_app().await;
    let vars = app_vars(&app);
    let cases = [
        // An unknown variable (a typo), line 3.
        (
            "fr/password_reset.txt",
            "Bonjour,\n\n{{ link }} {{ expires_in_hour }}\n",
            ":3: unknown variable `expires_in_hour`",
        ),
        // A syntax error, line 2.
        (
            "en/verification.html",
            "<p>Hello</p>\n<a href=\"{{ link }\">x</a>\n",
            ":2: syntax error",
        ),
        // A variable another kind has is unknown here.
        (
            "es/password_changed.subject",
            "{{ code }}",
            ":1: unknown variable `code`",
        ),
    ];
    for (file, text, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), file, text);
        let dir_path = dir.path().to_str().unwrap();
        let mut vars = vars.clone();
        vars.push(("AUTH_MAIL_TEMPLATES_DIR", dir_path));
        let (code, _, stderr) = authd(&vars, &["serve"], None);
        assert_eq!(code, 2, "{file}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        let named = format!("{}{expected}", dir.path().join(file).display());
        assert!(stderr.contains("AUTH_MAIL_TEMPLATES_DIR"), "{stderr}");
        assert!(stderr.contains(&named), "want {named:?} in {stderr}");
    }
}

#[actix_web::test]
async fn mail_preview_prints_any_kind_in_any_locale() {
    let (code, stdout, stderr) = authd(
        &[],
        &["mail", "preview", "email_login", "--locale", "es"],
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("Subject: Inicia sesión en authd\nContent-Language: es\n"),
        "{stdout}"
    );
    assert!(stdout.contains("042917"), "{stdout}");

    let (code, html, _) = authd(
        &[],
        &["mail", "preview", "recovery_code_used", "--html"],
        None,
    );
    assert_eq!(code, 0);
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains("You have 7 unused recovery codes."), "{html}");

    let (code, _, stderr) = authd(&[], &["mail", "preview", "no_such_kind"], None);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = authd(
        &[],
        &["mail", "preview", "verification", "--locale", "de_DE"],
        None,
    );
    assert_eq!(code, 2, "{stderr}");
}
