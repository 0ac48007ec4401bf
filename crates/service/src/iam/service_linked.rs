//! Service-linked roles as AWS makes them: for the services of the shipped table
//! (`data/aws-service-linked-roles.json`, embedded at build time) the role name, path and
//! attached AWS managed policies AWS gives them, and whether a CustomSuffix is accepted; for
//! other services a name built from the principal, no policies, and any suffix.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::error::{ServiceError, ServiceResult};

/// Where service-linked roles live; AWS reserves it for them.
pub(crate) const SERVICE_ROLE_PATH: &str = "/aws-service-role/";

/// The table of services whose roles were observed on AWS (see `data/SOURCES.md`).
const TABLE: &str = include_str!("../../../../data/aws-service-linked-roles.json");

/// AWS's limit on a role name, suffix included.
const MAX_ROLE_NAME: usize = 64;

/// Services outside the table whose role AWS does not name after the principal's labels:
/// `(principal without .amazonaws.com, what follows AWSServiceRoleFor)`.
const ROLE_NAMES: &[(&str, &str)] = &[
    ("access-analyzer", "AccessAnalyzer"),
    ("apigateway", "APIGateway"),
    ("compute-optimizer", "ComputeOptimizer"),
    (
        "dynamodb.application-autoscaling",
        "ApplicationAutoScaling_DynamoDBTable",
    ),
    (
        "ecs.application-autoscaling",
        "ApplicationAutoScaling_ECSService",
    ),
    ("elasticmapreduce", "EMRCleanup"),
    ("events", "CloudWatchEvents"),
    ("fsx", "AmazonFSx"),
    ("globalaccelerator", "GlobalAccelerator"),
    ("guardduty", "AmazonGuardDuty"),
    (
        "lambda.application-autoscaling",
        "ApplicationAutoScaling_LambdaConcurrency",
    ),
    ("organizations", "Organizations"),
    (
        "rds.application-autoscaling",
        "ApplicationAutoScaling_RDSCluster",
    ),
    ("replication.dynamodb", "DynamoDBReplication"),
    ("securityhub", "SecurityHub"),
    ("servicequotas", "ServiceQuotas"),
    ("spot", "EC2Spot"),
    ("spotfleet", "EC2SpotFleet"),
    ("support", "Support"),
    ("transitgateway", "VPCTransitGateway"),
    ("trustedadvisor", "TrustedAdvisor"),
];

/// The shipped file: `{"source", "count", "roles": [...]}`.
#[derive(Deserialize)]
struct Table {
    roles: Vec<Row>,
}

/// One service of the table.
#[derive(Deserialize)]
struct Row {
    service: String,
    role_name: String,
    path: String,
    attached_policies: Vec<String>,
    custom_suffix_allowed: bool,
}

/// The table by service principal, read on first use.
fn table() -> &'static HashMap<String, Row> {
    static TABLE_BY_SERVICE: OnceLock<HashMap<String, Row>> = OnceLock::new();
    TABLE_BY_SERVICE.get_or_init(|| {
        serde_json::from_str::<Table>(TABLE)
            .map(|table| {
                table
                    .roles
                    .into_iter()
                    .map(|row| (row.service.clone(), row))
                    .collect()
            })
            // The file is part of the build and a unit test reads every row; an unreadable
            // table would leave every service to the name rule below.
            .unwrap_or_default()
    })
}

/// What CreateServiceLinkedRole makes for one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LinkedRole {
    /// The role name, with the custom suffix if any.
    pub name: String,
    /// `/aws-service-role/<service>/`.
    pub path: String,
    /// The AWS managed policies the service attaches.
    pub policies: Vec<String>,
}

/// The role AWS makes for `service` with an optional custom suffix: `InvalidInput` when the
/// service refuses a suffix or the name would be too long.
pub(super) fn linked_role(service: &str, suffix: Option<&str>) -> ServiceResult<LinkedRole> {
    let (base, path, policies) = match table().get(service) {
        Some(row) => {
            if suffix.is_some() && !row.custom_suffix_allowed {
                return Err(ServiceError::invalid_input(format!(
                    "Custom suffix is not allowed for {service}"
                )));
            }
            (
                row.role_name.clone(),
                row.path.clone(),
                row.attached_policies.clone(),
            )
        }
        None => (
            role_name_outside_table(service),
            format!("{SERVICE_ROLE_PATH}{service}/"),
            Vec::new(),
        ),
    };
    let name = match suffix {
        Some(suffix) => format!("{base}_{suffix}"),
        None => base,
    };
    if name.len() > MAX_ROLE_NAME {
        return Err(ServiceError::invalid_input(format!(
            "Service role name {name} is longer than 64 characters, please try a shorter suffix."
        )));
    }
    Ok(LinkedRole {
        name,
        path,
        policies,
    })
}

