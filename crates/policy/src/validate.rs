//! Validation: a policy document checked for its kind, in AWS's order, with AWS's messages.
//!
//! AWS reports the first failing check; `Policy::parse` keeps every finding in that order so
//! that the offline validator can show them all, and the API answers with the first.

use std::fmt;

use crate::arn;
use crate::condition::BaseOperator;
use crate::document::{
    ActionClause, Document, PrincipalClause, PrincipalType, Principals, ResourceClause, Statement,
    Version,
};
use crate::template;
use crate::values::parse_date;

/// Where a policy is used; each kind has its own rules and size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// An identity-based policy (managed or inline) of a user, group or role.
    Identity,
    /// A resource-based policy (bucket policy, queue policy, ...).
    Resource,
    /// A role trust policy (`AssumeRolePolicyDocument`).
    Trust,
    /// A permissions boundary.
    Boundary,
    /// A session policy passed to AssumeRole or GetFederationToken.
    Session,
    /// A service control policy of an organization.
    ServiceControl,
    /// A resource control policy of an organization.
    ResourceControl,
}

impl PolicyKind {
    /// Every kind, in the order the CLI lists them.
    pub const ALL: [PolicyKind; 7] = [
        PolicyKind::Identity,
        PolicyKind::Resource,
        PolicyKind::Trust,
        PolicyKind::Boundary,
        PolicyKind::Session,
        PolicyKind::ServiceControl,
        PolicyKind::ResourceControl,
    ];

    /// The CLI's name of the kind.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity",
            PolicyKind::Resource => "resource",
            PolicyKind::Trust => "trust",
            PolicyKind::Boundary => "boundary",
            PolicyKind::Session => "session",
            PolicyKind::ServiceControl => "scp",
            PolicyKind::ResourceControl => "rcp",
        }
    }

    /// Reads a CLI name of a kind.
    pub fn from_name(name: &str) -> Option<PolicyKind> {
        PolicyKind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The largest document, in characters not counting white space.
    pub fn max_size(self) -> usize {
        match self {
            PolicyKind::Identity | PolicyKind::Boundary => 6_144,
            PolicyKind::Resource => 20_480,
            PolicyKind::Trust | PolicyKind::Session => 2_048,
            PolicyKind::ServiceControl | PolicyKind::ResourceControl => 5_120,
        }
    }

    fn is_iam(self) -> bool {
        matches!(
            self,
            PolicyKind::Identity | PolicyKind::Trust | PolicyKind::Boundary | PolicyKind::Session
        )
    }
}

/// The AWS error code a finding is reported with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FindingCode {
    /// `MalformedPolicyDocument` (HTTP 400).
    MalformedPolicyDocument,
    /// `LimitExceeded` (HTTP 409): the document is too large.
    LimitExceeded,
    /// `ValidationError` (HTTP 400): characters outside the allowed set.
    ValidationError,
}

impl FindingCode {
    /// The code as AWS writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::MalformedPolicyDocument => "MalformedPolicyDocument",
            FindingCode::LimitExceeded => "LimitExceeded",
            FindingCode::ValidationError => "ValidationError",
        }
    }
}

/// One reason a document is not a valid policy of its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The error code.
    pub code: FindingCode,
    /// AWS's message.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// A document that failed validation; the first finding is what AWS would answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    findings: Vec<Finding>,
}

impl PolicyError {
    /// Every finding, in AWS's order of checks.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The finding AWS reports.
    pub fn first(&self) -> Option<&Finding> {
        self.findings.first()
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.first() {
            Some(finding) => finding.fmt(f),
            None => f.write_str("invalid policy"),
        }
    }
}

impl std::error::Error for PolicyError {}

const SYNTAX: &str = "Syntax errors in policy.";
const ORGANIZATIONS: &str =
    "The provided policy document does not meet the requirements of the specified policy type.";

/// A policy document that passed every check for its kind (or, read with
/// [`Policy::parse_lenient`], at least parsed). It keeps its original text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    document: Document,
    kind: PolicyKind,
}

