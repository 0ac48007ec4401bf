//! IAM roles: create, get, list, update, trust policy, boundary, last-used stamp, delete.

use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{
    Store, Write, conflict_as_exists, document_text, fetch_limit, lower, not_found, paginate,
};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::TagTarget;
use crate::model::{BoundPrincipal, ListOptions, NewRole, Page, Principal, RoleRecord, Timestamp};
use crate::ops::attachments::insert_attachment;
use crate::ops::tags::insert_tags;
use crate::ops::users::{conflict_if_any, require_account};
use crate::quota;

pub(crate) const SELECT: &str = "SELECT account_id, role_id, name, path, trust_policy, \
     trust_principals, description, max_session_duration, permissions_boundary_arn, created_at, \
     last_used_at, last_used_region FROM roles";

/// Bound principals as stored: `<arn> <unique id>` per line. Neither part can hold a space
/// or a line break (ARNs of users and roles and their ids are drawn from narrower sets).
fn encode_principals(principals: &[BoundPrincipal]) -> String {
    principals
        .iter()
        .map(|p| format!("{} {}\n", p.arn, p.unique_id))
        .collect()
}

fn decode_principals(text: &str) -> Vec<BoundPrincipal> {
    text.lines()
        .filter_map(|line| {
            let (arn, unique_id) = line.split_once(' ')?;
            Some(BoundPrincipal {
                arn: arn.to_owned(),
                unique_id: unique_id.to_owned(),
            })
        })
        .collect()
}

pub(crate) fn role(row: &AnyRow) -> Result<RoleRecord> {
    Ok(RoleRecord {
        account_id: row.try_get("account_id")?,
        role_id: row.try_get("role_id")?,
        name: row.try_get("name")?,
        path: row.try_get("path")?,
        trust_policy: row.try_get("trust_policy")?,
        trust_principals: row
            .try_get::<Option<String>, _>("trust_principals")?
            .as_deref()
            .map(decode_principals),
        description: row.try_get("description")?,
        max_session_duration: row.try_get("max_session_duration")?,
        permissions_boundary_arn: row.try_get("permissions_boundary_arn")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        last_used_region: row.try_get("last_used_region")?,
    })
}

pub(crate) async fn find_role(
    conn: &mut AnyConnection,
    account_id: &str,
    name: &str,
) -> Result<RoleRecord> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE account_id = $1 AND name_lower = $2"
    )))
    .bind(account_id)
    .bind(lower(name))
    .fetch_optional(conn)
    .await?;
    row.as_ref()
        .map(role)
        .transpose()?
        .ok_or_else(|| not_found(EntityKind::Role, name))
}

/// What UpdateRole may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct RoleUpdate {
    /// A new description (`Some("")` clears it, as AWS does).
    pub description: Option<String>,
    /// A new maximum session duration, seconds.
    pub max_session_duration: Option<i64>,
}

impl Store {
    /// Creates a role; `EntityAlreadyExists` when the name is taken, whatever its case.
    pub async fn create_role(&self, new: &NewRole) -> Result<RoleRecord> {
        self.create_role_with_policies(new, &[]).await
    }

    /// Creates a role with distinct managed policy ARNs already attached (a service-linked
    /// role comes with its service's policies), role, tags and attachments in one
    /// transaction; `LimitExceeded` past the per-role quota, and then nothing is written.
    pub async fn create_role_with_policies(
        &self,
        new: &NewRole,
        policy_arns: &[String],
    ) -> Result<RoleRecord> {
        let mut w = self.begin_write().await?;
        let role = insert_role(&mut w, new, policy_arns).await?;
        w.commit().await?;
        Ok(role)
    }

    /// A role by name, case-insensitively.
    pub async fn get_role(&self, account_id: &str, name: &str) -> Result<RoleRecord> {
        let mut conn = self.pool.acquire().await?;
        find_role(&mut conn, account_id, name).await
    }

