"""Customer managed policies: create, get, list, versions and their limit, attach and the
grant they make, entities, tags, and AWS managed policies read from the catalogue."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, allow, error_of


def policy_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT_ID}:policy{path}{name}"


LIST = allow("iam:ListUsers")
GET = allow("iam:GetUser")


def test_create_get_delete_policy(server):
    iam = server.iam()
    created = iam.create_policy(PolicyName="list-users", Path="/team/", PolicyDocument=json.dumps(LIST),
                                Description="lists users")["Policy"]
    assert created["Arn"] == policy_arn("list-users", "/team/")
    assert created["DefaultVersionId"] == "v1"
    assert created["AttachmentCount"] == 0
    got = iam.get_policy(PolicyArn=created["Arn"])["Policy"]
    assert got["PolicyId"] == created["PolicyId"]
    # GetPolicy answers an empty tag list, AWS managed policies too (recorded on AWS);
    # CreatePolicy's answer has none.
    assert got["Tags"] == [] and "Tags" not in created
    assert iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]["Tags"] == []
    version = iam.get_policy_version(PolicyArn=created["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == LIST and version["IsDefaultVersion"] is True
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName="list-users", PolicyDocument=json.dumps(LIST))
    assert error_of(e)[:2] == ("EntityAlreadyExists", 409)
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName="bad", PolicyDocument='{"Statement":{"Effect":"Allow"}}')
    assert error_of(e)[:2] == ("MalformedPolicyDocument", 400)
    iam.delete_policy(PolicyArn=created["Arn"])
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=created["Arn"])
    assert error_of(e)[:2] == ("NoSuchEntity", 404)


def test_policy_versions_and_their_limit(server):
    iam = server.iam()
    arn = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(LIST))["Policy"]["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(GET))
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(GET))
    code, status, message = error_of(e)
    assert (code, status) == ("LimitExceeded", 409)
    assert message.startswith("A managed policy can have up to 5 versions.")
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert sorted(v["VersionId"] for v in versions) == ["v1", "v2", "v3", "v4", "v5"]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    with pytest.raises(ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    new = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(LIST), SetAsDefault=True)
    assert new["PolicyVersion"]["IsDefaultVersion"] is True
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == new["PolicyVersion"]["VersionId"]


def test_customer_policy_grants_and_new_default_version_applies(server):
    iam = server.iam()
    arn = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(LIST))["Policy"]["Arn"]
    alice = server.new_user("alice", managed=[arn])
    server.iam(alice).list_users()
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["alice"]
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    # A new default version that no longer grants ListUsers is in force at once.
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(GET), SetAsDefault=True)
    with pytest.raises(ClientError) as e:
        server.iam(alice).list_users()
    assert error_of(e)[0] == "AccessDenied"
    server.iam(alice).get_user(UserName="alice")


def test_list_policies_scope_and_paging(server):
    iam = server.iam()
    for i in range(3):
        iam.create_policy(PolicyName=f"mine{i}", PolicyDocument=json.dumps(LIST))
    local = iam.list_policies(Scope="Local")["Policies"]
    assert sorted(p["PolicyName"] for p in local) == ["mine0", "mine1", "mine2"]
    aws = iam.list_policies(Scope="AWS", MaxItems=50)
    assert len(aws["Policies"]) == 50 and aws["IsTruncated"] is True
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/") for p in aws["Policies"])
    total = sum(len(p["Policies"]) for p in iam.get_paginator("list_policies").paginate(
        Scope="AWS", PaginationConfig={"PageSize": 500}))
    assert total > 1000


def test_aws_managed_policy_can_be_read(server):
    iam = server.iam()
    arn = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["PolicyName"] == "IAMReadOnlyAccess"
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    statements = version["Document"]["Statement"]
    actions = [a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]
    assert "iam:List*" in actions


def test_policy_tags(server):
    iam = server.iam()
    arn = iam.create_policy(PolicyName="p", PolicyDocument=json.dumps(LIST),
                            Tags=[{"Key": "a", "Value": "1"}])["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "b", "Value": "2"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_policy_tags(PolicyArn=arn)["Tags"]}
    assert tags == {"a": "1", "b": "2"}
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_customer_policy_as_boundary(server):
    iam = server.iam()
    boundary = iam.create_policy(PolicyName="only-list", PolicyDocument=json.dumps(LIST))["Policy"]["Arn"]
    alice = server.new_user("alice", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=boundary)
    server.iam(alice).list_users()
    with pytest.raises(ClientError) as e:
        server.iam(alice).get_user(UserName="alice")
    assert error_of(e)[2].endswith("because no permissions boundary allows the iam:GetUser action")


def test_documents_aws_accepts_are_stored_and_grant(server):
    # Shapes AWS stores (ARCHITECTURE.md readings 22 to 27): empty condition blocks and
    # lists, keys without a vendor, less common dates, JSON booleans, a null among the
    # resources, a short ARN and a dotted vendor.
    iam = server.iam()
    odd = {"Version": "2012-10-17", "Statement": [{
        "Sid": "", "Effect": "Allow", "Action": ["iam:ListUsers", "s3.s:ListBucket"],
        "Resource": [None, "arn:aws:fdsasf", "*"],
        "Condition": {
            "x": {}, "DateGreaterThan": {"aws:CurrentTime": "2020T"},
            "DateGreaterThanEquals": {"aws:CurrentTime": "2020-01-01t1:00:00.5+01"},
            "DateLessThan": {"aws:CurrentTime": 99999999999},
            "StringEqualsIfExists": {"foo": "x"}, "Null": {"aws:username": False},
            "Bool": {"token.actions.githubusercontent.com:aud": True},
            "StringNotEquals": {"aws:username": []}}}]}
    arn = iam.create_policy(PolicyName="odd", PolicyDocument=json.dumps(odd))["Policy"]["Arn"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == odd
    # Every condition holds for a user's request (the Bool key is absent: only ...IfExists
    # would make that one hold, so it is dropped for the grant).
    grant = json.loads(json.dumps(odd))
    del grant["Statement"][0]["Condition"]["Bool"]
    alice = server.new_user("alice", policy=grant)
    server.iam(alice).list_users()
    # A positive operator given no values grants nothing.
    grant["Statement"][0]["Condition"]["StringEquals"] = {"aws:username": []}
    iam.put_user_policy(UserName="alice", PolicyName="inline", PolicyDocument=json.dumps(grant))
    with pytest.raises(ClientError) as e:
        server.iam(alice).list_users()
    assert error_of(e)[0] == "AccessDenied"
    # Near them, AWS's refusals and messages.
    for document, message in [
        (allow("s3:ListBucket", "arn:aws::fdsasf"), "The policy failed legacy parsing"),
        (allow("s3:ListBucket", "arn:aws"), "Resource vendor must be fully qualified and cannot contain regexes."),
        (allow("s3:ListBucket", [None]), "Policy statement must contain resources."),
    ]:
        with pytest.raises(ClientError) as e:
            iam.create_policy(PolicyName="refused", PolicyDocument=json.dumps(document))
        assert error_of(e) == ("MalformedPolicyDocument", 400, message)


def test_missing_malformed_and_unattached_policies_in_aws_words(server):
    """DeletePolicy of a missing policy; Attach/Detach and Put*PermissionsBoundary with a
    malformed, missing or unattached ARN: AWS's codes, statuses and messages, boto3 and the CLI."""
    iam = server.iam()
    iam.create_user(UserName="alice")
    iam.create_group(GroupName="devs")
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }))
    missing = policy_arn("missing")
    malformed = "longpolicynamebutnoarn"
    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"

    def failure(call, **kwargs):
        with pytest.raises(ClientError) as e:
            call(**kwargs)
        return error_of(e)

    assert failure(iam.delete_policy, PolicyArn=missing) == ("NoSuchEntity", 404, f"Policy {missing} was not found.")
    for attach, detach, who in [
        (iam.attach_user_policy, iam.detach_user_policy, {"UserName": "alice"}),
        (iam.attach_group_policy, iam.detach_group_policy, {"GroupName": "devs"}),
        (iam.attach_role_policy, iam.detach_role_policy, {"RoleName": "deploy"}),
    ]:
        not_valid = ("ValidationError", 400, f"ARN {malformed} is not valid.")
        assert failure(attach, PolicyArn=malformed, **who) == not_valid
        assert failure(detach, PolicyArn=malformed, **who) == not_valid
        assert failure(attach, PolicyArn=missing, **who) == (
            "NoSuchEntity", 404, f"Policy {missing} does not exist or is not attachable."
        )
        for absent in (missing, read_only):
            assert failure(detach, PolicyArn=absent, **who) == ("NoSuchEntity", 404, f"Policy {absent} was not found.")
    bad_boundary = f"arn:aws:iam::{ACCOUNT_ID}:not_a_policy/invalid"
    assert failure(iam.put_user_permissions_boundary, UserName="alice", PermissionsBoundary=bad_boundary) == (
        "InvalidInput", 400, f"ARN {bad_boundary} is not valid."
    )
    assert failure(iam.put_role_permissions_boundary, RoleName="deploy", PermissionsBoundary=missing) == (
        "NoSuchEntity", 404, f"Scope ARN: {missing} does not exist or is not attachable."
    )
    assert iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"] == []
    assert "PermissionsBoundary" not in iam.get_role(RoleName="deploy")["Role"]

    # The aws CLI shows the same.
    done = server.aws("iam", "delete-policy", "--policy-arn", missing, check=False)
    assert done.returncode != 0
    assert "(NoSuchEntity)" in done.stderr and f"Policy {missing} was not found." in done.stderr
    done = server.aws("iam", "attach-role-policy", "--role-name", "deploy", "--policy-arn", malformed, check=False)
    assert done.returncode != 0
    assert "(ValidationError)" in done.stderr and f"ARN {malformed} is not valid." in done.stderr
    done = server.aws("iam", "detach-user-policy", "--user-name", "alice", "--policy-arn", read_only, check=False)
    assert done.returncode != 0
    assert "(NoSuchEntity)" in done.stderr and f"Policy {read_only} was not found." in done.stderr
    done = server.aws(
        "iam", "put-user-permissions-boundary", "--user-name", "alice", "--permissions-boundary", missing, check=False
    )
    assert done.returncode != 0
    assert f"Scope ARN: {missing} does not exist or is not attachable." in done.stderr


