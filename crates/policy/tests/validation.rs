//! Validation: each of AWS's checks, its message, and the order in which AWS reports them.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test code fails loudly")]

use policy::{FindingCode, Policy, PolicyKind};

/// Checks that `text` as a policy of `kind` fails with `expected` as the first finding
/// (the one AWS answers with), or is valid when `expected` is `None`.
fn check(kind: PolicyKind, text: &str, expected: Option<&str>) {
    // Long hostile inputs are shown shortened.
    let shown: String = text.chars().take(200).collect();
    match (Policy::parse(text, kind), expected) {
        (Ok(_), None) => {}
        (Ok(_), Some(message)) => panic!("{shown}\nvalid, expected `{message}`"),
        (Err(error), None) => panic!("{shown}\nexpected valid, got {error}"),
        (Err(error), Some(message)) => {
            assert_eq!(error.first().unwrap().message, message, "{shown}");
        }
    }
}

fn identity(text: &str, expected: Option<&str>) {
    check(PolicyKind::Identity, text, expected);
}

const SYNTAX: Option<&str> = Some("Syntax errors in policy.");

#[test]
fn syntax_errors() {
    identity(
        "",
        Some(
            "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        ),
    );
    for text in [
        "not json",
        "[]",
        r#"{"Version":"2012-10-17"}"#,
        r#"{"Version":"2012-10-17","Statement":[]}"#,
        r#"{"Version":"2012-10-17","Statement":"x"}"#,
        r#"{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        r#"{"Version":"2012-10-17","Extra":1,"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"invalid","Action":"s3:*","Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allows","Action":"s3:*","Resource":"*"}}"#,
        r#"{"Statement":{"Effect":["Allow"],"Action":"s3:*","Resource":"*"}}"#,
        r#"{"Statement":{"Action":"s3:*","Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":5,"Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Bogus":1}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":[]}}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":"a"}}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"x":{"a":"1"}}}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"a":{}}}}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":[null]}}}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":["adfdf",{}]}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":null}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":["s3:*",null],"Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":[]}}"#,
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":[]},"Action":"s3:*","Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"s3:*","Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Principal":{"Everyone":"*"},"Action":"s3:*","Resource":"*"}}"#,
    ] {
        identity(text, SYNTAX);
    }
}

#[test]
fn valid_documents() {
    identity(
        r#"{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"A1","Effect":"Allow","Action":["s3:Get*","ec2:Describe*"],"Resource":"*","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*"]},"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":10}}}]}"#,
        None,
    );
    identity(
        r#"{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::b/*"}}"#,
        None,
    );
    identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:aws:s3:arn":"x"}}}}"#,
        None,
    );
}

#[test]
fn checks_after_syntax_in_aws_order() {
    identity(
        r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}}"#,
        Some("Policy document must be version 2012-10-17 or greater."),
    );
    identity(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}}"#,
        Some("The policy failed legacy parsing"),
    );
    identity(
        r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
        Some("Statement IDs (SID) in a single policy must be unique."),
    );
    identity(
        r#"{"Statement":{"Sid":"no spaces","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        Some(
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        ),
    );
    identity(
        r#"{"Statement":{"Effect":"Allow","Resource":"*"}}"#,
        Some("Policy statement must contain actions."),
    );
    // Empty lists pass the syntax check and count as missing elements.
    identity(
        r#"{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}"#,
        Some("Policy statement must contain actions."),
    );
    identity(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":[]}}"#,
        Some("Policy statement must contain resources."),
    );
    // Resources are looked for before the format of actions.
    identity(
        r#"{"Statement":{"Effect":"Allow","Action":"invalid"}}"#,
        Some("Policy statement must contain resources."),
    );
    identity(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}}"#,
        Some("Resource bucket must be in ARN format or \"*\"."),
    );
    identity(
        r#"{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:us-east-1:111122223333:user/x"}}"#,
        Some(
            "IAM resource arn:aws:iam:us-east-1:111122223333:user/x cannot contain region information.",
        ),
    );
    identity(
        r#"{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}"#,
        Some("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    );
    identity(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:Get:Object","Resource":"*"}}"#,
        Some("Actions/Condition can contain only one colon."),
    );
    identity(
        r#"{"Statement":{"Effect":"Allow","Action":"s 3:GetObject","Resource":"*"}}"#,
        Some("Vendor s 3 is not valid"),
    );
    identity(
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*"}}"#,
        Some("Policy statement must contain resources."),
    );
    identity(
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
        Some("Policy document should not specify a principal."),
    );
    // Two problems: the earlier check is reported first, whatever the statement order.
    let both = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"},{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    identity(
        both,
        Some("Statement IDs (SID) in a single policy must be unique."),
    );
    let all = Policy::parse(both, PolicyKind::Identity).unwrap_err();
    assert_eq!(all.findings().len(), 2);
}

