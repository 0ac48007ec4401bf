"""AWS Organizations on Castellan's endpoint (issue 15), driven by boto3: the organization,
CreateAccount with the role it makes (assumed from the management account to work in the new
account), units and moves, SCPs and RCPs with their attachments, tags, the authorization of
every call, AWS's errors, and the honest answer of the operations not built."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, Creds, allow, error_of

SCP_DENY_CREATE_USER = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}]}
)
RCP_DENY_OUTSIDE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abcdefghij"}},
            }
        ],
    }
)


def orgs(server, creds=None, checked=True):
    return server.client("organizations", creds, checked=checked) if creds else server.client("organizations", checked=checked)


def raises(code, call, *args, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(*args, **kwargs)
    got, status, message = error_of(excinfo)
    assert got == code, (got, message)
    return status, message, excinfo.value.response


def new_organization(server):
    org = orgs(server)
    made = org.create_organization(FeatureSet="ALL")["Organization"]
    root = org.list_roots()["Roots"][0]
    return org, made, root


def create_account(org, email, name="member"):
    status = org.create_account(Email=email, AccountName=name)["CreateAccountStatus"]
    assert status["State"] == "SUCCEEDED", status
    return status


def test_organization_lifecycle(server):
    org = orgs(server)
    raises("AWSOrganizationsNotInUseException", org.describe_organization)
    made = org.create_organization()["Organization"]
    assert re.fullmatch(r"o-[a-z0-9]{10}", made["Id"])
    assert made["Arn"] == f"arn:aws:organizations::{ACCOUNT_ID}:organization/{made['Id']}"
    assert made["FeatureSet"] == "ALL"
    assert made["MasterAccountId"] == ACCOUNT_ID
    assert made["MasterAccountArn"] == f"arn:aws:organizations::{ACCOUNT_ID}:account/{made['Id']}/{ACCOUNT_ID}"
    assert org.describe_organization()["Organization"] == made
    status, message, _ = raises("AlreadyInOrganizationException", org.create_organization)
    assert status == 400
    roots = org.list_roots()["Roots"]
    assert len(roots) == 1 and re.fullmatch(r"r-[a-z0-9]{4}", roots[0]["Id"])
    assert roots[0]["Arn"] == f"arn:aws:organizations::{ACCOUNT_ID}:root/{made['Id']}/{roots[0]['Id']}"
    accounts = org.list_accounts()["Accounts"]
    assert [a["Id"] for a in accounts] == [ACCOUNT_ID]
    assert accounts[0]["Status"] == "ACTIVE"
    org.delete_organization()
    raises("AWSOrganizationsNotInUseException", org.describe_organization)
    raises("AWSOrganizationsNotInUseException", org.list_accounts)
    # The account may start again.
    assert org.create_organization()["Organization"]["Id"] != made["Id"]


def test_create_account_assume_role_and_work_there(server):
    org, made, root = new_organization(server)
    status = create_account(org, "member@castellan.local", "member")
    assert re.fullmatch(r"car-[a-z0-9]{32}", status["Id"])
    member = status["AccountId"]
    assert re.fullmatch(r"\d{12}", member) and member != ACCOUNT_ID
    assert org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"] == status
    listed = org.list_create_account_status()["CreateAccountStatuses"]
    assert [s["Id"] for s in listed] == [status["Id"]]
    assert org.list_create_account_status(States=["FAILED"])["CreateAccountStatuses"] == []
    account = org.describe_account(AccountId=member)["Account"]
    assert account["Arn"] == f"arn:aws:organizations::{ACCOUNT_ID}:account/{made['Id']}/{member}"
    assert (account["Name"], account["Email"], account["JoinedMethod"]) == ("member", "member@castellan.local", "CREATED")
    assert isinstance(account["JoinedTimestamp"], datetime)
    assert sorted(a["Id"] for a in org.list_accounts()["Accounts"]) == sorted([ACCOUNT_ID, member])
    # The same email again: AWS accepts the request and reports the failure in its status.
    failed = org.create_account(Email="member@castellan.local", AccountName="again")["CreateAccountStatus"]
    assert (failed["State"], failed["FailureReason"]) == ("FAILED", "EMAIL_ALREADY_EXISTS")
    assert "AccountId" not in failed
    raises("CreateAccountStatusNotFoundException", org.describe_create_account_status, CreateAccountRequestId="car-abcdefgh")

    # Root may not assume roles (as on AWS): an administrator of the management account does.
    admin = server.new_user("admin", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
    role_arn = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    session = server.client("sts", admin).assume_role(RoleArn=role_arn, RoleSessionName="setup")["Credentials"]
    sts = server_client_with_token(server, "sts", session)
    identity = sts.get_caller_identity()
    assert identity["Account"] == member
    assert identity["Arn"] == f"arn:aws:sts::{member}:assumed-role/OrganizationAccountAccessRole/setup"
    iam = server_client_with_token(server, "iam", session)
    user = iam.create_user(UserName="deployer")["User"]
    assert user["Arn"] == f"arn:aws:iam::{member}:user/deployer"
    attached = iam.list_attached_role_policies(RoleName="OrganizationAccountAccessRole")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    trust = iam.get_role(RoleName="OrganizationAccountAccessRole")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    # The management account's own users are untouched.
    assert [u["UserName"] for u in server.iam().list_users()["Users"]] == ["admin"]
    # A member account's caller is not the organization's manager.
    member_orgs = server_client_with_token(server, "organizations", session)
    assert member_orgs.describe_organization()["Organization"]["Id"] == made["Id"]
    _, message, _ = raises("AccessDeniedException", member_orgs.list_accounts)
    assert message == "You don't have permissions to access this resource."

    # A role name of the caller's choice.
    named = org.create_account(Email="second@castellan.local", AccountName="second", RoleName="Ops")[
        "CreateAccountStatus"
    ]
    server.client("sts", admin).assume_role(
        RoleArn=f"arn:aws:iam::{named['AccountId']}:role/Ops", RoleSessionName="ops"
    )

    # An organization with members is not deleted; closing and removing them is.
    raises("OrganizationNotEmptyException", org.delete_organization)
    raises("MasterCannotLeaveOrganizationException", org.remove_account_from_organization, AccountId=ACCOUNT_ID)
    _, _, response = raises("ConstraintViolationException", org.close_account, AccountId=ACCOUNT_ID)
    assert response["Reason"] == "CANNOT_CLOSE_MANAGEMENT_ACCOUNT"
    org.close_account(AccountId=named["AccountId"])
    assert org.describe_account(AccountId=named["AccountId"])["Account"]["Status"] == "SUSPENDED"
    raises("AccountAlreadyClosedException", org.close_account, AccountId=named["AccountId"])
    for account_id in (member, named["AccountId"]):
        org.remove_account_from_organization(AccountId=account_id)
    raises("AccountNotFoundException", org.describe_account, AccountId=member)
    org.delete_organization()


def server_client_with_token(server, service, credentials):
    from conftest import REGION, boto_session
    from botocore.config import Config

    return boto_session().client(
        service,
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )


def test_units_children_parents_and_moves(server):
    org, _, root = new_organization(server)
    member = create_account(org, "m@castellan.local")["AccountId"]
    dev = org.create_organizational_unit(ParentId=root["Id"], Name="dev")["OrganizationalUnit"]
    root_part = root["Id"][2:]
    assert re.fullmatch(rf"ou-{root_part}-[a-z0-9]{{8}}", dev["Id"])
    assert dev["Arn"].endswith(f":ou/{org.describe_organization()['Organization']['Id']}/{dev['Id']}")
    raises("DuplicateOrganizationalUnitException", org.create_organizational_unit, ParentId=root["Id"], Name="dev")
    raises("ParentNotFoundException", org.create_organizational_unit, ParentId=f"ou-{root_part}-zzzzzzzz", Name="x")
    team = org.create_organizational_unit(ParentId=dev["Id"], Name="team")["OrganizationalUnit"]
    assert org.describe_organizational_unit(OrganizationalUnitId=team["Id"])["OrganizationalUnit"] == team
    renamed = org.update_organizational_unit(OrganizationalUnitId=team["Id"], Name="squad")["OrganizationalUnit"]
    assert renamed["Name"] == "squad"
    units = org.list_organizational_units_for_parent(ParentId=root["Id"])["OrganizationalUnits"]
    assert [u["Id"] for u in units] == [dev["Id"]]
    children = org.list_children(ParentId=dev["Id"], ChildType="ORGANIZATIONAL_UNIT")["Children"]
    assert children == [{"Id": team["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    accounts = org.list_children(ParentId=root["Id"], ChildType="ACCOUNT")["Children"]
    assert sorted(c["Id"] for c in accounts) == sorted([ACCOUNT_ID, member])
    assert org.list_parents(ChildId=team["Id"])["Parents"] == [{"Id": dev["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    assert org.list_parents(ChildId=member)["Parents"] == [{"Id": root["Id"], "Type": "ROOT"}]
    raises("ChildNotFoundException", org.list_parents, ChildId="999999999999")

    raises("DuplicateAccountException", org.move_account, AccountId=member, SourceParentId=team["Id"], DestinationParentId=root["Id"])
    raises(
        "DestinationParentNotFoundException",
        org.move_account,
        AccountId=member,
        SourceParentId=root["Id"],
        DestinationParentId=f"ou-{root_part}-zzzzzzzz",
    )
    raises(
        "SourceParentNotFoundException",
        org.move_account,
        AccountId=member,
        SourceParentId=f"ou-{root_part}-zzzzzzzz",
        DestinationParentId=team["Id"],
    )
    org.move_account(AccountId=member, SourceParentId=root["Id"], DestinationParentId=team["Id"])
    assert [a["Id"] for a in org.list_accounts_for_parent(ParentId=team["Id"])["Accounts"]] == [member]
    assert [a["Id"] for a in org.list_accounts_for_parent(ParentId=root["Id"])["Accounts"]] == [ACCOUNT_ID]
    assert org.list_parents(ChildId=member)["Parents"] == [{"Id": team["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    raises("OrganizationalUnitNotEmptyException", org.delete_organizational_unit, OrganizationalUnitId=team["Id"])
    raises("OrganizationalUnitNotEmptyException", org.delete_organizational_unit, OrganizationalUnitId=dev["Id"])
    org.move_account(AccountId=member, SourceParentId=team["Id"], DestinationParentId=root["Id"])
    org.delete_organizational_unit(OrganizationalUnitId=team["Id"])
    raises("OrganizationalUnitNotFoundException", org.describe_organizational_unit, OrganizationalUnitId=team["Id"])
    # Five levels under the root, and no more.
    parent = dev["Id"]
    for level in range(2, 6):
        parent = org.create_organizational_unit(ParentId=parent, Name=f"level{level}")["OrganizationalUnit"]["Id"]
    _, _, response = raises("ConstraintViolationException", org.create_organizational_unit, ParentId=parent, Name="six")
    assert response["Reason"] == "OU_DEPTH_LIMIT_EXCEEDED"
    # Pages of at most MaxResults, the token sealed.
    for n in range(3):
        org.create_organizational_unit(ParentId=root["Id"], Name=f"page{n}")
    first = org.list_organizational_units_for_parent(ParentId=root["Id"], MaxResults=2)
    assert len(first["OrganizationalUnits"]) == 2 and "NextToken" in first
    rest = org.list_organizational_units_for_parent(ParentId=root["Id"], MaxResults=2, NextToken=first["NextToken"])
    assert len(rest["OrganizationalUnits"]) == 2 and "NextToken" not in rest
    _, _, response = raises(
        "InvalidInputException", org.list_organizational_units_for_parent, ParentId=root["Id"], NextToken="forged"
    )
    assert response["Reason"] == "INVALID_NEXT_TOKEN"


def test_policies_types_attachments(server):
    org, made, root = new_organization(server)
    member = create_account(org, "m@castellan.local")["AccountId"]
    ou = org.create_organizational_unit(ParentId=root["Id"], Name="workloads")["OrganizationalUnit"]
    policy = org.create_policy(
        Content=SCP_DENY_CREATE_USER, Description="no users", Name="NoUsers", Type="SERVICE_CONTROL_POLICY"
    )["Policy"]
    summary = policy["PolicySummary"]
    assert re.fullmatch(r"p-[a-z0-9]{8}", summary["Id"])
    assert summary["Arn"] == (
        f"arn:aws:organizations::{ACCOUNT_ID}:policy/{made['Id']}/service_control_policy/{summary['Id']}"
    )
    assert (summary["AwsManaged"], json.loads(policy["Content"])) == (False, json.loads(SCP_DENY_CREATE_USER))
    raises(
        "DuplicatePolicyException",
        org.create_policy,
        Content=SCP_DENY_CREATE_USER,
        Description="",
        Name="NoUsers",
        Type="SERVICE_CONTROL_POLICY",
    )
    _, message, _ = raises(
        "MalformedPolicyDocumentException",
        org.create_policy,
        Content='{"Version": "2012-10-17", "Statement": {"Effect": "Allow"}}',
        Description="",
        Name="Bad",
        Type="SERVICE_CONTROL_POLICY",
    )
    assert message == "The provided policy document does not meet the requirements of the specified policy type."
    # An RCP must name every principal.
    raises(
        "MalformedPolicyDocumentException",
        org.create_policy,
        Content=SCP_DENY_CREATE_USER,
        Description="",
        Name="NotAnRcp",
        Type="RESOURCE_CONTROL_POLICY",
    )
    raises(
        "PolicyTypeNotAvailableForOrganizationException",
        org.create_policy,
        Content="{}",
        Description="",
        Name="Tags",
        Type="TAG_POLICY",
    )
    raises("PolicyTypeNotEnabledException", org.attach_policy, PolicyId=summary["Id"], TargetId=ou["Id"])

    enabled = org.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")["Root"]
    assert enabled["PolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
    raises("PolicyTypeAlreadyEnabledException", org.enable_policy_type, RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    raises("RootNotFoundException", org.enable_policy_type, RootId="r-zzzz", PolicyType="RESOURCE_CONTROL_POLICY")
    listed = org.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    assert [p["Name"] for p in listed] == ["FullAWSAccess", "NoUsers"]
    full = listed[0]
    assert (full["Id"], full["AwsManaged"]) == ("p-FullAWSAccess", True)
    assert full["Arn"] == "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    # FullAWSAccess is on the root, the unit and every account.
    targets = org.list_targets_for_policy(PolicyId="p-FullAWSAccess")["Targets"]
    assert sorted(t["TargetId"] for t in targets) == sorted([root["Id"], ou["Id"], ACCOUNT_ID, member])
    assert {t["Type"] for t in targets} == {"ROOT", "ORGANIZATIONAL_UNIT", "ACCOUNT"}
    # ... and on what is made afterwards.
    later = org.create_organizational_unit(ParentId=root["Id"], Name="later")["OrganizationalUnit"]
    on_later = org.list_policies_for_target(TargetId=later["Id"], Filter="SERVICE_CONTROL_POLICY")["Policies"]
    assert [p["Id"] for p in on_later] == ["p-FullAWSAccess"]

    org.attach_policy(PolicyId=summary["Id"], TargetId=ou["Id"])
    raises("DuplicatePolicyAttachmentException", org.attach_policy, PolicyId=summary["Id"], TargetId=ou["Id"])
    raises("TargetNotFoundException", org.attach_policy, PolicyId=summary["Id"], TargetId="999999999999")
    raises("PolicyNotFoundException", org.attach_policy, PolicyId="p-zzzzzzzz", TargetId=ou["Id"])
    on_ou = org.list_policies_for_target(TargetId=ou["Id"], Filter="SERVICE_CONTROL_POLICY")["Policies"]
    assert sorted(p["Id"] for p in on_ou) == sorted(["p-FullAWSAccess", summary["Id"]])
    assert [t["TargetId"] for t in org.list_targets_for_policy(PolicyId=summary["Id"])["Targets"]] == [ou["Id"]]
    raises("PolicyInUseException", org.delete_policy, PolicyId=summary["Id"])
    raises("PolicyNotAttachedException", org.detach_policy, PolicyId=summary["Id"], TargetId=root["Id"])
    _, _, response = raises("ConstraintViolationException", org.detach_policy, PolicyId="p-FullAWSAccess", TargetId=root["Id"])
    assert response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"

    described = org.describe_policy(PolicyId=summary["Id"])["Policy"]
    assert described["PolicySummary"] == summary
    full_doc = json.loads(org.describe_policy(PolicyId="p-FullAWSAccess")["Policy"]["Content"])
    assert full_doc["Statement"][0]["Effect"] == "Allow"
    updated = org.update_policy(PolicyId=summary["Id"], Name="NoIamUsers", Description="none")["Policy"]
    assert (updated["PolicySummary"]["Name"], updated["PolicySummary"]["Description"]) == ("NoIamUsers", "none")
    raises("MalformedPolicyDocumentException", org.update_policy, PolicyId=summary["Id"], Content="[]")
    _, _, response = raises("InvalidInputException", org.update_policy, PolicyId="p-FullAWSAccess", Name="Mine")
    assert response["Reason"] == "IMMUTABLE_POLICY"
    org.detach_policy(PolicyId=summary["Id"], TargetId=ou["Id"])
    org.delete_policy(PolicyId=summary["Id"])
    raises("PolicyNotFoundException", org.describe_policy, PolicyId=summary["Id"])

    # RCPs: enabled beside SCPs, with RCPFullAWSAccess everywhere.
    org.enable_policy_type(RootId=root["Id"], PolicyType="RESOURCE_CONTROL_POLICY")
    rcp = org.create_policy(
        Content=RCP_DENY_OUTSIDE, Description="", Name="OrgOnly", Type="RESOURCE_CONTROL_POLICY"
    )["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=rcp["Id"], TargetId=member)
    on_member = org.list_policies_for_target(TargetId=member, Filter="RESOURCE_CONTROL_POLICY")["Policies"]
    assert sorted(p["Id"] for p in on_member) == sorted(["p-RCPFullAWSAccess", rcp["Id"]])
    disabled = org.disable_policy_type(RootId=root["Id"], PolicyType="RESOURCE_CONTROL_POLICY")["Root"]
    assert disabled["PolicyTypes"] == [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]
    assert org.list_targets_for_policy(PolicyId=rcp["Id"])["Targets"] == []
    raises("PolicyTypeNotEnabledException", org.disable_policy_type, RootId=root["Id"], PolicyType="RESOURCE_CONTROL_POLICY")


def test_tags_on_accounts_units_roots_and_policies(server):
    org, _, root = new_organization(server)
    member = org.create_account(
        Email="m@castellan.local", AccountName="m", Tags=[{"Key": "team", "Value": "a"}]
    )["CreateAccountStatus"]["AccountId"]
    assert org.list_tags_for_resource(ResourceId=member)["Tags"] == [{"Key": "team", "Value": "a"}]
    ou = org.create_organizational_unit(ParentId=root["Id"], Name="t", Tags=[{"Key": "k", "Value": "v"}])[
        "OrganizationalUnit"
    ]
    policy = org.create_policy(
        Content=SCP_DENY_CREATE_USER, Description="", Name="P", Type="SERVICE_CONTROL_POLICY"
    )["Policy"]["PolicySummary"]
    for resource in (member, ou["Id"], root["Id"], policy["Id"]):
        org.tag_resource(ResourceId=resource, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "k", "Value": "v2"}])
        tags = {t["Key"]: t["Value"] for t in org.list_tags_for_resource(ResourceId=resource)["Tags"]}
        assert tags["env"] == "dev" and tags["k"] == "v2", resource
        org.untag_resource(ResourceId=resource, TagKeys=["env"])
        assert "env" not in {t["Key"] for t in org.list_tags_for_resource(ResourceId=resource)["Tags"]}
    raises("TargetNotFoundException", org.tag_resource, ResourceId="999999999999", Tags=[{"Key": "a", "Value": "b"}])
    _, _, response = raises(
        "InvalidInputException",
        org.tag_resource,
        ResourceId=member,
        Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}],
    )
    assert response["Reason"] == "DUPLICATE_TAG_KEY"


def test_every_call_is_authorized_by_the_engine(server):
    org, made, root = new_organization(server)
    nobody = server.new_user("nobody")
    _, message, _ = raises("AccessDeniedException", orgs(server, nobody).list_accounts)
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/nobody is not authorized to perform: organizations:ListAccounts"
        " on resource: * because no identity-based policy allows the organizations:ListAccounts action"
    )
    ou = org.create_organizational_unit(ParentId=root["Id"], Name="a")["OrganizationalUnit"]
    # Resource-level permissions: this unit only.
    scoped = server.new_user("scoped", policy=allow("organizations:DescribeOrganizationalUnit", ou["Arn"]))
    assert orgs(server, scoped).describe_organizational_unit(OrganizationalUnitId=ou["Id"])
    other = org.create_organizational_unit(ParentId=root["Id"], Name="b")["OrganizationalUnit"]
    _, message, _ = raises(
        "AccessDeniedException", orgs(server, scoped).describe_organizational_unit, OrganizationalUnitId=other["Id"]
    )
    assert other["Arn"] in message
    # organizations:PolicyType is in the context.
    only_scps = server.new_user(
        "scps",
        policy=allow("organizations:CreatePolicy", Condition={"StringEquals": {"organizations:PolicyType": "SERVICE_CONTROL_POLICY"}}),
    )
    orgs(server, only_scps).create_policy(
        Content=SCP_DENY_CREATE_USER, Description="", Name="S", Type="SERVICE_CONTROL_POLICY"
    )
    raises(
        "AccessDeniedException",
        orgs(server, only_scps).create_policy,
        Content=RCP_DENY_OUTSIDE,
        Description="",
        Name="R",
        Type="RESOURCE_CONTROL_POLICY",
    )
    # Tags asked for are in the context too.
    no_tags = server.new_user(
        "notags",
        policy={
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "organizations:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "organizations:CreateOrganizationalUnit", "Resource": "*",
                 "Condition": {"Null": {"aws:RequestTag/cost": "false"}}},
            ],
        },
    )
    orgs(server, no_tags).create_organizational_unit(ParentId=root["Id"], Name="c")
    raises(
        "AccessDeniedException",
        orgs(server, no_tags).create_organizational_unit,
        ParentId=root["Id"],
        Name="d",
        Tags=[{"Key": "cost", "Value": "1"}],
    )


def test_wire_errors_of_the_json_protocol(server):
    org = orgs(server, checked=False)
    # A constraint of the model: InvalidInputException with AWS's reason.
    _, message, response = raises("InvalidInputException", org.describe_account, AccountId="12")
    assert response["Reason"] == "INVALID_PATTERN"
    assert message.startswith("1 validation error detected: Value at 'accountId' failed to satisfy constraint")
    _, _, response = raises("InvalidInputException", org.describe_account)
    assert response["Reason"] == "INPUT_REQUIRED"
    # A key that names no one, and a wrong signature.
    stranger = orgs(server, Creds("AKIAE2EUNKNOWN000001", "wrong"))
    status, _, _ = raises("UnrecognizedClientException", stranger.describe_organization)
    assert status == 403
    wrong = orgs(server, Creds("AKIAE2EROOT000000001", "not the secret"))
    raises("InvalidSignatureException", wrong.describe_organization)


# Each operation of the model that is not built, with input the model accepts.
NOT_BUILT = {
    "accept_handshake": {"HandshakeId": "h-abcdefgh"},
    "cancel_handshake": {"HandshakeId": "h-abcdefgh"},
    "create_gov_cloud_account": {"Email": "g@castellan.local", "AccountName": "gov"},
    "decline_handshake": {"HandshakeId": "h-abcdefgh"},
    "delete_resource_policy": {},
    "deregister_delegated_administrator": {"AccountId": "123456789012", "ServicePrincipal": "x.amazonaws.com"},
    "describe_effective_policy": {"PolicyType": "TAG_POLICY"},
    "describe_handshake": {"HandshakeId": "h-abcdefgh"},
    "describe_resource_policy": {},
    "describe_responsibility_transfer": {"Id": "rt-abcdefgh"},
    "disable_aws_service_access": {"ServicePrincipal": "x.amazonaws.com"},
    "enable_aws_service_access": {"ServicePrincipal": "x.amazonaws.com"},
    "enable_all_features": {},
    "invite_account_to_organization": {"Target": {"Id": "123456789013", "Type": "ACCOUNT"}},
    "invite_organization_to_transfer_responsibility": {
        "Type": "BILLING",
        "Target": {"Id": "123456789013", "Type": "ACCOUNT"},
        "StartTimestamp": datetime(2030, 1, 1, tzinfo=timezone.utc),
        "SourceName": "source",
    },
    "leave_organization": {},
    "list_aws_service_access_for_organization": {},
    "list_accounts_with_invalid_effective_policy": {"PolicyType": "TAG_POLICY"},
    "list_delegated_administrators": {},
    "list_delegated_services_for_account": {"AccountId": "123456789012"},
    "list_effective_policy_validation_errors": {"AccountId": "123456789012", "PolicyType": "TAG_POLICY"},
    "list_handshakes_for_account": {},
    "list_handshakes_for_organization": {},
    "list_inbound_responsibility_transfers": {"Type": "BILLING"},
    "list_outbound_responsibility_transfers": {"Type": "BILLING"},
    "put_resource_policy": {"Content": "{}"},
    "register_delegated_administrator": {"AccountId": "123456789012", "ServicePrincipal": "x.amazonaws.com"},
    "terminate_responsibility_transfer": {"Id": "rt-abcdefgh"},
    "update_responsibility_transfer": {"Id": "rt-abcdefgh", "Name": "n"},
}


def test_the_list_of_unbuilt_operations_is_the_models_rest(server):
    model = orgs(server).meta.service_model
    built = {
        "AttachPolicy", "CloseAccount", "CreateAccount", "CreateOrganization", "CreateOrganizationalUnit",
        "CreatePolicy", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DescribeAccount",
        "DescribeCreateAccountStatus", "DescribeOrganization", "DescribeOrganizationalUnit", "DescribePolicy",
        "DetachPolicy", "DisablePolicyType", "EnablePolicyType", "ListAccounts", "ListAccountsForParent",
        "ListChildren", "ListCreateAccountStatus", "ListOrganizationalUnitsForParent", "ListParents",
        "ListPolicies", "ListPoliciesForTarget", "ListRoots", "ListTagsForResource", "ListTargetsForPolicy",
        "MoveAccount", "RemoveAccountFromOrganization", "TagResource", "UntagResource",
        "UpdateOrganizationalUnit", "UpdatePolicy",
    }
    from botocore import xform_name

    rest = {xform_name(name) for name in model.operation_names if name not in built}
    assert rest == set(NOT_BUILT)
    assert len(model.operation_names) == 63


@pytest.mark.parametrize("operation", sorted(NOT_BUILT))
def test_unbuilt_operations_answer_not_implemented(server, operation):
    org = orgs(server)
    org.create_organization()
    status, message, _ = raises("NotImplemented", getattr(org, operation), **NOT_BUILT[operation])
    assert status == 501
    assert message.startswith("Castellan does not implement ")


def signed_post(server, target: str, body: bytes):
    """A raw Organizations request signed as boto3 signs one: (status, headers, JSON body)."""
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from conftest import REGION, ROOT_KEY_ID, ROOT_SECRET

    request = AWSRequest(
        method="POST",
        url=server.endpoint + "/",
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
    )
    SigV4Auth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "organizations", REGION).add_auth(request)
    prepared = urllib.request.Request(request.url, data=body, headers=dict(request.headers), method="POST")
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def test_raw_json_protocol(server):
    status, headers, body = signed_post(server, "AWSOrganizationsV20161128.CreateOrganization", b"{}")
    assert status == 200 and headers["Content-Type"] == "application/x-amz-json-1.1"
    assert body["Organization"]["MasterAccountId"] == ACCOUNT_ID
    status, _, body = signed_post(server, "AWSOrganizationsV20161128.NoSuchOperation", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    status, _, body = signed_post(server, "AWSOrganizationsV20161128.ListRoots", b"[1]")
    assert (status, body["__type"]) == (400, "SerializationException")
    status, _, body = signed_post(server, "AWSOrganizationsV20161128.DeleteOrganization", b"")
    assert (status, body) == (200, {})


# Enforcement: the organization's SCPs and RCPs bind requests in member accounts.


def assume(server, creds_or_session, role_arn, name="setup"):
    """Assumes `role_arn` with long-term credentials (Creds) or a session's; returns the
    session's credentials."""
    if isinstance(creds_or_session, Creds):
        sts = server.client("sts", creds_or_session)
    else:
        sts = server_client_with_token(server, "sts", creds_or_session)
    return sts.assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]


