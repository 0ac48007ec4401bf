//! Decoding real operations from form pairs, and every kind of validation failure with
//! AWS's exact message.

use wire::{QueryParams, Timestamp, iam, sts};

fn params(pairs: &[(&str, &str)]) -> QueryParams {
    QueryParams::from_pairs(pairs.iter().copied())
}

#[expect(clippy::panic, reason = "test helper: a wrong outcome fails the test")]
fn iam_ok(op: iam::Operation, pairs: &[(&str, &str)]) -> iam::Request {
    op.decode(&params(pairs))
        .unwrap_or_else(|e| panic!("{op:?}: {e}"))
}

#[expect(clippy::panic, reason = "test helper: a wrong outcome fails the test")]
fn sts_ok(op: sts::Operation, pairs: &[(&str, &str)]) -> sts::Request {
    op.decode(&params(pairs))
        .unwrap_or_else(|e| panic!("{op:?}: {e}"))
}

/// The AWS ValidationError message an IAM request fails with.
#[expect(clippy::panic, reason = "test helper: a wrong outcome fails the test")]
fn iam_err(op: iam::Operation, pairs: &[(&str, &str)]) -> String {
    match op.decode(&params(pairs)) {
        Ok(r) => panic!("{op:?} decoded: {r:?}"),
        Err(e) => e.to_string(),
    }
}

