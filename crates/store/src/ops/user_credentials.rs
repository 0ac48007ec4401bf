//! Users' SSH public keys, signing certificates and service-specific credentials: one table,
//! one set of operations, with each kind's quota and duplicate rule.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Lock, Store, Write, conflict_as_exists, not_found};
use crate::error::{BackendError, EntityKind, Result, StoreError};
use crate::model::{AccessKeyStatus, CredentialKind, UserCredentialRecord};
use crate::ops::users::require_account;
use crate::quota::{self, Quota};

const SELECT: &str = "SELECT credential_id, account_id, user_id, kind, status, body, fingerprint, \
     service_name, service_user_name, secret_ciphertext, created_at, expires_at \
     FROM user_credentials";

/// Every column but the sealed secret (the in-memory state's load).
pub(crate) const SELECT_PUBLIC: &str = "SELECT credential_id, account_id, user_id, kind, status, \
     body, fingerprint, service_name, service_user_name, created_at, expires_at \
     FROM user_credentials";

fn credential(row: &AnyRow) -> Result<UserCredentialRecord> {
    let mut found = credential_public(row)?;
    found.secret_ciphertext = row.try_get("secret_ciphertext")?;
    Ok(found)
}

/// A credential without its sealed secret (`secret_ciphertext` is `None`).
pub(crate) fn credential_public(row: &AnyRow) -> Result<UserCredentialRecord> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    Ok(UserCredentialRecord {
        credential_id: row.try_get("credential_id")?,
        account_id: row.try_get("account_id")?,
        user_id: row.try_get("user_id")?,
        kind: match kind.as_str() {
            "ssh-public-key" => CredentialKind::SshPublicKey,
            "signing-certificate" => CredentialKind::SigningCertificate,
            "service-specific-credential" => CredentialKind::ServiceSpecific,
            other => {
                return Err(
                    BackendError::message(format!("unknown credential kind `{other}`")).into(),
                );
            }
        },
        status: AccessKeyStatus::parse(&status)
            .ok_or_else(|| BackendError::message(format!("unknown status `{status}`")))?,
        body: row.try_get("body")?,
        fingerprint: row.try_get("fingerprint")?,
        service_name: row.try_get("service_name")?,
        service_user_name: row.try_get("service_user_name")?,
        secret_ciphertext: None,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

fn quota_of(kind: CredentialKind) -> Quota {
    match kind {
        CredentialKind::SshPublicKey => quota::SSH_PUBLIC_KEYS,
        CredentialKind::SigningCertificate => quota::SIGNING_CERTIFICATES,
        CredentialKind::ServiceSpecific => quota::SERVICE_CREDENTIALS,
    }
}

/// Locks the owner (the user, or the account for the root) so that concurrent uploads on any
/// node are counted one after the other.
async fn lock_owner(w: &mut Write, new: &UserCredentialRecord) -> Result<()> {
    match &new.user_id {
        Some(user_id) => {
            let owner = sqlx::query("SELECT 1 FROM users WHERE user_id = $1 AND account_id = $2")
                .bind(user_id)
                .bind(&new.account_id)
                .fetch_optional(w.conn())
                .await?;
            if owner.is_none() {
                return Err(not_found(EntityKind::User, user_id));
            }
            w.lock_row(Lock::User, user_id).await
        }
        None => w.lock_row(Lock::Account, &new.account_id).await,
    }
}

/// `EntityAlreadyExists` when the same key is already the user's, or the same certificate
/// already anyone's in the account (AWS's two duplicate rules).
async fn refuse_duplicate(w: &mut Write, new: &UserCredentialRecord) -> Result<()> {
    let Some(fingerprint) = &new.fingerprint else {
        return Ok(());
    };
    let same = match new.kind {
        CredentialKind::SigningCertificate => {
            sqlx::query(
                "SELECT 1 FROM user_credentials WHERE account_id = $1 AND kind = $2 \
                 AND fingerprint = $3",
            )
            .bind(&new.account_id)
            .bind(new.kind.as_str())
            .bind(fingerprint)
            .fetch_optional(w.conn())
            .await?
        }
        CredentialKind::SshPublicKey | CredentialKind::ServiceSpecific => {
            sqlx::query(
                "SELECT 1 FROM user_credentials WHERE account_id = $1 AND kind = $2 \
                 AND fingerprint = $3 AND user_id IS NOT DISTINCT FROM $4",
            )
            .bind(&new.account_id)
            .bind(new.kind.as_str())
            .bind(fingerprint)
            .bind(new.user_id.as_deref())
            .fetch_optional(w.conn())
            .await?
        }
    };
    match same {
        Some(_) => Err(StoreError::EntityAlreadyExists {
            kind: new.kind.entity_kind(),
            name: fingerprint.clone(),
        }),
        None => Ok(()),
    }
}

/// How many credentials of this kind the owner has (for one service, for service-specific
/// credentials).
async fn count_owned(w: &mut Write, new: &UserCredentialRecord) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM user_credentials WHERE account_id = $1 AND kind = $2 \
         AND user_id IS NOT DISTINCT FROM $3 AND service_name IS NOT DISTINCT FROM $4",
    )
    .bind(&new.account_id)
    .bind(new.kind.as_str())
    .bind(new.user_id.as_deref())
    .bind(new.service_name.as_deref())
    .fetch_one(w.conn())
    .await?;
    Ok(row.try_get("n")?)
}

