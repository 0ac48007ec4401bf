//! Tags on every taggable kind (users, roles, managed policies, instance profiles, server
//! certificates), in one table, at most fifty per entity. Keys are unique per entity
//! case-insensitively, except a managed policy's, which AWS keeps apart by case (`a` and `A`
//! are two tags, recorded on AWS): `key_lower` holds the key as it is compared.

use sqlx::AnyConnection;
use sqlx::Row;

use crate::db::{Store, Write, lower, not_found};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::{Tag, TagTarget};
use crate::quota;

fn parts(target: &TagTarget) -> (&'static str, &str, EntityKind) {
    match target {
        TagTarget::User(id) => ("user", id, EntityKind::User),
        TagTarget::Role(id) => ("role", id, EntityKind::Role),
        TagTarget::Policy(id) => ("policy", id, EntityKind::Policy),
        TagTarget::InstanceProfile(id) => ("instance-profile", id, EntityKind::InstanceProfile),
        TagTarget::ServerCertificate(id) => {
            ("server-certificate", id, EntityKind::ServerCertificate)
        }
        TagTarget::MfaDevice(serial) => ("mfa", serial, EntityKind::MfaDevice),
        TagTarget::OidcProvider(arn) => ("oidc-provider", arn, EntityKind::OidcProvider),
        TagTarget::SamlProvider(id) => ("saml-provider", id, EntityKind::SamlProvider),
    }
}

/// The target a `resource_kind` column and its id name; `None` for an unknown kind.
pub(crate) fn target_of(kind: &str, id: String) -> Option<TagTarget> {
    Some(match kind {
        "user" => TagTarget::User(id),
        "role" => TagTarget::Role(id),
        "policy" => TagTarget::Policy(id),
        "instance-profile" => TagTarget::InstanceProfile(id),
        "server-certificate" => TagTarget::ServerCertificate(id),
        "mfa" => TagTarget::MfaDevice(id),
        "oidc-provider" => TagTarget::OidcProvider(id),
        "saml-provider" => TagTarget::SamlProvider(id),
        _ => return None,
    })
}

/// The key as `target`'s kind compares it (the `key_lower` column).
pub(crate) fn compared_key(target: &TagTarget, key: &str) -> String {
    match target {
        TagTarget::Policy(_) => key.to_owned(),
        _ => lower(key),
    }
}

async fn target_account(conn: &mut AnyConnection, target: &TagTarget) -> Result<String> {
    let (_, id, kind) = parts(target);
    let sql = match target {
        TagTarget::User(_) => "SELECT account_id FROM users WHERE user_id = $1",
        TagTarget::Role(_) => "SELECT account_id FROM roles WHERE role_id = $1",
        TagTarget::Policy(_) => "SELECT account_id FROM policies WHERE policy_id = $1",
        TagTarget::InstanceProfile(_) => {
            "SELECT account_id FROM instance_profiles WHERE instance_profile_id = $1"
        }
        TagTarget::ServerCertificate(_) => {
            "SELECT account_id FROM server_certificates WHERE server_certificate_id = $1"
        }
        TagTarget::MfaDevice(_) => "SELECT account_id FROM mfa_devices WHERE serial_number = $1",
        TagTarget::OidcProvider(_) => "SELECT account_id FROM oidc_providers WHERE arn = $1",
        TagTarget::SamlProvider(_) => {
            "SELECT account_id FROM saml_providers WHERE saml_provider_uuid = $1"
        }
    };
    let row = sqlx::query(sql).bind(id).fetch_optional(conn).await?;
    match row {
        Some(row) => Ok(row.try_get("account_id")?),
        None => Err(not_found(kind, id)),
    }
}

/// Adds tags to an entity within an open write (its creation, or TagUser and the like),
/// replacing the value and spelling of a key already present in any case. `LimitExceeded`
/// past fifty tags; the caller's write then rolls back whole.
pub(crate) async fn insert_tags(
    w: &mut Write,
    account_id: &str,
    target: &TagTarget,
    tags: &[Tag],
) -> Result<()> {
    let (kind_text, id, _) = parts(target);
    for tag in tags {
        sqlx::query(
            "INSERT INTO tags (account_id, resource_kind, resource_id, tag_key, key_lower, \
             tag_value) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (resource_kind, resource_id, key_lower) \
             DO UPDATE SET tag_key = excluded.tag_key, tag_value = excluded.tag_value",
        )
        .bind(account_id)
        .bind(kind_text)
        .bind(id)
        .bind(&tag.key)
        .bind(compared_key(target, &tag.key))
        .bind(&tag.value)
        .execute(w.conn())
        .await?;
    }
    if tags.is_empty() {
        return Ok(());
    }
    // Counting after the upserts handles replaced keys for free; failing here rolls back.
    let count: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM tags WHERE resource_kind = $1 AND resource_id = $2")
            .bind(kind_text)
            .bind(id)
            .fetch_one(w.conn())
            .await?
            .try_get("n")?;
    let (what, limit) = quota::TAGS_PER_ENTITY;
    if count > i64::from(limit) {
        return Err(StoreError::LimitExceeded { what, limit });
    }
    Ok(())
}

impl Store {
    /// Tag(User|Role|Policy|InstanceProfile): adds tags, replacing the value (and the key's spelling) of a key
    /// already present in any case. All or nothing: `LimitExceeded` past fifty tags.
    pub async fn tag_resource(&self, target: &TagTarget, tags: &[Tag]) -> Result<()> {
        let mut w = self.begin_write().await?;
        let account_id = target_account(w.conn(), target).await?;
        insert_tags(&mut w, &account_id, target, tags).await?;
        let (_, id, kind) = parts(target);
        w.touched(&account_id, kind, id).await?;
        w.commit().await?;
        Ok(())
    }

    /// Untag(User|Role|Policy|InstanceProfile): removes the keys (matched as the kind compares
    /// them); absent keys are ignored, as in AWS.
    pub async fn untag_resource(&self, target: &TagTarget, keys: &[String]) -> Result<()> {
        let mut w = self.begin_write().await?;
        let account_id = target_account(w.conn(), target).await?;
        let (kind_text, id, kind) = parts(target);
        for key in keys {
            sqlx::query(
                "DELETE FROM tags WHERE resource_kind = $1 AND resource_id = $2 AND key_lower = $3",
            )
            .bind(kind_text)
            .bind(id)
            .bind(compared_key(target, key))
            .execute(w.conn())
            .await?;
        }
        w.touched(&account_id, kind, id).await?;
        w.commit().await?;
        Ok(())
    }

    /// List(User|Role|Policy|InstanceProfile)Tags, by the compared key in byte order (the same
    /// on both backends, whatever a database's collation).
    pub async fn list_tags(&self, target: &TagTarget) -> Result<Vec<Tag>> {
        let mut conn = self.pool.acquire().await?;
        target_account(&mut conn, target).await?;
        let (kind_text, id, _) = parts(target);
        let rows = sqlx::query(
            "SELECT tag_key, tag_value FROM tags WHERE resource_kind = $1 AND resource_id = $2",
        )
        .bind(kind_text)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let mut tags = rows
            .iter()
            .map(|row| {
                Ok(Tag {
                    key: row.try_get("tag_key")?,
                    value: row.try_get("tag_value")?,
                })
            })
            .collect::<Result<Vec<Tag>>>()?;
        tags.sort_by_cached_key(|tag| compared_key(target, &tag.key));
        Ok(tags)
    }
}
