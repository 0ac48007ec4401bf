//! Console passwords: login profiles, password history, and the account password policy.

use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Store, flag, not_found};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::{LoginProfileInfo, LoginProfileRecord, PasswordPolicy, Timestamp};
use crate::ops::users::{find_user, require_account};
use crate::quota;

fn login_profile(row: &AnyRow) -> Result<LoginProfileRecord> {
    Ok(LoginProfileRecord {
        user_id: row.try_get("user_id")?,
        password_hash: row.try_get("password_hash")?,
        password_reset_required: flag(row, "password_reset_required")?,
        created_at: row.try_get("created_at")?,
        password_set_at: row.try_get("password_set_at")?,
    })
}

/// The columns [`login_profile_info`] reads: no hash.
pub(crate) const SELECT_INFO: &str = "SELECT l.user_id, l.password_reset_required, \
     l.created_at, l.password_set_at FROM login_profiles l JOIN users u ON u.user_id = l.user_id";

/// What reads may see of a login profile (the in-memory state's load).
pub(crate) fn login_profile_info(row: &AnyRow) -> Result<LoginProfileInfo> {
    Ok(LoginProfileInfo {
        user_id: row.try_get("user_id")?,
        password_reset_required: flag(row, "password_reset_required")?,
        created_at: row.try_get("created_at")?,
        password_set_at: row.try_get("password_set_at")?,
    })
}

/// The password policy columns (see [`PASSWORD_POLICY_COLUMNS`]) of one row.
pub(crate) fn password_policy(row: &AnyRow) -> Result<PasswordPolicy> {
    Ok(PasswordPolicy {
        minimum_password_length: row.try_get("minimum_password_length")?,
        require_symbols: flag(row, "require_symbols")?,
        require_numbers: flag(row, "require_numbers")?,
        require_uppercase_characters: flag(row, "require_uppercase_characters")?,
        require_lowercase_characters: flag(row, "require_lowercase_characters")?,
        allow_users_to_change_password: flag(row, "allow_users_to_change_password")?,
        max_password_age: row.try_get("max_password_age")?,
        password_reuse_prevention: row.try_get("password_reuse_prevention")?,
        hard_expiry: flag(row, "hard_expiry")?,
    })
}

/// The columns [`password_policy`] reads.
pub(crate) const PASSWORD_POLICY_COLUMNS: &str = "minimum_password_length, require_symbols, \
     require_numbers, require_uppercase_characters, require_lowercase_characters, \
     allow_users_to_change_password, max_password_age, password_reuse_prevention, hard_expiry";

