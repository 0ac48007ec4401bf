"""Virtual MFA devices and MFA in STS, with boto3 and the aws CLI: every operation, AWS's
errors and quotas, authorization on the device's and the user's ARN, codes computed here from
the returned seed (RFC 6238 by hand), and the IAM user guide's "self-manage an MFA device"
policy behaving as on AWS through GetSessionToken with MFA.

The server runs on the real clock, so codes are those of the current 30-second step: a device
is enabled with the previous and the current step's codes, and each later code is the next
step not spent yet (one step of drift is accepted, so the next step's code works at once)."""

import base64
import hashlib
import hmac
import json
import struct
import time

import pytest
from botocore.exceptions import ClientError

import secrets_registry
from conftest import ACCOUNT_ID, Creds, allow, error_of, user_arn
from test_sts import session_client

WRONG_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
UNKNOWN_DEVICE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  "
    "Please verify your MFA serial number is valid and associated with this user."
)


def mfa_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:mfa{path}{name}"


def totp(seed: str, step: int) -> str:
    """RFC 6238 with HMAC-SHA1 and six digits, for the given 30-second step."""
    key = base64.b32decode(seed + "=" * (-len(seed) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def step_now() -> int:
    return int(time.time()) // 30


class Device:
    """A device the test created: its serial number, seed and last step spent."""

    def __init__(self, serial: str, seed: str):
        self.serial = serial
        self.seed = seed
        self.last = None

    def enable(self, iam, user: str):
        now = step_now()
        iam.enable_mfa_device(
            UserName=user,
            SerialNumber=self.serial,
            AuthenticationCode1=totp(self.seed, now - 1),
            AuthenticationCode2=totp(self.seed, now),
        )
        self.last = now
        return self

    def next_code(self) -> str:
        """The code of the earliest step not spent yet that the server accepts now (waiting
        for the clock when the next one is still two steps ahead)."""
        step = max(self.last + 1, step_now() - 1) if self.last is not None else step_now()
        while step > step_now() + 1:
            time.sleep(1)
        self.last = step
        return totp(self.seed, step)


def create(iam, name: str, path: str = "/", **extra) -> Device:
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Path=path, **extra)["VirtualMFADevice"]
    return Device(created["SerialNumber"], created["Base32StringSeed"].decode("ascii"))


def session(server, creds: Creds, device: Device | None = None, code: str | None = None) -> dict:
    """GetSessionToken's credentials, with MFA when a device is given."""
    args = {}
    if device is not None:
        args = dict(SerialNumber=device.serial, TokenCode=code or device.next_code())
    return server.sts(creds).get_session_token(**args)["Credentials"]




def test_create_list_tag_and_delete(server):
    iam = server.iam()
    created = iam.create_virtual_mfa_device(
        VirtualMFADeviceName="phone", Path="/team/", Tags=[{"Key": "owner", "Value": "alice"}]
    )["VirtualMFADevice"]
    assert created["SerialNumber"] == mfa_arn("phone", "/team/")
    seed = created["Base32StringSeed"].decode("ascii")
    assert len(seed) == 64 and set(seed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert created["QRCodePNG"].startswith(b"\x89PNG\r\n\x1a\n")
    assert created["Tags"] == [{"Key": "owner", "Value": "alice"}]
    with pytest.raises(ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="PHONE", Path="/team/")
    assert error_of(e) == ("EntityAlreadyExists", 409, "MFADevice entity at the same path and name already exists.")
    with pytest.raises(ClientError) as e:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="x", Path="team")
    assert error_of(e)[:2] == ("ValidationError", 400)
    iam.create_virtual_mfa_device(VirtualMFADeviceName="spare")

    listed = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in listed] == [mfa_arn("spare"), mfa_arn("phone", "/team/")]
    # The seed and the QR code are answered once, at creation.
    assert all("Base32StringSeed" not in d and "QRCodePNG" not in d for d in listed)
    assert len(iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]) == 2
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"] == []
    page = iam.list_virtual_mfa_devices(MaxItems=1)
    assert page["IsTruncated"] and len(page["VirtualMFADevices"]) == 1
    rest = iam.list_virtual_mfa_devices(Marker=page["Marker"])["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in rest] == [mfa_arn("phone", "/team/")]

    serial = mfa_arn("phone", "/team/")
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "k", "Value": "v"}])
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["owner"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "k", "Value": "v"}]

    iam.delete_virtual_mfa_device(SerialNumber=serial)
    with pytest.raises(ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error_of(e) == ("NoSuchEntity", 404, f"VirtualMFADevice with serial number {serial} doesn't exist.")
    with pytest.raises(ClientError) as e:
        iam.list_mfa_device_tags(SerialNumber=serial)
    assert error_of(e)[:2] == ("NoSuchEntity", 404)


def test_enable_get_resync_deactivate(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    device = create(iam, "alice")
    now = step_now()
    for first, second in [(now, now), (now - 1, now + 1), ("123456", now)]:
        codes = [c if isinstance(c, str) else totp(device.seed, c) for c in (first, second)]
        with pytest.raises(ClientError) as e:
            iam.enable_mfa_device(
                UserName="alice",
                SerialNumber=device.serial,
                AuthenticationCode1=codes[0],
                AuthenticationCode2=codes[1],
            )
        assert error_of(e) == ("InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")
    with pytest.raises(ClientError) as e:
        Device(mfa_arn("nothing"), device.seed).enable(iam, "alice")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as e:
        device.enable(iam, "nobody")
    assert error_of(e) == ("NoSuchEntity", 404, "The user with name nobody cannot be found.")
    device.enable(iam, "alice")
    with pytest.raises(ClientError) as e:
        device.enable(iam, "alice")
    assert error_of(e)[:2] == ("EntityAlreadyExists", 409)

    listed = iam.list_mfa_devices(UserName="alice")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in listed] == [("alice", device.serial)]
    got = iam.get_mfa_device(UserName="alice", SerialNumber=device.serial)
    assert got["SerialNumber"] == device.serial and got["UserName"] == "alice" and "EnableDate" in got
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [(d["SerialNumber"], d["User"]["UserName"]) for d in assigned] == [(device.serial, "alice")]
    assert "EnableDate" in assigned[0]
    # The root user's own devices (none), and a device not enabled for the user named.
    assert iam.list_mfa_devices()["MFADevices"] == []
    spare = create(iam, "spare")
    with pytest.raises(ClientError) as e:
        iam.get_mfa_device(UserName="alice", SerialNumber=spare.serial)
    assert error_of(e) == ("NoSuchEntity", 404, f"VirtualMFADevice with serial number {spare.serial} doesn't exist.")

    # Resync with two consecutive codes a few steps ahead (a device whose clock runs fast).
    ahead = step_now() + 4
    iam.resync_mfa_device(
        UserName="alice",
        SerialNumber=device.serial,
        AuthenticationCode1=totp(device.seed, ahead),
        AuthenticationCode2=totp(device.seed, ahead + 1),
    )
    with pytest.raises(ClientError) as e:
        iam.resync_mfa_device(
            UserName="alice",
            SerialNumber=device.serial,
            AuthenticationCode1=totp(device.seed, ahead),
            AuthenticationCode2=totp(device.seed, ahead + 1),
        )
    assert error_of(e)[:2] == ("InvalidAuthenticationCode", 403)

    with pytest.raises(ClientError) as e:
        iam.delete_virtual_mfa_device(SerialNumber=device.serial)
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    iam.create_user(UserName="bob")
    with pytest.raises(ClientError) as e:
        iam.deactivate_mfa_device(UserName="bob", SerialNumber=device.serial)
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    iam.deactivate_mfa_device(UserName="alice", SerialNumber=device.serial)
    assert iam.list_mfa_devices(UserName="alice")["MFADevices"] == []
    iam.delete_virtual_mfa_device(SerialNumber=device.serial)


def test_eight_devices_per_user_delete_conflict_and_account_summary(server):
    iam = server.iam()
    iam.create_user(UserName="alice")
    devices = [create(iam, f"d{i}") for i in range(9)]
    for device in devices[:8]:
        device.enable(iam, "alice")
    with pytest.raises(ClientError) as e:
        devices[8].enable(iam, "alice")
    assert error_of(e) == ("LimitExceeded", 409, "Cannot exceed quota for MFADevicesPerUser: 8")
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["MFADevices"], summary["MFADevicesInUse"], summary["AccountMFAEnabled"]) == (9, 8, 0)
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="alice")
    assert error_of(e) == ("DeleteConflict", 409, "Cannot delete entity, must delete MFA device first.")
    for device in devices[:8]:
        iam.deactivate_mfa_device(UserName="alice", SerialNumber=device.serial)
    iam.delete_user(UserName="alice")


