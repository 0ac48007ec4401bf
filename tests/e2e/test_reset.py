"""The test-suite mode's reset (`POST /_castellan/reset` on `castellan serve --ephemeral`), as
test suites use it: often, from parallel workers, with credentials issued before it."""

from __future__ import annotations

import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, allow, boto_session, error_of


def post_reset(endpoint: str) -> tuple[int, str]:
    request = urllib.request.Request(f"{endpoint}/_castellan/reset", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_finding_9_parallel_resets_all_succeed_and_leave_the_first_state(_sqlite_ephemeral):
    server = _sqlite_ephemeral
    server.reset()
    server.iam().create_user(UserName="before")
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: post_reset(server.endpoint), range(32)))
    assert [status for status, _ in answers] == [200] * 32, answers
    # The first state: the root account with its keys, and nothing else.
    assert server.iam().list_users()["Users"] == []
    assert server.sts().get_caller_identity()["Account"] == ACCOUNT_ID


def test_finding_9_session_tokens_issued_before_a_reset_are_invalid_after_it(_sqlite_ephemeral):
    server = _sqlite_ephemeral
    server.reset()
    server.iam().create_role(
        RoleName="worker",
        AssumeRolePolicyDocument=(
            '{"Version":"2012-10-17","Statement":{"Effect":"Allow",'
            f'"Principal":{{"AWS":"arn:aws:iam::{ACCOUNT_ID}:root"}},"Action":"sts:AssumeRole"}}}}'
        ),
    )
    alice = server.new_user("alice", policy=allow("sts:AssumeRole"))
    credentials = server.sts(alice).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/worker", RoleSessionName="before-reset"
    )["Credentials"]

    def caller():
        return boto_session().client(
            "sts",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        ).get_caller_identity()

    assert caller()["Arn"].endswith(":assumed-role/worker/before-reset")
    server.reset()
    # The same names again: a role and a user that look like the old ones are not them.
    server.iam().create_role(
        RoleName="worker",
        AssumeRolePolicyDocument=(
            '{"Version":"2012-10-17","Statement":{"Effect":"Allow",'
            f'"Principal":{{"AWS":"arn:aws:iam::{ACCOUNT_ID}:root"}},"Action":"sts:AssumeRole"}}}}'
        ),
    )
    with pytest.raises(ClientError) as excinfo:
        caller()
    assert error_of(excinfo)[0] == "InvalidClientTokenId"