    /// Roles, of any account, stored before trust principals were bound (at most `limit`).
    pub async fn roles_with_unbound_trust(&self, limit: u32) -> Result<Vec<RoleRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE trust_principals IS NULL ORDER BY role_id LIMIT $1"
        )))
        .bind(i64::from(limit.max(1)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(role).collect()
    }

    /// A role by unique id (`AROA...`), in whatever account.
    pub async fn get_role_by_id(&self, role_id: &str) -> Result<RoleRecord> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE role_id = $1")))
            .bind(role_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(role)
            .transpose()?
            .ok_or_else(|| not_found(EntityKind::Role, role_id))
    }

    /// Roles of an account in name order, filtered by path prefix.
    pub async fn list_roles(
        &self,
        account_id: &str,
        options: &ListOptions,
    ) -> Result<Page<RoleRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE account_id = $1 AND ($2 IS NULL OR substr(path, 1, length($2)) = $2) \
             AND ($3 IS NULL OR name_lower > $3) ORDER BY name_lower LIMIT $4"
        )))
        .bind(account_id)
        .bind(options.path_prefix.as_deref())
        .bind(options.marker.as_deref())
        .bind(fetch_limit(options))
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(role).collect::<Result<Vec<_>>>()?;
        Ok(paginate(items, options, |r| lower(&r.name)))
    }

    /// UpdateRole (description, maximum session duration).
    pub async fn update_role(
        &self,
        account_id: &str,
        name: &str,
        update: &RoleUpdate,
    ) -> Result<RoleRecord> {
        let mut w = self.begin_write().await?;
        let mut role = find_role(w.conn(), account_id, name).await?;
        if let Some(description) = &update.description {
            role.description = Some(description.clone()).filter(|d| !d.is_empty());
        }
        if let Some(duration) = update.max_session_duration {
            role.max_session_duration = duration;
        }
        sqlx::query(
            "UPDATE roles SET description = $1, max_session_duration = $2 WHERE role_id = $3",
        )
        .bind(role.description.as_deref())
        .bind(role.max_session_duration)
        .bind(&role.role_id)
        .execute(w.conn())
        .await?;
        w.touched(account_id, EntityKind::Role, &role.role_id)
            .await?;
        w.commit().await?;
        Ok(role)
    }

    /// UpdateAssumeRolePolicy: replaces the trust policy document and the principals it binds.
    pub async fn update_role_trust_policy(
        &self,
        account_id: &str,
        name: &str,
        trust_policy: &policy::Policy,
        trust_principals: &[BoundPrincipal],
    ) -> Result<()> {
        let trust_policy = document_text(trust_policy, policy::PolicyKind::Trust)?;
        let mut w = self.begin_write().await?;
        let role = find_role(w.conn(), account_id, name).await?;
        sqlx::query("UPDATE roles SET trust_policy = $1, trust_principals = $2 WHERE role_id = $3")
            .bind(trust_policy)
            .bind(encode_principals(trust_principals))
            .bind(&role.role_id)
            .execute(w.conn())
            .await?;
        w.touched(account_id, EntityKind::Role, &role.role_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// Sets (Put) or removes (Delete) the role's permissions boundary.
    pub async fn set_role_permissions_boundary(
        &self,
        account_id: &str,
        name: &str,
        boundary_arn: Option<&str>,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let role = find_role(w.conn(), account_id, name).await?;
        sqlx::query("UPDATE roles SET permissions_boundary_arn = $1 WHERE role_id = $2")
            .bind(boundary_arn)
            .bind(&role.role_id)
            .execute(w.conn())
            .await?;
        w.touched(account_id, EntityKind::Role, &role.role_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// Stamps an AssumeRole (RoleLastUsed). Usage telemetry, not authorization data: it does
    /// not bump the revision, which would flush every node's cache on every AssumeRole.
    pub async fn record_role_use(&self, role_id: &str, at: Timestamp, region: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE roles SET last_used_at = $1, last_used_region = $2 WHERE role_id = $3",
        )
        .bind(at)
        .bind(region)
        .bind(role_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::Role, role_id));
        }
        Ok(())
    }

    /// The roles assumed at or after `since` (epoch seconds): (role id, time, region). What
    /// other nodes stamped, which moved no revision.
    pub async fn role_uses_since(
        &self,
        since: Timestamp,
    ) -> Result<Vec<(String, Timestamp, String)>> {
        let rows = sqlx::query(
            "SELECT role_id, last_used_at, last_used_region FROM roles WHERE last_used_at >= $1",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("role_id")?,
                    row.try_get("last_used_at")?,
                    row.try_get::<Option<String>, _>("last_used_region")?
                        .unwrap_or_default(),
                ))
            })
            .collect()
    }

    /// Deletes a role with no policies or instance profiles left (`DeleteConflict` otherwise);
    /// its tags go with it.
    pub async fn delete_role(&self, account_id: &str, name: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let role = find_role(w.conn(), account_id, name).await?;
        let id = role.role_id.as_str();
        let kind = EntityKind::Role;
        for (sql, reason) in [
            (
                "SELECT 1 FROM inline_policies WHERE principal_kind = 'role' AND principal_id = $1",
                "Cannot delete entity, must delete policies first.",
            ),
            (
                "SELECT 1 FROM attachments WHERE principal_kind = 'role' AND principal_id = $1",
                "Cannot delete entity, must detach all policies first.",
            ),
            (
                "SELECT 1 FROM instance_profile_roles WHERE role_id = $1",
                "Cannot delete entity, must remove roles from instance profile first.",
            ),
        ] {
            conflict_if_any(w.conn(), sql, id, kind, &role.name, reason).await?;
        }
        for sql in [
            "DELETE FROM tags WHERE resource_kind = 'role' AND resource_id = $1",
            "DELETE FROM roles WHERE role_id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(w.conn()).await?;
        }
        w.touched(account_id, kind, id).await?;
        w.commit().await?;
        Ok(())
    }
}