fn tag(key: &str, value: &str) -> iam::Tag {
    iam::Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

#[test]
fn action_lookup() {
    let p = params(&[("Action", "CreateUser"), ("Version", "2010-05-08")]);
    assert_eq!(
        p.get("Action").and_then(iam::Operation::from_action),
        Some(iam::Operation::CreateUser)
    );
    assert_eq!(iam::Operation::from_action("createuser"), None);
    assert_eq!(
        sts::Operation::from_action("AssumeRole"),
        Some(sts::Operation::AssumeRole)
    );
    assert_eq!(iam::Operation::ALL.len(), 180);
    assert_eq!(sts::Operation::ALL.len(), 11);
    for op in iam::Operation::ALL {
        assert_eq!(iam::Operation::from_action(op.name()), Some(*op));
    }
}

#[test]
fn create_user_with_tags_out_of_order() {
    let r = iam_ok(
        iam::Operation::CreateUser,
        &[
            ("Action", "CreateUser"),
            ("Version", "2010-05-08"),
            ("UserName", "alice"),
            ("Path", "/eng/"),
            ("Tags.member.2.Key", "team"),
            ("Tags.member.2.Value", "iam"),
            ("Tags.member.1.Key", "env"),
            ("Tags.member.1.Value", "prod"),
            ("Unknown", "ignored"),
        ],
    );
    assert_eq!(
        r,
        iam::Request::CreateUser(iam::CreateUserRequest {
            path: Some("/eng/".to_owned()),
            user_name: "alice".to_owned(),
            permissions_boundary: None,
            tags: Some(vec![tag("env", "prod"), tag("team", "iam")]),
        })
    );
    assert_eq!(r.operation(), iam::Operation::CreateUser);
}

#[test]
fn list_gaps_keep_index_order_and_empty_list() {
    let r = iam_ok(
        iam::Operation::TagUser,
        &[
            ("UserName", "alice"),
            ("Tags.member.10.Key", "c"),
            ("Tags.member.10.Value", "3"),
            ("Tags.member.2.Key", "b"),
            ("Tags.member.2.Value", "2"),
            ("Tags.member.0.Key", "not-an-item"),
            ("Tags.member.x.Key", "not-an-item"),
        ],
    );
    let iam::Request::TagUser(r) = r else {
        panic!()
    };
    assert_eq!(r.tags, vec![tag("b", "2"), tag("c", "3")]);
    // botocore sends an empty list as `Name=`.
    let r = iam_ok(
        iam::Operation::CreateUser,
        &[("UserName", "bob"), ("Tags", "")],
    );
    let iam::Request::CreateUser(r) = r else {
        panic!()
    };
    assert_eq!(r.tags, Some(vec![]));
}

#[test]
fn attach_user_policy() {
    let arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    assert_eq!(
        iam_ok(
            iam::Operation::AttachUserPolicy,
            &[("UserName", "alice"), ("PolicyArn", arn)]
        ),
        iam::Request::AttachUserPolicy(iam::AttachUserPolicyRequest {
            user_name: "alice".to_owned(),
            policy_arn: arn.to_owned(),
        })
    );
}

#[test]
fn list_users_pagination() {
    assert_eq!(
        iam_ok(
            iam::Operation::ListUsers,
            &[
                ("Marker", "opaque+/="),
                ("MaxItems", "100"),
                ("PathPrefix", "/eng/")
            ]
        ),
        iam::Request::ListUsers(iam::ListUsersRequest {
            path_prefix: Some("/eng/".to_owned()),
            marker: Some("opaque+/=".to_owned()),
            max_items: Some(100),
        })
    );
    assert_eq!(
        iam_ok(iam::Operation::ListUsers, &[]),
        iam::Request::ListUsers(iam::ListUsersRequest::default())
    );
}

#[test]
fn update_access_key_enum() {
    let r = iam_ok(
        iam::Operation::UpdateAccessKey,
        &[
            ("AccessKeyId", "AKIAIOSFODNN7EXAMPLE"),
            ("Status", "Inactive"),
        ],
    );
    let iam::Request::UpdateAccessKey(r) = r else {
        panic!()
    };
    assert_eq!(r.status, iam::StatusType::Inactive);
    assert_eq!(r.status.as_str(), "Inactive");
    assert_eq!(r.user_name, None);
}

#[test]
fn operations_without_input_or_members() {
    assert_eq!(
        iam_ok(
            iam::Operation::GetAccountSummary,
            &[("Action", "GetAccountSummary")]
        ),
        iam::Request::GetAccountSummary
    );
    assert_eq!(
        sts_ok(sts::Operation::GetCallerIdentity, &[]),
        sts::Request::GetCallerIdentity(sts::GetCallerIdentityRequest {})
    );
}

#[test]
fn assume_role_with_policy_arns_tags_and_transitive_keys() {
    let r = sts_ok(
        sts::Operation::AssumeRole,
        &[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", "arn:aws:iam::123456789012:role/deploy"),
            ("RoleSessionName", "ci-run-42"),
            ("DurationSeconds", "900"),
            (
                "PolicyArns.member.1.arn",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
            ),
            (
                "PolicyArns.member.2.arn",
                "arn:aws:iam::123456789012:policy/extra",
            ),
            ("Tags.member.1.Key", "project"),
            ("Tags.member.1.Value", "castellan"),
            ("TransitiveTagKeys.member.1", "project"),
            ("ExternalId", "ext-1"),
        ],
    );
    let sts::Request::AssumeRole(r) = r else {
        panic!()
    };
    assert_eq!(r.role_arn, "arn:aws:iam::123456789012:role/deploy");
    assert_eq!(r.role_session_name, "ci-run-42");
    assert_eq!(r.duration_seconds, Some(900));
    assert_eq!(
        r.policy_arns,
        Some(vec![
            sts::PolicyDescriptorType {
                arn: Some("arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned())
            },
            sts::PolicyDescriptorType {
                arn: Some("arn:aws:iam::123456789012:policy/extra".to_owned())
            },
        ])
    );
    assert_eq!(
        r.tags,
        Some(vec![sts::Tag {
            key: "project".to_owned(),
            value: "castellan".to_owned()
        }])
    );
    assert_eq!(r.transitive_tag_keys, Some(vec!["project".to_owned()]));
    assert_eq!(r.external_id.as_deref(), Some("ext-1"));
    assert_eq!(r.policy, None);
}

#[test]
fn scalars_from_strings() {
    // Booleans (any case, as Java reads them), integers and timestamps arrive as text.
    let r = iam_ok(
        iam::Operation::UpdateAccountPasswordPolicy,
        &[
            ("MinimumPasswordLength", "12"),
            ("RequireSymbols", "TRUE"),
            ("HardExpiry", "false"),
        ],
    );
    let iam::Request::UpdateAccountPasswordPolicy(r) = r else {
        panic!()
    };
    assert_eq!(r.minimum_password_length, Some(12));
    assert_eq!(r.require_symbols, Some(true));
    assert_eq!(r.hard_expiry, Some(false));
    assert_eq!(
        "2026-11-22T10:00:00Z"
            .parse::<Timestamp>()
            .map(Timestamp::unix_seconds),
        Ok(1_795_341_600)
    );
}

#[test]
fn maps_by_entry_index() {
    let r = iam_ok(
        iam::Operation::PutAccountProperties,
        &[
            ("Properties.entry.2.key", "b"),
            ("Properties.entry.2.value", "2"),
            ("Properties.entry.1.key", "a"),
            ("Properties.entry.1.value", "1"),
        ],
    );
    let iam::Request::PutAccountProperties(r) = r else {
        panic!()
    };
    let got: Vec<(&str, &str)> = r
        .properties
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(got, [("a", "1"), ("b", "2")]);
    assert_eq!(
        iam_err(
            iam::Operation::PutAccountProperties,
            &[("Properties.entry.1.key", "a")]
        ),
        "1 validation error detected: Value at 'properties.1.member.value' failed to \
         satisfy constraint: Member must not be null"
    );
}

#[test]
fn missing_required_member() {
    assert_eq!(
        iam_err(iam::Operation::CreateUser, &[("Action", "CreateUser")]),
        "1 validation error detected: Value at 'userName' failed to satisfy constraint: \
         Member must not be null"
    );
}

#[test]
fn length_limits() {
    let long = "a".repeat(65);
    assert_eq!(
        iam_err(iam::Operation::CreateUser, &[("UserName", &long)]),
        format!(
            "1 validation error detected: Value at 'userName' failed to satisfy \
             constraint: Member must have length less than or equal to 64"
        )
    );
    assert_eq!(
        iam_err(
            iam::Operation::CreateGroup,
            &[("GroupName", "g"), ("Path", "")]
        ),
        "2 validation errors detected: Value at 'path' failed to satisfy constraint: \
         Member must have length greater than or equal to 1; Value at 'path' failed to \
         satisfy constraint: Member must satisfy regular expression pattern: \
         (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
    );
    // Lengths count code points: 64 two-byte characters fit.
    let wide = "é".repeat(64);
    let e = iam_err(iam::Operation::CreateUser, &[("UserName", &wide)]);
    assert!(!e.contains("length"), "{e}");
}

#[test]
fn pattern() {
    assert_eq!(
        iam_err(iam::Operation::CreateUser, &[("UserName", "bob smith")]),
        "1 validation error detected: Value at 'userName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    );
}

#[test]
fn enum_value_set() {
    assert_eq!(
        iam_err(
            iam::Operation::UpdateAccessKey,
            &[
                ("AccessKeyId", "AKIAIOSFODNN7EXAMPLE"),
                ("Status", "Enabled")
            ]
        ),
        "1 validation error detected: Value at 'status' failed to satisfy \
         constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"
    );
}

#[test]
fn numeric_range() {
    assert_eq!(
        iam_err(iam::Operation::ListUsers, &[("MaxItems", "5000")]),
        "1 validation error detected: Value at 'maxItems' failed to satisfy \
         constraint: Member must have value less than or equal to 1000"
    );
    assert_eq!(
        iam_err(iam::Operation::ListUsers, &[("MaxItems", "0")]),
        "1 validation error detected: Value at 'maxItems' failed to satisfy \
         constraint: Member must have value greater than or equal to 1"
    );
    assert_eq!(
        iam_err(iam::Operation::ListUsers, &[("MaxItems", "ten")]),
        "1 validation error detected: Value at 'maxItems' failed to satisfy \
         constraint: Member must be a valid integer"
    );
}

#[test]
fn several_errors_in_member_order() {
    assert_eq!(
        iam_err(
            iam::Operation::UpdateAccessKey,
            &[("UserName", "a/b"), ("Status", "On")]
        ),
        "3 validation errors detected: \
         Value at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+; \
         Value at 'accessKeyId' failed to satisfy constraint: Member must not be null; \
         Value at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"
    );
}

#[test]
fn nested_members_name_their_list_position() {
    assert_eq!(
        iam_err(
            iam::Operation::TagUser,
            &[
                ("UserName", "alice"),
                ("Tags.member.3.Key", "k"),
                ("Tags.member.4.Value", "v{")
            ]
        ),
        "3 validation errors detected: \
         Value at 'tags.3.member.value' failed to satisfy constraint: Member must not be null; \
         Value at 'tags.4.member.key' failed to satisfy constraint: Member must not be null; \
         Value at 'tags.4.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"
    );
}

#[test]
fn list_length() {
    let mut pairs = vec![("UserName".to_owned(), "alice".to_owned())];
    for i in 1..=51 {
        pairs.push((format!("Tags.member.{i}.Key"), format!("k{i}")));
        pairs.push((format!("Tags.member.{i}.Value"), "v".to_owned()));
    }
    let e = iam::Operation::TagUser
        .decode(&QueryParams::from_pairs(pairs))
        .unwrap_err();
    assert_eq!(e.errors().len(), 1);
    assert_eq!(e.errors()[0].path(), "tags");
    assert_eq!(
        e.errors()[0].constraint(),
        "Member must have length less than or equal to 50"
    );
    assert_eq!(
        e.to_string(),
        "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
    );
}

#[test]
fn sensitive_values_are_not_echoed() {
    assert_eq!(
        iam_err(
            iam::Operation::CreateLoginProfile,
            &[("UserName", "alice"), ("Password", &"p".repeat(129))]
        ),
        "1 validation error detected: Value at 'password' failed to satisfy \
         constraint: Member must have length less than or equal to 128"
    );
    // ...nor shown by Debug.
    let r = iam_ok(
        iam::Operation::CreateLoginProfile,
        &[("UserName", "alice"), ("Password", "hunter2-secret")],
    );
    assert!(!format!("{r:?}").contains("hunter2"));
}

#[test]
fn sts_constraints() {
    let e = sts::Operation::AssumeRole
        .decode(&params(&[
            ("RoleArn", "arn:aws:iam::123456789012:role/r"),
            ("RoleSessionName", "s"),
            ("DurationSeconds", "43201"),
        ]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "2 validation errors detected: Value at 'roleSessionName' failed to satisfy \
         constraint: Member must have length greater than or equal to 2; Value at \
         'durationSeconds' failed to satisfy constraint: Member must have value less than or \
         equal to 43200"
    );
}
