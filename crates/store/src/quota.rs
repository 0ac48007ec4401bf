//! The per-entity quotas the store enforces inside the write transaction that would break them.
//!
//! They are checked here rather than in the service because only the store can count and
//! insert atomically when several server nodes write at once.

/// A quota: AWS's name for it and its value.
pub type Quota = (&'static str, u32);

/// Access keys per user (and per account root).
pub const ACCESS_KEYS: Quota = ("AccessKeysPerUser", 2);
/// SSH public keys per user.
pub const SSH_PUBLIC_KEYS: Quota = ("SSHPublicKeysPerUser", 5);
/// Signing certificates per user (and per account root).
pub const SIGNING_CERTIFICATES: Quota = ("CertificatesPerUser", 2);
/// Service-specific credentials per user and service.
pub const SERVICE_CREDENTIALS: Quota = ("ServiceSpecificCredentialsPerUserPerService", 2);
/// Groups a user may belong to.
pub const GROUPS_PER_USER: Quota = ("GroupsPerUser", 10);
/// Managed policies attached to one user.
pub const POLICIES_PER_USER: Quota = ("PoliciesPerUser", 10);
/// Managed policies attached to one group.
pub const POLICIES_PER_GROUP: Quota = ("PoliciesPerGroup", 10);
/// Managed policies attached to one role.
pub const POLICIES_PER_ROLE: Quota = ("PoliciesPerRole", 10);
/// Versions of one managed policy.
pub const POLICY_VERSIONS: Quota = ("VersionsPerPolicy", 5);
/// Tags on one entity.
pub const TAGS_PER_ENTITY: Quota = ("TagsPerEntity", 50);
/// Server certificates stored in one account.
pub const SERVER_CERTIFICATES: Quota = ("ServerCertificatesPerAccount", 20);
/// OpenID Connect providers in one account.
pub const OIDC_PROVIDERS: Quota = ("OpenIdConnectProvidersPerAccount", 100);
/// Client ids (audiences) of one OpenID Connect provider.
pub const OIDC_CLIENT_IDS: Quota = ("ClientIdsPerOpenIdConnectProvider", 100);
/// SAML providers in one account.
pub const SAML_PROVIDERS: Quota = ("SAMLProvidersPerAccount", 100);
/// Private keys (for encrypted assertions) of one SAML provider.
pub const SAML_PRIVATE_KEYS: Quota = ("PrivateKeysPerSAMLProvider", 2);
/// MFA devices assigned to one user.
pub const MFA_DEVICES_PER_USER: Quota = ("MFADevicesPerUser", 8);
/// MFA devices enabled for the root user (reading 52).
pub const MFA_DEVICES_PER_ROOT: Quota = ("MFADevicesPerRootUser", 1);
/// Password hashes kept per user: the largest `PasswordReusePrevention`.
pub const PASSWORD_HISTORY: usize = 24;