def test_get_session_token_with_mfa(server):
    creds = server.new_user("alice", policy=allow("iam:ListUsers"))
    device = create(server.iam(), "alice").enable(server.iam(), "alice")
    # A wrong code, and a device that is not the caller's, are AWS's two denials.
    for args, message in [
        (dict(SerialNumber=device.serial, TokenCode="000000"), WRONG_CODE),
        (dict(SerialNumber=mfa_arn("nothing"), TokenCode=totp(device.seed, step_now())), UNKNOWN_DEVICE),
    ]:
        with pytest.raises(ClientError) as e:
            server.sts(creds).get_session_token(**args)
        assert error_of(e) == ("AccessDenied", 403, message)
    code = device.next_code()
    with_mfa = session(server, creds, device, code)
    session_client(server, "iam", with_mfa).list_users()
    # The same code again is refused: a code is accepted once.
    with pytest.raises(ClientError) as e:
        session(server, creds, device, code)
    assert error_of(e) == ("AccessDenied", 403, WRONG_CODE)
    # Without MFA, GetSessionToken's credentials may not call IAM at all.
    without = session(server, creds)
    with pytest.raises(ClientError) as e:
        session_client(server, "iam", without).list_users()
    assert error_of(e)[:2] == ("AccessDenied", 403)


