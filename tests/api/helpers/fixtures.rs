//! Users and tokens most tests start from.

use serde_json::{Value, json};

use super::{Response, TestApp};

pub const PASSWORD: &str = "correct-Horse-battery-9";

pub struct TestUser {
    pub email: String,
    pub password: String,
}

pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub body: Value,
}

impl Tokens {
    /// The token pair of a successful login answer.
    #[track_caller]
    pub fn of(response: &Response) -> Self {
        response.assert_status(200);
        let body = response.json();
        Self {
            access: body["access_token"]
                .as_str()
                .expect("access token")
                .to_owned(),
            refresh: body["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
            body,
        }
    }
}

impl TestApp {
    /// Registers, reads the verification mail, verifies.
    pub async fn verified_user(&self) -> TestUser {
        let email = format!("user-{}@example.com", uuid::Uuid::new_v4().simple());
        let response = self.register(&email, PASSWORD).await;
        response.assert_status(202);
        let mail = self.mail_to(&email).await;
        let verified = self
            .post("/v1/auth/verify-email", json!({"token": mail.token()}))
            .await;
        verified.assert_status(200);
        TestUser {
            email,
            password: PASSWORD.into(),
        }
    }

    pub async fn login_user(&self, user: &TestUser) -> Tokens {
        Tokens::of(&self.login(&user.email, &user.password).await)
    }

    /// A verified user with the admin role, logged in.
    pub async fn admin(&self) -> (TestUser, Tokens) {
        let user = self.verified_user().await;
        self.set_roles(&user.email, &["admin"]).await;
        let tokens = self.login_user(&user).await;
        (user, tokens)
    }

    /// Gives the user of `email` exactly `roles`, straight in the database.
    pub async fn set_roles(&self, email: &str, roles: &[&str]) {
        let email = email.to_owned();
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        self.state
            .db
            .run(move |conn| {
                let row = authd::db::users::find_by_email(conn, &email)?.expect("user");
                authd::db::users::set_roles(conn, &row.id, &roles)?;
                Ok(())
            })
            .await
            .expect("set roles");
    }
}

/// The session id (`sid`) an access token names.
pub fn session_of(access: &str) -> String {
    use base64::Engine;
    let payload = access.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64"),
    )
    .expect("JSON claims");
    claims["sid"].as_str().expect("sid").to_owned()
}

/// Which time of a session row to move back.
#[derive(Clone, Copy)]
pub enum SessionClock {
    /// `created_at`: where the absolute lifetime (`AUTH_SESSION_MAX_AGE`)
    /// counts from.
    Started,
    /// `auth_time`: the login a refresh copies into every new access token
    /// (`AUTH_REAUTH_MAX_AGE` counts from it).
    LoggedIn,
}

impl TestApp {
    /// Moves one time of session `sid` to `secs` seconds ago (whole
    /// seconds), where the clock would be after waiting that long: a test
    /// about lifetimes waits on nothing, and a slow machine cannot run the
    /// steps before it out of a short window. Returns the new time.
    pub async fn backdate_session(
        &self,
        sid: &str,
        which: SessionClock,
        secs: i64,
    ) -> chrono::NaiveDateTime {
        use chrono::Timelike;
        let at = (chrono::Utc::now() - chrono::Duration::seconds(secs))
            .naive_utc()
            .with_nanosecond(0)
            .expect("whole seconds");
        let sid = sid.to_owned();
        self.state
            .db
            .run(move |conn| {
                use authd::db::schema::sessions;
                use diesel::prelude::*;
                let target = sessions::table.find(sid);
                let moved = match which {
                    SessionClock::Started => diesel::update(target)
                        .set(sessions::created_at.eq(at))
                        .execute(conn)?,
                    SessionClock::LoggedIn => diesel::update(target)
                        .set(sessions::auth_time.eq(Some(at)))
                        .execute(conn)?,
                };
                assert_eq!(moved, 1, "one session row");
                Ok(())
            })
            .await
            .expect("backdate the session");
        at
    }
}

const FAIL_SESSIONS_PG: &str = "CREATE FUNCTION authd_test_fail_session() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '40001'; END $$; \
     CREATE TRIGGER authd_test_fail_session BEFORE INSERT ON sessions \
     FOR EACH ROW EXECUTE FUNCTION authd_test_fail_session();";
const MEND_SESSIONS_PG: &str = "DROP TRIGGER authd_test_fail_session ON sessions; \
     DROP FUNCTION authd_test_fail_session();";
const FAIL_SESSIONS_SQLITE: &str = "CREATE TRIGGER authd_test_fail_session BEFORE INSERT ON \
     sessions BEGIN SELECT RAISE(ABORT, 'injected'); END;";
const MEND_SESSIONS_SQLITE: &str = "DROP TRIGGER authd_test_fail_session;";

impl TestApp {
    /// From now on, writing a session row fails inside its transaction (a
    /// trigger): on PostgreSQL as a serialization failure (503
    /// `service_unavailable`), on SQLite as an error (500 `internal_error`).
    /// Returns the answer a login that needs a session gets meanwhile.
    pub async fn fail_session_writes(&self) -> (u16, &'static str) {
        let sql = if self.is_postgres() {
            FAIL_SESSIONS_PG
        } else {
            FAIL_SESSIONS_SQLITE
        };
        self.batch(sql).await;
        if self.is_postgres() {
            (503, "service_unavailable")
        } else {
            (500, "internal_error")
        }
    }

    /// Undoes [`TestApp::fail_session_writes`].
    pub async fn mend_session_writes(&self) {
        let sql = if self.is_postgres() {
            MEND_SESSIONS_PG
        } else {
            MEND_SESSIONS_SQLITE
        };
        self.batch(sql).await;
    }

    async fn batch(&self, sql: &'static str) {
        self.state
            .db
            .run(move |conn| {
                use diesel::connection::SimpleConnection;
                conn.batch_execute(sql)?;
                Ok(())
            })
            .await
            .expect("run SQL");
    }
}
