//! The entity model: what users, groups, roles, instance profiles and managed policies share,
//! written once and parameterized by the kind: a lookup that never reveals existence to a
//! caller who may not act on the name, ARNs, tags (as a target, and as `aws:ResourceTag` in
//! every decision about the entity), inline policies, attached managed policies, permissions
//! boundaries, and the quotas on them.
//!
//! A kind says where its records live and what it has ([`Kind`], then [`PolicyOwner`] for
//! inline and attached policies, then [`Bounded`] for boundaries); the behaviours are generic
//! methods of the service, so an operation on any kind is its request's fields handed to one
//! of them, and a new kind (MFA devices, providers) is one more `impl`.

use std::future::Future;

use policy::{ContextValue, PolicyKind};
use store::{
    EntityKind, GroupRecord, InstanceProfileRecord, PolicyRecord, RoleRecord,
    ServerCertificateRecord, Store, StoreError, Tag, TagTarget, UserRecord,
};
use wire::iam::{AttachedPolicy, Operation};

use super::{
    check_path, check_tags, non_whitespace, policy_path, tag_context, tag_keys_case_sensitive,
    uri_encode, wire_tags,
};
use crate::authorize::{Extra, managed_policy, resource_tag_context};
use crate::caller::{Caller, group_arn, role_arn, user_arn};
use crate::error::{ServiceError, ServiceResult};
use crate::reads::Reads;
use crate::service::Service;

/// An IAM entity kind: where its records live, how it is named, and where its tags are.
pub(crate) trait Kind: Sized + Send + Sync + 'static {
    /// The store's record of one entity.
    type Record: Named + Send + Sync;

    /// The ARN of an entity of this kind at `path` with `name`.
    fn arn_at(account_id: &str, path: &str, name: &str) -> String;

    /// The ARN an operation on `name` is authorized on when `name` names nothing (AWS
    /// authorizes the name as if it were at the root path, so a refusal looks the same
    /// whether or not the entity exists).
    fn arn_of_name(account_id: &str, name: &str) -> String {
        Self::arn_at(account_id, "/", name)
    }

    /// The entity's ARN.
    fn arn(record: &Self::Record) -> String {
        Self::arn_at(record.account_id(), record.path(), record.name())
    }

    /// AWS's `NoSuchEntity` for a name that names nothing.
    fn not_found(name: &str) -> ServiceError;

    /// The record of `name` in the caller's account, if there is one.
    fn find(
        reads: Reads<'_>,
        caller: &Caller,
        name: &str,
    ) -> impl Future<Output = ServiceResult<Option<Self::Record>>> + Send;

    /// Where the entity's tags live; `None` for kinds that have none (groups).
    fn tag_target(record: &Self::Record) -> Option<TagTarget>;

    /// The entity a tagging operation acts on, authorized; managed policies override it
    /// (AWS's own policies take no tags).
    fn for_tags(
        service: &Service,
        caller: &Caller,
        operation: Operation,
        name: &str,
        extra: Vec<(String, ContextValue)>,
    ) -> impl Future<Output = ServiceResult<Self::Record>> + Send {
        async move {
            service
                .entity::<Self>(caller, operation.action(), name, extra)
                .await
        }
    }
}

/// A kind that holds inline policies and attached managed policies (users, groups, roles).
pub(crate) trait PolicyOwner: Kind {
    /// The inline policies of one entity may total this many characters (white space
    /// excluded): AWS's quota for the kind.
    const INLINE_TOTAL: usize;

    /// How AWS's quota message names the kind (`user`, as in `user alice`).
    const NOUN: &'static str;

    /// The entity as the owner of policies in the store.
    fn principal(record: &Self::Record) -> store::Principal;

    /// Whether customers may change what the entity may do (service-linked roles: no).
    fn modifiable(_record: &Self::Record) -> ServiceResult<()> {
        Ok(())
    }
}

