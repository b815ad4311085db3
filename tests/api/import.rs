//! `authd import` and `authd export` (API.md §16): a fixture per format,
//! written as that system writes it with hashes made by the real
//! algorithms; login with the original password, then the stored hash is
//! authd's own. Runs on whichever backend the suite runs on.

use aes::cipher::{KeyIvInit, StreamCipher};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde_json::{Value, json};

use crate::cli::{app_vars, authd};
use crate::helpers::{TestApp, spawn_app_with};

const PW: &str = "Imported-Passw0rd!";

fn no_limits() -> [(&'static str, &'static str); 1] {
    [("AUTH_RATE_LIMITS", "false")]
}

/// Writes `content` to a file in a fresh directory and returns its path
/// (the directory lives as long as the returned guard).
fn fixture(name: &str, content: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    let path = path.to_str().unwrap().to_owned();
    (dir, path)
}

fn import(app: &TestApp, path: &str, format: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["import", path, "--format", format];
    args.extend_from_slice(extra);
    authd(&app_vars(app), &args, None)
}

async fn stored_hash(app: &TestApp, email: &str) -> Option<String> {
    let email = email.to_owned();
    app.state
        .db
        .run(move |conn| Ok(authd::db::users::find_by_email(conn, &email)?))
        .await
        .unwrap()
        .map(|row| row.password_hash)
}