SELF_MANAGE_MFA = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowListActions",
            "Effect": "Allow",
            "Action": ["iam:ListUsers", "iam:ListVirtualMFADevices"],
            "Resource": "*",
        },
        {
            "Sid": "AllowUserToCreateVirtualMFADevice",
            "Effect": "Allow",
            "Action": ["iam:CreateVirtualMFADevice"],
            "Resource": "arn:aws:iam::*:mfa/*",
        },
        {
            "Sid": "AllowUserToManageTheirOwnMFA",
            "Effect": "Allow",
            "Action": ["iam:EnableMFADevice", "iam:GetMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
        {
            "Sid": "AllowUserToDeactivateTheirOwnMFAOnlyWhenUsingMFA",
            "Effect": "Allow",
            "Action": ["iam:DeactivateMFADevice"],
            "Resource": ["arn:aws:iam::*:user/${aws:username}"],
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
        {
            "Sid": "BlockMostAccessUnlessSignedInWithMFA",
            "Effect": "Deny",
            "NotAction": [
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:ListMFADevices",
                "iam:ListUsers",
                "iam:ListVirtualMFADevices",
                "iam:ResyncMFADevice",
            ],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    ],
}


def test_user_guide_self_manage_policy(server):
    # The user guide's policy, plus a grant of GetAccountSummary that it blocks without MFA.
    creds = server.new_user("alice", policy=SELF_MANAGE_MFA)
    server.iam().put_user_policy(
        UserName="alice", PolicyName="summary", PolicyDocument=json.dumps(allow("iam:GetAccountSummary"))
    )
    server.iam().create_user(UserName="bob")
    iam = server.iam(creds)
    # With long-term keys: the device can be made and enabled for oneself only.
    device = create(iam, "alice")
    with pytest.raises(ClientError) as e:
        device.enable(iam, "bob")
    assert error_of(e)[0] == "AccessDenied"
    device.enable(iam, "alice")
    assert [d["SerialNumber"] for d in iam.list_mfa_devices()["MFADevices"]] == [device.serial]
    # Everything else is explicitly denied without MFA, deactivating included.
    for call in (iam.get_account_summary, lambda: iam.deactivate_mfa_device(UserName="alice", SerialNumber=device.serial)):
        with pytest.raises(ClientError) as e:
            call()
        code, status, message = error_of(e)
        assert (code, status) == ("AccessDenied", 403)
        assert "with an explicit deny in an identity-based policy" in message, message
    # Through GetSessionToken with MFA, the same user may.
    mfa_iam = session_client(server, "iam", session(server, creds, device))
    assert mfa_iam.get_account_summary()["SummaryMap"]["MFADevicesInUse"] == 1
    mfa_iam.deactivate_mfa_device(UserName="alice", SerialNumber=device.serial)
    # Deleting is not in the policy: still denied.
    with pytest.raises(ClientError) as e:
        mfa_iam.delete_virtual_mfa_device(SerialNumber=device.serial)
    assert error_of(e)[0] == "AccessDenied"


def test_assume_role_with_a_trust_policy_requiring_mfa(server):
    creds = server.new_user("alice", policy=allow("sts:AssumeRole"))
    device = create(server.iam(), "alice").enable(server.iam(), "alice")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ],
    }
    role = server.iam().create_role(RoleName="admin", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    sts = server.sts(creds)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role, RoleSessionName="s1")
    assert error_of(e)[:2] == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role, RoleSessionName="s1", SerialNumber=device.serial, TokenCode="000000")
    assert error_of(e) == ("AccessDenied", 403, WRONG_CODE)
    assumed = sts.assume_role(RoleArn=role, RoleSessionName="s1", SerialNumber=device.serial, TokenCode=device.next_code())
    who = session_client(server, "sts", assumed["Credentials"])
    assert who.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/admin/s1"