def guarded_member(server, unit_name):
    """An organization with SCPs enabled and a member account in a unit `unit_name` under
    the root, entered by an administrator of the management account through the access
    role; in it a user `worker` with AdministratorAccess, made before any SCP. Returns the
    organization's client, its description, the root, the member's id, the unit, the
    administrator, the role session's IAM client and the worker's credentials."""
    org, made, root = new_organization(server)
    org.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    member = create_account(org, "m@castellan.local")["AccountId"]
    ou = org.create_organizational_unit(ParentId=root["Id"], Name=unit_name)["OrganizationalUnit"]
    org.move_account(AccountId=member, SourceParentId=root["Id"], DestinationParentId=ou["Id"])
    admin = server.new_user("admin", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
    inside = assume(server, admin, f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole")
    member_iam = server_client_with_token(server, "iam", inside)
    member_iam.create_user(UserName="worker")
    member_iam.attach_user_policy(UserName="worker", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    key = member_iam.create_access_key(UserName="worker")["AccessKey"]
    worker = Creds(key["AccessKeyId"], key["SecretAccessKey"], "worker")
    return org, made, root, member, ou, admin, member_iam, worker


def scp_denial_of_worker(member, user_name):
    """AWS's message when an SCP denies the member account's `worker` CreateUser."""
    return (
        f"User: arn:aws:iam::{member}:user/worker is not authorized to perform: iam:CreateUser on resource:"
        f" arn:aws:iam::{member}:user/{user_name} with an explicit deny in a service control policy"
    )


def test_scps_bind_member_accounts_and_not_the_management_account(server):
    org, _, root, member, ou, admin, member_iam, worker = guarded_member(server, "guarded")

    scp = org.create_policy(
        Content=SCP_DENY_CREATE_USER, Description="", Name="NoUsers", Type="SERVICE_CONTROL_POLICY"
    )["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=scp["Id"], TargetId=ou["Id"])

    # The role session and the user of the member account are denied, naming an SCP.
    _, status_message, _ = raises("AccessDenied", member_iam.create_user, UserName="blocked")
    assert status_message == (
        f"User: arn:aws:sts::{member}:assumed-role/OrganizationAccountAccessRole/setup is not authorized to perform:"
        f" iam:CreateUser on resource: arn:aws:iam::{member}:user/blocked with an explicit deny in a service"
        " control policy"
    )
    status, message, _ = raises("AccessDenied", server.iam(worker).create_user, UserName="blocked")
    assert (status, message) == (403, scp_denial_of_worker(member, "blocked"))
    # What the SCP does not deny still works.
    assert server.iam(worker).list_users()["Users"]
    # The management account is not bound by its organization's SCPs.
    server.iam(admin).create_user(UserName="still-allowed")
    # Changes hold on the next request: detached, the member may create users again.
    org.detach_policy(PolicyId=scp["Id"], TargetId=ou["Id"])
    server.iam(worker).create_user(UserName="allowed-again")
    # An SCP on the root binds every member below it as well.
    org.attach_policy(PolicyId=scp["Id"], TargetId=root["Id"])
    raises("AccessDenied", server.iam(worker).create_user, UserName="blocked-from-root")
    server.iam(admin).create_user(UserName="management-unbound")
    # Removing FullAWSAccess from the unit leaves nothing allowed at that level.
    org.detach_policy(PolicyId=scp["Id"], TargetId=root["Id"])
    org.attach_policy(PolicyId=scp["Id"], TargetId=ou["Id"])
    org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou["Id"])
    _, message, _ = raises("AccessDenied", server.iam(worker).list_users)
    assert message.endswith("because no service control policy allows the iam:ListUsers action")
    # Disabling the type lifts every SCP.
    org.disable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    server.iam(worker).create_user(UserName="after-disable")


def test_scps_decide_their_conditions_on_the_organization_keys(server):
    """The callers here have AdministratorAccess, which reads no context key, so only the
    SCPs' conditions need the organization keys: a decision must still build its context
    for them."""
    org, made, root, member, ou, _, member_iam, worker_creds = guarded_member(server, "sandbox")
    org_id = made["Id"]
    worker = server.iam(worker_creds)

    # A deny on the root whose condition holds only for accounts under the sandbox unit.
    in_sandbox = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "iam:CreateUser",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:PrincipalOrgID": org_id},
                    "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{org_id}/*/{ou['Id']}/*"]},
                },
            }
        ],
    }
    scp = org.create_policy(
        Content=json.dumps(in_sandbox), Description="", Name="NoUsersInSandbox", Type="SERVICE_CONTROL_POLICY"
    )["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=scp["Id"], TargetId=root["Id"])
    _, message, _ = raises("AccessDenied", worker.create_user, UserName="blocked")
    assert message == scp_denial_of_worker(member, "blocked")
    _, message, _ = raises("AccessDenied", member_iam.create_user, UserName="blocked")
    assert message.endswith("with an explicit deny in a service control policy"), message
    # Out of the unit, the condition no longer holds.
    org.move_account(AccountId=member, SourceParentId=ou["Id"], DestinationParentId=root["Id"])
    worker.create_user(UserName="outside-the-sandbox")

    # An allow that holds only with the organization's id, in place of FullAWSAccess.
    org.detach_policy(PolicyId=scp["Id"], TargetId=root["Id"])
    in_org = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}},
            }
        ],
    }
    allow_in_org = org.create_policy(
        Content=json.dumps(in_org), Description="", Name="AllowInOrg", Type="SERVICE_CONTROL_POLICY"
    )["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=allow_in_org["Id"], TargetId=member)
    org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=member)
    assert worker.list_users()["Users"]
    # The same allow naming another organization allows nothing.
    org.update_policy(PolicyId=allow_in_org["Id"], Content=json.dumps(in_org).replace(org_id, "o-aaaaaaaaaa"))
    _, message, _ = raises("AccessDenied", worker.list_users)
    assert message.endswith("because no service control policy allows the iam:ListUsers action"), message


