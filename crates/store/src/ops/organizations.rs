//! AWS Organizations: an organization per management account, its root, organizational
//! units, member accounts, SCPs and RCPs with their attachments, the policy types enabled on
//! the root, CreateAccount's request statuses and tags (migration 0014). Every rule that
//! depends on what is stored (a parent exists, a name is free, a unit is empty, a policy is
//! attached) is checked inside the write that relies on it, so concurrent requests cannot
//! break the tree; a refusal is an [`OrgRefusal`] and nothing is written.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::db::{Store, Write, is_unique_violation};
use crate::error::{EntityKind, Result, StoreError};
use crate::model::{NewAccount, NewRole, Tag, Timestamp};
use crate::ops::accounts::insert_account;
use crate::ops::roles::insert_role;

/// The AWS managed policies of Organizations: (policy id, policy type). Each is attached to
/// the root, every unit and every account while its type is enabled, as AWS does.
pub const AWS_MANAGED_ORG_POLICIES: [(&str, &str); 2] = [
    ("p-FullAWSAccess", "SERVICE_CONTROL_POLICY"),
    ("p-RCPFullAWSAccess", "RESOURCE_CONTROL_POLICY"),
];

/// How deep units may nest under the root (AWS's quota: five levels).
pub const MAX_OU_DEPTH: usize = 5;

/// Why an Organizations write was refused; the service words it as AWS does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgRefusal {
    /// The account already belongs to an organization.
    AlreadyInOrganization,
    /// The organization still has member accounts.
    OrganizationNotEmpty,
    /// No such member account in the organization.
    AccountNotFound,
    /// No such unit in the organization.
    OrganizationalUnitNotFound,
    /// No root or unit with the parent id given.
    ParentNotFound,
    /// MoveAccount: the source parent does not exist.
    SourceParentNotFound,
    /// MoveAccount: the destination parent does not exist.
    DestinationParentNotFound,
    /// MoveAccount: the account is not under the source parent.
    AccountNotUnderSource,
    /// MoveAccount: the account already is under the destination.
    DuplicateAccount,
    /// No such root.
    RootNotFound,
    /// No root, unit or account with that id (attachments, tags).
    TargetNotFound,
    /// No such policy in the organization (or AWS managed).
    PolicyNotFound,
    /// A unit of that name exists under the parent.
    DuplicateOrganizationalUnit,
    /// A policy of that type and name exists.
    DuplicatePolicy,
    /// The policy is attached to the target already.
    DuplicatePolicyAttachment,
    /// The policy is not attached to the target.
    PolicyNotAttached,
    /// The policy is attached somewhere and cannot be deleted.
    PolicyInUse,
    /// The policy's type is not enabled on the root.
    PolicyTypeNotEnabled,
    /// The type is enabled already.
    PolicyTypeAlreadyEnabled,
    /// The unit holds units or accounts.
    OrganizationalUnitNotEmpty,
    /// No CreateAccount request with that id.
    CreateAccountStatusNotFound,
    /// The management account cannot leave, be removed or be closed this way.
    ManagementAccount,
    /// The account is closed already.
    AccountAlreadyClosed,
    /// A unit would nest deeper than [`MAX_OU_DEPTH`].
    OuDepthLimitExceeded,
    /// Detaching would leave the target without any policy of the type (AWS requires one).
    MinPolicyTypeAttachment,
    /// An AWS managed policy cannot be changed or deleted.
    AwsManagedPolicy,
}

impl std::fmt::Display for OrgRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

fn refuse<T>(why: OrgRefusal) -> Result<T> {
    Err(StoreError::Organizations(why))
}

/// An organization with the policy types enabled on its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRecord {
    /// `o-` and 10 characters.
    pub org_id: String,
    /// The management account.
    pub management_account_id: String,
    /// The management account's email in the organization.
    pub management_email: String,
    /// `ALL`.
    pub feature_set: String,
    /// `r-` and 4 characters.
    pub root_id: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// The enabled policy types, sorted.
    pub policy_types: Vec<String>,
}

/// Input of [`Store::create_organization`].
#[derive(Debug, Clone)]
pub struct NewOrganization {
    /// The organization's id.
    pub org_id: String,
    /// The root's id.
    pub root_id: String,
    /// The caller's account, which becomes the management account.
    pub management_account_id: String,
    /// Its name in the organization.
    pub management_name: String,
    /// Its email.
    pub management_email: String,
    /// `ALL`.
    pub feature_set: String,
    /// Creation time.
    pub created_at: Timestamp,
}

/// An account in an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccountRecord {
    /// Twelve digits.
    pub account_id: String,
    /// The organization.
    pub org_id: String,
    /// The root or unit it is placed under.
    pub parent_id: String,
    /// Its name.
    pub name: String,
    /// Its email.
    pub email: String,
    /// `CREATED` or `INVITED`.
    pub joined_method: String,
    /// When it joined.
    pub joined_at: Timestamp,
    /// `ACTIVE` or `SUSPENDED`.
    pub status: String,
}

/// An organizational unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgUnitRecord {
    /// `ou-<root part>-<8 characters>`.
    pub ou_id: String,
    /// The organization.
    pub org_id: String,
    /// The root or unit it is placed under.
    pub parent_id: String,
    /// Its name, unique under the parent.
    pub name: String,
}

/// Input of [`Store::create_org_unit`].
#[derive(Debug, Clone)]
pub struct NewOrgUnit {
    /// The unit's id.
    pub ou_id: String,
    /// The organization.
    pub org_id: String,
    /// The root or unit to place it under.
    pub parent_id: String,
    /// Its name.
    pub name: String,
    /// Tags, written with it.
    pub tags: Vec<Tag>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// A customer managed SCP or RCP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPolicyRecord {
    /// `p-` and 8 characters.
    pub policy_id: String,
    /// The organization.
    pub org_id: String,
    /// `SERVICE_CONTROL_POLICY` or `RESOURCE_CONTROL_POLICY`.
    pub policy_type: String,
    /// Its name, unique per type.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The document, validated by the service as a policy of its type.
    pub content: String,
}

