//! The access advisor: GenerateServiceLastAccessedDetails, GetServiceLastAccessedDetails(
//! WithEntities) and ListPoliciesGrantingServiceAccess. Each authenticated request of a user
//! or role notes its service (and, for IAM, STS and Organizations, its action) in the store
//! at most once a minute per row ([`Service::note_service_access`]); a job reads those rows
//! for the services the entity's policies allow, and is kept whole in the store's reports.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use policy::{ActionClause, Effect, Policy, PolicyKind};
use serde::{Deserialize, Serialize};
use store::{ServiceAccess, StoredReport};
use wire::iam::{
    AccessAdvisorUsageGranularityType, AccessDetail, EntityDetails, EntityInfo,
    GenerateOrganizationsAccessReportRequest, GenerateOrganizationsAccessReportResponse,
    GenerateServiceLastAccessedDetailsRequest, GenerateServiceLastAccessedDetailsResponse,
    GetOrganizationsAccessReportRequest, GetOrganizationsAccessReportResponse,
    GetServiceLastAccessedDetailsRequest, GetServiceLastAccessedDetailsResponse,
    GetServiceLastAccessedDetailsWithEntitiesRequest,
    GetServiceLastAccessedDetailsWithEntitiesResponse, JobStatusType,
    ListPoliciesGrantingServiceAccessEntry, ListPoliciesGrantingServiceAccessRequest,
    ListPoliciesGrantingServiceAccessResponse, Operation, PolicyGrantingServiceAccess,
    PolicyOwnerEntityType, PolicyType, ServiceLastAccessed, SortKeyType, TrackedActionLastAccessed,
};

use crate::authorize::{
    IdentitySource, identity_sources, managed_policy, role_owners, user_owners,
};
use crate::caller::{Caller, Identity, group_arn, role_arn, user_arn};
use crate::catalogue::Catalogue;
use crate::error::{ServiceError, ServiceResult};
use crate::service::Service;
use crate::state::AccountState;

use super::{page_size, timestamp};

/// A row is written at most this often per principal, service and action on each node.
const NOTE_INTERVAL_SECONDS: i64 = 60;
/// Services whose actions are tracked one by one (AWS tracks IAM's; Castellan serves STS
/// and Organizations as well).
const TRACKED_SERVICES: &[&str] = &["iam", "sts", "organizations"];
/// Jobs are kept this long after they were generated.
const KEEP_JOBS: i64 = 30 * 24 * 3600;

/// AWS's names of the services Castellan names; others are named by their namespace.
const SERVICE_NAMES: &[(&str, &str)] = &[
    ("cloudformation", "AWS CloudFormation"),
    ("cloudwatch", "Amazon CloudWatch"),
    ("dynamodb", "Amazon DynamoDB"),
    ("ec2", "Amazon EC2"),
    ("ecr", "Amazon Elastic Container Registry"),
    ("iam", "AWS Identity and Access Management"),
    ("kms", "AWS Key Management Service"),
    ("lambda", "AWS Lambda"),
    ("logs", "Amazon CloudWatch Logs"),
    ("organizations", "AWS Organizations"),
    ("rds", "Amazon RDS"),
    ("s3", "Amazon S3"),
    ("secretsmanager", "AWS Secrets Manager"),
    ("sns", "Amazon SNS"),
    ("sqs", "Amazon SQS"),
    ("sts", "AWS Security Token Service"),
];

