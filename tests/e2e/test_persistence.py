"""Restarting the server keeps every entity: on a SQLite data directory and on PostgreSQL."""

import json

from conftest import Creds, allow


def test_restart_keeps_every_entity(durable_server):
    server = durable_server
    iam = server.iam()
    user = iam.create_user(UserName="alice", Path="/keep/", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    iam.put_user_policy(UserName="alice", PolicyName="list", PolicyDocument=json.dumps(allow("iam:ListUsers")))
    iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    active = iam.create_access_key(UserName="alice")["AccessKey"]
    inactive = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.update_access_key(UserName="alice", AccessKeyId=inactive["AccessKeyId"], Status="Inactive")
    alice = Creds(active["AccessKeyId"], active["SecretAccessKey"], "alice")
    server.iam(alice).list_users()
    last_used = iam.get_access_key_last_used(AccessKeyId=alice.key_id)["AccessKeyLastUsed"]
    iam.create_user(UserName="bob")
    iam.delete_user(UserName="bob")

    server.restart()
    iam = server.iam()

    got = iam.get_user(UserName="alice")["User"]
    assert got["UserId"] == user["UserId"]
    assert got["Arn"] == user["Arn"]
    assert got["CreateDate"] == user["CreateDate"]
    assert got["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert got["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["alice"]
    assert iam.get_user_policy(UserName="alice", PolicyName="list")["PolicyDocument"] == allow("iam:ListUsers")
    assert [p["PolicyName"] for p in iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]] == [
        "ViewOnlyAccess"
    ]
    keys = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]}
    assert keys == {active["AccessKeyId"]: "Active", inactive["AccessKeyId"]: "Inactive"}
    assert iam.get_access_key_last_used(AccessKeyId=alice.key_id)["AccessKeyLastUsed"] == last_used

    # The secrets still verify signatures after the restart, and policies still decide.
    assert server.sts(alice).get_caller_identity()["Arn"].endswith(":user/keep/alice")
    assert [u["UserName"] for u in server.iam(alice).list_users()["Users"]] == ["alice"]
    # The root key given on the command line is the same one, not a second root key.
    assert len(iam.list_access_keys()["AccessKeyMetadata"]) == 1
