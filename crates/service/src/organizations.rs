//! AWS Organizations on Castellan's endpoint (issue 15): the organization of the caller's
//! account, its root, organizational units, member accounts (each a real Castellan account
//! with its root user and the role AWS creates in it), SCPs and RCPs with their attachments,
//! and tags. Every operation authorizes the caller with Organizations' action and the ARN of
//! what it acts on (`organizations:CreateAccount` on `*`, `organizations:AttachPolicy` on the
//! policy and the target); then it acts on the store, whose writes check the tree's rules.
//! Operations not built keep the generated `NotImplemented`. The policies are stored and
//! validated here; binding requests by them is a later step.

use policy::{ContextValue, Policy, PolicyKind};
use store::{
    AWS_MANAGED_ORG_POLICIES, CreateAccountStatusRecord, NewMemberAccount, NewOrgPolicy,
    NewOrgUnit, NewOrganization, OrgAccountRecord, OrgPolicyRecord, OrgPolicyUpdate, OrgRefusal,
    OrgUnitRecord, OrganizationRecord, StoreError,
};
use wire::organizations::{
    Account, AccountJoinedMethod, AccountState, AccountStatus, AttachPolicyRequest, Child,
    ChildType, CloseAccountRequest, ConstraintViolationExceptionReason, CreateAccountFailureReason,
    CreateAccountRequest, CreateAccountResponse, CreateAccountState, CreateAccountStatus,
    CreateOrganizationRequest, CreateOrganizationResponse, CreateOrganizationalUnitRequest,
    CreateOrganizationalUnitResponse, CreatePolicyRequest, CreatePolicyResponse,
    DeleteOrganizationalUnitRequest, DeletePolicyRequest, DescribeAccountRequest,
    DescribeAccountResponse, DescribeCreateAccountStatusRequest,
    DescribeCreateAccountStatusResponse, DescribeOrganizationResponse,
    DescribeOrganizationalUnitRequest, DescribeOrganizationalUnitResponse, DescribePolicyRequest,
    DescribePolicyResponse, DetachPolicyRequest, DisablePolicyTypeRequest,
    DisablePolicyTypeResponse, EnablePolicyTypeRequest, EnablePolicyTypeResponse, Error,
    InvalidInputExceptionReason, ListAccountsForParentRequest, ListAccountsForParentResponse,
    ListAccountsRequest, ListAccountsResponse, ListChildrenRequest, ListChildrenResponse,
    ListCreateAccountStatusRequest, ListCreateAccountStatusResponse,
    ListOrganizationalUnitsForParentRequest, ListOrganizationalUnitsForParentResponse,
    ListParentsRequest, ListParentsResponse, ListPoliciesForTargetRequest,
    ListPoliciesForTargetResponse, ListPoliciesRequest, ListPoliciesResponse, ListRootsRequest,
    ListRootsResponse, ListTagsForResourceRequest, ListTagsForResourceResponse,
    ListTargetsForPolicyRequest, ListTargetsForPolicyResponse, MoveAccountRequest, Operation,
    Organization, OrganizationFeatureSet, OrganizationalUnit, OrganizationsOperations, Parent,
    ParentType, PolicySummary, PolicyTargetSummary, PolicyType, PolicyTypeStatus,
    PolicyTypeSummary, RemoveAccountFromOrganizationRequest, Request, Response, Root,
    TagResourceRequest, TargetType, UntagResourceRequest, UpdateOrganizationalUnitRequest,
    UpdateOrganizationalUnitResponse, UpdatePolicyRequest, UpdatePolicyResponse,
};

use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{IdKind, new_account_id, new_org_id_part, new_unique_id};
use crate::service::Service;

/// The role CreateAccount makes in the new account when the request names none.
const DEFAULT_ROLE_NAME: &str = "OrganizationAccountAccessRole";

/// The policy attached to that role.
const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// Pages hold at most this many items (the models' `MaxResults` bound).
const MAX_RESULTS: usize = 20;

/// The policy types Castellan's engine evaluates; the others of the model are refused.
const SUPPORTED_TYPES: [PolicyType; 2] = [
    PolicyType::ServiceControlPolicy,
    PolicyType::ResourceControlPolicy,
];

/// AWS's words for a refusal the store reported.
pub(crate) fn refusal(why: OrgRefusal) -> ServiceError {
    use ConstraintViolationExceptionReason as C;
    let e = ServiceError::organizations;
    match why {
        OrgRefusal::AlreadyInOrganization => e(
            Error::AlreadyInOrganization,
            "The AWS account is already a member of an organization.",
        ),
        OrgRefusal::OrganizationNotEmpty => e(
            Error::OrganizationNotEmpty,
            "The organization isn't empty. To delete an organization, you must first remove all accounts except the management account.",
        ),
        OrgRefusal::AccountNotFound => e(
            Error::AccountNotFound,
            "You specified an account that doesn't exist.",
        ),
        OrgRefusal::AccountNotUnderSource => e(
            Error::AccountNotFound,
            "You specified an account that isn't in the specified source parent.",
        ),
        OrgRefusal::OrganizationalUnitNotFound => e(
            Error::OrganizationalUnitNotFound,
            "You specified an organizational unit that doesn't exist.",
        ),
        OrgRefusal::ParentNotFound => e(
            Error::ParentNotFound,
            "You specified a parent that doesn't exist.",
        ),
        OrgRefusal::SourceParentNotFound => e(
            Error::SourceParentNotFound,
            "You specified a source parent that doesn't exist.",
        ),
        OrgRefusal::DestinationParentNotFound => e(
            Error::DestinationParentNotFound,
            "You specified a destination parent that doesn't exist.",
        ),
        OrgRefusal::DuplicateAccount => e(
            Error::DuplicateAccount,
            "That account is already present in the specified destination.",
        ),
        OrgRefusal::RootNotFound => e(
            Error::RootNotFound,
            "You specified a root that doesn't exist.",
        ),
        OrgRefusal::TargetNotFound => e(
            Error::TargetNotFound,
            "You specified a target that doesn't exist.",
        ),
        OrgRefusal::PolicyNotFound => e(
            Error::PolicyNotFound,
            "We can't find a policy with the PolicyId that you specified.",
        ),
        OrgRefusal::DuplicateOrganizationalUnit => e(
            Error::DuplicateOrganizationalUnit,
            "An OU with the same name already exists.",
        ),
        OrgRefusal::DuplicatePolicy => e(
            Error::DuplicatePolicy,
            "A policy with the same name already exists.",
        ),
        OrgRefusal::DuplicatePolicyAttachment => e(
            Error::DuplicatePolicyAttachment,
            "The selected policy is already attached to the specified target.",
        ),
        OrgRefusal::PolicyNotAttached => e(
            Error::PolicyNotAttached,
            "The policy isn't attached to the specified target in the specified root.",
        ),
        OrgRefusal::PolicyInUse => e(
            Error::PolicyInUse,
            "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.",
        ),
        OrgRefusal::PolicyTypeNotEnabled => e(
            Error::PolicyTypeNotEnabled,
            "The specified policy type isn't currently enabled in this root. You can't attach policies of the specified type to entities in a root until you enable that type in the root.",
        ),
        OrgRefusal::PolicyTypeAlreadyEnabled => e(
            Error::PolicyTypeAlreadyEnabled,
            "The specified policy type is already enabled.",
        ),
        OrgRefusal::OrganizationalUnitNotEmpty => e(
            Error::OrganizationalUnitNotEmpty,
            "The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.",
        ),
        OrgRefusal::CreateAccountStatusNotFound => e(
            Error::CreateAccountStatusNotFound,
            "We can't find a create account request with the CreateAccountRequestId that you specified.",
        ),
        OrgRefusal::ManagementAccount => e(
            Error::MasterCannotLeaveOrganization,
            "You can't remove a management account from an organization. If you want the management account to become a member account in another organization, you must first delete the current organization of the management account.",
        ),
        OrgRefusal::AccountAlreadyClosed => e(
            Error::AccountAlreadyClosed,
            "You attempted to close an account that is already closed.",
        ),
        OrgRefusal::OuDepthLimitExceeded => ServiceError::organizations_because(
            Error::ConstraintViolation,
            C::OuDepthLimitExceeded.as_str(),
            "You attempted to create an OU tree that is too many levels deep.",
        ),
        OrgRefusal::MinPolicyTypeAttachment => ServiceError::organizations_because(
            Error::ConstraintViolation,
            C::MinPolicyTypeAttachmentLimitExceeded.as_str(),
            "You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required.",
        ),
        OrgRefusal::AwsManagedPolicy => ServiceError::organizations_because(
            Error::InvalidInput,
            InvalidInputExceptionReason::ImmutablePolicy.as_str(),
            "You specified a policy that is managed by AWS and can't be modified.",
        ),
    }
}