/// A kind that may have a permissions boundary (users and roles).
pub(crate) trait Bounded: PolicyOwner {
    /// Sets or clears the boundary of `record`.
    fn set_boundary(
        store: &Store,
        record: &Self::Record,
        arn: Option<&str>,
    ) -> impl Future<Output = ServiceResult<()>> + Send;
}

/// What every entity record has: a name, a path and an account.
pub(crate) trait Named {
    fn name(&self) -> &str;
    fn path(&self) -> &str;
    fn account_id(&self) -> &str;
}

macro_rules! named {
    ($($record:ty),*) => {
        $(impl Named for $record {
            fn name(&self) -> &str {
                &self.name
            }
            fn path(&self) -> &str {
                &self.path
            }
            fn account_id(&self) -> &str {
                &self.account_id
            }
        })*
    };
}

named!(
    UserRecord,
    GroupRecord,
    RoleRecord,
    InstanceProfileRecord,
    PolicyRecord,
    ServerCertificateRecord
);

/// Maps the store's "no such entity" to `None`, for [`Kind::find`].
fn found<T>(result: Result<T, StoreError>) -> ServiceResult<Option<T>> {
    match result {
        Ok(record) => Ok(Some(record)),
        Err(StoreError::NoSuchEntity { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// IAM users.
pub(crate) struct Users;
/// IAM groups.
pub(crate) struct Groups;
/// IAM roles.
pub(crate) struct Roles;
/// Instance profiles.
pub(crate) struct InstanceProfiles;
/// Customer managed policies (by ARN; AWS's own come from the catalogue and are read-only).
pub(crate) struct Policies;
/// Server certificates.
pub(crate) struct ServerCertificates;

impl Kind for Users {
    type Record = UserRecord;

    fn arn_at(account_id: &str, path: &str, name: &str) -> String {
        user_arn(account_id, path, name)
    }

    fn not_found(name: &str) -> ServiceError {
        ServiceError::no_such_entity(format!("The user with name {name} cannot be found."))
    }

    async fn find(
        reads: Reads<'_>,
        caller: &Caller,
        name: &str,
    ) -> ServiceResult<Option<UserRecord>> {
        found(reads.get_user(&caller.account_id, name).await)
    }

    fn tag_target(user: &UserRecord) -> Option<TagTarget> {
        Some(TagTarget::User(user.user_id.clone()))
    }
}

impl PolicyOwner for Users {
    const INLINE_TOTAL: usize = 2_048;

    const NOUN: &'static str = "user";

    fn principal(user: &UserRecord) -> store::Principal {
        store::Principal::user(&user.user_id)
    }
}

impl Bounded for Users {
    async fn set_boundary(
        store: &Store,
        user: &UserRecord,
        arn: Option<&str>,
    ) -> ServiceResult<()> {
        Ok(store
            .set_user_permissions_boundary(&user.account_id, &user.name, arn)
            .await?)
    }
}

impl Kind for Groups {
    type Record = GroupRecord;

    fn arn_at(account_id: &str, path: &str, name: &str) -> String {
        group_arn(account_id, path, name)
    }

    fn not_found(name: &str) -> ServiceError {
        ServiceError::no_such_entity(format!("The group with name {name} cannot be found."))
    }

    async fn find(
        reads: Reads<'_>,
        caller: &Caller,
        name: &str,
    ) -> ServiceResult<Option<GroupRecord>> {
        found(reads.get_group(&caller.account_id, name).await)
    }

    fn tag_target(_group: &GroupRecord) -> Option<TagTarget> {
        None
    }
}

impl PolicyOwner for Groups {
    const INLINE_TOTAL: usize = 5_120;

    const NOUN: &'static str = "group";

    fn principal(group: &GroupRecord) -> store::Principal {
        store::Principal::group(&group.group_id)
    }
}

impl Kind for Roles {
    type Record = RoleRecord;

    fn arn_at(account_id: &str, path: &str, name: &str) -> String {
        role_arn(account_id, path, name)
    }

    fn not_found(name: &str) -> ServiceError {
        ServiceError::no_such_entity(format!("The role with name {name} cannot be found."))
    }

    async fn find(
        reads: Reads<'_>,
        caller: &Caller,
        name: &str,
    ) -> ServiceResult<Option<RoleRecord>> {
        found(reads.get_role(&caller.account_id, name).await)
    }

    fn tag_target(role: &RoleRecord) -> Option<TagTarget> {
        Some(TagTarget::Role(role.role_id.clone()))
    }
}

impl PolicyOwner for Roles {
    const INLINE_TOTAL: usize = 10_240;

    const NOUN: &'static str = "role";

    fn principal(role: &RoleRecord) -> store::Principal {
        store::Principal::role(&role.role_id)
    }

    fn modifiable(role: &RoleRecord) -> ServiceResult<()> {
        super::roles::modifiable(role)
    }
}

impl Bounded for Roles {
    async fn set_boundary(
        store: &Store,
        role: &RoleRecord,
        arn: Option<&str>,
    ) -> ServiceResult<()> {
        Ok(store
            .set_role_permissions_boundary(&role.account_id, &role.name, arn)
            .await?)
    }
}

/// `arn:aws:iam::<account>:instance-profile<path><name>`.
pub(crate) fn profile_arn(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:instance-profile{path}{name}")
}

impl Kind for InstanceProfiles {
    type Record = InstanceProfileRecord;

    fn arn_at(account_id: &str, path: &str, name: &str) -> String {
        profile_arn(account_id, path, name)
    }

    fn not_found(name: &str) -> ServiceError {
        ServiceError::no_such_entity(format!("Instance Profile {name} cannot be found."))
    }

    async fn find(
        reads: Reads<'_>,
        caller: &Caller,
        name: &str,
    ) -> ServiceResult<Option<InstanceProfileRecord>> {
        found(reads.get_instance_profile(&caller.account_id, name).await)
    }

    fn tag_target(profile: &InstanceProfileRecord) -> Option<TagTarget> {
        Some(TagTarget::InstanceProfile(
            profile.instance_profile_id.clone(),
        ))
    }
}

/// `arn:aws:iam::<account>:server-certificate<path><name>`.
pub(crate) fn server_certificate_arn(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:server-certificate{path}{name}")
}

impl Kind for ServerCertificates {
    type Record = ServerCertificateRecord;

    fn arn_at(account_id: &str, path: &str, name: &str) -> String {
        server_certificate_arn(account_id, path, name)
    }

    fn not_found(name: &str) -> ServiceError {
        ServiceError::no_such_entity(format!(
            "The Server Certificate with name {name} cannot be found."
        ))
    }

    async fn find(
        reads: Reads<'_>,
        caller: &Caller,
        name: &str,
    ) -> ServiceResult<Option<ServerCertificateRecord>> {
        found(reads.get_server_certificate(&caller.account_id, name).await)
    }

    fn tag_target(certificate: &ServerCertificateRecord) -> Option<TagTarget> {
        Some(TagTarget::ServerCertificate(
            certificate.server_certificate_id.clone(),
        ))
    }
}

/// OpenID Connect providers (by ARN; no path).
pub(crate) struct OidcProviders;
/// SAML providers (by ARN; no path).
pub(crate) struct SamlProviders;

impl Named for store::OidcProviderRecord {
    fn name(&self) -> &str {
        &self.resource
    }
    fn path(&self) -> &str {
        "/"
    }
    fn account_id(&self) -> &str {
        &self.account_id
    }
}

impl Named for store::SamlProviderInfo {
    fn name(&self) -> &str {
        &self.name
    }
    fn path(&self) -> &str {
        "/"
    }
    fn account_id(&self) -> &str {
        &self.account_id
    }
}

/// The part of a provider ARN after `<kind>/` when the ARN is of the caller's account;
/// `None` otherwise (another account's provider, another kind, not an ARN): a provider this
/// caller cannot have (reading 60).
fn provider_of_caller<'a>(caller: &Caller, kind: &str, arn: &'a str) -> Option<&'a str> {
    arn.strip_prefix("arn:aws:iam::")?
        .strip_prefix(caller.account_id.as_str())?
        .strip_prefix(':')?
        .strip_prefix(kind)?
        .strip_prefix('/')
        .filter(|rest| !rest.is_empty())
}

impl Kind for OidcProviders {
    type Record = store::OidcProviderRecord;

    fn arn_at(account_id: &str, _path: &str, resource: &str) -> String {
        format!("arn:aws:iam::{account_id}:oidc-provider/{resource}")
    }

    /// A provider is named by its ARN.
    fn arn_of_name(_account_id: &str, arn: &str) -> String {
        arn.to_owned()
    }

    fn arn(provider: &store::OidcProviderRecord) -> String {
        provider.arn()
    }

    fn not_found(arn: &str) -> ServiceError {
        ServiceError::no_such_entity(format!("OpenIDConnect Provider not found for arn {arn}"))
    }

    async fn find(
        reads: Reads<'_>,
        caller: &Caller,
        arn: &str,
    ) -> ServiceResult<Option<store::OidcProviderRecord>> {
        match provider_of_caller(caller, "oidc-provider", arn) {
            Some(resource) => found(reads.get_oidc_provider(&caller.account_id, resource).await),
            None => Ok(None),
        }
    }

    fn tag_target(provider: &store::OidcProviderRecord) -> Option<TagTarget> {
        Some(TagTarget::OidcProvider(provider.arn()))
    }
}

impl Kind for SamlProviders {
    type Record = store::SamlProviderInfo;

    fn arn_at(account_id: &str, _path: &str, name: &str) -> String {
        format!("arn:aws:iam::{account_id}:saml-provider/{name}")
    }

    /// A provider is named by its ARN.
    fn arn_of_name(_account_id: &str, arn: &str) -> String {
        arn.to_owned()
    }

    fn arn(provider: &store::SamlProviderInfo) -> String {
        provider.arn()
    }

    fn not_found(arn: &str) -> ServiceError {
        ServiceError::no_such_entity(format!("SAMLProvider not found for arn {arn}"))
    }

    async fn find(
        reads: Reads<'_>,
        caller: &Caller,
        arn: &str,
    ) -> ServiceResult<Option<store::SamlProviderInfo>> {
        match provider_of_caller(caller, "saml-provider", arn) {
            Some(name) => found(reads.saml_provider(&caller.account_id, name).await),
            None => Ok(None),
        }
    }

    fn tag_target(provider: &store::SamlProviderInfo) -> Option<TagTarget> {
        Some(TagTarget::SamlProvider(provider.saml_provider_uuid.clone()))
    }
}

impl Kind for Policies {
    type Record = PolicyRecord;

    fn arn_at(account_id: &str, path: &str, name: &str) -> String {
        store::customer_policy_arn(account_id, path, name)
    }

    /// A policy is named by its ARN.
    fn arn_of_name(_account_id: &str, arn: &str) -> String {
        arn.to_owned()
    }

    fn arn(policy: &PolicyRecord) -> String {
        policy.arn.clone()
    }

    fn not_found(arn: &str) -> ServiceError {
        super::policies::not_attachable(arn)
    }

    /// Only the caller's own customer managed policies are records; a malformed ARN is
    /// `InvalidInput` before anything is authorized, as in AWS.
    async fn find(
        reads: Reads<'_>,
        caller: &Caller,
        arn: &str,
    ) -> ServiceResult<Option<PolicyRecord>> {
        match super::policies::owner_of(caller, arn)? {
            super::policies::Owner::Caller => found(reads.get_policy(arn).await),
            super::policies::Owner::Aws | super::policies::Owner::Other => Ok(None),
        }
    }

    fn tag_target(policy: &PolicyRecord) -> Option<TagTarget> {
        Some(TagTarget::Policy(policy.policy_id.clone()))
    }

    async fn for_tags(
        service: &Service,
        caller: &Caller,
        operation: Operation,
        arn: &str,
        extra: Vec<(String, ContextValue)>,
    ) -> ServiceResult<PolicyRecord> {
        service.taggable_policy(caller, operation, arn, extra).await
    }
}

/// Tags as a response shows them with their entity: `None` when there are none, as AWS omits
/// the member then.
fn shown_tags(tags: Vec<Tag>) -> Option<Vec<wire::iam::Tag>> {
    (!tags.is_empty()).then(|| wire_tags(tags))
}

impl Service {
    /// The entity `name` names, or `None`, once the caller is allowed `action` on it: on the
    /// entity's ARN with its tags in the context when it exists, on the ARN the name would
    /// have otherwise. Existence is told only to callers allowed to act on the name.
    pub(crate) async fn authorized<K: Kind>(
        &self,
        caller: &Caller,
        action: &str,
        name: &str,
        extra: Vec<(String, ContextValue)>,
    ) -> ServiceResult<Option<K::Record>> {
        Ok(self
            .authorized_with_tags::<K>(caller, action, name, extra)
            .await?
            .map(|(record, _)| record))
    }

    /// [`Self::authorized`], keeping the entity's tags read for the decision.
    async fn authorized_with_tags<K: Kind>(
        &self,
        caller: &Caller,
        action: &str,
        name: &str,
        extra: Vec<(String, ContextValue)>,
    ) -> ServiceResult<Option<(K::Record, Vec<Tag>)>> {
        let record = K::find(self.reads(), caller, name).await?;
        let (arn, tags) = match &record {
            Some(record) => {
                let tags = match K::tag_target(record) {
                    Some(target) => self.reads().list_tags(&target).await?,
                    None => Vec::new(),
                };
                (K::arn(record), tags)
            }
            None => (K::arn_of_name(&caller.account_id, name), Vec::new()),
        };
        let extra = Extra {
            keys: extra,
            resource_tags: &tags,
        };
        self.allow_action_with(caller, action, &arn, extra).await?;
        Ok(record.map(|record| (record, tags)))
    }

    /// [`Self::entity`] and the tags a response shows with it ([`Self::tags_of`]), read
    /// once for both the decision and the answer.
    pub(crate) async fn entity_with_tags<K: Kind>(
        &self,
        caller: &Caller,
        action: &str,
        name: &str,
    ) -> ServiceResult<(K::Record, Option<Vec<wire::iam::Tag>>)> {
        let (record, tags) = self
            .authorized_with_tags::<K>(caller, action, name, Vec::new())
            .await?
            .ok_or_else(|| K::not_found(name))?;
        Ok((record, shown_tags(tags)))
    }

    /// The entity `name` names, once the caller is allowed `action` on it (see
    /// [`Self::authorized`]); `NoSuchEntity` in AWS's words when there is none.
    pub(crate) async fn entity<K: Kind>(
        &self,
        caller: &Caller,
        action: &str,
        name: &str,
        extra: Vec<(String, ContextValue)>,
    ) -> ServiceResult<K::Record> {
        self.authorized::<K>(caller, action, name, extra)
            .await?
            .ok_or_else(|| K::not_found(name))
    }

    /// Update(User|Group): the entity, once the caller is allowed `operation` on its ARN as
    /// it is and as it will be (both with its tags), so a caller allowed on one side only (a
    /// user allowed on `user/dev/*` moving itself to `/admin/`) is refused.
    pub(crate) async fn entity_to_rename<K: Kind>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        (new_name, new_path): (Option<&str>, Option<&str>),
    ) -> ServiceResult<K::Record> {
        if let Some(path) = new_path {
            check_path(path)?;
        }
        let record = self
            .entity::<K>(caller, operation.action(), name, Vec::new())
            .await?;
        let new_arn = K::arn_at(
            record.account_id(),
            new_path.unwrap_or(record.path()),
            new_name.unwrap_or(record.name()),
        );
        if new_arn != K::arn(&record) {
            let tags = match K::tag_target(&record) {
                Some(target) => self.resource_tags(target).await?,
                None => Vec::new(),
            };
            self.allow(caller, operation, &new_arn, tags).await?;
        }
        Ok(record)
    }

    /// `aws:ResourceTag/k` and `iam:ResourceTag/k` for the tags of the entity acted on.
    pub(crate) async fn resource_tags(
        &self,
        target: TagTarget,
    ) -> ServiceResult<Vec<(String, ContextValue)>> {
        Ok(resource_tag_context(
            &self.reads().list_tags(&target).await?,
        ))
    }

    /// The tags a response shows with the entity: `None` when it has none, as AWS omits the
    /// member then.
    pub(crate) async fn tags_of<K: Kind>(
        &self,
        record: &K::Record,
    ) -> ServiceResult<Option<Vec<wire::iam::Tag>>> {
        let Some(target) = K::tag_target(record) else {
            return Ok(None);
        };
        Ok(shown_tags(self.reads().list_tags(&target).await?))
    }

    /// Authorizes the creation of an entity at `arn` with `tags` (and `extra` context):
    /// `create` with the tags as request tags, and `tag` too when there are any, as AWS does.
    /// The tags are checked first; the caller then writes the entity and its tags in one
    /// store write, so an entity never exists without the tags it was created with.
    pub(crate) async fn allow_creation(
        &self,
        caller: &Caller,
        (create, tag): (Operation, Operation),
        arn: &str,
        tags: &[wire::iam::Tag],
        extra: Vec<(String, ContextValue)>,
    ) -> ServiceResult<Vec<Tag>> {
        check_tags(tags, tag_keys_case_sensitive(create))?;
        let mut context = tag_context(tags);
        context.extend(extra);
        self.allow(caller, create, arn, context).await?;
        if !tags.is_empty() {
            self.allow(caller, tag, arn, tag_context(tags)).await?;
        }
        Ok(store_tags(tags))
    }

    /// Tag(User|Role|Policy|InstanceProfile|ServerCertificate).
    pub(crate) async fn tag_entity<K: Kind>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        tags: &[wire::iam::Tag],
    ) -> ServiceResult<()> {
        check_tags(tags, tag_keys_case_sensitive(operation))?;
        let record = K::for_tags(self, caller, operation, name, tag_context(tags)).await?;
        if let Some(target) = K::tag_target(&record) {
            self.store.tag_resource(&target, &store_tags(tags)).await?;
        }
        Ok(())
    }

    /// Untag(User|Role|Policy|InstanceProfile|ServerCertificate): absent keys are ignored, as in AWS.
    pub(crate) async fn untag_entity<K: Kind>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        keys: &[String],
    ) -> ServiceResult<()> {
        let extra = vec![("aws:TagKeys".to_owned(), ContextValue::Multi(keys.to_vec()))];
        let record = K::for_tags(self, caller, operation, name, extra).await?;
        if let Some(target) = K::tag_target(&record) {
            self.store.untag_resource(&target, keys).await?;
        }
        Ok(())
    }

    /// List(User|Role|Policy|InstanceProfile|ServerCertificate)Tags: a page of the entity's tags, by key.
    pub(crate) async fn list_entity_tags<K: Kind>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        (marker, max_items): (Option<&str>, Option<i32>),
    ) -> ServiceResult<(Vec<wire::iam::Tag>, Option<String>)> {
        let record = K::for_tags(self, caller, operation, name, Vec::new()).await?;
        let tags = match K::tag_target(&record) {
            Some(target) => wire_tags(self.reads().list_tags(&target).await?),
            None => Vec::new(),
        };
        self.page_of(caller, operation, &tags, marker, max_items)
    }

    /// Put(User|Group|Role)Policy: validates the document and stores it, enforcing the kind's
    /// quota on all of the entity's inline policies together (the one replaced does not count
    /// twice).
    pub(crate) async fn put_inline<K: PolicyOwner>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        (policy_name, document): (&str, &str),
    ) -> ServiceResult<()> {
        let record = self
            .entity::<K>(caller, operation.action(), name, Vec::new())
            .await?;
        K::modifiable(&record)?;
        let parsed = policy::Policy::parse(document, PolicyKind::Identity)?;
        let owner = K::principal(&record);
        let others: usize = self
            .reads()
            .list_inline_policies(&owner)
            .await?
            .iter()
            .filter(|(existing, _)| existing != policy_name)
            .map(|(_, text)| non_whitespace(text))
            .sum();
        if others + non_whitespace(document) > K::INLINE_TOTAL {
            return Err(ServiceError::limit_exceeded(format!(
                "Maximum policy size of {} bytes exceeded for {} {}",
                K::INLINE_TOTAL,
                K::NOUN,
                record.name()
            )));
        }
        self.store
            .put_inline_policy(&owner, policy_name, &parsed)
            .await?;
        Ok(())
    }

    /// Get(User|Group|Role)Policy: the entity's name and the document, URL-encoded as IAM
    /// answers it.
    pub(crate) async fn get_inline<K: PolicyOwner>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        policy_name: &str,
    ) -> ServiceResult<(String, String)> {
        let record = self
            .entity::<K>(caller, operation.action(), name, Vec::new())
            .await?;
        let document = self
            .reads()
            .get_inline_policy(&K::principal(&record), policy_name)
            .await?;
        Ok((record.name().to_owned(), uri_encode(&document)))
    }

    /// Delete(User|Group|Role)Policy.
    pub(crate) async fn delete_inline<K: PolicyOwner>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        policy_name: &str,
    ) -> ServiceResult<()> {
        let record = self
            .entity::<K>(caller, operation.action(), name, Vec::new())
            .await?;
        K::modifiable(&record)?;
        self.store
            .delete_inline_policy(&K::principal(&record), policy_name)
            .await?;
        Ok(())
    }

    /// List(User|Group|Role)Policies: a page of the inline policies' names.
    pub(crate) async fn list_inline<K: PolicyOwner>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        (marker, max_items): (Option<&str>, Option<i32>),
    ) -> ServiceResult<(Vec<String>, Option<String>)> {
        let record = self
            .entity::<K>(caller, operation.action(), name, Vec::new())
            .await?;
        let names: Vec<String> = self
            .reads()
            .list_inline_policies(&K::principal(&record))
            .await?
            .into_iter()
            .map(|(policy_name, _)| policy_name)
            .collect();
        self.page_of(caller, operation, &names, marker, max_items)
    }

    /// Attach(User|Group|Role)Policy: a malformed ARN is refused first; authorized with
    /// `iam:PolicyARN`; the policy must be AWS's and attachable, or the account's own.
    pub(crate) async fn attach<K: PolicyOwner>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        policy_arn: &str,
    ) -> ServiceResult<()> {
        super::policies::attachment_owner(caller, policy_arn)?;
        let context = super::policy_arn_context(operation, policy_arn);
        let record = self
            .entity::<K>(caller, operation.action(), name, context)
            .await?;
        K::modifiable(&record)?;
        if !self.is_attachable(caller, policy_arn).await? {
            return Err(super::policies::not_attachable(policy_arn));
        }
        self.store
            .attach_policy(&K::principal(&record), policy_arn)
            .await?;
        Ok(())
    }

    /// Detach(User|Group|Role)Policy: a malformed ARN is refused first; authorized with
    /// `iam:PolicyARN`; a policy not attached (whether or not it exists) is AWS's "was not
    /// found".
    pub(crate) async fn detach<K: PolicyOwner>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        policy_arn: &str,
    ) -> ServiceResult<()> {
        super::policies::attachment_owner(caller, policy_arn)?;
        let context = super::policy_arn_context(operation, policy_arn);
        let record = self
            .entity::<K>(caller, operation.action(), name, context)
            .await?;
        K::modifiable(&record)?;
        match self
            .store
            .detach_policy(&K::principal(&record), policy_arn)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::NoSuchEntity {
                kind: EntityKind::Policy,
                ..
            }) => Err(super::policies::was_not_found(policy_arn)),
            Err(other) => Err(other.into()),
        }
    }

    /// ListAttached(User|Group|Role)Policies: a page of the attached policies whose path
    /// starts with `path_prefix`.
    pub(crate) async fn list_attached<K: PolicyOwner>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        path_prefix: Option<&str>,
        (marker, max_items): (Option<&str>, Option<i32>),
    ) -> ServiceResult<(Vec<AttachedPolicy>, Option<String>)> {
        let record = self
            .entity::<K>(caller, operation.action(), name, Vec::new())
            .await?;
        let attached: Vec<AttachedPolicy> = self
            .reads()
            .list_attached_policies(&K::principal(&record))
            .await?
            .into_iter()
            .filter(|arn| path_prefix.is_none_or(|prefix| policy_path(arn).starts_with(prefix)))
            .map(|arn| AttachedPolicy {
                policy_name: Some(arn.rsplit('/').next().unwrap_or_default().to_owned()),
                policy_arn: Some(arn),
            })
            .collect();
        self.page_of(caller, operation, &attached, marker, max_items)
    }

    /// Put(User|Role)PermissionsBoundary: a malformed ARN is refused first; authorized with
    /// `iam:PermissionsBoundary`; the policy must be attachable and valid as a boundary.
    pub(crate) async fn put_boundary<K: Bounded>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
        boundary_arn: &str,
    ) -> ServiceResult<()> {
        super::policies::owner_of(caller, boundary_arn)?;
        let record = self
            .entity::<K>(
                caller,
                operation.action(),
                name,
                boundary_context(boundary_arn),
            )
            .await?;
        K::modifiable(&record)?;
        self.checked_boundary(caller, boundary_arn).await?;
        K::set_boundary(&self.store, &record, Some(boundary_arn)).await
    }

    /// Delete(User|Role)PermissionsBoundary.
    pub(crate) async fn delete_boundary<K: Bounded>(
        &self,
        caller: &Caller,
        operation: Operation,
        name: &str,
    ) -> ServiceResult<()> {
        let record = self
            .entity::<K>(caller, operation.action(), name, Vec::new())
            .await?;
        K::modifiable(&record)?;
        K::set_boundary(&self.store, &record, None).await
    }

    /// A managed policy about to become a boundary (set later, or at creation): a well-formed
    /// ARN (`InvalidInput`), attachable (`NoSuchEntity` in AWS's boundary words), and valid
    /// as a boundary.
    pub(crate) async fn checked_boundary(
        &self,
        caller: &Caller,
        boundary_arn: &str,
    ) -> ServiceResult<()> {
        super::policies::owner_of(caller, boundary_arn)?;
        if !self.is_attachable(caller, boundary_arn).await? {
            return Err(ServiceError::no_such_entity(format!(
                "Scope ARN: {boundary_arn} does not exist or is not attachable."
            )));
        }
        managed_policy(self.reads(), boundary_arn, PolicyKind::Boundary).await?;
        Ok(())
    }
}

/// The `iam:PermissionsBoundary` context of an operation that sets a boundary.
pub(crate) fn boundary_context(boundary_arn: &str) -> Vec<(String, ContextValue)> {
    vec![(
        "iam:PermissionsBoundary".to_owned(),
        ContextValue::Single(boundary_arn.to_owned()),
    )]
}

/// Tags as the store keeps them.
pub(crate) fn store_tags(tags: &[wire::iam::Tag]) -> Vec<Tag> {
    tags.iter().map(|t| Tag::new(&t.key, &t.value)).collect()
}
