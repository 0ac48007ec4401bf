//! Managed policy attachments (by ARN, at most ten per principal) and inline policies.

use sqlx::AnyConnection;
use sqlx::Row;

use crate::db::{Lock, Store, document_text, not_found};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::{PolicyEntity, Principal, PrincipalKind};
use crate::quota;

/// The account of a principal, or `NoSuchEntity` of its kind.
async fn principal_account(conn: &mut AnyConnection, principal: &Principal) -> Result<String> {
    let sql = match principal.kind {
        PrincipalKind::User => "SELECT account_id FROM users WHERE user_id = $1",
        PrincipalKind::Group => "SELECT account_id FROM iam_groups WHERE group_id = $1",
        PrincipalKind::Role => "SELECT account_id FROM roles WHERE role_id = $1",
    };
    let row = sqlx::query(sql)
        .bind(&principal.id)
        .fetch_optional(conn)
        .await?;
    match row {
        Some(row) => Ok(row.try_get("account_id")?),
        None => Err(not_found(entity_kind(principal.kind), &principal.id)),
    }
}

/// One attachment row; the caller has checked the quota and that it is not there yet.
pub(crate) async fn insert_attachment(
    conn: &mut AnyConnection,
    account_id: &str,
    principal: &Principal,
    policy_arn: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO attachments (account_id, principal_kind, principal_id, policy_arn) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(account_id)
    .bind(principal.kind.as_str())
    .bind(&principal.id)
    .bind(policy_arn)
    .execute(conn)
    .await?;
    Ok(())
}

fn entity_kind(kind: PrincipalKind) -> EntityKind {
    match kind {
        PrincipalKind::User => EntityKind::User,
        PrincipalKind::Group => EntityKind::Group,
        PrincipalKind::Role => EntityKind::Role,
    }
}

fn inline_kind(kind: PrincipalKind) -> EntityKind {
    match kind {
        PrincipalKind::User => EntityKind::UserPolicy,
        PrincipalKind::Group => EntityKind::GroupPolicy,
        PrincipalKind::Role => EntityKind::RolePolicy,
    }
}

fn lock(kind: PrincipalKind) -> Lock {
    match kind {
        PrincipalKind::User => Lock::User,
        PrincipalKind::Group => Lock::Group,
        PrincipalKind::Role => Lock::Role,
    }
}

