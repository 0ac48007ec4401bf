"""The secrets sweep, run last (conftest orders it so): every secret any test of the run sent
or received (secret access keys, session tokens, passwords, the root secret and the master
key) is searched for in every server's log, output and audit log, in the SQLite files, in a
dump of every PostgreSQL database and in the PostgreSQL server's log: no hit.

Two places hold a secret by design and are allowed, exactly: `<data-dir>/root-credentials`
(mode 0600) holds the root secret, and on first start the server prints the root secret on
stdout on the line `root secret access key: <secret>`. The master key given with
--master-key is the content of nothing but `<data-dir>/master.key` when written there.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import conftest
from conftest import MASTER_KEY, ROOT_SECRET, RUN_DIR, allow
from secrets_registry import REGISTRY, Allowed, sweep

ALLOWED = [
    Allowed("root-credentials", ROOT_SECRET),
    Allowed("server.stdout", ROOT_SECRET, line_prefix="root secret access key: "),
    Allowed("master.key", MASTER_KEY),
]
# The PostgreSQL server's own log, where scripts/test's throwaway cluster writes it: a
# statement that failed is logged there with its text.
POSTGRES_LOG_ENV = "CASTELLAN_E2E_POSTGRES_LOG"


def test_sweep_finds_planted_secrets(tmp_path):
    # The sweep itself: each form of a secret is found where it is planted, in text and in
    # binary, and an allowed place allows exactly its own line.
    secrets = {"AKIAsecret/with+plus=": "SecretAccessKey (test)", "Pa$$word-123": "Password (test)"}
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "server.log").write_text("x Password=Pa%24%24word-123&y\nsecret=AKIAsecret/with+plus=\n")
    (tmp_path / "a" / "castellan.db").write_bytes(b"\x00\xffPa$$word-123\x00" * 2)
    (tmp_path / "a" / "server.stdout").write_text(
        f"root secret access key: {ROOT_SECRET}\nleaked {ROOT_SECRET}\nroot secret access key: AKIAsecret%2Fwith%2Bplus%3D\n"
    )
    (tmp_path / "a" / "root-credentials").write_text(f"aws_secret_access_key = {ROOT_SECRET}\n")
    (tmp_path / "scratch").mkdir()
    result = sweep([tmp_path / "a"], {**secrets, ROOT_SECRET: "root"}, ALLOWED, tmp_path / "scratch")
    found = sorted((h.path.name, h.offset, h.form) for h in result.hits)
    assert found == [
        ("castellan.db", 2, "as is"),
        ("castellan.db", 17, "as is"),
        ("server.log", 11, "url-encoded"),
        ("server.log", 37, "as is"),
        ("server.stdout", 75, "as is"),
        ("server.stdout", 143, "url-encoded"),
    ], result.hits
    assert result.allowed == 2 and result.files == 4


def test_servers_handle_secrets(durable_server):
    # Material for the sweep even when this module runs alone: every kind of secret, sent to
    # and returned by a server on durable storage (SQLite file or PostgreSQL).
    server = durable_server
    iam = server.iam()
    alice = server.new_user("alice", policy=allow(["iam:ChangePassword", "sts:GetSessionToken", "sts:AssumeRole"]))
    iam.create_login_profile(UserName="alice", Password="Sweep-Password-1!", PasswordResetRequired=False)
    server.iam(alice).change_password(OldPassword="Sweep-Password-1!", NewPassword="Sweep-Password-2!")
    # A wrong old password is refused, and is a secret all the same.
    with pytest.raises(ClientError):
        server.iam(alice).change_password(OldPassword="Sweep-Wrong-Password-3", NewPassword="Sweep-Password-4!")
    server.sts(alice).get_session_token(DurationSeconds=900)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": conftest.ACCOUNT_ID}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="swept", AssumeRolePolicyDocument=json.dumps(trust))
    assumed = server.sts(alice).assume_role(RoleArn=f"arn:aws:iam::{conftest.ACCOUNT_ID}:role/swept", RoleSessionName="sweep")
    assert assumed["Credentials"]["SessionToken"] in REGISTRY.snapshot()
    assert "Sweep-Wrong-Password-3" in REGISTRY.snapshot()
    # A virtual MFA device's seed, answered once, sealed in the database.
    seed = iam.create_virtual_mfa_device(VirtualMFADeviceName="swept")["VirtualMFADevice"]["Base32StringSeed"]
    assert seed.decode("ascii") in REGISTRY.snapshot()
    server.restart()
    server.sts(alice).get_caller_identity()


def test_no_secret_in_logs_databases_or_outputs(tmp_path):
    secrets = REGISTRY.snapshot()
    roots = [RUN_DIR]
    postgres_log = os.environ.get(POSTGRES_LOG_ENV)
    if postgres_log:
        roots.append(Path(postgres_log))
    result = sweep(roots, secrets, ALLOWED, tmp_path)
    kinds = Counter(kind.split(" ", 1)[0] for kind in secrets.values())
    conftest.FIGURES.append(
        f"secrets sweep: {result.secrets} secrets ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}; "
        f"{len(REGISTRY.too_short)} shorter than 6 characters not searched), {result.patterns} patterns, "
        f"{result.files} files, {result.bytes} bytes (logs at {conftest.SERVER_LOG} level), "
        f"{result.allowed} allowed occurrences, {len(result.hits)} hits"
    )
    # The audit logs were swept with the rest, and hold the events of the requests that
    # carried those secrets (test_servers_handle_secrets' at least).
    audit_files = [p for p in RUN_DIR.rglob("audit.log*") if p.is_file()]
    assert audit_files
    events = Counter()
    for path in audit_files:
        for line in path.read_text().splitlines():
            events[json.loads(line)["eventName"]] += 1
    for name in ("CreateLoginProfile", "ChangePassword", "GetSessionToken", "AssumeRole", "CreateVirtualMFADevice"):
        assert events[name] > 0, name
    conftest.FIGURES.append(
        f"audit logs: {len(audit_files)} files, {sum(events.values())} events of {len(events)} operations"
    )
    # The two secrets that exist from the start are always among them.
    assert ROOT_SECRET in secrets and MASTER_KEY in secrets
    assert result.files > 0
    assert not result.hits, "secrets found where none may be:\n" + "\n".join(
        f"  {h.path}: byte {h.offset}: {h.kind}, {h.form}" for h in result.hits[:50]
    )