def test_managed_policies_need_version_2012_10_17(server):
    # Recorded on AWS: CreatePolicy refuses a document without Version, or with 2008-10-17,
    # whatever it holds; an inline policy may leave it out.
    iam = server.iam()
    statement = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}
    for document in ({"Statement": statement}, {"Version": "2008-10-17", "Statement": statement}):
        with pytest.raises(ClientError) as e:
            iam.create_policy(PolicyName="old", PolicyDocument=json.dumps(document))
        assert error_of(e) == ("MalformedPolicyDocument", 400, "Policy document must be version 2012-10-17 or greater.")
    iam.create_user(UserName="ivy")
    iam.put_user_policy(UserName="ivy", PolicyName="inline", PolicyDocument=json.dumps({"Statement": statement}))


def test_policy_version_answers_as_recorded_on_aws(server):
    """The version operations' answers and errors as recorded on AWS: newest version first,
    numbers never reused, the missing policy or version named with its version, AWS's
    pattern message for a malformed VersionId; an AWS managed policy has only the default
    version the catalogue ships (reading 41)."""
    iam = server.iam()
    arn = iam.create_policy(PolicyName="versions", PolicyDocument=json.dumps(LIST))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(GET), SetAsDefault=True)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(GET), SetAsDefault=True)
    listed = iam.list_policy_versions(PolicyArn=arn)
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed["Versions"]] == [
        ("v3", True), ("v2", False), ("v1", False)
    ]
    assert listed["IsTruncated"] is False and "Document" not in listed["Versions"][0]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    # Numbers are never reused: after v3 is deleted the next is v4 (AWS: v6 after deleting v5).
    created = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(GET))["PolicyVersion"]
    assert created["VersionId"] == "v4" and created["IsDefaultVersion"] is False
    assert sorted(created) == ["CreateDate", "IsDefaultVersion", "VersionId"]

    missing = policy_arn("TestNonExistingPolicy")

    def failure(call, **kwargs):
        with pytest.raises(ClientError) as e:
            call(**kwargs)
        return error_of(e)

    def no_version(policy, version):
        return ("NoSuchEntity", 404, f"Policy {policy} version {version} does not exist or is not attachable.")

    assert failure(iam.get_policy_version, PolicyArn=missing, VersionId="v1") == no_version(missing, "v1")
    assert failure(iam.get_policy_version, PolicyArn=arn, VersionId="v9") == no_version(arn, "v9")
    assert failure(iam.delete_policy_version, PolicyArn=arn, VersionId="v1") == (
        "DeleteConflict", 409, "Cannot delete the default version of a policy."
    )
    assert failure(iam.delete_policy_version, PolicyArn=arn, VersionId="v9") == no_version(arn, "v9")
    assert failure(iam.set_default_policy_version, PolicyArn=missing, VersionId="v1") == no_version(missing, "v1")
    assert failure(iam.set_default_policy_version, PolicyArn=arn, VersionId="v3") == no_version(arn, "v3")
    # AWS's constraint text (recorded); AWS now leaves the value out ("Value at 'versionId'"),
    # the wire crate still quotes it, as AWS long did.
    code, status, message = failure(iam.set_default_policy_version, PolicyArn=arn, VersionId="wrong_version_id")
    assert (code, status) == ("ValidationError", 400)
    assert message.endswith(
        "at 'versionId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?"
    )

    # An AWS managed policy: its default version is served; older ones, which AWS keeps but
    # the shipped catalogue does not, are not found in AWS's words.
    aws = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    default = iam.get_policy(PolicyArn=aws)["Policy"]["DefaultVersionId"]
    assert default != "v1"
    assert iam.get_policy_version(PolicyArn=aws, VersionId=default)["PolicyVersion"]["IsDefaultVersion"] is True
    assert failure(iam.get_policy_version, PolicyArn=aws, VersionId="v1") == no_version(aws, "v1")
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=aws)["Versions"]] == [default]