/// A job as stored: what GetServiceLastAccessedDetails(WithEntities) pages through.
#[derive(Debug, Serialize, Deserialize)]
struct Job {
    action_level: bool,
    created: i64,
    services: Vec<ServiceRow>,
    entities: Vec<EntityRow>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ServiceRow {
    namespace: String,
    last: Option<i64>,
    entity: Option<String>,
    region: Option<String>,
    total: i32,
    /// Tracked actions with their last use, for action-level jobs.
    actions: Option<Vec<ActionRow>>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ActionRow {
    action: String,
    entity: String,
    at: i64,
    region: String,
}

/// An entity in the job's scope, with its last request to each service.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EntityRow {
    arn: String,
    name: String,
    kind: String,
    id: String,
    path: String,
    last: BTreeMap<String, i64>,
}

/// An Organizations access report as stored.
#[derive(Debug, Serialize, Deserialize)]
struct OrgReport {
    created: i64,
    services: Vec<OrgServiceRow>,
}

#[derive(Debug, Serialize, Deserialize)]
struct OrgServiceRow {
    namespace: String,
    last: Option<i64>,
    region: Option<String>,
    /// The Organizations path of the account whose principal used it last.
    path: Option<String>,
    total: i32,
}

/// What a job or a listing is about: the policies and the entities they apply to.
struct Scope {
    sources: Vec<IdentitySource>,
    entities: Vec<EntityRow>,
}

impl Service {
    /// Notes that `caller` made a request to `service` (`action`, for a tracked service):
    /// the access advisor's data. Users and roles only (AWS reports no root use), at most
    /// once a minute per row and node; a failed write is logged, the request goes on.
    pub async fn note_service_access(&self, caller: &Caller, service: &str, action: &str) {
        let principal_id = match &caller.identity {
            Identity::User(user) => &user.user_id,
            Identity::RoleSession { role, .. } => &role.role_id,
            Identity::Root | Identity::FederatedUser { .. } => return,
        };
        let service = service.to_ascii_lowercase();
        let action = if TRACKED_SERVICES.contains(&service.as_str()) {
            action
        } else {
            ""
        };
        let now = self.clock.seconds();
        if !self.note_access_due(principal_id, &service, action, now, NOTE_INTERVAL_SECONDS) {
            return;
        }
        let access = ServiceAccess {
            principal_id: principal_id.clone(),
            service,
            action: action.to_owned(),
            last_at: now,
            region: caller.request.region.clone(),
        };
        if let Err(error) = self
            .store
            .record_service_access(&caller.account_id, &access)
            .await
        {
            tracing::warn!(%error, "could not record service access");
        }
    }

    pub(super) async fn generate_service_last_accessed_details(
        &self,
        caller: &Caller,
        input: GenerateServiceLastAccessedDetailsRequest,
    ) -> ServiceResult<GenerateServiceLastAccessedDetailsResponse> {
        self.allow(
            caller,
            Operation::GenerateServiceLastAccessedDetails,
            &input.arn,
            Vec::new(),
        )
        .await?;
        let account = self.reads().account_state(&caller.account_id).await?;
        let scope = self.scope(&account, &input.arn, true).await?;
        let ids: Vec<String> = scope.entities.iter().map(|e| e.id.clone()).collect();
        let rows = self
            .reads()
            .service_access_of(&caller.account_id, &ids)
            .await?;
        let action_level =
            input.granularity == Some(AccessAdvisorUsageGranularityType::ActionLevel);
        let now = self.clock.seconds();
        let job = compose_job(&scope, &rows, action_level, now);
        let job_id = crate::ids::new_uuid().map_err(|e| ServiceError::internal(&e))?;
        let content = serde_json::to_vec(&job).map_err(|e| ServiceError::internal(&e))?;
        self.store
            .put_report(
                &caller.account_id,
                &job_key(&job_id),
                &StoredReport {
                    generated_at: now,
                    content,
                },
                now - KEEP_JOBS,
            )
            .await?;
        Ok(GenerateServiceLastAccessedDetailsResponse {
            job_id: Some(job_id),
        })
    }

