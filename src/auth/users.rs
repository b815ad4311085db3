//! Loading users as the API shows them.

use crate::api_types::User;
use crate::db::models::UserRow;
use crate::db::{AnyConnection, users};
use crate::error::ApiError;

/// The user with its roles, or None.
pub fn load(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Option<(UserRow, Vec<String>)>, ApiError> {
    let Some(row) = users::find_by_id(conn, user_id)? else {
        return Ok(None);
    };
    let roles = users::roles_of(conn, user_id)?;
    Ok(Some((row, roles)))
}

/// The API view of a user, or `not_found`.
pub fn view(conn: &mut AnyConnection, user_id: &str) -> Result<User, ApiError> {
    let (row, roles) = load(conn, user_id)?.ok_or(ApiError::NotFound("no such user"))?;
    Ok(User::from_row(&row, roles))
}