def test_effect_in_another_letter_case_fails_legacy_parsing(server):
    """Recorded on AWS: `denY`, `allow`, `aLLow` are legacy-parsing failures, another word a
    syntax error; a missing Version of a managed policy is reported first (reading 40)."""
    iam = server.iam()
    iam.create_user(UserName="casey")

    def statement(effect):
        return {"Effect": effect, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}

    def refused(call, **kwargs):
        with pytest.raises(ClientError) as e:
            call(**kwargs)
        return error_of(e)

    legacy = ("MalformedPolicyDocument", 400, "The policy failed legacy parsing")
    for effect in ("denY", "allow", "DENY"):
        document = json.dumps({"Version": "2012-10-17", "Statement": statement(effect)})
        assert refused(iam.create_policy, PolicyName="p", PolicyDocument=document) == legacy
        assert refused(iam.put_user_policy, UserName="casey", PolicyName="p", PolicyDocument=document) == legacy
    document = json.dumps({"Version": "2012-10-17", "Statement": statement("invalid")})
    assert refused(iam.create_policy, PolicyName="p", PolicyDocument=document) == (
        "MalformedPolicyDocument", 400, "Syntax errors in policy."
    )
    document = json.dumps({"Statement": statement("denY")})
    assert refused(iam.create_policy, PolicyName="p", PolicyDocument=document) == (
        "MalformedPolicyDocument", 400, "Policy document must be version 2012-10-17 or greater."
    )
    trust = {"Version": "2012-10-17", "Statement": {
        "Effect": "allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole",
    }}
    assert refused(iam.create_role, RoleName="r", AssumeRolePolicyDocument=json.dumps(trust)) == legacy
    assert iam.list_policies(Scope="Local")["Policies"] == []
    assert iam.list_user_policies(UserName="casey")["PolicyNames"] == []


def test_policy_tag_keys_are_kept_apart_by_case(server):
    """Recorded on AWS: a policy's `a` and `A` are two tags, answered by CreatePolicy in the
    order given and listed `A` first; untagging `a` leaves `A`; a repeated key is "Duplicate
    tag keys found."; a user's keys still compare case-insensitively (reading 42)."""
    iam = server.iam()
    tags = [{"Key": "a", "Value": "lowercase"}, {"Key": "A", "Value": "uppercase"}]
    created = iam.create_policy(PolicyName="cased", PolicyDocument=json.dumps(LIST), Tags=tags)["Policy"]
    assert created["Tags"] == tags
    arn = created["Arn"]
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [tags[1], tags[0]]
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [tags[1]]
    with pytest.raises(ClientError) as e:
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "0", "Value": ""}, {"Key": "0", "Value": ""}])
    assert error_of(e) == ("InvalidInput", 400, "Duplicate tag keys found.")
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="cased", Tags=tags)
    assert error_of(e) == (
        "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive."
    )
