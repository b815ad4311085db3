//! Which permissions each role grants. Roles are seeded by migration and do
//! not change at run time, so the map is read once at start and shared.

use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct RoleGrants(Arc<HashMap<String, Vec<String>>>);

impl RoleGrants {
    pub fn new(map: HashMap<String, Vec<String>>) -> Self {
        Self(Arc::new(map))
    }

    pub fn exists(&self, role: &str) -> bool {
        self.0.contains_key(role)
    }

    pub fn grants(&self, role: &str, permission: &str) -> bool {
        self.0
            .get(role)
            .is_some_and(|granted| granted.iter().any(|p| p == permission))
    }
}

/// A permission, named as in the database (`users:read`, …).
pub trait Permission: 'static {
    const NAME: &'static str;
}

macro_rules! permissions {
    ($($ty:ident => $name:literal),* $(,)?) => {
        $(
            #[doc = concat!("The `", $name, "` permission.")]
            pub struct $ty;
            impl Permission for $ty {
                const NAME: &'static str = $name;
            }
        )*
    };
}

permissions! {
    UsersRead => "users:read",
    UsersWrite => "users:write",
    RolesAssign => "roles:assign",
}
