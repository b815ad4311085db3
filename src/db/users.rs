//! User rows and their roles.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::models::{NewUser, UserRow};
use super::schema::{deleted_users, role_permissions, roles, user_roles, users};

pub fn find_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .first(conn)
        .optional()
}

pub fn find_by_id(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<UserRow>> {
    users::table.find(id).first(conn).optional()
}

/// The user's role names, sorted.
pub fn roles_of(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Vec<String>> {
    user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .select(user_roles::role_name)
        .order(user_roles::role_name.asc())
        .load(conn)
}

/// Inserts the user and its roles (call inside a transaction).
pub fn insert(
    conn: &mut AnyConnection,
    user: &NewUser<'_>,
    role_names: &[String],
) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    set_roles(conn, user.id, role_names)
}

/// Replaces the user's roles (call inside a transaction). Batch inserts do
/// not compile through the multi backend, hence the loop.
pub fn set_roles(
    conn: &mut AnyConnection,
    user_id: &str,
    role_names: &[String],
) -> QueryResult<()> {
    super::changes::user(user_id);
    diesel::delete(user_roles::table.filter(user_roles::user_id.eq(user_id))).execute(conn)?;
    for role in role_names {
        diesel::insert_into(user_roles::table)
            .values((
                user_roles::user_id.eq(user_id),
                user_roles::role_name.eq(role),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// What a login saw when it verified the password.
pub struct LoginCheck<'a> {
    pub verified_hash: &'a str,
    pub tokens_valid_after: Option<NaiveDateTime>,
    /// A rehash of the same password at the configured cost.
    pub upgraded_hash: Option<&'a str>,
}

/// Records a login if the user still has the verified hash, is enabled and
/// has the same "valid after" time; false otherwise (a reset, disable or
/// logout-all landed while bcrypt ran). Writes a cost upgrade in the same
/// conditional update.
pub fn record_login(
    conn: &mut AnyConnection,
    id: &str,
    check: &LoginCheck<'_>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    super::changes::user(id);
    let hash = check.upgraded_hash.unwrap_or(check.verified_hash);
    let target = users::table
        .find(id)
        .filter(users::password_hash.eq(check.verified_hash))
        .filter(users::disabled.eq(false));
    let updated = match check.tokens_valid_after {
        Some(after) => diesel::update(target.filter(users::tokens_valid_after.eq(after)))
            .set((users::last_login_at.eq(at), users::password_hash.eq(hash)))
            .execute(conn)?,
        None => diesel::update(target.filter(users::tokens_valid_after.is_null()))
            .set((users::last_login_at.eq(at), users::password_hash.eq(hash)))
            .execute(conn)?,
    };
    Ok(updated == 1)
}

/// A new password: records when it changed, which kills reset tokens
/// issued before. The owner set it, so it is no longer contested.
pub fn change_password(
    conn: &mut AnyConnection,
    id: &str,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    super::changes::user(id);
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::password_changed_at.eq(at),
            users::updated_at.eq(at),
            users::registrations.eq(1),
        ))
        .execute(conn)
        .map(drop)
}

/// A new password, only if the stored hash is still `verified_hash` (the
/// one the caller just checked the current password against); false when a
/// reset or another change landed in between.
pub fn change_password_if(
    conn: &mut AnyConnection,
    id: &str,
    verified_hash: &str,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    super::changes::user(id);
    let updated = diesel::update(
        users::table
            .find(id)
            .filter(users::password_hash.eq(verified_hash)),
    )
    .set((
        users::password_hash.eq(hash),
        users::password_changed_at.eq(at),
        users::updated_at.eq(at),
        users::registrations.eq(1),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Another registration of a still unverified account: its password
/// replaces the old one, and the account counts one more registration.
pub fn replace_unverified_password(
    conn: &mut AnyConnection,
    id: &str,
    hash: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    super::changes::user(id);
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified.eq(false)),
    )
    .set((
        users::password_hash.eq(hash),
        users::password_changed_at.eq(at),
        users::updated_at.eq(at),
        users::registrations.eq(users::registrations + 1),
    ))
    .execute(conn)
    .map(drop)
}

/// Leaves a tombstone for a deleted account: its tokens stay dead after a
/// restart, although its sessions are gone.
pub fn insert_tombstone(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(deleted_users::table)
        .values((
            deleted_users::user_id.eq(id),
            deleted_users::deleted_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// Accounts deleted since a time, for restoring the store.
pub fn deleted_since(
    conn: &mut AnyConnection,
    since: NaiveDateTime,
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    deleted_users::table
        .filter(deleted_users::deleted_at.gt(since))
        .select((deleted_users::user_id, deleted_users::deleted_at))
        .load(conn)
}

pub fn mark_verified(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    super::changes::user(id);
    diesel::update(users::table.find(id))
        .set((users::email_verified.eq(true), users::updated_at.eq(at)))
        .execute(conn)
        .map(drop)
}

/// Sets a new, verified address (an email change or its revert). A unique
/// violation (the address taken meanwhile) surfaces as the caller's error.
pub fn set_verified_email(
    conn: &mut AnyConnection,
    id: &str,
    email: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    super::changes::user(id);
    diesel::update(users::table.find(id))
        .set((
            users::email.eq(email),
            users::email_verified.eq(true),
            users::updated_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_display_name(
    conn: &mut AnyConnection,
    id: &str,
    name: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    super::changes::user(id);
    diesel::update(users::table.find(id))
        .set((users::display_name.eq(name), users::updated_at.eq(at)))
        .execute(conn)
        .map(drop)
}

/// The language of the user's mail (a canonical BCP 47 tag).
pub fn set_locale(
    conn: &mut AnyConnection,
    id: &str,
    locale: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    super::changes::user(id);
    diesel::update(users::table.find(id))
        .set((users::locale.eq(locale), users::updated_at.eq(at)))
        .execute(conn)
        .map(drop)
}

pub fn set_disabled(
    conn: &mut AnyConnection,
    id: &str,
    disabled: bool,
    at: NaiveDateTime,
) -> QueryResult<()> {
    super::changes::user(id);
    diesel::update(users::table.find(id))
        .set((users::disabled.eq(disabled), users::updated_at.eq(at)))
        .execute(conn)
        .map(drop)
}

pub fn set_tokens_valid_after(
    conn: &mut AnyConnection,
    id: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    super::changes::user(id);
    diesel::update(users::table.find(id))
        .set(users::tokens_valid_after.eq(at))
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut AnyConnection, id: &str) -> QueryResult<()> {
    super::changes::user(id);
    diesel::delete(users::table.find(id))
        .execute(conn)
        .map(drop)
}

/// Users whose tokens issued before a time are dead, for restoring the
/// in-process store after a restart.
pub fn with_tokens_valid_after(
    conn: &mut AnyConnection,
    since: NaiveDateTime,
) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    users::table
        .filter(users::tokens_valid_after.gt(since))
        .select((users::id, users::tokens_valid_after.assume_not_null()))
        .load(conn)
}

/// Roles with their description and permissions, sorted by name.
pub fn roles_with_permissions(
    conn: &mut AnyConnection,
) -> QueryResult<Vec<(String, String, Vec<String>)>> {
    let roles: Vec<(String, String)> = roles::table
        .select((roles::name, roles::description))
        .order(roles::name.asc())
        .load(conn)?;
    let grants: Vec<(String, String)> = role_permissions::table
        .select((
            role_permissions::role_name,
            role_permissions::permission_name,
        ))
        .order(role_permissions::permission_name.asc())
        .load(conn)?;
    Ok(roles
        .into_iter()
        .map(|(name, description)| {
            let permissions = grants
                .iter()
                .filter(|(role, _)| *role == name)
                .map(|(_, p)| p.clone())
                .collect();
            (name, description, permissions)
        })
        .collect())
}

/// How many enabled users hold `role`. For "is this the last admin?",
/// call `auth::admin::lock_admin_changes` first in the same transaction.
pub fn count_enabled_with_role(conn: &mut AnyConnection, role: &str) -> QueryResult<i64> {
    user_roles::table
        .inner_join(users::table)
        .filter(user_roles::role_name.eq(role))
        .filter(users::disabled.eq(false))
        .count()
        .get_result(conn)
}

pub struct UserFilter {
    pub email_contains: Option<String>,
    pub role: Option<String>,
    pub offset: i64,
    pub limit: i64,
    /// Keyset paging: only users listed after this one (its `created_at`
    /// and id) in the newest-first order; `offset` is then ignored.
    pub after: Option<(NaiveDateTime, String)>,
}

/// One page of users, newest first, and the total that match.
pub fn list(conn: &mut AnyConnection, filter: &UserFilter) -> QueryResult<(Vec<UserRow>, i64)> {
    let query = || {
        let mut query = users::table.into_boxed();
        if let Some(part) = &filter.email_contains {
            query = query.filter(
                users::email
                    .like(format!("%{}%", escape_like(part)))
                    .escape('\\'),
            );
        }
        if let Some(role) = &filter.role {
            query = query.filter(
                users::id.eq_any(
                    user_roles::table
                        .filter(user_roles::role_name.eq(role.clone()))
                        .select(user_roles::user_id),
                ),
            );
        }
        query
    };
    let total = query().count().get_result(conn)?;
    let mut page = query().order((users::created_at.desc(), users::id.desc()));
    page = match &filter.after {
        Some((at, id)) => page.filter(
            users::created_at
                .lt(*at)
                .or(users::created_at.eq(*at).and(users::id.lt(id.clone()))),
        ),
        None => page.offset(filter.offset),
    };
    let rows = page.limit(filter.limit).load(conn)?;
    Ok((rows, total))
}

/// The roles of each of these users, in one query.
pub fn roles_of_each(
    conn: &mut AnyConnection,
    user_ids: &[&str],
) -> QueryResult<std::collections::HashMap<String, Vec<String>>> {
    let pairs: Vec<(String, String)> = user_roles::table
        .filter(user_roles::user_id.eq_any(user_ids))
        .select((user_roles::user_id, user_roles::role_name))
        .order((user_roles::user_id.asc(), user_roles::role_name.asc()))
        .load(conn)?;
    let mut roles = std::collections::HashMap::<String, Vec<String>>::new();
    for (user_id, role) in pairs {
        roles.entry(user_id).or_default().push(role);
    }
    Ok(roles)
}

fn escape_like(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A user whose tokens all died at `at` (the revocation feed).
pub struct DeadBefore {
    pub sub: String,
    pub at: NaiveDateTime,
}

/// Up to `limit` users whose tokens all died at a time from `from` (their
/// "valid after" time, or their deletion), oldest first.
pub fn dead_before_from(
    conn: &mut AnyConnection,
    from: super::sessions::From,
    limit: i64,
) -> QueryResult<Vec<DeadBefore>> {
    let moved = users::table
        .select((users::id, users::tokens_valid_after.assume_not_null()))
        .order((users::tokens_valid_after.asc(), users::id.asc()))
        .limit(limit)
        .into_boxed();
    let moved = match from {
        super::sessions::From::At(t) => moved.filter(users::tokens_valid_after.ge(t)),
        super::sessions::From::After(t) => moved.filter(users::tokens_valid_after.gt(t)),
    };
    let deleted = deleted_users::table
        .select((deleted_users::user_id, deleted_users::deleted_at))
        .order((
            deleted_users::deleted_at.asc(),
            deleted_users::user_id.asc(),
        ))
        .limit(limit)
        .into_boxed();
    let deleted = match from {
        super::sessions::From::At(t) => deleted.filter(deleted_users::deleted_at.ge(t)),
        super::sessions::From::After(t) => deleted.filter(deleted_users::deleted_at.gt(t)),
    };
    let mut all: Vec<DeadBefore> = moved
        .load::<(String, NaiveDateTime)>(conn)?
        .into_iter()
        .chain(deleted.load::<(String, NaiveDateTime)>(conn)?)
        .map(|(sub, at)| DeadBefore { sub, at })
        .collect();
    all.sort_by(|a, b| (a.at, &a.sub).cmp(&(b.at, &b.sub)));
    all.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(all)
}