    pub(super) async fn get_service_last_accessed_details(
        &self,
        caller: &Caller,
        input: GetServiceLastAccessedDetailsRequest,
    ) -> ServiceResult<GetServiceLastAccessedDetailsResponse> {
        self.allow(
            caller,
            Operation::GetServiceLastAccessedDetails,
            "*",
            Vec::new(),
        )
        .await?;
        let job = self.job(caller, &input.job_id).await?;
        let (start, end, marker) =
            page(job.services.len(), input.max_items, input.marker.as_deref())?;
        let services = job
            .services
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|row| ServiceLastAccessed {
                service_name: service_name(&row.namespace),
                last_authenticated: row.last.map(timestamp),
                service_namespace: row.namespace.clone(),
                last_authenticated_entity: row.entity.clone(),
                last_authenticated_region: row.region.clone(),
                total_authenticated_entities: (row.total > 0).then_some(row.total),
                tracked_actions_last_accessed: row.actions.as_ref().map(|actions| {
                    actions
                        .iter()
                        .map(|a| TrackedActionLastAccessed {
                            action_name: Some(a.action.clone()),
                            last_accessed_entity: Some(a.entity.clone()),
                            last_accessed_time: Some(timestamp(a.at)),
                            last_accessed_region: Some(a.region.clone()),
                        })
                        .collect()
                }),
            })
            .collect();
        Ok(GetServiceLastAccessedDetailsResponse {
            job_status: JobStatusType::Completed,
            job_type: Some(if job.action_level {
                AccessAdvisorUsageGranularityType::ActionLevel
            } else {
                AccessAdvisorUsageGranularityType::ServiceLevel
            }),
            job_creation_date: timestamp(job.created),
            services_last_accessed: services,
            job_completion_date: timestamp(job.created),
            is_truncated: Some(marker.is_some()),
            marker,
            error: None,
        })
    }

