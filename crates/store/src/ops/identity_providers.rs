//! Identity providers: OpenID Connect providers (by the ARN's resource part, with their client
//! ids and thumbprints in order) and SAML providers (by name, case-insensitively, with their
//! metadata and sealed private keys), each created with its tags within the account's quota.

use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::db::{Lock, Store, Write, conflict_as_exists, find_named, lower, not_found};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::{Tag, TagTarget};
use crate::ops::tags::insert_tags;
use crate::ops::users::require_account;
use crate::quota::{self, Quota};

/// An OpenID Connect provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProviderRecord {
    /// The owning account.
    pub account_id: String,
    /// The ARN's resource part after `oidc-provider/`: the URL without `https://` and without
    /// a trailing slash, host lower-cased, port kept (`localhost:8443/realms/x`).
    pub resource: String,
    /// The URL as created (`https://localhost:8443/realms/x`).
    pub url: String,
    /// The client ids (audiences), in the order they were added.
    pub client_ids: Vec<String>,
    /// The thumbprints (40 hex digits), in the order given.
    pub thumbprints: Vec<String>,
    /// When it was created (Unix seconds).
    pub created_at: i64,
}

impl OidcProviderRecord {
    /// `arn:aws:iam::<account>:oidc-provider/<resource>`.
    #[must_use]
    pub fn arn(&self) -> String {
        oidc_arn(&self.account_id, &self.resource)
    }
}

/// Input of [`Store::create_oidc_provider`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOidcProvider {
    /// The provider (duplicate client ids and thumbprints are kept once).
    pub provider: OidcProviderRecord,
    /// Its tags.
    pub tags: Vec<Tag>,
}

/// A SAML provider, with its private keys as `K`: [`SamlProviderRecord`] (sealed keys, what
/// the store writes and decrypting reads) or [`SamlProviderInfo`] (their ids and dates only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlProvider<K> {
    /// The owning account.
    pub account_id: String,
    /// Its name, as created.
    pub name: String,
    /// AWS's `SAMLProviderUUID`, made by the service; also where its tags live.
    pub saml_provider_uuid: String,
    /// The IdP's metadata document (XML text, as uploaded).
    pub metadata_document: String,
    /// When it was created (Unix seconds).
    pub created_at: i64,
    /// From the metadata's `validUntil`, else AWS's default (Unix seconds).
    pub valid_until: i64,
    /// "Allowed" | "Required", None when never set.
    pub assertion_encryption_mode: Option<String>,
    /// Private keys for encrypted assertions, in the order added.
    pub private_keys: Vec<K>,
}

/// A SAML provider with its sealed private keys.
pub type SamlProviderRecord = SamlProvider<SamlPrivateKeyRecord>;

/// What reads may see of a SAML provider (GetSAMLProvider, ListSAMLProviders): its private
/// keys by id and date only. The in-memory state holds this; the sealed keys are read from
/// the store ([`Store::get_saml_provider`]) only to decrypt an assertion.
pub type SamlProviderInfo = SamlProvider<SamlPrivateKeyInfo>;

impl<K> SamlProvider<K> {
    /// `arn:aws:iam::<account>:saml-provider/<name>`.
    #[must_use]
    pub fn arn(&self) -> String {
        saml_arn(&self.account_id, &self.name)
    }
}

/// A private key that decrypts a SAML provider's encrypted assertions.
#[derive(Clone, PartialEq, Eq)]
pub struct SamlPrivateKeyRecord {
    /// AWS's key id for it.
    pub key_id: String,
    /// The PEM text sealed by the service; the store never sees it in the clear.
    pub private_key_ciphertext: Vec<u8>,
    /// When it was added (Unix seconds).
    pub added_at: i64,
}

impl std::fmt::Debug for SamlPrivateKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamlPrivateKeyRecord")
            .field("key_id", &self.key_id)
            .field("added_at", &self.added_at)
            .finish_non_exhaustive()
    }
}

