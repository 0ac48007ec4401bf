//! Accounts (tenants): create, look up by id, alias or email, set the alias, delete when empty.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Store, Write, conflict_as_exists, lower, not_found};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::{AccountRecord, NewAccount};
use crate::ops::access_keys::insert_access_key;

pub(crate) const SELECT: &str = "SELECT account_id, email, alias, created_at, global_endpoint_token_version, \
     root_password_last_used FROM accounts";

pub(crate) fn account(row: &AnyRow) -> Result<AccountRecord> {
    Ok(AccountRecord {
        account_id: row.try_get("account_id")?,
        email: row.try_get("email")?,
        alias: row.try_get("alias")?,
        created_at: row.try_get("created_at")?,
        global_endpoint_token_version: row.try_get("global_endpoint_token_version")?,
        root_password_last_used: row.try_get("root_password_last_used")?,
    })
}

impl Store {
    /// Creates an account with its alias and root access key, all or nothing. Fails with
    /// `EntityAlreadyExists` when the id, the email (compared case-insensitively), the alias
    /// or the key id is taken.
    pub async fn create_account(&self, new: &NewAccount) -> Result<AccountRecord> {
        let mut w = self.begin_write().await?;
        let account = insert_account(&mut w, new).await?;
        w.commit().await?;
        Ok(account)
    }

    /// An account by id.
    pub async fn get_account(&self, account_id: &str) -> Result<AccountRecord> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE account_id = $1"
        )))
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(account)
            .transpose()?
            .ok_or_else(|| not_found(EntityKind::Account, account_id))
    }

    /// The account with this alias (console sign-in by alias).
    pub async fn get_account_by_alias(&self, alias: &str) -> Result<AccountRecord> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE alias = $1")))
            .bind(alias)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref()
            .map(account)
            .transpose()?
            .ok_or_else(|| not_found(EntityKind::Account, alias))
    }

    /// The account whose root signs in with this email, compared case-insensitively.
    pub async fn get_account_by_email(&self, email: &str) -> Result<AccountRecord> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE email_lower = $1"
        )))
        .bind(lower(email))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(account)
            .transpose()?
            .ok_or_else(|| not_found(EntityKind::Account, email))
    }

    /// Every account, by id.
    pub async fn list_accounts(&self) -> Result<Vec<AccountRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY account_id")))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(account).collect()
    }

    /// Sets or removes the account alias (CreateAccountAlias / DeleteAccountAlias). Aliases are
    /// unique across the server: `EntityAlreadyExists` when another account has it.
    pub async fn set_account_alias(&self, account_id: &str, alias: Option<&str>) -> Result<()> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query("UPDATE accounts SET alias = $1 WHERE account_id = $2")
            .bind(alias)
            .bind(account_id)
            .execute(w.conn())
            .await
            .map_err(|e| conflict_as_exists(e, EntityKind::Account, alias.unwrap_or_default()))?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::Account, account_id));
        }
        w.touched(account_id, EntityKind::Account, account_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// Deletes an account that holds nothing but (optionally) a password policy.
    pub async fn delete_account(&self, account_id: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        w.lock_row(crate::db::Lock::Account, account_id).await?;
        let exists = sqlx::query("SELECT 1 FROM accounts WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(w.conn())
            .await?;
        if exists.is_none() {
            return Err(not_found(EntityKind::Account, account_id));
        }
        for (sql, reason) in [
            (
                "SELECT 1 FROM users WHERE account_id = $1",
                "Cannot delete entity, must delete users first.",
            ),
            (
                "SELECT 1 FROM iam_groups WHERE account_id = $1",
                "Cannot delete entity, must delete groups first.",
            ),
            (
                "SELECT 1 FROM roles WHERE account_id = $1",
                "Cannot delete entity, must delete roles first.",
            ),
            (
                "SELECT 1 FROM policies WHERE account_id = $1",
                "Cannot delete entity, must delete policies first.",
            ),
            (
                "SELECT 1 FROM access_keys WHERE account_id = $1",
                "Cannot delete entity, must delete access keys first.",
            ),
            (
                "SELECT 1 FROM mfa_devices WHERE account_id = $1",
                "Cannot delete entity, must delete MFA devices first.",
            ),
            (
                "SELECT 1 FROM user_credentials WHERE account_id = $1",
                "Cannot delete entity, must delete users' credentials first.",
            ),
            (
                "SELECT 1 FROM instance_profiles WHERE account_id = $1",
                "Cannot delete entity, must delete instance profiles first.",
            ),
            (
                "SELECT 1 FROM server_certificates WHERE account_id = $1",
                "Cannot delete entity, must delete server certificates first.",
            ),
        ] {
            let found = sqlx::query(sql)
                .bind(account_id)
                .fetch_optional(w.conn())
                .await?;
            if found.is_some() {
                return Err(StoreError::DeleteConflict {
                    kind: EntityKind::Account,
                    name: account_id.to_owned(),
                    reason,
                });
            }
        }
        sqlx::query("DELETE FROM password_policies WHERE account_id = $1")
            .bind(account_id)
            .execute(w.conn())
            .await?;
        sqlx::query("DELETE FROM account_properties WHERE account_id = $1")
            .bind(account_id)
            .execute(w.conn())
            .await?;
        for delete in [
            "DELETE FROM console_sessions WHERE account_id = $1",
            "DELETE FROM reports WHERE account_id = $1",
            "DELETE FROM service_access WHERE account_id = $1",
            "DELETE FROM outbound_signing_keys WHERE account_id = $1",
            "DELETE FROM outbound_federation WHERE account_id = $1",
        ] {
            sqlx::query(delete)
                .bind(account_id)
                .execute(w.conn())
                .await?;
        }
        sqlx::query("DELETE FROM accounts WHERE account_id = $1")
            .bind(account_id)
            .execute(w.conn())
            .await?;
        w.touched(account_id, EntityKind::Account, account_id)
            .await?;
        w.commit().await?;
        Ok(())
    }
}

/// Inserts an account with its root key (if any) into an open write: the account creation
/// shared by [`Store::create_account`] and an organization's CreateAccount.
pub(crate) async fn insert_account(w: &mut Write, new: &NewAccount) -> Result<AccountRecord> {
    sqlx::query(
        "INSERT INTO accounts (account_id, email, email_lower, alias, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&new.account_id)
    .bind(&new.email)
    .bind(lower(&new.email))
    .bind(new.alias.as_deref())
    .bind(new.created_at)
    .execute(w.conn())
    .await
    .map_err(|e| conflict_as_exists(e, EntityKind::Account, &new.account_id))?;
    w.touched(&new.account_id, EntityKind::Account, &new.account_id)
        .await?;
    if let Some(key) = &new.root_key {
        insert_access_key(w, key).await?;
    }
    Ok(AccountRecord {
        account_id: new.account_id.clone(),
        email: new.email.clone(),
        alias: new.alias.clone(),
        created_at: new.created_at,
        global_endpoint_token_version: 1,
        root_password_last_used: None,
    })
}
