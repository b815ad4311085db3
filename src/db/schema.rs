// One hand-written schema for both backends: ids are UUID text and times are
// UTC `Timestamp`s, the types a `MultiConnection` can carry (STACK-NOTES.md).

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        display_name -> Nullable<Text>,
        email_verified -> Bool,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        password_changed_at -> Timestamp,
        tokens_valid_after -> Nullable<Timestamp>,
        registrations -> Integer,
        locale -> Nullable<Text>,
    }
}

diesel::table! {
    deleted_users (user_id) {
        user_id -> Text,
        deleted_at -> Timestamp,
    }
}

diesel::table! {
    roles (name) {
        name -> Text,
        description -> Text,
    }
}

diesel::table! {
    permissions (name) {
        name -> Text,
        description -> Text,
    }
}

diesel::table! {
    role_permissions (role_name, permission_name) {
        role_name -> Text,
        permission_name -> Text,
    }
}

diesel::table! {
    user_roles (user_id, role_name) {
        user_id -> Text,
        role_name -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        refresh_jti -> Text,
        access_jti -> Nullable<Text>,
        previous_refresh_jti -> Nullable<Text>,
        rotated_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        aal -> Text,
        amr -> Text,
        auth_time -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Pending passwordless sign-ins (API.md §15).
    email_logins (token_hash) {
        token_hash -> Text,
        email -> Text,
        user_id -> Nullable<Text>,
        code_hash -> Text,
        tries -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        locale -> Nullable<Text>,
    }
}

diesel::table! {
    one_time_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        /// The address an email-change token is for (new, or old to revert).
        email -> Nullable<Text>,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Text,
        recipient -> Text,
        kind -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        locale -> Text,
    }
}

diesel::table! {
    mfa_factors (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        name -> Nullable<Text>,
        secret -> Text,
        confirmed_at -> Nullable<Timestamp>,
        last_used_step -> Nullable<BigInt>,
        last_used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        credential_id -> Nullable<Text>,
    }
}

diesel::table! {
    mfa_recovery_codes (user_id, code_hash) {
        user_id -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mfa_challenges (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        password_changed_at -> Timestamp,
        tokens_valid_after -> Nullable<Timestamp>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        first_amr -> Text,
    }
}

diesel::table! {
    /// Second-factor failures, counted per account over 24 hours (API.md §14).
    mfa_failures (id) {
        id -> Text,
        user_id -> Text,
        failed_at -> Timestamp,
    }
}

diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(mfa_factors -> users (user_id));
diesel::joinable!(mfa_recovery_codes -> users (user_id));
diesel::joinable!(mfa_challenges -> users (user_id));
diesel::joinable!(user_identities -> users (user_id));
diesel::joinable!(user_roles -> roles (role_name));
diesel::joinable!(role_permissions -> roles (role_name));
diesel::joinable!(role_permissions -> permissions (permission_name));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(one_time_tokens -> users (user_id));
diesel::joinable!(email_logins -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    roles,
    permissions,
    role_permissions,
    user_roles,
    sessions,
    one_time_tokens,
    email_logins,
    mail_outbox,
    deleted_users,
    mfa_factors,
    mfa_recovery_codes,
    mfa_challenges,
    mfa_failures,
    user_identities,
);

diesel::table! {
    /// Which instance runs a periodic job, until when.
    job_leases (name) {
        name -> Text,
        holder -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// The audit log (API.md §12); `id` is a UUIDv7, so it orders by time.
    audit_events (id) {
        id -> Text,
        #[sql_name = "type"]
        kind -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        user_id -> Nullable<Text>,
        session_id -> Nullable<Text>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        data -> Text,
    }
}

diesel::table! {
    /// Shared Signals pushes (Security Event Tokens), claimed and retried
    /// like `webhook_outbox`.
    ssf_outbox (id) {
        id -> Text,
        receiver -> Text,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Webhook deliveries, claimed and retried like `mail_outbox`.
    webhook_outbox (id) {
        id -> Text,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// A user's identities at OpenID Providers (API.md §11).
    user_identities (id) {
        id -> Text,
        user_id -> Text,
        provider -> Text,
        issuer -> Text,
        subject -> Text,
        email -> Nullable<Text>,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
    }
}