    pub(super) async fn get_service_last_accessed_details_with_entities(
        &self,
        caller: &Caller,
        input: GetServiceLastAccessedDetailsWithEntitiesRequest,
    ) -> ServiceResult<GetServiceLastAccessedDetailsWithEntitiesResponse> {
        self.allow(
            caller,
            Operation::GetServiceLastAccessedDetailsWithEntities,
            "*",
            Vec::new(),
        )
        .await?;
        let job = self.job(caller, &input.job_id).await?;
        let namespace = input.service_namespace.to_ascii_lowercase();
        if !job.services.iter().any(|s| s.namespace == namespace) {
            return Err(ServiceError::invalid_input(format!(
                "The service namespace {} is not among the services of job {}.",
                input.service_namespace, input.job_id
            )));
        }
        // Those that used the service, most recent first, then the others by name.
        let mut entities = job.entities;
        entities.sort_by(|a, b| {
            let (x, y) = (a.last.get(&namespace), b.last.get(&namespace));
            y.cmp(&x).then_with(|| a.name.cmp(&b.name))
        });
        let (start, end, marker) = page(entities.len(), input.max_items, input.marker.as_deref())?;
        let details = entities
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|e| EntityDetails {
                entity_info: EntityInfo {
                    arn: e.arn.clone(),
                    name: e.name.clone(),
                    r#type: match e.kind.as_str() {
                        "ROLE" => PolicyOwnerEntityType::Role,
                        "GROUP" => PolicyOwnerEntityType::Group,
                        _ => PolicyOwnerEntityType::User,
                    },
                    id: e.id.clone(),
                    path: Some(e.path.clone()),
                },
                last_authenticated: e.last.get(&namespace).copied().map(timestamp),
            })
            .collect();
        Ok(GetServiceLastAccessedDetailsWithEntitiesResponse {
            job_status: JobStatusType::Completed,
            job_creation_date: timestamp(job.created),
            job_completion_date: timestamp(job.created),
            entity_details_list: details,
            is_truncated: Some(marker.is_some()),
            marker,
            error: None,
        })
    }

    pub(super) async fn list_policies_granting_service_access(
        &self,
        caller: &Caller,
        input: ListPoliciesGrantingServiceAccessRequest,
    ) -> ServiceResult<ListPoliciesGrantingServiceAccessResponse> {
        self.allow(
            caller,
            Operation::ListPoliciesGrantingServiceAccess,
            &input.arn,
            Vec::new(),
        )
        .await?;
        let account = self.reads().account_state(&caller.account_id).await?;
        let scope = self.scope(&account, &input.arn, false).await?;
        let entries = input
            .service_namespaces
            .iter()
            .map(|namespace| {
                let namespace = namespace.to_ascii_lowercase();
                let policies = scope
                    .sources
                    .iter()
                    .filter(|source| grants(&source.policy, &namespace))
                    .map(|source| {
                        let (kind, owner) = source.owner.split_once('/').unwrap_or(("user", ""));
                        PolicyGrantingServiceAccess {
                            policy_name: source
                                .label
                                .rsplit('/')
                                .next()
                                .unwrap_or_default()
                                .to_owned(),
                            policy_type: if source.managed_arn.is_some() {
                                PolicyType::Managed
                            } else {
                                PolicyType::Inline
                            },
                            policy_arn: source.managed_arn.clone(),
                            entity_type: Some(match kind {
                                "group" => PolicyOwnerEntityType::Group,
                                "role" => PolicyOwnerEntityType::Role,
                                _ => PolicyOwnerEntityType::User,
                            }),
                            entity_name: Some(owner.to_owned()),
                        }
                    })
                    .collect();
                ListPoliciesGrantingServiceAccessEntry {
                    service_namespace: Some(namespace),
                    policies: Some(policies),
                }
            })
            .collect();
        Ok(ListPoliciesGrantingServiceAccessResponse {
            policies_granting_service_access: entries,
            is_truncated: Some(false),
            marker: None,
        })
    }

    pub(super) async fn generate_organizations_access_report(
        &self,
        caller: &Caller,
        input: GenerateOrganizationsAccessReportRequest,
    ) -> ServiceResult<GenerateOrganizationsAccessReportResponse> {
        self.allow(
            caller,
            Operation::GenerateOrganizationsAccessReport,
            "*",
            Vec::new(),
        )
        .await?;
        let reads = self.reads();
        let org = reads
            .organization_of(&caller.account_id)
            .await?
            .filter(|org| org.management_account_id == caller.account_id)
            .ok_or_else(|| {
                ServiceError::access_denied(
                    "Only the management account of an organization can generate its access reports.",
                )
            })?;
        let invalid = || {
            ServiceError::invalid_input(format!(
                "The entity path {} is not a path of organization {}.",
                input.entity_path, org.org_id
            ))
        };
        let segments: Vec<&str> = input.entity_path.split('/').collect();
        let (Some(&org_id), Some(&root_id)) = (segments.first(), segments.get(1)) else {
            return Err(invalid());
        };
        if org_id != org.org_id || root_id != org.root_id {
            return Err(invalid());
        }
        let units = reads.list_org_units(&org.org_id).await?;
        let accounts = reads.list_org_accounts(&org.org_id).await?;
        // Each segment after the root is a child of the one before; the last may be an account.
        let mut node = root_id;
        let mut only_account = None;
        for (at, &segment) in segments.iter().enumerate().skip(2) {
            if let Some(unit) = units
                .iter()
                .find(|u| u.ou_id == segment && u.parent_id == node)
            {
                node = &unit.ou_id;
            } else if at == segments.len() - 1
                && accounts
                    .iter()
                    .any(|a| a.account_id == segment && a.parent_id == node)
            {
                only_account = Some(segment);
            } else {
                return Err(invalid());
            }
        }
        let path_of = |account: &store::OrgAccountRecord| -> String {
            let mut chain = vec![account.account_id.clone()];
            let mut parent = account.parent_id.clone();
            while let Some(unit) = units.iter().find(|u| u.ou_id == parent) {
                chain.push(unit.ou_id.clone());
                parent = unit.parent_id.clone();
            }
            chain.push(org.root_id.clone());
            chain.push(org.org_id.clone());
            chain.reverse();
            chain.join("/")
        };
        let in_scope: Vec<(&store::OrgAccountRecord, String)> = accounts
            .iter()
            .map(|account| (account, path_of(account)))
            .filter(|(account, path)| match only_account {
                Some(id) => account.account_id == id,
                None => path.split('/').any(|segment| segment == node),
            })
            .collect();
        // Every use by a user or role of those accounts.
        let mut uses: Vec<(ServiceAccess, String)> = Vec::new();
        for (account, path) in &in_scope {
            let Ok(state) = reads.account_state(&account.account_id).await else {
                continue;
            };
            let ids: Vec<String> = state
                .users
                .names
                .keys()
                .chain(state.roles.names.keys())
                .cloned()
                .collect();
            for row in self
                .reads()
                .service_access_of(&account.account_id, &ids)
                .await?
            {
                if row.action.is_empty() {
                    uses.push((row, path.clone()));
                }
            }
        }
        let allowed: Vec<&String> = match &input.organizations_policy_id {
            Some(policy_id) => {
                let record = reads.get_org_policy(&org.org_id, policy_id).await?;
                let policy = Policy::parse(&record.content, PolicyKind::ServiceControl)
                    .map_err(|e| ServiceError::internal(&e))?;
                known_namespaces()
                    .iter()
                    .filter(|ns| grants(&policy, ns))
                    .collect()
            }
            None => known_namespaces().iter().collect(),
        };
        let now = self.clock.seconds();
        let services = allowed
            .into_iter()
            .map(|namespace| {
                let of_service: Vec<&(ServiceAccess, String)> = uses
                    .iter()
                    .filter(|(row, _)| &row.service == namespace)
                    .collect();
                let latest = of_service.iter().max_by_key(|(row, _)| row.last_at);
                OrgServiceRow {
                    namespace: namespace.clone(),
                    last: latest.map(|(row, _)| row.last_at),
                    region: latest.map(|(row, _)| row.region.clone()),
                    path: latest.map(|(_, path)| path.clone()),
                    total: i32::try_from(of_service.len()).unwrap_or(i32::MAX),
                }
            })
            .collect();
        let report = OrgReport {
            created: now,
            services,
        };
        let job_id = crate::ids::new_uuid().map_err(|e| ServiceError::internal(&e))?;
        let content = serde_json::to_vec(&report).map_err(|e| ServiceError::internal(&e))?;
        self.store
            .put_report(
                &caller.account_id,
                &format!("organizations-access/{job_id}"),
                &StoredReport {
                    generated_at: now,
                    content,
                },
                now - KEEP_JOBS,
            )
            .await?;
        Ok(GenerateOrganizationsAccessReportResponse {
            job_id: Some(job_id),
        })
    }

    pub(super) async fn get_organizations_access_report(
        &self,
        caller: &Caller,
        input: GetOrganizationsAccessReportRequest,
    ) -> ServiceResult<GetOrganizationsAccessReportResponse> {
        self.allow(
            caller,
            Operation::GetOrganizationsAccessReport,
            "*",
            Vec::new(),
        )
        .await?;
        let stored = self
            .reads()
            .get_report(
                &caller.account_id,
                &format!("organizations-access/{}", input.job_id),
            )
            .await?
            .ok_or_else(|| {
                ServiceError::no_such_entity(format!(
                    "No job was found with the id {}.",
                    input.job_id
                ))
            })?;
        let mut report: OrgReport =
            serde_json::from_slice(&stored.content).map_err(|e| ServiceError::internal(&e))?;
        match input.sort_key {
            None | Some(SortKeyType::ServiceNamespaceAscending) => {}
            Some(SortKeyType::ServiceNamespaceDescending) => report.services.reverse(),
            Some(SortKeyType::LastAuthenticatedTimeAscending) => {
                report.services.sort_by_key(|s| s.last);
            }
            Some(SortKeyType::LastAuthenticatedTimeDescending) => {
                report.services.sort_by_key(|s| std::cmp::Reverse(s.last));
            }
        }
        let accessed = report.services.iter().filter(|s| s.last.is_some()).count();
        let (start, end, marker) = page(
            report.services.len(),
            input.max_items,
            input.marker.as_deref(),
        )?;
        let details = report
            .services
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|s| AccessDetail {
                service_name: service_name(&s.namespace),
                service_namespace: s.namespace.clone(),
                region: s.region.clone(),
                entity_path: s.path.clone(),
                last_authenticated_time: s.last.map(timestamp),
                total_authenticated_entities: (s.total > 0).then_some(s.total),
            })
            .collect();
        Ok(GetOrganizationsAccessReportResponse {
            job_status: JobStatusType::Completed,
            job_creation_date: timestamp(report.created),
            job_completion_date: Some(timestamp(report.created)),
            number_of_services_accessible: i32::try_from(report.services.len()).ok(),
            number_of_services_not_accessed: i32::try_from(report.services.len() - accessed).ok(),
            access_details: Some(details),
            is_truncated: Some(marker.is_some()),
            marker,
            error_details: None,
        })
    }

    /// The job `job_id` of the caller's account.
    async fn job(&self, caller: &Caller, job_id: &str) -> ServiceResult<Job> {
        let stored = self
            .reads()
            .get_report(&caller.account_id, &job_key(job_id))
            .await?
            .ok_or_else(|| {
                ServiceError::no_such_entity(format!("No job was found with the id {job_id}."))
            })?;
        serde_json::from_slice(&stored.content).map_err(|e| ServiceError::internal(&e))
    }

    /// The policies and entities an ARN names: a user (its policies and its groups'), a
    /// group (its members), a role, or (with `policies_too`) a managed policy and what it is
    /// attached to.
    async fn scope(
        &self,
        account: &AccountState,
        arn: &str,
        policies_too: bool,
    ) -> ServiceResult<Scope> {
        let invalid = || ServiceError::invalid_input(format!("ARN {arn} is not valid."));
        let reads = self.reads();
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, _, "iam", "", owner, resource] = parts[..] else {
            return Err(invalid());
        };
        let (kind, path_name) = resource.split_once('/').ok_or_else(invalid)?;
        let name = path_name.rsplit('/').next().unwrap_or_default();
        let account_id = &account.record.account_id;
        if owner != account_id && !(kind == "policy" && owner == "aws" && policies_too) {
            return Err(invalid());
        }
        let missing = |what: &str| {
            ServiceError::no_such_entity(format!("The {what} with name {name} cannot be found."))
        };
        let user_row = |user: &store::UserRecord| EntityRow {
            arn: user_arn(&user.account_id, &user.path, &user.name),
            name: user.name.clone(),
            kind: "USER".to_owned(),
            id: user.user_id.clone(),
            path: user.path.clone(),
            last: BTreeMap::new(),
        };
        let role_row = |role: &store::RoleRecord| EntityRow {
            arn: role_arn(&role.account_id, &role.path, &role.name),
            name: role.name.clone(),
            kind: "ROLE".to_owned(),
            id: role.role_id.clone(),
            path: role.path.clone(),
            last: BTreeMap::new(),
        };
        let lower = crate::state::lower(name);
        match kind {
            "user" => {
                let user = account
                    .users
                    .by_name
                    .get(&lower)
                    .filter(|u| user_arn(account_id, &u.record.path, &u.record.name) == arn)
                    .ok_or_else(|| missing("user"))?;
                let owners = user_owners(reads, &user.record).await?;
                Ok(Scope {
                    sources: identity_sources(reads, &owners).await?,
                    entities: vec![user_row(&user.record)],
                })
            }
            "role" => {
                let role = account
                    .roles
                    .by_name
                    .get(&lower)
                    .filter(|r| role_arn(account_id, &r.record.path, &r.record.name) == arn)
                    .ok_or_else(|| missing("role"))?;
                Ok(Scope {
                    sources: identity_sources(reads, &role_owners(&role.record)).await?,
                    entities: vec![role_row(&role.record)],
                })
            }
            "group" => {
                let group = account
                    .groups
                    .by_name
                    .get(&lower)
                    .filter(|g| group_arn(account_id, &g.record.path, &g.record.name) == arn)
                    .ok_or_else(|| missing("group"))?;
                let owners = vec![(
                    store::Principal::group(&group.record.group_id),
                    format!("group/{}", group.record.name),
                )];
                let entities = group
                    .members
                    .iter()
                    .filter_map(|id| account.users.by_id(id))
                    .map(|u| user_row(&u.record))
                    .collect();
                Ok(Scope {
                    sources: identity_sources(reads, &owners).await?,
                    entities,
                })
            }
            "policy" if policies_too => {
                let known =
                    Catalogue::shipped().get(arn).is_some() || account.policy_ids.contains_key(arn);
                if !known {
                    return Err(ServiceError::no_such_entity(format!(
                        "Policy {arn} does not exist or is not attachable."
                    )));
                }
                let policy = managed_policy(reads, arn, PolicyKind::Identity).await?;
                let mut entities: Vec<EntityRow> = Vec::new();
                for (kind, id) in account.attached_to.get(arn).into_iter().flatten() {
                    match *kind {
                        "user" => {
                            entities.extend(account.users.by_id(id).map(|u| user_row(&u.record)))
                        }
                        "role" => {
                            entities.extend(account.roles.by_id(id).map(|r| role_row(&r.record)))
                        }
                        _ => {
                            if let Some(group) = account.groups.by_id(id) {
                                entities.extend(
                                    group
                                        .members
                                        .iter()
                                        .filter_map(|m| account.users.by_id(m))
                                        .map(|u| user_row(&u.record)),
                                );
                            }
                        }
                    }
                }
                entities.sort_by(|a, b| a.id.cmp(&b.id));
                entities.dedup_by(|a, b| a.id == b.id);
                Ok(Scope {
                    sources: vec![IdentitySource {
                        label: arn.to_owned(),
                        owner: String::new(),
                        managed_arn: Some(arn.to_owned()),
                        policy,
                    }],
                    entities,
                })
            }
            _ => Err(invalid()),
        }
    }
}

