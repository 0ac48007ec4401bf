//! Outbound web identity federation: per account, whether it vends JWTs, the random id of its
//! issuer URL, and its signing keys (private keys arrive sealed; the store never sees them
//! in the clear).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Lock, Store};
use crate::error::{EntityKind, Result};
use crate::ops::users::require_account;

/// An account's outbound federation: its issuer and whether it vends tokens now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundFederationRecord {
    /// The account.
    pub account_id: String,
    /// The random id that names the account's issuer in URLs.
    pub issuer_id: String,
    /// Whether GetWebIdentityToken vends tokens (false once disabled).
    pub enabled: bool,
    /// When it was first enabled (Unix seconds).
    pub created_at: i64,
}

/// A key that signs an account's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    /// The JWS `kid`.
    pub key_id: String,
    /// The owning account.
    pub account_id: String,
    /// The JWS algorithm (`ES384`).
    pub algorithm: String,
    /// The sealed private key.
    pub private_key_ciphertext: Vec<u8>,
    /// The public key as a JWK (JSON text).
    pub public_jwk: String,
    /// When it was made (Unix seconds).
    pub created_at: i64,
}

/// What [`Store::enable_outbound_federation`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enabling {
    /// Enabled by this call (first time, or again after a disable: then the earlier issuer
    /// and keys are kept and the offered ones dropped).
    Enabled(OutboundFederationRecord),
    /// It was enabled already; nothing changed.
    AlreadyEnabled(OutboundFederationRecord),
}

const SELECT: &str = "SELECT account_id, issuer_id, enabled, created_at FROM outbound_federation";
const SELECT_KEYS: &str = "SELECT key_id, account_id, algorithm, private_key_ciphertext, \
     public_jwk, created_at FROM outbound_signing_keys";

fn federation(row: &AnyRow) -> Result<OutboundFederationRecord> {
    let enabled: i32 = row.try_get("enabled")?;
    Ok(OutboundFederationRecord {
        account_id: row.try_get("account_id")?,
        issuer_id: row.try_get("issuer_id")?,
        enabled: enabled != 0,
        created_at: row.try_get("created_at")?,
    })
}

fn signing_key(row: &AnyRow) -> Result<SigningKeyRecord> {
    Ok(SigningKeyRecord {
        key_id: row.try_get("key_id")?,
        account_id: row.try_get("account_id")?,
        algorithm: row.try_get("algorithm")?,
        private_key_ciphertext: row.try_get("private_key_ciphertext")?,
        public_jwk: row.try_get("public_jwk")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// The account's outbound federation, if it was ever enabled.
    pub async fn get_outbound_federation(
        &self,
        account_id: &str,
    ) -> Result<Option<OutboundFederationRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE account_id = $1"
        )))
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(federation).transpose()
    }

    /// The outbound federation whose issuer URL carries `issuer_id` (the public discovery
    /// documents are found by it).
    pub async fn outbound_federation_by_issuer(
        &self,
        issuer_id: &str,
    ) -> Result<Option<OutboundFederationRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE issuer_id = $1"
        )))
        .bind(issuer_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(federation).transpose()
    }

    /// The account's signing keys, oldest first.
    pub async fn list_outbound_signing_keys(
        &self,
        account_id: &str,
    ) -> Result<Vec<SigningKeyRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT_KEYS} WHERE account_id = $1 ORDER BY created_at, key_id"
        )))
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(signing_key).collect()
    }

    /// Enables outbound federation: the first time with `issuer_id` and `keys`; after a
    /// disable, the earlier issuer and keys come back. All in one transaction, so two
    /// concurrent calls make one issuer.
    pub async fn enable_outbound_federation(
        &self,
        account_id: &str,
        issuer_id: &str,
        keys: &[SigningKeyRecord],
        now: i64,
    ) -> Result<Enabling> {
        let mut w = self.begin_write().await?;
        require_account(w.conn(), account_id).await?;
        w.lock_row(Lock::Account, account_id).await?;
        let found = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE account_id = $1"
        )))
        .bind(account_id)
        .fetch_optional(w.conn())
        .await?;
        let record = match found.as_ref().map(federation).transpose()? {
            Some(record) if record.enabled => return Ok(Enabling::AlreadyEnabled(record)),
            Some(record) => {
                sqlx::query("UPDATE outbound_federation SET enabled = 1 WHERE account_id = $1")
                    .bind(account_id)
                    .execute(w.conn())
                    .await?;
                OutboundFederationRecord {
                    enabled: true,
                    ..record
                }
            }
            None => {
                sqlx::query(
                    "INSERT INTO outbound_federation (account_id, issuer_id, enabled, created_at) \
                     VALUES ($1, $2, 1, $3)",
                )
                .bind(account_id)
                .bind(issuer_id)
                .bind(now)
                .execute(w.conn())
                .await?;
                for key in keys {
                    sqlx::query(
                        "INSERT INTO outbound_signing_keys (key_id, account_id, algorithm, \
                         private_key_ciphertext, public_jwk, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&key.key_id)
                    .bind(account_id)
                    .bind(&key.algorithm)
                    .bind(key.private_key_ciphertext.as_slice())
                    .bind(&key.public_jwk)
                    .bind(key.created_at)
                    .execute(w.conn())
                    .await?;
                }
                OutboundFederationRecord {
                    account_id: account_id.to_owned(),
                    issuer_id: issuer_id.to_owned(),
                    enabled: true,
                    created_at: now,
                }
            }
        };
        w.touched(account_id, EntityKind::Account, account_id)
            .await?;
        w.commit().await?;
        Ok(Enabling::Enabled(record))
    }

    /// Stops the account vending tokens; false when it was not enabled (nothing changes).
    pub async fn disable_outbound_federation(&self, account_id: &str) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE outbound_federation SET enabled = 0 WHERE account_id = $1 AND enabled = 1",
        )
        .bind(account_id)
        .execute(w.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        w.touched(account_id, EntityKind::Account, account_id)
            .await?;
        w.commit().await?;
        Ok(true)
    }
}