impl Policy {
    /// Parses and validates `text` as a policy of `kind`.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        Policy::parse_with_limit(text, kind, kind.max_size(), false)
    }

    /// Parses and validates a customer managed policy (CreatePolicy, CreatePolicyVersion):
    /// an identity policy that must say `"Version": "2012-10-17"`, checked where AWS checks
    /// the version, after the syntax and before legacy parsing (recorded on AWS).
    pub fn parse_customer_managed(text: &str) -> Result<Policy, PolicyError> {
        let kind = PolicyKind::Identity;
        Policy::parse_with_limit(text, kind, kind.max_size(), true)
    }

    /// Parses and validates an AWS managed policy: an identity policy that AWS publishes, to
    /// which the customer size quota does not apply (some exceed 100,000 characters).
    pub fn parse_aws_managed(text: &str) -> Result<Policy, PolicyError> {
        Policy::parse_with_limit(text, PolicyKind::Identity, usize::MAX, false)
    }

    fn parse_with_limit(
        text: &str,
        kind: PolicyKind,
        max_size: usize,
        version_required: bool,
    ) -> Result<Policy, PolicyError> {
        let (policy, findings) = Policy::checked(text, kind, max_size, version_required)?;
        if findings.is_empty() {
            Ok(policy)
        } else {
            Err(PolicyError { findings })
        }
    }

    /// The parsed document and every finding of the checks after syntax; an error only when
    /// the syntax fails (with the findings before it).
    fn checked(
        text: &str,
        kind: PolicyKind,
        max_size: usize,
        version_required: bool,
    ) -> Result<(Policy, Vec<Finding>), PolicyError> {
        let mut findings = Vec::new();
        let malformed = |message: String| Finding {
            code: FindingCode::MalformedPolicyDocument,
            message,
        };
        if !text.chars().all(allowed_char) || text.is_empty() {
            findings.push(Finding {
                code: FindingCode::ValidationError,
                message: "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+".to_owned(),
            });
        }
        let size = text.chars().filter(|c| !c.is_whitespace()).count();
        if size > max_size {
            findings.push(Finding {
                code: FindingCode::LimitExceeded,
                message: format!("Cannot exceed quota for PolicySize: {max_size}"),
            });
        }
        let Ok(document) = Document::parse(text) else {
            findings.push(malformed(SYNTAX.to_owned()));
            return Err(PolicyError { findings });
        };
        for message in check(&document, kind, version_required) {
            findings.push(malformed(message));
        }
        Ok((Policy { document, kind }, findings))
    }

    /// Parses `text` as a policy of `kind` without refusing what IAM's storage checks find
    /// (an unknown service prefix, a document over the size quota...): the policy with
    /// those findings. Only text that is not a policy document at all (its syntax) is an
    /// error. For reading documents found in the wild; IAM itself never stores them.
    pub fn parse_lenient(
        text: &str,
        kind: PolicyKind,
    ) -> Result<(Policy, Vec<Finding>), PolicyError> {
        Policy::checked(text, kind, kind.max_size(), false)
    }

    /// The text the policy was parsed from.
    pub fn text(&self) -> &str {
        &self.document.text
    }

    /// The kind it was validated as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// `Version`, when given.
    pub fn version(&self) -> Option<Version> {
        self.document.version
    }

    /// `Id`, when given.
    pub fn id(&self) -> Option<&str> {
        self.document.id.as_deref()
    }

    /// The statements.
    pub fn statements(&self) -> &[Statement] {
        &self.document.statements
    }
}

fn allowed_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FF}')
}

/// The checks after syntax, in AWS's order; each check runs over every statement before the
/// next check starts, as AWS reports the first failing check. `version_required`: the
/// document must say 2012-10-17 whatever it holds (customer managed policies).
fn check(document: &Document, kind: PolicyKind, version_required: bool) -> Vec<String> {
    let statements = &document.statements;
    let mut out = Vec::new();

    // 2. Version.
    let old_version = document.version != Some(Version::V2012_10_17);
    let variables_need_version =
        kind.is_iam() && kind != PolicyKind::Trust && template::uses_variables(&document.text);
    if old_version && (version_required || variables_need_version) {
        out.push("Policy document must be version 2012-10-17 or greater.".to_owned());
    }

    // 3. Legacy parsing: values that the old parser cannot read, and an `Effect` in another
    // letter case (recorded on AWS: `denY`, `allow`, `aLLow`; any other word is a syntax
    // error).
    let variables = document.version.is_some_and(Version::has_variables);
    let bad_date = statements.iter().flat_map(|s| &s.conditions).any(|c| {
        is_date(c.operator.base)
            && c.values
                .iter()
                .any(|v| !(variables && template::uses_variables(v)) && parse_date(v).is_none())
    });
    let resources = || {
        statements
            .iter()
            .filter_map(|s| s.resource.as_ref())
            .flat_map(ResourceClause::patterns)
    };
    if document.miscased_effect || bad_date || resources().any(|r| fails_legacy_parsing(r)) {
        out.push("The policy failed legacy parsing".to_owned());
    }

    // 4. Statement ids: IAM's and Organizations' policies allow only letters and digits;
    // resource policies follow their service's rules (S3 and KMS allow spaces), so any.
    let sid_message = match kind {
        PolicyKind::Identity | PolicyKind::Trust | PolicyKind::Boundary | PolicyKind::Session => {
            Some(
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
            )
        }
        PolicyKind::ServiceControl | PolicyKind::ResourceControl => Some(ORGANIZATIONS),
        PolicyKind::Resource => None,
    };
    let mut seen: Vec<&str> = Vec::new();
    for sid in statements.iter().filter_map(|s| s.sid.as_deref()) {
        if let Some(message) = sid_message
            && !sid.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            out.push(message.to_owned());
            break;
        }
        if !sid.is_empty() && seen.contains(&sid) {
            out.push("Statement IDs (SID) in a single policy must be unique.".to_owned());
            break;
        }
        seen.push(sid);
    }

    // 5. Actions present.
    if statements.iter().any(|s| s.action.is_none()) {
        out.push("Policy statement must contain actions.".to_owned());
    }

    // 6. Resources present (before the format of actions: a statement with neither a
    // resource nor a vendor in its action gets this message from AWS).
    let needs_resource = kind != PolicyKind::Trust;
    if needs_resource && statements.iter().any(|s| s.resource.is_none()) {
        out.push("Policy statement must contain resources.".to_owned());
    }

    // 7. Resource format.
    if let Some(message) = resources().find_map(|r| resource_problem(r)) {
        out.push(message);
    }

    // 8. Action format. Condition keys are not checked: AWS stores keys without a vendor
    // (`"a"`), with dotted vendors (`token.actions.githubusercontent.com:sub`) and with
    // slashes (`oidc.eks.<region>.amazonaws.com/id/<id>:sub`).
    if let Some(message) = statements
        .iter()
        .filter_map(|s| s.action.as_ref())
        .flat_map(ActionClause::patterns)
        .filter(|a| *a != "*")
        .find_map(|a| vendor_problem(a))
    {
        out.push(message);
    }

    // 9. Principals and kind-specific rules.
    out.extend(kind_problems(statements, kind));
    out
}

