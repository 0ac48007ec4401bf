//! Account-wide settings: the account properties of Get/PutAccountProperties and the STS
//! global endpoint token version of SetSecurityTokenServicePreferences.

use sqlx::Row;

use crate::db::{Lock, Store, not_found};
use crate::error::{EntityKind, Result};
use crate::ops::users::require_account;

impl Store {
    /// The account's properties, by key.
    pub async fn list_account_properties(&self, account_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT property_key, property_value FROM account_properties \
             WHERE account_id = $1 ORDER BY property_key",
        )
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("property_key")?, row.try_get("property_value")?)))
            .collect()
    }

    /// Sets each of `properties` (a new value replaces the old), all or none.
    pub async fn put_account_properties(
        &self,
        account_id: &str,
        properties: &[(String, String)],
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        require_account(w.conn(), account_id).await?;
        w.lock_row(Lock::Account, account_id).await?;
        for (key, value) in properties {
            sqlx::query(
                "INSERT INTO account_properties (account_id, property_key, property_value) \
                 VALUES ($1, $2, $3) ON CONFLICT (account_id, property_key) \
                 DO UPDATE SET property_value = excluded.property_value",
            )
            .bind(account_id)
            .bind(key)
            .bind(value)
            .execute(w.conn())
            .await?;
        }
        w.touched(account_id, EntityKind::Account, account_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// Sets the version (1 or 2) of the session tokens STS's global endpoint issues.
    pub async fn set_global_endpoint_token_version(
        &self,
        account_id: &str,
        version: i32,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE accounts SET global_endpoint_token_version = $1 WHERE account_id = $2",
        )
        .bind(version)
        .bind(account_id)
        .execute(w.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::Account, account_id));
        }
        w.touched(account_id, EntityKind::Account, account_id)
            .await?;
        w.commit().await?;
        Ok(())
    }
}
