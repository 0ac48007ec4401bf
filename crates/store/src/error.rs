//! The store's typed errors and the kinds of entity they name.
//!
//! Messages keep AWS's wording (capital letter and final period included) because the service
//! forwards them to IAM clients verbatim; every other error in the workspace follows the
//! lowercase style.

use std::fmt;

/// The kinds of stored entity, as named in errors and in the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    /// An account (tenant).
    Account,
    /// An IAM user.
    User,
    /// An IAM group.
    Group,
    /// An IAM role.
    Role,
    /// A customer managed policy.
    Policy,
    /// A version of a customer managed policy.
    PolicyVersion,
    /// An inline policy embedded in a user.
    UserPolicy,
    /// An inline policy embedded in a group.
    GroupPolicy,
    /// An inline policy embedded in a role.
    RolePolicy,
    /// An access key, of a user or of an account root.
    AccessKey,
    /// A user's console password.
    LoginProfile,
    /// An account's password policy.
    PasswordPolicy,
    /// A virtual MFA device.
    MfaDevice,
    /// An instance profile.
    InstanceProfile,
    /// A user's SSH public key.
    SshPublicKey,
    /// A user's (or root's) signing certificate.
    SigningCertificate,
    /// A user's service-specific credential.
    ServiceSpecificCredential,
    /// A server certificate.
    ServerCertificate,
    /// An OpenID Connect identity provider (named by its ARN in errors).
    OidcProvider,
    /// A SAML identity provider (named by its ARN in errors).
    SamlProvider,
    /// An organization's structure or policies: logged (with no account and no id) by every
    /// Organizations write, so that nodes know when guardrails compiled before no longer
    /// hold; never a store entity's kind in an error.
    Organization,
}

impl EntityKind {
    /// The stable name stored in the change log.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Account => "account",
            EntityKind::User => "user",
            EntityKind::Group => "group",
            EntityKind::Role => "role",
            EntityKind::Policy => "policy",
            EntityKind::PolicyVersion => "policy-version",
            EntityKind::UserPolicy => "user-policy",
            EntityKind::GroupPolicy => "group-policy",
            EntityKind::RolePolicy => "role-policy",
            EntityKind::AccessKey => "access-key",
            EntityKind::LoginProfile => "login-profile",
            EntityKind::PasswordPolicy => "password-policy",
            EntityKind::MfaDevice => "mfa-device",
            EntityKind::InstanceProfile => "instance-profile",
            EntityKind::SshPublicKey => "ssh-public-key",
            EntityKind::SigningCertificate => "signing-certificate",
            EntityKind::ServiceSpecificCredential => "service-specific-credential",
            EntityKind::ServerCertificate => "server-certificate",
            EntityKind::OidcProvider => "oidc-provider",
            EntityKind::SamlProvider => "saml-provider",
            EntityKind::Organization => "organization",
        }
    }

    /// The inverse of [`EntityKind::as_str`].
    #[must_use]
    pub fn parse(text: &str) -> Option<EntityKind> {
        const ALL: [EntityKind; 21] = [
            EntityKind::Account,
            EntityKind::User,
            EntityKind::Group,
            EntityKind::Role,
            EntityKind::Policy,
            EntityKind::PolicyVersion,
            EntityKind::UserPolicy,
            EntityKind::GroupPolicy,
            EntityKind::RolePolicy,
            EntityKind::AccessKey,
            EntityKind::LoginProfile,
            EntityKind::PasswordPolicy,
            EntityKind::MfaDevice,
            EntityKind::InstanceProfile,
            EntityKind::SshPublicKey,
            EntityKind::SigningCertificate,
            EntityKind::ServiceSpecificCredential,
            EntityKind::ServerCertificate,
            EntityKind::OidcProvider,
            EntityKind::SamlProvider,
            EntityKind::Organization,
        ];
        ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a store operation failed. The service maps each variant to an AWS error code.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `NoSuchEntity` (404). `name` is the name, id or ARN the caller asked for.
    #[error("{}", not_found_message(*kind, name))]
    NoSuchEntity {
        /// What was looked for.
        kind: EntityKind,
        /// The name, id or ARN that was not found.
        name: String,
    },
    /// `EntityAlreadyExists` (409): a name taken, case-insensitively.
    #[error("{}", exists_message(*kind, name))]
    EntityAlreadyExists {
        /// What was being created or renamed.
        kind: EntityKind,
        /// The name as the caller gave it.
        name: String,
    },
    /// `LimitExceeded` (409): a quota would be exceeded.
    #[error("{}", limit_message(what, *limit))]
    LimitExceeded {
        /// AWS's quota name, e.g. `AccessKeysPerUser`.
        what: &'static str,
        /// The quota.
        limit: u32,
    },
    /// `DeleteConflict` (409): the entity still has dependents; nothing was deleted.
    #[error("{reason}")]
    DeleteConflict {
        /// What was being deleted.
        kind: EntityKind,
        /// Its name.
        name: String,
        /// AWS's message saying what must go first.
        reason: &'static str,
    },
    /// An Organizations write refused by what is stored (a parent missing, a name taken, a
    /// unit not empty); nothing was written. The service words it as AWS does.
    #[error("organizations: {0}")]
    Organizations(crate::ops::OrgRefusal),
    /// The database failed; the service reports a generic internal failure and logs this.
    #[error("storage backend failed: {0}")]
    Backend(#[from] BackendError),
}

/// An opaque database failure, so that callers do not depend on the driver's error types.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct BackendError(Box<dyn std::error::Error + Send + Sync>);

impl BackendError {
    pub(crate) fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        BackendError(error.into())
    }

    pub(crate) fn message(message: String) -> Self {
        BackendError(message.into())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Backend(BackendError::new(error))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Backend(BackendError::new(error))
    }
}

