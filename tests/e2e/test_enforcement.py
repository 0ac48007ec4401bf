"""Policies really decide: requests signed by users are allowed or denied by their inline
and managed policies, explicit denies, boundaries, conditions and policy variables, and a
change is in force on the very next request."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, Creds, allow, error_of, user_arn

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def denied(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    code, status, message = error_of(e)
    assert (code, status) == ("AccessDenied", 403), message
    return message


def test_user_without_policy_is_denied_with_aws_message(server):
    alice = server.new_user("alice")
    message = denied(server.iam(alice).list_users)
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/alice is not authorized to perform: iam:ListUsers "
        f"on resource: arn:aws:iam::{ACCOUNT_ID}:user/ because no identity-based policy allows "
        "the iam:ListUsers action"
    )
    message = denied(server.iam(alice).create_user, UserName="bob")
    assert message.startswith(
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/alice is not authorized to perform: iam:CreateUser "
        f"on resource: arn:aws:iam::{ACCOUNT_ID}:user/bob"
    )
    # Denied with the CLI too.
    done = server.aws("iam", "list-users", creds=alice, check=False)
    assert done.returncode != 0
    assert "AccessDenied" in done.stderr and "is not authorized to perform: iam:ListUsers" in done.stderr


def test_unknown_user_is_denied_not_revealed(server):
    alice = server.new_user("alice")
    # Without permission, a missing user is not reported as missing.
    message = denied(server.iam(alice).get_user, UserName="nobody")
    assert f"on resource: {user_arn('nobody')}" in message


def test_inline_policy_grants_and_change_applies_on_next_request(server):
    alice = server.new_user("alice")
    as_alice = server.iam(alice)
    denied(as_alice.list_users)
    server.iam().put_user_policy(UserName="alice", PolicyName="list", PolicyDocument=json.dumps(allow("iam:ListUsers")))
    assert [u["UserName"] for u in as_alice.list_users()["Users"]] == ["alice"]
    # Only what is granted.
    denied(as_alice.create_user, UserName="bob")
    server.iam().delete_user_policy(UserName="alice", PolicyName="list")
    denied(as_alice.list_users)


def test_resource_in_policy_limits_the_grant(server):
    alice = server.new_user("alice", policy=allow("iam:GetUser", user_arn("*", "/team/")))
    server.iam().create_user(UserName="inside", Path="/team/")
    server.iam().create_user(UserName="outside")
    assert server.iam(alice).get_user(UserName="inside")["User"]["UserName"] == "inside"
    denied(server.iam(alice).get_user, UserName="outside")


def test_iam_read_only_access_lets_a_user_list_users(server):
    alice = server.new_user("alice", managed=[READ_ONLY])
    as_alice = server.iam(alice)
    assert [u["UserName"] for u in as_alice.list_users()["Users"]] == ["alice"]
    assert as_alice.get_user(UserName="alice")["User"]["UserName"] == "alice"
    message = denied(as_alice.create_user, UserName="bob")
    assert "because no identity-based policy allows the iam:CreateUser action" in message
    server.iam().detach_user_policy(UserName="alice", PolicyArn=READ_ONLY)
    denied(as_alice.list_users)


def test_explicit_deny_beats_allow(server):
    deny_delete = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}],
    }
    alice = server.new_user("alice", policy=deny_delete, managed=[ADMIN])
    as_alice = server.iam(alice)
    as_alice.create_user(UserName="bob")
    message = denied(as_alice.delete_user, UserName="bob")
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/alice is not authorized to perform: iam:DeleteUser "
        f"on resource: {user_arn('bob')} with an explicit deny in an identity-based policy"
    )
    assert "bob" in [u["UserName"] for u in server.iam().list_users()["Users"]]


def test_permissions_boundary_caps_an_administrator(server):
    alice = server.new_user("alice", managed=[ADMIN])
    iam = server.iam()
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=READ_ONLY)
    as_alice = server.iam(alice)
    assert len(as_alice.list_users()["Users"]) == 1
    message = denied(as_alice.create_user, UserName="bob")
    assert message.endswith("because no permissions boundary allows the iam:CreateUser action")
    # The boundary grants nothing by itself: without the admin policy, listing is denied too.
    iam.detach_user_policy(UserName="alice", PolicyArn=ADMIN)
    denied(as_alice.list_users)
    iam.attach_user_policy(UserName="alice", PolicyArn=ADMIN)
    iam.delete_user_permissions_boundary(UserName="alice")
    as_alice.create_user(UserName="bob")


@pytest.mark.parametrize(
    ("cidr", "allowed"),
    [("127.0.0.1/32", True), ("127.0.0.0/8", True), ("10.0.0.0/8", False), ("::1/128", False)],
)
def test_source_ip_condition_decides(server, cidr, allowed):
    policy = allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": cidr}})
    alice = server.new_user("alice", policy=policy)
    if allowed:
        server.iam(alice).list_users()
    else:
        denied(server.iam(alice).list_users)


def test_source_ip_deny_outside_a_network(server):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "iam:CreateUser",
                "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}},
            },
        ],
    }
    alice = server.new_user("alice", policy=policy)
    server.iam(alice).list_users()
    message = denied(server.iam(alice).create_user, UserName="bob")
    assert message.endswith("with an explicit deny in an identity-based policy")


def test_request_tag_condition_decides(server):
    policy = allow(
        ["iam:CreateUser", "iam:TagUser"],
        Condition={"StringEquals": {"aws:RequestTag/team": "blue"}},
    )
    alice = server.new_user("alice", policy=policy)
    as_alice = server.iam(alice)
    as_alice.create_user(UserName="blue1", Tags=[{"Key": "team", "Value": "blue"}])
    denied(as_alice.create_user, UserName="red1", Tags=[{"Key": "team", "Value": "red"}])
    denied(as_alice.create_user, UserName="untagged")
    as_alice.tag_user(UserName="blue1", Tags=[{"Key": "team", "Value": "blue"}])
    denied(as_alice.tag_user, UserName="blue1", Tags=[{"Key": "team", "Value": "red"}])
    names = [u["UserName"] for u in server.iam().list_users()["Users"]]
    assert sorted(names) == ["alice", "blue1"]


def test_tag_keys_condition_decides(server):
    policy = allow(
        ["iam:TagUser", "iam:UntagUser"],
        Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost"]}},
    )
    alice = server.new_user("alice", policy=policy)
    server.iam().create_user(UserName="bob")
    as_alice = server.iam(alice)
    as_alice.tag_user(UserName="bob", Tags=[{"Key": "team", "Value": "x"}, {"Key": "cost", "Value": "1"}])
    denied(as_alice.tag_user, UserName="bob", Tags=[{"Key": "owner", "Value": "x"}])
    as_alice.untag_user(UserName="bob", TagKeys=["cost"])
    denied(as_alice.untag_user, UserName="bob", TagKeys=["team", "owner"])


SELF_SERVICE_KEYS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ManageOwnAccessKeys",
            "Effect": "Allow",
            "Action": [
                "iam:CreateAccessKey",
                "iam:DeleteAccessKey",
                "iam:ListAccessKeys",
                "iam:UpdateAccessKey",
                "iam:GetAccessKeyLastUsed",
            ],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        }
    ],
}


def test_user_manages_own_access_keys_with_username_variable(server):
    alice = server.new_user("alice", policy=SELF_SERVICE_KEYS)
    bob = server.new_user("bob", policy=SELF_SERVICE_KEYS)
    as_alice = server.iam(alice)

    # Her own keys, by name and implicitly (no UserName: the caller).
    assert [k["AccessKeyId"] for k in as_alice.list_access_keys()["AccessKeyMetadata"]] == [alice.key_id]
    second = as_alice.create_access_key()["AccessKey"]
    assert second["UserName"] == "alice"
    as_alice.update_access_key(AccessKeyId=second["AccessKeyId"], Status="Inactive")
    as_alice.get_access_key_last_used(AccessKeyId=alice.key_id)
    as_alice.delete_access_key(UserName="alice", AccessKeyId=second["AccessKeyId"])
    rotated = as_alice.create_access_key(UserName="alice")["AccessKey"]
    # The new key works; then she retires the old one with the new one.
    as_new = server.iam(Creds(rotated["AccessKeyId"], rotated["SecretAccessKey"], "alice"))
    as_new.delete_access_key(AccessKeyId=alice.key_id)
    assert [k["AccessKeyId"] for k in as_new.list_access_keys()["AccessKeyMetadata"]] == [rotated["AccessKeyId"]]

    # Not Bob's.
    message = denied(as_new.list_access_keys, UserName="bob")
    assert message.startswith(
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/alice is not authorized to perform: iam:ListAccessKeys "
        f"on resource: {user_arn('bob')}"
    )
    denied(as_new.create_access_key, UserName="bob")
    denied(as_new.update_access_key, UserName="bob", AccessKeyId=bob.key_id, Status="Inactive")
    denied(as_new.delete_access_key, UserName="bob", AccessKeyId=bob.key_id)
    denied(as_new.get_access_key_last_used, AccessKeyId=bob.key_id)
    # Bob's key is untouched and still works.
    assert server.iam(bob).list_access_keys()["AccessKeyMetadata"][0]["Status"] == "Active"