/// Input of [`Store::create_org_policy`].
#[derive(Debug, Clone)]
pub struct NewOrgPolicy {
    /// The record.
    pub policy: OrgPolicyRecord,
    /// Tags, written with it.
    pub tags: Vec<Tag>,
}

/// What UpdatePolicy changes (absent: unchanged).
#[derive(Debug, Clone, Default)]
pub struct OrgPolicyUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// A new document.
    pub content: Option<String>,
}

/// A CreateAccount request's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAccountStatusRecord {
    /// `car-` and 8 to 32 characters.
    pub request_id: String,
    /// The organization.
    pub org_id: String,
    /// The account name asked for.
    pub account_name: String,
    /// `IN_PROGRESS`, `SUCCEEDED` or `FAILED`.
    pub state: String,
    /// When it was asked for.
    pub requested_at: Timestamp,
    /// When it finished.
    pub completed_at: Option<Timestamp>,
    /// The account made.
    pub account_id: Option<String>,
    /// AWS's reason code when it failed.
    pub failure_reason: Option<String>,
}

/// Input of [`Store::create_member_account`]: a new Castellan account and the role AWS
/// creates in it, made a member of the organization, in one transaction.
#[derive(Debug, Clone)]
pub struct NewMemberAccount {
    /// The organization.
    pub org_id: String,
    /// The account (its root user comes with it).
    pub account: NewAccount,
    /// Its name in the organization.
    pub name: String,
    /// The access role (`OrganizationAccountAccessRole`), trusting the management account.
    pub role: NewRole,
    /// The managed policies attached to the role.
    pub role_policies: Vec<String>,
    /// The account's tags in the organization.
    pub tags: Vec<Tag>,
    /// The request's status, written `SUCCEEDED` with the account.
    pub status: CreateAccountStatusRecord,
}

const ORG_SELECT: &str = "SELECT o.org_id, o.management_account_id, o.feature_set, o.root_id, \
     o.created_at, a.email AS management_email FROM organizations o \
     JOIN org_accounts a ON a.account_id = o.management_account_id";

const ACCOUNT_SELECT: &str = "SELECT account_id, org_id, parent_id, name, email, joined_method, \
     joined_at, status FROM org_accounts";

const UNIT_SELECT: &str = "SELECT ou_id, org_id, parent_id, name FROM org_units";

const POLICY_SELECT: &str =
    "SELECT policy_id, org_id, policy_type, name, description, content FROM org_policies";

const STATUS_SELECT: &str = "SELECT request_id, org_id, account_name, state, requested_at, \
     completed_at, account_id, failure_reason FROM org_create_account_status";

fn org_account(row: &AnyRow) -> Result<OrgAccountRecord> {
    Ok(OrgAccountRecord {
        account_id: row.try_get("account_id")?,
        org_id: row.try_get("org_id")?,
        parent_id: row.try_get("parent_id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        joined_method: row.try_get("joined_method")?,
        joined_at: row.try_get("joined_at")?,
        status: row.try_get("status")?,
    })
}

fn org_unit(row: &AnyRow) -> Result<OrgUnitRecord> {
    Ok(OrgUnitRecord {
        ou_id: row.try_get("ou_id")?,
        org_id: row.try_get("org_id")?,
        parent_id: row.try_get("parent_id")?,
        name: row.try_get("name")?,
    })
}

fn org_policy(row: &AnyRow) -> Result<OrgPolicyRecord> {
    Ok(OrgPolicyRecord {
        policy_id: row.try_get("policy_id")?,
        org_id: row.try_get("org_id")?,
        policy_type: row.try_get("policy_type")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        content: row.try_get("content")?,
    })
}

fn status(row: &AnyRow) -> Result<CreateAccountStatusRecord> {
    Ok(CreateAccountStatusRecord {
        request_id: row.try_get("request_id")?,
        org_id: row.try_get("org_id")?,
        account_name: row.try_get("account_name")?,
        state: row.try_get("state")?,
        requested_at: row.try_get("requested_at")?,
        completed_at: row.try_get("completed_at")?,
        account_id: row.try_get("account_id")?,
        failure_reason: row.try_get("failure_reason")?,
    })
}

/// A unique-constraint violation as the refusal it means; other failures as they are.
fn taken(why: OrgRefusal) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::Organizations(why)
        } else {
            e.into()
        }
    }
}

/// The one row of `select` whose organization and `key` column match, read by `read`;
/// `missing` when there is none.
async fn one<T>(
    pool: &sqlx::AnyPool,
    (select, key): (&str, &str),
    org_id: &str,
    id: &str,
    read: fn(&AnyRow) -> Result<T>,
    missing: OrgRefusal,
) -> Result<T> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{select} WHERE org_id = $1 AND {key} = $2"
    )))
    .bind(org_id)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    match row {
        Some(row) => read(&row),
        None => refuse(missing),
    }
}

/// Every row of `select` in the organization, in `order`, read by `read`.
async fn all_of<T>(
    pool: &sqlx::AnyPool,
    (select, order): (&str, &str),
    org_id: &str,
    read: fn(&AnyRow) -> Result<T>,
) -> Result<Vec<T>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{select} WHERE org_id = $1 ORDER BY {order}"
    )))
    .bind(org_id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(read).collect()
}

/// The AWS managed policy's type, for an id that names one.
fn aws_managed_type(policy_id: &str) -> Option<&'static str> {
    AWS_MANAGED_ORG_POLICIES
        .iter()
        .find(|(id, _)| *id == policy_id)
        .map(|(_, t)| *t)
}

async fn organization_row(
    conn: &mut AnyConnection,
    clause: &str,
    key: &str,
) -> Result<Option<OrganizationRecord>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{ORG_SELECT} WHERE {clause}")))
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let org_id: String = row.try_get("org_id")?;
    let types = sqlx::query(
        "SELECT policy_type FROM org_policy_types WHERE org_id = $1 ORDER BY policy_type",
    )
    .bind(&org_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(OrganizationRecord {
        org_id,
        management_account_id: row.try_get("management_account_id")?,
        management_email: row.try_get("management_email")?,
        feature_set: row.try_get("feature_set")?,
        root_id: row.try_get("root_id")?,
        created_at: row.try_get("created_at")?,
        policy_types: types
            .iter()
            .map(|r| r.try_get("policy_type"))
            .collect::<std::result::Result<_, _>>()?,
    }))
}