def test_authorization_on_the_device_and_the_user(server):
    own_devices = allow(
        ["iam:CreateVirtualMFADevice", "iam:TagMFADevice", "iam:DeleteVirtualMFADevice"],
        "arn:aws:iam::*:mfa/${aws:username}*",
    )
    creds = server.new_user("alice", policy=own_devices)
    iam = server.iam(creds)
    create(iam, "alice-phone")
    for call, resource in [
        (lambda: iam.create_virtual_mfa_device(VirtualMFADeviceName="bob-phone"), mfa_arn("bob-phone")),
        (lambda: iam.list_virtual_mfa_devices(), "*"),
        (lambda: iam.list_mfa_devices(), user_arn("alice")),
        (lambda: iam.enable_mfa_device(UserName="alice", SerialNumber=mfa_arn("alice-phone"),
                                       AuthenticationCode1="123456", AuthenticationCode2="654321"), user_arn("alice")),
    ]:
        with pytest.raises(ClientError) as e:
            call()
        code, status, message = error_of(e)
        assert (code, status) == ("AccessDenied", 403)
        assert f"on resource: {resource} because no identity-based policy allows" in message, message
    # Creating with tags needs TagMFADevice too; the user has it on its own devices.
    create(iam, "alice-key", Tags=[{"Key": "k", "Value": "v"}])
    iam.delete_virtual_mfa_device(SerialNumber=mfa_arn("alice-key"))


def test_the_aws_cli(server, tmp_path):
    server.iam().create_user(UserName="carol")
    creds = server.new_user("dave", policy=allow("iam:ListUsers"))
    seed_file = tmp_path / "seed.txt"
    created = server.aws(
        "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "dave",
        "--outfile", str(seed_file), "--bootstrap-method", "Base32StringSeed",
    )
    serial = created["VirtualMFADevice"]["SerialNumber"]
    assert serial == mfa_arn("dave")
    seed = seed_file.read_text().strip()
    secrets_registry.REGISTRY.add(seed, "Base32StringSeed (aws CLI outfile)")
    device = Device(serial, seed)
    now = step_now()
    server.aws(
        "iam", "enable-mfa-device", "--user-name", "dave", "--serial-number", serial,
        "--authentication-code1", totp(seed, now - 1), "--authentication-code2", totp(seed, now),
    )
    device.last = now
    listed = server.aws("iam", "list-virtual-mfa-devices", "--assignment-status", "Assigned")
    assert [d["SerialNumber"] for d in listed["VirtualMFADevices"]] == [serial]
    token = server.aws(
        "sts", "get-session-token", "--serial-number", serial, "--token-code", device.next_code(), creds=creds
    )
    assert token["Credentials"]["AccessKeyId"].startswith("ASIA")
    done = server.aws(
        "sts", "get-session-token", "--serial-number", serial, "--token-code", "000000", creds=creds, check=False
    )
    assert done.returncode != 0 and "AccessDenied" in done.stderr and WRONG_CODE in done.stderr
    server.aws("iam", "deactivate-mfa-device", "--user-name", "dave", "--serial-number", serial)
    server.aws("iam", "delete-virtual-mfa-device", "--serial-number", serial)
    assert server.aws("iam", "list-virtual-mfa-devices")["VirtualMFADevices"] == []