async fn user_count(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    app.state
        .db
        .run(|conn| {
            Ok(authd::db::schema::users::table
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap()
}

/// Logs in with the original password, then checks the hash was rewritten
/// with authd's own algorithm (and that the new one works too).
async fn logs_in_and_is_rehashed(app: &TestApp, email: &str, password: &str) {
    let before = stored_hash(app, email).await.expect("imported");
    app.login(email, password).await.assert_status(200);
    let after = stored_hash(app, email).await.unwrap();
    assert_ne!(before, after, "{email}: hash not rewritten");
    assert!(after.starts_with("$2b$04$"), "{email}: {after}");
    app.login(email, password).await.assert_status(200);
    assert_eq!(stored_hash(app, email).await.unwrap(), after, "{email}");
    app.login(email, "Wrong-Passw0rd!")
        .await
        .assert_problem(401, "invalid_credentials");
}

fn bcrypt_2a(password: &str) -> String {
    bcrypt::hash_with_result(password, 4)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoA)
}

/// Firebase's modified scrypt, written here from the crates.
fn firebase_hash(password: &str, salt: &[u8], separator: &[u8], signer: &[u8]) -> Vec<u8> {
    let mut full_salt = salt.to_vec();
    full_salt.extend_from_slice(separator);
    let mut key = [0u8; 32];
    scrypt::scrypt(
        password.as_bytes(),
        &full_salt,
        &scrypt::Params::new(14, 8, 1).unwrap(),
        &mut key,
    )
    .unwrap();
    let mut out = signer.to_vec();
    ctr::Ctr128BE::<aes::Aes256>::new(&key.into(), &[0u8; 16].into()).apply_keystream(&mut out);
    out
}

type Pbkdf2 = fn(&[u8], &[u8], u32, &mut [u8]);

fn pbkdf2_b64(prf: Pbkdf2, password: &str, salt: &[u8], rounds: u32, len: usize) -> String {
    let mut out = vec![0u8; len];
    prf(password.as_bytes(), salt, rounds, &mut out);
    STANDARD.encode(out)
}

fn argon2_phc(
    algorithm: argon2::Algorithm,
    password: &str,
    m: u32,
    t: u32,
    p: u32,
) -> (String, Vec<u8>, Vec<u8>) {
    let salt = b"somesaltsomesalt".to_vec();
    let mut hash = vec![0u8; 32];
    argon2::Argon2::new(
        algorithm,
        argon2::Version::V0x13,
        argon2::Params::new(m, t, p, Some(32)).unwrap(),
    )
    .hash_password_into(password.as_bytes(), &salt, &mut hash)
    .unwrap();
    let name = match algorithm {
        argon2::Algorithm::Argon2i => "argon2i",
        _ => "argon2id",
    };
    let phc = format!(
        "${name}$v=19$m={m},t={t},p={p}${}${}",
        STANDARD_NO_PAD.encode(&salt),
        STANDARD_NO_PAD.encode(&hash)
    );
    (phc, salt, hash)
}

#[actix_web::test]
async fn supabase_csv_users_log_in_with_their_bcrypt_passwords() {
    let app = spawn_app_with(&no_limits()).await;
    // As `\copy auth.users to … csv header` writes it: JSON columns quoted.
    let csv = format!(
        "instance_id,id,aud,role,email,encrypted_password,email_confirmed_at,invited_at,raw_app_meta_data,raw_user_meta_data,created_at,updated_at\n\
         00000000-0000-0000-0000-000000000000,6f1d7c0e-5b1a-4c3e-9f7e-2a9d3b1c0001,authenticated,authenticated,sb@example.com,{},2024-01-15 10:23:45.123456+00,,\"{{\"\"provider\"\":\"\"email\"\",\"\"providers\"\":[\"\"email\"\"]}}\",{{}},2024-01-15 10:20:00.5+00,2024-01-15 10:23:45+00\n\
         00000000-0000-0000-0000-000000000000,6f1d7c0e-5b1a-4c3e-9f7e-2a9d3b1c0002,authenticated,authenticated,unconfirmed@example.com,{},,,{{}},{{}},2024-01-16 08:00:00+00,2024-01-16 08:00:00+00\n",
        bcrypt_2a(PW),
        bcrypt_2a(PW),
    );
    let (_dir, path) = fixture("users.csv", &csv);
    let (code, out, err) = import(&app, &path, "supabase", &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.trim().lines().last(),
        Some("created 2, skipped 0, refused 0")
    );
    logs_in_and_is_rehashed(&app, "sb@example.com", PW).await;
    // The UUID is kept as the user's id.
    let me = app.login("sb@example.com", PW).await.json();
    assert_eq!(me["user"]["id"], "6f1d7c0e-5b1a-4c3e-9f7e-2a9d3b1c0001");
    app.login("unconfirmed@example.com", PW)
        .await
        .assert_problem(403, "email_not_verified");
}

#[actix_web::test]
async fn firebase_users_log_in_with_their_scrypt_passwords() {
    let app = spawn_app_with(&no_limits()).await;
    // The project parameters and the user of firebase/scrypt's README.
    let signer_b64 =
        "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";
    let separator_b64 = "Bw==";
    let signer = STANDARD.decode(signer_b64).unwrap();
    let separator = STANDARD.decode(separator_b64).unwrap();
    let salt = b"0123456789".to_vec();
    let export = json!({"users": [
        {
            "localId": "kYi4EvWQlQTKSfnJ3dRSP6IH3ed2",
            "email": "user1@test.com",
            "emailVerified": true,
            "passwordHash": "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
            "salt": "42xEC+ixf3L2lw==",
            "displayName": "Test User 1",
            "lastSignedInAt": "1508893925000",
            "createdAt": "1508893925000",
            "providerUserInfo": []
        },
        {
            "localId": "Qz1RqfNmR2dWjHCKQ3Ylbpm3qMz2",
            "email": "fb@example.com",
            "emailVerified": true,
            "passwordHash": STANDARD.encode(firebase_hash(PW, &salt, &separator, &signer)),
            "salt": STANDARD.encode(&salt),
            "createdAt": "1700000000000",
            "disabled": false,
            "providerUserInfo": [
                {"providerId": "google.com", "rawId": "108987654321", "email": "fb@example.com"},
                {"providerId": "password", "rawId": "fb@example.com"}
            ]
        }
    ]});
    let (dir, path) = fixture("users.json", &export.to_string());
    let map = dir.path().join("ids.csv");
    let flags = [
        "--firebase-salt-separator",
        separator_b64,
        "--firebase-rounds",
        "8",
        "--firebase-mem-cost",
        "14",
        "--id-map",
        map.to_str().unwrap(),
    ];
    // The signer key from the environment: flags show in `ps`.
    let mut vars = app_vars(&app);
    vars.push(("AUTH_IMPORT_FIREBASE_SIGNER_KEY", signer_b64));
    let mut args = vec!["import", path.as_str(), "--format", "firebase"];
    args.extend_from_slice(&flags);
    let (code, out, err) = authd(&vars, &args, None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with("created 2, skipped 0, refused 0\n"), "{out}");
    let ids = std::fs::read_to_string(&map).unwrap();
    assert_eq!(ids.lines().count(), 2, "{ids}");
    assert!(ids.starts_with("kYi4EvWQlQTKSfnJ3dRSP6IH3ed2,"), "{ids}");
    logs_in_and_is_rehashed(&app, "user1@test.com", "user1password").await;
    logs_in_and_is_rehashed(&app, "fb@example.com", PW).await;
    // Without the project's parameters a hash cannot be kept: refused.
    let (code, out, _) = import(&app, &path, "firebase", &[]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("user 1: a Firebase password hash needs"),
        "{out}"
    );
    // Parameters that cannot be the project's stop the run before it starts.
    let flags = [
        "--firebase-signer-key",
        "not base64!",
        "--firebase-rounds",
        "8",
        "--firebase-mem-cost",
        "14",
    ];
    let (code, _, err) = import(&app, &path, "firebase", &flags);
    assert_eq!(code, 2);
    assert!(err.contains("--firebase-signer-key: not base64"), "{err}");
}

#[actix_web::test]
async fn auth0_users_keep_their_passwords_and_social_identities() {
    let app = spawn_app_with(&no_limits()).await;
    let lines = [
        json!({"_id": {"$oid": "60425dc43519d90068f82973"}, "email": "a0@example.com",
               "email_verified": true, "passwordHash": bcrypt::hash(PW, 4).unwrap(),
               "created_at": {"$date": "2021-03-05T16:35:16.523Z"}, "tenant": "dev-abc",
               "connection": "Username-Password-Authentication",
               "identities": [{"connection": "Username-Password-Authentication",
                               "provider": "auth0", "user_id": "60425dc43519d90068f82973",
                               "isSocial": false}]}),
        json!({"user_id": "google-oauth2|108765432109876543210", "email": "social@example.com",
               "email_verified": true, "name": "Social Person",
               "created_at": "2022-07-01T09:00:00.000Z",
               "identities": [{"connection": "google-oauth2", "provider": "google-oauth2",
                               "user_id": "108765432109876543210", "isSocial": true}]}),
    ];
    let ndjson: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let (_dir, path) = fixture("users.ndjson", &ndjson);
    let (code, out, err) = import(&app, &path, "auth0", &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with("created 2, skipped 0, refused 0\n"), "{out}");
    logs_in_and_is_rehashed(&app, "a0@example.com", PW).await;
    // The social user has no password but keeps its Google identity.
    let social = stored_hash(&app, "social@example.com").await.unwrap();
    assert_eq!(social, "");
    let found = app
        .state
        .db
        .run(|conn| {
            Ok(authd::db::identities::find_by_subject(
                conn,
                "https://accounts.google.com",
                "108765432109876543210",
            )?)
        })
        .await
        .unwrap();
    assert!(found.is_some());
}

fn keycloak_credential(secret: Value, data: Value) -> Value {
    json!({"type": "password", "userLabel": "My password", "createdDate": 1700000000000_i64,
           "secretData": secret.to_string(), "credentialData": data.to_string()})
}

#[actix_web::test]
async fn keycloak_realm_users_log_in_with_pbkdf2_and_argon2_passwords() {
    let app = spawn_app_with(&no_limits()).await;
    let salt = b"0123456789abcdef";
    let pbkdf2 = |email: &str, algorithm: &str, hash: String| {
        json!({"id": uuid::Uuid::new_v4().to_string(), "createdTimestamp": 1700000000000_i64,
               "username": email, "enabled": true, "email": email, "emailVerified": true,
               "firstName": "Kay", "lastName": "Cloak",
               "attributes": {"locale": ["fr"]},
               "credentials": [keycloak_credential(
                   json!({"value": hash, "salt": STANDARD.encode(salt), "additionalParameters": {}}),
                   json!({"hashIterations": 1000, "algorithm": algorithm, "additionalParameters": {}}))],
               "realmRoles": ["default-roles-acme", "offline_access", "uma_authorization", "editor"],
               "notBefore": 0, "groups": []})
    };
    let (_, a_salt, a_hash) = argon2_phc(argon2::Algorithm::Argon2id, PW, 7168, 5, 1);
    let realm = json!({"id": "acme", "realm": "acme", "users": [
        pbkdf2("k1@example.com", "pbkdf2", pbkdf2_b64(pbkdf2::pbkdf2_hmac::<sha1::Sha1>, PW, salt, 1000, 20)),
        pbkdf2("k256@example.com", "pbkdf2-sha256", pbkdf2_b64(pbkdf2::pbkdf2_hmac::<sha2::Sha256>, PW, salt, 1000, 32)),
        pbkdf2("k512@example.com", "pbkdf2-sha512", pbkdf2_b64(pbkdf2::pbkdf2_hmac::<sha2::Sha512>, PW, salt, 1000, 64)),
        {"id": "5b8f3c2e-1111-4a4a-9e9e-000000000001", "createdTimestamp": 1700000000000_i64,
         "username": "ka", "enabled": true, "email": "kargon@example.com", "emailVerified": true,
         "credentials": [keycloak_credential(
             json!({"value": STANDARD.encode(&a_hash), "salt": STANDARD.encode(&a_salt), "additionalParameters": {}}),
             json!({"hashIterations": 5, "algorithm": "argon2", "additionalParameters": {
                 "hashLength": ["32"], "memory": ["7168"], "type": ["id"], "version": ["1.3"], "parallelism": ["1"]}}))],
         "realmRoles": ["default-roles-acme"],
         "federatedIdentities": [{"identityProvider": "google", "userId": "1122334455", "userName": "kargon"}]},
        {"id": "5b8f3c2e-1111-4a4a-9e9e-000000000002", "username": "odd", "enabled": true,
         "email": "odd@example.com", "emailVerified": true, "realmRoles": ["superhero"]},
        {"id": "5b8f3c2e-1111-4a4a-9e9e-000000000003", "username": "slow", "enabled": true,
         "email": "slow@example.com", "emailVerified": true,
         "credentials": [keycloak_credential(
             json!({"value": STANDARD.encode([0u8; 32]), "salt": STANDARD.encode(salt)}),
             json!({"hashIterations": 2_000_001, "algorithm": "pbkdf2-sha256"}))]}
    ]});
    let (_dir, path) = fixture("realm-export.json", &realm.to_string());
    let (code, out, err) = import(&app, &path, "keycloak", &[]);
    assert_eq!(code, 3, "{out}{err}");
    assert_eq!(
        out,
        "user 5: unknown role \"superhero\"\n\
         user 6: password hash parameters above the limit (PBKDF2 2,000,000 iterations, 4 output blocks)\n\
         created 4, skipped 0, refused 2\n"
    );
    for email in [
        "k1@example.com",
        "k256@example.com",
        "k512@example.com",
        "kargon@example.com",
    ] {
        logs_in_and_is_rehashed(&app, email, PW).await;
    }
    let pair = app.login("k256@example.com", PW).await.json();
    assert_eq!(pair["user"]["roles"], json!(["editor"]));
    // Keycloak's `attributes.locale` is the user's mail language.
    assert_eq!(pair["user"]["locale"], "fr");
    let pair = app.login("kargon@example.com", PW).await.json();
    assert_eq!(pair["user"]["roles"], json!(["viewer"]));
    assert_eq!(pair["user"]["id"], "5b8f3c2e-1111-4a4a-9e9e-000000000001");
}

/// authd's own format with hashes from elsewhere: Django's PBKDF2, Argon2i
/// and Argon2id PHC strings, raw bcrypt (`$2y$`, as PHP writes it).
fn authd_lines() -> String {
    let mut django = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(PW.as_bytes(), b"dj4ngoSalt", 1000, &mut django);
    let (argon2i, _, _) = argon2_phc(argon2::Algorithm::Argon2i, PW, 4096, 3, 1);
    let (argon2id, _, _) = argon2_phc(argon2::Algorithm::Argon2id, PW, 8192, 2, 2);
    let php = bcrypt::hash_with_result(PW, 4)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY);
    let lines = [
        json!({"email": "django@example.com", "email_verified": true,
               "password_hash": format!("pbkdf2_sha256$1000$dj4ngoSalt${}", STANDARD.encode(django))}),
        json!({"email": "argon2i@example.com", "email_verified": true, "password_hash": argon2i,
               "roles": ["editor", "viewer"], "display_name": "Ar Gon"}),
        json!({"email": "argon2id@example.com", "email_verified": true, "password_hash": argon2id,
               "created_at": "2020-02-02T02:02:02.123456Z"}),
        json!({"email": "php@example.com", "email_verified": true, "password_hash": php,
               "locale": "de_at"}),
    ];
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[actix_web::test]
async fn authd_format_users_with_django_argon2_and_php_hashes_log_in() {
    let app = spawn_app_with(&no_limits()).await;
    let (_dir, path) = fixture("users.jsonl", &authd_lines());
    let (code, out, err) = import(&app, &path, "authd", &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with("created 4, skipped 0, refused 0\n"), "{out}");
    for email in [
        "django@example.com",
        "argon2i@example.com",
        "argon2id@example.com",
        "php@example.com",
    ] {
        logs_in_and_is_rehashed(&app, email, PW).await;
    }
    // The locale is kept, in BCP 47's form; none given is the default's.
    let php = app.login("php@example.com", PW).await.json();
    assert_eq!(php["user"]["locale"], "de-AT");
    let django = app.login("django@example.com", PW).await.json();
    assert_eq!(django["user"]["locale"], Value::Null);
}

#[actix_web::test]
async fn with_argon2id_configured_every_other_scheme_moves_at_login() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_LIMITS", "false"),
        ("AUTH_PASSWORD_HASH", "argon2id"),
    ])
    .await;
    let own = authd::password::hash_blocking(PW, 4).unwrap();
    let content = format!(
        "{}\n{}\n",
        json!({"email": "own@example.com", "email_verified": true,
               "password_hash": format!("{{authd-bcrypt}}{own}")}),
        json!({"email": "raw@example.com", "email_verified": true,
               "password_hash": bcrypt::hash(PW, 4).unwrap()}),
    );
    let (_dir, path) = fixture("users.jsonl", &content);
    let (code, out, err) = import(&app, &path, "authd", &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(stored_hash(&app, "own@example.com").await.unwrap(), own);
    for email in ["own@example.com", "raw@example.com"] {
        app.login(email, PW).await.assert_status(200);
        let after = stored_hash(&app, email).await.unwrap();
        assert!(
            after.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{after}"
        );
        app.login(email, PW).await.assert_status(200);
        assert_eq!(stored_hash(&app, email).await.unwrap(), after);
    }
    // New hashes are Argon2id too.
    app.register("new@example.com", crate::helpers::PASSWORD)
        .await
        .assert_status(202);
    let new = stored_hash(&app, "new@example.com").await.unwrap();
    assert!(new.starts_with("$argon2id$"), "{new}");
}

