//! XML bodies of real responses and errors, pinned as insta snapshots.

use wire::{CommonError, Partition, QueryParams, Service, Timestamp, encode_error, iam, sts};

const REQUEST_ID: &str = "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE";

#[expect(clippy::unwrap_used, reason = "test helper: fixed, valid timestamps")]
fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn user(name: &str, id: &str) -> iam::User {
    iam::User {
        path: "/".to_owned(),
        user_name: name.to_owned(),
        user_id: id.to_owned(),
        arn: format!("arn:aws:iam::123456789012:user/{name}"),
        create_date: at("2026-11-22T10:00:00Z"),
        password_last_used: None,
        permissions_boundary: None,
        tags: None,
    }
}

#[test]
fn create_user_response() {
    let mut u = user("alice", "AIDACKCEVSQ6C2EXAMPLE");
    u.tags = Some(vec![iam::Tag {
        key: "team".to_owned(),
        value: "a&b <c>".to_owned(),
    }]);
    let body = iam::Response::CreateUser(iam::CreateUserResponse { user: Some(u) })
        .to_xml(Partition::Aws, REQUEST_ID);
    insta::assert_snapshot!(body);
}

#[test]
fn list_users_response() {
    let body = iam::Response::ListUsers(iam::ListUsersResponse {
        users: vec![
            user("alice", "AIDACKCEVSQ6C2EXAMPLE"),
            user("bob", "AIDAJQABLZS4A3QDU576Q"),
        ],
        is_truncated: Some(true),
        marker: Some("bob+next/page=".to_owned()),
    })
    .to_xml(Partition::Aws, REQUEST_ID);
    insta::assert_snapshot!(body);
}

#[test]
fn empty_list_and_no_output() {
    let body = iam::Response::ListUsers(iam::ListUsersResponse {
        users: vec![],
        is_truncated: Some(false),
        marker: None,
    })
    .to_xml(Partition::Aws, REQUEST_ID);
    assert!(
        body.contains(
            "<ListUsersResult><Users/><IsTruncated>false</IsTruncated></ListUsersResult>"
        ),
        "{body}"
    );
    insta::assert_snapshot!(iam::Response::DeleteUser.to_xml(Partition::Aws, REQUEST_ID));
}

#[test]
fn get_caller_identity_response() {
    let body = sts::Response::GetCallerIdentity(sts::GetCallerIdentityResponse {
        user_id: Some("AIDACKCEVSQ6C2EXAMPLE".to_owned()),
        account: Some("123456789012".to_owned()),
        arn: Some("arn:aws:iam::123456789012:user/alice".to_owned()),
    })
    .to_xml(Partition::Aws, REQUEST_ID);
    insta::assert_snapshot!(body);
}

