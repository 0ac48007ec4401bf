//! Every AWS managed policy shipped in `data/` parses, validates and compiles, and a few
//! well-known ones decide as AWS documents them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code fails loudly"
)]

use std::io::Read;

use policy::{
    Context, Decision, Policies, Policy, PolicyKind, PolicySet, Principal, Request, authorize,
};
use serde_json::Value;

fn catalogue() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/aws-managed-policies.json.gz"
    );
    let compressed = std::fs::read(path).expect("the shipped catalogue");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut text)
        .expect("gzip");
    let mut root: Value = serde_json::from_str(&text).expect("json");
    let Value::Array(policies) = root["policies"].take() else {
        panic!("policies must be a list");
    };
    policies
}

fn parsed() -> &'static [(String, Policy)] {
    static PARSED: std::sync::OnceLock<Vec<(String, Policy)>> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| {
        catalogue()
            .iter()
            .map(|entry| {
                let name = entry["PolicyName"].as_str().unwrap().to_owned();
                let text = entry["Document"].to_string();
                let policy = Policy::parse_aws_managed(&text)
                    .unwrap_or_else(|e| panic!("{name} does not validate: {e}"));
                (name, policy)
            })
            .collect()
    })
}

#[test]
fn all_1452_parse_validate_and_compile() {
    let policies = parsed();
    assert_eq!(policies.len(), 1452);
    let set = PolicySet::new(policies.iter().map(|(name, p)| (name.clone(), p)));
    assert!(!set.is_empty());
    // Each one also compiles alone and evaluates a request without error.
    let alice = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let context = Context::new();
    let request = Request {
        principal: &alice,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::bucket/key",
        resource_account: None,
        context: &context,
    };
    let mut allowed = 0;
    for (name, policy) in policies {
        let single = PolicySet::new([(name.clone(), policy)]);
        let policies = Policies {
            identity: Some(&single),
            ..Policies::default()
        };
        if authorize(&request, &policies).decision == Decision::Allow {
            allowed += 1;
        }
    }
    // Many policies grant s3:GetObject (AdministratorAccess, ReadOnlyAccess, S3 policies...)
    // and most do not: both must occur.
    assert!(
        allowed > 10 && allowed < 1452,
        "{allowed} policies allowed s3:GetObject"
    );
}

fn decide(policy_name: &str, action: &str, resource: &str) -> Decision {
    let policies = parsed();
    let (_, policy) = policies.iter().find(|(n, _)| n == policy_name).unwrap();
    let set = PolicySet::new([(policy_name.to_owned(), policy)]);
    let alice = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let context = Context::new();
    let request = Request {
        principal: &alice,
        action,
        resource,
        resource_account: None,
        context: &context,
    };
    authorize(
        &request,
        &Policies {
            identity: Some(&set),
            ..Policies::default()
        },
    )
    .decision
}

#[test]
fn well_known_policies_decide_as_documented() {
    let user = "arn:aws:iam::111122223333:user/bob";
    let cases = [
        (
            "AdministratorAccess",
            "iam:CreateUser",
            user,
            Decision::Allow,
        ),
        ("PowerUserAccess", "ec2:RunInstances", "*", Decision::Allow),
        (
            "PowerUserAccess",
            "iam:CreateUser",
            user,
            Decision::ImplicitDeny,
        ),
        (
            "ReadOnlyAccess",
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            Decision::Allow,
        ),
        (
            "ReadOnlyAccess",
            "s3:PutObject",
            "arn:aws:s3:::b/k",
            Decision::ImplicitDeny,
        ),
        ("IAMReadOnlyAccess", "iam:GetUser", user, Decision::Allow),
        (
            "IAMReadOnlyAccess",
            "iam:DeleteUser",
            user,
            Decision::ImplicitDeny,
        ),
        ("IAMFullAccess", "iam:DeleteUser", user, Decision::Allow),
        (
            "AmazonS3ReadOnlyAccess",
            "s3:ListBucket",
            "arn:aws:s3:::b",
            Decision::Allow,
        ),
        (
            "AmazonS3FullAccess",
            "s3:DeleteObject",
            "arn:aws:s3:::b/k",
            Decision::Allow,
        ),
        (
            "AmazonEC2ReadOnlyAccess",
            "ec2:DescribeInstances",
            "*",
            Decision::Allow,
        ),
        (
            "AmazonEC2ReadOnlyAccess",
            "ec2:TerminateInstances",
            "*",
            Decision::ImplicitDeny,
        ),
    ];
    for (name, action, resource, expected) in cases {
        assert_eq!(
            decide(name, action, resource),
            expected,
            "{name} {action} {resource}"
        );
    }
}

/// `PolicySet::reads_context` (which lets the server skip building a context) agrees with
/// the documents' own text on the whole catalogue: a policy reads the context exactly when a
/// statement has a Condition, or a Resource/NotResource holds a policy variable under
/// Version 2012-10-17 (under 2008-10-17 `${..}` is literal text).
#[test]
fn reads_context_follows_conditions_and_variables() {
    let documents = catalogue();
    let mut reading = 0;
    for ((name, policy), entry) in parsed().iter().zip(&documents) {
        let document = &entry["Document"];
        let variables = document["Version"] == "2012-10-17";
        let statements = match &document["Statement"] {
            Value::Array(list) => list.clone(),
            one => vec![one.clone()],
        };
        let expected = statements.iter().any(|s| {
            let has_condition = s.get("Condition").is_some();
            let resources = [&s["Resource"], &s["NotResource"]];
            let has_variable = resources.iter().any(|r| r.to_string().contains("${"));
            has_condition || (variables && has_variable)
        });
        let set = PolicySet::new([(name.clone(), policy)]);
        assert_eq!(set.reads_context(), expected, "{name}");
        reading += usize::from(expected);
    }
    // Both kinds occur in the catalogue, so the comparison above tests something.
    assert!(
        reading > 100 && reading < 1452,
        "{reading} read the context"
    );

    let set = |text: &str| {
        PolicySet::new([(
            "p".to_owned(),
            &Policy::parse(text, PolicyKind::Identity).unwrap(),
        )])
    };
    let statement = |rest: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:*",{rest}}}]}}"#
        )
    };
    assert!(!set(&statement(r#""Resource":"*""#)).reads_context());
    assert!(
        set(&statement(
            r#""Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#
        ))
        .reads_context()
    );
    assert!(
        set(&statement(
            r#""Resource":"arn:aws:s3:::b/${aws:username}/*""#
        ))
        .reads_context()
    );
    assert!(
        set(&statement(
            r#""NotResource":"arn:aws:s3:::b/${aws:username}""#
        ))
        .reads_context()
    );
    let old = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}]}"#;
    let old = Policy::parse(old, PolicyKind::Resource).unwrap();
    assert!(!PolicySet::new([("old".to_owned(), &old)]).reads_context());
}
