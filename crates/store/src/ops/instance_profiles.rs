//! Instance profiles: create, get, list (all, or those holding a role), add and remove their
//! role, delete (tags are the shared tags table's: `ops/tags.rs`).

use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{
    Store, conflict_as_exists, fetch_limit, is_unique_violation, lower, not_found, paginate,
};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::{InstanceProfileRecord, ListOptions, NewInstanceProfile, Page, TagTarget};
use crate::ops::roles::{SELECT as SELECT_ROLE, find_role, role};
use crate::ops::tags::insert_tags;
use crate::ops::users::{conflict_if_any, require_account};
use crate::quota::Quota;

/// Roles one instance profile may hold; the table's primary key enforces it too.
const ROLES_PER_INSTANCE_PROFILE: Quota = ("InstanceSessionsPerInstanceProfile", 1);

pub(crate) const SELECT: &str = "SELECT account_id, instance_profile_id, name, path, created_at \
     FROM instance_profiles";

/// A profile row, without its roles yet.
pub(crate) fn profile(row: &AnyRow) -> Result<InstanceProfileRecord> {
    Ok(InstanceProfileRecord {
        account_id: row.try_get("account_id")?,
        instance_profile_id: row.try_get("instance_profile_id")?,
        name: row.try_get("name")?,
        path: row.try_get("path")?,
        created_at: row.try_get("created_at")?,
        roles: Vec::new(),
    })
}

async fn find_profile(
    conn: &mut AnyConnection,
    account_id: &str,
    name: &str,
) -> Result<InstanceProfileRecord> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE account_id = $1 AND name_lower = $2"
    )))
    .bind(account_id)
    .bind(lower(name))
    .fetch_optional(&mut *conn)
    .await?;
    let mut found = row
        .as_ref()
        .map(profile)
        .transpose()?
        .ok_or_else(|| not_found(EntityKind::InstanceProfile, name))?;
    fill_roles(conn, &mut found).await?;
    Ok(found)
}

async fn fill_roles(conn: &mut AnyConnection, found: &mut InstanceProfileRecord) -> Result<()> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT_ROLE} WHERE role_id IN \
         (SELECT role_id FROM instance_profile_roles WHERE instance_profile_id = $1) \
         ORDER BY name_lower"
    )))
    .bind(&found.instance_profile_id)
    .fetch_all(conn)
    .await?;
    found.roles = rows.iter().map(role).collect::<Result<Vec<_>>>()?;
    Ok(())
}

