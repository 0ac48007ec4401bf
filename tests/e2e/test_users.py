"""Users: create, get, update, delete, list (path prefix, pagination), tags, and their errors,
through boto3 and the aws CLI."""

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, error_of, user_arn


def test_create_get_user(server):
    iam = server.iam()
    created = iam.create_user(UserName="alice", Path="/engineering/")["User"]
    assert created["UserName"] == "alice"
    assert created["Path"] == "/engineering/"
    assert created["Arn"] == user_arn("alice", "/engineering/")
    assert created["UserId"].startswith("AIDA") and len(created["UserId"]) == 21
    got = iam.get_user(UserName="alice")["User"]
    assert got["UserId"] == created["UserId"]
    assert got["Arn"] == created["Arn"]
    assert got["CreateDate"] == created["CreateDate"]


def test_get_user_without_name_is_the_caller(server):
    root = server.iam().get_user()["User"]
    assert root["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    bob = server.new_user("bob", policy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": user_arn("bob")}]})
    assert server.iam(bob).get_user()["User"]["UserName"] == "bob"


def test_create_duplicate_user_is_entity_already_exists(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="alice")
    assert error_of(e) == ("EntityAlreadyExists", 409, "User with name alice already exists.")
    # Names are unique case-insensitively.
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="ALICE")
    assert error_of(e)[0] == "EntityAlreadyExists"


def test_get_missing_user_is_no_such_entity(server):
    with pytest.raises(ClientError) as e:
        server.iam().get_user(UserName="nobody")
    code, status, message = error_of(e)
    assert (code, status) == ("NoSuchEntity", 404)
    assert message == "The user with name nobody cannot be found."


def test_user_name_too_long_is_validation_error(server):
    name = "a" * 65
    with pytest.raises(ClientError) as e:
        server.iam().create_user(UserName=name)
    assert error_of(e) == (
        "ValidationError",
        400,
        f"1 validation error detected: Value at 'userName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64",
    )
    # 64 is allowed.
    server.iam().create_user(UserName="a" * 64)


def test_invalid_path_is_validation_error(server):
    with pytest.raises(ClientError) as e:
        server.iam().create_user(UserName="alice", Path="no-slashes")
    assert error_of(e)[:2] == ("ValidationError", 400)


def test_update_user_renames_and_moves(server):
    iam = server.iam()
    user_id = iam.create_user(UserName="alice")["User"]["UserId"]
    iam.update_user(UserName="alice", NewUserName="alicia", NewPath="/moved/")
    got = iam.get_user(UserName="alicia")["User"]
    assert got["UserId"] == user_id
    assert got["Arn"] == user_arn("alicia", "/moved/")
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="alice")
    assert error_of(e)[0] == "NoSuchEntity"
    iam.create_user(UserName="bob")
    with pytest.raises(ClientError) as e:
        iam.update_user(UserName="bob", NewUserName="alicia")
    assert error_of(e)[0] == "EntityAlreadyExists"


def test_delete_user(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    iam.delete_user(UserName="alice")
    with pytest.raises(ClientError) as e:
        iam.get_user(UserName="alice")
    assert error_of(e)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="alice")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)


def test_delete_user_with_attachments_is_delete_conflict(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="alice")
    assert error_of(e) == ("DeleteConflict", 409, "Cannot delete entity, must delete access keys first.")
    iam.delete_access_key(UserName="alice", AccessKeyId=key)
    iam.put_user_policy(
        UserName="alice",
        PolicyName="p",
        PolicyDocument='{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}}',
    )
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="alice")
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    assert "policies" in error_of(e)[2]
    iam.delete_user_policy(UserName="alice", PolicyName="p")
    iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="alice")
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    iam.detach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.delete_user(UserName="alice")


def test_list_users_path_prefix_and_pagination(server):
    iam = server.iam()
    for i in range(7):
        iam.create_user(UserName=f"dev{i}", Path="/dev/")
    for i in range(3):
        iam.create_user(UserName=f"ops{i}", Path="/ops/team/")
    everyone = iam.list_users()
    assert len(everyone["Users"]) == 10 and everyone["IsTruncated"] is False
    assert {u["UserName"] for u in iam.list_users(PathPrefix="/ops/")["Users"]} == {"ops0", "ops1", "ops2"}
    assert len(iam.list_users(PathPrefix="/dev/")["Users"]) == 7
    assert iam.list_users(PathPrefix="/nobody/")["Users"] == []

    # Pages of 3 by hand, following the marker.
    seen, marker, pages = [], None, 0
    while True:
        kwargs = {"MaxItems": 3, **({"Marker": marker} if marker else {})}
        page = iam.list_users(**kwargs)
        pages += 1
        assert len(page["Users"]) <= 3
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert pages == 4
    assert sorted(seen) == sorted(u["UserName"] for u in everyone["Users"])
    assert len(set(seen)) == 10

    # boto3's paginator agrees.
    paginator = iam.get_paginator("list_users")
    names = [u["UserName"] for p in paginator.paginate(PaginationConfig={"PageSize": 4}) for u in p["Users"]]
    assert sorted(names) == sorted(seen)


def test_user_tags(server):
    iam = server.iam()
    created = iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert created["Tags"] == [{"Key": "team", "Value": "blue"}]
    iam.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "red"}, {"Key": "cost", "Value": "42"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="alice")["Tags"]}
    assert tags == {"team": "red", "cost": "42"}
    assert {t["Key"] for t in iam.get_user(UserName="alice")["User"]["Tags"]} == {"team", "cost"}
    iam.untag_user(UserName="alice", TagKeys=["team"])
    assert iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": "cost", "Value": "42"}]
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName="alice", Tags=[{"Key": "A", "Value": "1"}, {"Key": "a", "Value": "2"}])
    assert error_of(e) == (
        "InvalidInput",
        400,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
    with pytest.raises(ClientError) as e:
        iam.tag_user(UserName="nobody", Tags=[{"Key": "a", "Value": "1"}])
    assert error_of(e)[0] == "NoSuchEntity"


def test_users_with_the_aws_cli(server):
    created = server.aws("iam", "create-user", "--user-name", "carol", "--path", "/cli/")
    assert created["User"]["Arn"] == user_arn("carol", "/cli/")
    server.aws("iam", "tag-user", "--user-name", "carol", "--tags", "Key=k,Value=v")
    listed = server.aws("iam", "list-users", "--path-prefix", "/cli/")
    assert [u["UserName"] for u in listed["Users"]] == ["carol"]
    tags = server.aws("iam", "list-user-tags", "--user-name", "carol")
    assert tags["Tags"] == [{"Key": "k", "Value": "v"}]
    again = server.aws("iam", "create-user", "--user-name", "carol", check=False)
    assert again.returncode != 0
    assert "EntityAlreadyExists" in again.stderr
    assert "User with name carol already exists." in again.stderr
    server.aws("iam", "delete-user", "--user-name", "carol")
    assert server.aws("iam", "list-users")["Users"] == []