/// The job from the scope and the access rows of its entities.
fn compose_job(scope: &Scope, rows: &[ServiceAccess], action_level: bool, now: i64) -> Job {
    let mut namespaces = BTreeSet::new();
    for source in &scope.sources {
        for namespace in known_namespaces() {
            if grants(&source.policy, namespace) {
                namespaces.insert(namespace.clone());
            }
        }
    }
    let arn_of = |id: &str| {
        scope
            .entities
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.arn.clone())
            .unwrap_or_default()
    };
    let mut entities = scope.entities.clone();
    for row in rows.iter().filter(|r| r.action.is_empty()) {
        if let Some(entity) = entities.iter_mut().find(|e| e.id == row.principal_id) {
            entity.last.insert(row.service.clone(), row.last_at);
        }
    }
    let services = namespaces
        .into_iter()
        .map(|namespace| {
            let uses: Vec<&ServiceAccess> = rows
                .iter()
                .filter(|r| r.service == namespace && r.action.is_empty())
                .collect();
            let latest = uses.iter().max_by_key(|r| r.last_at);
            let actions =
                (action_level && TRACKED_SERVICES.contains(&namespace.as_str())).then(|| {
                    let mut latest_by_action: BTreeMap<&str, &ServiceAccess> = BTreeMap::new();
                    for row in rows
                        .iter()
                        .filter(|r| r.service == namespace && !r.action.is_empty())
                    {
                        let slot = latest_by_action.entry(&row.action).or_insert(row);
                        if row.last_at > slot.last_at {
                            *slot = row;
                        }
                    }
                    latest_by_action
                        .into_values()
                        .map(|r| ActionRow {
                            action: r.action.clone(),
                            entity: arn_of(&r.principal_id),
                            at: r.last_at,
                            region: r.region.clone(),
                        })
                        .collect()
                });
            ServiceRow {
                last: latest.map(|r| r.last_at),
                entity: latest.map(|r| arn_of(&r.principal_id)),
                region: latest.map(|r| r.region.clone()),
                total: i32::try_from(uses.len()).unwrap_or(i32::MAX),
                actions,
                namespace,
            }
        })
        .collect();
    Job {
        action_level,
        created: now,
        services,
        entities,
    }
}

