//! Virtual MFA devices: create (with tags), enable for a user or the root user (within the
//! owner's quota), deactivate, delete, list, and the last accepted TOTP step, advanced only
//! forwards so that no code is accepted twice, on any node.

use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Lock, Store, Write, conflict_as_exists, fetch_limit, not_found, paginate};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::{
    ListOptions, MfaDeviceInfo, MfaDeviceRecord, MfaOwner, Page, Tag, TagTarget, Timestamp,
};
use crate::ops::tags::insert_tags;
use crate::ops::users::require_account;
use crate::quota;

const SELECT: &str = "SELECT serial_number, account_id, user_id, owner_root, seed_ciphertext, \
     created_at, enabled_at, last_used_step, drift_steps FROM mfa_devices";

const KIND: EntityKind = EntityKind::MfaDevice;

/// A virtual MFA device to create; its seed arrives sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct NewMfaDevice {
    /// `arn:aws:iam::<account>:mfa/<path><name>`.
    pub serial_number: String,
    /// The owning account.
    pub account_id: String,
    /// The sealed TOTP seed.
    pub seed_ciphertext: Vec<u8>,
    /// When it was created.
    pub created_at: Timestamp,
    /// Its tags, written with it.
    pub tags: Vec<Tag>,
}

impl std::fmt::Debug for NewMfaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMfaDevice")
            .field("serial_number", &self.serial_number)
            .finish_non_exhaustive()
    }
}

/// Which devices ListVirtualMFADevices wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignment {
    /// Enabled for a user or the root user.
    Assigned,
    /// Not enabled for anyone.
    Unassigned,
    /// Both.
    Any,
}

/// An account's MFA figures for GetAccountSummary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MfaCounts {
    /// Devices, assigned or not.
    pub devices: i64,
    /// Devices enabled for someone.
    pub in_use: i64,
    /// Whether the root user has one.
    pub root_enabled: bool,
}

/// The owner as the table's two columns tell it.
fn owner(row: &AnyRow) -> Result<Option<MfaOwner>> {
    let user_id: Option<String> = row.try_get("user_id")?;
    let root: i64 = row.try_get("owner_root")?;
    Ok(match (user_id, root != 0) {
        (Some(user_id), _) => Some(MfaOwner::User(user_id)),
        (None, true) => Some(MfaOwner::Root),
        (None, false) => None,
    })
}

/// The columns [`device_info`] reads: no seed, no code-check state.
pub(crate) const SELECT_INFO: &str = "SELECT serial_number, account_id, user_id, owner_root, \
     created_at, enabled_at FROM mfa_devices";

/// What reads may see of a device (the in-memory state's load).
pub(crate) fn device_info(row: &AnyRow) -> Result<MfaDeviceInfo> {
    Ok(MfaDeviceInfo {
        serial_number: row.try_get("serial_number")?,
        account_id: row.try_get("account_id")?,
        owner: owner(row)?,
        created_at: row.try_get("created_at")?,
        enabled_at: row.try_get("enabled_at")?,
    })
}

fn device(row: &AnyRow) -> Result<MfaDeviceRecord> {
    Ok(MfaDeviceRecord {
        serial_number: row.try_get("serial_number")?,
        account_id: row.try_get("account_id")?,
        owner: owner(row)?,
        seed_ciphertext: row.try_get("seed_ciphertext")?,
        created_at: row.try_get("created_at")?,
        enabled_at: row.try_get("enabled_at")?,
        last_used_step: row.try_get("last_used_step")?,
        drift_steps: row.try_get("drift_steps")?,
    })
}

async fn find_device(
    conn: &mut AnyConnection,
    account_id: &str,
    serial_number: &str,
) -> Result<MfaDeviceRecord> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE account_id = $1 AND serial_number = $2"
    )))
    .bind(account_id)
    .bind(serial_number)
    .fetch_optional(conn)
    .await?;
    row.as_ref()
        .map(device)
        .transpose()?
        .ok_or_else(|| not_found(KIND, serial_number))
}

/// The owner as the table's two columns.
fn owner_columns(owner: &MfaOwner) -> (Option<&str>, i64) {
    match owner {
        MfaOwner::Root => (None, 1),
        MfaOwner::User(id) => (Some(id.as_str()), 0),
    }
}

