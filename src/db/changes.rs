//! Which users a database call changed. The functions of `db::users` that
//! write a user's row or roles note the user here; [`super::Db::run`]
//! collects the notes when its closure returns (the change is committed by
//! then) and hands them to the user cache, which forgets those users here
//! and, through the store, on every instance. Noting at the one place that
//! writes means no use case can forget to invalidate.

use std::cell::RefCell;

thread_local! {
    static CHANGED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Notes that `user_id`'s row or roles are being written.
pub(crate) fn user(user_id: &str) {
    CHANGED.with_borrow_mut(|changed| {
        if !changed.iter().any(|id| id == user_id) {
            changed.push(user_id.to_owned());
        }
    });
}

/// The users noted on this thread since the last call.
pub(crate) fn take() -> Vec<String> {
    CHANGED.take()
}
