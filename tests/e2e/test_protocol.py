"""The wire: STS GetCallerIdentity, SigV4 failures, unknown and unbuilt actions, input
validation, and AWS's XML error bodies, seen by boto3, the aws CLI and raw signed requests."""

import re
import urllib.request
from urllib.parse import urlencode

import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, ROOT, Creds, error_of, user_arn


def signed(server, params: dict, creds: Creds = ROOT, service: str = "iam", method: str = "POST"):
    """Sends a Query request signed with botocore's SigV4 signer; returns (status, body)."""
    body = urlencode(params)
    url = server.endpoint + "/"
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if method == "GET":
        url, body, headers = f"{url}?{body}", None, {}
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(Credentials(creds.key_id, creds.secret), service, REGION).add_auth(request)
    prepared = request.prepare()
    response = urllib3.PoolManager().request(
        method, prepared.url, body=prepared.body, headers=dict(prepared.headers), retries=False
    )
    return response.status, response.data.decode()


def xml_field(body: str, name: str) -> str | None:
    match = re.search(rf"<{name}>(.*?)</{name}>", body, re.S)
    return match.group(1) if match else None


def test_health(server):
    with urllib.request.urlopen(f"{server.endpoint}/_castellan/health", timeout=5) as r:
        assert r.status == 200


def test_get_caller_identity_root_and_user(server):
    root = server.sts().get_caller_identity()
    assert root["Account"] == ACCOUNT_ID
    assert root["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert root["UserId"] == ACCOUNT_ID
    alice = server.new_user("alice", path="/people/")
    # No policy needed: GetCallerIdentity is never denied.
    me = server.sts(alice).get_caller_identity()
    assert me["Account"] == ACCOUNT_ID
    assert me["Arn"] == user_arn("alice", "/people/")
    assert me["UserId"] == server.iam().get_user(UserName="alice")["User"]["UserId"]
    cli = server.aws("sts", "get-caller-identity", creds=alice)
    assert cli["Arn"] == me["Arn"] and cli["UserId"] == me["UserId"]


def test_wrong_secret_is_signature_does_not_match(server):
    alice = server.new_user("alice")
    for client in (server.iam(Creds(alice.key_id, "not-the-secret")), server.sts(Creds(alice.key_id, "x"))):
        with pytest.raises(ClientError) as e:
            client.get_caller_identity() if client.meta.service_model.service_name == "sts" else client.list_users()
        code, status, message = error_of(e)
        assert (code, status) == ("SignatureDoesNotMatch", 403)
        assert message.startswith("The request signature we calculated does not match the signature you provided.")
    done = server.aws("iam", "list-users", creds=Creds(ROOT.key_id, "wrong"), check=False)
    assert done.returncode != 0 and "SignatureDoesNotMatch" in done.stderr


def test_unknown_key_is_invalid_client_token_id(server):
    stranger = Creds("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    with pytest.raises(ClientError) as e:
        server.iam(stranger).list_users()
    assert error_of(e) == ("InvalidClientTokenId", 403, "The AWS access key provided does not exist in our records.")
    with pytest.raises(ClientError) as e:
        server.sts(stranger).get_caller_identity()
    assert error_of(e)[:2] == ("InvalidClientTokenId", 403)


# Operations that take no required input, in roughly the order they are likely to be built;
# the test needs at least one of them still unbuilt when it runs.
NOT_YET_CANDIDATES = [
    "list_virtual_mfa_devices",
    "list_saml_providers",
    "list_open_id_connect_providers",
    "list_server_certificates",
    "list_organizations_features",
    "list_signing_certificates",
    "list_ssh_public_keys",
    "list_service_specific_credentials",
    "list_mfa_devices",
    "list_instance_profiles",
    "list_roles",
]


def test_operation_not_built_is_not_implemented(server):
    iam = server.iam()
    unbuilt = []
    for name in NOT_YET_CANDIDATES:
        try:
            getattr(iam, name)()
        except ClientError as e:
            error = e.response["Error"]
            code, status, message = error["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]
            if code == "NoSuchEntity":
                continue  # built (e.g. no credential report yet)
            operation = iam.meta.method_to_api_mapping[name]
            assert (code, status, message) == ("NotImplemented", 501, f"Castellan does not implement {operation} yet.")
            unbuilt.append(name)
    assert unbuilt, "every candidate is built now: add an operation that is not to NOT_YET_CANDIDATES"
    # The aws CLI reports it as an error too.
    command = unbuilt[0].replace("_", "-")
    done = server.aws("iam", command, check=False)
    assert done.returncode != 0 and "NotImplemented" in done.stderr


def test_made_up_action_is_invalid_action(server):
    status, body = signed(server, {"Action": "MakeCoffee", "Version": "2010-05-08"})
    assert status == 400
    assert xml_field(body, "Code") == "InvalidAction"
    assert xml_field(body, "Message") == "Could not find operation MakeCoffee for version 2010-05-08"
    assert "<ErrorResponse" in body and xml_field(body, "RequestId")
    status, body = signed(server, {"Action": "MakeCoffee", "Version": "2011-06-15"}, service="sts")
    assert (status, xml_field(body, "Code")) == (400, "InvalidAction")


def test_missing_action(server):
    status, body = signed(server, {"Version": "2010-05-08"})
    assert (status, xml_field(body, "Code")) == (400, "MissingAction")


def test_signed_get_request_works(server):
    status, body = signed(server, {"Action": "ListUsers", "Version": "2010-05-08"}, method="GET")
    assert status == 200, body
    assert "<ListUsersResponse" in body and "<IsTruncated>false</IsTruncated>" in body


def test_raw_request_error_body_is_aws_shaped(server):
    status, body = signed(server, {"Action": "GetUser", "UserName": "nobody", "Version": "2010-05-08"})
    assert status == 404
    assert xml_field(body, "Type") == "Sender"
    assert xml_field(body, "Code") == "NoSuchEntity"
    assert xml_field(body, "Message") == "The user with name nobody cannot be found."


def test_unsigned_request_is_rejected(server):
    response = urllib3.PoolManager().request(
        "POST",
        server.endpoint + "/",
        body="Action=ListUsers&Version=2010-05-08",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        retries=False,
    )
    assert response.status in (400, 403)
    assert "<ErrorResponse" in response.data.decode()


def test_validation_errors(server):
    iam = server.iam()
    status, body = signed(server, {"Action": "CreateUser", "UserName": "a" * 65, "Version": "2010-05-08"})
    assert (status, xml_field(body, "Code")) == (400, "ValidationError")
    assert "Member must have length less than or equal to 64" in xml_field(body, "Message")
    # A required parameter left out (boto3 would refuse to send it).
    status, body = signed(server, {"Action": "CreateUser", "Version": "2010-05-08"})
    assert (status, xml_field(body, "Code")) == (400, "ValidationError")
    # Characters outside the name pattern.
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="bad name!")
    assert error_of(e)[:2] == ("ValidationError", 400)
    # MaxItems out of range.
    status, body = signed(server, {"Action": "ListUsers", "MaxItems": "0", "Version": "2010-05-08"})
    assert (status, xml_field(body, "Code")) == (400, "ValidationError")