/// The store's result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

fn not_found_message(kind: EntityKind, name: &str) -> String {
    match kind {
        EntityKind::Account => format!("The account with id {name} cannot be found."),
        EntityKind::User => format!("The user with name {name} cannot be found."),
        EntityKind::Group => format!("The group with name {name} cannot be found."),
        EntityKind::Role => format!("The role with name {name} cannot be found."),
        EntityKind::Policy => format!("Policy {name} does not exist or is not attachable."),
        EntityKind::PolicyVersion => format!("Policy version {name} does not exist."),
        EntityKind::UserPolicy => format!("The user policy with name {name} cannot be found."),
        EntityKind::GroupPolicy => format!("The group policy with name {name} cannot be found."),
        EntityKind::RolePolicy => format!("The role policy with name {name} cannot be found."),
        EntityKind::AccessKey => format!("The Access Key with id {name} cannot be found."),
        EntityKind::LoginProfile => format!("Login Profile for User {name} cannot be found."),
        EntityKind::PasswordPolicy => {
            format!("The Password Policy with domain name {name} cannot be found.")
        }
        EntityKind::MfaDevice => {
            format!("VirtualMFADevice with serial number {name} doesn't exist.")
        }
        EntityKind::InstanceProfile => format!("Instance Profile {name} cannot be found."),
        EntityKind::SshPublicKey => format!("The Public Key with id {name} cannot be found."),
        EntityKind::SigningCertificate => {
            format!("The Certificate with id {name} cannot be found.")
        }
        EntityKind::ServiceSpecificCredential => {
            format!("The Service Specific Credential with id {name} cannot be found.")
        }
        EntityKind::ServerCertificate => {
            format!("The Server Certificate with name {name} cannot be found.")
        }
        // `name` is the provider's ARN (reading 60).
        EntityKind::OidcProvider => format!("OpenIDConnect Provider not found for arn {name}"),
        EntityKind::SamlProvider => format!("SAMLProvider not found for arn {name}"),
        EntityKind::Organization => format!("The organization {name} cannot be found."),
    }
}

fn exists_message(kind: EntityKind, name: &str) -> String {
    match kind {
        EntityKind::Account => format!("Account {name} already exists."),
        EntityKind::User => format!("User with name {name} already exists."),
        EntityKind::Group => format!("Group with name {name} already exists."),
        EntityKind::Role => format!("Role with name {name} already exists."),
        EntityKind::Policy => {
            format!("A policy called {name} already exists. Duplicate names are not allowed.")
        }
        EntityKind::LoginProfile => format!("Login Profile for user {name} already exists."),
        EntityKind::AccessKey => format!("Access key {name} already exists."),
        EntityKind::MfaDevice => {
            // AWS's words name neither (as its CloudTrail records show them).
            "MFADevice entity at the same path and name already exists.".to_owned()
        }
        EntityKind::InstanceProfile => format!("Instance Profile {name} already exists."),
        // The same key or certificate uploaded again; the service answers these with the
        // Duplicate* codes, so these words are a fallback.
        EntityKind::SshPublicKey => format!("The SSH public key {name} is already uploaded."),
        EntityKind::SigningCertificate => format!("The certificate {name} is already uploaded."),
        EntityKind::ServerCertificate => {
            format!("The Server Certificate with name {name} already exists.")
        }
        // `name` is the URL as given, or the SAML provider's name (reading 60).
        EntityKind::OidcProvider => format!("Provider with url {name} already exists."),
        EntityKind::SamlProvider => format!("Provider with name {name} already exists."),
        EntityKind::PolicyVersion
        | EntityKind::UserPolicy
        | EntityKind::GroupPolicy
        | EntityKind::RolePolicy
        | EntityKind::PasswordPolicy
        | EntityKind::ServiceSpecificCredential
        | EntityKind::Organization => format!("{kind} {name} already exists."),
    }
}

fn limit_message(what: &str, limit: u32) -> String {
    if what == crate::quota::POLICY_VERSIONS.0 {
        format!(
            "A managed policy can have up to {limit} versions. Before you create a new version, \
             you must delete an existing version."
        )
    } else {
        format!("Cannot exceed quota for {what}: {limit}")
    }
}