fn not_in_use() -> ServiceError {
    ServiceError::organizations(
        Error::AWSOrganizationsNotInUse,
        "Your account is not a member of an organization.",
    )
}

fn not_management() -> ServiceError {
    ServiceError::organizations(
        Error::AccessDenied,
        "You don't have permissions to access this resource.",
    )
}

fn timestamp(seconds: i64) -> wire::Timestamp {
    wire::Timestamp::from_unix_seconds(seconds)
}

fn policy_type_of(text: &str) -> Option<PolicyType> {
    SUPPORTED_TYPES.into_iter().find(|t| t.as_str() == text)
}

/// The engine's kind for a supported type; the others are refused before anything is read.
fn supported(policy_type: PolicyType) -> ServiceResult<PolicyKind> {
    match policy_type {
        PolicyType::ServiceControlPolicy => Ok(PolicyKind::ServiceControl),
        PolicyType::ResourceControlPolicy => Ok(PolicyKind::ResourceControl),
        other => Err(ServiceError::organizations(
            Error::PolicyTypeNotAvailableForOrganization,
            format!(
                "The policy type {} is not available in Castellan: only SERVICE_CONTROL_POLICY and RESOURCE_CONTROL_POLICY are.",
                other.as_str()
            ),
        )),
    }
}

/// The policy document as Organizations takes it: a valid SCP or RCP, in AWS's words.
fn check_content(content: &str, kind: PolicyKind) -> ServiceResult<()> {
    match Policy::parse(content, kind) {
        Ok(_) => Ok(()),
        Err(error) => {
            let too_large = error
                .first()
                .is_some_and(|f| f.code == policy::FindingCode::LimitExceeded);
            if too_large {
                Err(ServiceError::organizations_because(
                    Error::ConstraintViolation,
                    ConstraintViolationExceptionReason::PolicyContentLimitExceeded.as_str(),
                    "You attempted to create a policy that is larger than the maximum size.",
                ))
            } else {
                Err(ServiceError::organizations(
                    Error::MalformedPolicyDocument,
                    "The provided policy document does not meet the requirements of the specified policy type.",
                ))
            }
        }
    }
}

/// What an id names in an organization's tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Root,
    Unit,
    Account,
}

fn node_of(id: &str) -> Option<Node> {
    if id.starts_with("r-") {
        Some(Node::Root)
    } else if id.starts_with("ou-") {
        Some(Node::Unit)
    } else if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Some(Node::Account)
    } else {
        None
    }
}

/// The ARNs of an organization's resources, all under its management account.
struct Arns<'a>(&'a OrganizationRecord);

impl Arns<'_> {
    fn base(&self) -> String {
        format!("arn:aws:organizations::{}:", self.0.management_account_id)
    }

    fn organization(&self) -> String {
        format!("{}organization/{}", self.base(), self.0.org_id)
    }

    fn root(&self) -> String {
        format!("{}root/{}/{}", self.base(), self.0.org_id, self.0.root_id)
    }

    fn unit(&self, ou_id: &str) -> String {
        format!("{}ou/{}/{ou_id}", self.base(), self.0.org_id)
    }

    fn account(&self, account_id: &str) -> String {
        format!("{}account/{}/{account_id}", self.base(), self.0.org_id)
    }

    fn policy(&self, policy_id: &str, policy_type: &str) -> String {
        let folder = policy_type.to_lowercase();
        if AWS_MANAGED_ORG_POLICIES
            .iter()
            .any(|(id, _)| *id == policy_id)
        {
            format!("arn:aws:organizations::aws:policy/{folder}/{policy_id}")
        } else {
            format!(
                "{}policy/{}/{folder}/{policy_id}",
                self.base(),
                self.0.org_id
            )
        }
    }

    /// A root, unit or account by id (the id's shape says which).
    fn node(&self, id: &str) -> String {
        match node_of(id) {
            Some(Node::Root) => format!("{}root/{}/{id}", self.base(), self.0.org_id),
            Some(Node::Unit) => self.unit(id),
            Some(Node::Account) | None => self.account(id),
        }
    }
}

/// The AWS managed policies' summaries.
fn aws_managed_summary(policy_id: &str, policy_type: &str) -> PolicySummary {
    let (name, description) = match policy_id {
        "p-FullAWSAccess" => ("FullAWSAccess", "Allows access to every operation"),
        _ => ("RCPFullAWSAccess", "Allows access to every resource"),
    };
    PolicySummary {
        id: Some(policy_id.to_owned()),
        arn: Some(format!(
            "arn:aws:organizations::aws:policy/{}/{policy_id}",
            policy_type.to_lowercase()
        )),
        name: Some(name.to_owned()),
        description: Some(description.to_owned()),
        r#type: policy_type_of(policy_type),
        aws_managed: Some(true),
    }
}