fn is_date(op: BaseOperator) -> bool {
    use BaseOperator::*;
    matches!(
        op,
        DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals
    )
}

/// Resources AWS's legacy parser refuses, checked only when the format is otherwise right
/// (`resource_problem` is `None`): an ARN of fewer than six parts with an empty one
/// (`arn:aws::x`, `arn:aws:s3::bucket`), or one with an empty service (`arn:aws::::x`).
fn fails_legacy_parsing(resource: &str) -> bool {
    if resource == "*" || resource_problem(resource).is_some() {
        return false;
    }
    let parts = resource.split(':').count();
    let service = resource.split(':').nth(2).unwrap_or_default();
    (parts < 6 && resource.contains("::")) || service.is_empty()
}

/// AWS's partitions.
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The format problem AWS reports for a resource. An ARN may have fewer than six parts
/// (`arn:aws:fdsasf` is stored, and matches nothing), but needs a service.
fn resource_problem(resource: &str) -> Option<String> {
    if resource == "*" {
        return None;
    }
    let not_arn = || {
        Some(format!(
            "Resource {resource} must be in ARN format or \"*\"."
        ))
    };
    let mut parts = resource.split(':');
    let first = parts.next().unwrap_or_default();
    let Some(partition) = parts.next().filter(|p| !p.is_empty()) else {
        return not_arn();
    };
    // AWS reads any text with a colon as an ARN for this check: its first part stands for
    // `arn`, and missing parts for `*` (recorded: `a:b:cadfsdf` is `arn:b:cadfsdf:*:*:*`).
    if !(PARTITIONS.contains(&partition) || partition.contains(['*', '?'])) {
        let mut read: Vec<&str> = resource.split(':').skip(1).collect();
        while read.len() < 5 {
            read.push("*");
        }
        return Some(format!(
            "Partition \"{partition}\" is not valid for resource \"arn:{}\".",
            read.join(":")
        ));
    }
    if first != "arn" {
        return not_arn();
    }
    let Some(service) = parts.next() else {
        return Some(
            "Resource vendor must be fully qualified and cannot contain regexes.".to_owned(),
        );
    };
    let region = parts.next().unwrap_or_default();
    if service == "iam" && !region.is_empty() {
        return Some(format!(
            "IAM resource {resource} cannot contain region information."
        ));
    }
    let account = parts.next();
    let path = parts.next();
    // A bucket (no account) has no region; access points, which have both, do (recorded).
    let literal_region = !region.is_empty() && !region.contains(['*', '?', '$']);
    if service == "s3" && literal_region && account == Some("") {
        return Some(format!(
            "Resource {resource} can not contain region information."
        ));
    }
    if service == "iam"
        && let Some(path) = path
        && !iam_path_known(path)
    {
        return Some(IAM_PATH.to_owned());
    }
    None
}

/// AWS's words for an IAM ARN whose resource names no kind of IAM entity (recorded).
const IAM_PATH: &str = "IAM resource path must either be \"*\", root, or start with user/, \
     federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, \
     sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.";

