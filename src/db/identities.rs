//! `user_identities`: who a user is at each OpenID Provider (API.md §11).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::AnyConnection;
use super::models::IdentityRow;
use super::schema::user_identities;

pub fn insert(conn: &mut AnyConnection, row: &IdentityRow) -> QueryResult<()> {
    diesel::insert_into(user_identities::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// The identity with this issuer and subject, whoever it belongs to.
pub fn find_by_subject(
    conn: &mut AnyConnection,
    issuer: &str,
    subject: &str,
) -> QueryResult<Option<IdentityRow>> {
    user_identities::table
        .filter(user_identities::issuer.eq(issuer))
        .filter(user_identities::subject.eq(subject))
        .select(IdentityRow::as_select())
        .first(conn)
        .optional()
}

/// A user's identities, oldest first.
pub fn list_for_user(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Vec<IdentityRow>> {
    user_identities::table
        .filter(user_identities::user_id.eq(user_id))
        .order((user_identities::created_at.asc(), user_identities::id.asc()))
        .select(IdentityRow::as_select())
        .load(conn)
}

/// Whether an identity with this id exists, whoever it belongs to.
pub fn exists(conn: &mut AnyConnection, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        user_identities::table.filter(user_identities::id.eq(id)),
    ))
    .get_result(conn)
}

/// Records a login through the identity and the email the provider gave.
pub fn touch(
    conn: &mut AnyConnection,
    id: &str,
    email: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(user_identities::table.find(id))
        .set((
            user_identities::last_login_at.eq(Some(at)),
            user_identities::email.eq(email),
        ))
        .execute(conn)
        .map(drop)
}

/// Deletes one of the user's identities; false when there was none.
pub fn delete_own(conn: &mut AnyConnection, user_id: &str, id: &str) -> QueryResult<bool> {
    diesel::delete(
        user_identities::table
            .filter(user_identities::id.eq(id))
            .filter(user_identities::user_id.eq(user_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// Deletes every identity of the user (the account changed hands).
pub fn delete_all_for_user(conn: &mut AnyConnection, user_id: &str) -> QueryResult<usize> {
    diesel::delete(user_identities::table.filter(user_identities::user_id.eq(user_id)))
        .execute(conn)
}