async fn require_org(conn: &mut AnyConnection, org_id: &str) -> Result<OrganizationRecord> {
    match organization_row(conn, "o.org_id = $1", org_id).await? {
        Some(org) => Ok(org),
        None => Err(StoreError::Organizations(OrgRefusal::RootNotFound)),
    }
}

async fn exists(conn: &mut AnyConnection, sql: &'static str, a: &str, b: &str) -> Result<bool> {
    Ok(sqlx::query(sql)
        .bind(a)
        .bind(b)
        .fetch_optional(conn)
        .await?
        .is_some())
}

async fn unit_in(conn: &mut AnyConnection, org_id: &str, ou_id: &str) -> Result<bool> {
    exists(
        conn,
        "SELECT 1 FROM org_units WHERE org_id = $1 AND ou_id = $2",
        org_id,
        ou_id,
    )
    .await
}

async fn account_in(conn: &mut AnyConnection, org_id: &str, account_id: &str) -> Result<bool> {
    exists(
        conn,
        "SELECT 1 FROM org_accounts WHERE org_id = $1 AND account_id = $2",
        org_id,
        account_id,
    )
    .await
}

/// Whether `id` is the root or a unit of the organization.
async fn parent_in(conn: &mut AnyConnection, org: &OrganizationRecord, id: &str) -> Result<bool> {
    Ok(id == org.root_id || unit_in(conn, &org.org_id, id).await?)
}

/// Whether `id` is the root, a unit or an account of the organization.
async fn target_in(conn: &mut AnyConnection, org: &OrganizationRecord, id: &str) -> Result<bool> {
    Ok(parent_in(conn, org, id).await? || account_in(conn, &org.org_id, id).await?)
}

/// The policy's type, when the organization has it (AWS managed policies included).
async fn policy_type_of(
    conn: &mut AnyConnection,
    org_id: &str,
    policy_id: &str,
) -> Result<Option<String>> {
    if let Some(t) = aws_managed_type(policy_id) {
        return Ok(Some(t.to_owned()));
    }
    let row =
        sqlx::query("SELECT policy_type FROM org_policies WHERE org_id = $1 AND policy_id = $2")
            .bind(org_id)
            .bind(policy_id)
            .fetch_optional(conn)
            .await?;
    row.map(|r| r.try_get("policy_type"))
        .transpose()
        .map_err(Into::into)
}

/// How many units lie between the root and `parent_id`, itself included (the root is 0).
async fn depth_of(
    conn: &mut AnyConnection,
    org: &OrganizationRecord,
    parent_id: &str,
) -> Result<usize> {
    let mut depth = 0;
    let mut at = parent_id.to_owned();
    while at != org.root_id {
        let row = sqlx::query("SELECT parent_id FROM org_units WHERE org_id = $1 AND ou_id = $2")
            .bind(&org.org_id)
            .bind(&at)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else {
            return refuse(OrgRefusal::ParentNotFound);
        };
        at = row.try_get("parent_id")?;
        depth += 1;
        if depth > MAX_OU_DEPTH + 1 {
            break;
        }
    }
    Ok(depth)
}

/// Attaches the AWS managed policy of every enabled type to a new target.
async fn attach_defaults(w: &mut Write, org: &OrganizationRecord, target_id: &str) -> Result<()> {
    for (policy_id, policy_type) in AWS_MANAGED_ORG_POLICIES {
        if org.policy_types.iter().any(|t| t == policy_type) {
            insert_attachment(w, &org.org_id, policy_id, policy_type, target_id).await?;
        }
    }
    Ok(())
}

async fn insert_attachment(
    w: &mut Write,
    org_id: &str,
    policy_id: &str,
    policy_type: &str,
    target_id: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO org_policy_attachments (org_id, policy_id, policy_type, target_id) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(org_id)
    .bind(policy_id)
    .bind(policy_type)
    .bind(target_id)
    .execute(w.conn())
    .await
    .map_err(taken(OrgRefusal::DuplicatePolicyAttachment))?;
    Ok(())
}

async fn insert_org_tags(
    w: &mut Write,
    org_id: &str,
    resource_id: &str,
    tags: &[Tag],
) -> Result<()> {
    for tag in tags {
        sqlx::query(
            "INSERT INTO org_tags (org_id, resource_id, tag_key, tag_value) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (resource_id, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
        )
        .bind(org_id)
        .bind(resource_id)
        .bind(&tag.key)
        .bind(&tag.value)
        .execute(w.conn())
        .await?;
    }
    Ok(())
}

/// An account's row in its organization, with the enabled types' AWS managed policies.
async fn insert_membership(
    w: &mut Write,
    org: &OrganizationRecord,
    record: &OrgAccountRecord,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO org_accounts (account_id, org_id, parent_id, name, email, joined_method, \
         joined_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&record.account_id)
    .bind(&record.org_id)
    .bind(&record.parent_id)
    .bind(&record.name)
    .bind(&record.email)
    .bind(&record.joined_method)
    .bind(record.joined_at)
    .bind(&record.status)
    .execute(w.conn())
    .await?;
    attach_defaults(w, org, &record.account_id).await
}

/// Removes what hangs off a target that goes: its attachments and tags.
/// Commits an Organizations write with a change-log entry of kind
/// [`EntityKind::Organization`]: nodes keep the guardrails they compiled (`org_guardrails`)
/// until such an entry comes.
async fn commit_org(mut w: Write) -> Result<i64> {
    w.touched("", EntityKind::Organization, "").await?;
    w.commit().await
}

async fn forget_target(w: &mut Write, target_id: &str) -> Result<()> {
    for sql in [
        "DELETE FROM org_policy_attachments WHERE target_id = $1",
        "DELETE FROM org_tags WHERE resource_id = $1",
    ] {
        sqlx::query(sql).bind(target_id).execute(w.conn()).await?;
    }
    Ok(())
}

