"""The policy simulator (SimulateCustomPolicy, SimulatePrincipalPolicy, GetContextKeysFor*)
with boto3: AWS's result shape, and the same decisions as enforcement."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, Creds, allow, error_of, user_arn

DATED = {
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Allow",
        "Action": "dynamodb:*",
        "Resource": "*",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2018-08-16T12:00:00Z"}},
    },
}


def compact(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"))


def test_custom_policy_as_in_aws_example(server):
    iam = server.iam()
    text = compact(DATED)
    later = iam.simulate_custom_policy(
        PolicyInputList=[text],
        ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=[
            {"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2019-04-25T11:00:00Z"], "ContextKeyType": "date"}
        ],
    )["EvaluationResults"]
    assert len(later) == 1
    result = later[0]
    assert result["EvalActionName"] == "dynamodb:CreateBackup"
    assert result["EvalResourceName"] == "*"
    assert result["EvalDecision"] == "allowed"
    # AWS's documented answer for this very input: the statement from column 38 to 167.
    assert result["MatchedStatements"] == [
        {
            "SourcePolicyId": "PolicyInputList.1",
            "SourcePolicyType": "none",
            "StartPosition": {"Line": 1, "Column": 38},
            "EndPosition": {"Line": 1, "Column": 167},
        }
    ]
    assert result["MissingContextValues"] == []
    earlier = iam.simulate_custom_policy(
        PolicyInputList=[text],
        ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=[
            {"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2014-04-25T11:00:00Z"], "ContextKeyType": "date"}
        ],
    )["EvaluationResults"][0]
    assert earlier["EvalDecision"] == "implicitDeny"
    assert earlier["MatchedStatements"] == []
    # Without the key, the simulator says which key the policy needed.
    missing = iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["dynamodb:CreateBackup"])
    assert missing["EvaluationResults"][0]["MissingContextValues"] == ["aws:CurrentTime"]


def test_deny_wins_and_is_the_only_matched_statement(server):
    iam = server.iam()
    allows = json.dumps(allow("s3:*"), indent=2)
    denies = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}
    )
    results = iam.simulate_custom_policy(
        PolicyInputList=[allows, denies],
        ActionNames=["s3:GetObject", "s3:DeleteObject"],
        ResourceArns=["arn:aws:s3:::bucket/key"],
    )["EvaluationResults"]
    by_action = {r["EvalActionName"]: r for r in results}
    get, delete = by_action["s3:GetObject"], by_action["s3:DeleteObject"]
    assert get["EvalDecision"] == "allowed"
    assert [m["SourcePolicyId"] for m in get["MatchedStatements"]] == ["PolicyInputList.1"]
    # Pretty-printed text: the statement's brace is on line 4.
    assert get["MatchedStatements"][0]["StartPosition"]["Line"] == 4
    assert delete["EvalDecision"] == "explicitDeny"
    assert [m["SourcePolicyId"] for m in delete["MatchedStatements"]] == ["PolicyInputList.2"]
    specific = delete["ResourceSpecificResults"]
    assert [(r["EvalResourceName"], r["EvalResourceDecision"]) for r in specific] == [
        ("arn:aws:s3:::bucket/key", "explicitDeny")
    ]


def test_pagination_over_actions_and_resources(server):
    iam = server.iam()
    actions = [f"s3:Get{n}" for n in range(5)]
    resources = ["arn:aws:s3:::a", "arn:aws:s3:::b"]
    seen = []
    marker = None
    while True:
        extra = {"Marker": marker} if marker else {}
        page = iam.simulate_custom_policy(
            PolicyInputList=[compact(allow("s3:Get1"))], ActionNames=actions, ResourceArns=resources, MaxItems=3, **extra
        )
        seen.extend((r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in page["EvaluationResults"])
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert len(seen) == 10
    assert [s for s in seen if s[2] == "allowed"] == [
        ("s3:Get1", "arn:aws:s3:::a", "allowed"),
        ("s3:Get1", "arn:aws:s3:::b", "allowed"),
    ]


def test_bad_inputs_are_invalid_input(server):
    iam = server.iam()
    for kwargs in [
        {"PolicyInputList": ["{not json"], "ActionNames": ["s3:GetObject"]},
        {
            "PolicyInputList": [compact(allow("s3:*"))],
            "ActionNames": ["s3:GetObject"],
            "ContextEntries": [{"ContextKeyName": "s3:max-keys", "ContextKeyValues": ["many"], "ContextKeyType": "numeric"}],
        },
        {
            "PolicyInputList": [compact(allow("s3:*"))],
            "ActionNames": ["s3:GetObject"],
            "ResourcePolicy": compact(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}],
                }
            ),
            "CallerArn": f"arn:aws:iam::{ACCOUNT_ID}:role/r",
        },
    ]:
        with pytest.raises(ClientError) as caught:
            iam.simulate_custom_policy(**kwargs)
        code, status, _ = error_of(caught)
        assert (code, status) == ("InvalidInput", 400), kwargs


def test_resource_owner_is_an_account_arn_or_id(server):
    """ResourceOwner names the account owning resources whose ARN names none (reading 110):
    a bucket's grant to a user suffices within the user's account, not across accounts."""
    iam = server.iam()
    caller = f"arn:aws:iam::{ACCOUNT_ID}:user/reader"
    bucket = compact(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"}
            ],
        }
    )
    nothing = compact({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]})

    def decision(**owner):
        return iam.simulate_custom_policy(
            PolicyInputList=[nothing],
            ActionNames=["s3:GetObject"],
            ResourceArns=["arn:aws:s3:::shared/k"],
            ResourcePolicy=bucket,
            CallerArn=caller,
            **owner,
        )["EvaluationResults"][0]["EvalDecision"]

    assert decision() == "allowed"
    assert decision(ResourceOwner=f"arn:aws:iam::{ACCOUNT_ID}:root") == "allowed"
    assert decision(ResourceOwner="222233334444") == "implicitDeny"
    assert decision(ResourceOwner="arn:aws:iam::222233334444:root") == "implicitDeny"
    with pytest.raises(ClientError) as caught:
        decision(ResourceOwner="acme")
    assert error_of(caught)[:2] == ("InvalidInput", 400)


def test_principal_policy_gathers_user_groups_boundary_and_excludes(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    iam.create_group(GroupName="readers")
    iam.add_user_to_group(GroupName="readers", UserName="alice")
    iam.put_group_policy(GroupName="readers", PolicyName="read", PolicyDocument=json.dumps(allow("s3:GetObject")))
    iam.put_user_policy(UserName="alice", PolicyName="own", PolicyDocument=json.dumps(allow("sqs:*")))
    iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    simulate = lambda actions, **kw: {  # noqa: E731
        r["EvalActionName"]: r
        for r in iam.simulate_principal_policy(PolicySourceArn=user_arn("alice"), ActionNames=actions, **kw)[
            "EvaluationResults"
        ]
    }
    got = simulate(["s3:GetObject", "sqs:SendMessage", "iam:ListUsers", "iam:CreateUser"])
    assert {a: r["EvalDecision"] for a, r in got.items()} == {
        "s3:GetObject": "allowed",
        "sqs:SendMessage": "allowed",
        "iam:ListUsers": "allowed",
        "iam:CreateUser": "implicitDeny",
    }
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in got["s3:GetObject"]["MatchedStatements"]] == [
        ("read", "group")
    ]
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in got["sqs:SendMessage"]["MatchedStatements"]] == [
        ("own", "user")
    ]
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in got["iam:ListUsers"]["MatchedStatements"]] == [
        ("arn:aws:iam::aws:policy/IAMReadOnlyAccess", "aws-managed")
    ]
    assert "PermissionsBoundaryDecisionDetail" not in got["s3:GetObject"]

    # A boundary that allows only S3: the others now fall outside it.
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    bounded = simulate(["s3:GetObject", "sqs:SendMessage"])
    assert bounded["s3:GetObject"]["EvalDecision"] == "allowed"
    assert bounded["s3:GetObject"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert bounded["sqs:SendMessage"]["EvalDecision"] == "implicitDeny"
    assert bounded["sqs:SendMessage"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}

    # Excluding the group's inline policy, and adding one as text.
    excluded = simulate(
        ["s3:GetObject", "kms:Decrypt"],
        PolicyExclusionList=[
            {"InlinePolicyIdentifier": {"PolicyName": "read", "AttachmentType": "group", "AttachmentName": "readers"}}
        ],
        PolicyInputList=[compact(allow("kms:Decrypt"))],
        PermissionsBoundaryPolicyInputList=[compact(allow("*"))],
    )
    assert excluded["s3:GetObject"]["EvalDecision"] == "implicitDeny"
    assert excluded["kms:Decrypt"]["EvalDecision"] == "allowed"
    assert [m["SourcePolicyId"] for m in excluded["kms:Decrypt"]["MatchedStatements"]] == ["PolicyInputList.1"]


def test_principal_policy_errors_and_authorization(server):
    iam = server.iam()
    with pytest.raises(ClientError) as caught:
        iam.simulate_principal_policy(PolicySourceArn=user_arn("nobody"), ActionNames=["s3:GetObject"])
    assert error_of(caught)[:2] == ("NoSuchEntity", 404)
    iam.create_user(UserName="bob")
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    iam.put_user_policy(
        UserName="bob", PolicyName="sim", PolicyDocument=json.dumps(allow("iam:SimulateCustomPolicy"))
    )
    as_bob = server.iam(Creds(key["AccessKeyId"], key["SecretAccessKey"], "bob"))
    as_bob.simulate_custom_policy(PolicyInputList=[compact(allow("s3:*"))], ActionNames=["s3:GetObject"])
    with pytest.raises(ClientError) as caught:
        as_bob.simulate_principal_policy(PolicySourceArn=user_arn("bob"), ActionNames=["s3:GetObject"])
    code, status, message = error_of(caught)
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:SimulatePrincipalPolicy" in message


def test_context_keys(server):
    iam = server.iam()
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::home/${aws:username}/*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
            },
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}},
        ],
    }
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[json.dumps(document)])["ContextKeyNames"]
    assert keys == ["aws:RequestedRegion", "aws:username", "aws:MultiFactorAuthPresent"]
    iam.create_role(
        RoleName="worker",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
            }
        ),
    )
    iam.put_role_policy(RoleName="worker", PolicyName="p", PolicyDocument=json.dumps(document))
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/worker"
    keys = iam.get_context_keys_for_principal_policy(
        PolicySourceArn=role_arn,
        PolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
        ]})],
    )["ContextKeyNames"]
    assert keys == ["aws:RequestedRegion", "aws:username", "aws:MultiFactorAuthPresent", "aws:SourceIp"]


IAM_ACTIONS = ["iam:GetUser", "iam:ListUsers", "iam:CreateUser", "iam:DeleteUser", "iam:ListGroups", "iam:GetRole"]


def test_simulator_decides_as_enforcement(server):
    """For users with different policies, the simulator's decision on each IAM action equals
    what the server does when the same user calls it."""
    iam = server.iam()
    profiles = {
        "reader": [allow(["iam:Get*", "iam:List*"])],
        "denied": [
            allow("iam:*"),
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["iam:Create*", "iam:ListGroups"], "Resource": "*"}]},
        ],
        "self": [allow("iam:GetUser", resource=user_arn("${aws:username}"))],
        "nothing": [],
    }
    for name, documents in profiles.items():
        iam.create_user(UserName=name)
        for n, document in enumerate(documents):
            iam.put_user_policy(UserName=name, PolicyName=f"p{n}", PolicyDocument=json.dumps(document))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        as_user = server.iam(Creds(key["AccessKeyId"], key["SecretAccessKey"], name))
        calls = {
            "iam:GetUser": lambda: as_user.get_user(UserName=name),
            "iam:ListUsers": lambda: as_user.list_users(),
            "iam:CreateUser": lambda: as_user.create_user(UserName=f"{name}-made"),
            "iam:DeleteUser": lambda: as_user.delete_user(UserName="nobody-here"),
            "iam:ListGroups": lambda: as_user.list_groups(),
            "iam:GetRole": lambda: as_user.get_role(RoleName="nobody-here"),
        }
        resources = {
            "iam:GetUser": user_arn(name),
            "iam:ListUsers": user_arn(""),
            "iam:CreateUser": user_arn(f"{name}-made"),
            "iam:DeleteUser": user_arn("nobody-here"),
            "iam:ListGroups": f"arn:aws:iam::{ACCOUNT_ID}:group/",
            "iam:GetRole": f"arn:aws:iam::{ACCOUNT_ID}:role/nobody-here",
        }
        for action in IAM_ACTIONS:
            simulated = iam.simulate_principal_policy(
                PolicySourceArn=user_arn(name),
                ActionNames=[action],
                ResourceArns=[resources[action]],
                ContextEntries=[{"ContextKeyName": "aws:username", "ContextKeyValues": [name], "ContextKeyType": "string"}],
            )["EvaluationResults"][0]["EvalDecision"]
            try:
                calls[action]()
                enforced = "allowed"
            except ClientError as e:
                code = e.response["Error"]["Code"]
                # NoSuchEntity: authorized, then not found.
                enforced = "denied" if code == "AccessDenied" else "allowed"
            expected = "allowed" if simulated == "allowed" else "denied"
            assert enforced == expected, (name, action, simulated)
