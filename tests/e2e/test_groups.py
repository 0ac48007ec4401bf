"""Groups: create, get, update, delete, list, membership, group inline and attached policies,
and the permissions a group grants its members."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, allow, error_of

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def group_arn(name, path="/"):
    return f"arn:aws:iam::{ACCOUNT_ID}:group{path}{name}"


def test_group_crud(server):
    iam = server.iam()
    created = iam.create_group(GroupName="devs", Path="/eng/")["Group"]
    assert created["Arn"] == group_arn("devs", "/eng/")
    assert created["GroupId"].startswith("AGPA")
    got = iam.get_group(GroupName="devs")
    assert got["Group"]["GroupId"] == created["GroupId"]
    assert got["Users"] == []
    with pytest.raises(ClientError) as e:
        iam.create_group(GroupName="devs")
    assert error_of(e)[:2] == ("EntityAlreadyExists", 409)
    iam.update_group(GroupName="devs", NewGroupName="developers", NewPath="/people/")
    assert iam.get_group(GroupName="developers")["Group"]["Arn"] == group_arn("developers", "/people/")
    with pytest.raises(ClientError) as e:
        iam.get_group(GroupName="devs")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    iam.delete_group(GroupName="developers")
    assert iam.list_groups()["Groups"] == []


def test_list_groups_path_prefix_and_pagination(server):
    iam = server.iam()
    for i in range(5):
        iam.create_group(GroupName=f"g{i}", Path="/a/" if i % 2 else "/b/")
    assert len(iam.list_groups()["Groups"]) == 5
    assert sorted(g["GroupName"] for g in iam.list_groups(PathPrefix="/a/")["Groups"]) == ["g1", "g3"]
    first = iam.list_groups(MaxItems=2)
    assert len(first["Groups"]) == 2 and first["IsTruncated"] is True
    names = [g["GroupName"] for p in iam.get_paginator("list_groups").paginate(PaginationConfig={"PageSize": 2})
             for g in p["Groups"]]
    assert sorted(names) == [f"g{i}" for i in range(5)]


def test_membership(server):
    iam = server.iam()
    iam.create_group(GroupName="devs")
    iam.create_group(GroupName="ops")
    iam.create_user(UserName="alice")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.add_user_to_group(GroupName="ops", UserName="alice")
    assert [u["UserName"] for u in iam.get_group(GroupName="devs")["Users"]] == ["alice"]
    assert sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]) == ["devs", "ops"]
    # A member blocks deleting the group, and a group blocks deleting the user.
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="devs")
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="alice")
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    iam.remove_user_from_group(GroupName="devs", UserName="alice")
    iam.remove_user_from_group(GroupName="ops", UserName="alice")
    assert iam.list_groups_for_user(UserName="alice")["Groups"] == []
    with pytest.raises(ClientError) as e:
        iam.remove_user_from_group(GroupName="devs", UserName="alice")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam.add_user_to_group(GroupName="nogroup", UserName="alice")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    iam.delete_group(GroupName="devs")
    iam.delete_user(UserName="alice")


def test_group_inline_and_attached_policies(server):
    iam = server.iam()
    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="list", PolicyDocument=json.dumps(allow("iam:ListUsers")))
    got = iam.get_group_policy(GroupName="devs", PolicyName="list")
    assert got["GroupName"] == "devs" and got["PolicyDocument"] == allow("iam:ListUsers")
    assert iam.list_group_policies(GroupName="devs")["PolicyNames"] == ["list"]
    iam.attach_group_policy(GroupName="devs", PolicyArn=READ_ONLY)
    attached = iam.list_attached_group_policies(GroupName="devs")["AttachedPolicies"]
    assert [(p["PolicyName"], p["PolicyArn"]) for p in attached] == [("IAMReadOnlyAccess", READ_ONLY)]
    with pytest.raises(ClientError) as e:
        iam.delete_group(GroupName="devs")
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    with pytest.raises(ClientError) as e:
        iam.put_group_policy(GroupName="devs", PolicyName="bad", PolicyDocument="{")
    assert error_of(e)[:2] == ("MalformedPolicyDocument", 400)
    with pytest.raises(ClientError) as e:
        iam.get_group_policy(GroupName="devs", PolicyName="none")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    iam.delete_group_policy(GroupName="devs", PolicyName="list")
    iam.detach_group_policy(GroupName="devs", PolicyArn=READ_ONLY)
    iam.delete_group(GroupName="devs")


def test_group_policy_grants_its_members(server):
    iam = server.iam()
    alice = server.new_user("alice")
    as_alice = server.iam(alice)
    iam.create_group(GroupName="listers")
    iam.put_group_policy(GroupName="listers", PolicyName="list", PolicyDocument=json.dumps(allow("iam:ListUsers")))
    with pytest.raises(ClientError) as e:
        as_alice.list_users()
    assert error_of(e)[0] == "AccessDenied"
    iam.add_user_to_group(GroupName="listers", UserName="alice")
    as_alice.list_users()
    iam.remove_user_from_group(GroupName="listers", UserName="alice")
    with pytest.raises(ClientError) as e:
        as_alice.list_users()
    assert error_of(e)[0] == "AccessDenied"


def test_group_attached_managed_policy_grants_its_members(server):
    iam = server.iam()
    alice = server.new_user("alice")
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=READ_ONLY)
    iam.add_user_to_group(GroupName="readers", UserName="alice")
    assert [u["UserName"] for u in server.iam(alice).list_users()["Users"]] == ["alice"]
    iam.detach_group_policy(GroupName="readers", PolicyArn=READ_ONLY)
    with pytest.raises(ClientError) as e:
        server.iam(alice).list_users()
    assert error_of(e)[0] == "AccessDenied"


def test_group_deny_beats_user_allow(server):
    iam = server.iam()
    alice = server.new_user("alice", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
    iam.create_group(GroupName="no-list")
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}]}
    iam.put_group_policy(GroupName="no-list", PolicyName="deny", PolicyDocument=json.dumps(deny))
    iam.add_user_to_group(GroupName="no-list", UserName="alice")
    with pytest.raises(ClientError) as e:
        server.iam(alice).list_users()
    code, _, message = error_of(e)
    assert code == "AccessDenied" and message.endswith("with an explicit deny in an identity-based policy")
    server.iam(alice).get_user(UserName="alice")


def test_groups_with_the_aws_cli(server):
    server.aws("iam", "create-group", "--group-name", "cli-group")
    server.aws("iam", "create-user", "--user-name", "frank")
    server.aws("iam", "add-user-to-group", "--group-name", "cli-group", "--user-name", "frank")
    got = server.aws("iam", "get-group", "--group-name", "cli-group")
    assert [u["UserName"] for u in got["Users"]] == ["frank"]