#[actix_web::test]
async fn refused_lines_are_reported_dry_run_writes_nothing_and_reruns_create_nobody() {
    let app = spawn_app_with(&no_limits()).await;
    let costly = format!("$2b$15${}", "a".repeat(53));
    let content = format!(
        "{}\n\n{}\n{{not json\n{}\n{}\n{}\n{}\n{}\n",
        json!({"email": "one@example.com", "email_verified": true, "password_hash": bcrypt::hash(PW, 4).unwrap()}),
        json!({"email": "not an email"}),
        json!({"email": "two@example.com", "roles": ["wizard"]}),
        json!({"email": "three@example.com", "password_hash": "md5$abc$def"}),
        json!({"email": "four@example.com", "password_hash": costly}),
        json!({"email": "One@Example.com"}),
        json!({"email": "five@example.com", "locale": "not a tag"}),
    );
    let (_dir, path) = fixture("users.jsonl", &content);
    let expected_refusals = "line 3: the email is not a valid email address\n\
         line 4: malformed line: key must be a string at line 1 column 2\n\
         line 5: unknown role \"wizard\"\n\
         line 6: unsupported password hash\n\
         line 7: password hash parameters above the limit (bcrypt cost 14)\n\
         line 9: the locale \"not a tag\" is not a language tag (BCP 47)\n";

    let (code, out, err) = import(&app, &path, "authd", &["--dry-run"]);
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        out,
        format!(
            "{expected_refusals}dry run: nothing was written\ncreated 1, skipped 1, refused 6\n"
        )
    );
    assert_eq!(user_count(&app).await, 0);

    let (code, out, _) = import(&app, &path, "authd", &[]);
    assert_eq!(code, 3);
    assert_eq!(
        out,
        format!("{expected_refusals}created 1, skipped 1, refused 6\n")
    );
    assert_eq!(user_count(&app).await, 1);

    let (code, out, _) = import(&app, &path, "authd", &[]);
    assert_eq!(code, 3);
    assert!(out.ends_with("created 0, skipped 2, refused 6\n"), "{out}");
    assert_eq!(user_count(&app).await, 1);

    // One audit event per imported user, and no mail.
    let events = app
        .state
        .db
        .run(|conn| {
            use authd::db::schema::audit_events::dsl::*;
            use diesel::prelude::*;
            Ok(audit_events
                .filter(kind.eq("user.imported"))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(events, 1);
    let outbox = std::fs::read_dir(app.outbox_dir()).map_or(0, |d| d.count());
    assert_eq!(outbox, 0);
}

#[actix_web::test]
async fn export_then_import_into_an_empty_database_round_trips_every_field() {
    let first = spawn_app_with(&no_limits()).await;
    let own = authd::password::hash_blocking(PW, 4).unwrap();
    let rich = json!({"id": "0190f3a0-1234-7000-8000-00000000abcd", "email": "rich@example.com",
        "email_verified": true, "password_hash": format!("{{authd-bcrypt}}{own}"),
        "roles": ["admin", "editor"], "display_name": "Rich Person", "disabled": true,
        "created_at": "2019-05-06T07:08:09.654321Z", "locale": "pt-BR",
        "identities": [{"issuer": "https://accounts.google.com", "subject": "42"},
                       {"issuer": "https://github.com", "subject": "7"}]});
    // A Firebase user who never logged in keeps the project's parameters.
    let firebase = json!({"email": "user1@test.com", "email_verified": true,
        "password_hash": "{firebase-scrypt}r=8,m=14$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==$Bw==$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="});
    let content = format!("{}{rich}\n{firebase}\n", authd_lines());
    let (dir, path) = fixture("users.jsonl", &content);
    let (code, out, err) = import(&first, &path, "authd", &[]);
    assert_eq!(code, 0, "{out}{err}");
    // One user has logged in since: its hash is authd's own now.
    first.login("php@example.com", PW).await.assert_status(200);

    let exported = dir.path().join("export.jsonl");
    let exported = exported.to_str().unwrap();
    let (code, out, err) = authd(&app_vars(&first), &["export", exported], None);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "exported 6 users to ".to_owned() + exported + "\n");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(exported).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // Never over an existing file.
    let (code, _, err) = authd(&app_vars(&first), &["export", exported], None);
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");

    let second = spawn_app_with(&no_limits()).await;
    let (code, out, err) = import(&second, exported, "authd", &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.ends_with("created 6, skipped 0, refused 0\n"), "{out}");
    let again = dir.path().join("again.jsonl");
    let again = again.to_str().unwrap();
    let (code, _, err) = authd(&app_vars(&second), &["export", again], None);
    assert_eq!(code, 0, "{err}");

    let read = |path: &str| -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (before, after) = (read(exported), read(again));
    assert_eq!(before, after);
    let rich_out = before
        .iter()
        .find(|u| u["email"] == "rich@example.com")
        .unwrap();
    assert_eq!(rich_out, &rich);
    // Hashes survive: foreign ones still verify, the own one too.
    for email in ["django@example.com", "argon2id@example.com"] {
        logs_in_and_is_rehashed(&second, email, PW).await;
    }
    logs_in_and_is_rehashed(&second, "user1@test.com", "user1password").await;
    second.login("php@example.com", PW).await.assert_status(200);
    second
        .login("rich@example.com", PW)
        .await
        .assert_problem(403, "account_disabled");
}
