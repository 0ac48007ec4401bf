"""`castellan serve --fixtures FILE`: a test suite's accounts, users with fixed keys, groups,
policies and roles, declared in a file, applied at start and again after every reset.

The suite here runs as the declared admin user (its fixed key), never as root, and resets
between tests; a second account's user works across accounts; policies are enforced as
declared; a malformed file, or one given with --account-id, stops the start with a message
naming the place.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from botocore.exceptions import ClientError

import secrets_registry
from conftest import REPO, Creds, Server, binary, durable, error_of, server_dir, session_client

MAIN = "111111111111"
SECOND = "222222222222"
ADMIN = Creds("AKIAFIXTUREADMIN0001", "fixtureAdminSecret0000000000000000000001", "admin")
AUDITOR = Creds("AKIAFIXTUREAUDITOR01", "fixtureAuditorSecret00000000000000000001", "auditor")
BOUNDED = Creds("AKIAFIXTUREBOUNDED01", "fixtureBoundedSecret00000000000000000001", "bounded")
SECOND_ADMIN = Creds("AKIAFIXTUREADMIN0002", "fixtureAdminSecret0000000000000000000002", "admin")
ROOT_MAIN = Creds("AKIAFIXTUREROOT00001", "fixtureRootSecret00000000000000000000001")
PASSWORD = "Fixture-Console-Password-1"
for creds in (ADMIN, AUDITOR, BOUNDED, SECOND_ADMIN, ROOT_MAIN):
    secrets_registry.REGISTRY.add(creds.secret, "secret access key declared in a fixtures file")
secrets_registry.REGISTRY.add(PASSWORD, "console password declared in a fixtures file")

READ_IAM = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}],
}


def key(creds: Creds) -> dict:
    return {"access_key_id": creds.key_id, "secret_access_key": creds.secret}


FIXTURES = {
    "accounts": [
        {
            "id": MAIN,
            "email": "main@example.com",
            "alias": "fixtures-main",
            "root_access_keys": [key(ROOT_MAIN)],
            "policies": [
                {"name": "ReadIam", "path": "/fixtures/", "description": "read-only IAM", "document": READ_IAM},
            ],
            "groups": [
                {
                    "name": "admins",
                    "managed_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                    # A document given as a string, as the file allows.
                    "inline_policies": {
                        "keep-the-auditor": json.dumps(
                            {
                                "Version": "2012-10-17",
                                "Statement": {
                                    "Effect": "Deny",
                                    "Action": "iam:DeleteUser",
                                    "Resource": f"arn:aws:iam::{MAIN}:user/auditors/auditor",
                                },
                            }
                        )
                    },
                },
            ],
            "users": [
                {
                    "name": "admin",
                    "groups": ["admins"],
                    "password": PASSWORD,
                    "access_keys": [key(ADMIN)],
                    "tags": {"team": "platform"},
                },
                {
                    "name": "auditor",
                    "path": "/auditors/",
                    "access_keys": [key(AUDITOR)],
                    "managed_policies": [f"arn:aws:iam::{MAIN}:policy/fixtures/ReadIam"],
                    "inline_policies": {
                        "own-tags": {
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "iam:TagUser", "Resource": "*"}],
                        }
                    },
                },
                {
                    "name": "bounded",
                    "access_keys": [key(BOUNDED)],
                    "managed_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                    "permissions_boundary": f"arn:aws:iam::{MAIN}:policy/fixtures/ReadIam",
                },
            ],
            "roles": [
                {
                    "name": "reader",
                    "trust_policy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{SECOND}:user/admin"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "max_session_duration": 7200,
                    "managed_policies": [f"arn:aws:iam::{MAIN}:policy/fixtures/ReadIam"],
                    "tags": {"purpose": "cross-account"},
                }
            ],
        },
        {
            "id": SECOND,
            "email": "second@example.com",
            "users": [
                {
                    "name": "admin",
                    "access_keys": [key(SECOND_ADMIN)],
                    "managed_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"],
                }
            ],
        },
    ]
}


def write_fixtures(path, content) -> str:
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return str(path)


def fixtures_server(label: str, fixtures_path: str):
    """An ephemeral SQLite server whose accounts `fixtures_path` declares."""
    server = Server("sqlite", server_dir(label), None, ephemeral=True)
    server.first_account = False
    server.extra_args = ["--fixtures", fixtures_path]
    return server


@pytest.fixture(scope="module")
def _fixtures_server(tmp_path_factory):
    path = write_fixtures(tmp_path_factory.mktemp("fixtures") / "fixtures.json", FIXTURES)
    server = fixtures_server("sqlite-fixtures", path).start()
    yield server
    server.stop()


@pytest.fixture
def fx(_fixtures_server):
    """The fixtures server, reset before each test as a suite would: the declared state."""
    _fixtures_server.reset()
    return _fixtures_server


def run_serve(*args: str, env_extra: dict | None = None, ephemeral=True) -> subprocess.CompletedProcess:
    """`castellan serve` that must stop by itself (it is given something it refuses)."""
    env = {"PATH": "/usr/bin:/bin", "CASTELLAN_LOG": "warn", **(env_extra or {})}
    mode = ["--ephemeral"] if ephemeral else []
    return subprocess.run(
        [str(binary()), "serve", *mode, "--listen", "127.0.0.1:0", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_the_suite_runs_as_the_declared_admin(fx):
    who = fx.sts(ADMIN).get_caller_identity()
    assert who["Arn"] == f"arn:aws:iam::{MAIN}:user/admin"
    assert who["Account"] == MAIN
    iam = fx.iam(ADMIN)
    # AdministratorAccess through the declared group.
    names = sorted(u["UserName"] for u in iam.list_users()["Users"])
    assert names == ["admin", "auditor", "bounded"]
    assert iam.list_groups_for_user(UserName="admin")["Groups"][0]["GroupName"] == "admins"
    assert iam.list_user_tags(UserName="admin")["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert iam.get_login_profile(UserName="admin")["LoginProfile"]["PasswordResetRequired"] is False
    assert iam.list_account_aliases()["AccountAliases"] == ["fixtures-main"]
    role = iam.get_role(RoleName="reader")["Role"]
    assert role["MaxSessionDuration"] == 7200
    policy = iam.get_policy(PolicyArn=f"arn:aws:iam::{MAIN}:policy/fixtures/ReadIam")["Policy"]
    assert policy["Description"] == "read-only IAM"
    # The root user's fixed key works too.
    assert fx.sts(ROOT_MAIN).get_caller_identity()["Arn"] == f"arn:aws:iam::{MAIN}:root"


def test_a_second_account_and_its_user(fx):
    who = fx.sts(SECOND_ADMIN).get_caller_identity()
    assert who["Arn"] == f"arn:aws:iam::{SECOND}:user/admin"
    iam = fx.iam(SECOND_ADMIN)
    iam.create_user(UserName="made-in-second")
    assert sorted(u["UserName"] for u in iam.list_users()["Users"]) == ["admin", "made-in-second"]
    # The main account's role trusts this user: a cross-account AssumeRole works, and the
    # session reads what the role's declared policy allows.
    credentials = fx.sts(SECOND_ADMIN).assume_role(
        RoleArn=f"arn:aws:iam::{MAIN}:role/reader", RoleSessionName="fixtures"
    )["Credentials"]
    client = session_client(fx, "iam", credentials)
    assert any(u["UserName"] == "admin" for u in client.list_users()["Users"])
    with pytest.raises(ClientError) as denied:
        client.create_user(UserName="not-allowed")
    assert error_of(denied)[0] == "AccessDenied"


def test_policies_are_enforced_as_declared(fx):
    auditor = fx.iam(AUDITOR)
    # The customer managed policy allows reads; the inline one tagging.
    assert len(auditor.list_users()["Users"]) == 3
    auditor.tag_user(UserName="auditor", Tags=[{"Key": "checked", "Value": "yes"}])
    with pytest.raises(ClientError) as denied:
        auditor.create_user(UserName="by-auditor")
    code, status, message = error_of(denied)
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: arn:aws:iam::{MAIN}:user/auditors/auditor is not authorized to perform: iam:CreateUser "
        f"on resource: arn:aws:iam::{MAIN}:user/by-auditor because no identity-based policy allows the "
        "iam:CreateUser action"
    )
    # The group's inline deny (a document given as a string) holds against AdministratorAccess.
    with pytest.raises(ClientError) as denied:
        fx.iam(ADMIN).delete_user(UserName="auditor")
    code, _, message = error_of(denied)
    assert code == "AccessDenied"
    assert "with an explicit deny in an identity-based policy" in message
    # The boundary limits AdministratorAccess to what ReadIam allows.
    bounded = fx.iam(BOUNDED)
    bounded.get_user(UserName="bounded")
    with pytest.raises(ClientError) as denied:
        bounded.create_user(UserName="by-bounded")
    code, _, message = error_of(denied)
    assert code == "AccessDenied"
    assert "permissions boundary" in message


def test_a_reset_brings_back_the_declared_state(fx):
    iam = fx.iam(ADMIN)
    iam.create_user(UserName="temporary")
    second_key = iam.create_access_key(UserName="admin")["AccessKey"]["AccessKeyId"]
    iam.untag_user(UserName="admin", TagKeys=["team"])
    iam.detach_user_policy(UserName="auditor", PolicyArn=f"arn:aws:iam::{MAIN}:policy/fixtures/ReadIam")
    iam.delete_access_key(UserName="auditor", AccessKeyId=AUDITOR.key_id)
    fx.iam(SECOND_ADMIN).create_user(UserName="temporary-too")
    before = {u["UserName"]: u["UserId"] for u in iam.list_users()["Users"]}

    fx.reset()

    iam = fx.iam(ADMIN)
    after = {u["UserName"]: u["UserId"] for u in iam.list_users()["Users"]}
    assert sorted(after) == ["admin", "auditor", "bounded"]
    # The entities are made anew (new unique ids), with the same declared key ids.
    assert after["admin"] != before["admin"]
    keys = [k["AccessKeyId"] for k in iam.list_access_keys(UserName="admin")["AccessKeyMetadata"]]
    assert keys == [ADMIN.key_id] and second_key not in keys
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="auditor")["AccessKeyMetadata"]] == [
        AUDITOR.key_id
    ]
    assert iam.list_user_tags(UserName="admin")["Tags"] == [{"Key": "team", "Value": "platform"}]
    attached = iam.list_attached_user_policies(UserName="auditor")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["ReadIam"]
    assert len(fx.iam(AUDITOR).list_users()["Users"]) == 3
    assert [u["UserName"] for u in fx.iam(SECOND_ADMIN).list_users()["Users"]] == ["admin"]


def test_a_malformed_file_is_refused_before_listening(tmp_path):
    bad = json.loads(json.dumps(FIXTURES))
    bad["accounts"][0]["users"][2]["access_keys"][0]["access_key_id"] = "AKIA-not-a-key"
    bad["accounts"][1]["users"][0]["managed_policies"] = ["arn:aws:iam::aws:policy/NoSuchPolicy"]
    path = write_fixtures(tmp_path / "bad.json", bad)
    done = run_serve("--fixtures", path)
    assert done.returncode != 0
    assert "accounts[0].users[2].access_keys[0].access_key_id: an access key id is AKIA and 16 upper-case letters or digits" in done.stderr
    assert "accounts[1].users[0].managed_policies[0]: arn:aws:iam::aws:policy/NoSuchPolicy is not an AWS managed policy" in done.stderr
    assert "(2 errors)" in done.stderr
    assert "listening" not in done.stderr
    # A structural error names its place too, and the environment variable works alike.
    unknown = json.loads(json.dumps(FIXTURES))
    unknown["accounts"][1]["users"][0]["passwrd"] = "x"
    done = run_serve(env_extra={"CASTELLAN_FIXTURES": write_fixtures(tmp_path / "unknown.json", unknown)})
    assert done.returncode != 0
    assert "accounts[1].users[0].passwrd: unknown field `passwrd`" in done.stderr
    # An organization must name declared accounts and units.
    with_org = dict(
        FIXTURES,
        organization={"management_account": "999999999999", "policies": [{"name": "p", "targets": ["nowhere"],
                      "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}}]},
    )
    done = run_serve("--fixtures", write_fixtures(tmp_path / "org.json", with_org))
    assert done.returncode != 0
    assert "organization.management_account: names no account declared in this file" in done.stderr
    assert "organization.policies[0].targets[0]: names neither `root`" in done.stderr


def test_the_file_declares_every_account(tmp_path):
    path = write_fixtures(tmp_path / "fixtures.json", FIXTURES)
    for flags in (
        ["--account-id", "123456789012"],
        ["--root-access-key-id", ADMIN.key_id, "--root-secret-access-key", ADMIN.secret],
    ):
        done = run_serve("--fixtures", path, *flags)
        assert done.returncode == 2, done.stderr
        assert "cannot be used with" in done.stderr
        assert "--fixtures" in done.stderr
    # The environment's settings too; and what only a first start's root key is about (the
    # file declares the root keys: none is made or shown).
    done = run_serve("--fixtures", path, env_extra={"CASTELLAN_ROOT_PASSWORD": "Not-Used-1234"})
    assert done.returncode == 2 and "--fixtures" in done.stderr and "--root-password" in done.stderr
    done = run_serve("--fixtures", path, "--no-print-root-secret", ephemeral=False)
    assert done.returncode == 2 and "--fixtures" in done.stderr and "--no-print-root-secret" in done.stderr


@pytest.mark.parametrize("example", ["fixtures.json", "fixtures.yaml"])
def test_the_example_files_start_a_server(example):
    # Both examples declare the same accounts (a unit test compares them): the keys are
    # read from the JSON one.
    server = fixtures_server(f"sqlite-example-{example}", str(REPO / "examples" / example))
    declared = json.loads((REPO / "examples" / "fixtures.json").read_text())
    admins = []
    for account in declared["accounts"]:
        for user in account["users"]:
            pair = user["access_keys"][0]
            secrets_registry.REGISTRY.add(pair["secret_access_key"], "secret access key of examples/fixtures.*")
            admins.append((account["id"], Creds(pair["access_key_id"], pair["secret_access_key"])))
    server.start()
    try:
        assert len(admins) == 2
        for account_id, creds in admins:
            assert server.sts(creds).get_caller_identity()["Arn"] == f"arn:aws:iam::{account_id}:user/admin"
            server.iam(creds).create_user(UserName="works")
        server.reset()
        for account_id, creds in admins:
            assert [u["UserName"] for u in server.iam(creds).list_users()["Users"]] == ["admin"]
    finally:
        server.stop()


def test_the_organization_example_binds_its_member_by_its_scp():
    # examples/organization.json: a management account and a member in the unit
    # `workloads`, whose SCP denies every request outside eu-west-1.
    server = fixtures_server("sqlite-example-organization", str(REPO / "examples" / "organization.json"))
    declared = json.loads((REPO / "examples" / "organization.json").read_text())
    admins = {}
    for account in declared["accounts"]:
        pair = account["users"][0]["access_keys"][0]
        secrets_registry.REGISTRY.add(pair["secret_access_key"], "secret access key of examples/organization.json")
        admins[account["id"]] = Creds(pair["access_key_id"], pair["secret_access_key"], "admin")
    server.start()
    try:
        for _ in range(2):
            member = admins["333333333333"]
            server.client("iam", member, region="eu-west-1").create_user(UserName="in-region")
            with pytest.raises(ClientError) as denied:
                server.client("iam", member, region="us-east-1").create_user(UserName="elsewhere")
            code, status, message = error_of(denied)
            assert (code, status) == ("AccessDenied", 403)
            assert message.endswith("with an explicit deny in a service control policy"), message
            # The management account is not bound by its organization's SCPs.
            management = admins["111111111111"]
            server.client("iam", management, region="us-east-1").create_user(UserName="anywhere")
            org = server.client("organizations", management, region="us-east-1")
            assert org.describe_organization()["Organization"]["MasterAccountId"] == "111111111111"
            units = org.list_organizational_units_for_parent(ParentId=org.list_roots()["Roots"][0]["Id"])
            (unit,) = units["OrganizationalUnits"]
            assert unit["Name"] == "workloads"
            assert [a["Id"] for a in org.list_accounts_for_parent(ParentId=unit["Id"])["Accounts"]] == ["333333333333"]
            # A reset brings the organization back as declared.
            server.reset()
    finally:
        server.stop()


def test_a_malformed_yaml_file_is_refused_at_its_place(tmp_path):
    example = (REPO / "examples" / "fixtures.yaml").read_text()
    # Validation names the place in the file's shape, as for JSON.
    unquoted = example.replace('id: "222222222222"', "id: 222222222222")
    done = run_serve("--fixtures", write_fixtures(tmp_path / "unquoted.yaml", unquoted))
    assert done.returncode != 0
    assert "accounts[1].id: invalid type: integer `222222222222`, expected a string" in done.stderr
    assert "listening" not in done.stderr
    # What the YAML reader refuses is named by line and column, the line never quoted.
    secret = "fixtureAdminSecret0000000000000000000001"
    # One space short on the secret's line (line 29).
    broken = example.replace(f"            secret_access_key: {secret}", f"           secret_access_key: {secret}")
    done = run_serve("--fixtures", write_fixtures(tmp_path / "broken.yml", broken))
    assert done.returncode != 0
    assert "is invalid (1 error):\n  line 29, column 12: " in done.stderr
    assert secret not in done.stderr
    assert "listening" not in done.stderr


@pytest.fixture
def durable_fixtures(backend, tmp_path):
    """A fixtures server on durable storage (a SQLite file, or a PostgreSQL database)."""
    path = write_fixtures(tmp_path / "fixtures.json", FIXTURES)

    def prepare(server):
        server.first_account = False
        server.extra_args = ["--fixtures", path]

    with durable(backend, f"{backend}-durable-fixtures", prepare) as server:
        yield server


def test_a_durable_store_gets_the_fixtures_once(durable_fixtures, tmp_path):
    server = durable_fixtures
    assert server.sts(ADMIN).get_caller_identity()["Account"] == MAIN
    server.iam(ADMIN).create_user(UserName="kept")
    # A restart on the same store serves it as it is: the fixtures are not applied again.
    server.restart()
    assert "applied to this database before" in server.log()
    names = sorted(u["UserName"] for u in server.iam(ADMIN).list_users()["Users"])
    assert names == ["admin", "auditor", "bounded", "kept"]
    # A file that declares other accounts than the store holds stops the start.
    server.stop()
    other = {"accounts": [{"id": "333333333333"}]}
    server.extra_args = ["--fixtures", write_fixtures(tmp_path / "other.json", other)]
    with pytest.raises(pytest.fail.Exception):
        server.start()
    assert "fixtures apply only to an empty database" in server.log()
    assert "missing: accounts[0]" in server.log()
