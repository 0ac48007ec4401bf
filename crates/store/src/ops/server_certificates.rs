//! Server certificates: upload (with tags, within the account's quota), get, list, rename or
//! move, delete. The sealed private key is written once and never selected.

use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Lock, Store, conflict_as_exists, find_named, list_named, lower, rename};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::{ListOptions, NewServerCertificate, Page, ServerCertificateRecord, TagTarget};
use crate::ops::tags::insert_tags;
use crate::ops::users::require_account;
use crate::quota;

/// The table, its key, and the kind its errors and changes name.
const TABLE: (&str, &str, EntityKind) = (
    "server_certificates",
    "server_certificate_id",
    EntityKind::ServerCertificate,
);

/// Every column but the private key.
pub(crate) const SELECT: &str = "SELECT account_id, server_certificate_id, name, path, certificate_body, \
     certificate_chain, uploaded_at, expires_at FROM server_certificates";

pub(crate) fn certificate(row: &AnyRow) -> Result<ServerCertificateRecord> {
    Ok(ServerCertificateRecord {
        account_id: row.try_get("account_id")?,
        server_certificate_id: row.try_get("server_certificate_id")?,
        name: row.try_get("name")?,
        path: row.try_get("path")?,
        certificate_body: row.try_get("certificate_body")?,
        certificate_chain: row.try_get("certificate_chain")?,
        uploaded_at: row.try_get("uploaded_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

async fn find_certificate(
    conn: &mut AnyConnection,
    account_id: &str,
    name: &str,
) -> Result<ServerCertificateRecord> {
    let kind = EntityKind::ServerCertificate;
    find_named(conn, (SELECT, kind), account_id, name, certificate).await
}

/// `LimitExceeded` when the account holds more than its quota (counted after the insert, under
/// the account's lock, so concurrent uploads on any node cannot pass it together).
async fn within_quota(conn: &mut AnyConnection, account_id: &str) -> Result<()> {
    let count: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM server_certificates WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(conn)
            .await?
            .try_get("n")?;
    let (what, limit) = quota::SERVER_CERTIFICATES;
    if count > i64::from(limit) {
        return Err(StoreError::LimitExceeded { what, limit });
    }
    Ok(())
}

impl Store {
    /// UploadServerCertificate: the certificate and its tags in one write.
    /// `EntityAlreadyExists` when the name is taken, whatever its case; `LimitExceeded` past
    /// the account's quota or fifty tags.
    pub async fn create_server_certificate(
        &self,
        new: &NewServerCertificate,
    ) -> Result<ServerCertificateRecord> {
        let mut w = self.begin_write().await?;
        require_account(w.conn(), &new.account_id).await?;
        w.lock_row(Lock::Account, &new.account_id).await?;
        sqlx::query(
            "INSERT INTO server_certificates (server_certificate_id, account_id, name, \
             name_lower, path, certificate_body, certificate_chain, private_key_ciphertext, \
             uploaded_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&new.server_certificate_id)
        .bind(&new.account_id)
        .bind(&new.name)
        .bind(lower(&new.name))
        .bind(&new.path)
        .bind(&new.certificate_body)
        .bind(new.certificate_chain.as_deref())
        .bind(new.private_key_ciphertext.as_slice())
        .bind(new.uploaded_at)
        .bind(new.expires_at)
        .execute(w.conn())
        .await
        .map_err(|e| conflict_as_exists(e, EntityKind::ServerCertificate, &new.name))?;
        within_quota(w.conn(), &new.account_id).await?;
        let target = TagTarget::ServerCertificate(new.server_certificate_id.clone());
        insert_tags(&mut w, &new.account_id, &target, &new.tags).await?;
        w.touched(
            &new.account_id,
            EntityKind::ServerCertificate,
            &new.server_certificate_id,
        )
        .await?;
        w.commit().await?;
        Ok(ServerCertificateRecord {
            account_id: new.account_id.clone(),
            server_certificate_id: new.server_certificate_id.clone(),
            name: new.name.clone(),
            path: new.path.clone(),
            certificate_body: new.certificate_body.clone(),
            certificate_chain: new.certificate_chain.clone(),
            uploaded_at: new.uploaded_at,
            expires_at: new.expires_at,
        })
    }

    /// A server certificate by name, case-insensitively.
    pub async fn get_server_certificate(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<ServerCertificateRecord> {
        let mut conn = self.pool.acquire().await?;
        find_certificate(&mut conn, account_id, name).await
    }

    /// Server certificates of an account in name order, filtered by path prefix.
    pub async fn list_server_certificates(
        &self,
        account_id: &str,
        options: &ListOptions,
    ) -> Result<Page<ServerCertificateRecord>> {
        list_named(&self.pool, SELECT, account_id, options, certificate, |c| {
            &c.name
        })
        .await
    }

    /// UpdateServerCertificate: a new name and/or path; the id and the tags stay.
    /// `EntityAlreadyExists` when the new name is taken.
    pub async fn update_server_certificate(
        &self,
        account_id: &str,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<ServerCertificateRecord> {
        let mut w = self.begin_write().await?;
        let mut found = find_certificate(w.conn(), account_id, name).await?;
        found.name = new_name.unwrap_or(&found.name).to_owned();
        found.path = new_path.unwrap_or(&found.path).to_owned();
        let id = found.server_certificate_id.as_str();
        rename(&mut w, TABLE, id, (&found.name, &found.path)).await?;
        w.touched(account_id, EntityKind::ServerCertificate, id)
            .await?;
        w.commit().await?;
        Ok(found)
    }

    /// DeleteServerCertificate, with its tags.
    pub async fn delete_server_certificate(&self, account_id: &str, name: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let found = find_certificate(w.conn(), account_id, name).await?;
        let id = found.server_certificate_id.as_str();
        for sql in [
            "DELETE FROM tags WHERE resource_kind = 'server-certificate' AND resource_id = $1",
            "DELETE FROM server_certificates WHERE server_certificate_id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(w.conn()).await?;
        }
        w.touched(account_id, EntityKind::ServerCertificate, id)
            .await?;
        w.commit().await?;
        Ok(())
    }
}