impl Store {
    /// Creates an organization with the caller's account as its management account, placed
    /// under the new root. `AlreadyInOrganization` when the account belongs to one.
    pub async fn create_organization(&self, new: &NewOrganization) -> Result<OrganizationRecord> {
        let mut w = self.begin_write().await?;
        let taken = sqlx::query("SELECT 1 FROM org_accounts WHERE account_id = $1")
            .bind(&new.management_account_id)
            .fetch_optional(w.conn())
            .await?;
        if taken.is_some() {
            return refuse(OrgRefusal::AlreadyInOrganization);
        }
        sqlx::query(
            "INSERT INTO organizations (org_id, management_account_id, feature_set, root_id, \
             created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&new.org_id)
        .bind(&new.management_account_id)
        .bind(&new.feature_set)
        .bind(&new.root_id)
        .bind(new.created_at)
        .execute(w.conn())
        .await?;
        sqlx::query(
            "INSERT INTO org_accounts (account_id, org_id, parent_id, name, email, joined_method, \
             joined_at, status) VALUES ($1, $2, $3, $4, $5, 'INVITED', $6, 'ACTIVE')",
        )
        .bind(&new.management_account_id)
        .bind(&new.org_id)
        .bind(&new.root_id)
        .bind(&new.management_name)
        .bind(&new.management_email)
        .bind(new.created_at)
        .execute(w.conn())
        .await?;
        commit_org(w).await?;
        Ok(OrganizationRecord {
            org_id: new.org_id.clone(),
            management_account_id: new.management_account_id.clone(),
            management_email: new.management_email.clone(),
            feature_set: new.feature_set.clone(),
            root_id: new.root_id.clone(),
            created_at: new.created_at,
            policy_types: Vec::new(),
        })
    }

    /// The organization an account belongs to, if any.
    pub async fn organization_of(&self, account_id: &str) -> Result<Option<OrganizationRecord>> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query("SELECT org_id FROM org_accounts WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let org_id: String = row.try_get("org_id")?;
        organization_row(&mut conn, "o.org_id = $1", &org_id).await
    }

    /// Deletes an organization whose only account is its management account, with its units,
    /// policies, attachments, statuses and tags. `OrganizationNotEmpty` otherwise.
    pub async fn delete_organization(&self, org_id: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let org = require_org(w.conn(), org_id).await?;
        let members =
            sqlx::query("SELECT 1 FROM org_accounts WHERE org_id = $1 AND account_id <> $2")
                .bind(org_id)
                .bind(&org.management_account_id)
                .fetch_optional(w.conn())
                .await?;
        if members.is_some() {
            return refuse(OrgRefusal::OrganizationNotEmpty);
        }
        for sql in [
            "DELETE FROM org_tags WHERE org_id = $1",
            "DELETE FROM org_create_account_status WHERE org_id = $1",
            "DELETE FROM org_policy_attachments WHERE org_id = $1",
            "DELETE FROM org_policies WHERE org_id = $1",
            "DELETE FROM org_accounts WHERE org_id = $1",
            "DELETE FROM org_units WHERE org_id = $1",
            "DELETE FROM org_policy_types WHERE org_id = $1",
            "DELETE FROM organizations WHERE org_id = $1",
        ] {
            sqlx::query(sql).bind(org_id).execute(w.conn()).await?;
        }
        commit_org(w).await?;
        Ok(())
    }

    /// CreateAccount: the account (root user and all), its access role with its policies,
    /// its membership under the root with the enabled types' AWS managed policies, its tags
    /// and the request's `SUCCEEDED` status, in one transaction. An email or id already
    /// taken is `EntityAlreadyExists` and nothing is written.
    pub async fn create_member_account(&self, new: &NewMemberAccount) -> Result<OrgAccountRecord> {
        let mut w = self.begin_write().await?;
        let org = require_org(w.conn(), &new.org_id).await?;
        insert_account(&mut w, &new.account).await?;
        insert_role(&mut w, &new.role, &new.role_policies).await?;
        let record = OrgAccountRecord {
            account_id: new.account.account_id.clone(),
            org_id: org.org_id.clone(),
            parent_id: org.root_id.clone(),
            name: new.name.clone(),
            email: new.account.email.clone(),
            joined_method: "CREATED".to_owned(),
            joined_at: new.account.created_at,
            status: "ACTIVE".to_owned(),
        };
        insert_membership(&mut w, &org, &record).await?;
        insert_org_tags(&mut w, &org.org_id, &record.account_id, &new.tags).await?;
        insert_status(&mut w, &new.status).await?;
        commit_org(w).await?;
        Ok(record)
    }

    /// An existing account joins an organization under its root, as an accepted invitation
    /// makes it (`INVITED`), with the enabled types' AWS managed policies attached: the way
    /// fixtures bring their declared accounts in (Castellan has no handshakes).
    /// `AlreadyInOrganization` when the account belongs to one.
    pub async fn join_organization(
        &self,
        org_id: &str,
        account_id: &str,
        name: &str,
        joined_at: Timestamp,
    ) -> Result<OrgAccountRecord> {
        let mut w = self.begin_write().await?;
        let org = require_org(w.conn(), org_id).await?;
        let taken = sqlx::query("SELECT 1 FROM org_accounts WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(w.conn())
            .await?;
        if taken.is_some() {
            return refuse(OrgRefusal::AlreadyInOrganization);
        }
        let email: String = sqlx::query("SELECT email FROM accounts WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(w.conn())
            .await?
            .ok_or_else(|| crate::db::not_found(crate::EntityKind::Account, account_id))?
            .try_get("email")?;
        let record = OrgAccountRecord {
            account_id: account_id.to_owned(),
            org_id: org.org_id.clone(),
            parent_id: org.root_id.clone(),
            name: name.to_owned(),
            email,
            joined_method: "INVITED".to_owned(),
            joined_at,
            status: "ACTIVE".to_owned(),
        };
        insert_membership(&mut w, &org, &record).await?;
        commit_org(w).await?;
        Ok(record)
    }

    /// Records a CreateAccount request that failed (its `FAILED` status and reason).
    pub async fn record_create_account_status(
        &self,
        status: &CreateAccountStatusRecord,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        insert_status(&mut w, status).await?;
        commit_org(w).await?;
        Ok(())
    }

    /// A CreateAccount request's status.
    pub async fn get_create_account_status(
        &self,
        org_id: &str,
        request_id: &str,
    ) -> Result<CreateAccountStatusRecord> {
        let select = (STATUS_SELECT, "request_id");
        let missing = OrgRefusal::CreateAccountStatusNotFound;
        one(&self.pool, select, org_id, request_id, status, missing).await
    }

    /// Every CreateAccount status of the organization, oldest first.
    pub async fn list_create_account_statuses(
        &self,
        org_id: &str,
    ) -> Result<Vec<CreateAccountStatusRecord>> {
        let select = (STATUS_SELECT, "requested_at, request_id");
        all_of(&self.pool, select, org_id, status).await
    }

    /// The organization's accounts, by id.
    pub async fn list_org_accounts(&self, org_id: &str) -> Result<Vec<OrgAccountRecord>> {
        all_of(
            &self.pool,
            (ACCOUNT_SELECT, "account_id"),
            org_id,
            org_account,
        )
        .await
    }

    /// One account of the organization; `AccountNotFound` when it is not a member.
    pub async fn get_org_account(
        &self,
        org_id: &str,
        account_id: &str,
    ) -> Result<OrgAccountRecord> {
        let select = (ACCOUNT_SELECT, "account_id");
        let missing = OrgRefusal::AccountNotFound;
        one(&self.pool, select, org_id, account_id, org_account, missing).await
    }

    /// CloseAccount: the member account's status becomes `SUSPENDED`.
    pub async fn close_org_account(&self, org_id: &str, account_id: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let org = require_org(w.conn(), org_id).await?;
        if account_id == org.management_account_id {
            return refuse(OrgRefusal::ManagementAccount);
        }
        let row =
            sqlx::query("SELECT status FROM org_accounts WHERE org_id = $1 AND account_id = $2")
                .bind(org_id)
                .bind(account_id)
                .fetch_optional(w.conn())
                .await?;
        let Some(row) = row else {
            return refuse(OrgRefusal::AccountNotFound);
        };
        if row.try_get::<String, _>("status")? != "ACTIVE" {
            return refuse(OrgRefusal::AccountAlreadyClosed);
        }
        sqlx::query("UPDATE org_accounts SET status = 'SUSPENDED' WHERE account_id = $1")
            .bind(account_id)
            .execute(w.conn())
            .await?;
        commit_org(w).await?;
        Ok(())
    }

    /// RemoveAccountFromOrganization: the account leaves (it stays a Castellan account), its
    /// attachments and organization tags go.
    pub async fn remove_org_account(&self, org_id: &str, account_id: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let org = require_org(w.conn(), org_id).await?;
        if account_id == org.management_account_id {
            return refuse(OrgRefusal::ManagementAccount);
        }
        let gone = sqlx::query("DELETE FROM org_accounts WHERE org_id = $1 AND account_id = $2")
            .bind(org_id)
            .bind(account_id)
            .execute(w.conn())
            .await?;
        if gone.rows_affected() == 0 {
            return refuse(OrgRefusal::AccountNotFound);
        }
        forget_target(&mut w, account_id).await?;
        commit_org(w).await?;
        Ok(())
    }

    /// Creates a unit under a root or unit, with the enabled types' AWS managed policies and
    /// its tags. `ParentNotFound`, `DuplicateOrganizationalUnit`, `OuDepthLimitExceeded`.
    pub async fn create_org_unit(&self, new: &NewOrgUnit) -> Result<OrgUnitRecord> {
        let mut w = self.begin_write().await?;
        let org = require_org(w.conn(), &new.org_id).await?;
        if !parent_in(w.conn(), &org, &new.parent_id).await? {
            return refuse(OrgRefusal::ParentNotFound);
        }
        if depth_of(w.conn(), &org, &new.parent_id).await? >= MAX_OU_DEPTH {
            return refuse(OrgRefusal::OuDepthLimitExceeded);
        }
        sqlx::query(
            "INSERT INTO org_units (ou_id, org_id, parent_id, name, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&new.ou_id)
        .bind(&new.org_id)
        .bind(&new.parent_id)
        .bind(&new.name)
        .bind(new.created_at)
        .execute(w.conn())
        .await
        .map_err(taken(OrgRefusal::DuplicateOrganizationalUnit))?;
        attach_defaults(&mut w, &org, &new.ou_id).await?;
        insert_org_tags(&mut w, &org.org_id, &new.ou_id, &new.tags).await?;
        commit_org(w).await?;
        Ok(OrgUnitRecord {
            ou_id: new.ou_id.clone(),
            org_id: new.org_id.clone(),
            parent_id: new.parent_id.clone(),
            name: new.name.clone(),
        })
    }

    /// One unit; `OrganizationalUnitNotFound`.
    pub async fn get_org_unit(&self, org_id: &str, ou_id: &str) -> Result<OrgUnitRecord> {
        let missing = OrgRefusal::OrganizationalUnitNotFound;
        one(
            &self.pool,
            (UNIT_SELECT, "ou_id"),
            org_id,
            ou_id,
            org_unit,
            missing,
        )
        .await
    }

    /// Every unit of the organization, by id.
    pub async fn list_org_units(&self, org_id: &str) -> Result<Vec<OrgUnitRecord>> {
        all_of(&self.pool, (UNIT_SELECT, "ou_id"), org_id, org_unit).await
    }

    /// Renames a unit; `DuplicateOrganizationalUnit` when a sibling has the name.
    pub async fn rename_org_unit(
        &self,
        org_id: &str,
        ou_id: &str,
        name: &str,
    ) -> Result<OrgUnitRecord> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query("UPDATE org_units SET name = $1 WHERE org_id = $2 AND ou_id = $3")
            .bind(name)
            .bind(org_id)
            .bind(ou_id)
            .execute(w.conn())
            .await
            .map_err(taken(OrgRefusal::DuplicateOrganizationalUnit))?;
        if done.rows_affected() == 0 {
            return refuse(OrgRefusal::OrganizationalUnitNotFound);
        }
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{UNIT_SELECT} WHERE ou_id = $1"
        )))
        .bind(ou_id)
        .fetch_one(w.conn())
        .await?;
        let unit = org_unit(&row)?;
        commit_org(w).await?;
        Ok(unit)
    }

