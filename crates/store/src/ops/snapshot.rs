//! Bulk reads for the service's in-memory state: every row that reads and authorization need,
//! for the whole server, one account, or one entity with what hangs off it, in one
//! consistent read transaction.

use std::collections::BTreeMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::db::{Backend, Store};
use crate::error::{BackendError, Result};
use crate::model::{
    AccessKeyRecord, AccountRecord, GroupRecord, InstanceProfileRecord, LoginProfileInfo,
    MfaDeviceInfo, PasswordPolicy, PolicyRecord, PolicyVersionRecord, Principal, PrincipalKind,
    RoleRecord, ServerCertificateRecord, Tag, TagTarget, UserCredentialRecord, UserRecord,
};
use crate::ops::identity_providers::{
    OidcProviderRecord, SAML_SELECT, SamlPrivateKeyInfo, SamlProviderInfo, oidc_arn, saml_row,
};
use crate::ops::logins::{PASSWORD_POLICY_COLUMNS, password_policy};
use crate::ops::tags::{compared_key, target_of};
use crate::ops::{
    access_keys, accounts, groups, instance_profiles, logins, mfa_devices, policies, roles,
    server_certificates, user_credentials, users,
};

/// What to load: everything, one account, or one entity (by unique id) with its tags,
/// policies and memberships. The change log names entities the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadScope {
    /// Every account of the server.
    Everything,
    /// One account with everything in it.
    Account(String),
    /// The account's own row, its password policy and its properties.
    AccountSettings(String),
    /// A user with its tags, inline and attached policies, group memberships and login
    /// profile (without the hash).
    User(String),
    /// A group with its inline and attached policies and members.
    Group(String),
    /// A role with its tags and inline and attached policies.
    Role(String),
    /// A customer managed policy with its versions and tags.
    Policy(String),
    /// One access key.
    AccessKey(String),
    /// An instance profile with the id of its role and its tags.
    InstanceProfile(String),
    /// A virtual MFA device (by serial number) with its tags; no seed.
    MfaDevice(String),
    /// An SSH public key, signing certificate or service-specific credential (by id); no
    /// secret.
    Credential(String),
    /// A server certificate with its tags; never its private key.
    ServerCertificate(String),
    /// An OpenID Connect provider (by ARN) with its client ids, thumbprints and tags.
    OidcProvider(String),
    /// A SAML provider (by `SAMLProviderUUID`) with its keys' ids and its tags; never the
    /// keys.
    SamlProvider(String),
}

/// The rows a [`LoadScope`] covers. Lists hold what exists now: an entity of the scope that
/// is absent was deleted.
#[derive(Debug, Default, Clone)]
pub struct Loaded {
    /// Accounts.
    pub accounts: Vec<AccountRecord>,
    /// Password policies, by account id.
    pub password_policies: Vec<(String, PasswordPolicy)>,
    /// Users.
    pub users: Vec<UserRecord>,
    /// Groups.
    pub groups: Vec<GroupRecord>,
    /// Roles.
    pub roles: Vec<RoleRecord>,
    /// Customer managed policies (`attachment_count` as stored now).
    pub policies: Vec<PolicyRecord>,
    /// Policy versions, by policy id.
    pub versions: Vec<(String, PolicyVersionRecord)>,
    /// Group memberships: (group id, user id).
    pub memberships: Vec<(String, String)>,
    /// Managed policy attachments: (principal, policy ARN), ARNs sorted per principal.
    pub attachments: Vec<(Principal, String)>,
    /// Inline policies: (principal, name, document), names sorted per principal.
    pub inline_policies: Vec<(Principal, String, String)>,
    /// Tags of every taggable kind, each entity's sorted as `list_tags` sorts.
    pub tags: Vec<(TagTarget, Vec<Tag>)>,
    /// Access keys.
    pub access_keys: Vec<AccessKeyRecord>,
    /// Instance profiles (their `roles` empty: see `profile_roles`).
    pub instance_profiles: Vec<InstanceProfileRecord>,
    /// The role of each instance profile: (instance profile id, role id).
    pub profile_roles: Vec<(String, String)>,
    /// Users' login profiles, without their hashes.
    pub login_profiles: Vec<LoginProfileInfo>,
    /// Account properties: (account id, key, value).
    pub account_properties: Vec<(String, String, String)>,
    /// Virtual MFA devices, without their seeds.
    pub mfa_devices: Vec<MfaDeviceInfo>,
    /// SSH public keys, signing certificates and service-specific credentials, their
    /// `secret_ciphertext` `None`.
    pub credentials: Vec<UserCredentialRecord>,
    /// Server certificates (never with a private key).
    pub server_certificates: Vec<ServerCertificateRecord>,
    /// OpenID Connect providers with their lists.
    pub oidc_providers: Vec<OidcProviderRecord>,
    /// SAML providers with their keys' ids and dates.
    pub saml_providers: Vec<SamlProviderInfo>,
}

