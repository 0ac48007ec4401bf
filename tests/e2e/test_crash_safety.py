"""Crash safety on both backends: `kill -9` while 64 clients write concurrently, then a restart
on the same storage (a SQLite data directory, or a PostgreSQL database), three rounds on the
same state. After each restart every acknowledged write is there, and no change is half
applied: no user without the tag it was created with, no access key without its user, no
attachment without its policy or principal, no group membership without its group or user,
no inline policy without its principal, no managed policy without its default version (nor a
default moved to a version that is not there). Checked through the API and, underneath it,
with SQL on the database itself.

Two scripts of writes: `entities` (groups, managed policies with a second default version,
roles with attachments, users with keys, inline and attached policies and memberships) and
`tagged` (users, roles and policies created with tags, each one write). The figures (rounds,
writes acknowledged, in flight, lost, half applied) are printed at the end of the run.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

import conftest
from conftest import ACCOUNT_ID, REGION, Creds, allow, boto_session

ROUNDS = 3
WRITERS = 64
# The most users one writer creates in a round (each with five writes): the bound of its loop,
# far above what it reaches before the kill.
USERS_PER_WRITER = 60
# The kill comes once this many writes are acknowledged in the round (a different point in
# each round), or after KILL_DEADLINE seconds, whichever is first.
KILL_AFTER = (150, 450, 900)
KILL_DEADLINE = 90.0
AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"
# In the names of what the `tagged` script creates.
TAGGED = "-tagged"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID}, "Action": "sts:AssumeRole"}],
}

# Half-applied changes, as SQL over the store's tables (the same text on both backends): each
# query returns the rows that should not exist.
ORPHANS = {
    "access key without its user": (
        "SELECT access_key_id FROM access_keys WHERE user_id IS NOT NULL AND user_id NOT IN (SELECT user_id FROM users)"
    ),
    "group membership without its group": (
        "SELECT group_id FROM group_members WHERE group_id NOT IN (SELECT group_id FROM iam_groups)"
    ),
    "group membership without its user": (
        "SELECT user_id FROM group_members WHERE user_id NOT IN (SELECT user_id FROM users)"
    ),
    "attachment without its user": (
        "SELECT principal_id FROM attachments WHERE principal_kind = 'user' "
        "AND principal_id NOT IN (SELECT user_id FROM users)"
    ),
    "attachment without its group": (
        "SELECT principal_id FROM attachments WHERE principal_kind = 'group' "
        "AND principal_id NOT IN (SELECT group_id FROM iam_groups)"
    ),
    "attachment without its role": (
        "SELECT principal_id FROM attachments WHERE principal_kind = 'role' "
        "AND principal_id NOT IN (SELECT role_id FROM roles)"
    ),
    "attachment without its policy": (
        f"SELECT policy_arn FROM attachments WHERE policy_arn NOT LIKE '{AWS_POLICY_PREFIX}%' "
        "AND policy_arn NOT IN (SELECT arn FROM policies)"
    ),
    "inline policy without its principal": (
        "SELECT principal_id FROM inline_policies WHERE "
        "(principal_kind = 'user' AND principal_id NOT IN (SELECT user_id FROM users)) OR "
        "(principal_kind = 'group' AND principal_id NOT IN (SELECT group_id FROM iam_groups)) OR "
        "(principal_kind = 'role' AND principal_id NOT IN (SELECT role_id FROM roles))"
    ),
    "managed policy without its default version": (
        "SELECT arn FROM policies p WHERE NOT EXISTS (SELECT 1 FROM policy_versions v "
        "WHERE v.policy_id = p.policy_id AND v.version = p.default_version)"
    ),
    "policy version without its policy": (
        "SELECT policy_id FROM policy_versions WHERE policy_id NOT IN (SELECT policy_id FROM policies)"
    ),
    "tag without its user": (
        "SELECT resource_id FROM tags WHERE resource_kind = 'user' AND resource_id NOT IN (SELECT user_id FROM users)"
    ),
    "user credential without its user": (
        "SELECT credential_id FROM user_credentials WHERE user_id IS NOT NULL "
        "AND user_id NOT IN (SELECT user_id FROM users)"
    ),
}


@dataclass
class Writer:
    """One of the concurrent clients: what the server acknowledged, what was in flight when
    the server died, and any failure before that."""

    round: int
    number: int
    client: object
    acked: list[tuple] = field(default_factory=list)
    in_flight: tuple | None = None
    failure: str | None = None
    done: bool = False

    @property
    def prefix(self) -> str:
        return f"r{self.round}w{self.number:02d}"

    def write(self, what: tuple, call, **params):
        self.in_flight = what
        answer = call(**params)
        self.acked.append(what)
        self.in_flight = None
        return answer

    def run(self, script, killed: threading.Event):
        try:
            script(self)
        except ClientError as e:
            # An answer from the server refusing a write: never expected, killed or not.
            self.failure = f"{self.in_flight}: {e}"
        except BotoCoreError as e:
            # No answer: expected only once the server is killed.
            if not killed.is_set():
                self.failure = f"{self.in_flight}: {e!r}"
        except Exception as e:  # noqa: BLE001 - a broken script fails the test, not the thread
            self.failure = f"{self.in_flight}: {e!r}"
        finally:
            self.done = True

    def entities(self):
        """Users with access keys, inline policies, managed policies attached and group
        memberships; a group, a policy (with a second default version) and a role each."""
        iam = self.client
        group = f"{self.prefix}-group"
        self.write(("group", group), iam.create_group, GroupName=group)
        policy = self.write(
            ("policy", f"{self.prefix}-policy"),
            iam.create_policy,
            PolicyName=f"{self.prefix}-policy",
            PolicyDocument=json.dumps(allow("iam:GetGroup", f"arn:aws:iam::{ACCOUNT_ID}:group/{group}")),
        )["Policy"]["Arn"]
        role = f"{self.prefix}-role"
        self.write(("role", role), iam.create_role, RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
        self.write(("role attachment", role, policy), iam.attach_role_policy, RoleName=role, PolicyArn=policy)
        for i in range(USERS_PER_WRITER):
            user = f"{self.prefix}-user{i:02d}"
            self.write(("user", user), iam.create_user, UserName=user)
            key = self.write(("key", user), iam.create_access_key, UserName=user)["AccessKey"]
            # The key's id and secret, known once acknowledged: kept for the checks.
            self.acked[-1] = ("key", user, key["AccessKeyId"], key["SecretAccessKey"])
            self.write(
                ("inline", user),
                iam.put_user_policy,
                UserName=user,
                PolicyName="inline",
                PolicyDocument=json.dumps(allow("iam:GetUser", f"arn:aws:iam::{ACCOUNT_ID}:user/{user}")),
            )
            self.write(("attachment", user, policy), iam.attach_user_policy, UserName=user, PolicyArn=policy)
            self.write(("membership", group, user), iam.add_user_to_group, GroupName=group, UserName=user)
            if i == 2:
                # A new default version: a version written and the policy's default moved.
                version = self.write(
                    ("default version", policy),
                    iam.create_policy_version,
                    PolicyArn=policy,
                    PolicyDocument=json.dumps(allow("iam:ListGroups")),
                    SetAsDefault=True,
                )["PolicyVersion"]["VersionId"]
                self.acked[-1] = ("default version", policy, version)

    def tagged(self):
        """Users, roles and managed policies created with a tag: one write each."""
        iam = self.client
        tags = [{"Key": "writer", "Value": self.prefix}]
        for i in range(USERS_PER_WRITER):
            name = f"{self.prefix}{TAGGED}{i:02d}"
            self.write(("tagged user", name), iam.create_user, UserName=name, Tags=tags)
            self.write(
                ("tagged role", name),
                iam.create_role,
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(TRUST),
                Tags=tags,
            )
            self.write(
                ("tagged policy", name),
                iam.create_policy,
                PolicyName=name,
                PolicyDocument=json.dumps(allow("iam:GetUser")),
                Tags=tags,
            )


def run_round(server, round_number: int, script) -> tuple[list[tuple], Counter]:
    """Starts the writers on `script` (a Writer method), kills the server mid-flight, and
    returns the acknowledged writes and the writes in flight at the kill (by kind)."""
    config = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=5, read_timeout=60)
    writers = [
        Writer(
            round_number,
            n,
            boto_session().client(
                "iam",
                endpoint_url=server.endpoint,
                region_name=REGION,
                aws_access_key_id=conftest.ROOT.key_id,
                aws_secret_access_key=conftest.ROOT.secret,
                config=config,
            ),
        )
        for n in range(WRITERS)
    ]
    killed = threading.Event()
    threads = [threading.Thread(target=w.run, args=(script, killed), daemon=True) for w in writers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + KILL_DEADLINE
    target = KILL_AFTER[round_number % len(KILL_AFTER)]
    while sum(len(w.acked) for w in writers) < target and time.monotonic() < deadline:
        if all(w.done for w in writers):
            break
        time.sleep(0.005)
    running = sum(not w.done for w in writers)
    killed.set()
    server.kill()
    for t in threads:
        t.join(timeout=120)
    failures = [w.failure for w in writers if w.failure]
    assert not failures, f"{len(failures)} writes failed before the kill: {failures[:5]}"
    assert running == WRITERS, f"only {running} of {WRITERS} writers were still writing at the kill"
    in_flight = Counter(w.in_flight[0] for w in writers if w.in_flight)
    return [a for w in writers for a in w.acked], in_flight


def orphans_by_sql(server) -> dict[str, list]:
    """The half-applied changes the database itself holds, by kind."""
    if server.backend == "sqlite":
        path = server.data_dir / "castellan.db"
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = {kind: conn.execute(query).fetchall() for kind, query in ORPHANS.items()}
            found["integrity check"] = [r for r in conn.execute("PRAGMA integrity_check") if r != ("ok",)]
            found["foreign key check"] = conn.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(server.database_url) as conn:
            found = {kind: conn.execute(query).fetchall() for kind, query in ORPHANS.items()}
    return {kind: rows for kind, rows in found.items() if rows}


def state_by_api(server) -> dict:
    """Users (with tags, groups, attached and inline policies), groups, roles and managed policies, as
    GetAccountAuthorizationDetails reports them, and every user's access keys."""
    iam = server.iam()
    users, groups, roles, policies = {}, {}, {}, {}
    for page in iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Group", "Role", "LocalManagedPolicy"]
    ):
        for u in page["UserDetailList"]:
            users[u["UserName"]] = u
        for r in page["RoleDetailList"]:
            roles[r["RoleName"]] = r
        for g in page["GroupDetailList"]:
            groups[g["GroupName"]] = g
        for p in page["Policies"]:
            policies[p["Arn"]] = p
    clients = [server.iam() for _ in range(8)]

    def keys_of(pair):
        n, name = pair
        listed = clients[n % len(clients)].list_access_keys(UserName=name)["AccessKeyMetadata"]
        return name, {k["AccessKeyId"] for k in listed}

    def tags_of(pair):
        n, (arn, policy) = pair
        return policy["PolicyName"], clients[n % len(clients)].list_policy_tags(PolicyArn=arn)["Tags"]

    with ThreadPoolExecutor(len(clients)) as pool:
        keys = dict(pool.map(keys_of, enumerate(users)))
        tagged = [(arn, p) for arn, p in policies.items() if TAGGED in p["PolicyName"]]
        policy_tags = dict(pool.map(tags_of, enumerate(tagged)))
    return {"users": users, "groups": groups, "roles": roles, "policies": policies, "keys": keys, "policy_tags": policy_tags}