    /// Deletes an empty unit; `OrganizationalUnitNotEmpty` when units or accounts are in it.
    pub async fn delete_org_unit(&self, org_id: &str, ou_id: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        if !unit_in(w.conn(), org_id, ou_id).await? {
            return refuse(OrgRefusal::OrganizationalUnitNotFound);
        }
        let child = exists(
            w.conn(),
            "SELECT 1 FROM org_units WHERE parent_id = $1 AND org_id = $2 \
             UNION ALL SELECT 1 FROM org_accounts WHERE parent_id = $1 AND org_id = $2",
            ou_id,
            org_id,
        )
        .await?;
        if child {
            return refuse(OrgRefusal::OrganizationalUnitNotEmpty);
        }
        sqlx::query("DELETE FROM org_units WHERE ou_id = $1")
            .bind(ou_id)
            .execute(w.conn())
            .await?;
        forget_target(&mut w, ou_id).await?;
        commit_org(w).await?;
        Ok(())
    }

    /// MoveAccount from `source` to `destination` (roots or units).
    pub async fn move_org_account(
        &self,
        org_id: &str,
        account_id: &str,
        source: &str,
        destination: &str,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let org = require_org(w.conn(), org_id).await?;
        if !parent_in(w.conn(), &org, source).await? {
            return refuse(OrgRefusal::SourceParentNotFound);
        }
        if !parent_in(w.conn(), &org, destination).await? {
            return refuse(OrgRefusal::DestinationParentNotFound);
        }
        let row =
            sqlx::query("SELECT parent_id FROM org_accounts WHERE org_id = $1 AND account_id = $2")
                .bind(org_id)
                .bind(account_id)
                .fetch_optional(w.conn())
                .await?;
        let Some(row) = row else {
            return refuse(OrgRefusal::AccountNotFound);
        };
        let parent: String = row.try_get("parent_id")?;
        if parent == destination {
            return refuse(OrgRefusal::DuplicateAccount);
        }
        if parent != source {
            return refuse(OrgRefusal::AccountNotUnderSource);
        }
        sqlx::query("UPDATE org_accounts SET parent_id = $1 WHERE account_id = $2")
            .bind(destination)
            .bind(account_id)
            .execute(w.conn())
            .await?;
        commit_org(w).await?;
        Ok(())
    }