impl Loaded {
    /// Appends another load's rows to these.
    pub fn append(&mut self, other: Loaded) {
        self.accounts.extend(other.accounts);
        self.password_policies.extend(other.password_policies);
        self.users.extend(other.users);
        self.groups.extend(other.groups);
        self.roles.extend(other.roles);
        self.policies.extend(other.policies);
        self.versions.extend(other.versions);
        self.memberships.extend(other.memberships);
        self.attachments.extend(other.attachments);
        self.inline_policies.extend(other.inline_policies);
        self.tags.extend(other.tags);
        self.access_keys.extend(other.access_keys);
        self.instance_profiles.extend(other.instance_profiles);
        self.profile_roles.extend(other.profile_roles);
        self.login_profiles.extend(other.login_profiles);
        self.account_properties.extend(other.account_properties);
        self.mfa_devices.extend(other.mfa_devices);
        self.credentials.extend(other.credentials);
        self.server_certificates.extend(other.server_certificates);
        self.oidc_providers.extend(other.oidc_providers);
        self.saml_providers.extend(other.saml_providers);
    }
}

/// One table's filter for a scope: the SQL condition (with `$1` the scope's id) or `None`
/// when the scope does not cover the table.
type Filter = Option<&'static str>;

const NO_FILTER: &str = "1 = 1";

impl Store {
    /// Every row of `scope`, read in one transaction (repeatable read on PostgreSQL), so the
    /// result is one snapshot of the store.
    pub async fn load(&self, scope: &LoadScope) -> Result<Loaded> {
        self.load_each(std::slice::from_ref(scope)).await
    }

    /// The rows of every scope, appended in order, all read in one transaction: entities
    /// that one write changed together arrive together.
    pub async fn load_each(&self, scopes: &[LoadScope]) -> Result<Loaded> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let mut loaded = Loaded::default();
        for scope in scopes {
            loaded.append(load_in(&mut tx, scope).await?);
        }
        tx.commit().await?;
        Ok(loaded)
    }
}

/// The id a scope binds as `$1`; `Everything` binds nothing.
fn scope_id(scope: &LoadScope) -> Option<&str> {
    match scope {
        LoadScope::Everything => None,
        LoadScope::Account(id)
        | LoadScope::AccountSettings(id)
        | LoadScope::User(id)
        | LoadScope::Group(id)
        | LoadScope::Role(id)
        | LoadScope::Policy(id)
        | LoadScope::AccessKey(id)
        | LoadScope::InstanceProfile(id)
        | LoadScope::MfaDevice(id)
        | LoadScope::Credential(id)
        | LoadScope::ServerCertificate(id)
        | LoadScope::OidcProvider(id)
        | LoadScope::SamlProvider(id) => Some(id),
    }
}

/// Runs `select` (which has no `WHERE` of its own) with the filter's condition and hands
/// each row to `each` as it arrives: a table's rows are never all held at once, and each is
/// decoded while the database produces the next.
async fn each_row(
    conn: &mut AnyConnection,
    scope: &LoadScope,
    select: &str,
    filter: Filter,
    mut each: impl FnMut(&AnyRow) -> Result<()>,
) -> Result<()> {
    let Some(condition) = filter else {
        return Ok(());
    };
    let sql = format!("{select} WHERE {condition}");
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    if let Some(id) = scope_id(scope) {
        query = query.bind(id.to_owned());
    }
    let mut stream = query.fetch(conn);
    while let Some(row) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
        each(&row?)?;
    }
    Ok(())
}

/// The condition on a principal-keyed table (`principal_kind`, `principal_id`).
fn principal_filter(scope: &LoadScope) -> Filter {
    match scope {
        LoadScope::Everything => Some(NO_FILTER),
        LoadScope::Account(_) => Some("account_id = $1"),
        LoadScope::User(_) => Some("principal_kind = 'user' AND principal_id = $1"),
        LoadScope::Group(_) => Some("principal_kind = 'group' AND principal_id = $1"),
        LoadScope::Role(_) => Some("principal_kind = 'role' AND principal_id = $1"),
        _ => None,
    }
}

fn principal(row: &AnyRow) -> Result<Principal> {
    let kind: String = row.try_get("principal_kind")?;
    Ok(Principal {
        kind: PrincipalKind::parse(&kind)
            .ok_or_else(|| BackendError::message(format!("unknown principal kind `{kind}`")))?,
        id: row.try_get("principal_id")?,
    })
}