/// Inserts a role with its tags and attached policies into an open write: the role creation
/// shared by [`Store::create_role_with_policies`] and an organization's CreateAccount (the
/// role AWS makes in the new account).
pub(crate) async fn insert_role(
    w: &mut Write,
    new: &NewRole,
    policy_arns: &[String],
) -> Result<RoleRecord> {
    let trust_policy = document_text(&new.trust_policy, policy::PolicyKind::Trust)?;
    let (what, limit) = quota::POLICIES_PER_ROLE;
    if policy_arns.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
        return Err(StoreError::LimitExceeded { what, limit });
    }
    require_account(w.conn(), &new.account_id).await?;
    sqlx::query(
        "INSERT INTO roles (role_id, account_id, name, name_lower, path, trust_policy, \
             description, max_session_duration, permissions_boundary_arn, created_at, \
             last_used_at, last_used_region, trust_principals) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, $11)",
    )
    .bind(&new.role_id)
    .bind(&new.account_id)
    .bind(&new.name)
    .bind(lower(&new.name))
    .bind(&new.path)
    .bind(trust_policy)
    .bind(new.description.as_deref())
    .bind(new.max_session_duration)
    .bind(new.permissions_boundary_arn.as_deref())
    .bind(new.created_at)
    .bind(encode_principals(&new.trust_principals))
    .execute(w.conn())
    .await
    .map_err(|e| conflict_as_exists(e, EntityKind::Role, &new.name))?;
    insert_tags(
        w,
        &new.account_id,
        &TagTarget::Role(new.role_id.clone()),
        &new.tags,
    )
    .await?;
    let principal = Principal::role(&new.role_id);
    for arn in policy_arns {
        insert_attachment(w.conn(), &new.account_id, &principal, arn).await?;
    }
    w.touched(&new.account_id, EntityKind::Role, &new.role_id)
        .await?;
    Ok(RoleRecord {
        account_id: new.account_id.clone(),
        role_id: new.role_id.clone(),
        name: new.name.clone(),
        path: new.path.clone(),
        trust_policy: trust_policy.to_owned(),
        trust_principals: Some(new.trust_principals.clone()),
        description: new.description.clone(),
        max_session_duration: new.max_session_duration,
        permissions_boundary_arn: new.permissions_boundary_arn.clone(),
        created_at: new.created_at,
        last_used_at: None,
        last_used_region: None,
    })
}