#[test]
fn trust_policies() {
    let trust = |text: &str, expected| check(PolicyKind::Trust, text, expected);
    trust(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
        None,
    );
    trust(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["sts:AssumeRole","sts:TagSession"]}}"#,
        None,
    );
    trust(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject"}}"#,
        Some("AssumeRole policy may only specify STS AssumeRole actions."),
    );
    trust(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}}"#,
        Some("Has prohibited field Resource"),
    );
    trust(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#,
        Some("Policy statement must contain a principal."),
    );
    trust(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"sts:AssumeRole"}}"#,
        Some("Invalid principal in policy: \"AWS\":\"bob\""),
    );
}

#[test]
fn organization_policies() {
    let scp = |text: &str, expected| check(PolicyKind::ServiceControl, text, expected);
    scp(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"ec2:*","Resource":"*"}}"#,
        None,
    );
    scp(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"ec2:*","Resource":"*"}}"#,
        Some(
            "The provided policy document does not meet the requirements of the specified policy type.",
        ),
    );
    let rcp = |text: &str, expected| check(PolicyKind::ResourceControl, text, expected);
    rcp(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
        None,
    );
    rcp(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}"#,
        Some(
            "The provided policy document does not meet the requirements of the specified policy type.",
        ),
    );
}

#[test]
fn characters_and_sizes() {
    let error = Policy::parse(
        "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::\u{0100}\"}}",
        PolicyKind::Identity,
    )
    .unwrap_err();
    assert_eq!(error.first().unwrap().code, FindingCode::ValidationError);

    // White space does not count towards the size.
    let statement = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/k"}"#;
    let padded = format!("{{\"Statement\":[{statement}]}}{}", " ".repeat(10_000));
    assert!(Policy::parse(&padded, PolicyKind::Identity).is_ok());
    let many = vec![statement; 6144 / statement.len() + 1].join(",");
    let big = format!("{{\"Statement\":[{many}]}}");
    let error = Policy::parse(&big, PolicyKind::Identity).unwrap_err();
    let first = error.first().unwrap();
    assert_eq!(first.code, FindingCode::LimitExceeded);
    assert_eq!(first.message, "Cannot exceed quota for PolicySize: 6144");
    // Resource policies have a larger quota (this one fails only for its missing principal).
    let error = Policy::parse(&big, PolicyKind::Resource).unwrap_err();
    assert!(
        error
            .findings()
            .iter()
            .all(|f| f.code != FindingCode::LimitExceeded)
    );
}

#[test]
fn keeps_original_text() {
    let text =
        "{ \"Statement\" : { \"Effect\":\"Allow\", \"Action\":\"s3:*\", \"Resource\":\"*\" } }\n";
    assert_eq!(
        Policy::parse(text, PolicyKind::Identity).unwrap().text(),
        text
    );
}

#[test]
fn hostile_inputs_are_rejected_quickly() {
    // Nesting deeper than the JSON reader allows is a syntax error, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(3000), "]".repeat(3000));
    identity(&deep, SYNTAX);
    let stars = format!(
        r#"{{"Statement":{{"Effect":"Allow","Action":"s3:{}","Resource":"*"}}}}"#,
        "*a".repeat(2000)
    );
    identity(&stars, None);
}

/// One statement granting `s3:ListBucket` on a bucket, with `extra` members added or
/// replacing its own (`NotResource` replaces `Resource`).
fn statement(extra: &str) -> String {
    let mut statement: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
        r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}"#,
    )
    .unwrap();
    let extra: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&format!("{{{extra}}}")).unwrap();
    if extra.contains_key("NotResource") {
        statement.remove("Resource");
    }
    statement.extend(extra);
    serde_json::json!({"Version": "2012-10-17", "Statement": statement}).to_string()
}

