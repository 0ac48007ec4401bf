"""STS end to end: applications and developers assume roles (same and cross account) and act
with the temporary credentials; external ids, session policies, boundaries, chaining,
transitive tags and revocation decide what a session may do; GetSessionToken,
GetFederationToken, GetCallerIdentity and GetAccessKeyInfo; and the aws CLI's own role
profiles (role_arn + source_profile) against the server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import (
    ACCOUNT_ID,
    MASTER_KEY,
    REGION,
    SERVER_LOG,
    Creds,
    allow,
    binary,
    error_of,
    session_client,
    user_arn,
)

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def role_arn(name: str, account: str = ACCOUNT_ID, path: str = "/") -> str:
    return f"arn:aws:iam::{account}:role{path}{name}"


def session_arn(role: str, session: str, account: str = ACCOUNT_ID) -> str:
    return f"arn:aws:sts::{account}:assumed-role/{role}/{session}"


def trust(principal: dict, actions=("sts:AssumeRole",), **extra) -> dict:
    statement = dict(Effect="Allow", Principal=principal, Action=list(actions), **extra)
    return {"Version": "2012-10-17", "Statement": [statement]}


def make_role(iam, name: str, trusted: dict, policy: dict | None = None, managed=(), **kwargs) -> dict:
    """Creates a role trusting `trusted` (a Principal map), with an optional inline policy
    and attached managed policies."""
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trusted), **kwargs)["Role"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    for arn in managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    return role


def failure(call, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return error_of(e)


def denied(call, **kwargs) -> str:
    code, status, message = failure(call, **kwargs)
    assert (code, status) == ("AccessDenied", 403), message
    return message


def seconds_ahead(expiration: datetime) -> float:
    return (expiration - datetime.now(timezone.utc)).total_seconds()


def castellan(server, *args: str) -> str:
    """Runs an operator command of the castellan binary on the server's storage (its data
    directory, database and master key) while the server runs; returns its stdout."""
    command = [str(binary()), *args, "--data-dir", str(server.data_dir), "--master-key", MASTER_KEY]
    if server.database_url:
        command += ["--database-url", server.database_url]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASTELLAN_")}
    env["CASTELLAN_LOG"] = SERVER_LOG
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    # Kept beside the server's own output, where the secrets sweep reads it.
    with open(server.data_dir / "commands.out", "a") as out:
        out.write(done.stdout + done.stderr)
    assert done.returncode == 0, f"castellan {' '.join(args)} failed ({done.returncode}): {done.stderr}"
    return done.stdout


def eventually(check, seconds: float = 5.0):
    """Retries `check` until it returns without an AssertionError or ClientError: the
    server picks up changes made by another process when it refreshes its caches (about
    every second)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        # pytest.raises fails with its own exception ("DID NOT RAISE"), not an AssertionError.
        except (AssertionError, ClientError, pytest.fail.Exception):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# An application assumes a role and reads with its credentials.