impl Store {
    /// Uploads or creates a credential as given. Refuses (in this order) an unknown owner
    /// (`NoSuchEntity`), a duplicate (`EntityAlreadyExists`, see [`UserCredentialRecord`]'s
    /// fingerprint) and a full quota (`LimitExceeded`), atomically across nodes.
    pub async fn create_user_credential(
        &self,
        new: &UserCredentialRecord,
    ) -> Result<UserCredentialRecord> {
        let mut w = self.begin_write().await?;
        require_account(w.conn(), &new.account_id).await?;
        lock_owner(&mut w, new).await?;
        refuse_duplicate(&mut w, new).await?;
        let (what, limit) = quota_of(new.kind);
        if count_owned(&mut w, new).await? >= i64::from(limit) {
            return Err(StoreError::LimitExceeded { what, limit });
        }
        let kind = new.kind.entity_kind();
        sqlx::query(
            "INSERT INTO user_credentials (credential_id, account_id, user_id, kind, status, \
             body, fingerprint, service_name, service_user_name, secret_ciphertext, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&new.credential_id)
        .bind(&new.account_id)
        .bind(new.user_id.as_deref())
        .bind(new.kind.as_str())
        .bind(new.status.as_str())
        .bind(&new.body)
        .bind(new.fingerprint.as_deref())
        .bind(new.service_name.as_deref())
        .bind(new.service_user_name.as_deref())
        .bind(new.secret_ciphertext.as_deref())
        .bind(new.created_at)
        .bind(new.expires_at)
        .execute(w.conn())
        .await
        .map_err(|e| conflict_as_exists(e, kind, &new.credential_id))?;
        w.touched(&new.account_id, kind, &new.credential_id).await?;
        w.commit().await?;
        Ok(new.clone())
    }

    /// The credentials of one kind that a user (or, with `None`, the account root) owns,
    /// oldest first.
    pub async fn list_user_credentials(
        &self,
        account_id: &str,
        user_id: Option<&str>,
        kind: CredentialKind,
    ) -> Result<Vec<UserCredentialRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE account_id = $1 AND kind = $2 AND user_id IS NOT DISTINCT FROM $3 \
             ORDER BY created_at, credential_id"
        )))
        .bind(account_id)
        .bind(kind.as_str())
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(credential).collect()
    }

    /// The credentials of one kind in the whole account (ListServiceSpecificCredentials with
    /// `AllUsers`), oldest first.
    pub async fn list_account_credentials(
        &self,
        account_id: &str,
        kind: CredentialKind,
    ) -> Result<Vec<UserCredentialRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE account_id = $1 AND kind = $2 ORDER BY created_at, credential_id"
        )))
        .bind(account_id)
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(credential).collect()
    }

    /// One credential of the account by kind and id; `NoSuchEntity` otherwise.
    pub async fn get_user_credential(
        &self,
        account_id: &str,
        kind: CredentialKind,
        credential_id: &str,
    ) -> Result<UserCredentialRecord> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE account_id = $1 AND kind = $2 AND credential_id = $3"
        )))
        .bind(account_id)
        .bind(kind.as_str())
        .bind(credential_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(credential)
            .transpose()?
            .ok_or_else(|| not_found(kind.entity_kind(), credential_id))
    }

    /// Sets a credential's status.
    pub async fn update_user_credential_status(
        &self,
        account_id: &str,
        kind: CredentialKind,
        credential_id: &str,
        status: AccessKeyStatus,
    ) -> Result<()> {
        self.update_credential(
            "UPDATE user_credentials SET status = $4 \
             WHERE account_id = $1 AND kind = $2 AND credential_id = $3",
            (account_id, kind, credential_id),
            |q| q.bind(status.as_str()),
        )
        .await
    }

    /// Replaces a service-specific credential's sealed password (ResetServiceSpecificCredential).
    pub async fn reset_user_credential_secret(
        &self,
        account_id: &str,
        credential_id: &str,
        secret_ciphertext: &[u8],
    ) -> Result<()> {
        let kind = CredentialKind::ServiceSpecific;
        self.update_credential(
            "UPDATE user_credentials SET secret_ciphertext = $4 \
             WHERE account_id = $1 AND kind = $2 AND credential_id = $3",
            (account_id, kind, credential_id),
            |q| q.bind(secret_ciphertext),
        )
        .await
    }

    /// Deletes a credential.
    pub async fn delete_user_credential(
        &self,
        account_id: &str,
        kind: CredentialKind,
        credential_id: &str,
    ) -> Result<()> {
        self.update_credential(
            "DELETE FROM user_credentials \
             WHERE account_id = $1 AND kind = $2 AND credential_id = $3",
            (account_id, kind, credential_id),
            |q| q,
        )
        .await
    }

    /// Runs one statement on one credential (`$1`-`$3` its key, `bind` adds the rest);
    /// `NoSuchEntity` when it touched nothing.
    async fn update_credential<'q>(
        &self,
        sql: &'static str,
        (account_id, kind, credential_id): (&'q str, CredentialKind, &'q str),
        bind: impl FnOnce(
            sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
        ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let query = sqlx::query(sql)
            .bind(account_id)
            .bind(kind.as_str())
            .bind(credential_id);
        let done = bind(query).execute(w.conn()).await?;
        if done.rows_affected() == 0 {
            return Err(not_found(kind.entity_kind(), credential_id));
        }
        w.touched(account_id, kind.entity_kind(), credential_id)
            .await?;
        w.commit().await?;
        Ok(())
    }
}