def test_org_context_keys_and_rcps(server):
    org, made, root = new_organization(server)
    org_id = made["Id"]
    member = create_account(org, "m@castellan.local")["AccountId"]
    outsider = create_account(org, "out@castellan.local", "outsider")["AccountId"]
    admin = server.new_user("admin", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])

    def admin_of(account):
        """An administrator user of `account`, made through its access role."""
        session = assume(server, admin, f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole")
        iam = server_client_with_token(server, "iam", session)
        iam.create_user(UserName="local-admin")
        iam.attach_user_policy(UserName="local-admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        key = iam.create_access_key(UserName="local-admin")["AccessKey"]
        return iam, Creds(key["AccessKeyId"], key["SecretAccessKey"], "local-admin")

    member_iam, member_admin = admin_of(member)
    _, outsider_admin = admin_of(outsider)
    org.remove_account_from_organization(AccountId=outsider)

    # aws:PrincipalOrgID in a trust policy admits members only.
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{member}:root", f"arn:aws:iam::{outsider}:root"]},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}},
            }
        ],
    }
    server.iam(admin).create_role(RoleName="org-only", AssumeRolePolicyDocument=json.dumps(trust))
    org_only = f"arn:aws:iam::{ACCOUNT_ID}:role/org-only"
    assume(server, member_admin, org_only)
    raises("AccessDenied", assume, server, outsider_admin, org_only)

    # aws:PrincipalOrgPaths names the path down to the account's parent.
    ou = org.create_organizational_unit(ParentId=root["Id"], Name="paths")["OrganizationalUnit"]
    org.move_account(AccountId=member, SourceParentId=root["Id"], DestinationParentId=ou["Id"])
    path = f"{org_id}/{root['Id']}/{ou['Id']}/"
    trust["Statement"][0]["Condition"] = {"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": [path]}}
    server.iam(admin).update_assume_role_policy(RoleName="org-only", PolicyDocument=json.dumps(trust))
    assume(server, member_admin, org_only)

    # An RCP on the member account keeps principals outside the organization out of its roles.
    org.enable_policy_type(RootId=root["Id"], PolicyType="RESOURCE_CONTROL_POLICY")
    rcp = org.create_policy(
        Content=RCP_DENY_OUTSIDE.replace("o-abcdefghij", org_id),
        Description="",
        Name="OrgOnly",
        Type="RESOURCE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=rcp["Id"], TargetId=member)
    open_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT_ID}:root", f"arn:aws:iam::{outsider}:root"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    member_iam.create_role(RoleName="shared", AssumeRolePolicyDocument=json.dumps(open_trust))
    shared = f"arn:aws:iam::{member}:role/shared"
    assume(server, admin, shared)
    _, message, _ = raises("AccessDenied", assume, server, outsider_admin, shared)
    assert message.endswith("with an explicit deny in a resource control policy"), message
