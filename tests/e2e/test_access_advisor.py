"""The access advisor with boto3: service last accessed details (service and action level,
with entities) from the requests the test made, and the policies granting each service."""

import json

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, allow, error_of, user_arn
from test_sts import session_client

DEV_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers", "sts:GetCallerIdentity", "sts:AssumeRole"], "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"},
    ],
}


def job(iam, arn: str, granularity: str = "SERVICE_LEVEL") -> dict:
    job_id = iam.generate_service_last_accessed_details(Arn=arn, Granularity=granularity)["JobId"]
    details = iam.get_service_last_accessed_details(JobId=job_id)
    assert details["JobStatus"] == "COMPLETED" and details["JobType"] == granularity
    assert details["JobCompletionDate"] >= details["JobCreationDate"]
    return {"id": job_id, **{s["ServiceNamespace"]: s for s in details["ServicesLastAccessed"]}}


def test_last_accessed_from_real_requests(server):
    iam = server.iam()
    dev = server.new_user("dev", policy=DEV_POLICY)
    iam.create_user(UserName="ops")
    iam.create_group(GroupName="team")
    for name in ("dev", "ops"):
        iam.add_user_to_group(GroupName="team", UserName=name)
    iam.put_group_policy(GroupName="team", PolicyName="roles", PolicyDocument=json.dumps(allow("iam:ListRoles")))
    server.iam(dev).get_user()
    server.iam(dev).list_users()
    server.sts(dev).get_caller_identity()

    services = job(iam, user_arn("dev"), "ACTION_LEVEL")
    assert {"iam", "sts", "s3"} <= set(services)
    assert "ec2" not in services
    used = services["iam"]
    assert used["ServiceName"] == "AWS Identity and Access Management"
    assert used["LastAuthenticatedEntity"] == user_arn("dev")
    assert used["LastAuthenticatedRegion"] == "us-east-1"
    assert used["TotalAuthenticatedEntities"] == 1
    actions = {a["ActionName"]: a for a in used["TrackedActionsLastAccessed"]}
    assert {"GetUser", "ListUsers"} <= set(actions)
    assert actions["GetUser"]["LastAccessedEntity"] == user_arn("dev")
    assert [a["ActionName"] for a in services["sts"]["TrackedActionsLastAccessed"]] == ["GetCallerIdentity"]
    # Allowed and never used: no time.
    assert "LastAuthenticated" not in services["s3"] and "TotalAuthenticatedEntities" not in services["s3"]
    assert "TrackedActionsLastAccessed" not in services["s3"]
    # Service level: no actions.
    assert "TrackedActionsLastAccessed" not in job(iam, user_arn("dev"))["iam"]

    # A group: its own policy's services, and who of its members used them.
    team = job(iam, f"arn:aws:iam::{ACCOUNT_ID}:group/team")
    assert set(team) - {"id"} == {"iam"}
    assert team["iam"]["LastAuthenticatedEntity"] == user_arn("dev")
    entities = iam.get_service_last_accessed_details_with_entities(JobId=team["id"], ServiceNamespace="iam")
    listed = [(e["EntityInfo"]["Name"], e["EntityInfo"]["Type"], "LastAuthenticated" in e) for e in entities["EntityDetailsList"]]
    assert listed == [("dev", "USER", True), ("ops", "USER", False)]

    granting = iam.list_policies_granting_service_access(Arn=user_arn("dev"), ServiceNamespaces=["iam", "s3", "ec2"])
    by_service = {e["ServiceNamespace"]: e["Policies"] for e in granting["PoliciesGrantingServiceAccess"]}
    assert sorted((p["PolicyName"], p["PolicyType"], p["EntityType"], p["EntityName"]) for p in by_service["iam"]) == [
        ("inline", "INLINE", "USER", "dev"),
        ("roles", "INLINE", "GROUP", "team"),
    ]
    assert [p["PolicyName"] for p in by_service["s3"]] == ["inline"]
    assert by_service["ec2"] == []