/// Shapes AWS stores (recorded against CreatePolicy) that an earlier Castellan refused; the
/// numbers are those of the readings in ARCHITECTURE.md.
#[test]
fn accepts_what_aws_accepts() {
    for extra in [
        // Empty condition blocks and lists (reading 22), even under an unknown operator.
        r#""Condition":{}"#,
        r#""Condition":{"DateGreaterThan":{}}"#,
        r#""Condition":{"a":{}}"#,
        r#""Condition":{"x":{},"y":{}}"#,
        r#""Condition":{"DateGreaterThan":{"a":[]}}"#,
        r#""Condition":{"StringEquals":{"aws:username":[]}}"#,
        r#""Condition":{"Null":{"aws:username":[]},"ForAnyValue:StringLike":{"aws:TagKeys":[]}}"#,
        // Condition keys without a vendor (reading 23), under any operator.
        r#""Condition":{"StringEqualsIfExists":{"a":"asf"}}"#,
        r#""Condition":{"ForAnyValue:StringEqualsIfExists":{"a":"asf"}}"#,
        r#""Condition":{"DateLessThanEquals":{"a":"2019-07-01T13:20:15Z"}}"#,
        r#""Condition":{"StringEquals":{"foo":"x"}}"#,
        // Dates in the shapes AWS's legacy parser reads (reading 24).
        r#""Condition":{"DateGreaterThan":{"a":"01T"}}"#,
        r#""Condition":{"DateLessThanEquals":{"a":"2016-12-13T21:20:37.593194+00:00"}}"#,
        r#""Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.593194+23"}}"#,
        r#""Condition":{"DateLessThan":{"a":"-292275054"}}"#,
        r#""Condition":{"DateLessThan":{"aws:CurrentTime":["2020-01-01","2020-01-01T00:00Z","20200101T000000Z"]}}"#,
        r#""Condition":{"DateGreaterThan":{"aws:CurrentTime":["2020-01-01T10:00:00.123+01:00",1577836800,"1577836800"]}}"#,
        // JSON booleans under Bool and Null.
        r#""Condition":{"Bool":{"aws:SecureTransport":true},"Null":{"aws:username":false}}"#,
        // A null inside a resource list (reading 25).
        r#""Resource":["arn:aws:s3:::example_bucket",null]"#,
        r#""NotResource":[null,"arn:aws:s3:::example_bucket"]"#,
        // ARNs of fewer than six parts (reading 26).
        r#""Resource":"arn:aws:fdsasf""#,
        r#""Resource":"arn:aws:s3:example_bucket""#,
        r#""Resource":"arn:aws:s33:::example_bucket""#,
        // Vendors with dots, in actions and condition keys (readings 23, 27).
        r#""Action":"s3.s:ListBucket""#,
        r#""Action":"iam: asdf safdsf af ""#,
        r#""Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:o/r:*"}}"#,
        r#""Condition":{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":"x"}}"#,
        // Empty statement ids may repeat.
        r#""Sid":"""#,
    ] {
        identity(&statement(extra), None);
    }
}