def tags_for(name: str) -> list[dict]:
    """The tags the `tagged` script creates `name` with."""
    return [{"Key": "writer", "Value": name.rsplit("-", 1)[0]}]


def check_by_api(server, acked: list[tuple]) -> tuple[list[str], list[str]]:
    """(acknowledged writes missing, half-applied changes) as seen through the API."""
    state = state_by_api(server)
    users, groups, roles, policies, keys, policy_tags = (
        state[k] for k in ("users", "groups", "roles", "policies", "keys", "policy_tags")
    )
    policy_names = {p["PolicyName"] for p in policies.values()}
    lost = []
    for write in acked:
        kind = write[0]
        present = {
            "group": lambda: write[1] in groups,
            "policy": lambda: write[1] in policy_names,
            "role": lambda: write[1] in roles,
            "role attachment": lambda: write[2]
            in {p["PolicyArn"] for p in roles.get(write[1], {}).get("AttachedManagedPolicies", [])},
            "default version": lambda: policies.get(write[1], {}).get("DefaultVersionId") == write[2],
            "user": lambda: write[1] in users,
            "tagged user": lambda: users.get(write[1], {}).get("Tags") == tags_for(write[1]),
            "tagged role": lambda: roles.get(write[1], {}).get("Tags") == tags_for(write[1]),
            "tagged policy": lambda: policy_tags.get(write[1]) == tags_for(write[1]),
            "key": lambda: write[2] in keys.get(write[1], ()),
            "inline": lambda: "inline" in {p["PolicyName"] for p in users.get(write[1], {}).get("UserPolicyList", [])},
            "attachment": lambda: write[2]
            in {p["PolicyArn"] for p in users.get(write[1], {}).get("AttachedManagedPolicies", [])},
            "membership": lambda: write[1] in users.get(write[2], {}).get("GroupList", []),
        }[kind]()
        if not present:
            lost.append(repr(write[:3]))
    half = []
    for name, user in users.items():
        if TAGGED in name and user.get("Tags") != tags_for(name):
            half.append(f"user {name} without the tag it was created with: {user.get('Tags')}")
        for attached in user.get("AttachedManagedPolicies", []):
            arn = attached["PolicyArn"]
            if not arn.startswith(AWS_POLICY_PREFIX) and arn not in policies:
                half.append(f"user {name} attached to missing policy {arn}")
        for group in user.get("GroupList", []):
            if group not in groups:
                half.append(f"user {name} in missing group {group}")
    for name, role in roles.items():
        if TAGGED in name and role.get("Tags") != tags_for(name):
            half.append(f"role {name} without the tag it was created with: {role.get('Tags')}")
        for attached in role.get("AttachedManagedPolicies", []):
            arn = attached["PolicyArn"]
            if not arn.startswith(AWS_POLICY_PREFIX) and arn not in policies:
                half.append(f"role {name} attached to missing policy {arn}")
    for name, tags in policy_tags.items():
        if tags != tags_for(name):
            half.append(f"policy {name} without the tag it was created with: {tags}")
    for arn, policy in policies.items():
        default = [v for v in policy.get("PolicyVersionList", []) if v["IsDefaultVersion"]]
        if len(default) != 1 or default[0]["VersionId"] != policy["DefaultVersionId"] or not default[0].get("Document"):
            half.append(f"policy {arn} without its default version")
    return lost, half