    /// Enables a policy type on the root: its AWS managed policy is attached to the root,
    /// every unit and every account.
    pub async fn enable_org_policy_type(
        &self,
        org_id: &str,
        root_id: &str,
        policy_type: &str,
    ) -> Result<OrganizationRecord> {
        let mut w = self.begin_write().await?;
        let mut org = require_org(w.conn(), org_id).await?;
        if org.root_id != root_id {
            return refuse(OrgRefusal::RootNotFound);
        }
        if org.policy_types.iter().any(|t| t == policy_type) {
            return refuse(OrgRefusal::PolicyTypeAlreadyEnabled);
        }
        sqlx::query("INSERT INTO org_policy_types (org_id, policy_type) VALUES ($1, $2)")
            .bind(org_id)
            .bind(policy_type)
            .execute(w.conn())
            .await?;
        if let Some((policy_id, _)) = AWS_MANAGED_ORG_POLICIES
            .iter()
            .find(|(_, t)| *t == policy_type)
        {
            let mut targets = vec![org.root_id.clone()];
            for (sql, column) in [
                ("SELECT ou_id AS id FROM org_units WHERE org_id = $1", "id"),
                (
                    "SELECT account_id AS id FROM org_accounts WHERE org_id = $1",
                    "id",
                ),
            ] {
                for row in sqlx::query(sql).bind(org_id).fetch_all(w.conn()).await? {
                    targets.push(row.try_get(column)?);
                }
            }
            for target in targets {
                insert_attachment(&mut w, org_id, policy_id, policy_type, &target).await?;
            }
        }
        commit_org(w).await?;
        org.policy_types.push(policy_type.to_owned());
        org.policy_types.sort();
        Ok(org)
    }

    /// Disables a policy type: every policy of the type is detached everywhere.
    pub async fn disable_org_policy_type(
        &self,
        org_id: &str,
        root_id: &str,
        policy_type: &str,
    ) -> Result<OrganizationRecord> {
        let mut w = self.begin_write().await?;
        let mut org = require_org(w.conn(), org_id).await?;
        if org.root_id != root_id {
            return refuse(OrgRefusal::RootNotFound);
        }
        if !org.policy_types.iter().any(|t| t == policy_type) {
            return refuse(OrgRefusal::PolicyTypeNotEnabled);
        }
        for sql in [
            "DELETE FROM org_policy_types WHERE org_id = $1 AND policy_type = $2",
            "DELETE FROM org_policy_attachments WHERE org_id = $1 AND policy_type = $2",
        ] {
            sqlx::query(sql)
                .bind(org_id)
                .bind(policy_type)
                .execute(w.conn())
                .await?;
        }
        commit_org(w).await?;
        org.policy_types.retain(|t| t != policy_type);
        Ok(org)
    }

