//! IAM groups and their members (at most ten groups per user).

use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Lock, Store, conflict_as_exists, fetch_limit, lower, not_found, paginate};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::{GroupRecord, ListOptions, NewGroup, Page, UserRecord};
use crate::ops::users::{conflict_if_any, find_user, require_account, user};
use crate::quota;

pub(crate) fn group(row: &AnyRow) -> Result<GroupRecord> {
    Ok(GroupRecord {
        account_id: row.try_get("account_id")?,
        group_id: row.try_get("group_id")?,
        name: row.try_get("name")?,
        path: row.try_get("path")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) async fn find_group(
    conn: &mut AnyConnection,
    account_id: &str,
    name: &str,
) -> Result<GroupRecord> {
    let row = sqlx::query(
        "SELECT account_id, group_id, name, path, created_at FROM iam_groups \
         WHERE account_id = $1 AND name_lower = $2",
    )
    .bind(account_id)
    .bind(lower(name))
    .fetch_optional(conn)
    .await?;
    row.as_ref()
        .map(group)
        .transpose()?
        .ok_or_else(|| not_found(EntityKind::Group, name))
}

impl Store {
    /// Creates a group; `EntityAlreadyExists` when the name is taken, whatever its case.
    pub async fn create_group(&self, new: &NewGroup) -> Result<GroupRecord> {
        let mut w = self.begin_write().await?;
        require_account(w.conn(), &new.account_id).await?;
        sqlx::query(
            "INSERT INTO iam_groups (group_id, account_id, name, name_lower, path, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&new.group_id)
        .bind(&new.account_id)
        .bind(&new.name)
        .bind(lower(&new.name))
        .bind(&new.path)
        .bind(new.created_at)
        .execute(w.conn())
        .await
        .map_err(|e| conflict_as_exists(e, EntityKind::Group, &new.name))?;
        w.touched(&new.account_id, EntityKind::Group, &new.group_id)
            .await?;
        w.commit().await?;
        Ok(GroupRecord {
            account_id: new.account_id.clone(),
            group_id: new.group_id.clone(),
            name: new.name.clone(),
            path: new.path.clone(),
            created_at: new.created_at,
        })
    }

    /// A group by name, case-insensitively.
    pub async fn get_group(&self, account_id: &str, name: &str) -> Result<GroupRecord> {
        let mut conn = self.pool.acquire().await?;
        find_group(&mut conn, account_id, name).await
    }

    /// Groups of an account in name order, filtered by path prefix.
    pub async fn list_groups(
        &self,
        account_id: &str,
        options: &ListOptions,
    ) -> Result<Page<GroupRecord>> {
        let rows = sqlx::query(
            "SELECT account_id, group_id, name, path, created_at FROM iam_groups \
             WHERE account_id = $1 AND ($2 IS NULL OR substr(path, 1, length($2)) = $2) \
             AND ($3 IS NULL OR name_lower > $3) ORDER BY name_lower LIMIT $4",
        )
        .bind(account_id)
        .bind(options.path_prefix.as_deref())
        .bind(options.marker.as_deref())
        .bind(fetch_limit(options))
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(group).collect::<Result<Vec<_>>>()?;
        Ok(paginate(items, options, |g| lower(&g.name)))
    }

    /// UpdateGroup: a new name and/or path; members and policies stay.
    pub async fn update_group(
        &self,
        account_id: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<GroupRecord> {
        let mut w = self.begin_write().await?;
        let mut group = find_group(w.conn(), account_id, name).await?;
        if let Some(new_name) = new_name {
            group.name = new_name.to_owned();
        }
        if let Some(new_path) = new_path {
            group.path = new_path.to_owned();
        }
        sqlx::query(
            "UPDATE iam_groups SET name = $1, name_lower = $2, path = $3 WHERE group_id = $4",
        )
        .bind(&group.name)
        .bind(lower(&group.name))
        .bind(&group.path)
        .bind(&group.group_id)
        .execute(w.conn())
        .await
        .map_err(|e| conflict_as_exists(e, EntityKind::Group, &group.name))?;
        w.touched(account_id, EntityKind::Group, &group.group_id)
            .await?;
        w.commit().await?;
        Ok(group)
    }

    /// Deletes a group with no members and no policies (`DeleteConflict` otherwise).
    pub async fn delete_group(&self, account_id: &str, name: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let group = find_group(w.conn(), account_id, name).await?;
        let id = group.group_id.as_str();
        let kind = EntityKind::Group;
        for (sql, reason) in [
            (
                "SELECT 1 FROM group_members WHERE group_id = $1",
                "Cannot delete entity, must remove users from group first.",
            ),
            (
                "SELECT 1 FROM inline_policies WHERE principal_kind = 'group' AND principal_id = $1",
                "Cannot delete entity, must delete policies first.",
            ),
            (
                "SELECT 1 FROM attachments WHERE principal_kind = 'group' AND principal_id = $1",
                "Cannot delete entity, must detach all policies first.",
            ),
        ] {
            conflict_if_any(w.conn(), sql, id, kind, &group.name, reason).await?;
        }
        sqlx::query("DELETE FROM iam_groups WHERE group_id = $1")
            .bind(id)
            .execute(w.conn())
            .await?;
        w.touched(account_id, kind, id).await?;
        w.commit().await?;
        Ok(())
    }

    /// AddUserToGroup. Idempotent, like AWS; `LimitExceeded` past ten groups per user.
    pub async fn add_user_to_group(
        &self,
        account_id: &str,
        group_name: &str,
        user_name: &str,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let group = find_group(w.conn(), account_id, group_name).await?;
        let user = find_user(w.conn(), account_id, user_name).await?;
        w.lock_row(Lock::User, &user.user_id).await?;
        let already =
            sqlx::query("SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2")
                .bind(&group.group_id)
                .bind(&user.user_id)
                .fetch_optional(w.conn())
                .await?;
        if already.is_some() {
            return Ok(());
        }
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM group_members WHERE user_id = $1")
            .bind(&user.user_id)
            .fetch_one(w.conn())
            .await?
            .try_get("n")?;
        let (what, limit) = quota::GROUPS_PER_USER;
        if count >= i64::from(limit) {
            return Err(StoreError::LimitExceeded { what, limit });
        }
        sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)")
            .bind(&group.group_id)
            .bind(&user.user_id)
            .execute(w.conn())
            .await?;
        w.touched(account_id, EntityKind::User, &user.user_id)
            .await?;
        w.touched(account_id, EntityKind::Group, &group.group_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// RemoveUserFromGroup; `NoSuchEntity` when the user is not a member.
    pub async fn remove_user_from_group(
        &self,
        account_id: &str,
        group_name: &str,
        user_name: &str,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let group = find_group(w.conn(), account_id, group_name).await?;
        let user = find_user(w.conn(), account_id, user_name).await?;
        let done = sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
            .bind(&group.group_id)
            .bind(&user.user_id)
            .execute(w.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::User, user_name));
        }
        w.touched(account_id, EntityKind::User, &user.user_id)
            .await?;
        w.touched(account_id, EntityKind::Group, &group.group_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// The members of a group (GetGroup), in name order.
    pub async fn list_users_in_group(
        &self,
        account_id: &str,
        group_name: &str,
        options: &ListOptions,
    ) -> Result<Page<UserRecord>> {
        let mut conn = self.pool.acquire().await?;
        let group = find_group(&mut conn, account_id, group_name).await?;
        let rows = sqlx::query(
            "SELECT u.account_id, u.user_id, u.name, u.path, u.created_at, \
             u.permissions_boundary_arn, u.password_last_used \
             FROM users u JOIN group_members m ON m.user_id = u.user_id \
             WHERE m.group_id = $1 AND ($2 IS NULL OR u.name_lower > $2) \
             ORDER BY u.name_lower LIMIT $3",
        )
        .bind(&group.group_id)
        .bind(options.marker.as_deref())
        .bind(fetch_limit(options))
        .fetch_all(&mut *conn)
        .await?;
        let items = rows.iter().map(user).collect::<Result<Vec<_>>>()?;
        Ok(paginate(items, options, |u| lower(&u.name)))
    }

    /// The groups a user belongs to (ListGroupsForUser), in name order.
    pub async fn list_groups_for_user(
        &self,
        account_id: &str,
        user_name: &str,
        options: &ListOptions,
    ) -> Result<Page<GroupRecord>> {
        let mut conn = self.pool.acquire().await?;
        let user = find_user(&mut conn, account_id, user_name).await?;
        let rows = sqlx::query(
            "SELECT g.account_id, g.group_id, g.name, g.path, g.created_at \
             FROM iam_groups g JOIN group_members m ON m.group_id = g.group_id \
             WHERE m.user_id = $1 AND ($2 IS NULL OR g.name_lower > $2) \
             ORDER BY g.name_lower LIMIT $3",
        )
        .bind(&user.user_id)
        .bind(options.marker.as_deref())
        .bind(fetch_limit(options))
        .fetch_all(&mut *conn)
        .await?;
        let items = rows.iter().map(group).collect::<Result<Vec<_>>>()?;
        Ok(paginate(items, options, |g| lower(&g.name)))
    }
}