/// A private key of a SAML provider, without the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlPrivateKeyInfo {
    /// AWS's key id for it.
    pub key_id: String,
    /// When it was added (Unix seconds).
    pub added_at: i64,
}

impl SamlProviderRecord {
    /// The provider without its sealed keys.
    #[must_use]
    pub fn info(&self) -> SamlProviderInfo {
        SamlProviderInfo {
            account_id: self.account_id.clone(),
            name: self.name.clone(),
            saml_provider_uuid: self.saml_provider_uuid.clone(),
            metadata_document: self.metadata_document.clone(),
            created_at: self.created_at,
            valid_until: self.valid_until,
            assertion_encryption_mode: self.assertion_encryption_mode.clone(),
            private_keys: self
                .private_keys
                .iter()
                .map(|key| SamlPrivateKeyInfo {
                    key_id: key.key_id.clone(),
                    added_at: key.added_at,
                })
                .collect(),
        }
    }
}

/// Input of [`Store::create_saml_provider`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSamlProvider {
    /// The provider with its private keys.
    pub provider: SamlProviderRecord,
    /// Its tags.
    pub tags: Vec<Tag>,
}

/// What [`Store::update_saml_provider`] changes; `None` keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SamlProviderUpdate {
    /// A new metadata document with its `valid_until`.
    pub metadata: Option<(String, i64)>,
    /// A new assertion encryption mode.
    pub assertion_encryption_mode: Option<String>,
    /// A private key to add (`LimitExceeded` past two).
    pub add_private_key: Option<SamlPrivateKeyRecord>,
    /// The id of a private key to remove (an absent id removes nothing).
    pub remove_private_key: Option<String>,
}

pub(crate) fn oidc_arn(account_id: &str, resource: &str) -> String {
    format!("arn:aws:iam::{account_id}:oidc-provider/{resource}")
}

fn saml_arn(account_id: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:saml-provider/{name}")
}

const CLIENT_ID: &str = "client-id";
const THUMBPRINT: &str = "thumbprint";

/// `LimitExceeded` when `sql` (a count bound to `key`) is past `quota`.
async fn within(
    conn: &mut AnyConnection,
    sql: &'static str,
    key: &str,
    quota: Quota,
) -> Result<()> {
    let count: i64 = sqlx::query(sql)
        .bind(key)
        .fetch_one(conn)
        .await?
        .try_get("n")?;
    let (what, limit) = quota;
    if count > i64::from(limit) {
        return Err(StoreError::LimitExceeded { what, limit });
    }
    Ok(())
}

async fn oidc_values(conn: &mut AnyConnection, arn: &str, list: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT value FROM oidc_provider_values WHERE arn = $1 AND list = $2 ORDER BY position",
    )
    .bind(arn)
    .bind(list)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|row| Ok(row.try_get("value")?)).collect()
}

/// Appends the values not in `list` yet, after its last position.
async fn append_values(w: &mut Write, arn: &str, list: &str, values: &[String]) -> Result<()> {
    for value in values {
        sqlx::query(
            "INSERT INTO oidc_provider_values (arn, list, position, value) \
             SELECT $1, $2, COALESCE(MAX(position), 0) + 1, $3 FROM oidc_provider_values \
             WHERE arn = $1 AND list = $2 \
             ON CONFLICT (arn, list, value) DO NOTHING",
        )
        .bind(arn)
        .bind(list)
        .bind(value)
        .execute(w.conn())
        .await?;
    }
    Ok(())
}