    /// Creates a customer managed policy with its tags; `DuplicatePolicy` when the type has
    /// one of that name.
    pub async fn create_org_policy(&self, new: &NewOrgPolicy) -> Result<OrgPolicyRecord> {
        let p = &new.policy;
        let mut w = self.begin_write().await?;
        require_org(w.conn(), &p.org_id).await?;
        sqlx::query(
            "INSERT INTO org_policies (policy_id, org_id, policy_type, name, description, content) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&p.policy_id)
        .bind(&p.org_id)
        .bind(&p.policy_type)
        .bind(&p.name)
        .bind(&p.description)
        .bind(&p.content)
        .execute(w.conn())
        .await
        .map_err(taken(OrgRefusal::DuplicatePolicy))?;
        insert_org_tags(&mut w, &p.org_id, &p.policy_id, &new.tags).await?;
        commit_org(w).await?;
        Ok(p.clone())
    }

    /// A customer managed policy; `PolicyNotFound`.
    pub async fn get_org_policy(&self, org_id: &str, policy_id: &str) -> Result<OrgPolicyRecord> {
        let select = (POLICY_SELECT, "policy_id");
        let missing = OrgRefusal::PolicyNotFound;
        one(&self.pool, select, org_id, policy_id, org_policy, missing).await
    }

    /// The customer managed policies of a type, by name.
    pub async fn list_org_policies(
        &self,
        org_id: &str,
        policy_type: &str,
    ) -> Result<Vec<OrgPolicyRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{POLICY_SELECT} WHERE org_id = $1 AND policy_type = $2 ORDER BY name"
        )))
        .bind(org_id)
        .bind(policy_type)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(org_policy).collect()
    }

    /// UpdatePolicy; `PolicyNotFound`, `AwsManagedPolicy`, `DuplicatePolicy`.
    pub async fn update_org_policy(
        &self,
        org_id: &str,
        policy_id: &str,
        update: &OrgPolicyUpdate,
    ) -> Result<OrgPolicyRecord> {
        if aws_managed_type(policy_id).is_some() {
            return refuse(OrgRefusal::AwsManagedPolicy);
        }
        let mut w = self.begin_write().await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{POLICY_SELECT} WHERE org_id = $1 AND policy_id = $2"
        )))
        .bind(org_id)
        .bind(policy_id)
        .fetch_optional(w.conn())
        .await?;
        let Some(row) = row else {
            return refuse(OrgRefusal::PolicyNotFound);
        };
        let mut policy = org_policy(&row)?;
        if let Some(name) = &update.name {
            policy.name.clone_from(name);
        }
        if let Some(description) = &update.description {
            policy.description.clone_from(description);
        }
        if let Some(content) = &update.content {
            policy.content.clone_from(content);
        }
        sqlx::query("UPDATE org_policies SET name = $1, description = $2, content = $3 WHERE policy_id = $4")
            .bind(&policy.name)
            .bind(&policy.description)
            .bind(&policy.content)
            .bind(policy_id)
            .execute(w.conn())
            .await
            .map_err(taken(OrgRefusal::DuplicatePolicy))?;
        commit_org(w).await?;
        Ok(policy)
    }

    /// DeletePolicy; `PolicyInUse` while attached anywhere.
    pub async fn delete_org_policy(&self, org_id: &str, policy_id: &str) -> Result<()> {
        if aws_managed_type(policy_id).is_some() {
            return refuse(OrgRefusal::AwsManagedPolicy);
        }
        let mut w = self.begin_write().await?;
        if policy_type_of(w.conn(), org_id, policy_id).await?.is_none() {
            return refuse(OrgRefusal::PolicyNotFound);
        }
        let attached = sqlx::query("SELECT 1 FROM org_policy_attachments WHERE policy_id = $1")
            .bind(policy_id)
            .fetch_optional(w.conn())
            .await?;
        if attached.is_some() {
            return refuse(OrgRefusal::PolicyInUse);
        }
        sqlx::query("DELETE FROM org_policies WHERE policy_id = $1")
            .bind(policy_id)
            .execute(w.conn())
            .await?;
        sqlx::query("DELETE FROM org_tags WHERE resource_id = $1")
            .bind(policy_id)
            .execute(w.conn())
            .await?;
        commit_org(w).await?;
        Ok(())
    }

    /// AttachPolicy: `PolicyNotFound`, `TargetNotFound`, `PolicyTypeNotEnabled`,
    /// `DuplicatePolicyAttachment`.
    pub async fn attach_org_policy(
        &self,
        org_id: &str,
        policy_id: &str,
        target_id: &str,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let org = require_org(w.conn(), org_id).await?;
        let Some(policy_type) = policy_type_of(w.conn(), org_id, policy_id).await? else {
            return refuse(OrgRefusal::PolicyNotFound);
        };
        if !target_in(w.conn(), &org, target_id).await? {
            return refuse(OrgRefusal::TargetNotFound);
        }
        if !org.policy_types.contains(&policy_type) {
            return refuse(OrgRefusal::PolicyTypeNotEnabled);
        }
        insert_attachment(&mut w, org_id, policy_id, &policy_type, target_id).await?;
        commit_org(w).await?;
        Ok(())
    }

    /// DetachPolicy: `PolicyNotAttached`, and `MinPolicyTypeAttachment` when it is the
    /// target's last policy of its type.
    pub async fn detach_org_policy(
        &self,
        org_id: &str,
        policy_id: &str,
        target_id: &str,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let org = require_org(w.conn(), org_id).await?;
        let Some(policy_type) = policy_type_of(w.conn(), org_id, policy_id).await? else {
            return refuse(OrgRefusal::PolicyNotFound);
        };
        if !target_in(w.conn(), &org, target_id).await? {
            return refuse(OrgRefusal::TargetNotFound);
        }
        let gone = sqlx::query(
            "DELETE FROM org_policy_attachments WHERE policy_id = $1 AND target_id = $2",
        )
        .bind(policy_id)
        .bind(target_id)
        .execute(w.conn())
        .await?;
        if gone.rows_affected() == 0 {
            return refuse(OrgRefusal::PolicyNotAttached);
        }
        let left = exists(
            w.conn(),
            "SELECT 1 FROM org_policy_attachments WHERE target_id = $1 AND policy_type = $2",
            target_id,
            &policy_type,
        )
        .await?;
        if !left {
            return refuse(OrgRefusal::MinPolicyTypeAttachment);
        }
        commit_org(w).await?;
        Ok(())
    }

    /// The ids of the policies of a type attached to a target, sorted.
    pub async fn list_org_policies_for_target(
        &self,
        org_id: &str,
        target_id: &str,
        policy_type: &str,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT policy_id FROM org_policy_attachments WHERE org_id = $1 AND target_id = $2 \
             AND policy_type = $3 ORDER BY policy_id",
        )
        .bind(org_id)
        .bind(target_id)
        .bind(policy_type)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get("policy_id").map_err(Into::into))
            .collect()
    }

    /// The ids of the targets a policy is attached to, sorted.
    pub async fn list_org_targets_for_policy(
        &self,
        org_id: &str,
        policy_id: &str,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT target_id FROM org_policy_attachments WHERE org_id = $1 AND policy_id = $2 \
             ORDER BY target_id",
        )
        .bind(org_id)
        .bind(policy_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get("target_id").map_err(Into::into))
            .collect()
    }

    /// TagResource on a root, unit, account or policy of the organization (keys replaced);
    /// `TargetNotFound` when the organization has no such resource.
    pub async fn tag_org_resource(
        &self,
        org_id: &str,
        resource_id: &str,
        tags: &[Tag],
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let org = require_org(w.conn(), org_id).await?;
        let found = target_in(w.conn(), &org, resource_id).await?
            || policy_type_of(w.conn(), org_id, resource_id)
                .await?
                .is_some();
        if !found || aws_managed_type(resource_id).is_some() {
            return refuse(OrgRefusal::TargetNotFound);
        }
        insert_org_tags(&mut w, org_id, resource_id, tags).await?;
        commit_org(w).await?;
        Ok(())
    }

    /// UntagResource: removes the keys the resource has.
    pub async fn untag_org_resource(
        &self,
        org_id: &str,
        resource_id: &str,
        keys: &[String],
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let org = require_org(w.conn(), org_id).await?;
        let found = target_in(w.conn(), &org, resource_id).await?
            || policy_type_of(w.conn(), org_id, resource_id)
                .await?
                .is_some();
        if !found || aws_managed_type(resource_id).is_some() {
            return refuse(OrgRefusal::TargetNotFound);
        }
        for key in keys {
            sqlx::query("DELETE FROM org_tags WHERE resource_id = $1 AND tag_key = $2")
                .bind(resource_id)
                .bind(key)
                .execute(w.conn())
                .await?;
        }
        commit_org(w).await?;
        Ok(())
    }

    /// A resource's tags, by key.
    pub async fn list_org_tags(&self, org_id: &str, resource_id: &str) -> Result<Vec<Tag>> {
        let rows = sqlx::query(
            "SELECT tag_key, tag_value FROM org_tags WHERE org_id = $1 AND resource_id = $2 \
             ORDER BY tag_key",
        )
        .bind(org_id)
        .bind(resource_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Tag {
                    key: r.try_get("tag_key")?,
                    value: r.try_get("tag_value")?,
                })
            })
            .collect()
    }
}

