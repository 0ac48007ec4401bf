"""Account operations: login profiles and ChangePassword, the password policy, aliases, the
account summary and authorization details."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import allow, error_of

STRONG = "Correct-Horse-Battery-9"


def test_login_profile_lifecycle(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as e:
        iam.get_login_profile(UserName="alice")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    created = iam.create_login_profile(UserName="alice", Password=STRONG, PasswordResetRequired=True)
    assert created["LoginProfile"]["UserName"] == "alice"
    assert created["LoginProfile"]["PasswordResetRequired"] is True
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName="alice", Password=STRONG)
    assert error_of(e)[:2] == ("EntityAlreadyExists", 409)
    iam.update_login_profile(UserName="alice", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="alice")
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    iam.delete_login_profile(UserName="alice")
    iam.delete_user(UserName="alice")


def test_password_policy_is_enforced(server):
    iam = server.iam()
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    iam.update_account_password_policy(MinimumPasswordLength=20, RequireSymbols=True)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 20 and policy["RequireSymbols"] is True
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as e:
        iam.create_login_profile(UserName="alice", Password="Short-1")
    assert error_of(e)[:2] == ("PasswordPolicyViolation", 400)
    iam.create_login_profile(UserName="alice", Password="A-much-longer-password-1")
    iam.delete_account_password_policy()
    with pytest.raises(ClientError) as e:
        iam.get_account_password_policy()
    assert error_of(e)[0] == "NoSuchEntity"


def test_change_password(server):
    iam = server.iam()
    alice = server.new_user("alice", policy=allow("iam:ChangePassword"))
    iam.create_login_profile(UserName="alice", Password=STRONG)
    as_alice = server.iam(alice)
    with pytest.raises(ClientError) as e:
        as_alice.change_password(OldPassword="wrong-password-1", NewPassword="Another-Strong-Pass-2")
    assert error_of(e)[0] == "AccessDenied"
    as_alice.change_password(OldPassword=STRONG, NewPassword="Another-Strong-Pass-2")
    with pytest.raises(ClientError) as e:
        iam.change_password(OldPassword="x", NewPassword="y")
    assert error_of(e)[:2] == ("InvalidUserType", 400)


def test_account_alias(server):
    iam = server.iam()
    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_account_alias(AccountAlias="castellan-e2e")
    assert iam.list_account_aliases()["AccountAliases"] == ["castellan-e2e"]
    iam.delete_account_alias(AccountAlias="castellan-e2e")
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_account_summary_counts(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=json.dumps(allow("iam:ListUsers")))
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] == 2
    assert summary["AccessKeysPerUserQuota"] == 2
    assert summary["UsersQuota"] == 5000


def test_account_authorization_details(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=json.dumps(allow("iam:ListUsers")))
    iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    details = iam.get_account_authorization_details(Filter=["User"])
    users = {u["UserName"]: u for u in details["UserDetailList"]}
    assert list(users) == ["alice"]
    assert users["alice"]["UserPolicyList"][0]["PolicyName"] == "p"
    assert users["alice"]["UserPolicyList"][0]["PolicyDocument"] == allow("iam:ListUsers")
    assert [p["PolicyName"] for p in users["alice"]["AttachedManagedPolicies"]] == ["IAMReadOnlyAccess"]
