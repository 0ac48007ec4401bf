//! The store's operations, one module per entity, each adding methods to [`crate::Store`].

mod account_settings;
mod accounts;
mod console;
mod groups;
mod identity_providers;
mod instance_profiles;
mod mfa_devices;
mod organizations;
mod outbound_federation;
mod reports;
mod roles;
mod server_certificates;
mod service_access;
mod users;

pub use identity_providers::{
    NewOidcProvider, NewSamlProvider, OidcProviderRecord, SamlPrivateKeyInfo, SamlPrivateKeyRecord,
    SamlProvider, SamlProviderInfo, SamlProviderRecord, SamlProviderUpdate,
};
pub use mfa_devices::{Assignment, MfaCounts, NewMfaDevice};
pub use organizations::{
    AWS_MANAGED_ORG_POLICIES, CreateAccountStatusRecord, GuardrailRows, MAX_OU_DEPTH,
    NewMemberAccount, NewOrgPolicy, NewOrgUnit, NewOrganization, OrgAccountRecord, OrgPolicyRecord,
    OrgPolicyUpdate, OrgRefusal, OrgUnitRecord, OrganizationRecord,
};
pub use outbound_federation::{Enabling, OutboundFederationRecord, SigningKeyRecord};
pub use reports::StoredReport;
pub use roles::RoleUpdate;
pub use service_access::ServiceAccess;
pub use snapshot::{LoadScope, Loaded};
mod access_keys;
mod attachments;
mod policies;

pub use policies::customer_policy_arn;
mod changes;
mod logins;
mod snapshot;
mod tags;
mod user_credentials;