async fn insert_status(w: &mut Write, s: &CreateAccountStatusRecord) -> Result<()> {
    sqlx::query(
        "INSERT INTO org_create_account_status (request_id, org_id, account_name, state, \
         requested_at, completed_at, account_id, failure_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&s.request_id)
    .bind(&s.org_id)
    .bind(&s.account_name)
    .bind(&s.state)
    .bind(s.requested_at)
    .bind(s.completed_at)
    .bind(s.account_id.as_deref())
    .bind(s.failure_reason.as_deref())
    .execute(w.conn())
    .await?;
    Ok(())
}

/// What binds requests in one member account: its organization, its path from the root, and
/// the SCPs and RCPs attached at each level of that path (AWS managed ones by id only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardrailRows {
    /// The organization.
    pub org_id: String,
    /// Its management account (bound by neither SCPs nor RCPs).
    pub management_account_id: String,
    /// The enabled policy types.
    pub policy_types: Vec<String>,
    /// The root, the units down to the account, and the account, in that order.
    pub path: Vec<String>,
    /// (target id, policy type, policy id) of every attachment on the path.
    pub attachments: Vec<(String, String, String)>,
    /// The documents of the customer managed policies attached on the path.
    pub contents: Vec<(String, String)>,
}

impl Store {
    /// The guardrails of `account_id`, or `None` when it is in no organization; read in one
    /// transaction so the path, the attachments and the documents agree.
    pub async fn org_guardrails(&self, account_id: &str) -> Result<Option<GuardrailRows>> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT org_id, parent_id FROM org_accounts WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let org_id: String = row.try_get("org_id")?;
        let Some(org) = organization_row(&mut tx, "o.org_id = $1", &org_id).await? else {
            return Ok(None);
        };
        let mut path = vec![account_id.to_owned()];
        let mut at: String = row.try_get("parent_id")?;
        // Bounded: units nest at most MAX_OU_DEPTH deep; a cycle cannot be written.
        for _ in 0..=MAX_OU_DEPTH {
            path.push(at.clone());
            if at == org.root_id {
                break;
            }
            let parent = sqlx::query("SELECT parent_id FROM org_units WHERE ou_id = $1")
                .bind(&at)
                .fetch_optional(&mut *tx)
                .await?;
            match parent {
                Some(parent) => at = parent.try_get("parent_id")?,
                None => break,
            }
        }
        path.reverse();
        let mut attachments = Vec::new();
        let mut contents = Vec::new();
        for target in &path {
            let rows = sqlx::query(
                "SELECT a.policy_type, a.policy_id, p.content FROM org_policy_attachments a \
                 LEFT JOIN org_policies p ON p.policy_id = a.policy_id \
                 WHERE a.org_id = $1 AND a.target_id = $2 ORDER BY a.policy_id",
            )
            .bind(&org_id)
            .bind(target)
            .fetch_all(&mut *tx)
            .await?;
            for r in rows {
                let policy_id: String = r.try_get("policy_id")?;
                if let Some(content) = r.try_get::<Option<String>, _>("content")? {
                    contents.push((policy_id.clone(), content));
                }
                attachments.push((target.clone(), r.try_get("policy_type")?, policy_id));
            }
        }
        tx.commit().await?;
        Ok(Some(GuardrailRows {
            org_id,
            management_account_id: org.management_account_id,
            policy_types: org.policy_types,
            path,
            attachments,
            contents,
        }))
    }
}