async fn load_in(conn: &mut AnyConnection, scope: &LoadScope) -> Result<Loaded> {
    use LoadScope as S;
    // Whole-account scopes read every table; an entity's scope reads its own table by `own`.
    let table = |is_own_scope: bool, own: &'static str| match scope {
        S::Everything => Some(NO_FILTER),
        S::Account(_) => Some("account_id = $1"),
        _ if is_own_scope => Some(own),
        _ => None,
    };
    let mut loaded = Loaded::default();

    let filter = table(matches!(scope, S::AccountSettings(_)), "account_id = $1");
    each_row(conn, scope, accounts::SELECT, filter, |row| {
        loaded.accounts.push(accounts::account(row)?);
        Ok(())
    })
    .await?;
    let select = format!("SELECT account_id, {PASSWORD_POLICY_COLUMNS} FROM password_policies");
    each_row(conn, scope, &select, filter, |row| {
        loaded
            .password_policies
            .push((row.try_get("account_id")?, password_policy(row)?));
        Ok(())
    })
    .await?;

    let select = "SELECT account_id, user_id, name, path, created_at, permissions_boundary_arn, \
                  password_last_used FROM users";
    let filter = table(matches!(scope, S::User(_)), "user_id = $1");
    each_row(conn, scope, select, filter, |row| {
        loaded.users.push(users::user(row)?);
        Ok(())
    })
    .await?;
    let select = "SELECT account_id, group_id, name, path, created_at FROM iam_groups";
    let filter = table(matches!(scope, S::Group(_)), "group_id = $1");
    each_row(conn, scope, select, filter, |row| {
        loaded.groups.push(groups::group(row)?);
        Ok(())
    })
    .await?;
    let filter = table(matches!(scope, S::Role(_)), "role_id = $1");
    each_row(conn, scope, roles::SELECT, filter, |row| {
        loaded.roles.push(roles::role(row)?);
        Ok(())
    })
    .await?;
    let filter = match scope {
        S::Everything => Some(NO_FILTER),
        S::Account(_) => Some("p.account_id = $1"),
        S::Policy(_) => Some("p.policy_id = $1"),
        _ => None,
    };
    each_row(conn, scope, policies::SELECT, filter, |row| {
        loaded.policies.push(policies::policy(row)?);
        Ok(())
    })
    .await?;
    let select = "SELECT v.policy_id, v.version, v.document, v.created_at, \
                  CASE WHEN v.version = p.default_version THEN 1 ELSE 0 END AS is_default \
                  FROM policy_versions v JOIN policies p ON p.policy_id = v.policy_id";
    each_row(conn, scope, select, filter, |row| {
        loaded
            .versions
            .push((row.try_get("policy_id")?, policies::version(row)?));
        Ok(())
    })
    .await?;
    let select = "SELECT m.group_id, m.user_id FROM group_members m \
                  JOIN iam_groups g ON g.group_id = m.group_id";
    let filter = match scope {
        S::Everything => Some(NO_FILTER),
        S::Account(_) => Some("g.account_id = $1"),
        S::User(_) => Some("m.user_id = $1"),
        S::Group(_) => Some("m.group_id = $1"),
        _ => None,
    };
    each_row(conn, scope, select, filter, |row| {
        loaded
            .memberships
            .push((row.try_get("group_id")?, row.try_get("user_id")?));
        Ok(())
    })
    .await?;
    let select = "SELECT principal_kind, principal_id, policy_arn FROM attachments";
    each_row(conn, scope, select, principal_filter(scope), |row| {
        loaded
            .attachments
            .push((principal(row)?, row.try_get("policy_arn")?));
        Ok(())
    })
    .await?;
    loaded
        .attachments
        .sort_by(|a, b| (&a.0.id, &a.1).cmp(&(&b.0.id, &b.1)));
    let select = "SELECT principal_kind, principal_id, policy_name, document FROM inline_policies";
    each_row(conn, scope, select, principal_filter(scope), |row| {
        loaded.inline_policies.push((
            principal(row)?,
            row.try_get("policy_name")?,
            row.try_get("document")?,
        ));
        Ok(())
    })
    .await?;
    loaded
        .inline_policies
        .sort_by(|a, b| (&a.0.id, &a.1).cmp(&(&b.0.id, &b.1)));

    let select = "SELECT resource_kind, resource_id, tag_key, tag_value FROM tags";
    let filter = match scope {
        S::Everything => Some(NO_FILTER),
        S::Account(_) => Some("account_id = $1"),
        S::User(_) => Some("resource_kind = 'user' AND resource_id = $1"),
        S::Role(_) => Some("resource_kind = 'role' AND resource_id = $1"),
        S::Policy(_) => Some("resource_kind = 'policy' AND resource_id = $1"),
        S::InstanceProfile(_) => Some("resource_kind = 'instance-profile' AND resource_id = $1"),
        S::ServerCertificate(_) => {
            Some("resource_kind = 'server-certificate' AND resource_id = $1")
        }
        S::MfaDevice(_) => Some("resource_kind = 'mfa' AND resource_id = $1"),
        S::OidcProvider(_) => Some("resource_kind = 'oidc-provider' AND resource_id = $1"),
        S::SamlProvider(_) => Some("resource_kind = 'saml-provider' AND resource_id = $1"),
        _ => None,
    };
    let mut tags: BTreeMap<(String, String), Vec<Tag>> = BTreeMap::new();
    each_row(conn, scope, select, filter, |row| {
        tags.entry((row.try_get("resource_kind")?, row.try_get("resource_id")?))
            .or_default()
            .push(Tag {
                key: row.try_get("tag_key")?,
                value: row.try_get("tag_value")?,
            });
        Ok(())
    })
    .await?;
    for ((kind, id), mut entity_tags) in tags {
        let target = target_of(&kind, id).ok_or_else(|| {
            BackendError::message(format!("unknown tagged resource kind `{kind}`"))
        })?;
        entity_tags.sort_by_cached_key(|tag| compared_key(&target, &tag.key));
        loaded.tags.push((target, entity_tags));
    }

    let filter = table(matches!(scope, S::AccessKey(_)), "access_key_id = $1");
    each_row(conn, scope, access_keys::SELECT, filter, |row| {
        loaded.access_keys.push(access_keys::access_key(row)?);
        Ok(())
    })
    .await?;
    let filter = table(
        matches!(scope, S::InstanceProfile(_)),
        "instance_profile_id = $1",
    );
    each_row(conn, scope, instance_profiles::SELECT, filter, |row| {
        loaded
            .instance_profiles
            .push(instance_profiles::profile(row)?);
        Ok(())
    })
    .await?;
    let select = "SELECT m.instance_profile_id, m.role_id FROM instance_profile_roles m \
                  JOIN instance_profiles p ON p.instance_profile_id = m.instance_profile_id";
    let filter = match scope {
        S::Everything => Some(NO_FILTER),
        S::Account(_) => Some("p.account_id = $1"),
        S::InstanceProfile(_) => Some("m.instance_profile_id = $1"),
        _ => None,
    };
    each_row(conn, scope, select, filter, |row| {
        loaded
            .profile_roles
            .push((row.try_get("instance_profile_id")?, row.try_get("role_id")?));
        Ok(())
    })
    .await?;
    load_credentials(conn, scope, &mut loaded).await?;
    load_providers(conn, scope, &mut loaded).await?;
    Ok(loaded)
}