async fn find_oidc(
    conn: &mut AnyConnection,
    account_id: &str,
    resource: &str,
) -> Result<OidcProviderRecord> {
    let arn = oidc_arn(account_id, resource);
    let row = sqlx::query(
        "SELECT account_id, resource, url, created_at FROM oidc_providers \
         WHERE account_id = $1 AND resource = $2",
    )
    .bind(account_id)
    .bind(resource)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| not_found(EntityKind::OidcProvider, &arn))?;
    Ok(OidcProviderRecord {
        account_id: row.try_get("account_id")?,
        resource: row.try_get("resource")?,
        url: row.try_get("url")?,
        client_ids: oidc_values(conn, &arn, CLIENT_ID).await?,
        thumbprints: oidc_values(conn, &arn, THUMBPRINT).await?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) const SAML_SELECT: &str = "SELECT account_id, name, saml_provider_uuid, metadata_document, \
     created_at, valid_until, assertion_encryption_mode FROM saml_providers";

/// A SAML provider's row, without its private keys (read by [`private_keys`]).
pub(crate) fn saml_row(row: &AnyRow) -> Result<SamlProviderRecord> {
    Ok(SamlProviderRecord {
        account_id: row.try_get("account_id")?,
        name: row.try_get("name")?,
        saml_provider_uuid: row.try_get("saml_provider_uuid")?,
        metadata_document: row.try_get("metadata_document")?,
        created_at: row.try_get("created_at")?,
        valid_until: row.try_get("valid_until")?,
        assertion_encryption_mode: row.try_get("assertion_encryption_mode")?,
        private_keys: Vec::new(),
    })
}

async fn private_keys(conn: &mut AnyConnection, uuid: &str) -> Result<Vec<SamlPrivateKeyRecord>> {
    let rows = sqlx::query(
        "SELECT key_id, private_key_ciphertext, added_at FROM saml_provider_private_keys \
         WHERE saml_provider_uuid = $1 ORDER BY added_at, key_id",
    )
    .bind(uuid)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SamlPrivateKeyRecord {
                key_id: row.try_get("key_id")?,
                private_key_ciphertext: row.try_get("private_key_ciphertext")?,
                added_at: row.try_get("added_at")?,
            })
        })
        .collect()
}

async fn find_saml(
    conn: &mut AnyConnection,
    account_id: &str,
    name: &str,
) -> Result<SamlProviderRecord> {
    let kind = EntityKind::SamlProvider;
    let mut found = find_named(&mut *conn, (SAML_SELECT, kind), account_id, name, saml_row)
        .await
        .map_err(|error| match error {
            // Not found is told by ARN, as AWS does (reading 60).
            StoreError::NoSuchEntity { .. } => not_found(kind, &saml_arn(account_id, name)),
            other => other,
        })?;
    found.private_keys = private_keys(conn, &found.saml_provider_uuid).await?;
    Ok(found)
}

async fn insert_private_key(w: &mut Write, uuid: &str, key: &SamlPrivateKeyRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO saml_provider_private_keys (saml_provider_uuid, key_id, \
         private_key_ciphertext, added_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (saml_provider_uuid, key_id) DO NOTHING",
    )
    .bind(uuid)
    .bind(&key.key_id)
    .bind(key.private_key_ciphertext.as_slice())
    .bind(key.added_at)
    .execute(w.conn())
    .await?;
    within(
        w.conn(),
        "SELECT COUNT(*) AS n FROM saml_provider_private_keys WHERE saml_provider_uuid = $1",
        uuid,
        quota::SAML_PRIVATE_KEYS,
    )
    .await
}

