//! IAM users: create, get, list, rename, boundary, password-use stamp, delete.

use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Store, conflict_as_exists, fetch_limit, lower, not_found, paginate};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::TagTarget;
use crate::model::{ListOptions, NewUser, Page, Timestamp, UserRecord};
use crate::ops::tags::insert_tags;

pub(crate) fn user(row: &AnyRow) -> Result<UserRecord> {
    Ok(UserRecord {
        account_id: row.try_get("account_id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        path: row.try_get("path")?,
        created_at: row.try_get("created_at")?,
        permissions_boundary_arn: row.try_get("permissions_boundary_arn")?,
        password_last_used: row.try_get("password_last_used")?,
    })
}

/// A user by account and name (case-insensitively), on any connection.
pub(crate) async fn find_user(
    conn: &mut AnyConnection,
    account_id: &str,
    name: &str,
) -> Result<UserRecord> {
    let row = sqlx::query(
        "SELECT account_id, user_id, name, path, created_at, permissions_boundary_arn, \
         password_last_used FROM users WHERE account_id = $1 AND name_lower = $2",
    )
    .bind(account_id)
    .bind(lower(name))
    .fetch_optional(conn)
    .await?;
    row.as_ref()
        .map(user)
        .transpose()?
        .ok_or_else(|| not_found(EntityKind::User, name))
}

pub(crate) async fn require_account(conn: &mut AnyConnection, account_id: &str) -> Result<()> {
    let found = sqlx::query("SELECT 1 FROM accounts WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(conn)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(not_found(EntityKind::Account, account_id)),
    }
}

/// `DeleteConflict` when `sql` (with `$1` the id) finds a row.
pub(crate) async fn conflict_if_any(
    conn: &mut AnyConnection,
    sql: &'static str,
    id: &str,
    kind: EntityKind,
    name: &str,
    reason: &'static str,
) -> Result<()> {
    let found = sqlx::query(sql).bind(id).fetch_optional(conn).await?;
    match found {
        Some(_) => Err(StoreError::DeleteConflict {
            kind,
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

impl Store {
    /// Creates a user. `EntityAlreadyExists` when the name is taken in the account, whatever
    /// its case.
    pub async fn create_user(&self, new: &NewUser) -> Result<UserRecord> {
        let mut w = self.begin_write().await?;
        require_account(w.conn(), &new.account_id).await?;
        sqlx::query(
            "INSERT INTO users (user_id, account_id, name, name_lower, path, created_at, \
             permissions_boundary_arn, password_last_used) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        )
        .bind(&new.user_id)
        .bind(&new.account_id)
        .bind(&new.name)
        .bind(lower(&new.name))
        .bind(&new.path)
        .bind(new.created_at)
        .bind(new.permissions_boundary_arn.as_deref())
        .execute(w.conn())
        .await
        .map_err(|e| conflict_as_exists(e, EntityKind::User, &new.name))?;
        insert_tags(
            &mut w,
            &new.account_id,
            &TagTarget::User(new.user_id.clone()),
            &new.tags,
        )
        .await?;
        w.touched(&new.account_id, EntityKind::User, &new.user_id)
            .await?;
        w.commit().await?;
        Ok(UserRecord {
            account_id: new.account_id.clone(),
            user_id: new.user_id.clone(),
            name: new.name.clone(),
            path: new.path.clone(),
            created_at: new.created_at,
            permissions_boundary_arn: new.permissions_boundary_arn.clone(),
            password_last_used: None,
        })
    }

    /// A user by name, case-insensitively.
    pub async fn get_user(&self, account_id: &str, name: &str) -> Result<UserRecord> {
        let mut conn = self.pool.acquire().await?;
        find_user(&mut conn, account_id, name).await
    }

    /// A user by unique id (`AIDA...`), in whatever account.
    pub async fn get_user_by_id(&self, user_id: &str) -> Result<UserRecord> {
        let row = sqlx::query(
            "SELECT account_id, user_id, name, path, created_at, permissions_boundary_arn, \
             password_last_used FROM users WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(user)
            .transpose()?
            .ok_or_else(|| not_found(EntityKind::User, user_id))
    }

    /// Users of an account in name order, filtered by path prefix, one page at a time.
    pub async fn list_users(
        &self,
        account_id: &str,
        options: &ListOptions,
    ) -> Result<Page<UserRecord>> {
        let rows = sqlx::query(
            "SELECT account_id, user_id, name, path, created_at, permissions_boundary_arn, \
             password_last_used FROM users WHERE account_id = $1 \
             AND ($2 IS NULL OR substr(path, 1, length($2)) = $2) \
             AND ($3 IS NULL OR name_lower > $3) ORDER BY name_lower LIMIT $4",
        )
        .bind(account_id)
        .bind(options.path_prefix.as_deref())
        .bind(options.marker.as_deref())
        .bind(fetch_limit(options))
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(user).collect::<Result<Vec<_>>>()?;
        Ok(paginate(items, options, |u| lower(&u.name)))
    }

    /// UpdateUser: a new name and/or path. The unique id, and so every attachment, membership
    /// and key, stays.
    pub async fn update_user(
        &self,
        account_id: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<UserRecord> {
        let mut w = self.begin_write().await?;
        let mut user = find_user(w.conn(), account_id, name).await?;
        if let Some(new_name) = new_name {
            user.name = new_name.to_owned();
        }
        if let Some(new_path) = new_path {
            user.path = new_path.to_owned();
        }
        sqlx::query("UPDATE users SET name = $1, name_lower = $2, path = $3 WHERE user_id = $4")
            .bind(&user.name)
            .bind(lower(&user.name))
            .bind(&user.path)
            .bind(&user.user_id)
            .execute(w.conn())
            .await
            .map_err(|e| conflict_as_exists(e, EntityKind::User, &user.name))?;
        w.touched(account_id, EntityKind::User, &user.user_id)
            .await?;
        w.commit().await?;
        Ok(user)
    }

    /// Sets (Put) or removes (Delete) the user's permissions boundary.
    pub async fn set_user_permissions_boundary(
        &self,
        account_id: &str,
        name: &str,
        boundary_arn: Option<&str>,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let user = find_user(w.conn(), account_id, name).await?;
        sqlx::query("UPDATE users SET permissions_boundary_arn = $1 WHERE user_id = $2")
            .bind(boundary_arn)
            .bind(&user.user_id)
            .execute(w.conn())
            .await?;
        w.touched(account_id, EntityKind::User, &user.user_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// Stamps a console sign-in. Not a change of authorization data, so it bypasses the
    /// revision counter: bumping it on every sign-in would flush every node's cache.
    pub async fn record_password_use(&self, user_id: &str, at: Timestamp) -> Result<()> {
        let done = sqlx::query("UPDATE users SET password_last_used = $1 WHERE user_id = $2")
            .bind(at)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::User, user_id));
        }
        Ok(())
    }

    /// Deletes a user that has nothing left: `DeleteConflict` (and nothing deleted) while it
    /// has a login profile, access keys, MFA devices, inline or attached policies or group
    /// memberships. Its tags and password history go with it.
    pub async fn delete_user(&self, account_id: &str, name: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let user = find_user(w.conn(), account_id, name).await?;
        let id = user.user_id.as_str();
        let kind = EntityKind::User;
        for (sql, reason) in [
            (
                "SELECT 1 FROM login_profiles WHERE user_id = $1",
                "Cannot delete entity, must delete login profile first.",
            ),
            (
                "SELECT 1 FROM access_keys WHERE user_id = $1",
                "Cannot delete entity, must delete access keys first.",
            ),
            (
                "SELECT 1 FROM mfa_devices WHERE user_id = $1",
                "Cannot delete entity, must delete MFA device first.",
            ),
            (
                "SELECT 1 FROM user_credentials WHERE user_id = $1 AND kind = 'signing-certificate'",
                "Cannot delete entity, must delete signing certificates first.",
            ),
            (
                "SELECT 1 FROM user_credentials WHERE user_id = $1 AND kind = 'ssh-public-key'",
                "Cannot delete entity, must delete SSH public keys first.",
            ),
            (
                "SELECT 1 FROM user_credentials WHERE user_id = $1 \
                 AND kind = 'service-specific-credential'",
                "Cannot delete entity, must delete service specific credentials first.",
            ),
            (
                "SELECT 1 FROM inline_policies WHERE principal_kind = 'user' AND principal_id = $1",
                "Cannot delete entity, must delete policies first.",
            ),
            (
                "SELECT 1 FROM attachments WHERE principal_kind = 'user' AND principal_id = $1",
                "Cannot delete entity, must detach all policies first.",
            ),
            (
                "SELECT 1 FROM group_members WHERE user_id = $1",
                "Cannot delete entity, must remove user from all groups first.",
            ),
        ] {
            conflict_if_any(w.conn(), sql, id, kind, &user.name, reason).await?;
        }
        for sql in [
            "DELETE FROM tags WHERE resource_kind = 'user' AND resource_id = $1",
            "DELETE FROM password_history WHERE user_id = $1",
            "DELETE FROM users WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(w.conn()).await?;
        }
        w.touched(account_id, kind, id).await?;
        w.commit().await?;
        Ok(())
    }
}