const OWNED_BY: &str = "(($1 IS NOT NULL AND user_id = $1) OR ($1 IS NULL AND owner_root = 1 \
     AND account_id = $2))";

/// Ends a write on one device: the change logged, then committed.
async fn done(mut w: Write, account_id: &str, serial_number: &str) -> Result<()> {
    w.touched(account_id, KIND, serial_number).await?;
    w.commit().await?;
    Ok(())
}

impl Store {
    /// CreateVirtualMFADevice: the device and its tags in one write. `EntityAlreadyExists`
    /// when its serial number is taken in any case.
    pub async fn create_mfa_device(&self, new: &NewMfaDevice) -> Result<MfaDeviceRecord> {
        let mut w = self.begin_write().await?;
        require_account(w.conn(), &new.account_id).await?;
        sqlx::query(
            "INSERT INTO mfa_devices (serial_number, account_id, user_id, owner_root, \
             seed_ciphertext, created_at) VALUES ($1, $2, NULL, 0, $3, $4)",
        )
        .bind(&new.serial_number)
        .bind(&new.account_id)
        .bind(new.seed_ciphertext.as_slice())
        .bind(new.created_at)
        .execute(w.conn())
        .await
        .map_err(|e| conflict_as_exists(e, KIND, &new.serial_number))?;
        let target = TagTarget::MfaDevice(new.serial_number.clone());
        insert_tags(&mut w, &new.account_id, &target, &new.tags).await?;
        w.touched(&new.account_id, KIND, &new.serial_number).await?;
        w.commit().await?;
        Ok(MfaDeviceRecord {
            serial_number: new.serial_number.clone(),
            account_id: new.account_id.clone(),
            owner: None,
            seed_ciphertext: new.seed_ciphertext.clone(),
            created_at: new.created_at,
            enabled_at: None,
            last_used_step: None,
            drift_steps: 0,
        })
    }

