//! Customer managed policies and their versions (at most five, ids never reused).

use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{
    Lock, Store, conflict_as_exists, document_text, fetch_limit, flag, lower, not_found, paginate,
};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::TagTarget;
use crate::model::{ListOptions, NewPolicy, Page, PolicyRecord, PolicyVersionRecord, Timestamp};
use crate::ops::tags::insert_tags;
use crate::ops::users::{conflict_if_any, require_account};
use crate::quota;

/// The ARN of a customer managed policy; the store computes it so that attachments can name
/// customer and AWS managed policies alike.
#[must_use]
pub fn customer_policy_arn(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:policy{path}{name}")
}

pub(crate) const SELECT: &str = "SELECT p.account_id, p.policy_id, p.name, p.path, p.arn, p.description, \
     p.default_version, p.created_at, p.updated_at, \
     (SELECT COUNT(*) FROM attachments a WHERE a.account_id = p.account_id \
      AND a.policy_arn = p.arn) AS attachment_count FROM policies p";

pub(crate) fn policy(row: &AnyRow) -> Result<PolicyRecord> {
    Ok(PolicyRecord {
        account_id: row.try_get("account_id")?,
        policy_id: row.try_get("policy_id")?,
        name: row.try_get("name")?,
        path: row.try_get("path")?,
        arn: row.try_get("arn")?,
        description: row.try_get("description")?,
        default_version_id: format!("v{}", row.try_get::<i64, _>("default_version")?),
        attachment_count: row.try_get("attachment_count")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(crate) fn version(row: &AnyRow) -> Result<PolicyVersionRecord> {
    Ok(PolicyVersionRecord {
        version_id: format!("v{}", row.try_get::<i64, _>("version")?),
        document: row.try_get("document")?,
        is_default: flag(row, "is_default")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) async fn find_policy(conn: &mut AnyConnection, arn: &str) -> Result<PolicyRecord> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE p.arn = $1")))
        .bind(arn)
        .fetch_optional(conn)
        .await?;
    row.as_ref()
        .map(policy)
        .transpose()?
        .ok_or_else(|| not_found(EntityKind::Policy, arn))
}

/// `v3` -> 3; anything else names no version.
fn version_number(arn: &str, version_id: &str) -> Result<i64> {
    version_id
        .strip_prefix('v')
        .and_then(|n| n.parse::<i64>().ok())
        .ok_or_else(|| not_found(EntityKind::PolicyVersion, &format!("{arn} {version_id}")))
}

impl Store {
    /// CreatePolicy: the policy and its version `v1`, the default.
    pub async fn create_policy(&self, new: &NewPolicy) -> Result<PolicyRecord> {
        let document = document_text(&new.document, policy::PolicyKind::Identity)?;
        let mut w = self.begin_write().await?;
        require_account(w.conn(), &new.account_id).await?;
        let arn = customer_policy_arn(&new.account_id, &new.path, &new.name);
        sqlx::query(
            "INSERT INTO policies (policy_id, account_id, name, name_lower, path, arn, \
             description, default_version, next_version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 2, $8, $8)",
        )
        .bind(&new.policy_id)
        .bind(&new.account_id)
        .bind(&new.name)
        .bind(lower(&new.name))
        .bind(&new.path)
        .bind(&arn)
        .bind(new.description.as_deref())
        .bind(new.created_at)
        .execute(w.conn())
        .await
        .map_err(|e| conflict_as_exists(e, EntityKind::Policy, &new.name))?;
        sqlx::query(
            "INSERT INTO policy_versions (policy_id, version, document, created_at) \
             VALUES ($1, 1, $2, $3)",
        )
        .bind(&new.policy_id)
        .bind(document)
        .bind(new.created_at)
        .execute(w.conn())
        .await?;
        insert_tags(
            &mut w,
            &new.account_id,
            &TagTarget::Policy(new.policy_id.clone()),
            &new.tags,
        )
        .await?;
        w.touched(&new.account_id, EntityKind::Policy, &new.policy_id)
            .await?;
        w.commit().await?;
        Ok(PolicyRecord {
            account_id: new.account_id.clone(),
            policy_id: new.policy_id.clone(),
            name: new.name.clone(),
            path: new.path.clone(),
            arn,
            description: new.description.clone(),
            default_version_id: "v1".to_owned(),
            attachment_count: 0,
            created_at: new.created_at,
            updated_at: new.created_at,
        })
    }

    /// A customer managed policy by ARN.
    pub async fn get_policy(&self, arn: &str) -> Result<PolicyRecord> {
        let mut conn = self.pool.acquire().await?;
        find_policy(&mut conn, arn).await
    }

    /// Customer managed policies of an account in name order (ListPolicies, Scope=Local),
    /// optionally only those attached to something.
    pub async fn list_policies(
        &self,
        account_id: &str,
        only_attached: bool,
        options: &ListOptions,
    ) -> Result<Page<PolicyRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE p.account_id = $1 \
             AND ($2 IS NULL OR substr(p.path, 1, length($2)) = $2) \
             AND ($3 IS NULL OR p.name_lower > $3) \
             AND ($5 = 0 OR EXISTS (SELECT 1 FROM attachments a \
                  WHERE a.account_id = p.account_id AND a.policy_arn = p.arn)) \
             ORDER BY p.name_lower LIMIT $4"
        )))
        .bind(account_id)
        .bind(options.path_prefix.as_deref())
        .bind(options.marker.as_deref())
        .bind(fetch_limit(options))
        .bind(i64::from(only_attached))
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(policy).collect::<Result<Vec<_>>>()?;
        Ok(paginate(items, options, |p| lower(&p.name)))
    }

    /// CreatePolicyVersion; `LimitExceeded` when the policy already has five versions.
    pub async fn create_policy_version(
        &self,
        arn: &str,
        document: &policy::Policy,
        set_as_default: bool,
        now: Timestamp,
    ) -> Result<PolicyVersionRecord> {
        let document = document_text(document, policy::PolicyKind::Identity)?;
        let mut w = self.begin_write().await?;
        let policy = find_policy(w.conn(), arn).await?;
        w.lock_row(Lock::Policy, &policy.policy_id).await?;
        let row = sqlx::query(
            "SELECT next_version, (SELECT COUNT(*) FROM policy_versions v \
             WHERE v.policy_id = p.policy_id) AS n FROM policies p WHERE p.policy_id = $1",
        )
        .bind(&policy.policy_id)
        .fetch_one(w.conn())
        .await?;
        let (next, count): (i64, i64) = (row.try_get("next_version")?, row.try_get("n")?);
        let (what, limit) = quota::POLICY_VERSIONS;
        if count >= i64::from(limit) {
            return Err(StoreError::LimitExceeded { what, limit });
        }
        sqlx::query(
            "INSERT INTO policy_versions (policy_id, version, document, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&policy.policy_id)
        .bind(next)
        .bind(document)
        .bind(now)
        .execute(w.conn())
        .await?;
        let sql = if set_as_default {
            "UPDATE policies SET next_version = $1 + 1, default_version = $1, updated_at = $3 \
             WHERE policy_id = $2"
        } else {
            "UPDATE policies SET next_version = $1 + 1 WHERE policy_id = $2"
        };
        let update = sqlx::query(sql).bind(next).bind(&policy.policy_id);
        let update = if set_as_default {
            update.bind(now)
        } else {
            update
        };
        update.execute(w.conn()).await?;
        w.touched(&policy.account_id, EntityKind::Policy, &policy.policy_id)
            .await?;
        w.commit().await?;
        Ok(PolicyVersionRecord {
            version_id: format!("v{next}"),
            document: document.to_owned(),
            is_default: set_as_default,
            created_at: now,
        })
    }

    /// GetPolicyVersion.
    pub async fn get_policy_version(
        &self,
        arn: &str,
        version_id: &str,
    ) -> Result<PolicyVersionRecord> {
        let number = version_number(arn, version_id)?;
        let row = sqlx::query(
            "SELECT v.version, v.document, v.created_at, \
             CASE WHEN v.version = p.default_version THEN 1 ELSE 0 END AS is_default \
             FROM policy_versions v JOIN policies p ON p.policy_id = v.policy_id \
             WHERE p.arn = $1 AND v.version = $2",
        )
        .bind(arn)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(version)
            .transpose()?
            .ok_or_else(|| not_found(EntityKind::PolicyVersion, &format!("{arn} {version_id}")))
    }

    /// ListPolicyVersions, newest first as AWS lists them.
    pub async fn list_policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersionRecord>> {
        let mut conn = self.pool.acquire().await?;
        let policy = find_policy(&mut conn, arn).await?;
        let rows = sqlx::query(
            "SELECT v.version, v.document, v.created_at, \
             CASE WHEN v.version = p.default_version THEN 1 ELSE 0 END AS is_default \
             FROM policy_versions v JOIN policies p ON p.policy_id = v.policy_id \
             WHERE p.policy_id = $1 ORDER BY v.version DESC",
        )
        .bind(&policy.policy_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(version).collect()
    }

    /// SetDefaultPolicyVersion.
    pub async fn set_default_policy_version(
        &self,
        arn: &str,
        version_id: &str,
        now: Timestamp,
    ) -> Result<()> {
        let number = version_number(arn, version_id)?;
        let mut w = self.begin_write().await?;
        let policy = find_policy(w.conn(), arn).await?;
        let exists =
            sqlx::query("SELECT 1 FROM policy_versions WHERE policy_id = $1 AND version = $2")
                .bind(&policy.policy_id)
                .bind(number)
                .fetch_optional(w.conn())
                .await?;
        if exists.is_none() {
            return Err(not_found(
                EntityKind::PolicyVersion,
                &format!("{arn} {version_id}"),
            ));
        }
        sqlx::query(
            "UPDATE policies SET default_version = $1, updated_at = $2 WHERE policy_id = $3",
        )
        .bind(number)
        .bind(now)
        .bind(&policy.policy_id)
        .execute(w.conn())
        .await?;
        w.touched(&policy.account_id, EntityKind::Policy, &policy.policy_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// DeletePolicyVersion; the default version cannot be deleted (`DeleteConflict`).
    pub async fn delete_policy_version(&self, arn: &str, version_id: &str) -> Result<()> {
        let number = version_number(arn, version_id)?;
        let mut w = self.begin_write().await?;
        let policy = find_policy(w.conn(), arn).await?;
        if policy.default_version_id == version_id {
            return Err(StoreError::DeleteConflict {
                kind: EntityKind::PolicyVersion,
                name: version_id.to_owned(),
                reason: "Cannot delete the default version of a policy.",
            });
        }
        let done = sqlx::query("DELETE FROM policy_versions WHERE policy_id = $1 AND version = $2")
            .bind(&policy.policy_id)
            .bind(number)
            .execute(w.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(
                EntityKind::PolicyVersion,
                &format!("{arn} {version_id}"),
            ));
        }
        w.touched(&policy.account_id, EntityKind::Policy, &policy.policy_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// DeletePolicy: `DeleteConflict` while it is attached or has versions besides the
    /// default; its default version and tags go with it.
    pub async fn delete_policy(&self, arn: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let policy = find_policy(w.conn(), arn).await?;
        if policy.attachment_count > 0 {
            return Err(StoreError::DeleteConflict {
                kind: EntityKind::Policy,
                name: arn.to_owned(),
                reason: "Cannot delete a policy attached to entities.",
            });
        }
        conflict_if_any(
            w.conn(),
            "SELECT 1 FROM policy_versions v JOIN policies p ON p.policy_id = v.policy_id \
             WHERE p.policy_id = $1 AND v.version <> p.default_version",
            &policy.policy_id,
            EntityKind::Policy,
            arn,
            "This policy has more than one version. Before you delete a policy, you must delete \
             the policy's versions. The default version is deleted with the policy.",
        )
        .await?;
        for sql in [
            "DELETE FROM tags WHERE resource_kind = 'policy' AND resource_id = $1",
            "DELETE FROM policy_versions WHERE policy_id = $1",
            "DELETE FROM policies WHERE policy_id = $1",
        ] {
            sqlx::query(sql)
                .bind(&policy.policy_id)
                .execute(w.conn())
                .await?;
        }
        w.touched(&policy.account_id, EntityKind::Policy, &policy.policy_id)
            .await?;
        w.commit().await?;
        Ok(())
    }
}
