"""The partition follows the signing region (issue 11): requests signed for cn-* live in
aws-cn and us-gov-* in aws-us-gov. ARNs are answered and accepted in that partition, policies
written there are enforced there, and an ARN of another partition names nothing."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, Creds, ROOT, allow, error_of
from test_sts import session_client

CN = "cn-north-1"
GOV = "us-gov-west-1"


def iam_in(server, region, creds: Creds = ROOT):
    return server.client("iam", creds, region=region)


def sts_in(server, region, creds: Creds = ROOT):
    return server.client("sts", creds, region=region)


def test_caller_identity_names_the_partition_of_the_signing_region(server):
    assert sts_in(server, CN).get_caller_identity()["Arn"] == f"arn:aws-cn:iam::{ACCOUNT_ID}:root"
    assert sts_in(server, "cn-northwest-1").get_caller_identity()["Arn"].startswith("arn:aws-cn:")
    assert sts_in(server, GOV).get_caller_identity()["Arn"] == f"arn:aws-us-gov:iam::{ACCOUNT_ID}:root"
    assert sts_in(server, "eu-west-1").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    done = server.aws("sts", "get-caller-identity", "--region", CN)
    assert done["Arn"] == f"arn:aws-cn:iam::{ACCOUNT_ID}:root"


def test_entities_are_one_account_seen_from_each_partition(server):
    cn = iam_in(server, CN)
    user = cn.create_user(UserName="wang", Path="/team/")["User"]
    assert user["Arn"] == f"arn:aws-cn:iam::{ACCOUNT_ID}:user/team/wang"
    assert iam_in(server, GOV).get_user(UserName="wang")["User"]["Arn"].startswith("arn:aws-us-gov:")
    assert server.iam().get_user(UserName="wang")["User"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/team/wang"
    group = cn.create_group(GroupName="devs")["Group"]
    assert group["Arn"] == f"arn:aws-cn:iam::{ACCOUNT_ID}:group/devs"
    role = cn.create_role(
        RoleName="app",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com.cn"}, "Action": "sts:AssumeRole"}],
            }
        ),
    )["Role"]
    assert role["Arn"] == f"arn:aws-cn:iam::{ACCOUNT_ID}:role/app"
    profile = cn.create_instance_profile(InstanceProfileName="app")["InstanceProfile"]
    assert profile["Arn"] == f"arn:aws-cn:iam::{ACCOUNT_ID}:instance-profile/app"
    cli = server.aws("iam", "get-role", "--role-name", "app", "--region", GOV)
    assert cli["Role"]["Arn"] == f"arn:aws-us-gov:iam::{ACCOUNT_ID}:role/app"


def test_managed_policies_are_named_and_attached_in_the_partition(server):
    cn = iam_in(server, CN)
    cn.create_user(UserName="li")
    listed = cn.list_policies(Scope="AWS", MaxItems=5)["Policies"]
    assert listed and all(p["Arn"].startswith("arn:aws-cn:iam::aws:policy/") for p in listed)
    read_only = "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"
    assert cn.get_policy(PolicyArn=read_only)["Policy"]["Arn"] == read_only
    cn.attach_user_policy(UserName="li", PolicyArn=read_only)
    attached = cn.list_attached_user_policies(UserName="li")["AttachedPolicies"]
    assert attached == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": read_only}]
    assert server.iam().list_attached_user_policies(UserName="li")["AttachedPolicies"][0]["PolicyArn"] == (
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    )

    own = cn.create_policy(PolicyName="own", PolicyDocument=json.dumps(allow("s3:GetObject", "arn:aws-cn:s3:::b/*")))
    own_arn = own["Policy"]["Arn"]
    assert own_arn == f"arn:aws-cn:iam::{ACCOUNT_ID}:policy/own"
    cn.attach_user_policy(UserName="li", PolicyArn=own_arn)
    entities = cn.list_entities_for_policy(PolicyArn=own_arn)["PolicyUsers"]
    assert [u["UserName"] for u in entities] == ["li"]
    document = cn.get_policy_version(PolicyArn=own_arn, VersionId="v1")["PolicyVersion"]["Document"]
    assert document["Statement"][0]["Resource"] == "arn:aws-cn:s3:::b/*"

    # An ARN of the commercial partition is not a valid ARN in aws-cn, and the answer quotes
    # it as sent.
    with pytest.raises(ClientError) as caught:
        cn.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert error_of(caught) == ("InvalidInput", 400, "ARN arn:aws:iam::aws:policy/ReadOnlyAccess is not valid.")
    with pytest.raises(ClientError) as caught:
        cn.attach_user_policy(UserName="li", PolicyArn=f"arn:aws:iam::{ACCOUNT_ID}:policy/own")
    assert error_of(caught) == ("ValidationError", 400, f"ARN arn:aws:iam::{ACCOUNT_ID}:policy/own is not valid.")
    with pytest.raises(ClientError) as caught:
        cn.get_policy(PolicyArn=f"arn:aws-cn:iam::{ACCOUNT_ID}:policy/missing")
    assert error_of(caught) == (
        "NoSuchEntity",
        404,
        f"Policy arn:aws-cn:iam::{ACCOUNT_ID}:policy/missing was not found.",
    )


def test_policies_written_for_a_partition_are_enforced_in_it(server):
    creds = server.new_user(
        "zhao",
        policy=allow(["iam:GetUser", "iam:ListUsers"], f"arn:aws-cn:iam::{ACCOUNT_ID}:user/*"),
    )
    assert iam_in(server, CN, creds).get_user(UserName="zhao")["User"]["Arn"].endswith(":user/zhao")
    # The same request signed for a commercial region asks about arn:aws:..., which the
    # policy does not name.
    with pytest.raises(ClientError) as caught:
        server.iam(creds).get_user(UserName="zhao")
    assert error_of(caught) == (
        "AccessDenied",
        403,
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/zhao is not authorized to perform: iam:GetUser on resource: "
        f"arn:aws:iam::{ACCOUNT_ID}:user/zhao because no identity-based policy allows the iam:GetUser action",
    )
    with pytest.raises(ClientError) as caught:
        iam_in(server, CN, creds).get_role(RoleName="nothing")
    assert error_of(caught) == (
        "AccessDenied",
        403,
        f"User: arn:aws-cn:iam::{ACCOUNT_ID}:user/zhao is not authorized to perform: iam:GetRole on resource: "
        f"arn:aws-cn:iam::{ACCOUNT_ID}:role/nothing because no identity-based policy allows the iam:GetRole action",
    )
    # Context keys holding ARNs move too: iam:PolicyARN written in aws-cn.
    root = iam_in(server, CN)
    root.put_user_policy(
        UserName="zhao",
        PolicyName="attach",
        PolicyDocument=json.dumps(
            allow(
                "iam:AttachUserPolicy",
                f"arn:aws-cn:iam::{ACCOUNT_ID}:user/zhao",
                Condition={"ArnEquals": {"iam:PolicyARN": "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"}},
            )
        ),
    )
    iam_in(server, CN, creds).attach_user_policy(
        UserName="zhao", PolicyArn="arn:aws-cn:iam::aws:policy/ReadOnlyAccess"
    )
    with pytest.raises(ClientError) as caught:
        iam_in(server, CN, creds).attach_user_policy(
            UserName="zhao", PolicyArn="arn:aws-cn:iam::aws:policy/IAMReadOnlyAccess"
        )
    assert error_of(caught)[0] == "AccessDenied"


def test_roles_are_assumed_within_the_partition(server):
    creds = server.new_user("chen", policy=allow("sts:AssumeRole"))
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws-cn:iam::{ACCOUNT_ID}:user/chen"},
                "Action": "sts:AssumeRole",
                "Condition": {"ArnEquals": {"aws:PrincipalArn": f"arn:aws-cn:iam::{ACCOUNT_ID}:user/chen"}},
            }
        ],
    }
    role_arn = iam_in(server, CN).create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    assert role_arn == f"arn:aws-cn:iam::{ACCOUNT_ID}:role/reader"
    assumed = sts_in(server, CN, creds).assume_role(RoleArn=role_arn, RoleSessionName="s1")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws-cn:sts::{ACCOUNT_ID}:assumed-role/reader/s1"
    session = session_client(server, "sts", assumed["Credentials"], region=CN)
    assert session.get_caller_identity()["Arn"] == f"arn:aws-cn:sts::{ACCOUNT_ID}:assumed-role/reader/s1"

    # Signed for a commercial region, the caller is arn:aws:...: the trust policy written
    # for aws-cn does not name it.
    with pytest.raises(ClientError) as caught:
        server.sts(creds).assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/reader", RoleSessionName="s2")
    code, status, message = error_of(caught)
    assert (code, status) == ("AccessDenied", 403)
    assert f"User: arn:aws:iam::{ACCOUNT_ID}:user/chen is not authorized to perform: sts:AssumeRole" in message
    # A RoleArn of another partition names no role.
    with pytest.raises(ClientError) as caught:
        sts_in(server, CN, creds).assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/reader", RoleSessionName="s3")
    code, _, message = error_of(caught)
    assert code == "AccessDenied"
    assert f"arn:aws:iam::{ACCOUNT_ID}:role/reader" in message, message
