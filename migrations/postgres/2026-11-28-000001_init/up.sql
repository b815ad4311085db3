CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    display_name TEXT,
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP,
    password_changed_at TIMESTAMP NOT NULL,
    tokens_valid_after TIMESTAMP
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE roles (
    name TEXT PRIMARY KEY NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE permissions (
    name TEXT PRIMARY KEY NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE role_permissions (
    role_name TEXT NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    permission_name TEXT NOT NULL REFERENCES permissions (name) ON DELETE CASCADE,
    PRIMARY KEY (role_name, permission_name)
);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_name TEXT NOT NULL REFERENCES roles (name),
    PRIMARY KEY (user_id, role_name)
);
CREATE INDEX user_roles_role_name_idx ON user_roles (role_name);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_jti TEXT NOT NULL,
    access_jti TEXT,
    previous_refresh_jti TEXT,
    rotated_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE one_time_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX one_time_tokens_user_id_idx ON one_time_tokens (user_id);

CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (status, next_attempt_at);

INSERT INTO roles (name, description) VALUES
    ('admin', 'Full access, including user and role management'),
    ('editor', 'Reads and writes content'),
    ('viewer', 'Reads content');

INSERT INTO permissions (name, description) VALUES
    ('users:read', 'List and read user accounts'),
    ('users:write', 'Disable and enable user accounts'),
    ('roles:assign', 'Change the roles of a user'),
    ('content:read', 'Read content'),
    ('content:write', 'Write content');

INSERT INTO role_permissions (role_name, permission_name) VALUES
    ('admin', 'users:read'),
    ('admin', 'users:write'),
    ('admin', 'roles:assign'),
    ('admin', 'content:read'),
    ('admin', 'content:write'),
    ('editor', 'content:read'),
    ('editor', 'content:write'),
    ('viewer', 'content:read');