/// Login profiles, account properties, MFA devices, users' other credentials and server
/// certificates: each without its secret (hash, seed, sealed secret or key), which the
/// selects below never name.
async fn load_credentials(
    conn: &mut AnyConnection,
    scope: &LoadScope,
    loaded: &mut Loaded,
) -> Result<()> {
    use LoadScope as S;
    let by_account = |own: Option<&'static str>, account: &'static str| match scope {
        S::Everything => Some(NO_FILTER),
        S::Account(_) => Some(account),
        _ => own,
    };
    let own = matches!(scope, S::User(_)).then_some("l.user_id = $1");
    let filter = by_account(own, "u.account_id = $1");
    each_row(conn, scope, logins::SELECT_INFO, filter, |row| {
        loaded.login_profiles.push(logins::login_profile_info(row)?);
        Ok(())
    })
    .await?;
    let select = "SELECT account_id, property_key, property_value FROM account_properties";
    let own = matches!(scope, S::AccountSettings(_)).then_some("account_id = $1");
    each_row(
        conn,
        scope,
        select,
        by_account(own, "account_id = $1"),
        |row| {
            loaded.account_properties.push((
                row.try_get("account_id")?,
                row.try_get("property_key")?,
                row.try_get("property_value")?,
            ));
            Ok(())
        },
    )
    .await?;
    let own = matches!(scope, S::MfaDevice(_)).then_some("serial_number = $1");
    let filter = by_account(own, "account_id = $1");
    each_row(conn, scope, mfa_devices::SELECT_INFO, filter, |row| {
        loaded.mfa_devices.push(mfa_devices::device_info(row)?);
        Ok(())
    })
    .await?;
    let own = matches!(scope, S::Credential(_)).then_some("credential_id = $1");
    let filter = by_account(own, "account_id = $1");
    each_row(
        conn,
        scope,
        user_credentials::SELECT_PUBLIC,
        filter,
        |row| {
            loaded
                .credentials
                .push(user_credentials::credential_public(row)?);
            Ok(())
        },
    )
    .await?;
    let own = matches!(scope, S::ServerCertificate(_)).then_some("server_certificate_id = $1");
    let filter = by_account(own, "account_id = $1");
    each_row(conn, scope, server_certificates::SELECT, filter, |row| {
        loaded
            .server_certificates
            .push(server_certificates::certificate(row)?);
        Ok(())
    })
    .await?;
    Ok(())
}