/// The trust policy AWS writes on a role it links to `service`, as CreateServiceLinkedRole
/// answers it (key order and one-element lists included).
pub(super) fn trust_document(service: &str) -> String {
    format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Action\":[\"sts:AssumeRole\"],\"Effect\":\"Allow\",\"Principal\":{{\"Service\":[\"{service}\"]}}}}]}}"
    )
}

/// The name of the role of a service outside the table: `AWSServiceRoleFor` and the
/// principal's labels, most significant first, each word capitalised, unless listed above.
fn role_name_outside_table(service: &str) -> String {
    let short = service.strip_suffix(".amazonaws.com").unwrap_or(service);
    if let Some((_, name)) = ROLE_NAMES.iter().find(|(s, _)| *s == short) {
        return format!("AWSServiceRoleFor{name}");
    }
    let mut name = String::from("AWSServiceRoleFor");
    for label in short.rsplit('.') {
        for word in label.split('-') {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                name.extend(first.to_uppercase());
                name.push_str(chars.as_str());
            }
        }
    }
    name
}

/// Whether `service` reads as a service principal (`<labels>.amazonaws.com`).
pub(super) fn valid_service_name(service: &str) -> bool {
    service.strip_suffix(".amazonaws.com").is_some_and(|short| {
        !short.is_empty()
            && !short.starts_with('.')
            && !short.ends_with('.')
            && !short.contains("..")
            && short
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

    use super::*;
    use crate::catalogue::Catalogue;

    #[test]
    fn the_whole_table_loads_and_names_policies_of_the_catalogue() {
        let raw: serde_json::Value = serde_json::from_str(TABLE).unwrap();
        assert_eq!(table().len(), 72);
        assert_eq!(raw["count"], 72);
        for row in table().values() {
            assert!(valid_service_name(&row.service), "{}", row.service);
            assert_eq!(row.path, format!("{SERVICE_ROLE_PATH}{}/", row.service));
            assert!(!row.attached_policies.is_empty(), "{}", row.service);
            for arn in &row.attached_policies {
                assert!(Catalogue::shipped().get(arn).is_some(), "{arn}");
            }
        }
    }

    #[test]
    fn names_outside_the_table_do_not_shadow_it() {
        for (short, _) in ROLE_NAMES {
            let service = format!("{short}.amazonaws.com");
            assert!(!table().contains_key(&service), "{service}");
        }
    }

    /// Recorded on AWS (CloudFormation's ServiceLinkedRole with a CustomSuffix): the legacy
    /// Elasticsearch principal refuses a suffix, like its OpenSearch successor.
    #[test]
    fn elasticsearch_refuses_a_suffix() {
        for service in ["es.amazonaws.com", "opensearchservice.amazonaws.com"] {
            let refused = linked_role(service, Some("stack")).unwrap_err();
            assert_eq!(
                refused.message(),
                format!("Custom suffix is not allowed for {service}")
            );
        }
        let made = linked_role("es.amazonaws.com", None).unwrap();
        assert_eq!(made.name, "AWSServiceRoleForAmazonElasticsearchService");
        assert_eq!(
            made.policies,
            ["arn:aws:iam::aws:policy/aws-service-role/AmazonElasticsearchServiceRolePolicy"]
        );
    }

    #[test]
    fn services_outside_the_table_keep_the_name_rule() {
        let made = linked_role("fsx.amazonaws.com", None).unwrap();
        assert_eq!(made.name, "AWSServiceRoleForAmazonFSx");
        assert_eq!(made.path, "/aws-service-role/fsx.amazonaws.com/");
        assert!(made.policies.is_empty());
        assert_eq!(
            linked_role("custom.thing-two.amazonaws.com", Some("x"))
                .unwrap()
                .name,
            "AWSServiceRoleForThingTwoCustom_x"
        );
    }

    #[test]
    fn the_trust_document_is_a_valid_trust_policy() {
        let text = trust_document("ecs.amazonaws.com");
        assert!(policy::Policy::parse(&text, policy::PolicyKind::Trust).is_ok());
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value["Statement"][0]["Principal"]["Service"][0],
            "ecs.amazonaws.com"
        );
    }
}