impl Store {
    /// Attach(User|Group|Role)Policy. Idempotent; `LimitExceeded` past ten policies. The
    /// service checks that the ARN names an existing customer or AWS managed policy.
    pub async fn attach_policy(&self, principal: &Principal, policy_arn: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let account_id = principal_account(w.conn(), principal).await?;
        w.lock_row(lock(principal.kind), &principal.id).await?;
        let kind = principal.kind.as_str();
        let already = sqlx::query(
            "SELECT 1 FROM attachments WHERE principal_kind = $1 AND principal_id = $2 \
             AND policy_arn = $3",
        )
        .bind(kind)
        .bind(&principal.id)
        .bind(policy_arn)
        .fetch_optional(w.conn())
        .await?;
        if already.is_some() {
            return Ok(());
        }
        let count: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM attachments WHERE principal_kind = $1 AND principal_id = $2",
        )
        .bind(kind)
        .bind(&principal.id)
        .fetch_one(w.conn())
        .await?
        .try_get("n")?;
        let (what, limit) = match principal.kind {
            PrincipalKind::User => quota::POLICIES_PER_USER,
            PrincipalKind::Group => quota::POLICIES_PER_GROUP,
            PrincipalKind::Role => quota::POLICIES_PER_ROLE,
        };
        if count >= i64::from(limit) {
            return Err(StoreError::LimitExceeded { what, limit });
        }
        insert_attachment(w.conn(), &account_id, principal, policy_arn).await?;
        w.touched(&account_id, entity_kind(principal.kind), &principal.id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// Detach(User|Group|Role)Policy; `NoSuchEntity` (of kind Policy) when not attached.
    pub async fn detach_policy(&self, principal: &Principal, policy_arn: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let account_id = principal_account(w.conn(), principal).await?;
        let done = sqlx::query(
            "DELETE FROM attachments WHERE principal_kind = $1 AND principal_id = $2 \
             AND policy_arn = $3",
        )
        .bind(principal.kind.as_str())
        .bind(&principal.id)
        .bind(policy_arn)
        .execute(w.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::Policy, policy_arn));
        }
        w.touched(&account_id, entity_kind(principal.kind), &principal.id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// The ARNs attached to a principal, sorted (at most ten, so no pagination).
    pub async fn list_attached_policies(&self, principal: &Principal) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT policy_arn FROM attachments WHERE principal_kind = $1 AND principal_id = $2 \
             ORDER BY policy_arn",
        )
        .bind(principal.kind.as_str())
        .bind(&principal.id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get("policy_arn")?))
            .collect()
    }

    /// Every policy ARN attached to something in the account, with its attachment count:
    /// AttachmentCount and OnlyAttached for AWS managed policies, which are not stored.
    pub async fn policy_attachment_counts(&self, account_id: &str) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT policy_arn, COUNT(*) AS n FROM attachments WHERE account_id = $1 \
             GROUP BY policy_arn ORDER BY policy_arn",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("policy_arn")?, row.try_get("n")?)))
            .collect()
    }

    /// ListEntitiesForPolicy: the account's users, groups and roles a policy is attached to,
    /// by kind then name.
    pub async fn list_entities_for_policy(
        &self,
        account_id: &str,
        policy_arn: &str,
    ) -> Result<Vec<PolicyEntity>> {
        let rows = sqlx::query(
            "SELECT a.principal_kind AS kind, a.principal_id AS id, \
             COALESCE(u.name, g.name, r.name) AS name, \
             COALESCE(u.name_lower, g.name_lower, r.name_lower) AS name_lower \
             FROM attachments a \
             LEFT JOIN users u ON a.principal_kind = 'user' AND u.user_id = a.principal_id \
             LEFT JOIN iam_groups g ON a.principal_kind = 'group' AND g.group_id = a.principal_id \
             LEFT JOIN roles r ON a.principal_kind = 'role' AND r.role_id = a.principal_id \
             WHERE a.account_id = $1 AND a.policy_arn = $2 \
             ORDER BY a.principal_kind, name_lower",
        )
        .bind(account_id)
        .bind(policy_arn)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                Ok(PolicyEntity {
                    kind: PrincipalKind::parse(&kind).ok_or_else(|| {
                        crate::BackendError::message(format!("unknown principal kind `{kind}`"))
                    })?,
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                })
            })
            .collect()
    }

    /// Put(User|Group|Role)Policy: creates or replaces an inline policy. Names are matched
    /// exactly (AWS's case-insensitive rule is for entity names).
    pub async fn put_inline_policy(
        &self,
        principal: &Principal,
        policy_name: &str,
        document: &policy::Policy,
    ) -> Result<()> {
        let document = document_text(document, policy::PolicyKind::Identity)?;
        let mut w = self.begin_write().await?;
        let account_id = principal_account(w.conn(), principal).await?;
        sqlx::query(
            "INSERT INTO inline_policies (account_id, principal_kind, principal_id, policy_name, \
             document) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (principal_kind, principal_id, policy_name) \
             DO UPDATE SET document = excluded.document",
        )
        .bind(&account_id)
        .bind(principal.kind.as_str())
        .bind(&principal.id)
        .bind(policy_name)
        .bind(document)
        .execute(w.conn())
        .await?;
        w.touched(&account_id, entity_kind(principal.kind), &principal.id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// Get(User|Group|Role)Policy: the document text.
    pub async fn get_inline_policy(
        &self,
        principal: &Principal,
        policy_name: &str,
    ) -> Result<String> {
        let row = sqlx::query(
            "SELECT document FROM inline_policies WHERE principal_kind = $1 \
             AND principal_id = $2 AND policy_name = $3",
        )
        .bind(principal.kind.as_str())
        .bind(&principal.id)
        .bind(policy_name)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(row.try_get("document")?),
            None => Err(not_found(inline_kind(principal.kind), policy_name)),
        }
    }

    /// List(User|Group|Role)Policies: the inline policies as (name, document), by name. The
    /// documents come along because authorization needs them all anyway.
    pub async fn list_inline_policies(
        &self,
        principal: &Principal,
    ) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT policy_name, document FROM inline_policies WHERE principal_kind = $1 \
             AND principal_id = $2 ORDER BY policy_name",
        )
        .bind(principal.kind.as_str())
        .bind(&principal.id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("policy_name")?, row.try_get("document")?)))
            .collect()
    }

    /// Delete(User|Group|Role)Policy.
    pub async fn delete_inline_policy(
        &self,
        principal: &Principal,
        policy_name: &str,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let account_id = principal_account(w.conn(), principal).await?;
        let done = sqlx::query(
            "DELETE FROM inline_policies WHERE principal_kind = $1 AND principal_id = $2 \
             AND policy_name = $3",
        )
        .bind(principal.kind.as_str())
        .bind(&principal.id)
        .bind(policy_name)
        .execute(w.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(inline_kind(principal.kind), policy_name));
        }
        w.touched(&account_id, entity_kind(principal.kind), &principal.id)
            .await?;
        w.commit().await?;
        Ok(())
    }
}
