"""IAM roles end to end: create, read, update, list and delete roles; trust policy
validation; MaxSessionDuration bounds; role inline and attached policies, boundaries and tags;
DeleteConflict; instance profiles (one role each, iam:PassRole); service-linked roles and
UnmodifiableEntity; RoleLastUsed after AssumeRole. boto3 and the aws CLI, on both backends."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, allow, error_of, user_arn

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
VIEW_ONLY = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
SERVICE_PATH = "/aws-service-role/elasticbeanstalk.amazonaws.com/"


def role_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role{path}{name}"


def trust_of(principal: dict, action="sts:AssumeRole") -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action}]}


def create_role(iam, name: str, document: dict = EC2_TRUST, **kwargs) -> dict:
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document), **kwargs)["Role"]


def failure(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return error_of(e)


# Create, read, update, list, delete.


def test_role_lifecycle(server):
    iam = server.iam()
    created = create_role(
        iam,
        "web",
        Path="/apps/",
        Description="web servers",
        MaxSessionDuration=7_200,
        Tags=[{"Key": "team", "Value": "blue"}],
    )
    assert created["RoleName"] == "web"
    assert created["Path"] == "/apps/"
    assert created["Arn"] == role_arn("web", "/apps/")
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", created["RoleId"]), created["RoleId"]
    assert created["AssumeRolePolicyDocument"] == EC2_TRUST
    assert created["Description"] == "web servers"
    # AWS's CreateRole response omits MaxSessionDuration (issue 11); GetRole shows it.
    assert "MaxSessionDuration" not in created
    assert created["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert abs(created["CreateDate"] - datetime.now(timezone.utc)) < timedelta(minutes=1)

    got = iam.get_role(RoleName="web")["Role"]
    for key in ("RoleName", "RoleId", "Arn", "Path", "CreateDate", "Description", "Tags"):
        assert got[key] == created[key], key
    assert got["MaxSessionDuration"] == 7_200
    assert got["AssumeRolePolicyDocument"] == EC2_TRUST
    # Never used yet: RoleLastUsed is there, empty.
    assert got["RoleLastUsed"] == {}

    # Same name in any case is taken.
    code, status, message = failure(iam.create_role, RoleName="WEB", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
    assert (code, status, message) == ("EntityAlreadyExists", 409, "Role with name WEB already exists.")

    iam.update_role(RoleName="web", Description="front end", MaxSessionDuration=43_200)
    got = iam.get_role(RoleName="web")["Role"]
    assert (got["Description"], got["MaxSessionDuration"]) == ("front end", 43_200)
    described = iam.update_role_description(RoleName="web", Description="edge")["Role"]
    assert (described["RoleName"], described["Description"]) == ("web", "edge")
    # AWS answers the described role without MaxSessionDuration or RoleLastUsed (recorded).
    assert "MaxSessionDuration" not in described and "RoleLastUsed" not in described
    new_trust = trust_of({"Service": "lambda.amazonaws.com"})
    iam.update_assume_role_policy(RoleName="web", PolicyDocument=json.dumps(new_trust))
    assert iam.get_role(RoleName="web")["Role"]["AssumeRolePolicyDocument"] == new_trust

    iam.delete_role(RoleName="web")
    code, status, message = failure(iam.get_role, RoleName="web")
    assert (code, status, message) == ("NoSuchEntity", 404, "The role with name web cannot be found.")
    assert failure(iam.delete_role, RoleName="web")[:2] == ("NoSuchEntity", 404)
    assert failure(iam.update_role, RoleName="web", Description="x")[:2] == ("NoSuchEntity", 404)


def test_list_roles_pages_and_filters_by_path(server):
    iam = server.iam()
    for name, path in [("a-role", "/"), ("b-role", "/ops/"), ("c-role", "/ops/db/"), ("d-role", "/dev/")]:
        create_role(iam, name, Path=path)
    listed = iam.list_roles()
    assert [r["RoleName"] for r in listed["Roles"]] == ["a-role", "b-role", "c-role", "d-role"]
    assert listed["IsTruncated"] is False
    # Lists carry no RoleLastUsed and no tags, as in AWS.
    assert all("RoleLastUsed" not in r for r in listed["Roles"])

    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/ops/")["Roles"]] == ["b-role", "c-role"]

    names, marker = [], None
    while True:
        page = iam.list_roles(MaxItems=3, **({"Marker": marker} if marker else {}))
        names += [r["RoleName"] for r in page["Roles"]]
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert names == ["a-role", "b-role", "c-role", "d-role"]
    # boto3's paginator follows the markers too.
    paginated = iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 1})
    assert [r["RoleName"] for page in paginated for r in page["Roles"]] == names


def test_roles_with_the_aws_cli(server, tmp_path):
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(EC2_TRUST))
    created = server.aws(
        "iam", "create-role", "--role-name", "cli-role", "--path", "/cli/",
        "--assume-role-policy-document", f"file://{trust}",
    )["Role"]
    assert created["Arn"] == role_arn("cli-role", "/cli/")
    assert created["AssumeRolePolicyDocument"] == EC2_TRUST
    server.aws("iam", "put-role-policy", "--role-name", "cli-role", "--policy-name", "list",
               "--policy-document", json.dumps(allow("iam:ListUsers")))
    server.aws("iam", "attach-role-policy", "--role-name", "cli-role", "--policy-arn", READ_ONLY)
    assert server.aws("iam", "list-role-policies", "--role-name", "cli-role")["PolicyNames"] == ["list"]
    attached = server.aws("iam", "list-attached-role-policies", "--role-name", "cli-role")["AttachedPolicies"]
    assert attached == [{"PolicyName": "IAMReadOnlyAccess", "PolicyArn": READ_ONLY}]
    assert [r["RoleName"] for r in server.aws("iam", "list-roles")["Roles"]] == ["cli-role"]

    done = server.aws("iam", "delete-role", "--role-name", "cli-role", check=False)
    assert done.returncode != 0
    assert "DeleteConflict" in done.stderr

    server.aws("iam", "delete-role-policy", "--role-name", "cli-role", "--policy-name", "list")
    server.aws("iam", "detach-role-policy", "--role-name", "cli-role", "--policy-arn", READ_ONLY)
    server.aws("iam", "delete-role", "--role-name", "cli-role")
    done = server.aws("iam", "get-role", "--role-name", "cli-role", check=False)
    assert done.returncode != 0
    assert "NoSuchEntity" in done.stderr and "The role with name cli-role cannot be found." in done.stderr


# Trust policies and session duration bounds.


def test_trust_policy_validation(server):
    iam = server.iam()
    iam.create_user(UserName="alice", Path="/staff/")
    iam.create_role(RoleName="peer", AssumeRolePolicyDocument=json.dumps(EC2_TRUST))

    def refused(document) -> tuple[str, int, str]:
        text = document if isinstance(document, str) else json.dumps(document)
        return failure(iam.create_role, RoleName="candidate", AssumeRolePolicyDocument=text)

    ghost = user_arn("ghost")
    assert refused(trust_of({"AWS": ghost})) == (
        "MalformedPolicyDocument", 400, f'Invalid principal in policy: "AWS":"{ghost}"',
    )
    # The user exists, but under another path: the ARN names nobody.
    assert refused(trust_of({"AWS": user_arn("alice")})) == (
        "MalformedPolicyDocument", 400, f'Invalid principal in policy: "AWS":"{user_arn("alice")}"',
    )
    assert refused(trust_of({"AWS": "not-an-arn"}))[2] == 'Invalid principal in policy: "AWS":"not-an-arn"'
    assert refused("{not json") == ("MalformedPolicyDocument", 400, "This policy contains invalid Json")
    no_principal = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    assert refused(no_principal)[:2] == ("MalformedPolicyDocument", 400)
    with_resource = trust_of({"AWS": "*"})
    with_resource["Statement"][0]["Resource"] = "*"
    assert refused(with_resource) == ("MalformedPolicyDocument", 400, "Has prohibited field Resource")
    assert refused(trust_of({"AWS": "*"}, action="iam:ListUsers"))[:2] == ("MalformedPolicyDocument", 400)
    # Nothing was created by the refusals.
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["peer"]

    # Existing principals, whole accounts, services and sts:TagSession are fine.
    accepted = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {
                    "AWS": [
                        user_arn("alice", "/staff/"),
                        role_arn("peer"),
                        f"arn:aws:iam::{ACCOUNT_ID}:root",
                        "210987654321",
                    ]
                },
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            },
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
        ],
    }
    create_role(iam, "candidate", accepted)

    # UpdateAssumeRolePolicy validates the same way and keeps the old document on refusal.
    code, _, message = failure(
        iam.update_assume_role_policy, RoleName="candidate", PolicyDocument=json.dumps(trust_of({"AWS": ghost}))
    )
    assert (code, message) == ("MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{ghost}"')
    assert iam.get_role(RoleName="candidate")["Role"]["AssumeRolePolicyDocument"] == accepted


def test_max_session_duration_bounds(server):
    # Without botocore's own checks (it refuses a MaxSessionDuration below 3600 itself).
    iam = server.client("iam", checked=False)
    for value, bound in [(3_599, "greater than or equal to 3600"), (43_201, "less than or equal to 43200")]:
        code, status, message = failure(
            iam.create_role,
            RoleName="bounded",
            AssumeRolePolicyDocument=json.dumps(EC2_TRUST),
            MaxSessionDuration=value,
        )
        assert (code, status) == ("ValidationError", 400)
        assert message == (
            f"1 validation error detected: Value at 'maxSessionDuration' failed to satisfy "
            f"constraint: Member must have value {bound}"
        )
    assert iam.list_roles()["Roles"] == []

    # The bounds themselves are accepted; the default is one hour.
    for name, given, kept in [("default", None, 3_600), ("shortest", 3_600, 3_600), ("longest", 43_200, 43_200)]:
        create_role(iam, name, **({} if given is None else {"MaxSessionDuration": given}))
        assert iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == kept
    code, status, _ = failure(iam.update_role, RoleName="default", MaxSessionDuration=43_201)
    assert (code, status) == ("ValidationError", 400)
    assert iam.get_role(RoleName="default")["Role"]["MaxSessionDuration"] == 3_600


# Role policies, boundaries, tags, DeleteConflict.


def test_role_inline_and_attached_policies(server):
    iam = server.iam()
    create_role(iam, "worker")
    policy = allow("iam:ListUsers")
    iam.put_role_policy(RoleName="worker", PolicyName="list", PolicyDocument=json.dumps(policy))
    iam.put_role_policy(RoleName="worker", PolicyName="get", PolicyDocument=json.dumps(allow("iam:GetUser")))
    got = iam.get_role_policy(RoleName="worker", PolicyName="list")
    assert (got["RoleName"], got["PolicyName"], got["PolicyDocument"]) == ("worker", "list", policy)
    assert iam.list_role_policies(RoleName="worker")["PolicyNames"] == ["get", "list"]
    page = iam.list_role_policies(RoleName="worker", MaxItems=1)
    assert (page["PolicyNames"], page["IsTruncated"]) == (["get"], True)
    assert iam.list_role_policies(RoleName="worker", Marker=page["Marker"])["PolicyNames"] == ["list"]

    code, status, message = failure(iam.get_role_policy, RoleName="worker", PolicyName="nope")
    assert (code, status, message) == ("NoSuchEntity", 404, "The role policy with name nope cannot be found.")
    code, status, _ = failure(
        iam.put_role_policy, RoleName="worker", PolicyName="bad", PolicyDocument='{"Version":"2012-10-17"}'
    )
    assert (code, status) == ("MalformedPolicyDocument", 400)
    assert failure(iam.put_role_policy, RoleName="ghost", PolicyName="p", PolicyDocument=json.dumps(policy))[:2] == (
        "NoSuchEntity",
        404,
    )

    iam.attach_role_policy(RoleName="worker", PolicyArn=READ_ONLY)
    iam.attach_role_policy(RoleName="worker", PolicyArn=VIEW_ONLY)
    customer = iam.create_policy(PolicyName="mine", PolicyDocument=json.dumps(allow("iam:GetRole")))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="worker", PolicyArn=customer)
    attached = iam.list_attached_role_policies(RoleName="worker")["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in attached) == sorted([READ_ONLY, VIEW_ONLY, customer])
    assert [r["RoleName"] for r in iam.list_entities_for_policy(PolicyArn=customer)["PolicyRoles"]] == ["worker"]
    assert iam.get_policy(PolicyArn=customer)["Policy"]["AttachmentCount"] == 1
    code, _, message = failure(
        iam.attach_role_policy, RoleName="worker", PolicyArn="arn:aws:iam::aws:policy/NoSuchThing"
    )
    assert code == "NoSuchEntity", message

    # DeleteConflict until every inline policy is deleted and every managed one detached.
    code, status, message = failure(iam.delete_role, RoleName="worker")
    assert (code, status, message) == ("DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
    iam.delete_role_policy(RoleName="worker", PolicyName="list")
    iam.delete_role_policy(RoleName="worker", PolicyName="get")
    assert iam.list_role_policies(RoleName="worker")["PolicyNames"] == []
    assert failure(iam.delete_role_policy, RoleName="worker", PolicyName="get")[:2] == ("NoSuchEntity", 404)
    code, status, message = failure(iam.delete_role, RoleName="worker")
    assert (code, status, message) == ("DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
    # A customer managed policy still attached cannot be deleted either.
    assert failure(iam.delete_policy, PolicyArn=customer)[:2] == ("DeleteConflict", 409)
    for arn in (READ_ONLY, VIEW_ONLY, customer):
        iam.detach_role_policy(RoleName="worker", PolicyArn=arn)
    assert failure(iam.detach_role_policy, RoleName="worker", PolicyArn=READ_ONLY)[:2] == ("NoSuchEntity", 404)
    iam.delete_role(RoleName="worker")
    iam.delete_policy(PolicyArn=customer)


def test_role_permissions_boundary_and_tags(server):
    iam = server.iam()
    created = create_role(iam, "bounded", PermissionsBoundary=READ_ONLY)
    assert created["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": READ_ONLY,
    }
    iam.put_role_permissions_boundary(RoleName="bounded", PermissionsBoundary=VIEW_ONLY)
    assert iam.get_role(RoleName="bounded")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == VIEW_ONLY
    iam.delete_role_permissions_boundary(RoleName="bounded")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="bounded")["Role"]
    code, _, _ = failure(
        iam.put_role_permissions_boundary, RoleName="bounded", PermissionsBoundary="arn:aws:iam::aws:policy/NoSuchThing"
    )
    assert code == "NoSuchEntity"
    # A boundary is not an attachment: the role can be deleted with one in place.
    iam.put_role_permissions_boundary(RoleName="bounded", PermissionsBoundary=READ_ONLY)

    iam.tag_role(RoleName="bounded", Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "blue"}])
    assert iam.list_role_tags(RoleName="bounded")["Tags"] == [
        {"Key": "env", "Value": "prod"},
        {"Key": "team", "Value": "blue"},
    ]
    iam.tag_role(RoleName="bounded", Tags=[{"Key": "team", "Value": "red"}])
    iam.untag_role(RoleName="bounded", TagKeys=["env"])
    assert iam.get_role(RoleName="bounded")["Role"]["Tags"] == [{"Key": "team", "Value": "red"}]
    code, status, message = failure(
        iam.tag_role, RoleName="bounded", Tags=[{"Key": "env", "Value": "a"}, {"Key": "ENV", "Value": "b"}]
    )
    assert (code, status, message) == (
        "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
    iam.delete_role(RoleName="bounded")


def test_role_operations_are_authorized(server):
    iam = server.iam()
    create_role(iam, "target", Path="/svc/")
    alice = server.new_user("alice", policy=allow(["iam:GetRole", "iam:ListRoles"], role_arn("*", "/svc/")))
    as_alice = server.iam(alice)
    assert as_alice.get_role(RoleName="target")["Role"]["Arn"] == role_arn("target", "/svc/")

    code, status, message = failure(
        as_alice.create_role, RoleName="mine", AssumeRolePolicyDocument=json.dumps(EC2_TRUST)
    )
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: {user_arn('alice')} is not authorized to perform: iam:CreateRole on resource: "
        f"{role_arn('mine')} because no identity-based policy allows the iam:CreateRole action"
    )
    code, _, message = failure(as_alice.delete_role, RoleName="target")
    assert code == "AccessDenied"
    assert f"iam:DeleteRole on resource: {role_arn('target', '/svc/')}" in message
    # Without permission on the name, a missing role is not revealed.
    code, _, message = failure(as_alice.put_role_policy, RoleName="ghost", PolicyName="p",
                               PolicyDocument=json.dumps(allow("*")))
    assert code == "AccessDenied"
    assert f"on resource: {role_arn('ghost')}" in message


# Instance profiles.


def test_instance_profiles_hold_one_role(server):
    iam = server.iam()
    create_role(iam, "web")
    create_role(iam, "batch")
    profile = iam.create_instance_profile(
        InstanceProfileName="web-profile", Path="/apps/", Tags=[{"Key": "team", "Value": "blue"}]
    )["InstanceProfile"]
    assert profile["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/apps/web-profile"
    assert re.fullmatch(r"AIPA[A-Z2-7]{17}", profile["InstanceProfileId"]), profile["InstanceProfileId"]
    assert profile["Roles"] == []
    code, status, message = failure(iam.create_instance_profile, InstanceProfileName="web-profile")
    assert (code, status, message) == ("EntityAlreadyExists", 409, "Instance Profile web-profile already exists.")

    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    got = iam.get_instance_profile(InstanceProfileName="web-profile")["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == ["web"]
    assert got["Roles"][0]["Arn"] == role_arn("web")
    assert got["Tags"] == [{"Key": "team", "Value": "blue"}]

    # One role per instance profile.
    code, status, message = failure(
        iam.add_role_to_instance_profile, InstanceProfileName="web-profile", RoleName="batch"
    )
    assert (code, status, message) == (
        "LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    )
    assert failure(iam.add_role_to_instance_profile, InstanceProfileName="web-profile", RoleName="web")[0] == (
        "LimitExceeded"
    )
    assert failure(iam.add_role_to_instance_profile, InstanceProfileName="web-profile", RoleName="ghost")[:2] == (
        "NoSuchEntity",
        404,
    )

    # A role may be in several profiles.
    iam.create_instance_profile(InstanceProfileName="spare")
    iam.add_role_to_instance_profile(InstanceProfileName="spare", RoleName="web")
    for_role = iam.list_instance_profiles_for_role(RoleName="web")["InstanceProfiles"]
    assert sorted(p["InstanceProfileName"] for p in for_role) == ["spare", "web-profile"]
    assert iam.list_instance_profiles_for_role(RoleName="batch")["InstanceProfiles"] == []
    listed = iam.list_instance_profiles(PathPrefix="/apps/")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == ["web-profile"]

    # Neither the role nor the profile can go while they are linked.
    code, status, message = failure(iam.delete_role, RoleName="web")
    assert (code, status, message) == (
        "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.",
    )
    code, status, message = failure(iam.delete_instance_profile, InstanceProfileName="web-profile")
    assert (code, status, message) == (
        "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.",
    )

    iam.remove_role_from_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    assert failure(iam.remove_role_from_instance_profile, InstanceProfileName="web-profile", RoleName="web")[:2] == (
        "NoSuchEntity",
        404,
    )
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="batch")
    iam.remove_role_from_instance_profile(InstanceProfileName="web-profile", RoleName="batch")
    iam.remove_role_from_instance_profile(InstanceProfileName="spare", RoleName="web")
    iam.delete_role(RoleName="web")

    iam.tag_instance_profile(InstanceProfileName="web-profile", Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_instance_profile(InstanceProfileName="web-profile", TagKeys=["team"])
    tags = iam.list_instance_profile_tags(InstanceProfileName="web-profile")["Tags"]
    assert tags == [{"Key": "env", "Value": "prod"}]

    iam.delete_instance_profile(InstanceProfileName="web-profile")
    code, status, message = failure(iam.get_instance_profile, InstanceProfileName="web-profile")
    assert (code, status, message) == ("NoSuchEntity", 404, "Instance Profile web-profile cannot be found.")
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]] == ["spare"]


def test_adding_a_role_to_an_instance_profile_needs_pass_role(server):
    iam = server.iam()
    create_role(iam, "web")
    iam.create_instance_profile(InstanceProfileName="web-profile")
    profile_actions = ["iam:AddRoleToInstanceProfile", "iam:GetInstanceProfile"]
    alice = server.new_user("alice", policy=allow(profile_actions))
    code, status, message = failure(
        server.iam(alice).add_role_to_instance_profile, InstanceProfileName="web-profile", RoleName="web"
    )
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: {user_arn('alice')} is not authorized to perform: iam:PassRole on resource: {role_arn('web')} "
        "because no identity-based policy allows the iam:PassRole action"
    )
    # PassRole limited to EC2 by iam:PassedToService is enough.
    pass_to_ec2 = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": profile_actions, "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": role_arn("web"),
                "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            },
        ],
    }
    iam.put_user_policy(UserName="alice", PolicyName="inline", PolicyDocument=json.dumps(pass_to_ec2))
    server.iam(alice).add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    roles = iam.get_instance_profile(InstanceProfileName="web-profile")["InstanceProfile"]["Roles"]
    assert [r["RoleName"] for r in roles] == ["web"]


# Service-linked roles.


def test_service_linked_role_lifecycle(server):
    iam = server.iam()
    role = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com", Description="for EB")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForElasticBeanstalk"
    assert role["Path"] == SERVICE_PATH
    assert role["Arn"] == role_arn("AWSServiceRoleForElasticBeanstalk", SERVICE_PATH)
    # The trust policy as AWS's CreateServiceLinkedRole answers it, and no MaxSessionDuration.
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Action": ["sts:AssumeRole"],
                "Effect": "Allow",
                "Principal": {"Service": ["elasticbeanstalk.amazonaws.com"]},
            }
        ],
    }
    assert "MaxSessionDuration" not in role
    assert iam.get_role(RoleName="AWSServiceRoleForElasticBeanstalk")["Role"]["Description"] == "for EB"
    # The service's own policy comes attached.
    own = "arn:aws:iam::aws:policy/aws-service-role/AWSElasticBeanstalkServiceRolePolicy"
    attached = iam.list_attached_role_policies(RoleName="AWSServiceRoleForElasticBeanstalk")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSElasticBeanstalkServiceRolePolicy", "PolicyArn": own}]

    code, status, message = failure(iam.create_service_linked_role, AWSServiceName="elasticbeanstalk.amazonaws.com")
    assert (code, status) == ("InvalidInput", 400)
    assert message == (
        "Service role name AWSServiceRoleForElasticBeanstalk has been taken in this account, "
        "please try a different suffix."
    )
    # Elastic Beanstalk takes no suffix; Auto Scaling does.
    assert failure(
        iam.create_service_linked_role, AWSServiceName="elasticbeanstalk.amazonaws.com", CustomSuffix="blue"
    ) == ("InvalidInput", 400, "Custom suffix is not allowed for elasticbeanstalk.amazonaws.com")
    suffixed = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="blue")
    assert suffixed["Role"]["RoleName"] == "AWSServiceRoleForAutoScaling_blue"
    assert suffixed["Role"]["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert failure(iam.create_service_linked_role, AWSServiceName="example.com")[:2] == ("InvalidInput", 400)
    # The path is reserved: CreateRole cannot fake a service-linked role.
    code, status, _ = failure(
        iam.create_role, RoleName="fake", Path=SERVICE_PATH, AssumeRolePolicyDocument=json.dumps(EC2_TRUST)
    )
    assert (code, status) == ("InvalidInput", 400)

    # Customers may not change what a service-linked role can do, nor delete it directly.
    name = "AWSServiceRoleForElasticBeanstalk"
    unmodifiable = (
        "UnmodifiableEntity",
        400,
        f"Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS",
    )
    assert failure(iam.delete_role, RoleName=name) == unmodifiable
    everything = json.dumps(allow("*"))
    assert failure(iam.put_role_policy, RoleName=name, PolicyName="p", PolicyDocument=everything) == unmodifiable
    assert failure(iam.attach_role_policy, RoleName=name, PolicyArn=READ_ONLY) == unmodifiable
    assert failure(iam.detach_role_policy, RoleName=name, PolicyArn=own) == unmodifiable
    assert failure(iam.update_assume_role_policy, RoleName=name, PolicyDocument=json.dumps(EC2_TRUST)) == unmodifiable
    # Reading is fine.
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == []

    task = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert re.fullmatch(
        rf"task{SERVICE_PATH}{name}/[0-9a-f]{{8}}-[0-9a-f]{{4}}-4[0-9a-f]{{3}}-[89ab][0-9a-f]{{3}}-[0-9a-f]{{12}}", task
    ), task
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    assert failure(iam.get_role, RoleName=name)[:2] == ("NoSuchEntity", 404)
    assert failure(iam.get_service_linked_role_deletion_status, DeletionTaskId="task/nonsense")[:2] == (
        "NoSuchEntity",
        404,
    )
    # DeleteServiceLinkedRole is only for service-linked roles.
    create_role(iam, "plain")
    assert failure(iam.delete_service_linked_role, RoleName="plain")[:2] == ("InvalidInput", 400)
    remaining = sorted(r["RoleName"] for r in iam.list_roles()["Roles"])
    assert remaining == ["AWSServiceRoleForAutoScaling_blue", "plain"]
    # Deleting the role took its attachment with it.
    assert iam.list_entities_for_policy(PolicyArn=own)["PolicyRoles"] == []


def test_service_linked_roles_with_the_cli(server):
    """A few rows of the table through the aws CLI: name, path, policies, suffix rules."""
    for service, name, policy, suffix_allowed in [
        ("ecs.amazonaws.com", "AWSServiceRoleForECS", "AmazonECSServiceRolePolicy", False),
        ("lexv2.amazonaws.com", "AWSServiceRoleForLexV2Bots", "AmazonLexV2BotPolicy", True),
        ("rds.amazonaws.com", "AWSServiceRoleForRDS", "AmazonRDSServiceRolePolicy", False),
    ]:
        role = server.aws("iam", "create-service-linked-role", "--aws-service-name", service)["Role"]
        path = f"/aws-service-role/{service}/"
        assert (role["RoleName"], role["Path"], role["Arn"]) == (name, path, role_arn(name, path))
        attached = server.aws("iam", "list-attached-role-policies", "--role-name", name)["AttachedPolicies"]
        assert attached == [
            {"PolicyName": policy, "PolicyArn": f"arn:aws:iam::aws:policy/aws-service-role/{policy}"}
        ]
        done = server.aws(
            "iam", "create-service-linked-role", "--aws-service-name", service, "--custom-suffix", "dev", check=False
        )
        if suffix_allowed:
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["Role"]["RoleName"] == f"{name}_dev"
        else:
            assert done.returncode != 0
            assert "InvalidInput" in done.stderr and f"Custom suffix is not allowed for {service}" in done.stderr
        done = server.aws("iam", "create-service-linked-role", "--aws-service-name", service, check=False)
        assert done.returncode != 0
        assert f"Service role name {name} has been taken in this account" in done.stderr


# RoleLastUsed.


def test_role_last_used_is_recorded_after_assume_role(server):
    iam = server.iam()
    app = server.new_user("app", policy=allow("sts:AssumeRole", role_arn("used")))
    create_role(iam, "used", trust_of({"AWS": user_arn("app")}))
    assert iam.get_role(RoleName="used")["Role"]["RoleLastUsed"] == {}

    server.client("sts", app, region="eu-west-1").assume_role(RoleArn=role_arn("used"), RoleSessionName="first")
    last_used = iam.get_role(RoleName="used")["Role"]["RoleLastUsed"]
    assert last_used["Region"] == "eu-west-1"
    assert abs(last_used["LastUsedDate"] - datetime.now(timezone.utc)) < timedelta(minutes=1)

    # A refused attempt is not a use.
    stranger = server.new_user("stranger")
    code, _, _ = failure(server.sts(stranger).assume_role, RoleArn=role_arn("used"), RoleSessionName="no")
    assert code == "AccessDenied"
    assert iam.get_role(RoleName="used")["Role"]["RoleLastUsed"]["Region"] == "eu-west-1"

    server.sts(app).assume_role(RoleArn=role_arn("used"), RoleSessionName="second")
    assert iam.get_role(RoleName="used")["Role"]["RoleLastUsed"]["Region"] == REGION
