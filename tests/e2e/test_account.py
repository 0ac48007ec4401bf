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


def test_account_properties(server):
    iam = server.iam()
    assert iam.get_account_properties()["Properties"] == {}
    iam.put_account_properties(Properties={"RoleManager/Enabled": "true", "RoleManager/Mode": "audit"})
    iam.put_account_properties(Properties={"RoleManager/Mode": "enforce"})
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "true", "RoleManager/Mode": "enforce"}
    for bad in ({"NoSlash": "x"}, {"A/B/C": "x"}, {"A/": "x"}, {"A/x": "1", "B/y": "2"}):
        with pytest.raises(ClientError) as e:
            iam.put_account_properties(Properties=bad)
        assert error_of(e)[:2] == ("InvalidInput", 400), bad
    # A refused request changed nothing.
    assert iam.get_account_properties()["Properties"]["RoleManager/Mode"] == "enforce"
    # The aws CLI v1 (1.46.3, the newest on PyPI) does not know Get/PutAccountProperties yet.
    reader = server.iam(server.new_user("reader", policy=allow("iam:GetAccountProperties")))
    assert reader.get_account_properties()["Properties"]["RoleManager/Mode"] == "enforce"
    with pytest.raises(ClientError) as e:
        reader.put_account_properties(Properties={"RoleManager/Mode": "off"})
    assert error_of(e)[:2] == ("AccessDenied", 403)


def test_sts_global_endpoint_token_version_in_the_summary(server):
    iam = server.iam()
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    server.aws("iam", "set-security-token-service-preferences", "--global-endpoint-token-version", "v1Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    with pytest.raises(ClientError) as e:
        iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v3Token")
    assert error_of(e)[:2] == ("ValidationError", 400)
    denied = server.iam(server.new_user("nobody", policy=allow("iam:GetAccountSummary")))
    with pytest.raises(ClientError) as e:
        denied.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert error_of(e)[:2] == ("AccessDenied", 403)


def test_summary_counts_instance_profiles_and_root_signing_certificates(server):
    iam = server.iam()
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["InstanceProfiles"], summary["AccountSigningCertificatesPresent"]) == (0, 0)
    iam.create_instance_profile(InstanceProfileName="web")
    from test_user_credentials import certificate

    iam.upload_signing_certificate(CertificateBody=certificate())
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["InstanceProfiles"], summary["AccountSigningCertificatesPresent"]) == (1, 1)