impl Store {
    /// Creates an instance profile with its tags; `EntityAlreadyExists` when the name is taken,
    /// whatever its case; `LimitExceeded` past fifty tags.
    pub async fn create_instance_profile(
        &self,
        new: &NewInstanceProfile,
    ) -> Result<InstanceProfileRecord> {
        let mut w = self.begin_write().await?;
        require_account(w.conn(), &new.account_id).await?;
        sqlx::query(
            "INSERT INTO instance_profiles (instance_profile_id, account_id, name, name_lower, \
             path, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&new.instance_profile_id)
        .bind(&new.account_id)
        .bind(&new.name)
        .bind(lower(&new.name))
        .bind(&new.path)
        .bind(new.created_at)
        .execute(w.conn())
        .await
        .map_err(|e| conflict_as_exists(e, EntityKind::InstanceProfile, &new.name))?;
        insert_tags(
            &mut w,
            &new.account_id,
            &TagTarget::InstanceProfile(new.instance_profile_id.clone()),
            &new.tags,
        )
        .await?;
        w.touched(
            &new.account_id,
            EntityKind::InstanceProfile,
            &new.instance_profile_id,
        )
        .await?;
        w.commit().await?;
        Ok(InstanceProfileRecord {
            account_id: new.account_id.clone(),
            instance_profile_id: new.instance_profile_id.clone(),
            name: new.name.clone(),
            path: new.path.clone(),
            created_at: new.created_at,
            roles: Vec::new(),
        })
    }

    /// An instance profile by name, case-insensitively, with its role.
    pub async fn get_instance_profile(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<InstanceProfileRecord> {
        let mut conn = self.pool.acquire().await?;
        find_profile(&mut conn, account_id, name).await
    }

    /// Instance profiles of an account in name order, filtered by path prefix.
    pub async fn list_instance_profiles(
        &self,
        account_id: &str,
        options: &ListOptions,
    ) -> Result<Page<InstanceProfileRecord>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE account_id = $1 AND ($2 IS NULL OR substr(path, 1, length($2)) = $2) \
             AND ($3 IS NULL OR name_lower > $3) ORDER BY name_lower LIMIT $4"
        )))
        .bind(account_id)
        .bind(options.path_prefix.as_deref())
        .bind(options.marker.as_deref())
        .bind(fetch_limit(options))
        .fetch_all(&mut *conn)
        .await?;
        let items = rows.iter().map(profile).collect::<Result<Vec<_>>>()?;
        let mut page = paginate(items, options, |p| lower(&p.name));
        for item in &mut page.items {
            fill_roles(&mut conn, item).await?;
        }
        Ok(page)
    }

    /// The instance profiles holding a role, in name order; `NoSuchEntity` for an unknown role.
    pub async fn list_instance_profiles_for_role(
        &self,
        account_id: &str,
        role_name: &str,
        options: &ListOptions,
    ) -> Result<Page<InstanceProfileRecord>> {
        let mut conn = self.pool.acquire().await?;
        let held = find_role(&mut conn, account_id, role_name).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE account_id = $1 AND instance_profile_id IN \
             (SELECT instance_profile_id FROM instance_profile_roles WHERE role_id = $2) \
             AND ($3 IS NULL OR name_lower > $3) ORDER BY name_lower LIMIT $4"
        )))
        .bind(account_id)
        .bind(&held.role_id)
        .bind(options.marker.as_deref())
        .bind(fetch_limit(options))
        .fetch_all(&mut *conn)
        .await?;
        let items = rows.iter().map(profile).collect::<Result<Vec<_>>>()?;
        let mut page = paginate(items, options, |p| lower(&p.name));
        for item in &mut page.items {
            fill_roles(&mut conn, item).await?;
        }
        Ok(page)
    }

    /// Puts a role in an instance profile: `LimitExceeded` (InstanceSessionsPerInstanceProfile)
    /// when the profile already holds one, `NoSuchEntity` for an unknown profile or role.
    pub async fn add_role_to_instance_profile(
        &self,
        account_id: &str,
        profile_name: &str,
        role_name: &str,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let found = find_profile(w.conn(), account_id, profile_name).await?;
        let held = find_role(w.conn(), account_id, role_name).await?;
        let (what, limit) = ROLES_PER_INSTANCE_PROFILE;
        if found.roles.len() >= usize::try_from(limit).unwrap_or(1) {
            return Err(StoreError::LimitExceeded { what, limit });
        }
        sqlx::query(
            "INSERT INTO instance_profile_roles (instance_profile_id, role_id) VALUES ($1, $2)",
        )
        .bind(&found.instance_profile_id)
        .bind(&held.role_id)
        .execute(w.conn())
        .await
        .map_err(|e| {
            // A concurrent writer filled the profile between the count and the insert.
            if is_unique_violation(&e) {
                StoreError::LimitExceeded { what, limit }
            } else {
                e.into()
            }
        })?;
        w.touched(
            account_id,
            EntityKind::InstanceProfile,
            &found.instance_profile_id,
        )
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// Takes a role out of an instance profile; `NoSuchEntity` when the profile or role is
    /// unknown, or the role is not in it.
    pub async fn remove_role_from_instance_profile(
        &self,
        account_id: &str,
        profile_name: &str,
        role_name: &str,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let found = find_profile(w.conn(), account_id, profile_name).await?;
        let held = find_role(w.conn(), account_id, role_name).await?;
        let done = sqlx::query(
            "DELETE FROM instance_profile_roles WHERE instance_profile_id = $1 AND role_id = $2",
        )
        .bind(&found.instance_profile_id)
        .bind(&held.role_id)
        .execute(w.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::Role, role_name));
        }
        w.touched(
            account_id,
            EntityKind::InstanceProfile,
            &found.instance_profile_id,
        )
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// Deletes an instance profile holding no role (`DeleteConflict` otherwise), with its tags.
    pub async fn delete_instance_profile(&self, account_id: &str, name: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let found = find_profile(w.conn(), account_id, name).await?;
        let id = found.instance_profile_id.as_str();
        conflict_if_any(
            w.conn(),
            "SELECT 1 FROM instance_profile_roles WHERE instance_profile_id = $1",
            id,
            EntityKind::InstanceProfile,
            &found.name,
            "Cannot delete entity, must remove roles from instance profile first.",
        )
        .await?;
        for sql in [
            "DELETE FROM tags WHERE resource_kind = 'instance-profile' AND resource_id = $1",
            "DELETE FROM instance_profiles WHERE instance_profile_id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(w.conn()).await?;
        }
        w.touched(account_id, EntityKind::InstanceProfile, id)
            .await?;
        w.commit().await?;
        Ok(())
    }
}