def check_keys_sign(server, acked: list[tuple], most: int = 64):
    """Acknowledged access keys still verify signatures: the sealed secret survived."""
    written = [w for w in acked if w[0] == "key"][-most:]
    for _, user, key_id, secret in written:
        arn = server.sts(Creds(key_id, secret, user)).get_caller_identity()["Arn"]
        assert arn == f"arn:aws:iam::{ACCOUNT_ID}:user/{user}"
    return len(written)


def test_orphan_queries_find_planted_orphans():
    # The queries against the store's own SQLite schema: each kind of half-applied change,
    # planted with foreign keys off, is found, and a whole one is not.
    conn = sqlite3.connect(":memory:")
    for migration in sorted((conftest.REPO / "crates/store/migrations/sqlite").glob("*.sql")):
        conn.executescript(migration.read_text())
    conn.executescript(
        f"""
        INSERT INTO accounts (account_id, email, email_lower, alias, created_at)
            VALUES ('{ACCOUNT_ID}', 'e', 'e', NULL, 0);
        INSERT INTO users (user_id, account_id, name, name_lower, path, created_at)
            VALUES ('AIDAWHOLE', '{ACCOUNT_ID}', 'whole', 'whole', '/', 0);
        INSERT INTO iam_groups VALUES ('AGPAWHOLE', '{ACCOUNT_ID}', 'g', 'g', '/', 0);
        INSERT INTO policies (policy_id, account_id, name, name_lower, path, arn, default_version,
            next_version, created_at, updated_at)
            VALUES ('ANPAWHOLE', '{ACCOUNT_ID}', 'p', 'p', '/', 'arn:p', 1, 2, 0, 0),
                   ('ANPANOVERSION', '{ACCOUNT_ID}', 'q', 'q', '/', 'arn:q', 1, 2, 0, 0);
        INSERT INTO policy_versions VALUES ('ANPAWHOLE', 1, '{{}}', 0), ('ANPAGONE', 1, '{{}}', 0);
        INSERT INTO access_keys (access_key_id, account_id, user_id, secret_ciphertext, status, created_at)
            VALUES ('AKIAWHOLE', '{ACCOUNT_ID}', 'AIDAWHOLE', x'00', 'Active', 0),
                   ('AKIAROOT', '{ACCOUNT_ID}', NULL, x'00', 'Active', 0),
                   ('AKIAORPHAN', '{ACCOUNT_ID}', 'AIDAGONE', x'00', 'Active', 0);
        INSERT INTO group_members VALUES ('AGPAWHOLE', 'AIDAWHOLE'), ('AGPAGONE', 'AIDAWHOLE'),
            ('AGPAWHOLE', 'AIDAGONE');
        INSERT INTO attachments VALUES ('{ACCOUNT_ID}', 'user', 'AIDAWHOLE', 'arn:p'),
            ('{ACCOUNT_ID}', 'user', 'AIDAWHOLE', '{AWS_POLICY_PREFIX}ReadOnlyAccess'),
            ('{ACCOUNT_ID}', 'user', 'AIDAWHOLE', 'arn:gone'),
            ('{ACCOUNT_ID}', 'user', 'AIDAGONE', 'arn:p'),
            ('{ACCOUNT_ID}', 'group', 'AGPAGONE', 'arn:p'),
            ('{ACCOUNT_ID}', 'role', 'AROAGONE', 'arn:p');
        INSERT INTO inline_policies VALUES ('{ACCOUNT_ID}', 'user', 'AIDAWHOLE', 'i', '{{}}'),
            ('{ACCOUNT_ID}', 'group', 'AGPAGONE', 'i', '{{}}');
        INSERT INTO tags VALUES ('{ACCOUNT_ID}', 'user', 'AIDAGONE', 'k', 'k', 'v');
        INSERT INTO user_credentials (credential_id, account_id, user_id, kind, status, body,
            created_at)
            VALUES ('APKAWHOLE', '{ACCOUNT_ID}', 'AIDAWHOLE', 'ssh-public-key', 'Active', 'k', 0),
                   ('CERTROOT', '{ACCOUNT_ID}', NULL, 'signing-certificate', 'Active', 'c', 0),
                   ('APKAORPHAN', '{ACCOUNT_ID}', 'AIDAGONE', 'ssh-public-key', 'Active', 'k', 0);
        """
    )
    found = {kind: conn.execute(query).fetchall() for kind, query in ORPHANS.items()}
    assert found == {
        "access key without its user": [("AKIAORPHAN",)],
        "group membership without its group": [("AGPAGONE",)],
        "group membership without its user": [("AIDAGONE",)],
        "attachment without its user": [("AIDAGONE",)],
        "attachment without its group": [("AGPAGONE",)],
        "attachment without its role": [("AROAGONE",)],
        "attachment without its policy": [("arn:gone",)],
        "inline policy without its principal": [("AGPAGONE",)],
        "managed policy without its default version": [("arn:q",)],
        "policy version without its policy": [("ANPAGONE",)],
        "tag without its user": [("AIDAGONE",)],
        "user credential without its user": [("APKAORPHAN",)],
    }