def test_roles_policies_paging_and_errors(server):
    iam = server.iam()
    dev = server.new_user("dev", policy=DEV_POLICY)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))
    arn = iam.create_policy(PolicyName="read-users", PolicyDocument=json.dumps(allow(["iam:ListUsers", "ec2:Describe*"])))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="reader", PolicyArn=arn)
    credentials = server.sts(dev).assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/reader", RoleSessionName="advisor")["Credentials"]
    session_client(server, "iam", credentials).list_users()

    by_policy = job(iam, arn, "ACTION_LEVEL")
    assert set(by_policy) - {"id"} == {"iam", "ec2"}
    assert by_policy["iam"]["LastAuthenticatedEntity"] == f"arn:aws:iam::{ACCOUNT_ID}:role/reader"
    assert [a["ActionName"] for a in by_policy["iam"]["TrackedActionsLastAccessed"]] == ["ListUsers"]
    assert "LastAuthenticated" not in by_policy["ec2"]

    # Pages of one service each.
    everything = job(iam, user_arn("dev"))
    first = iam.get_service_last_accessed_details(JobId=everything["id"], MaxItems=1)
    assert len(first["ServicesLastAccessed"]) == 1 and first["IsTruncated"]
    rest = iam.get_service_last_accessed_details(JobId=everything["id"], Marker=first["Marker"])
    assert len(first["ServicesLastAccessed"]) + len(rest["ServicesLastAccessed"]) == len(everything) - 1

    with pytest.raises(ClientError) as e:
        iam.get_service_last_accessed_details(JobId="00000000-0000-0000-0000-000000000000")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        iam.generate_service_last_accessed_details(Arn=user_arn("nobody"))
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        server.iam(dev).generate_service_last_accessed_details(Arn=user_arn("dev"))
    assert error_of(e)[:2] == ("AccessDenied", 403)


def test_organizations_access_report(server):
    from test_organizations import create_account, new_organization, server_client_with_token

    org, made, root = new_organization(server)
    ou = org.create_organizational_unit(ParentId=root["Id"], Name="workloads")["OrganizationalUnit"]
    member = create_account(org, "advised@castellan.local", "advised")["AccountId"]
    org.move_account(AccountId=member, SourceParentId=root["Id"], DestinationParentId=ou["Id"])
    admin = server.new_user("admin", policy=allow("sts:AssumeRole"))
    credentials = server.sts(admin).assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="advisor"
    )["Credentials"]
    server_client_with_token(server, "iam", credentials).list_users()
    iam = server.iam()
    path = f"{made['Id']}/{root['Id']}/{ou['Id']}/{member}"

    job_id = iam.generate_organizations_access_report(EntityPath=path)["JobId"]
    report = iam.get_organizations_access_report(JobId=job_id, SortKey="LAST_AUTHENTICATED_TIME_DESCENDING")
    assert report["JobStatus"] == "COMPLETED"
    first = report["AccessDetails"][0]
    assert (first["ServiceNamespace"], first["EntityPath"], first["TotalAuthenticatedEntities"]) == ("iam", path, 1)
    assert first["Region"] == "us-east-1" and first["LastAuthenticatedTime"]
    assert report["NumberOfServicesNotAccessed"] == report["NumberOfServicesAccessible"] - 1
    # The whole organization, through the unit's path, and with an SCP that allows IAM only.
    policy = org.create_policy(
        Name="iam-only",
        Description="",
        Type="SERVICE_CONTROL_POLICY",
        Content=json.dumps(allow("iam:*")),
    )["Policy"]["PolicySummary"]["Id"]
    job_id = iam.generate_organizations_access_report(
        EntityPath=f"{made['Id']}/{root['Id']}/{ou['Id']}", OrganizationsPolicyId=policy
    )["JobId"]
    report = iam.get_organizations_access_report(JobId=job_id)
    assert report["NumberOfServicesAccessible"] == 1
    assert [d["ServiceNamespace"] for d in report["AccessDetails"]] == ["iam"]

    with pytest.raises(ClientError) as e:
        iam.generate_organizations_access_report(EntityPath=f"{made['Id']}/r-nothere")
    assert error_of(e)[:2] == ("InvalidInput", 400)
    member_iam = server_client_with_token(server, "iam", credentials)
    with pytest.raises(ClientError) as e:
        member_iam.generate_organizations_access_report(EntityPath=path)
    assert error_of(e)[:2] == ("AccessDenied", 403)
