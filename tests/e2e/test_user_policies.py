"""A user's inline policies, attached AWS managed policies and permissions boundary."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import allow, error_of

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
VIEW_ONLY = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"


def test_inline_policy_round_trip(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    # Characters that must survive the URL encoding of the response (boto3 decodes it).
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadMyself",
                "Effect": "Allow",
                "Action": ["iam:GetUser", "iam:ListUserTags"],
                "Resource": "arn:aws:iam::*:user/${aws:username}",
                "Condition": {"StringLike": {"aws:UserAgent": "a b+c%d&e=f/é*"}},
            }
        ],
    }
    iam.put_user_policy(UserName="alice", PolicyName="self", PolicyDocument=json.dumps(document, indent=2))
    got = iam.get_user_policy(UserName="alice", PolicyName="self")
    assert got["UserName"] == "alice"
    assert got["PolicyName"] == "self"
    assert got["PolicyDocument"] == document
    # Putting again under the same name replaces it.
    iam.put_user_policy(UserName="alice", PolicyName="self", PolicyDocument=json.dumps(allow("iam:GetUser")))
    assert iam.get_user_policy(UserName="alice", PolicyName="self")["PolicyDocument"] == allow("iam:GetUser")
    iam.put_user_policy(UserName="alice", PolicyName="other", PolicyDocument=json.dumps(allow("iam:ListUsers")))
    assert sorted(iam.list_user_policies(UserName="alice")["PolicyNames"]) == ["other", "self"]
    page = iam.list_user_policies(UserName="alice", MaxItems=1)
    assert len(page["PolicyNames"]) == 1 and page["IsTruncated"] is True
    rest = iam.list_user_policies(UserName="alice", Marker=page["Marker"])
    assert sorted(page["PolicyNames"] + rest["PolicyNames"]) == ["other", "self"]
    iam.delete_user_policy(UserName="alice", PolicyName="self")
    assert iam.list_user_policies(UserName="alice")["PolicyNames"] == ["other"]


def test_inline_policy_errors(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as e:
        iam.get_user_policy(UserName="alice", PolicyName="nope")
    assert error_of(e) == ("NoSuchEntity", 404, "The user policy with name nope cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.delete_user_policy(UserName="alice", PolicyName="nope")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument="{not json")
    assert error_of(e) == ("MalformedPolicyDocument", 400, "Syntax errors in policy.")
    bad = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3","Resource":"bucket"}}'
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=bad)
    assert error_of(e) == ("MalformedPolicyDocument", 400, 'Resource bucket must be in ARN format or "*".')
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName="nobody", PolicyName="p", PolicyDocument=json.dumps(allow("iam:GetUser")))
    assert error_of(e)[:2] == ("NoSuchEntity", 404)


def test_inline_policies_total_size_limit(server):
    iam = server.iam()
    iam.create_user(UserName="alice")

    def document(size_hint):
        # Sids pad the document without changing its meaning; whitespace does not count.
        statements = [
            {"Sid": f"S{i}{'x' * 40}", "Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}
            for i in range(size_hint)
        ]
        return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=4)

    def non_whitespace(text):
        return sum(1 for c in text if not c.isspace())

    first = document(12)
    assert non_whitespace(first) < 2048
    iam.put_user_policy(UserName="alice", PolicyName="one", PolicyDocument=first)
    second = document(12)
    assert non_whitespace(first) + non_whitespace(second) > 2048
    with pytest.raises(ClientError) as e:
        iam.put_user_policy(UserName="alice", PolicyName="two", PolicyDocument=second)
    assert error_of(e) == ("LimitExceeded", 409, "Maximum policy size of 2048 bytes exceeded for user alice")
    # Replacing the one policy with a document of the same size is fine.
    iam.put_user_policy(UserName="alice", PolicyName="one", PolicyDocument=second)


def test_attach_and_detach_managed_policies(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    iam.attach_user_policy(UserName="alice", PolicyArn=READ_ONLY)
    iam.attach_user_policy(UserName="alice", PolicyArn=VIEW_ONLY)
    attached = iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]
    assert sorted((p["PolicyName"], p["PolicyArn"]) for p in attached) == [
        ("IAMReadOnlyAccess", READ_ONLY),
        ("ViewOnlyAccess", VIEW_ONLY),
    ]
    by_path = iam.list_attached_user_policies(UserName="alice", PathPrefix="/job-function/")
    assert [p["PolicyArn"] for p in by_path["AttachedPolicies"]] == [VIEW_ONLY]
    iam.detach_user_policy(UserName="alice", PolicyArn=READ_ONLY)
    attached = iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [VIEW_ONLY]
    with pytest.raises(ClientError) as e:
        iam.detach_user_policy(UserName="alice", PolicyArn=READ_ONLY)
    assert error_of(e)[:2] == ("NoSuchEntity", 404)


def test_attach_unknown_policy_is_no_such_entity(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    for arn in ("arn:aws:iam::aws:policy/NoSuchPolicy", "arn:aws:iam::123456789012:policy/Mine"):
        with pytest.raises(ClientError) as e:
            iam.attach_user_policy(UserName="alice", PolicyArn=arn)
        assert error_of(e) == ("NoSuchEntity", 404, f"Policy {arn} does not exist or is not attachable.")
    assert iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"] == []


def test_permissions_boundary_is_set_and_removed(server):
    iam = server.iam()
    iam.create_user(UserName="alice", PermissionsBoundary=READ_ONLY)
    assert iam.get_user(UserName="alice")["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": READ_ONLY,
    }
    iam.delete_user_permissions_boundary(UserName="alice")
    assert "PermissionsBoundary" not in iam.get_user(UserName="alice")["User"]
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=VIEW_ONLY)
    assert iam.get_user(UserName="alice")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == VIEW_ONLY
    with pytest.raises(ClientError) as e:
        iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary="arn:aws:iam::aws:policy/NoSuch")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)


def test_policies_with_the_aws_cli(server):
    server.aws("iam", "create-user", "--user-name", "erin")
    server.aws("iam", "put-user-policy", "--user-name", "erin", "--policy-name", "p",
               "--policy-document", json.dumps(allow("iam:ListUsers")))
    got = server.aws("iam", "get-user-policy", "--user-name", "erin", "--policy-name", "p")
    assert got["PolicyDocument"] == allow("iam:ListUsers")
    server.aws("iam", "attach-user-policy", "--user-name", "erin", "--policy-arn", READ_ONLY)
    attached = server.aws("iam", "list-attached-user-policies", "--user-name", "erin")
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [READ_ONLY]
