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
        let email = user.email.clone();
        self.state
            .db
            .run(move |conn| {
                let row = authd::db::users::find_by_email(conn, &email)?.expect("user");
                authd::db::users::set_roles(conn, &row.id, &["admin".to_owned()])?;
                Ok(())
            })
            .await
            .expect("make admin");
        let tokens = self.login_user(&user).await;
        (user, tokens)
    }
}
