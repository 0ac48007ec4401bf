"""The audit log: CloudTrail-shaped records of every authenticated request and console
sign-in, read back with `castellan audit query`; a change whose record cannot be written is
not applied."""

import json
import subprocess
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, allow, binary, durable, error_of, user_arn
from test_console import raw_sign_in


def query(server, *filters: str) -> list[dict]:
    """`castellan audit query` over the server's log."""
    done = subprocess.run(
        [str(binary()), "audit", "query", "--file", str(server.data_dir / "audit.log"), *filters],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def eventually(server, *filters: str, count: int = 1) -> list[dict]:
    """Reads reach the file within a second; changes at once."""
    deadline = time.monotonic() + 5
    while True:
        found = query(server, *filters)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_requests_and_sign_ins_are_recorded(server):
    iam = server.iam()
    name = f"audited-{uuid.uuid4().hex[:8]}"
    password = f"Audit-{uuid.uuid4().hex}"
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=password)
    limited = server.new_user(f"limited-{uuid.uuid4().hex[:8]}", policy=allow("iam:GetUser"))
    with pytest.raises(ClientError) as e:
        server.iam(limited).create_user(UserName="not-allowed")
    assert error_of(e)[0] == "AccessDenied"
    server.sts(limited).get_caller_identity()
    status, _ = raw_sign_in(server, "d" * 32, ACCOUNT_ID, name, "Wrong-" + password)
    assert status == 200
    status, _ = raw_sign_in(server, "d" * 32, ACCOUNT_ID, name, password)
    assert status in (302, 303)

    created = query(server, "--action", "iam:CreateUser", "--outcome", "success", "--since", "10m")
    mine = [r for r in created if r["requestParameters"] == {"userName": name}]
    assert len(mine) == 1
    record = mine[0]
    assert record["eventSource"] == "iam.amazonaws.com"
    assert record["eventName"] == "CreateUser"
    assert record["readOnly"] is False
    assert record["recipientAccountId"] == ACCOUNT_ID
    assert record["userIdentity"]["type"] == "Root"
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert "Boto3" in record["userAgent"] or "botocore" in record["userAgent"]
    assert record["requestID"] and record["eventID"] and record["eventTime"].endswith("Z")

    # The password is a parameter AWS's records leave out too.
    profile = query(server, "--action", "CreateLoginProfile", "--since", "10m")
    profile = [r for r in profile if r["requestParameters"].get("userName") == name]
    assert len(profile) == 1 and "password" not in json.dumps(profile[0]["requestParameters"]).lower()

    denied = query(server, "--principal", limited.user, "--outcome", "AccessDenied")
    assert [r["eventName"] for r in denied] == ["CreateUser"]
    assert denied[0]["userIdentity"]["arn"] == user_arn(limited.user)
    assert denied[0]["userIdentity"]["accessKeyId"] == limited.key_id
    assert denied[0]["errorMessage"].startswith("User: ")

    reads = eventually(server, "--principal", limited.user, "--action", "sts:GetCallerIdentity")
    assert len(reads) == 1 and reads[0]["readOnly"] is True and "errorCode" not in reads[0]

    sign_ins = query(server, "--action", "ConsoleLogin", "--since", "10m")
    outcomes = [(r["responseElements"]["ConsoleLogin"], r["userIdentity"].get("userName")) for r in sign_ins[-2:]]
    # A refused sign-in names no one: the name typed may be a password.
    assert outcomes == [("Failure", "HIDDEN_DUE_TO_SECURITY_REASONS"), ("Success", name)]
    assert sign_ins[-2]["errorMessage"] == "Failed authentication"

    log = (server.data_dir / "audit.log").read_text()
    assert password not in log and limited.secret not in log


@pytest.mark.parametrize("fail_open", [False, True])
def test_a_change_whose_record_cannot_be_written(backend, fail_open):
    def unwritable(server):
        # Every write to /dev/full fails (ENOSPC), as on a full disk.
        server.extra_args += ["--audit-log", "/dev/full"] + (["--audit-fail-open"] if fail_open else [])

    with durable(backend, f"{backend}-audit-full-{fail_open}", prepare=unwritable) as server:
        iam = server.iam()
        iam.list_users()
        if fail_open:
            iam.create_user(UserName="applied")
            assert iam.get_user(UserName="applied")["User"]["UserName"] == "applied"
            return
        with pytest.raises(ClientError) as e:
            iam.create_user(UserName="refused")
        code, status, message = error_of(e)
        assert (code, status) == ("ServiceUnavailable", 503)
        assert "audit log" in message
        # Nothing was applied; reads still answer.
        with pytest.raises(ClientError) as e:
            iam.get_user(UserName="refused")
        assert error_of(e)[0] == "NoSuchEntity"