/// Near those shapes, what AWS refuses, with AWS's message (recorded against CreatePolicy).
#[test]
fn refuses_what_aws_refuses() {
    const LEGACY: Option<&str> = Some("The policy failed legacy parsing");
    for (extra, expected) in [
        (r#""Condition":{"DateGreaterThan":{"a":"sdfdsf"}}"#, LEGACY),
        (
            r#""Condition":{"DateLessThanEquals":{"a":"234-13"}}"#,
            LEGACY,
        ),
        (
            r#""Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.593194+1"}}"#,
            LEGACY,
        ),
        (
            r#""Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.1999999999+10:59"}}"#,
            LEGACY,
        ),
        (
            r#""Condition":{"DateLessThan":{"a":"9223372036854775808"}}"#,
            LEGACY,
        ),
        (r#""Resource":"arn:aws::fdsasf""#, LEGACY),
        (r#""Resource":"arn:aws:s3::example_bucket""#, LEGACY),
        (r#""Resource":"arn:aws::::example_bucket""#, LEGACY),
        (r#""NotResource":"arn:aws:s3::example_bucket""#, LEGACY),
        (
            r#""Resource":"arn:aws""#,
            Some("Resource vendor must be fully qualified and cannot contain regexes."),
        ),
        (
            r#""Resource":"invalid resource""#,
            Some("Resource invalid resource must be in ARN format or \"*\"."),
        ),
        (
            r#""Resource":"""#,
            Some("Resource  must be in ARN format or \"*\"."),
        ),
        (
            r#""Resource":[null]"#,
            Some("Policy statement must contain resources."),
        ),
        // A whole ARN's partition must be one of AWS's (or a wildcard), as recorded on AWS.
        (
            r#""Resource":"arn:error:s3:::example_bucket""#,
            Some(
                "Partition \"error\" is not valid for resource \"arn:error:s3:::example_bucket\".",
            ),
        ),
        (
            r#""Resource":"arn:b:c:d:e:f:g:h""#,
            Some("Partition \"b\" is not valid for resource \"arn:b:c:d:e:f:g:h\"."),
        ),
        (
            r#""Resource":"arn:s3:::example_bucket:*""#,
            Some("Partition \"s3\" is not valid for resource \"arn:s3:::example_bucket:*\"."),
        ),
        // Any text with a colon is read as an ARN for this check (recorded on AWS).
        (
            r#""Resource":"a:bsdfdsafsad""#,
            Some(
                "Partition \"bsdfdsafsad\" is not valid for resource \"arn:bsdfdsafsad:*:*:*:*\".",
            ),
        ),
        (
            r#""Resource":"a:b:cadfsdf""#,
            Some("Partition \"b\" is not valid for resource \"arn:b:cadfsdf:*:*:*\"."),
        ),
        (
            r#""Resource":"aws:s3:::example_bucket""#,
            Some("Partition \"s3\" is not valid for resource \"arn:s3:::example_bucket:*\"."),
        ),
        (
            r#""Resource":"arn:aws:iam:::example_bucket""#,
            Some(
                "IAM resource path must either be \"*\", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.",
            ),
        ),
        (r#""Resource":"arn:aws-cn:s3:::example_bucket""#, None),
        // A bucket has no region; an access point has one (recorded on AWS).
        (
            r#""Resource":"arn:aws:s3:us-east-1::example_bucket""#,
            Some(
                "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.",
            ),
        ),
        (
            r#""Resource":"arn:aws:s3:us-west-2:123456789012:accesspoint/ap""#,
            None,
        ),
        // An IAM ARN names a kind of IAM entity, root, or leaves it to a wildcard.
        (
            r#""Resource":"arn:aws:iam::123456789012:example""#,
            Some(
                "IAM resource path must either be \"*\", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.",
            ),
        ),
        (r#""Resource":"arn:aws:iam::123456789012:root""#, None),
        (r#""Resource":"arn:aws:iam::*:role/app-*""#, None),
        (r#""Resource":"arn:aws:iam::123456789012:*""#, None),
        (r#""Resource":"arn:aws:iam::123456789012:u*""#, None),
        (r#""Resource":"arn:*:s3:::example_bucket""#, None),
        (
            r#""Action":"a a:ListBucket""#,
            Some("Vendor a a is not valid"),
        ),
        (
            r#""Action":"s3_x:ListBucket""#,
            Some("Vendor s3_x is not valid"),
        ),
        (
            r#""Action":"s3:List:Bucket""#,
            Some("Actions/Condition can contain only one colon."),
        ),
    ] {
        identity(&statement(extra), expected);
    }
}

/// Statement ids (reading 28): letters and digits only in the policies IAM and Organizations
/// store; any text in resource policies, whose services differ (S3 and KMS allow spaces).
#[test]
fn statement_ids_per_kind() {
    const IAM: &str = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";
    const ORGANIZATIONS: &str =
        "The provided policy document does not meet the requirements of the specified policy type.";
    let trust = |sid: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Sid":"{sid}","Effect":"Allow","Principal":{{"Service":"ec2.amazonaws.com"}},"Action":"sts:AssumeRole"}}}}"#
        )
    };
    let resource = |sid: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Sid":"{sid}","Effect":"Allow","Principal":{{"AWS":"111122223333"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}}}"#
        )
    };
    let scp = |sid: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Sid":"{sid}","Effect":"Deny","Action":"ec2:*","Resource":"*"}}}}"#
        )
    };
    let rcp = |sid: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Sid":"{sid}","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}}}}"#
        )
    };
    for sid in ["Stmt1", "", "ABCdef0123"] {
        check(
            PolicyKind::Identity,
            &statement(&format!(r#""Sid":"{sid}""#)),
            None,
        );
        check(
            PolicyKind::Boundary,
            &statement(&format!(r#""Sid":"{sid}""#)),
            None,
        );
        check(
            PolicyKind::Session,
            &statement(&format!(r#""Sid":"{sid}""#)),
            None,
        );
        check(PolicyKind::Trust, &trust(sid), None);
        check(PolicyKind::ServiceControl, &scp(sid), None);
        check(PolicyKind::ResourceControl, &rcp(sid), None);
    }
    for sid in [
        "my-sid",
        "my_sid",
        "Enable IAM User Permissions",
        "__default_statement_ID",
    ] {
        let inline = statement(&format!(r#""Sid":"{sid}""#));
        check(PolicyKind::Identity, &inline, Some(IAM));
        check(PolicyKind::Boundary, &inline, Some(IAM));
        check(PolicyKind::Session, &inline, Some(IAM));
        check(PolicyKind::Trust, &trust(sid), Some(IAM));
        check(PolicyKind::ServiceControl, &scp(sid), Some(ORGANIZATIONS));
        check(PolicyKind::ResourceControl, &rcp(sid), Some(ORGANIZATIONS));
        check(PolicyKind::Resource, &resource(sid), None);
    }
}

/// An `Effect` of `Allow` or `Deny` in another letter case passes the syntax check and fails
/// legacy parsing (recorded on AWS against CreatePolicy; reading 40), for every kind: such a
/// document is never a `Policy`, so evaluation never meets it.
#[test]
fn effect_in_another_letter_case_fails_legacy_parsing() {
    const LEGACY: Option<&str> = Some("The policy failed legacy parsing");
    for effect in ["denY", "allow", "aLLow", "DENY", "deny"] {
        let inline = statement(&format!(r#""Effect":"{effect}""#));
        for kind in [
            PolicyKind::Identity,
            PolicyKind::Boundary,
            PolicyKind::Session,
        ] {
            check(kind, &inline, LEGACY);
        }
        check(
            PolicyKind::Trust,
            &format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"{effect}","Principal":{{"Service":"ec2.amazonaws.com"}},"Action":"sts:AssumeRole"}}}}"#
            ),
            LEGACY,
        );
        check(
            PolicyKind::Resource,
            &format!(
                r#"{{"Version":"2012-10-17","Statement":{{"Effect":"{effect}","Principal":{{"AWS":"111122223333"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}}}"#
            ),
            LEGACY,
        );
    }
    // Legacy parsing comes before the statement ids, the missing action and the S3 region
    // (recorded on AWS).
    identity(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"sdf","Effect":"aLLow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"},{"Sid":"sdf","Effect":"Allow"}]}"#,
        LEGACY,
    );
    identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"allow","Resource":"arn:aws:s3:us-east-1::example_bucket"}}"#,
        LEGACY,
    );
    // Any other word stays a syntax error.
    identity(&statement(r#""Effect":"invalid""#), SYNTAX);
}

/// Customer managed policies must say Version 2012-10-17, checked after the syntax and before
/// legacy parsing (recorded on AWS against CreatePolicy).
#[test]
fn customer_managed_policies_need_the_version_first() {
    const VERSION: &str = "Policy document must be version 2012-10-17 or greater.";
    let managed = |text: &str| {
        Policy::parse_customer_managed(text)
            .unwrap_err()
            .first()
            .unwrap()
            .message
            .clone()
    };
    assert_eq!(
        managed(
            r#"{"Statement":{"Effect":"denY","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#
        ),
        VERSION
    );
    assert_eq!(
        managed(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateGreaterThan":{"a":"sdfdsf"}}}}"#
        ),
        VERSION
    );
    assert_eq!(
        managed(
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#
        ),
        VERSION
    );
    assert_eq!(managed(r#"{"Statement":"x"}"#), "Syntax errors in policy.");
    assert!(
        Policy::parse_customer_managed(&statement(r#""Sid":"a""#)).is_ok(),
        "a valid managed policy"
    );
}