impl Store {
    /// CreateOpenIDConnectProvider: the provider, its lists and its tags in one write.
    /// `EntityAlreadyExists` when the account has a provider of that resource; `LimitExceeded`
    /// past the account's quota, a hundred client ids or fifty tags.
    pub async fn create_oidc_provider(&self, new: &NewOidcProvider) -> Result<OidcProviderRecord> {
        let p = &new.provider;
        let arn = p.arn();
        let mut w = self.begin_write().await?;
        require_account(w.conn(), &p.account_id).await?;
        w.lock_row(Lock::Account, &p.account_id).await?;
        sqlx::query(
            "INSERT INTO oidc_providers (account_id, resource, arn, url, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&p.account_id)
        .bind(&p.resource)
        .bind(&arn)
        .bind(&p.url)
        .bind(p.created_at)
        .execute(w.conn())
        .await
        .map_err(|e| conflict_as_exists(e, EntityKind::OidcProvider, &p.url))?;
        let count = "SELECT COUNT(*) AS n FROM oidc_providers WHERE account_id = $1";
        within(w.conn(), count, &p.account_id, quota::OIDC_PROVIDERS).await?;
        append_values(&mut w, &arn, CLIENT_ID, &p.client_ids).await?;
        append_values(&mut w, &arn, THUMBPRINT, &p.thumbprints).await?;
        within_client_ids(&mut w, &arn).await?;
        let target = TagTarget::OidcProvider(arn.clone());
        insert_tags(&mut w, &p.account_id, &target, &new.tags).await?;
        w.touched(&p.account_id, EntityKind::OidcProvider, &arn)
            .await?;
        let created = find_oidc(w.conn(), &p.account_id, &p.resource).await?;
        w.commit().await?;
        Ok(created)
    }

    /// An OpenID Connect provider by its resource (exact text); `NoSuchEntity` names the ARN.
    pub async fn get_oidc_provider(
        &self,
        account_id: &str,
        resource: &str,
    ) -> Result<OidcProviderRecord> {
        let mut conn = self.pool.acquire().await?;
        find_oidc(&mut conn, account_id, resource).await
    }

    /// The account's OpenID Connect providers, by resource (byte order).
    pub async fn list_oidc_providers(&self, account_id: &str) -> Result<Vec<OidcProviderRecord>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query("SELECT resource FROM oidc_providers WHERE account_id = $1")
            .bind(account_id)
            .fetch_all(&mut *conn)
            .await?;
        let mut resources = rows
            .iter()
            .map(|row| row.try_get::<String, _>("resource"))
            .collect::<Result<Vec<_>, _>>()?;
        resources.sort();
        let mut providers = Vec::with_capacity(resources.len());
        for resource in resources {
            providers.push(find_oidc(&mut conn, account_id, &resource).await?);
        }
        Ok(providers)
    }

    /// AddClientIDToOpenIDConnectProvider: appends the id unless present (then nothing
    /// changes); `LimitExceeded` past a hundred.
    pub async fn add_oidc_client_id(
        &self,
        account_id: &str,
        resource: &str,
        client_id: &str,
    ) -> Result<OidcProviderRecord> {
        let mut w = self.begin_write().await?;
        let found = find_oidc(w.conn(), account_id, resource).await?;
        let arn = found.arn();
        append_values(&mut w, &arn, CLIENT_ID, &[client_id.to_owned()]).await?;
        within_client_ids(&mut w, &arn).await?;
        self.finish_oidc(w, &found).await
    }

    /// RemoveClientIDFromOpenIDConnectProvider: an absent id removes nothing.
    pub async fn remove_oidc_client_id(
        &self,
        account_id: &str,
        resource: &str,
        client_id: &str,
    ) -> Result<OidcProviderRecord> {
        let mut w = self.begin_write().await?;
        let found = find_oidc(w.conn(), account_id, resource).await?;
        sqlx::query("DELETE FROM oidc_provider_values WHERE arn = $1 AND list = $2 AND value = $3")
            .bind(found.arn())
            .bind(CLIENT_ID)
            .bind(client_id)
            .execute(w.conn())
            .await?;
        self.finish_oidc(w, &found).await
    }

    /// UpdateOpenIDConnectProviderThumbprint: replaces the whole list.
    pub async fn update_oidc_thumbprints(
        &self,
        account_id: &str,
        resource: &str,
        thumbprints: &[String],
    ) -> Result<OidcProviderRecord> {
        let mut w = self.begin_write().await?;
        let found = find_oidc(w.conn(), account_id, resource).await?;
        let arn = found.arn();
        sqlx::query("DELETE FROM oidc_provider_values WHERE arn = $1 AND list = $2")
            .bind(&arn)
            .bind(THUMBPRINT)
            .execute(w.conn())
            .await?;
        append_values(&mut w, &arn, THUMBPRINT, thumbprints).await?;
        self.finish_oidc(w, &found).await
    }