/// OpenID Connect providers with their lists, SAML providers with their keys' ids (never the
/// sealed keys).
async fn load_providers(
    conn: &mut AnyConnection,
    scope: &LoadScope,
    loaded: &mut Loaded,
) -> Result<()> {
    use LoadScope as S;
    let filter = match scope {
        S::Everything => Some(NO_FILTER),
        S::Account(_) => Some("p.account_id = $1"),
        S::OidcProvider(_) => Some("p.arn = $1"),
        _ => None,
    };
    let select = "SELECT p.account_id, p.resource, p.url, p.created_at FROM oidc_providers p";
    let mut providers: BTreeMap<String, OidcProviderRecord> = BTreeMap::new();
    each_row(conn, scope, select, filter, |row| {
        let provider = OidcProviderRecord {
            account_id: row.try_get("account_id")?,
            resource: row.try_get("resource")?,
            url: row.try_get("url")?,
            client_ids: Vec::new(),
            thumbprints: Vec::new(),
            created_at: row.try_get("created_at")?,
        };
        providers.insert(oidc_arn(&provider.account_id, &provider.resource), provider);
        Ok(())
    })
    .await?;
    let select = "SELECT v.arn, v.list, v.position, v.value FROM oidc_provider_values v \
                  JOIN oidc_providers p ON p.arn = v.arn";
    let mut values: Vec<(String, String, i64, String)> = Vec::new();
    each_row(conn, scope, select, filter, |row| {
        values.push((
            row.try_get("arn")?,
            row.try_get("list")?,
            row.try_get("position")?,
            row.try_get("value")?,
        ));
        Ok(())
    })
    .await?;
    // In each list's order, as `get_oidc_provider` reads them.
    values.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
    for (arn, list, _, value) in values {
        let Some(provider) = providers.get_mut(&arn) else {
            continue;
        };
        match list.as_str() {
            "client-id" => provider.client_ids.push(value),
            _ => provider.thumbprints.push(value),
        }
    }
    loaded.oidc_providers.extend(providers.into_values());

    let filter = match scope {
        S::Everything => Some(NO_FILTER),
        S::Account(_) => Some("account_id = $1"),
        S::SamlProvider(_) => Some("saml_provider_uuid = $1"),
        _ => None,
    };
    let mut saml: BTreeMap<String, SamlProviderInfo> = BTreeMap::new();
    each_row(conn, scope, SAML_SELECT, filter, |row| {
        let provider = saml_row(row)?.info();
        saml.insert(provider.saml_provider_uuid.clone(), provider);
        Ok(())
    })
    .await?;
    let select = "SELECT k.saml_provider_uuid, k.key_id, k.added_at \
                  FROM saml_provider_private_keys k \
                  JOIN saml_providers p ON p.saml_provider_uuid = k.saml_provider_uuid";
    let filter = match scope {
        S::Everything => Some(NO_FILTER),
        S::Account(_) => Some("p.account_id = $1"),
        S::SamlProvider(_) => Some("k.saml_provider_uuid = $1"),
        _ => None,
    };
    let mut keys: Vec<(String, SamlPrivateKeyInfo)> = Vec::new();
    each_row(conn, scope, select, filter, |row| {
        keys.push((
            row.try_get("saml_provider_uuid")?,
            SamlPrivateKeyInfo {
                key_id: row.try_get("key_id")?,
                added_at: row.try_get("added_at")?,
            },
        ));
        Ok(())
    })
    .await?;
    // As `get_saml_provider` orders them.
    keys.sort_by(|a, b| (&a.0, a.1.added_at, &a.1.key_id).cmp(&(&b.0, b.1.added_at, &b.1.key_id)));
    for (uuid, key) in keys {
        if let Some(provider) = saml.get_mut(&uuid) {
            provider.private_keys.push(key);
        }
    }
    loaded.saml_providers.extend(saml.into_values());
    Ok(())
}