def test_application_assumes_role_and_reads_with_its_credentials(server):
    iam = server.iam()
    app = server.new_user("app", policy=allow("sts:AssumeRole", role_arn("reader")))
    role = make_role(iam, "reader", trust({"AWS": user_arn("app")}), policy=allow("iam:ListUsers"))

    assumed = server.sts(app).assume_role(RoleArn=role["Arn"], RoleSessionName="nightly-report")
    credentials = assumed["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert credentials["SessionToken"]
    assert assumed["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:nightly-report",
        "Arn": session_arn("reader", "nightly-report"),
    }
    # The default duration is one hour.
    assert 3_500 < seconds_ahead(credentials["Expiration"]) <= 3_600

    as_role = session_client(server, "iam", credentials)
    assert [u["UserName"] for u in as_role.list_users()["Users"]] == ["app"]
    identity = session_client(server, "sts", credentials).get_caller_identity()
    assert identity["Arn"] == session_arn("reader", "nightly-report")
    assert identity["UserId"] == f"{role['RoleId']}:nightly-report"
    assert identity["Account"] == ACCOUNT_ID

    # What the role does not allow is denied, in AWS's words, naming the session.
    assert denied(as_role.create_user, UserName="mallory") == (
        f"User: {session_arn('reader', 'nightly-report')} is not authorized to perform: "
        f"iam:CreateUser on resource: {user_arn('mallory')} because no identity-based policy "
        "allows the iam:CreateUser action"
    )
    # The user's own permissions do not flow into the session.
    denied(as_role.get_user, UserName="app")


def test_assume_role_denied_when_user_policy_or_trust_is_missing_in_same_account(server):
    trusted = server.new_user("trusted")
    make_role(server.iam(), "reader", trust({"AWS": user_arn("trusted")}), managed=[READ_ONLY])
    allowed_elsewhere = server.new_user("outsider", policy=allow("sts:AssumeRole", role_arn("*")))

    # Within one account a trust policy naming the user is enough (as in AWS).
    server.sts(trusted).assume_role(RoleArn=role_arn("reader"), RoleSessionName="s1")
    message = denied(server.sts(allowed_elsewhere).assume_role, RoleArn=role_arn("reader"), RoleSessionName="s1")
    assert message == (
        f"User: {user_arn('outsider')} is not authorized to perform: sts:AssumeRole on resource: "
        f"{role_arn('reader')} because no role trust policy allows the sts:AssumeRole action"
    )
    # An unknown role reads as a plain denial.
    message = denied(server.sts(trusted).assume_role, RoleArn=role_arn("ghost"), RoleSessionName="s1")
    assert message.startswith(
        f"User: {user_arn('trusted')} is not authorized to perform: sts:AssumeRole on resource: {role_arn('ghost')}"
    )


def test_root_cannot_assume_roles(server):
    make_role(server.iam(), "reader", trust({"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}))
    code, status, message = failure(server.sts().assume_role, RoleArn=role_arn("reader"), RoleSessionName="s1")
    assert (code, status, message) == ("AccessDenied", 403, "Roles may not be assumed by root accounts.")


def test_malformed_role_arn_is_a_validation_error(server):
    app = server.new_user("app", policy=allow("sts:AssumeRole"))
    sts = server.sts(app)
    for bad in [
        f"arn:aws:iam::{ACCOUNT_ID}",
        f"arn:aws::{ACCOUNT_ID}:role/x",
        f"arn::iam::{ACCOUNT_ID}:role/x",
        f"arn:aws:::{ACCOUNT_ID}:role/x",
        f"arn:aws:iam::{ACCOUNT_ID}:",
        "nothing-valid-in-here",
    ]:
        assert failure(sts.assume_role, RoleArn=bad, RoleSessionName="s1") == (
            "ValidationError",
            400,
            f"{bad} is invalid",
        ), bad
    # Shorter than the model's 20 characters: the model's own constraint answers first (sent
    # without botocore's parameter checks, which would refuse it before the server sees it).
    unchecked = server.client("sts", app, checked=False)
    assert failure(unchecked.assume_role, RoleArn="role/x", RoleSessionName="s1") == (
        "ValidationError",
        400,
        "1 validation error detected: Value at 'roleArn' failed to satisfy constraint: "
        "Member must have length greater than or equal to 20",
    )
    # A well-formed ARN of something that is not a role reads as a plain denial.
    denied(sts.assume_role, RoleArn=user_arn("app"), RoleSessionName="s1")
    # The aws CLI shows the same.
    bad = f"arn:aws:iam::{ACCOUNT_ID}"
    done = server.aws("sts", "assume-role", "--role-arn", bad, "--role-session-name", "s1", creds=app, check=False)
    assert done.returncode != 0
    assert "(ValidationError)" in done.stderr and f"{bad} is invalid" in done.stderr, done.stderr


# A developer in one account assumes a read-only role in another.


def create_account(server, email: str) -> tuple[str, Creds]:
    out = castellan(server, "account", "create", "--email", email)
    account = re.search(r"^account id:\s+(\d{12})$", out, re.M)
    key_id = re.search(r"^root access key id:\s+(\S+)$", out, re.M)
    secret = re.search(r"^root secret access key:\s+(\S+)$", out, re.M)
    assert account and key_id and secret, out
    return account.group(1), Creds(key_id.group(1), secret.group(1))


def test_developer_assumes_read_only_role_in_another_account(durable_server):
    server = durable_server
    other, other_root = create_account(server, "ops@example.com")
    assert other != ACCOUNT_ID
    # The running server sees the new account's root key once it refreshes its caches.
    other_iam = eventually(lambda: (server.iam(other_root).list_users(), server.iam(other_root))[1])
    assert eventually(lambda: server.sts(other_root).get_caller_identity())["Arn"] == f"arn:aws:iam::{other}:root"

    other_iam.create_user(UserName="billing-bot")
    make_role(other_iam, "ReadOnly", trust({"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}), managed=[READ_ONLY])
    # A role in the other account that trusts nobody in this one.
    make_role(other_iam, "Closed", trust({"AWS": f"arn:aws:iam::{other}:root"}), managed=[READ_ONLY])

    dev = server.new_user("dev", policy=allow("sts:AssumeRole", role_arn("*", account=other)))
    assumed = server.sts(dev).assume_role(RoleArn=role_arn("ReadOnly", other), RoleSessionName="dev")
    credentials = assumed["Credentials"]
    assert assumed["AssumedRoleUser"]["Arn"] == session_arn("ReadOnly", "dev", other)

    # The session acts in the other account: it lists that account's users, not ours.
    as_role = session_client(server, "iam", credentials)
    assert [u["UserName"] for u in as_role.list_users()["Users"]] == ["billing-bot"]
    identity = session_client(server, "sts", credentials).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (other, session_arn("ReadOnly", "dev", other))
    message = denied(as_role.create_user, UserName="intruder")
    assert message.startswith(
        f"User: {session_arn('ReadOnly', 'dev', other)} is not authorized to perform: iam:CreateUser"
    )

    # Without the identity side: a user of the trusted account with no sts:AssumeRole grant.
    stranger = server.new_user("stranger")
    message = denied(server.sts(stranger).assume_role, RoleArn=role_arn("ReadOnly", other), RoleSessionName="s1")
    assert message == (
        f"User: {user_arn('stranger')} is not authorized to perform: sts:AssumeRole on resource: "
        f"{role_arn('ReadOnly', other)} because no identity-based policy allows the sts:AssumeRole action"
    )
    # Without the trust side: the user may, but the role does not trust this account.
    message = denied(server.sts(dev).assume_role, RoleArn=role_arn("Closed", other), RoleSessionName="s1")
    assert message == (
        f"User: {user_arn('dev')} is not authorized to perform: sts:AssumeRole on resource: "
        f"{role_arn('Closed', other)} because no role trust policy allows the sts:AssumeRole action"
    )

    # The other account's key is known to GetAccessKeyInfo, with its own account.
    assert server.sts(dev).get_access_key_info(AccessKeyId=other_root.key_id)["Account"] == other


# External ids, session policies, boundaries.


def test_wrong_external_id_is_refused(server):
    partner = server.new_user("partner", policy=allow("sts:AssumeRole", role_arn("vendor")))
    make_role(
        server.iam(),
        "vendor",
        trust({"AWS": user_arn("partner")}, Condition={"StringEquals": {"sts:ExternalId": "k7-2f9q"}}),
        policy=allow("iam:ListUsers"),
    )
    sts = server.sts(partner)
    expected = (
        f"User: {user_arn('partner')} is not authorized to perform: sts:AssumeRole on resource: "
        f"{role_arn('vendor')} because no role trust policy allows the sts:AssumeRole action"
    )
    assert denied(sts.assume_role, RoleArn=role_arn("vendor"), RoleSessionName="s1", ExternalId="guess") == expected
    assert denied(sts.assume_role, RoleArn=role_arn("vendor"), RoleSessionName="s1") == expected
    credentials = sts.assume_role(RoleArn=role_arn("vendor"), RoleSessionName="s1", ExternalId="k7-2f9q")["Credentials"]
    session_client(server, "iam", credentials).list_users()


def test_session_policy_narrows_the_role(server):
    app = server.new_user("app", policy=allow("sts:AssumeRole", role_arn("admin")))
    make_role(server.iam(), "admin", trust({"AWS": user_arn("app")}), managed=[ADMIN])
    sts = server.sts(app)

    # An inline session policy: only GetUser is left.
    assumed = sts.assume_role(
        RoleArn=role_arn("admin"), RoleSessionName="narrow", Policy=json.dumps(allow("iam:GetUser"))
    )
    assert 0 < assumed["PackedPolicySize"] <= 100
    as_session = session_client(server, "iam", assumed["Credentials"])
    assert as_session.get_user(UserName="app")["User"]["UserName"] == "app"
    assert denied(as_session.list_users) == (
        f"User: {session_arn('admin', 'narrow')} is not authorized to perform: iam:ListUsers on resource: "
        f"arn:aws:iam::{ACCOUNT_ID}:user/ because no session policy allows the iam:ListUsers action"
    )

    # A managed session policy: read-only, though the role is an administrator.
    assumed = sts.assume_role(
        RoleArn=role_arn("admin"), RoleSessionName="reader", PolicyArns=[{"arn": READ_ONLY}]
    )
    as_session = session_client(server, "iam", assumed["Credentials"])
    as_session.list_users()
    message = denied(as_session.create_user, UserName="bob")
    assert message.endswith("because no session policy allows the iam:CreateUser action")

    # Without a session policy the role's full permissions apply.
    full = sts.assume_role(RoleArn=role_arn("admin"), RoleSessionName="full")["Credentials"]
    session_client(server, "iam", full).create_user(UserName="bob")

    # A malformed session policy is refused before anything is issued.
    code, status, _ = failure(sts.assume_role, RoleArn=role_arn("admin"), RoleSessionName="bad", Policy="{not json")
    assert (code, status) == ("MalformedPolicyDocument", 400)


def test_permissions_boundary_caps_the_role(server):
    iam = server.iam()
    app = server.new_user("app", policy=allow("sts:AssumeRole", role_arn("deployer")))
    make_role(iam, "deployer", trust({"AWS": user_arn("app")}), managed=[ADMIN])
    credentials = server.sts(app).assume_role(RoleArn=role_arn("deployer"), RoleSessionName="ci")["Credentials"]
    as_role = session_client(server, "iam", credentials)
    as_role.create_user(UserName="first")

    iam.put_role_permissions_boundary(RoleName="deployer", PermissionsBoundary=READ_ONLY)
    assert iam.get_role(RoleName="deployer")["Role"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": READ_ONLY,
    }
    # The boundary is in force on the session's very next request.
    assert sorted(u["UserName"] for u in as_role.list_users()["Users"]) == ["app", "first"]
    assert denied(as_role.create_user, UserName="second") == (
        f"User: {session_arn('deployer', 'ci')} is not authorized to perform: iam:CreateUser on resource: "
        f"{user_arn('second')} because no permissions boundary allows the iam:CreateUser action"
    )
    # A new session is capped too.
    fresh = server.sts(app).assume_role(RoleArn=role_arn("deployer"), RoleSessionName="ci2")["Credentials"]
    denied(session_client(server, "iam", fresh).create_user, UserName="second")

    iam.delete_role_permissions_boundary(RoleName="deployer")
    as_role.create_user(UserName="second")


# Chaining: the one-hour limit and transitive tags.


def chain_roles(server, first_trust_actions=("sts:AssumeRole",), second_policy=None):
    """app → first → second: the user may assume `first`, `first` may assume `second`."""
    iam = server.iam()
    app = server.new_user("app", policy=allow("sts:AssumeRole", role_arn("first")))
    make_role(
        iam,
        "first",
        trust({"AWS": user_arn("app")}, actions=first_trust_actions),
        policy=allow("sts:AssumeRole", role_arn("second")),
    )
    make_role(
        iam,
        "second",
        trust({"AWS": role_arn("first")}, actions=("sts:AssumeRole", "sts:TagSession")),
        policy=second_policy,
        MaxSessionDuration=43_200,
    )
    return app


def test_role_chaining_beyond_one_hour_is_refused(server):
    app = chain_roles(server, second_policy=allow("iam:ListUsers"))
    # The role allows twelve hours to a user...
    first = server.sts(app).assume_role(RoleArn=role_arn("first"), RoleSessionName="hop1")["Credentials"]
    as_first = session_client(server, "sts", first)

    # ...but a chained session is capped at one hour, with AWS's message.
    code, status, message = failure(
        as_first.assume_role, RoleArn=role_arn("second"), RoleSessionName="hop2", DurationSeconds=3_601
    )
    assert (code, status) == ("ValidationError", 400)
    assert message == (
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    )
    second = as_first.assume_role(RoleArn=role_arn("second"), RoleSessionName="hop2", DurationSeconds=3_600)
    assert second["AssumedRoleUser"]["Arn"] == session_arn("second", "hop2")
    session_client(server, "iam", second["Credentials"]).list_users()


def test_transitive_session_tags_flow_along_a_chain(server):
    # The second role lets only sessions tagged team=red list users.
    tagged_only = allow("iam:ListUsers", Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}})
    app = chain_roles(server, first_trust_actions=("sts:AssumeRole", "sts:TagSession"), second_policy=tagged_only)
    sts = server.sts(app)

    def second_session(**tagging) -> dict:
        first = sts.assume_role(
            RoleArn=role_arn("first"), RoleSessionName="hop1", Tags=[{"Key": "team", "Value": "red"}], **tagging
        )["Credentials"]
        return session_client(server, "sts", first).assume_role(RoleArn=role_arn("second"), RoleSessionName="hop2")[
            "Credentials"
        ]

    # Transitive: the tag reaches the second session, and its policy's condition matches.
    credentials = second_session(TransitiveTagKeys=["team"])
    session_client(server, "iam", credentials).list_users()

    # Not transitive: the tag stays on the first session, so the second is denied.
    credentials = second_session()
    message = denied(session_client(server, "iam", credentials).list_users)
    assert message.endswith("because no identity-based policy allows the iam:ListUsers action")

    # Tagging a session needs sts:TagSession: without it in the first role's trust policy,
    # the tagged request is refused.
    server.iam().update_assume_role_policy(RoleName="first", PolicyDocument=json.dumps(trust({"AWS": user_arn("app")})))
    code, _, message = failure(
        sts.assume_role, RoleArn=role_arn("first"), RoleSessionName="hop1", Tags=[{"Key": "team", "Value": "red"}]
    )
    assert code == "AccessDenied"
    assert message.startswith(
        f"User: {user_arn('app')} is not authorized to perform: sts:TagSession on resource: {role_arn('first')}"
    )
    sts.assume_role(RoleArn=role_arn("first"), RoleSessionName="untagged")


# Revocation and expiry.


def test_revoked_sessions_stop(durable_server):
    server = durable_server
    app = server.new_user("app", policy=allow("sts:AssumeRole", role_arn("reader")))
    make_role(server.iam(), "reader", trust({"AWS": user_arn("app")}), policy=allow("iam:ListUsers"))
    old = session_client(
        server, "iam", server.sts(app).assume_role(RoleArn=role_arn("reader"), RoleSessionName="old")["Credentials"]
    )
    old.list_users()
    # Revocation denies sessions issued before the current second (aws:TokenIssueTime is
    # compared in whole seconds, as AWS does): let that second pass first.
    time.sleep(1.1)

    out = castellan(server, "role", "revoke-sessions", "--account-id", ACCOUNT_ID, "--role-name", "reader")
    assert "AWSRevokeOlderSessions" in out

    def refused():
        message = denied(old.list_users)
        assert message == (
            f"User: {session_arn('reader', 'old')} is not authorized to perform: iam:ListUsers on resource: "
            f"arn:aws:iam::{ACCOUNT_ID}:user/ with an explicit deny in an identity-based policy"
        )

    eventually(refused)
    assert "AWSRevokeOlderSessions" in server.iam().list_role_policies(RoleName="reader")["PolicyNames"]
    # A session issued after the revocation works.
    new = session_client(
        server, "iam", server.sts(app).assume_role(RoleArn=role_arn("reader"), RoleSessionName="new")["Credentials"]
    )
    assert [u["UserName"] for u in new.list_users()["Users"]] == ["app"]


def test_session_duration_and_expiration(server):
    app = server.new_user("app", policy=allow("sts:AssumeRole", role_arn("*")))
    make_role(server.iam(), "short", trust({"AWS": user_arn("app")}), policy=allow("iam:ListUsers"))
    sts = server.sts(app)
    # Refusing an expired session cannot be shown here without waiting 15 minutes: the
    # server has no way to move its clock. This checks the expiration it issues; the
    # refusal itself is covered by crates/service/tests/sts.rs with an injected clock.
    credentials = sts.assume_role(RoleArn=role_arn("short"), RoleSessionName="s1", DurationSeconds=900)["Credentials"]
    assert 840 < seconds_ahead(credentials["Expiration"]) <= 900
    session_client(server, "iam", credentials).list_users()

    # Longer than the role's maximum (one hour by default).
    code, status, message = failure(
        sts.assume_role, RoleArn=role_arn("short"), RoleSessionName="s1", DurationSeconds=3_601
    )
    assert (code, status, message) == (
        "ValidationError",
        400,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    server.iam().update_role(RoleName="short", MaxSessionDuration=7_200)
    credentials = sts.assume_role(RoleArn=role_arn("short"), RoleSessionName="s1", DurationSeconds=7_200)["Credentials"]
    assert 7_140 < seconds_ahead(credentials["Expiration"]) <= 7_200


def test_tampered_session_token_is_refused(server):
    app = server.new_user("app", policy=allow("sts:AssumeRole", role_arn("reader")))
    make_role(server.iam(), "reader", trust({"AWS": user_arn("app")}), policy=allow("iam:ListUsers"))
    credentials = server.sts(app).assume_role(RoleArn=role_arn("reader"), RoleSessionName="s1")["Credentials"]
    token = credentials["SessionToken"]
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    for bad in (
        dict(credentials, SessionToken=flipped),
        # The token of one session with the key of another: refused too.
        dict(credentials, AccessKeyId="ASIA" + "Z" * 16),
    ):
        code, status, message = failure(session_client(server, "iam", bad).list_users)
        assert (code, status) == ("InvalidClientTokenId", 403), message


def test_session_of_a_deleted_role_is_refused(server):
    app = server.new_user("app", policy=allow("sts:AssumeRole", role_arn("temp")))
    make_role(server.iam(), "temp", trust({"AWS": user_arn("app")}), policy=allow("iam:ListUsers"))
    credentials = server.sts(app).assume_role(RoleArn=role_arn("temp"), RoleSessionName="s1")["Credentials"]
    server.iam().delete_role_policy(RoleName="temp", PolicyName="inline")
    server.iam().delete_role(RoleName="temp")
    as_iam, as_sts = session_client(server, "iam", credentials), session_client(server, "sts", credentials)
    for call in (as_iam.list_users, as_sts.get_caller_identity):
        code, status, message = failure(call)
        # The token no longer names anyone: refused like any unusable token.
        assert (code, status) == ("InvalidClientTokenId", 403), message


# GetSessionToken, GetFederationToken, GetCallerIdentity, GetAccessKeyInfo.


def test_session_token_credentials_cannot_call_iam(server):
    alice = server.new_user("alice", managed=[ADMIN])
    issued = server.sts(alice).get_session_token(DurationSeconds=900)["Credentials"]
    assert issued["AccessKeyId"].startswith("ASIA")
    assert 840 < seconds_ahead(issued["Expiration"]) <= 900

    # An administrator, but temporary credentials without MFA may not call IAM.
    message = denied(session_client(server, "iam", issued).list_users)
    assert message.startswith(f"User: {user_arn('alice')} is not authorized to perform: iam:ListUsers")
    # GetCallerIdentity still answers, with the user's own ARN.
    identity = session_client(server, "sts", issued).get_caller_identity()
    assert identity["Arn"] == user_arn("alice")
    assert identity["Account"] == ACCOUNT_ID
    # No GetSessionToken from session credentials.
    denied(session_client(server, "sts", issued).get_session_token)


def test_federation_token_gives_federated_user_without_iam(server):
    alice = server.new_user("alice", managed=[ADMIN])
    issued = server.sts(alice).get_federation_token(Name="bob", Policy=json.dumps(allow("*")), DurationSeconds=900)
    assert issued["FederatedUser"] == {
        "FederatedUserId": f"{ACCOUNT_ID}:bob",
        "Arn": f"arn:aws:sts::{ACCOUNT_ID}:federated-user/bob",
    }
    credentials = issued["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert 840 < seconds_ahead(credentials["Expiration"]) <= 900
    identity = session_client(server, "sts", credentials).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/bob"
    assert identity["Account"] == ACCOUNT_ID
    # Even with a policy allowing everything, federated users may not call IAM.
    message = denied(session_client(server, "iam", credentials).list_users)
    assert message.startswith(f"User: arn:aws:sts::{ACCOUNT_ID}:federated-user/bob is not authorized")

    # The caller needs sts:GetFederationToken.
    carol = server.new_user("carol")
    message = denied(server.sts(carol).get_federation_token, Name="dave")
    assert message == (
        f"User: {user_arn('carol')} is not authorized to perform: sts:GetFederationToken on resource: "
        f"arn:aws:sts::{ACCOUNT_ID}:federated-user/dave because no identity-based policy allows the "
        "sts:GetFederationToken action"
    )


def test_caller_identity_and_access_key_info(server):
    # GetCallerIdentity needs no permission.
    nobody = server.new_user("nobody", path="/staff/")
    identity = server.sts(nobody).get_caller_identity()
    assert identity["Arn"] == user_arn("nobody", "/staff/")
    assert identity["UserId"] == server.iam().get_user(UserName="nobody")["User"]["UserId"]
    assert server.sts().get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"

    assert server.sts(nobody).get_access_key_info(AccessKeyId=nobody.key_id)["Account"] == ACCOUNT_ID
    code, status, _ = failure(server.sts(nobody).get_access_key_info, AccessKeyId="AKIAUNKNOWNUNKNOWN00")
    assert status == 400, code
    # Temporary (ASIA) key ids name their account too, as AWS documents.
    temporary = server.sts(nobody).get_session_token()["Credentials"]["AccessKeyId"]
    assert temporary.startswith("ASIA")
    assert server.sts(nobody).get_access_key_info(AccessKeyId=temporary)["Account"] == ACCOUNT_ID


# The aws CLI's own role profiles.


def run_aws(config: Path, credentials: Path, *args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """The aws CLI reading only the given config and credentials files (no key in the
    environment, no endpoint on the command line: the profiles carry it)."""
    aws = Path(sys.executable).parent / "aws"
    command = [str(aws)] if aws.exists() else ["aws"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("CASTELLAN_")}
    env.update(
        # The CLI caches assumed-role credentials under ~/.aws/cli/cache: a home of the
        # test's own, so no credentials of an earlier run (another server) are reused.
        HOME=str(config.parent),
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        AWS_MAX_ATTEMPTS="1",
        AWS_RETRY_MODE="standard",
        **(extra_env or {}),
    )
    return subprocess.run(
        command + list(args) + ["--output", "json"], env=env, capture_output=True, text=True, timeout=120
    )


def test_aws_cli_role_profile(server, tmp_path):
    dev = server.new_user("dev", policy=allow("sts:AssumeRole", role_arn("reader")))
    make_role(server.iam(), "reader", trust({"AWS": user_arn("dev")}), managed=[READ_ONLY])
    config = tmp_path / "config"
    config.write_text(
        f"[profile dev]\nregion = {REGION}\nendpoint_url = {server.endpoint}\n\n"
        f"[profile reader]\nrole_arn = {role_arn('reader')}\nsource_profile = dev\n"
        f"role_session_name = cli-reader\nregion = {REGION}\nendpoint_url = {server.endpoint}\n"
    )
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[dev]\naws_access_key_id = {dev.key_id}\naws_secret_access_key = {dev.secret}\n")

    done = run_aws(config, credentials, "--profile", "dev", "sts", "get-caller-identity")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Arn"] == user_arn("dev")

    done = run_aws(config, credentials, "--profile", "reader", "sts", "get-caller-identity")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Arn"] == session_arn("reader", "cli-reader")

    done = run_aws(config, credentials, "--profile", "reader", "iam", "list-users")
    assert done.returncode == 0, done.stderr
    assert [u["UserName"] for u in json.loads(done.stdout)["Users"]] == ["dev"]

    done = run_aws(config, credentials, "--profile", "reader", "iam", "create-user", "--user-name", "x")
    assert done.returncode != 0
    assert "AccessDenied" in done.stderr
    assert f"User: {session_arn('reader', 'cli-reader')} is not authorized to perform: iam:CreateUser" in done.stderr

    # Temporary credentials from the environment (AWS_SESSION_TOKEN) work with the CLI too.
    done = run_aws(
        config, credentials, "--profile", "dev", "sts", "assume-role",
        "--role-arn", role_arn("reader"), "--role-session-name", "env",
    )
    assert done.returncode == 0, done.stderr
    issued = json.loads(done.stdout)["Credentials"]
    done = run_aws(
        config,
        credentials,
        "iam",
        "list-users",
        "--endpoint-url",
        server.endpoint,
        extra_env=dict(
            AWS_ACCESS_KEY_ID=issued["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=issued["SecretAccessKey"],
            AWS_SESSION_TOKEN=issued["SessionToken"],
            AWS_DEFAULT_REGION=REGION,
        ),
    )
    assert done.returncode == 0, done.stderr
    assert [u["UserName"] for u in json.loads(done.stdout)["Users"]] == ["dev"]