/// Appends to the user's password history and keeps only the newest entries.
async fn remember_password(
    conn: &mut AnyConnection,
    user_id: &str,
    hash: &str,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO password_history (user_id, seq, password_hash, set_at) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM password_history WHERE user_id = $1), \
         $2, $3)",
    )
    .bind(user_id)
    .bind(hash)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    let keep = i64::try_from(quota::PASSWORD_HISTORY).unwrap_or(i64::MAX);
    sqlx::query(
        "DELETE FROM password_history WHERE user_id = $1 AND seq <= \
         (SELECT MAX(seq) FROM password_history WHERE user_id = $1) - $2",
    )
    .bind(user_id)
    .bind(keep)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// CreateLoginProfile; `EntityAlreadyExists` when the user has one.
    pub async fn create_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
        password_hash: &str,
        password_reset_required: bool,
        now: Timestamp,
    ) -> Result<LoginProfileRecord> {
        let mut w = self.begin_write().await?;
        let user = find_user(w.conn(), account_id, user_name).await?;
        let exists = sqlx::query("SELECT 1 FROM login_profiles WHERE user_id = $1")
            .bind(&user.user_id)
            .fetch_optional(w.conn())
            .await?;
        if exists.is_some() {
            return Err(StoreError::EntityAlreadyExists {
                kind: EntityKind::LoginProfile,
                name: user.name,
            });
        }
        sqlx::query(
            "INSERT INTO login_profiles (user_id, password_hash, password_reset_required, \
             created_at, password_set_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(&user.user_id)
        .bind(password_hash)
        .bind(i64::from(password_reset_required))
        .bind(now)
        .execute(w.conn())
        .await?;
        remember_password(w.conn(), &user.user_id, password_hash, now).await?;
        w.touched(account_id, EntityKind::LoginProfile, &user.user_id)
            .await?;
        w.commit().await?;
        Ok(LoginProfileRecord {
            user_id: user.user_id,
            password_hash: password_hash.to_owned(),
            password_reset_required,
            created_at: now,
            password_set_at: now,
        })
    }

    /// GetLoginProfile (with the hash, for sign-in).
    pub async fn get_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
    ) -> Result<LoginProfileRecord> {
        let mut conn = self.pool.acquire().await?;
        let user = find_user(&mut conn, account_id, user_name).await?;
        let row = sqlx::query(
            "SELECT user_id, password_hash, password_reset_required, created_at, password_set_at \
             FROM login_profiles WHERE user_id = $1",
        )
        .bind(&user.user_id)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref()
            .map(login_profile)
            .transpose()?
            .ok_or_else(|| not_found(EntityKind::LoginProfile, &user.name))
    }

    /// UpdateLoginProfile and ChangePassword: a new hash (remembered in the history) and/or a
    /// new reset flag.
    pub async fn update_login_profile(
        &self,
        account_id: &str,
        user_name: &str,
        password_hash: Option<&str>,
        password_reset_required: Option<bool>,
        now: Timestamp,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let user = find_user(w.conn(), account_id, user_name).await?;
        let exists = sqlx::query("SELECT 1 FROM login_profiles WHERE user_id = $1")
            .bind(&user.user_id)
            .fetch_optional(w.conn())
            .await?;
        if exists.is_none() {
            return Err(not_found(EntityKind::LoginProfile, &user.name));
        }
        if let Some(hash) = password_hash {
            sqlx::query(
                "UPDATE login_profiles SET password_hash = $1, password_set_at = $2 \
                 WHERE user_id = $3",
            )
            .bind(hash)
            .bind(now)
            .bind(&user.user_id)
            .execute(w.conn())
            .await?;
            remember_password(w.conn(), &user.user_id, hash, now).await?;
        }
        if let Some(required) = password_reset_required {
            sqlx::query(
                "UPDATE login_profiles SET password_reset_required = $1 WHERE user_id = $2",
            )
            .bind(i64::from(required))
            .bind(&user.user_id)
            .execute(w.conn())
            .await?;
        }
        w.touched(account_id, EntityKind::LoginProfile, &user.user_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// DeleteLoginProfile. The password history stays (PasswordReusePrevention outlives it).
    pub async fn delete_login_profile(&self, account_id: &str, user_name: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let user = find_user(w.conn(), account_id, user_name).await?;
        let done = sqlx::query("DELETE FROM login_profiles WHERE user_id = $1")
            .bind(&user.user_id)
            .execute(w.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::LoginProfile, &user.name));
        }
        w.touched(account_id, EntityKind::LoginProfile, &user.user_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// The user's most recent password hashes, newest first, at most `count` (and at most
    /// [`quota::PASSWORD_HISTORY`]): the service compares a new password against them.
    pub async fn recent_password_hashes(&self, user_id: &str, count: usize) -> Result<Vec<String>> {
        let limit = i64::try_from(count.min(quota::PASSWORD_HISTORY)).unwrap_or(0);
        let rows = sqlx::query(
            "SELECT password_hash FROM password_history WHERE user_id = $1 \
             ORDER BY seq DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get("password_hash")?))
            .collect()
    }

    /// GetAccountPasswordPolicy: `None` when the account has none (AWS answers NoSuchEntity).
    pub async fn get_password_policy(&self, account_id: &str) -> Result<Option<PasswordPolicy>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PASSWORD_POLICY_COLUMNS} FROM password_policies WHERE account_id = $1"
        )))
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(password_policy).transpose()
    }

    /// UpdateAccountPasswordPolicy: replaces the whole policy, as AWS does.
    pub async fn put_password_policy(
        &self,
        account_id: &str,
        policy: &PasswordPolicy,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        require_account(w.conn(), account_id).await?;
        sqlx::query(
            "INSERT INTO password_policies (account_id, minimum_password_length, require_symbols, \
             require_numbers, require_uppercase_characters, require_lowercase_characters, \
             allow_users_to_change_password, max_password_age, password_reuse_prevention, \
             hard_expiry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (account_id) DO UPDATE SET \
             minimum_password_length = excluded.minimum_password_length, \
             require_symbols = excluded.require_symbols, \
             require_numbers = excluded.require_numbers, \
             require_uppercase_characters = excluded.require_uppercase_characters, \
             require_lowercase_characters = excluded.require_lowercase_characters, \
             allow_users_to_change_password = excluded.allow_users_to_change_password, \
             max_password_age = excluded.max_password_age, \
             password_reuse_prevention = excluded.password_reuse_prevention, \
             hard_expiry = excluded.hard_expiry",
        )
        .bind(account_id)
        .bind(policy.minimum_password_length)
        .bind(i64::from(policy.require_symbols))
        .bind(i64::from(policy.require_numbers))
        .bind(i64::from(policy.require_uppercase_characters))
        .bind(i64::from(policy.require_lowercase_characters))
        .bind(i64::from(policy.allow_users_to_change_password))
        .bind(policy.max_password_age)
        .bind(policy.password_reuse_prevention)
        .bind(i64::from(policy.hard_expiry))
        .execute(w.conn())
        .await?;
        w.touched(account_id, EntityKind::PasswordPolicy, account_id)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// DeleteAccountPasswordPolicy; `NoSuchEntity` when there is none.
    pub async fn delete_password_policy(&self, account_id: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM password_policies WHERE account_id = $1")
            .bind(account_id)
            .execute(w.conn())
            .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(EntityKind::PasswordPolicy, account_id));
        }
        w.touched(account_id, EntityKind::PasswordPolicy, account_id)
            .await?;
        w.commit().await?;
        Ok(())
    }
}