/// Whether an IAM ARN's resource (after the account) starts as AWS requires, or leaves its
/// kind to a wildcard or a policy variable.
fn iam_path_known(path: &str) -> bool {
    const KINDS: &[&str] = &[
        "user/",
        "federated-user/",
        "role/",
        "group/",
        "instance-profile/",
        "mfa/",
        "server-certificate/",
        "policy/",
        "sms-mfa/",
        "saml-provider/",
        "oidc-provider/",
        "report/",
        "access-report/",
    ];
    let kind = path.split('/').next().unwrap_or_default();
    path == "*"
        || path == "root"
        || KINDS.iter().any(|k| path.starts_with(k))
        || kind.contains(['*', '?', '$'])
}

fn vendor_problem(name: &str) -> Option<String> {
    let mut parts = name.split(':');
    let vendor = parts.next().unwrap_or_default();
    match parts.count() {
        0 => Some(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.".to_owned(),
        ),
        1 => {
            let valid = !vendor.is_empty()
                && vendor
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.*?".contains(&b));
            (!valid).then(|| format!("Vendor {vendor} is not valid"))
        }
        _ => Some("Actions/Condition can contain only one colon.".to_owned()),
    }
}

const TRUST_ACTIONS: [&str; 5] = [
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
];

fn kind_problems(statements: &[Statement], kind: PolicyKind) -> Vec<String> {
    let mut out = Vec::new();
    let has_principal = |s: &Statement| s.principal.is_some();
    match kind {
        PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Session => {
            if statements.iter().any(has_principal) {
                out.push("Policy document should not specify a principal.".to_owned());
            }
        }
        PolicyKind::ServiceControl => {
            if statements.iter().any(has_principal) {
                out.push(ORGANIZATIONS.to_owned());
            }
        }
        PolicyKind::ResourceControl => {
            let everyone = |s: &Statement| match &s.principal {
                Some(PrincipalClause::Principal(Principals::Any)) => true,
                Some(PrincipalClause::Principal(Principals::Map(map))) => {
                    matches!(&map[..], [(PrincipalType::Aws, values)] if values.iter().all(|v| v == "*"))
                }
                _ => false,
            };
            if !statements.iter().all(everyone) {
                out.push(ORGANIZATIONS.to_owned());
            }
        }
        PolicyKind::Resource => {
            if !statements.iter().all(has_principal) {
                out.push("Policy statement must contain a principal.".to_owned());
            }
        }
        PolicyKind::Trust => {
            if !statements.iter().all(has_principal) {
                out.push("Policy statement must contain a principal.".to_owned());
            }
            let trust_action = |a: &String| {
                let lower = a.to_ascii_lowercase();
                TRUST_ACTIONS.contains(&lower.as_str())
                    || (lower.starts_with("sts:") && (lower.contains('*') || lower.contains('?')))
            };
            let only_trust_actions = statements.iter().all(|s| match &s.action {
                Some(ActionClause::Action(list)) => list.iter().all(trust_action),
                Some(ActionClause::NotAction(_)) => false,
                None => true,
            });
            if !only_trust_actions {
                out.push("AssumeRole policy may only specify STS AssumeRole actions.".to_owned());
            }
            if statements.iter().any(|s| s.resource.is_some()) {
                out.push("Has prohibited field Resource".to_owned());
            }
        }
    }
    if matches!(kind, PolicyKind::Trust | PolicyKind::Resource)
        && let Some(problem) = statements.iter().find_map(principal_problem)
    {
        out.push(problem);
    }
    out
}

/// AWS checks the form of each principal when a trust or resource policy is stored.
fn principal_problem(statement: &Statement) -> Option<String> {
    let principals = match statement.principal.as_ref()? {
        PrincipalClause::Principal(p) | PrincipalClause::NotPrincipal(p) => p,
    };
    let Principals::Map(map) = principals else {
        return None;
    };
    for (kind, values) in map {
        for value in values {
            let valid = match kind {
                PrincipalType::Aws => {
                    value == "*"
                        || (value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()))
                        || arn::split(value).is_some_and(|[_, _, service, _, account, resource]| {
                            matches!(service, "iam" | "sts")
                                && account.len() == 12
                                && !resource.is_empty()
                                && !resource.contains('*')
                        })
                }
                PrincipalType::Service => {
                    value == "*"
                        || (!value.is_empty()
                            && value.contains('.')
                            && value
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
                }
                PrincipalType::Federated | PrincipalType::CanonicalUser => !value.is_empty(),
            };
            if !valid {
                let key = match kind {
                    PrincipalType::Aws => "AWS",
                    PrincipalType::Service => "Service",
                    PrincipalType::Federated => "Federated",
                    PrincipalType::CanonicalUser => "CanonicalUser",
                };
                return Some(format!(
                    "Invalid principal in policy: \"{key}\":\"{value}\""
                ));
            }
        }
    }
    None
}