def crash_rounds(server, script, rounds: int) -> Counter:
    """Rounds of writers killed mid-flight, each followed by a restart and the checks of
    everything acknowledged so far; returns the figures."""
    all_acked: list[tuple] = []
    figures = Counter()
    for round_number in range(rounds):
        acked, in_flight = run_round(server, round_number, script)
        all_acked += acked
        server.start()
        orphans = orphans_by_sql(server)
        # A write never made, among the acknowledged ones: the check must report it lost.
        control = ("user", f"r{round_number}-never-written")
        lost, half = check_by_api(server, all_acked + [control])
        assert lost[-1:] == [repr(control)], lost[-1:]
        lost.pop()
        signed = check_keys_sign(server, acked)
        figures.update(
            rounds=1,
            acknowledged=len(acked),
            in_flight=sum(in_flight.values()),
            lost=len(lost),
            half_applied=len(half) + sum(len(rows) for rows in orphans.values()),
            keys_signed=signed,
        )
        assert not lost, f"round {round_number}: {len(lost)} acknowledged writes lost: {lost[:10]}"
        assert not half, f"round {round_number}: half-applied changes seen through the API: {half[:10]}"
        assert not orphans, f"round {round_number}: half-applied changes in the database: {orphans}"
    return figures


def report(server, what: str, figures: Counter):
    conftest.FIGURES.append(
        f"kill -9 ({server.backend}, {what}): {figures['rounds']} rounds of {WRITERS} writers, "
        f"{figures['acknowledged']} writes acknowledged, {figures['in_flight']} in flight at the kills, "
        f"{figures['lost']} lost, {figures['half_applied']} half applied"
        + (f", {figures['keys_signed']} acknowledged keys signed a request after the restart" if figures["keys_signed"] else "")
    )


def test_kill_9_under_concurrent_writers_loses_no_acknowledged_write(durable_server):
    report(durable_server, "entities", crash_rounds(durable_server, Writer.entities, ROUNDS))


def test_finding_create_with_tags_is_one_write_under_kill_9(durable_server):
    # Found by this suite: CreateUser, CreateRole and CreatePolicy with Tags wrote the entity
    # and its tags in two transactions, so a crash between them left an untagged user, role
    # or policy behind (and a tag-based Deny would not apply to it).
    report(durable_server, "created with tags", crash_rounds(durable_server, Writer.tagged, 2))