/// Whether an Allow statement of `policy` covers some action of `namespace`.
fn grants(policy: &Policy, namespace: &str) -> bool {
    policy
        .statements()
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .any(|statement| match &statement.action {
            Some(ActionClause::Action(patterns)) => patterns.iter().any(|pattern| {
                let service = pattern.split(':').next().unwrap_or_default();
                glob(service, namespace)
            }),
            // Everything but the listed actions: the service unless a pattern takes it whole.
            Some(clause @ ActionClause::NotAction(_)) => clause.covers(&format!("{namespace}:*")),
            None => false,
        })
}

/// `*` and `?` matching, case aside.
fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.to_lowercase().chars().collect();
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and how much of the text it has taken.
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&q) if q == '?' || q == c => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((at, taken)) => {
                    p = at + 1;
                    t = taken + 1;
                    star = Some((at, taken + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .unwrap_or_default()
        .iter()
        .all(|&c| c == '*')
}

/// Every service namespace Castellan knows: those of AWS's managed policies' actions, and
/// the services it serves.
fn known_namespaces() -> &'static Vec<String> {
    static KNOWN: OnceLock<Vec<String>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let mut found: BTreeSet<String> =
            TRACKED_SERVICES.iter().map(|s| (*s).to_owned()).collect();
        for managed in Catalogue::shipped().iter() {
            let Ok(policy) = Policy::parse_aws_managed(&managed.document) else {
                continue;
            };
            for statement in policy.statements() {
                if let Some(clause) = &statement.action {
                    for pattern in clause.patterns() {
                        if let Some((service, _)) = pattern.split_once(':')
                            && !service.contains(['*', '?'])
                        {
                            found.insert(service.to_ascii_lowercase());
                        }
                    }
                }
            }
        }
        found.into_iter().collect()
    })
}

