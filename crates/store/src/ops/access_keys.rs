//! Access keys of users and of account roots (at most two per owner).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Lock, Store, Write, conflict_as_exists, not_found};
use crate::error::{BackendError, EntityKind, Result, StoreError};
use crate::model::{AccessKeyRecord, AccessKeyStatus, NewAccessKey, Timestamp};
use crate::ops::users::require_account;
use crate::quota;

pub(crate) const SELECT: &str = "SELECT access_key_id, account_id, user_id, secret_ciphertext, status, \
     created_at, last_used_at, last_used_service, last_used_region FROM access_keys";

pub(crate) fn access_key(row: &AnyRow) -> Result<AccessKeyRecord> {
    let status: String = row.try_get("status")?;
    Ok(AccessKeyRecord {
        access_key_id: row.try_get("access_key_id")?,
        account_id: row.try_get("account_id")?,
        user_id: row.try_get("user_id")?,
        secret_ciphertext: row.try_get("secret_ciphertext")?,
        status: AccessKeyStatus::parse(&status)
            .ok_or_else(|| BackendError::message(format!("unknown key status `{status}`")))?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        last_used_service: row.try_get("last_used_service")?,
        last_used_region: row.try_get("last_used_region")?,
    })
}

/// Inserts an `Active` key in an open write (quotas are the caller's business).
pub(crate) async fn insert_access_key(
    w: &mut Write,
    new: &NewAccessKey,
) -> Result<AccessKeyRecord> {
    sqlx::query(
        "INSERT INTO access_keys (access_key_id, account_id, user_id, secret_ciphertext, \
         status, created_at) VALUES ($1, $2, $3, $4, 'Active', $5)",
    )
    .bind(&new.access_key_id)
    .bind(&new.account_id)
    .bind(new.user_id.as_deref())
    .bind(new.secret_ciphertext.as_slice())
    .bind(new.created_at)
    .execute(w.conn())
    .await
    .map_err(|e| conflict_as_exists(e, EntityKind::AccessKey, &new.access_key_id))?;
    w.touched(&new.account_id, EntityKind::AccessKey, &new.access_key_id)
        .await?;
    Ok(AccessKeyRecord {
        access_key_id: new.access_key_id.clone(),
        account_id: new.account_id.clone(),
        user_id: new.user_id.clone(),
        secret_ciphertext: new.secret_ciphertext.clone(),
        status: AccessKeyStatus::Active,
        created_at: new.created_at,
        last_used_at: None,
        last_used_service: None,
        last_used_region: None,
    })
}

impl Store {
    /// CreateAccessKey, `Active`. The owner's row is locked before its keys are counted, so
    /// concurrent calls (on any node) never exceed `AccessKeysPerUser`.
    pub async fn create_access_key(&self, new: &NewAccessKey) -> Result<AccessKeyRecord> {
        let mut w = self.begin_write().await?;
        require_account(w.conn(), &new.account_id).await?;
        // The owner's row is the lock: the user's for a user key, the account's for a root key.
        let count = match &new.user_id {
            Some(user_id) => {
                let owner =
                    sqlx::query("SELECT 1 FROM users WHERE user_id = $1 AND account_id = $2")
                        .bind(user_id)
                        .bind(&new.account_id)
                        .fetch_optional(w.conn())
                        .await?;
                if owner.is_none() {
                    return Err(not_found(EntityKind::User, user_id));
                }
                w.lock_row(Lock::User, user_id).await?;
                sqlx::query("SELECT COUNT(*) AS n FROM access_keys WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_one(w.conn())
                    .await?
            }
            None => {
                w.lock_row(Lock::Account, &new.account_id).await?;
                sqlx::query(
                    "SELECT COUNT(*) AS n FROM access_keys WHERE account_id = $1 \
                     AND user_id IS NULL",
                )
                .bind(&new.account_id)
                .fetch_one(w.conn())
                .await?
            }
        };
        let count: i64 = count.try_get("n")?;
        let (what, limit) = quota::ACCESS_KEYS;
        if count >= i64::from(limit) {
            return Err(StoreError::LimitExceeded { what, limit });
        }
        let record = insert_access_key(&mut w, new).await?;
        w.commit().await?;
        Ok(record)
    }

    /// An access key by id, in whatever account (request authentication).
    pub async fn get_access_key(&self, access_key_id: &str) -> Result<AccessKeyRecord> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE access_key_id = $1"
        )))
        .bind(access_key_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(access_key)
            .transpose()?
            .ok_or_else(|| not_found(EntityKind::AccessKey, access_key_id))
    }

    /// ListAccessKeys of a user (`Some(user id)`) or of the account root (`None`), oldest first.
    pub async fn list_access_keys(
        &self,
        account_id: &str,
        user_id: Option<&str>,
    ) -> Result<Vec<AccessKeyRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE account_id = $1 AND (user_id = $2 OR (user_id IS NULL AND $2 IS NULL)) \
             ORDER BY created_at, access_key_id"
        )))
        .bind(account_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(access_key).collect()
    }

    /// UpdateAccessKey: Active or Inactive.
    pub async fn update_access_key_status(
        &self,
        account_id: &str,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE access_keys SET status = $1 WHERE access_key_id = $2 AND account_id = $3",
        )
        .bind(status.as_str())
        .bind(access_key_id)
        .bind(account_id)
        .execute(w.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::AccessKey, access_key_id));
        }
        w.touched(account_id, EntityKind::AccessKey, access_key_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// Stamps a request signed with the key (GetAccessKeyLastUsed). Telemetry on the hot path,
    /// so it skips the revision counter, which would invalidate every node's cache per request.
    pub async fn record_access_key_use(
        &self,
        access_key_id: &str,
        at: Timestamp,
        service: &str,
        region: &str,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE access_keys SET last_used_at = $1, last_used_service = $2, \
             last_used_region = $3 WHERE access_key_id = $4",
        )
        .bind(at)
        .bind(service)
        .bind(region)
        .bind(access_key_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::AccessKey, access_key_id));
        }
        Ok(())
    }

    /// The keys used at or after `since` (epoch seconds): (key id, time, service, region).
    /// What other nodes stamped, which moved no revision.
    pub async fn access_key_uses_since(
        &self,
        since: Timestamp,
    ) -> Result<Vec<(String, Timestamp, String, String)>> {
        let rows = sqlx::query(
            "SELECT access_key_id, last_used_at, last_used_service, last_used_region \
             FROM access_keys WHERE last_used_at >= $1",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("access_key_id")?,
                    row.try_get("last_used_at")?,
                    row.try_get::<Option<String>, _>("last_used_service")?
                        .unwrap_or_default(),
                    row.try_get::<Option<String>, _>("last_used_region")?
                        .unwrap_or_default(),
                ))
            })
            .collect()
    }

    /// DeleteAccessKey.
    pub async fn delete_access_key(&self, account_id: &str, access_key_id: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let done =
            sqlx::query("DELETE FROM access_keys WHERE access_key_id = $1 AND account_id = $2")
                .bind(access_key_id)
                .bind(account_id)
                .execute(w.conn())
                .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::AccessKey, access_key_id));
        }
        w.touched(account_id, EntityKind::AccessKey, access_key_id)
            .await?;
        w.commit().await?;
        Ok(())
    }
}