#[test]
fn assume_role_response() {
    let body = sts::Response::AssumeRole(sts::AssumeRoleResponse {
        credentials: Some(sts::Credentials {
            access_key_id: "ASIAIOSFODNN7EXAMPLE".to_owned(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY".to_owned(),
            session_token: "IQoJb3JpZ2luX2VjEXAMPLE==".to_owned(),
            expiration: at("2026-11-22T11:00:00Z"),
        }),
        assumed_role_user: Some(sts::AssumedRoleUser {
            assumed_role_id: "AROA3XFRBF535PLBIFPI4:ci-run-42".to_owned(),
            arn: "arn:aws:sts::123456789012:assumed-role/deploy/ci-run-42".to_owned(),
        }),
        packed_policy_size: Some(6),
        source_identity: None,
        session_token_utilization: None,
        session_token_size: None,
    })
    .to_xml(Partition::Aws, REQUEST_ID);
    insta::assert_snapshot!(body);
}

#[test]
fn map_response() {
    let mut summary = std::collections::BTreeMap::new();
    summary.insert(iam::SummaryKeyType::UsersQuota, 5000);
    summary.insert(iam::SummaryKeyType::Users, 2);
    let body = iam::Response::GetAccountSummary(iam::GetAccountSummaryResponse {
        summary_map: Some(summary),
    })
    .to_xml(Partition::Aws, REQUEST_ID);
    assert!(
        body.contains(
            "<SummaryMap><entry><key>Users</key><value>2</value></entry>\
             <entry><key>UsersQuota</key><value>5000</value></entry></SummaryMap>"
        ),
        "{body}"
    );
}

#[test]
fn error_responses() {
    let e = iam::Error::NoSuchEntity;
    assert_eq!((e.code(), e.status()), ("NoSuchEntity", 404));
    insta::assert_snapshot!(e.to_xml("The user with name bob cannot be found.", REQUEST_ID));
    let v = CommonError::ValidationError;
    let message = "1 validation error detected: Value at 'userName' failed to satisfy constraint: Member must not be null";
    insta::assert_snapshot!(encode_error(
        Service::Iam,
        v.code(),
        v.status(Service::Iam),
        message,
        REQUEST_ID
    ));
    let s = iam::Error::ServiceFailure;
    let body = s.to_xml("internal error", REQUEST_ID);
    assert!(
        body.contains("<Type>Receiver</Type>") && s.status() == 500,
        "{body}"
    );
    assert!(sts::Error::MalformedPolicyDocument.to_xml("x", "r").starts_with(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
    ));
}

#[test]
fn error_statuses_follow_the_protocol_reference() {
    for (code, status) in [
        ("NoSuchEntity", 404),
        ("EntityAlreadyExists", 409),
        ("LimitExceeded", 409),
        ("DeleteConflict", 409),
        ("MalformedPolicyDocument", 400),
        ("InvalidInput", 400),
        ("ServiceFailure", 500),
    ] {
        assert_eq!(
            iam::Error::from_code(code).map(iam::Error::status),
            Some(status),
            "{code}"
        );
    }
    for (e, iam_status, sts_status) in [
        (CommonError::ValidationError, 400, 400),
        (CommonError::AccessDenied, 403, 403),
        (CommonError::InvalidClientTokenId, 403, 403),
        (CommonError::SignatureDoesNotMatch, 403, 403),
        (CommonError::ExpiredToken, 403, 400),
        (CommonError::Throttling, 400, 400),
        (CommonError::InvalidAction, 400, 400),
    ] {
        assert_eq!(
            (e.status(Service::Iam), e.status(Service::Sts)),
            (iam_status, sts_status),
            "{e:?}"
        );
    }
    // Every error shape has a code that maps back to it.
    for e in iam::Error::ALL {
        assert_eq!(iam::Error::from_code(e.code()), Some(*e));
    }
    for e in sts::Error::ALL {
        assert_eq!(sts::Error::from_code(e.code()), Some(*e));
    }
}

/// Issue 11: a request signed for `cn-north-1` lives in `aws-cn`. Its ARN-typed members arrive
/// in the canonical `aws` partition and leave in `aws-cn`; other text is never touched (a tag
/// value that looks like an ARN stays as written), and an `aws` ARN sent there is swapped
/// the other way, so it names nothing inside.
#[test]
fn arn_members_move_between_the_requests_partition_and_aws() {
    let body = iam::Response::CreateUser(iam::CreateUserResponse {
        user: Some(iam::User {
            tags: Some(vec![iam::Tag {
                key: "k".to_owned(),
                value: "arn:aws:iam::123456789012:user/x".to_owned(),
            }]),
            ..user("alice", "AIDAEXAMPLE")
        }),
    })
    .to_xml(Partition::China, REQUEST_ID);
    assert!(
        body.contains("<Arn>arn:aws-cn:iam::123456789012:user/alice</Arn>"),
        "{body}"
    );
    assert!(
        body.contains("<Value>arn:aws:iam::123456789012:user/x</Value>"),
        "{body}"
    );

    let decode = |arn: &str| {
        let params = QueryParams::from_pairs([
            ("Action", "AttachUserPolicy"),
            ("UserName", "alice"),
            ("PolicyArn", arn),
        ])
        .in_partition(Partition::China);
        match iam::Operation::AttachUserPolicy.decode(&params) {
            Ok(iam::Request::AttachUserPolicy(input)) => input.policy_arn,
            other => format!("{other:?}"),
        }
    };
    assert_eq!(
        decode("arn:aws-cn:iam::aws:policy/ReadOnlyAccess"),
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    );
    assert_eq!(
        decode("arn:aws:iam::aws:policy/ReadOnlyAccess"),
        "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"
    );
    let plain = QueryParams::from_pairs([
        ("Action", "AttachUserPolicy"),
        ("UserName", "alice"),
        ("PolicyArn", "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"),
    ]);
    assert!(matches!(
        iam::Operation::AttachUserPolicy.decode(&plain),
        Ok(iam::Request::AttachUserPolicy(input)) if input.policy_arn.starts_with("arn:aws-cn:")
    ));
}