fn service_name(namespace: &str) -> String {
    SERVICE_NAMES
        .iter()
        .find(|(n, _)| *n == namespace)
        .map_or_else(|| namespace.to_owned(), |(_, name)| (*name).to_owned())
}

fn job_key(job_id: &str) -> String {
    format!("access-advisor/{job_id}")
}

/// A page of `len` items by `MaxItems` and a decimal `Marker`: (start, end, next marker).
fn page(
    len: usize,
    max_items: Option<i32>,
    marker: Option<&str>,
) -> ServiceResult<(usize, usize, Option<String>)> {
    let start = match marker {
        Some(marker) => marker
            .parse::<usize>()
            .ok()
            .filter(|&n| n <= len)
            .ok_or_else(|| ServiceError::invalid_input("Invalid Marker."))?,
        None => 0,
    };
    let end = (start + page_size(max_items)).min(len);
    Ok((start, end, (end < len).then(|| end.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Policy {
        Policy::parse(text, PolicyKind::Identity).unwrap()
    }

    #[test]
    fn services_granted_by_statements() {
        let p = policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","i?m:List*"],"Resource":"*"},{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}"#,
        );
        assert!(grants(&p, "s3") && grants(&p, "iam"));
        assert!(!grants(&p, "ec2") && !grants(&p, "sts"));
        let not = policy(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":["iam:*","s3:Get*"],"Resource":"*"}}"#,
        );
        assert!(!grants(&not, "iam"));
        assert!(grants(&not, "s3") && grants(&not, "ec2"));
        assert!(known_namespaces().len() > 100);
        assert!(glob("*", "anything") && glob("s3*", "s3") && !glob("s3", "s3x"));
        assert!(glob("*a*b", "xxaxxb") && glob("a?c", "ABC") && !glob("a*b", "acbc"));
    }
}