fn tags_of(tags: Option<Vec<wire::organizations::Tag>>) -> ServiceResult<Vec<store::Tag>> {
    let tags: Vec<store::Tag> = tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| store::Tag {
            key: t.key,
            value: t.value,
        })
        .collect();
    for (i, tag) in tags.iter().enumerate() {
        if tags.iter().skip(i + 1).any(|o| o.key == tag.key) {
            return Err(ServiceError::organizations_because(
                Error::InvalidInput,
                InvalidInputExceptionReason::DuplicateTagKey.as_str(),
                "You specified the same tag key more than once.",
            ));
        }
        let reserved = tag
            .key
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("aws:"));
        if reserved {
            return Err(ServiceError::organizations_because(
                Error::InvalidInput,
                InvalidInputExceptionReason::InvalidSystemTagsParameter.as_str(),
                "You can't use tag keys that start with aws:.",
            ));
        }
    }
    Ok(tags)
}

fn tag_context(tags: &[store::Tag]) -> Vec<(String, ContextValue)> {
    if tags.is_empty() {
        return Vec::new();
    }
    crate::iam::request_tag_context(tags.iter().map(|t| (t.key.as_str(), t.value.as_str())))
}

fn policy_type_context(policy_type: &str) -> Vec<(String, ContextValue)> {
    vec![(
        "organizations:PolicyType".to_owned(),
        ContextValue::Single(policy_type.to_owned()),
    )]
}

