"""The credential report (GenerateCredentialReport, GetCredentialReport) with boto3 and the aws
CLI: the CSV parsed and checked against what the test did to each user."""

import base64
import csv
import io
import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, Creds, allow, error_of, user_arn
from test_console import raw_sign_in
from test_mfa import create as create_mfa_device
from test_user_credentials import certificate

COLUMNS = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
]


def report_rows(iam) -> tuple[list[str], dict[str, dict[str, str]]]:
    answer = iam.get_credential_report()
    assert answer["ReportFormat"] == "text/csv"
    assert answer["GeneratedTime"]
    reader = csv.reader(io.StringIO(answer["Content"].decode("utf-8")))
    header = next(reader)
    return header, {row[0]: dict(zip(header, row)) for row in reader}


def iso(moment) -> str:
    """A datetime botocore parsed, as the report writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def test_report_of_what_the_test_did(server):
    iam = server.iam()
    with pytest.raises(ClientError) as e:
        iam.get_credential_report()
    assert error_of(e) == ("ReportNotPresent", 410, "Unknown")

    # plain: nothing but a user. keys: two keys, the first used to sign, the second
    # inactive; a signing certificate. console: a password used to sign in, an MFA device.
    created = {}
    for name in ("plain", "keys", "console,ops"):
        created[name] = iam.create_user(UserName=name)["User"]["CreateDate"]
    iam.update_account_password_policy(MaxPasswordAge=30)
    iam.put_user_policy(UserName="keys", PolicyName="p", PolicyDocument=json.dumps(allow("iam:GetUser")))
    first = iam.create_access_key(UserName="keys")["AccessKey"]
    # Key 1 is the older key; creation times are whole seconds.
    time.sleep(1.1)
    second = iam.create_access_key(UserName="keys")["AccessKey"]
    iam.update_access_key(UserName="keys", AccessKeyId=second["AccessKeyId"], Status="Inactive")
    server.iam(Creds(first["AccessKeyId"], first["SecretAccessKey"], "keys")).get_user()
    cert = iam.upload_signing_certificate(UserName="keys", CertificateBody=certificate())["Certificate"]
    profile = iam.create_login_profile(UserName="console,ops", Password="Console-Password-1")["LoginProfile"]
    status, _ = raw_sign_in(server, "e" * 32, ACCOUNT_ID, "console,ops", "Console-Password-1")
    assert status in (302, 303)
    create_mfa_device(iam, "console").enable(iam, "console,ops")

    generated = iam.generate_credential_report()
    assert generated == {
        "State": "STARTED",
        "Description": "No report exists. Starting a new report generation task",
        "ResponseMetadata": generated["ResponseMetadata"],
    }
    # Within four hours the same report answers, complete.
    again = iam.generate_credential_report()
    assert again["State"] == "COMPLETE" and "Description" not in again

    header, rows = report_rows(iam)
    assert header == COLUMNS
    assert list(rows) == ["<root_account>", "console,ops", "keys", "plain"]
    root = rows["<root_account>"]
    assert root["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert root["password_enabled"] == root["password_last_changed"] == root["password_next_rotation"] == "not_supported"
    assert root["access_key_1_active"] == "true"
    # The suite's root key signed every call above (its last service is whichever signed
    # within the last minute: uses are noted once a minute, and earlier tests share the key).
    assert root["access_key_1_last_used_date"] != "N/A"
    assert root["access_key_1_last_used_service"] in ("iam", "sts", "organizations")

    plain = rows["plain"]
    assert plain["arn"] == user_arn("plain")
    assert plain["user_creation_time"] == iso(created["plain"])
    assert [plain[c] for c in COLUMNS[3:]] == [
        "false", "N/A", "N/A", "N/A", "false",
        "false", "N/A", "N/A", "N/A", "N/A",
        "false", "N/A", "N/A", "N/A", "N/A",
        "false", "N/A", "false", "N/A",
    ]  # fmt: skip

    keys = rows["keys"]
    listed = {k["AccessKeyId"]: k for k in iam.list_access_keys(UserName="keys")["AccessKeyMetadata"]}
    used = iam.get_access_key_last_used(AccessKeyId=first["AccessKeyId"])["AccessKeyLastUsed"]
    assert keys["access_key_1_active"] == "true"
    assert keys["access_key_1_last_rotated"] == iso(listed[first["AccessKeyId"]]["CreateDate"])
    assert keys["access_key_1_last_used_date"] == iso(used["LastUsedDate"])
    assert keys["access_key_1_last_used_region"] == used["Region"]
    assert keys["access_key_1_last_used_service"] == "iam"
    assert keys["access_key_2_active"] == "false"
    assert keys["access_key_2_last_rotated"] == iso(listed[second["AccessKeyId"]]["CreateDate"])
    assert keys["access_key_2_last_used_date"] == "N/A"
    assert keys["cert_1_active"] == "true"
    assert keys["cert_1_last_rotated"] == iso(cert["UploadDate"])
    assert keys["cert_2_active"] == "false" and keys["cert_2_last_rotated"] == "N/A"

    console = rows["console,ops"]
    signed_in = iam.get_user(UserName="console,ops")["User"]["PasswordLastUsed"]
    assert console["password_enabled"] == "true"
    assert console["password_last_used"] == iso(signed_in)
    assert console["password_last_changed"] == iso(profile["CreateDate"])
    assert console["mfa_active"] == "true"
    assert console["access_key_1_active"] == "false"


def test_report_needs_its_permissions_and_the_cli_reads_it(server):
    iam = server.iam()
    reader = server.new_user("reader", policy=allow("iam:GetCredentialReport"))
    with pytest.raises(ClientError) as e:
        server.iam(reader).generate_credential_report()
    assert error_of(e)[:2] == ("AccessDenied", 403)
    iam.generate_credential_report()
    header, rows = report_rows(server.iam(reader))
    assert header == COLUMNS and "reader" in rows
    out = server.aws("iam", "get-credential-report")
    assert out["ReportFormat"] == "text/csv"
    text = base64.b64decode(out["Content"]).decode()
    assert text.splitlines()[0] == ",".join(COLUMNS)