    /// A device of the account by its exact serial number.
    pub async fn get_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
    ) -> Result<MfaDeviceRecord> {
        let mut conn = self.pool.acquire().await?;
        find_device(&mut conn, account_id, serial_number).await
    }

    /// A page of the account's virtual MFA devices in serial-number order.
    pub async fn list_virtual_mfa_devices(
        &self,
        account_id: &str,
        assignment: Assignment,
        options: &ListOptions,
    ) -> Result<Page<MfaDeviceRecord>> {
        let filter = match assignment {
            Assignment::Assigned => " AND (user_id IS NOT NULL OR owner_root = 1)",
            Assignment::Unassigned => " AND user_id IS NULL AND owner_root = 0",
            Assignment::Any => "",
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE account_id = $1{filter} AND ($2 IS NULL OR lower(serial_number) > $2) \
             ORDER BY lower(serial_number) LIMIT $3"
        )))
        .bind(account_id)
        .bind(options.marker.as_deref())
        .bind(fetch_limit(options))
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(device).collect::<Result<Vec<_>>>()?;
        Ok(paginate(items, options, |d| d.serial_number.to_lowercase()))
    }

    /// The devices enabled for a user (or for the account's root user), oldest first.
    pub async fn list_mfa_devices_of(
        &self,
        account_id: &str,
        owner: &MfaOwner,
    ) -> Result<Vec<MfaDeviceRecord>> {
        let (user_id, _) = owner_columns(owner);
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE {OWNED_BY} ORDER BY enabled_at, serial_number"
        )))
        .bind(user_id)
        .bind(account_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(device).collect()
    }

    /// EnableMFADevice: the device is given to `owner` with the last accepted step (and no
    /// drift).
    /// `NoSuchEntity` for no such device; `EntityAlreadyExists` when it is enabled already;
    /// `LimitExceeded` past the owner's quota (eight for a user, one for the root user).
    pub async fn enable_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
        owner: &MfaOwner,
        (enabled_at, last_used_step): (Timestamp, i64),
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let (user_id, root) = owner_columns(owner);
        match user_id {
            Some(id) => w.lock_row(Lock::User, id).await?,
            None => w.lock_row(Lock::Account, account_id).await?,
        }
        let found = find_device(w.conn(), account_id, serial_number).await?;
        if found.owner.is_some() {
            return Err(StoreError::EntityAlreadyExists {
                kind: KIND,
                name: serial_number.to_owned(),
            });
        }
        let count: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM mfa_devices WHERE {OWNED_BY}"
        )))
        .bind(user_id)
        .bind(account_id)
        .fetch_one(w.conn())
        .await?
        .try_get("n")?;
        let (what, limit) = match owner {
            MfaOwner::User(_) => quota::MFA_DEVICES_PER_USER,
            MfaOwner::Root => quota::MFA_DEVICES_PER_ROOT,
        };
        if count >= i64::from(limit) {
            return Err(StoreError::LimitExceeded { what, limit });
        }
        sqlx::query(
            "UPDATE mfa_devices SET user_id = $1, owner_root = $2, enabled_at = $3, \
             last_used_step = $4, drift_steps = 0 WHERE serial_number = $5",
        )
        .bind(user_id)
        .bind(root)
        .bind(enabled_at)
        .bind(last_used_step)
        .bind(serial_number)
        .execute(w.conn())
        .await?;
        done(w, account_id, serial_number).await
    }

    /// DeactivateMFADevice: the device, enabled for `owner`, goes back to unassigned (its
    /// last accepted step stays, so an old code stays spent). `NoSuchEntity` when it is not
    /// enabled for `owner`.
    pub async fn deactivate_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
        owner: &MfaOwner,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let found = find_device(w.conn(), account_id, serial_number).await?;
        if found.owner.as_ref() != Some(owner) {
            return Err(not_found(KIND, serial_number));
        }
        sqlx::query(
            "UPDATE mfa_devices SET user_id = NULL, owner_root = 0, enabled_at = NULL \
             WHERE serial_number = $1",
        )
        .bind(serial_number)
        .execute(w.conn())
        .await?;
        done(w, account_id, serial_number).await
    }

    /// DeleteVirtualMFADevice: `DeleteConflict` while it is enabled for someone.
    pub async fn delete_mfa_device(&self, account_id: &str, serial_number: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let found = find_device(w.conn(), account_id, serial_number).await?;
        if found.owner.is_some() {
            return Err(StoreError::DeleteConflict {
                kind: KIND,
                name: serial_number.to_owned(),
                reason: "MFA device is still in use. Deactivate it before deleting it.",
            });
        }
        for sql in [
            "DELETE FROM tags WHERE resource_kind = 'mfa' AND resource_id = $1",
            "DELETE FROM mfa_devices WHERE serial_number = $1",
        ] {
            sqlx::query(sql)
                .bind(serial_number)
                .execute(w.conn())
                .await?;
        }
        done(w, account_id, serial_number).await
    }

    /// Spends TOTP step `step` of a device: true when it is later than every step accepted
    /// before (and is now the last one), false when it is not (a replayed or older code).
    /// One conditional update, so two nodes never accept the same code. Not a change of
    /// authorization data, so the revision does not move (as for a password's last use).
    pub async fn spend_mfa_step(&self, serial_number: &str, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE mfa_devices SET last_used_step = $1 WHERE serial_number = $2 \
             AND (last_used_step IS NULL OR last_used_step < $1)",
        )
        .bind(step)
        .bind(serial_number)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// ResyncMFADevice: the device's last accepted step and drift set anew, as a write of
    /// IAM data.
    pub async fn resync_mfa_device(
        &self,
        account_id: &str,
        serial_number: &str,
        (last_used_step, drift_steps): (i64, i64),
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        find_device(w.conn(), account_id, serial_number).await?;
        sqlx::query(
            "UPDATE mfa_devices SET last_used_step = $1, drift_steps = $2 \
             WHERE serial_number = $3",
        )
        .bind(last_used_step)
        .bind(drift_steps)
        .bind(serial_number)
        .execute(w.conn())
        .await?;
        done(w, account_id, serial_number).await
    }

    /// GetAccountSummary's MFA figures.
    pub async fn mfa_counts(&self, account_id: &str) -> Result<MfaCounts> {
        let row = sqlx::query(
            // COUNT, not SUM: PostgreSQL sums BIGINT columns to NUMERIC.
            "SELECT COUNT(*) AS devices, \
             COUNT(CASE WHEN user_id IS NOT NULL OR owner_root = 1 THEN 1 END) AS in_use, \
             COUNT(CASE WHEN owner_root = 1 THEN 1 END) AS root FROM mfa_devices \
             WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(MfaCounts {
            devices: row.try_get("devices")?,
            in_use: row.try_get("in_use")?,
            root_enabled: row.try_get::<i64, _>("root")? > 0,
        })
    }
}