    /// Records the change to `found`, reads it back and commits.
    async fn finish_oidc(
        &self,
        mut w: Write,
        found: &OidcProviderRecord,
    ) -> Result<OidcProviderRecord> {
        w.touched(&found.account_id, EntityKind::OidcProvider, &found.arn())
            .await?;
        let updated = find_oidc(w.conn(), &found.account_id, &found.resource).await?;
        w.commit().await?;
        Ok(updated)
    }

    /// DeleteOpenIDConnectProvider, with its lists and tags.
    pub async fn delete_oidc_provider(&self, account_id: &str, resource: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let found = find_oidc(w.conn(), account_id, resource).await?;
        let arn = found.arn();
        for sql in [
            "DELETE FROM tags WHERE resource_kind = 'oidc-provider' AND resource_id = $1",
            "DELETE FROM oidc_provider_values WHERE arn = $1",
            "DELETE FROM oidc_providers WHERE arn = $1",
        ] {
            sqlx::query(sql).bind(&arn).execute(w.conn()).await?;
        }
        w.touched(account_id, EntityKind::OidcProvider, &arn)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// CreateSAMLProvider: the provider, its private keys and its tags in one write.
    /// `EntityAlreadyExists` when the name is taken, whatever its case; `LimitExceeded` past
    /// the account's quota, two private keys or fifty tags.
    pub async fn create_saml_provider(&self, new: &NewSamlProvider) -> Result<SamlProviderRecord> {
        let p = &new.provider;
        let mut w = self.begin_write().await?;
        require_account(w.conn(), &p.account_id).await?;
        w.lock_row(Lock::Account, &p.account_id).await?;
        sqlx::query(
            "INSERT INTO saml_providers (saml_provider_uuid, account_id, name, name_lower, \
             metadata_document, created_at, valid_until, assertion_encryption_mode) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&p.saml_provider_uuid)
        .bind(&p.account_id)
        .bind(&p.name)
        .bind(lower(&p.name))
        .bind(&p.metadata_document)
        .bind(p.created_at)
        .bind(p.valid_until)
        .bind(p.assertion_encryption_mode.as_deref())
        .execute(w.conn())
        .await
        .map_err(|e| conflict_as_exists(e, EntityKind::SamlProvider, &p.name))?;
        let count = "SELECT COUNT(*) AS n FROM saml_providers WHERE account_id = $1";
        within(w.conn(), count, &p.account_id, quota::SAML_PROVIDERS).await?;
        for key in &p.private_keys {
            insert_private_key(&mut w, &p.saml_provider_uuid, key).await?;
        }
        let target = TagTarget::SamlProvider(p.saml_provider_uuid.clone());
        insert_tags(&mut w, &p.account_id, &target, &new.tags).await?;
        w.touched(
            &p.account_id,
            EntityKind::SamlProvider,
            &p.saml_provider_uuid,
        )
        .await?;
        let created = find_saml(w.conn(), &p.account_id, &p.name).await?;
        w.commit().await?;
        Ok(created)
    }

    /// A SAML provider by name, case-insensitively; `NoSuchEntity` names the ARN.
    pub async fn get_saml_provider(
        &self,
        account_id: &str,
        name: &str,
    ) -> Result<SamlProviderRecord> {
        let mut conn = self.pool.acquire().await?;
        find_saml(&mut conn, account_id, name).await
    }

    /// The SAML provider whose unique id (`SAMLProviderUUID`) is `uuid`, in any account: the
    /// console's sign-in endpoint for one provider names it so. `None` when none has it.
    pub async fn find_saml_provider_by_uuid(
        &self,
        uuid: &str,
    ) -> Result<Option<SamlProviderRecord>> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SAML_SELECT} WHERE saml_provider_uuid = $1"
        )))
        .bind(uuid)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut found = saml_row(&row)?;
        found.private_keys = private_keys(&mut conn, &found.saml_provider_uuid).await?;
        Ok(Some(found))
    }

    /// The account's SAML providers in name order.
    pub async fn list_saml_providers(&self, account_id: &str) -> Result<Vec<SamlProviderRecord>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SAML_SELECT} WHERE account_id = $1 ORDER BY name_lower"
        )))
        .bind(account_id)
        .fetch_all(&mut *conn)
        .await?;
        let mut providers = rows.iter().map(saml_row).collect::<Result<Vec<_>>>()?;
        for provider in &mut providers {
            provider.private_keys = private_keys(&mut conn, &provider.saml_provider_uuid).await?;
        }
        Ok(providers)
    }

    /// UpdateSAMLProvider: all of `update` or nothing; `LimitExceeded` past two private keys.
    pub async fn update_saml_provider(
        &self,
        account_id: &str,
        name: &str,
        update: &SamlProviderUpdate,
    ) -> Result<SamlProviderRecord> {
        let mut w = self.begin_write().await?;
        let found = find_saml(w.conn(), account_id, name).await?;
        let uuid = found.saml_provider_uuid.as_str();
        if let Some((document, valid_until)) = &update.metadata {
            sqlx::query(
                "UPDATE saml_providers SET metadata_document = $1, valid_until = $2 \
                 WHERE saml_provider_uuid = $3",
            )
            .bind(document)
            .bind(*valid_until)
            .bind(uuid)
            .execute(w.conn())
            .await?;
        }
        if let Some(mode) = &update.assertion_encryption_mode {
            sqlx::query(
                "UPDATE saml_providers SET assertion_encryption_mode = $1 \
                 WHERE saml_provider_uuid = $2",
            )
            .bind(mode)
            .bind(uuid)
            .execute(w.conn())
            .await?;
        }
        // Removing first lets one call rotate a key when two are held.
        if let Some(key_id) = &update.remove_private_key {
            sqlx::query(
                "DELETE FROM saml_provider_private_keys \
                 WHERE saml_provider_uuid = $1 AND key_id = $2",
            )
            .bind(uuid)
            .bind(key_id)
            .execute(w.conn())
            .await?;
        }
        if let Some(key) = &update.add_private_key {
            insert_private_key(&mut w, uuid, key).await?;
        }
        w.touched(account_id, EntityKind::SamlProvider, uuid)
            .await?;
        let updated = find_saml(w.conn(), account_id, &found.name).await?;
        w.commit().await?;
        Ok(updated)
    }

    /// DeleteSAMLProvider, with its private keys and tags.
    pub async fn delete_saml_provider(&self, account_id: &str, name: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let found = find_saml(w.conn(), account_id, name).await?;
        let uuid = found.saml_provider_uuid.as_str();
        for sql in [
            "DELETE FROM tags WHERE resource_kind = 'saml-provider' AND resource_id = $1",
            "DELETE FROM saml_provider_private_keys WHERE saml_provider_uuid = $1",
            "DELETE FROM saml_providers WHERE saml_provider_uuid = $1",
        ] {
            sqlx::query(sql).bind(uuid).execute(w.conn()).await?;
        }
        w.touched(account_id, EntityKind::SamlProvider, uuid)
            .await?;
        w.commit().await?;
        Ok(())
    }
}

async fn within_client_ids(w: &mut Write, arn: &str) -> Result<()> {
    let count = "SELECT COUNT(*) AS n FROM oidc_provider_values \
                 WHERE arn = $1 AND list = 'client-id'";
    within(w.conn(), count, arn, quota::OIDC_CLIENT_IDS).await
}
