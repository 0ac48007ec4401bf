"""Access keys: create, list, update, delete, last used, the two-key limit, keys that stop
working mid-run, and 100 concurrent CreateAccessKey calls on one user."""

import datetime
import threading
import time

import pytest
from botocore.exceptions import ClientError

from conftest import ROOT_KEY_ID, Creds, allow, error_of

LIST_USERS = allow("iam:ListUsers")


def test_create_list_update_delete(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    assert key["UserName"] == "alice"
    assert key["Status"] == "Active"
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40
    listed = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"], k["UserName"]) for k in listed] == [
        (key["AccessKeyId"], "Active", "alice")
    ]
    assert "SecretAccessKey" not in listed[0]
    iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Active")
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["Status"] == "Active"
    iam.delete_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"])
    assert iam.list_access_keys(UserName="alice")["AccessKeyMetadata"] == []


def test_root_lists_its_own_keys(server):
    keys = server.iam().list_access_keys()["AccessKeyMetadata"]
    assert ROOT_KEY_ID in [k["AccessKeyId"] for k in keys]


def test_unknown_or_foreign_key_is_no_such_entity(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    iam.create_user(UserName="bob")
    bobs = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
    for key_id in ("AKIAAAAAAAAAAAAAAAAA", bobs):
        with pytest.raises(ClientError) as e:
            iam.update_access_key(UserName="alice", AccessKeyId=key_id, Status="Inactive")
        assert error_of(e) == ("NoSuchEntity", 404, f"The Access Key with id {key_id} cannot be found.")
        with pytest.raises(ClientError) as e:
            iam.delete_access_key(UserName="alice", AccessKeyId=key_id)
        assert error_of(e)[:2] == ("NoSuchEntity", 404)
    # Bob's key was not touched.
    assert iam.list_access_keys(UserName="bob")["AccessKeyMetadata"][0]["Status"] == "Active"
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName="nobody")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)


def test_two_keys_per_user(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    first = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    iam.create_access_key(UserName="alice")
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName="alice")
    assert error_of(e) == ("LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    # An inactive key still counts; a deleted one does not.
    iam.update_access_key(UserName="alice", AccessKeyId=first, Status="Inactive")
    with pytest.raises(ClientError) as e:
        iam.create_access_key(UserName="alice")
    assert error_of(e)[0] == "LimitExceeded"
    iam.delete_access_key(UserName="alice", AccessKeyId=first)
    iam.create_access_key(UserName="alice")
    assert len(iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]) == 2


def test_last_used_is_recorded(server):
    iam = server.iam()
    alice = server.new_user("alice", policy=LIST_USERS)
    never = iam.get_access_key_last_used(AccessKeyId=alice.key_id)
    assert never["UserName"] == "alice"
    assert never["AccessKeyLastUsed"]["ServiceName"] == "N/A"
    assert never["AccessKeyLastUsed"]["Region"] == "N/A"
    assert "LastUsedDate" not in never["AccessKeyLastUsed"]

    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    server.iam(alice).list_users()
    after = datetime.datetime.now(datetime.timezone.utc)
    used = iam.get_access_key_last_used(AccessKeyId=alice.key_id)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "iam"
    assert used["Region"] == "us-east-1"
    assert before - datetime.timedelta(seconds=1) <= used["LastUsedDate"] <= after + datetime.timedelta(seconds=1)

    # A second key, first used with another service in another region, records those.
    second = server.iam().create_access_key(UserName="alice")["AccessKey"]
    second = Creds(second["AccessKeyId"], second["SecretAccessKey"], "alice")
    server.client("sts", second, region="eu-west-2").get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=second.key_id)["AccessKeyLastUsed"]
    assert (used["ServiceName"], used["Region"]) == ("sts", "eu-west-2")
    assert "LastUsedDate" in used


def test_last_used_of_unknown_key_is_access_denied(server):
    with pytest.raises(ClientError) as e:
        server.iam().get_access_key_last_used(AccessKeyId="AKIAAAAAAAAAAAAAAAAA")
    assert error_of(e)[:2] == ("AccessDenied", 403)


def test_key_deactivated_mid_run_stops_working(server):
    alice = server.new_user("alice", policy=LIST_USERS)
    as_alice = server.iam(alice)
    as_alice.list_users()
    server.iam().update_access_key(UserName="alice", AccessKeyId=alice.key_id, Status="Inactive")
    with pytest.raises(ClientError) as e:
        as_alice.list_users()
    assert error_of(e)[:2] == ("InvalidClientTokenId", 403)
    with pytest.raises(ClientError) as e:
        server.sts(alice).get_caller_identity()
    assert error_of(e)[:2] == ("InvalidClientTokenId", 403)
    # Active again: it works on the next request.
    server.iam().update_access_key(UserName="alice", AccessKeyId=alice.key_id, Status="Active")
    as_alice.list_users()


def test_deleted_key_stops_working(server):
    alice = server.new_user("alice", policy=LIST_USERS)
    as_alice = server.iam(alice)
    as_alice.list_users()
    server.iam().delete_access_key(UserName="alice", AccessKeyId=alice.key_id)
    with pytest.raises(ClientError) as e:
        as_alice.list_users()
    assert error_of(e)[:2] == ("InvalidClientTokenId", 403)


def test_access_keys_with_the_aws_cli(server):
    server.aws("iam", "create-user", "--user-name", "dave")
    key = server.aws("iam", "create-access-key", "--user-name", "dave")["AccessKey"]
    listed = server.aws("iam", "list-access-keys", "--user-name", "dave")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
    # The new key signs requests for the CLI too.
    dave = Creds(key["AccessKeyId"], key["SecretAccessKey"], "dave")
    me = server.aws("sts", "get-caller-identity", creds=dave)
    assert me["Arn"].endswith(":user/dave")
    server.aws("iam", "update-access-key", "--user-name", "dave", "--access-key-id", key["AccessKeyId"],
               "--status", "Inactive")
    denied = server.aws("sts", "get-caller-identity", creds=dave, check=False)
    assert denied.returncode != 0 and "InvalidClientTokenId" in denied.stderr
    server.aws("iam", "delete-access-key", "--user-name", "dave", "--access-key-id", key["AccessKeyId"])
    assert server.aws("iam", "list-access-keys", "--user-name", "dave")["AccessKeyMetadata"] == []


def test_concurrent_create_access_key_lets_exactly_two_succeed(durable_server):
    """100 CreateAccessKey calls on one user at once: the two-key quota holds under
    concurrency, on the durable store of each backend."""
    server = durable_server
    server.iam().create_user(UserName="racer")
    # One client shared by all threads (botocore clients are thread-safe), with a pool
    # large enough that the calls really are in flight together.
    iam = server.client("iam", pool=100)
    barrier = threading.Barrier(100)
    results: list = [None] * 100

    def call(i):
        barrier.wait()
        try:
            results[i] = ("ok", iam.create_access_key(UserName="racer")["AccessKey"]["AccessKeyId"])
        except ClientError as e:
            results[i] = (e.response["Error"]["Code"], e.response["Error"]["Message"])
        except Exception as e:  # noqa: BLE001 - any other failure is reported below
            results[i] = ("exception", repr(e))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(100)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert time.monotonic() - started < 120
    outcomes = {}
    for r in results:
        outcomes[r[0]] = outcomes.get(r[0], 0) + 1
    assert outcomes == {"ok": 2, "LimitExceeded": 98}, results
    created = sorted(r[1] for r in results if r[0] == "ok")
    listed = sorted(k["AccessKeyId"] for k in server.iam().list_access_keys(UserName="racer")["AccessKeyMetadata"])
    assert listed == created
