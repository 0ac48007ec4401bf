//! Console sign-in state: the root user's password, when passwords were last used, and the
//! console sessions (stored under the SHA-256 of their cookie value).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Store, not_found};
use crate::error::{EntityKind, Result};
use crate::model::{ConsoleSessionRecord, Timestamp};

fn session(row: &AnyRow) -> Result<ConsoleSessionRecord> {
    Ok(ConsoleSessionRecord {
        id_hash: row.try_get("id_hash")?,
        account_id: row.try_get("account_id")?,
        user_id: row.try_get("user_id")?,
        mfa: row.try_get::<i64, _>("mfa")? != 0,
        password_change: row.try_get::<i64, _>("password_change")? != 0,
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        expires_at: row.try_get("expires_at")?,
        role_session: row.try_get("role_session")?,
    })
}

impl Store {
    /// Sets the root user's console password (an Argon2 hash).
    pub async fn set_root_password(&self, account_id: &str, hash: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query("UPDATE accounts SET root_password_hash = $1 WHERE account_id = $2")
            .bind(hash)
            .bind(account_id)
            .execute(w.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::Account, account_id));
        }
        w.commit().await?;
        Ok(())
    }

    /// The root user's console password hash, if one was ever set.
    pub async fn get_root_password_hash(&self, account_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT root_password_hash FROM accounts WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| not_found(EntityKind::Account, account_id))?;
        Ok(row.try_get("root_password_hash")?)
    }

    /// Records a console sign-in with a password: the user's `PasswordLastUsed`, or the root
    /// user's when `user_id` is `None`.
    pub async fn record_password_used(
        &self,
        account_id: &str,
        user_id: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        match user_id {
            Some(user_id) => {
                sqlx::query(
                    "UPDATE users SET password_last_used = $1 WHERE user_id = $2 AND account_id = $3",
                )
                .bind(at)
                .bind(user_id)
                .bind(account_id)
                .execute(w.conn())
                .await?;
                w.touched(account_id, EntityKind::User, user_id).await?;
            }
            None => {
                sqlx::query(
                    "UPDATE accounts SET root_password_last_used = $1 WHERE account_id = $2",
                )
                .bind(at)
                .bind(account_id)
                .execute(w.conn())
                .await?;
                w.touched(account_id, EntityKind::Account, account_id)
                    .await?;
            }
        }
        w.commit().await?;
        Ok(())
    }

    /// Stores a new console session; sessions past their end are removed on the way.
    pub async fn create_console_session(&self, new: &ConsoleSessionRecord) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1")
            .bind(new.created_at)
            .execute(w.conn())
            .await?;
        sqlx::query(
            "INSERT INTO console_sessions (id_hash, account_id, user_id, mfa, password_change, \
             created_at, last_seen_at, expires_at, role_session) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&new.id_hash)
        .bind(&new.account_id)
        .bind(new.user_id.as_deref())
        .bind(i64::from(new.mfa))
        .bind(i64::from(new.password_change))
        .bind(new.created_at)
        .bind(new.last_seen_at)
        .bind(new.expires_at)
        .bind(new.role_session.as_deref())
        .execute(w.conn())
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// A console session by the hash of its cookie value.
    pub async fn get_console_session(&self, id_hash: &str) -> Result<Option<ConsoleSessionRecord>> {
        let row = sqlx::query(
            "SELECT id_hash, account_id, user_id, mfa, password_change, created_at, \
             last_seen_at, expires_at, role_session FROM console_sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session).transpose()
    }

    /// Moves a session's last-seen time (the idle timeout counts from it).
    pub async fn touch_console_session(&self, id_hash: &str, at: Timestamp) -> Result<()> {
        sqlx::query("UPDATE console_sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(at)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a console session (sign-out); ending one already gone is not an error.
    pub async fn delete_console_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
