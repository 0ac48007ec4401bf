//! The store's operations, one module per entity, each adding methods to [`crate::Store`].

mod accounts;
mod groups;
mod roles;
mod users;

pub use roles::RoleUpdate;