fn wire_tags(tags: Vec<store::Tag>) -> Vec<wire::organizations::Tag> {
    tags.into_iter()
        .map(|t| wire::organizations::Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

fn random(count: usize) -> ServiceResult<String> {
    new_org_id_part(count).map_err(|e| ServiceError::internal(&e))
}

fn status_view(s: CreateAccountStatusRecord) -> CreateAccountStatus {
    let state = match s.state.as_str() {
        "SUCCEEDED" => CreateAccountState::Succeeded,
        "FAILED" => CreateAccountState::Failed,
        _ => CreateAccountState::InProgress,
    };
    CreateAccountStatus {
        id: Some(s.request_id),
        account_name: Some(s.account_name),
        state: Some(state),
        requested_timestamp: Some(timestamp(s.requested_at)),
        completed_timestamp: s.completed_at.map(timestamp),
        account_id: s.account_id,
        gov_cloud_account_id: None,
        failure_reason: s.failure_reason.as_deref().and_then(|r| {
            [
                CreateAccountFailureReason::EmailAlreadyExists,
                CreateAccountFailureReason::ConcurrentAccountModification,
                CreateAccountFailureReason::InternalFailure,
            ]
            .into_iter()
            .find(|f| f.as_str() == r)
        }),
    }
}

impl Service {
    /// Runs one Organizations operation for an authenticated caller.
    pub async fn organizations(
        &self,
        caller: &Caller,
        request: Request,
    ) -> ServiceResult<Response> {
        self.check_fresh()?;
        let operation = request.operation();
        let response = wire::organizations::dispatch(self, caller, request).await;
        if response.is_ok() && !operation.reads_only() {
            self.after_write().await;
        }
        response
    }

    /// The caller's organization, or `AWSOrganizationsNotInUseException`.
    async fn org_of(&self, caller: &Caller) -> ServiceResult<OrganizationRecord> {
        self.reads()
            .organization_of(&caller.account_id)
            .await?
            .ok_or_else(not_in_use)
    }

    /// The caller's organization when the caller's account manages it; a member account's
    /// callers get AWS's `AccessDeniedException`.
    async fn managed_org(&self, caller: &Caller) -> ServiceResult<OrganizationRecord> {
        let org = self.org_of(caller).await?;
        if org.management_account_id == caller.account_id {
            Ok(org)
        } else {
            Err(not_management())
        }
    }

    /// The caller's organization, which its account must manage, once the engine allows
    /// `operation` on the resource `arn` names in it.
    async fn org_authorized(
        &self,
        caller: &Caller,
        operation: Operation,
        arn: impl FnOnce(&Arns<'_>) -> String,
        extra: Vec<(String, ContextValue)>,
    ) -> ServiceResult<OrganizationRecord> {
        let org = self.managed_org(caller).await?;
        let resource = arn(&Arns(&org));
        self.allow_action(caller, operation.action(), &resource, extra)
            .await?;
        Ok(org)
    }

    /// A page of `items` for `operation`, behind a sealed `NextToken`.
    fn org_page<T: Clone>(
        &self,
        caller: &Caller,
        operation: Operation,
        items: &[T],
        next_token: Option<&str>,
        max_results: Option<i32>,
    ) -> ServiceResult<(Vec<T>, Option<String>)> {
        let invalid = || {
            ServiceError::organizations_because(
                Error::InvalidInput,
                InvalidInputExceptionReason::InvalidNextToken.as_str(),
                "You specified an invalid value for nextToken.",
            )
        };
        let start = match next_token {
            None => 0,
            Some(token) => {
                crate::marker::decode(&self.sealer, &caller.account_id, operation.name(), token)
                    .map_err(|_| invalid())?
                    .parse::<usize>()
                    .map_err(|_| invalid())?
            }
        };
        let size = max_results
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(MAX_RESULTS)
            .clamp(1, MAX_RESULTS);
        let (page, next) = crate::marker::slice(items, start, size);
        let token = next
            .map(|n| {
                crate::marker::encode(
                    &self.sealer,
                    &caller.account_id,
                    operation.name(),
                    &n.to_string(),
                )
            })
            .transpose()?;
        Ok((page, token))
    }

    fn organization_view(org: &OrganizationRecord) -> Organization {
        let arns = Arns(org);
        Organization {
            id: Some(org.org_id.clone()),
            arn: Some(arns.organization()),
            feature_set: Some(OrganizationFeatureSet::All),
            master_account_arn: Some(arns.account(&org.management_account_id)),
            master_account_id: Some(org.management_account_id.clone()),
            master_account_email: Some(org.management_email.clone()),
            // AWS answers this deprecated list empty; the root lists the enabled types.
            available_policy_types: Some(Vec::new()),
        }
    }

    fn root_view(org: &OrganizationRecord) -> Root {
        Root {
            id: Some(org.root_id.clone()),
            arn: Some(Arns(org).root()),
            name: Some("Root".to_owned()),
            policy_types: Some(
                org.policy_types
                    .iter()
                    .filter_map(|t| policy_type_of(t))
                    .map(|t| PolicyTypeSummary {
                        r#type: Some(t),
                        status: Some(PolicyTypeStatus::Enabled),
                    })
                    .collect(),
            ),
        }
    }

    fn account_view(org: &OrganizationRecord, a: &OrgAccountRecord) -> Account {
        let active = a.status == "ACTIVE";
        Account {
            id: Some(a.account_id.clone()),
            arn: Some(Arns(org).account(&a.account_id)),
            email: Some(a.email.clone()),
            name: Some(a.name.clone()),
            status: Some(if active {
                AccountStatus::Active
            } else {
                AccountStatus::Suspended
            }),
            state: Some(if active {
                AccountState::Active
            } else {
                AccountState::Suspended
            }),
            paths: None,
            joined_method: Some(if a.joined_method == "CREATED" {
                AccountJoinedMethod::Created
            } else {
                AccountJoinedMethod::Invited
            }),
            joined_timestamp: Some(timestamp(a.joined_at)),
        }
    }

    fn unit_view(org: &OrganizationRecord, u: &OrgUnitRecord) -> OrganizationalUnit {
        OrganizationalUnit {
            id: Some(u.ou_id.clone()),
            arn: Some(Arns(org).unit(&u.ou_id)),
            name: Some(u.name.clone()),
            path: None,
        }
    }

    fn policy_summary(org: &OrganizationRecord, p: &OrgPolicyRecord) -> PolicySummary {
        PolicySummary {
            id: Some(p.policy_id.clone()),
            arn: Some(Arns(org).policy(&p.policy_id, &p.policy_type)),
            name: Some(p.name.clone()),
            description: Some(p.description.clone()),
            r#type: policy_type_of(&p.policy_type),
            aws_managed: Some(false),
        }
    }

    /// A policy's summary and type by id (AWS managed or the organization's).
    async fn find_policy(
        &self,
        org: &OrganizationRecord,
        policy_id: &str,
    ) -> ServiceResult<(PolicySummary, String, String)> {
        if let Some((id, policy_type)) = AWS_MANAGED_ORG_POLICIES
            .iter()
            .find(|(id, _)| *id == policy_id)
        {
            return Ok((
                aws_managed_summary(id, policy_type),
                (*policy_type).to_owned(),
                crate::guardrails::aws_managed_document(id).to_owned(),
            ));
        }
        let p = self.reads().get_org_policy(&org.org_id, policy_id).await?;
        Ok((
            Self::policy_summary(org, &p),
            p.policy_type.clone(),
            p.content,
        ))
    }

    /// The parent of a unit or account.
    async fn parent_of(&self, org: &OrganizationRecord, child: &str) -> ServiceResult<String> {
        match node_of(child) {
            Some(Node::Unit) => Ok(self
                .reads()
                .get_org_unit(&org.org_id, child)
                .await?
                .parent_id),
            Some(Node::Account) => Ok(self
                .reads()
                .get_org_account(&org.org_id, child)
                .await?
                .parent_id),
            _ => Err(ServiceError::organizations(
                Error::ChildNotFound,
                "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
            )),
        }
    }

    /// The caller's organization once `operation` (AttachPolicy, DetachPolicy) is allowed on
    /// the policy and on the target.
    async fn binding(
        &self,
        caller: &Caller,
        operation: Operation,
        policy_id: &str,
        target_id: &str,
    ) -> ServiceResult<OrganizationRecord> {
        let org = self.managed_org(caller).await?;
        let (_, policy_type, _) = self.find_policy(&org, policy_id).await?;
        let arns = Arns(&org);
        for resource in [arns.policy(policy_id, &policy_type), arns.node(target_id)] {
            self.allow_action(
                caller,
                operation.action(),
                &resource,
                policy_type_context(&policy_type),
            )
            .await?;
        }
        Ok(org)
    }

    /// EnablePolicyType (`enable`) or DisablePolicyType on a root: the root as it is after.
    async fn switch_policy_type(
        &self,
        caller: &Caller,
        enable: bool,
        root_id: &str,
        policy_type: PolicyType,
    ) -> ServiceResult<Root> {
        let operation = if enable {
            Operation::EnablePolicyType
        } else {
            Operation::DisablePolicyType
        };
        let context = policy_type_context(policy_type.as_str());
        let org = self
            .org_authorized(caller, operation, |arns| arns.node(root_id), context)
            .await?;
        supported(policy_type)?;
        let (org_id, kind) = (&org.org_id, policy_type.as_str());
        let org = if enable {
            self.store
                .enable_org_policy_type(org_id, root_id, kind)
                .await?
        } else {
            self.store
                .disable_org_policy_type(org_id, root_id, kind)
                .await?
        };
        Ok(Self::root_view(&org))
    }

    /// The ids of the units or accounts directly under a root or unit, once `operation` is
    /// allowed on the parent; `ParentNotFoundException` when the organization has no such
    /// parent.
    async fn children(
        &self,
        caller: &Caller,
        operation: Operation,
        parent_id: &str,
        kind: ChildType,
    ) -> ServiceResult<(OrganizationRecord, Vec<String>)> {
        let org = self
            .org_authorized(caller, operation, |arns| arns.node(parent_id), Vec::new())
            .await?;
        self.require_parent(&org, parent_id).await?;
        let ids = match kind {
            ChildType::Account => self
                .reads()
                .list_org_accounts(&org.org_id)
                .await?
                .into_iter()
                .filter(|a| a.parent_id == parent_id)
                .map(|a| a.account_id)
                .collect(),
            ChildType::OrganizationalUnit => self
                .reads()
                .list_org_units(&org.org_id)
                .await?
                .into_iter()
                .filter(|u| u.parent_id == parent_id)
                .map(|u| u.ou_id)
                .collect(),
        };
        Ok((org, ids))
    }

    /// Checks that a parent id names the root or a unit of the organization.
    async fn require_parent(&self, org: &OrganizationRecord, parent_id: &str) -> ServiceResult<()> {
        let found = match node_of(parent_id) {
            Some(Node::Root) => parent_id == org.root_id,
            Some(Node::Unit) => match self.reads().get_org_unit(&org.org_id, parent_id).await {
                Ok(_) => true,
                Err(StoreError::Organizations(_)) => false,
                Err(other) => return Err(other.into()),
            },
            _ => false,
        };
        if found {
            Ok(())
        } else {
            Err(refusal(OrgRefusal::ParentNotFound))
        }
    }
}

impl OrganizationsOperations for Service {
    type Context = Caller;
    type Error = ServiceError;

    fn not_implemented(&self, operation: Operation) -> ServiceError {
        ServiceError::not_implemented(operation.name())
    }

    async fn create_organization(
        &self,
        caller: &Caller,
        input: CreateOrganizationRequest,
    ) -> ServiceResult<CreateOrganizationResponse> {
        self.allow_action(
            caller,
            Operation::CreateOrganization.action(),
            "*",
            Vec::new(),
        )
        .await?;
        if input.feature_set == Some(OrganizationFeatureSet::ConsolidatedBilling) {
            return Err(ServiceError::organizations_because(
                Error::ConstraintViolation,
                ConstraintViolationExceptionReason::OrganizationNotInAllFeaturesMode.as_str(),
                "Castellan's organizations have all features enabled: CONSOLIDATED_BILLING is not offered.",
            ));
        }
        let account = self.reads().get_account(&caller.account_id).await?;
        let org = self
            .store
            .create_organization(&NewOrganization {
                org_id: format!("o-{}", random(10)?),
                root_id: format!("r-{}", random(4)?),
                management_account_id: caller.account_id.clone(),
                management_name: account
                    .alias
                    .clone()
                    .unwrap_or_else(|| caller.account_id.clone()),
                management_email: account.email,
                feature_set: "ALL".to_owned(),
                created_at: self.clock.seconds(),
            })
            .await?;
        Ok(CreateOrganizationResponse {
            organization: Some(Self::organization_view(&org)),
        })
    }

    async fn describe_organization(
        &self,
        caller: &Caller,
    ) -> ServiceResult<DescribeOrganizationResponse> {
        let org = self.org_of(caller).await?;
        self.allow_action(
            caller,
            Operation::DescribeOrganization.action(),
            "*",
            Vec::new(),
        )
        .await?;
        Ok(DescribeOrganizationResponse {
            organization: Some(Self::organization_view(&org)),
        })
    }

    async fn delete_organization(&self, caller: &Caller) -> ServiceResult<()> {
        let org = self
            .org_authorized(
                caller,
                Operation::DeleteOrganization,
                |_| "*".to_owned(),
                Vec::new(),
            )
            .await?;
        self.store.delete_organization(&org.org_id).await?;
        Ok(())
    }

    async fn create_account(
        &self,
        caller: &Caller,
        input: CreateAccountRequest,
    ) -> ServiceResult<CreateAccountResponse> {
        let org = self.managed_org(caller).await?;
        let tags = tags_of(input.tags)?;
        self.allow_action(
            caller,
            Operation::CreateAccount.action(),
            "*",
            tag_context(&tags),
        )
        .await?;
        if !tags.is_empty() {
            self.allow_action(
                caller,
                Operation::TagResource.action(),
                "*",
                tag_context(&tags),
            )
            .await?;
        }
        let role_name = input
            .role_name
            .unwrap_or_else(|| DEFAULT_ROLE_NAME.to_owned());
        let now = self.clock.seconds();
        let request_id = format!("car-{}", random(32)?);
        let account_id = new_account_id().map_err(|e| ServiceError::internal(&e))?;
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{}:root"}},"Action":"sts:AssumeRole"}}]}}"#,
            org.management_account_id
        );
        let trust_policy = Policy::parse(&trust, PolicyKind::Trust)?;
        let mut status = CreateAccountStatusRecord {
            request_id,
            org_id: org.org_id.clone(),
            account_name: input.account_name.clone(),
            state: "SUCCEEDED".to_owned(),
            requested_at: now,
            completed_at: Some(now),
            account_id: Some(account_id.clone()),
            failure_reason: None,
        };
        let new = NewMemberAccount {
            org_id: org.org_id.clone(),
            account: store::NewAccount {
                account_id: account_id.clone(),
                email: input.email,
                alias: None,
                created_at: now,
                // As on AWS, the new account's root user has no access key: the management
                // account reaches it through the role.
                root_key: None,
            },
            name: input.account_name,
            role: store::NewRole {
                account_id: account_id.clone(),
                role_id: new_unique_id(IdKind::Role).map_err(|e| ServiceError::internal(&e))?,
                name: role_name,
                path: "/".to_owned(),
                trust_policy,
                trust_principals: Vec::new(),
                description: None,
                max_session_duration: 3600,
                permissions_boundary_arn: None,
                created_at: now,
                tags: Vec::new(),
            },
            role_policies: vec![ADMINISTRATOR_ACCESS.to_owned()],
            tags,
            status: status.clone(),
        };
        match self.store.create_member_account(&new).await {
            Ok(_) => {}
            Err(StoreError::EntityAlreadyExists { .. }) => {
                // AWS answers the request and reports the failure in its status.
                status.state = "FAILED".to_owned();
                status.account_id = None;
                status.failure_reason = Some(
                    CreateAccountFailureReason::EmailAlreadyExists
                        .as_str()
                        .to_owned(),
                );
                self.store.record_create_account_status(&status).await?;
            }
            Err(other) => return Err(other.into()),
        }
        Ok(CreateAccountResponse {
            create_account_status: Some(status_view(status)),
        })
    }

    async fn describe_create_account_status(
        &self,
        caller: &Caller,
        input: DescribeCreateAccountStatusRequest,
    ) -> ServiceResult<DescribeCreateAccountStatusResponse> {
        let org = self.managed_org(caller).await?;
        self.allow_action(
            caller,
            Operation::DescribeCreateAccountStatus.action(),
            "*",
            Vec::new(),
        )
        .await?;
        let status = self
            .reads()
            .get_create_account_status(&org.org_id, &input.create_account_request_id)
            .await?;
        Ok(DescribeCreateAccountStatusResponse {
            create_account_status: Some(status_view(status)),
        })
    }

    async fn list_create_account_status(
        &self,
        caller: &Caller,
        input: ListCreateAccountStatusRequest,
    ) -> ServiceResult<ListCreateAccountStatusResponse> {
        let org = self
            .org_authorized(
                caller,
                Operation::ListCreateAccountStatus,
                |_| "*".to_owned(),
                Vec::new(),
            )
            .await?;
        let states = input.states.unwrap_or_default();
        let all: Vec<CreateAccountStatus> = self
            .reads()
            .list_create_account_statuses(&org.org_id)
            .await?
            .into_iter()
            .map(status_view)
            .filter(|s| states.is_empty() || s.state.is_some_and(|st| states.contains(&st)))
            .collect();
        let (page, next_token) = self.org_page(
            caller,
            Operation::ListCreateAccountStatus,
            &all,
            input.next_token.as_deref(),
            input.max_results,
        )?;
        Ok(ListCreateAccountStatusResponse {
            create_account_statuses: Some(page),
            next_token,
        })
    }

    async fn list_accounts(
        &self,
        caller: &Caller,
        input: ListAccountsRequest,
    ) -> ServiceResult<ListAccountsResponse> {
        let org = self
            .org_authorized(
                caller,
                Operation::ListAccounts,
                |_| "*".to_owned(),
                Vec::new(),
            )
            .await?;
        let all: Vec<Account> = self
            .reads()
            .list_org_accounts(&org.org_id)
            .await?
            .iter()
            .map(|a| Self::account_view(&org, a))
            .collect();
        let (page, next_token) = self.org_page(
            caller,
            Operation::ListAccounts,
            &all,
            input.next_token.as_deref(),
            input.max_results,
        )?;
        Ok(ListAccountsResponse {
            accounts: Some(page),
            next_token,
        })
    }

    async fn describe_account(
        &self,
        caller: &Caller,
        input: DescribeAccountRequest,
    ) -> ServiceResult<DescribeAccountResponse> {
        let org = self
            .org_authorized(
                caller,
                Operation::DescribeAccount,
                |arns| arns.account(&input.account_id),
                Vec::new(),
            )
            .await?;
        let account = self
            .reads()
            .get_org_account(&org.org_id, &input.account_id)
            .await?;
        Ok(DescribeAccountResponse {
            account: Some(Self::account_view(&org, &account)),
        })
    }

    async fn close_account(
        &self,
        caller: &Caller,
        input: CloseAccountRequest,
    ) -> ServiceResult<()> {
        let org = self
            .org_authorized(
                caller,
                Operation::CloseAccount,
                |arns| arns.account(&input.account_id),
                Vec::new(),
            )
            .await?;
        if input.account_id == org.management_account_id {
            return Err(ServiceError::organizations_because(
                Error::ConstraintViolation,
                ConstraintViolationExceptionReason::CannotCloseManagementAccount.as_str(),
                "You attempted to close the management account. Remove all member accounts and delete the organization first.",
            ));
        }
        self.store
            .close_org_account(&org.org_id, &input.account_id)
            .await?;
        Ok(())
    }

    async fn remove_account_from_organization(
        &self,
        caller: &Caller,
        input: RemoveAccountFromOrganizationRequest,
    ) -> ServiceResult<()> {
        let org = self
            .org_authorized(
                caller,
                Operation::RemoveAccountFromOrganization,
                |arns| arns.account(&input.account_id),
                Vec::new(),
            )
            .await?;
        self.store
            .remove_org_account(&org.org_id, &input.account_id)
            .await?;
        Ok(())
    }

    async fn list_roots(
        &self,
        caller: &Caller,
        input: ListRootsRequest,
    ) -> ServiceResult<ListRootsResponse> {
        let org = self
            .org_authorized(caller, Operation::ListRoots, |_| "*".to_owned(), Vec::new())
            .await?;
        let (roots, next_token) = self.org_page(
            caller,
            Operation::ListRoots,
            &[Self::root_view(&org)],
            input.next_token.as_deref(),
            input.max_results,
        )?;
        Ok(ListRootsResponse {
            roots: Some(roots),
            next_token,
        })
    }

    async fn create_organizational_unit(
        &self,
        caller: &Caller,
        input: CreateOrganizationalUnitRequest,
    ) -> ServiceResult<CreateOrganizationalUnitResponse> {
        let org = self.managed_org(caller).await?;
        let tags = tags_of(input.tags)?;
        self.allow_action(
            caller,
            Operation::CreateOrganizationalUnit.action(),
            &Arns(&org).node(&input.parent_id),
            tag_context(&tags),
        )
        .await?;
        let root_part = org.root_id.trim_start_matches("r-");
        let unit = self
            .store
            .create_org_unit(&NewOrgUnit {
                ou_id: format!("ou-{root_part}-{}", random(8)?),
                org_id: org.org_id.clone(),
                parent_id: input.parent_id,
                name: input.name,
                tags,
                created_at: self.clock.seconds(),
            })
            .await?;
        Ok(CreateOrganizationalUnitResponse {
            organizational_unit: Some(Self::unit_view(&org, &unit)),
        })
    }

    async fn describe_organizational_unit(
        &self,
        caller: &Caller,
        input: DescribeOrganizationalUnitRequest,
    ) -> ServiceResult<DescribeOrganizationalUnitResponse> {
        let org = self
            .org_authorized(
                caller,
                Operation::DescribeOrganizationalUnit,
                |arns| arns.unit(&input.organizational_unit_id),
                Vec::new(),
            )
            .await?;
        let unit = self
            .reads()
            .get_org_unit(&org.org_id, &input.organizational_unit_id)
            .await?;
        Ok(DescribeOrganizationalUnitResponse {
            organizational_unit: Some(Self::unit_view(&org, &unit)),
        })
    }

    async fn update_organizational_unit(
        &self,
        caller: &Caller,
        input: UpdateOrganizationalUnitRequest,
    ) -> ServiceResult<UpdateOrganizationalUnitResponse> {
        let org = self
            .org_authorized(
                caller,
                Operation::UpdateOrganizationalUnit,
                |arns| arns.unit(&input.organizational_unit_id),
                Vec::new(),
            )
            .await?;
        let unit = match input.name {
            Some(name) => {
                self.store
                    .rename_org_unit(&org.org_id, &input.organizational_unit_id, &name)
                    .await?
            }
            None => {
                self.reads()
                    .get_org_unit(&org.org_id, &input.organizational_unit_id)
                    .await?
            }
        };
        Ok(UpdateOrganizationalUnitResponse {
            organizational_unit: Some(Self::unit_view(&org, &unit)),
        })
    }

    async fn delete_organizational_unit(
        &self,
        caller: &Caller,
        input: DeleteOrganizationalUnitRequest,
    ) -> ServiceResult<()> {
        let org = self
            .org_authorized(
                caller,
                Operation::DeleteOrganizationalUnit,
                |arns| arns.unit(&input.organizational_unit_id),
                Vec::new(),
            )
            .await?;
        self.store
            .delete_org_unit(&org.org_id, &input.organizational_unit_id)
            .await?;
        Ok(())
    }

    async fn list_organizational_units_for_parent(
        &self,
        caller: &Caller,
        input: ListOrganizationalUnitsForParentRequest,
    ) -> ServiceResult<ListOrganizationalUnitsForParentResponse> {
        let operation = Operation::ListOrganizationalUnitsForParent;
        let (org, children) = self
            .children(
                caller,
                operation,
                &input.parent_id,
                ChildType::OrganizationalUnit,
            )
            .await?;
        let units = self.reads().list_org_units(&org.org_id).await?;
        let all: Vec<OrganizationalUnit> = units
            .iter()
            .filter(|u| children.contains(&u.ou_id))
            .map(|u| Self::unit_view(&org, u))
            .collect();
        let (page, next_token) = self.org_page(
            caller,
            operation,
            &all,
            input.next_token.as_deref(),
            input.max_results,
        )?;
        Ok(ListOrganizationalUnitsForParentResponse {
            organizational_units: Some(page),
            next_token,
        })
    }

    async fn list_accounts_for_parent(
        &self,
        caller: &Caller,
        input: ListAccountsForParentRequest,
    ) -> ServiceResult<ListAccountsForParentResponse> {
        let operation = Operation::ListAccountsForParent;
        let (org, children) = self
            .children(caller, operation, &input.parent_id, ChildType::Account)
            .await?;
        let accounts = self.reads().list_org_accounts(&org.org_id).await?;
        let all: Vec<Account> = accounts
            .iter()
            .filter(|a| children.contains(&a.account_id))
            .map(|a| Self::account_view(&org, a))
            .collect();
        let (page, next_token) = self.org_page(
            caller,
            operation,
            &all,
            input.next_token.as_deref(),
            input.max_results,
        )?;
        Ok(ListAccountsForParentResponse {
            accounts: Some(page),
            next_token,
        })
    }

    async fn list_children(
        &self,
        caller: &Caller,
        input: ListChildrenRequest,
    ) -> ServiceResult<ListChildrenResponse> {
        let operation = Operation::ListChildren;
        let (_, ids) = self
            .children(caller, operation, &input.parent_id, input.child_type)
            .await?;
        let all: Vec<Child> = ids
            .into_iter()
            .map(|id| Child {
                id: Some(id),
                r#type: Some(input.child_type),
            })
            .collect();
        let (page, next_token) = self.org_page(
            caller,
            operation,
            &all,
            input.next_token.as_deref(),
            input.max_results,
        )?;
        Ok(ListChildrenResponse {
            children: Some(page),
            next_token,
        })
    }

    async fn list_parents(
        &self,
        caller: &Caller,
        input: ListParentsRequest,
    ) -> ServiceResult<ListParentsResponse> {
        let org = self
            .org_authorized(
                caller,
                Operation::ListParents,
                |arns| arns.node(&input.child_id),
                Vec::new(),
            )
            .await?;
        let parent = match self.parent_of(&org, &input.child_id).await {
            Err(ServiceError::Organizations { .. }) => {
                return Err(ServiceError::organizations(
                    Error::ChildNotFound,
                    "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.",
                ));
            }
            other => other?,
        };
        let kind = if node_of(&parent) == Some(Node::Root) {
            ParentType::Root
        } else {
            ParentType::OrganizationalUnit
        };
        Ok(ListParentsResponse {
            parents: Some(vec![Parent {
                id: Some(parent),
                r#type: Some(kind),
            }]),
            next_token: None,
        })
    }

    async fn move_account(&self, caller: &Caller, input: MoveAccountRequest) -> ServiceResult<()> {
        let org = self.managed_org(caller).await?;
        let arns = Arns(&org);
        self.allow_action(
            caller,
            Operation::MoveAccount.action(),
            &arns.account(&input.account_id),
            Vec::new(),
        )
        .await?;
        self.allow_action(
            caller,
            Operation::MoveAccount.action(),
            &arns.node(&input.destination_parent_id),
            Vec::new(),
        )
        .await?;
        self.store
            .move_org_account(
                &org.org_id,
                &input.account_id,
                &input.source_parent_id,
                &input.destination_parent_id,
            )
            .await?;
        Ok(())
    }

    async fn enable_policy_type(
        &self,
        caller: &Caller,
        input: EnablePolicyTypeRequest,
    ) -> ServiceResult<EnablePolicyTypeResponse> {
        let root = self
            .switch_policy_type(caller, true, &input.root_id, input.policy_type)
            .await?;
        Ok(EnablePolicyTypeResponse { root: Some(root) })
    }

    async fn disable_policy_type(
        &self,
        caller: &Caller,
        input: DisablePolicyTypeRequest,
    ) -> ServiceResult<DisablePolicyTypeResponse> {
        let root = self
            .switch_policy_type(caller, false, &input.root_id, input.policy_type)
            .await?;
        Ok(DisablePolicyTypeResponse { root: Some(root) })
    }

    async fn create_policy(
        &self,
        caller: &Caller,
        input: CreatePolicyRequest,
    ) -> ServiceResult<CreatePolicyResponse> {
        let org = self.managed_org(caller).await?;
        let tags = tags_of(input.tags)?;
        let mut context = tag_context(&tags);
        context.extend(policy_type_context(input.r#type.as_str()));
        self.allow_action(caller, Operation::CreatePolicy.action(), "*", context)
            .await?;
        let kind = supported(input.r#type)?;
        check_content(&input.content, kind)?;
        let policy = self
            .store
            .create_org_policy(&NewOrgPolicy {
                policy: OrgPolicyRecord {
                    policy_id: format!("p-{}", random(8)?),
                    org_id: org.org_id.clone(),
                    policy_type: input.r#type.as_str().to_owned(),
                    name: input.name,
                    description: input.description,
                    content: input.content,
                },
                tags,
            })
            .await?;
        Ok(CreatePolicyResponse {
            policy: Some(wire::organizations::Policy {
                policy_summary: Some(Self::policy_summary(&org, &policy)),
                content: Some(policy.content),
            }),
        })
    }

    async fn describe_policy(
        &self,
        caller: &Caller,
        input: DescribePolicyRequest,
    ) -> ServiceResult<DescribePolicyResponse> {
        let org = self.managed_org(caller).await?;
        let (summary, policy_type, content) = self.find_policy(&org, &input.policy_id).await?;
        self.allow_action(
            caller,
            Operation::DescribePolicy.action(),
            &Arns(&org).policy(&input.policy_id, &policy_type),
            policy_type_context(&policy_type),
        )
        .await?;
        Ok(DescribePolicyResponse {
            policy: Some(wire::organizations::Policy {
                policy_summary: Some(summary),
                content: Some(content),
            }),
        })
    }

    async fn update_policy(
        &self,
        caller: &Caller,
        input: UpdatePolicyRequest,
    ) -> ServiceResult<UpdatePolicyResponse> {
        let org = self.managed_org(caller).await?;
        let (_, policy_type, _) = self.find_policy(&org, &input.policy_id).await?;
        self.allow_action(
            caller,
            Operation::UpdatePolicy.action(),
            &Arns(&org).policy(&input.policy_id, &policy_type),
            policy_type_context(&policy_type),
        )
        .await?;
        if let (Some(content), Some(t)) = (&input.content, policy_type_of(&policy_type)) {
            check_content(content, supported(t)?)?;
        }
        let policy = self
            .store
            .update_org_policy(
                &org.org_id,
                &input.policy_id,
                &OrgPolicyUpdate {
                    name: input.name,
                    description: input.description,
                    content: input.content,
                },
            )
            .await?;
        Ok(UpdatePolicyResponse {
            policy: Some(wire::organizations::Policy {
                policy_summary: Some(Self::policy_summary(&org, &policy)),
                content: Some(policy.content),
            }),
        })
    }

    async fn delete_policy(
        &self,
        caller: &Caller,
        input: DeletePolicyRequest,
    ) -> ServiceResult<()> {
        let org = self.managed_org(caller).await?;
        let (_, policy_type, _) = self.find_policy(&org, &input.policy_id).await?;
        self.allow_action(
            caller,
            Operation::DeletePolicy.action(),
            &Arns(&org).policy(&input.policy_id, &policy_type),
            policy_type_context(&policy_type),
        )
        .await?;
        self.store
            .delete_org_policy(&org.org_id, &input.policy_id)
            .await?;
        Ok(())
    }

    async fn list_policies(
        &self,
        caller: &Caller,
        input: ListPoliciesRequest,
    ) -> ServiceResult<ListPoliciesResponse> {
        let org = self.managed_org(caller).await?;
        self.allow_action(
            caller,
            Operation::ListPolicies.action(),
            "*",
            policy_type_context(input.filter.as_str()),
        )
        .await?;
        supported(input.filter)?;
        let mut all: Vec<PolicySummary> = AWS_MANAGED_ORG_POLICIES
            .iter()
            .filter(|(_, t)| *t == input.filter.as_str())
            .map(|(id, t)| aws_managed_summary(id, t))
            .collect();
        all.extend(
            self.reads()
                .list_org_policies(&org.org_id, input.filter.as_str())
                .await?
                .iter()
                .map(|p| Self::policy_summary(&org, p)),
        );
        let (page, next_token) = self.org_page(
            caller,
            Operation::ListPolicies,
            &all,
            input.next_token.as_deref(),
            input.max_results,
        )?;
        Ok(ListPoliciesResponse {
            policies: Some(page),
            next_token,
        })
    }

    async fn attach_policy(
        &self,
        caller: &Caller,
        input: AttachPolicyRequest,
    ) -> ServiceResult<()> {
        let operation = Operation::AttachPolicy;
        let org = self
            .binding(caller, operation, &input.policy_id, &input.target_id)
            .await?;
        self.store
            .attach_org_policy(&org.org_id, &input.policy_id, &input.target_id)
            .await?;
        Ok(())
    }

    async fn detach_policy(
        &self,
        caller: &Caller,
        input: DetachPolicyRequest,
    ) -> ServiceResult<()> {
        let operation = Operation::DetachPolicy;
        let org = self
            .binding(caller, operation, &input.policy_id, &input.target_id)
            .await?;
        self.store
            .detach_org_policy(&org.org_id, &input.policy_id, &input.target_id)
            .await?;
        Ok(())
    }

    async fn list_policies_for_target(
        &self,
        caller: &Caller,
        input: ListPoliciesForTargetRequest,
    ) -> ServiceResult<ListPoliciesForTargetResponse> {
        let org = self
            .org_authorized(
                caller,
                Operation::ListPoliciesForTarget,
                |arns| arns.node(&input.target_id),
                policy_type_context(input.filter.as_str()),
            )
            .await?;
        supported(input.filter)?;
        let exists = match node_of(&input.target_id) {
            Some(Node::Root) => input.target_id == org.root_id,
            Some(_) => self.parent_of(&org, &input.target_id).await.is_ok(),
            None => false,
        };
        if !exists {
            return Err(refusal(OrgRefusal::TargetNotFound));
        }
        let ids = self
            .reads()
            .list_org_policies_for_target(&org.org_id, &input.target_id, input.filter.as_str())
            .await?;
        let mut all = Vec::with_capacity(ids.len());
        for id in ids {
            all.push(self.find_policy(&org, &id).await?.0);
        }
        let (page, next_token) = self.org_page(
            caller,
            Operation::ListPoliciesForTarget,
            &all,
            input.next_token.as_deref(),
            input.max_results,
        )?;
        Ok(ListPoliciesForTargetResponse {
            policies: Some(page),
            next_token,
        })
    }

    async fn list_targets_for_policy(
        &self,
        caller: &Caller,
        input: ListTargetsForPolicyRequest,
    ) -> ServiceResult<ListTargetsForPolicyResponse> {
        let org = self.managed_org(caller).await?;
        let (_, policy_type, _) = self.find_policy(&org, &input.policy_id).await?;
        let arns = Arns(&org);
        self.allow_action(
            caller,
            Operation::ListTargetsForPolicy.action(),
            &arns.policy(&input.policy_id, &policy_type),
            policy_type_context(&policy_type),
        )
        .await?;
        let ids = self
            .reads()
            .list_org_targets_for_policy(&org.org_id, &input.policy_id)
            .await?;
        let accounts = self.reads().list_org_accounts(&org.org_id).await?;
        let units = self.reads().list_org_units(&org.org_id).await?;
        let all: Vec<PolicyTargetSummary> = ids
            .into_iter()
            .map(|id| {
                let (name, kind) = match node_of(&id) {
                    Some(Node::Root) => ("Root".to_owned(), TargetType::Root),
                    Some(Node::Unit) => (
                        units
                            .iter()
                            .find(|u| u.ou_id == id)
                            .map(|u| u.name.clone())
                            .unwrap_or_default(),
                        TargetType::OrganizationalUnit,
                    ),
                    _ => (
                        accounts
                            .iter()
                            .find(|a| a.account_id == id)
                            .map(|a| a.name.clone())
                            .unwrap_or_default(),
                        TargetType::Account,
                    ),
                };
                PolicyTargetSummary {
                    arn: Some(arns.node(&id)),
                    target_id: Some(id),
                    name: Some(name),
                    r#type: Some(kind),
                }
            })
            .collect();
        let (page, next_token) = self.org_page(
            caller,
            Operation::ListTargetsForPolicy,
            &all,
            input.next_token.as_deref(),
            input.max_results,
        )?;
        Ok(ListTargetsForPolicyResponse {
            targets: Some(page),
            next_token,
        })
    }

    async fn tag_resource(&self, caller: &Caller, input: TagResourceRequest) -> ServiceResult<()> {
        let org = self.managed_org(caller).await?;
        let tags = tags_of(Some(input.tags))?;
        let resource = self.resource_arn(&org, &input.resource_id).await?;
        self.allow_action(
            caller,
            Operation::TagResource.action(),
            &resource,
            tag_context(&tags),
        )
        .await?;
        self.store
            .tag_org_resource(&org.org_id, &input.resource_id, &tags)
            .await?;
        Ok(())
    }

    async fn untag_resource(
        &self,
        caller: &Caller,
        input: UntagResourceRequest,
    ) -> ServiceResult<()> {
        let org = self.managed_org(caller).await?;
        let resource = self.resource_arn(&org, &input.resource_id).await?;
        self.allow_action(
            caller,
            Operation::UntagResource.action(),
            &resource,
            vec![(
                "aws:TagKeys".to_owned(),
                ContextValue::Multi(input.tag_keys.clone()),
            )],
        )
        .await?;
        self.store
            .untag_org_resource(&org.org_id, &input.resource_id, &input.tag_keys)
            .await?;
        Ok(())
    }

    async fn list_tags_for_resource(
        &self,
        caller: &Caller,
        input: ListTagsForResourceRequest,
    ) -> ServiceResult<ListTagsForResourceResponse> {
        let org = self.managed_org(caller).await?;
        let resource = self.resource_arn(&org, &input.resource_id).await?;
        self.allow_action(
            caller,
            Operation::ListTagsForResource.action(),
            &resource,
            Vec::new(),
        )
        .await?;
        let tags = wire_tags(
            self.reads()
                .list_org_tags(&org.org_id, &input.resource_id)
                .await?,
        );
        let (page, next_token) = self.org_page(
            caller,
            Operation::ListTagsForResource,
            &tags,
            input.next_token.as_deref(),
            None,
        )?;
        Ok(ListTagsForResourceResponse {
            tags: Some(page),
            next_token,
        })
    }
}

impl Service {
    /// The ARN of a taggable resource named by id: a root, unit, account or policy.
    async fn resource_arn(&self, org: &OrganizationRecord, id: &str) -> ServiceResult<String> {
        if id.starts_with("p-") {
            let (_, policy_type, _) = self.find_policy(org, id).await.map_err(|e| match e {
                ServiceError::Organizations { .. } => refusal(OrgRefusal::TargetNotFound),
                other => other,
            })?;
            return Ok(Arns(org).policy(id, &policy_type));
        }
        Ok(Arns(org).node(id))
    }
}
