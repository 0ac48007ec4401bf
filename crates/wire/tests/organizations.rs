//! The JSON 1.1 protocol of Organizations: bodies decode into the generated inputs with the
//! models' constraints, outputs and errors encode as botocore reads them.

use wire::organizations::{self as org, Operation, Request};
use wire::{QueryParams, Timestamp};

fn decode(op: Operation, body: &str) -> Result<Request, String> {
    let params = QueryParams::from_json(body.as_bytes()).map_err(|e| e.to_string())?;
    op.decode(&params).map_err(|e| e.to_string())
}

#[test]
fn every_operation_is_known_by_its_target_name() {
    assert_eq!(Operation::ALL.len(), 63);
    assert_eq!(Operation::TARGET_PREFIX, "AWSOrganizationsV20161128");
    for op in Operation::ALL {
        assert_eq!(Operation::from_action(op.name()), Some(*op));
        assert_eq!(op.action(), format!("organizations:{}", op.name()));
    }
}

#[test]
fn bodies_decode_with_lists_and_constraints() {
    let request = decode(
        Operation::CreateOrganizationalUnit,
        r#"{"ParentId": "r-ab12", "Name": "dev", "Tags": [{"Key": "team", "Value": "a"}]}"#,
    )
    .unwrap();
    let Request::CreateOrganizationalUnit(input) = request else {
        panic!("wrong request");
    };
    assert_eq!(input.parent_id, "r-ab12");
    assert_eq!(
        input.tags,
        Some(vec![org::Tag {
            key: "team".to_owned(),
            value: "a".to_owned()
        }])
    );
    let missing = decode(Operation::CreateOrganizationalUnit, r#"{"Name": "dev"}"#).unwrap_err();
    assert_eq!(
        missing,
        "1 validation error detected: Value at 'parentId' failed to satisfy constraint: Member must not be null"
    );
    let pattern = decode(Operation::DescribeAccount, r#"{"AccountId": "12"}"#).unwrap_err();
    assert!(pattern.contains("regular expression pattern"), "{pattern}");
    let number = decode(Operation::ListAccounts, r#"{"MaxResults": 5}"#).unwrap();
    assert!(matches!(number, Request::ListAccounts(ref i) if i.max_results == Some(5)));
    assert!(decode(Operation::DescribeOrganization, "").is_ok());
    assert!(decode(Operation::DescribeOrganization, "not json").is_err());
}

#[test]
fn outputs_are_json_with_epoch_timestamps() {
    let response =
        org::Response::DescribeOrganizationalUnit(org::DescribeOrganizationalUnitResponse {
            organizational_unit: Some(org::OrganizationalUnit {
                id: Some("ou-ab12-abcdefgh".to_owned()),
                name: Some("a \"b\"".to_owned()),
                ..Default::default()
            }),
        });
    assert_eq!(
        response.to_json(),
        r#"{"OrganizationalUnit":{"Id":"ou-ab12-abcdefgh","Name":"a \"b\""}}"#
    );
    let status =
        org::Response::DescribeCreateAccountStatus(org::DescribeCreateAccountStatusResponse {
            create_account_status: Some(org::CreateAccountStatus {
                state: Some(org::CreateAccountState::Succeeded),
                requested_timestamp: Some(Timestamp::from_unix_seconds(1_700_000_000)),
                ..Default::default()
            }),
        });
    assert_eq!(
        status.to_json(),
        r#"{"CreateAccountStatus":{"State":"SUCCEEDED","RequestedTimestamp":1700000000}}"#
    );
    let roots = org::Response::ListRoots(org::ListRootsResponse {
        roots: Some(Vec::new()),
        next_token: None,
    });
    assert_eq!(roots.to_json(), r#"{"Roots":[]}"#);
    assert_eq!(org::Response::DeleteOrganization.to_json(), "{}");
}

#[test]
fn errors_carry_type_message_and_reason() {
    let error = org::Error::ConstraintViolation;
    assert_eq!(error.code(), "ConstraintViolationException");
    assert_eq!(error.status(), 400);
    assert_eq!(
        error.to_json(
            "m",
            Some(org::ConstraintViolationExceptionReason::OuDepthLimitExceeded.as_str())
        ),
        r#"{"__type":"ConstraintViolationException","Message":"m","Reason":"OU_DEPTH_LIMIT_EXCEEDED"}"#
    );
    assert_eq!(
        wire::json_code("InvalidClientTokenId"),
        "UnrecognizedClientException"
    );
    assert_eq!(
        wire::encode_json_error("NotImplemented", "x", None),
        r#"{"__type":"NotImplemented","Message":"x"}"#
    );
}
