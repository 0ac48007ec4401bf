"""Users' other credentials: SSH public keys, signing certificates and service-specific
credentials, with boto3 and the aws CLI: every operation, its errors, quotas, the effect on
DeleteUser, and authorization of each action on its user's ARN."""

import base64
import datetime
import hashlib
import json

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from conftest import ACCOUNT_ID, allow, error_of, user_arn


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def openssh(key, comment="dev@example"):
    body = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return f"{body.decode()} {comment}"


def pem(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def md5_fingerprint(key):
    blob = base64.b64decode(openssh(key).split()[1])
    digest = hashlib.md5(blob).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def certificate(days=365, not_after=None):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "castellan test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    end = not_after or now + datetime.timedelta(days=days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(min(now, end) - datetime.timedelta(days=1))
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# ---- SSH public keys ----


def test_ssh_keys_upload_get_update_list_delete(server):
    iam = server.iam()
    iam.create_user(UserName="dev")
    key = rsa_key()
    uploaded = iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=openssh(key))["SSHPublicKey"]
    key_id = uploaded["SSHPublicKeyId"]
    assert key_id.startswith("APKA") and len(key_id) == 21
    assert uploaded["UserName"] == "dev"
    assert uploaded["Status"] == "Active"
    assert uploaded["Fingerprint"] == md5_fingerprint(key)
    assert uploaded["SSHPublicKeyBody"] == openssh(key)

    as_ssh = iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Encoding="SSH")["SSHPublicKey"]
    assert as_ssh["SSHPublicKeyBody"] == openssh(key).rsplit(" ", 1)[0]
    as_pem = iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Encoding="PEM")["SSHPublicKey"]
    assert as_pem["SSHPublicKeyBody"] == pem(key)
    assert as_pem["Fingerprint"] == uploaded["Fingerprint"]

    # A key given in PEM is the same key: a duplicate for this user, not for another.
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=pem(key))
    assert error_of(e)[:2] == ("DuplicateSSHPublicKey", 400)
    iam.create_user(UserName="ops")
    iam.upload_ssh_public_key(UserName="ops", SSHPublicKeyBody=pem(key))

    iam.update_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Status="Inactive")
    listed = iam.list_ssh_public_keys(UserName="dev")["SSHPublicKeys"]
    assert [(k["SSHPublicKeyId"], k["Status"], k["UserName"]) for k in listed] == [(key_id, "Inactive", "dev")]
    assert "UploadDate" in listed[0] and "SSHPublicKeyBody" not in listed[0]

    iam.delete_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id)
    assert iam.list_ssh_public_keys(UserName="dev")["SSHPublicKeys"] == []
    with pytest.raises(ClientError) as e:
        iam.get_ssh_public_key(UserName="dev", SSHPublicKeyId=key_id, Encoding="SSH")
    assert error_of(e) == ("NoSuchEntity", 404, f"The Public Key with id {key_id} cannot be found.")


def test_ssh_key_errors_and_quota(server):
    iam = server.iam()
    iam.create_user(UserName="dev")
    cases = [
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", "UnrecognizedPublicKeyEncoding"),
        ("not a key", "UnrecognizedPublicKeyEncoding"),
        ("ssh-rsa AAAA!!!notbase64", "InvalidPublicKey"),
        (openssh(rsa_key(1024)), "InvalidPublicKey"),
        ("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n", "InvalidPublicKey"),
    ]
    for body, code in cases:
        with pytest.raises(ClientError) as e:
            iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=body)
        assert error_of(e)[:2] == (code, 400), body
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName="nobody", SSHPublicKeyBody=openssh(rsa_key()))
    assert error_of(e)[:2] == ("NoSuchEntity", 404)

    for _ in range(5):
        iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=openssh(rsa_key()))
    with pytest.raises(ClientError) as e:
        iam.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=openssh(rsa_key()))
    assert error_of(e) == ("LimitExceeded", 409, "Cannot exceed quota for SSHPublicKeysPerUser: 5")

    # Another user's key id is not found under this user.
    iam.create_user(UserName="ops")
    other = iam.upload_ssh_public_key(UserName="ops", SSHPublicKeyBody=openssh(rsa_key()))
    other_id = other["SSHPublicKey"]["SSHPublicKeyId"]
    with pytest.raises(ClientError) as e:
        iam.delete_ssh_public_key(UserName="dev", SSHPublicKeyId=other_id)
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    # Expired is not a status a key can be given.
    with pytest.raises(ClientError) as e:
        iam.update_ssh_public_key(UserName="ops", SSHPublicKeyId=other_id, Status="Expired")
    assert error_of(e)[:2] == ("ValidationError", 400)

    # DeleteUser waits for the keys to go.
    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="ops")
    assert error_of(e) == ("DeleteConflict", 409, "Cannot delete entity, must delete SSH public keys first.")
    iam.delete_ssh_public_key(UserName="ops", SSHPublicKeyId=other_id)
    iam.delete_user(UserName="ops")


def test_ssh_keys_with_the_cli(server):
    server.iam().create_user(UserName="cli")
    key = rsa_key()
    uploaded = server.aws("iam", "upload-ssh-public-key", "--user-name", "cli", "--ssh-public-key-body", openssh(key))
    key_id = uploaded["SSHPublicKey"]["SSHPublicKeyId"]
    got = server.aws("iam", "get-ssh-public-key", "--user-name", "cli", "--ssh-public-key-id", key_id, "--encoding", "PEM")
    assert got["SSHPublicKey"]["SSHPublicKeyBody"] == pem(key)
    server.aws("iam", "update-ssh-public-key", "--user-name", "cli", "--ssh-public-key-id", key_id, "--status", "Inactive")
    listed = server.aws("iam", "list-ssh-public-keys", "--user-name", "cli")
    assert [k["Status"] for k in listed["SSHPublicKeys"]] == ["Inactive"]
    server.aws("iam", "delete-ssh-public-key", "--user-name", "cli", "--ssh-public-key-id", key_id)
    done = server.aws("iam", "upload-ssh-public-key", "--user-name", "cli", "--ssh-public-key-body", "junk", check=False)
    assert done.returncode != 0 and "UnrecognizedPublicKeyEncoding" in done.stderr


# ---- Signing certificates ----


def test_signing_certificates(server):
    iam = server.iam()
    iam.create_user(UserName="signer")
    body = certificate()
    cert = iam.upload_signing_certificate(UserName="signer", CertificateBody=body)["Certificate"]
    cert_id = cert["CertificateId"]
    assert len(cert_id) >= 24 and cert_id.isalnum()
    assert (cert["UserName"], cert["Status"], cert["CertificateBody"]) == ("signer", "Active", body)

    # The same certificate anywhere in the account is a duplicate.
    iam.create_user(UserName="other")
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName="other", CertificateBody=body)
    assert error_of(e)[:2] == ("DuplicateCertificate", 409)

    iam.update_signing_certificate(UserName="signer", CertificateId=cert_id, Status="Inactive")
    listed = iam.list_signing_certificates(UserName="signer")["Certificates"]
    assert [(c["CertificateId"], c["Status"], c["CertificateBody"]) for c in listed] == [(cert_id, "Inactive", body)]

    iam.upload_signing_certificate(UserName="signer", CertificateBody=certificate())
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName="signer", CertificateBody=certificate())
    assert error_of(e) == ("LimitExceeded", 409, "Cannot exceed quota for CertificatesPerUser: 2")

    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="signer")
    assert error_of(e) == ("DeleteConflict", 409, "Cannot delete entity, must delete signing certificates first.")

    iam.delete_signing_certificate(UserName="signer", CertificateId=cert_id)
    with pytest.raises(ClientError) as e:
        iam.delete_signing_certificate(UserName="signer", CertificateId=cert_id)
    assert error_of(e) == ("NoSuchEntity", 404, f"The Certificate with id {cert_id} cannot be found.")


def test_signing_certificate_errors(server):
    iam = server.iam()
    iam.create_user(UserName="signer")
    expired = certificate(not_after=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))
    for body in ("not a certificate", "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", expired, pem(rsa_key())):
        with pytest.raises(ClientError) as e:
            iam.upload_signing_certificate(UserName="signer", CertificateBody=body)
        assert error_of(e)[:2] == ("MalformedCertificate", 400), body
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName="signer", CertificateBody="invalid-certificate-body")
    # AWS's words, as recorded on AWS.
    assert error_of(e) == ("MalformedCertificate", 400, "Certificate invalid-certificate-body is malformed.")
    with pytest.raises(ClientError) as e:
        iam.upload_signing_certificate(UserName="nobody", CertificateBody=certificate())
    assert error_of(e) == ("NoSuchEntity", 404, "The user with name nobody cannot be found.")


def test_root_signing_certificates_without_a_user_name(server):
    iam = server.iam()
    cert = iam.upload_signing_certificate(CertificateBody=certificate())["Certificate"]
    listed = iam.list_signing_certificates()["Certificates"]
    assert [c["CertificateId"] for c in listed] == [cert["CertificateId"]]
    via_cli = server.aws("iam", "list-signing-certificates")
    assert [c["CertificateId"] for c in via_cli["Certificates"]] == [cert["CertificateId"]]
    server.aws("iam", "update-signing-certificate", "--certificate-id", cert["CertificateId"], "--status", "Inactive")
    server.aws("iam", "delete-signing-certificate", "--certificate-id", cert["CertificateId"])
    assert iam.list_signing_certificates()["Certificates"] == []


def test_a_user_manages_its_own_certificates_without_naming_itself(server):
    me = server.new_user(
        "self",
        policy=allow(
            ["iam:UploadSigningCertificate", "iam:ListSigningCertificates"], user_arn("self")
        ),
    )
    iam = server.iam(me)
    cert = iam.upload_signing_certificate(CertificateBody=certificate())["Certificate"]
    assert cert["UserName"] == "self"
    assert [c["CertificateId"] for c in iam.list_signing_certificates()["Certificates"]] == [cert["CertificateId"]]
    assert server.iam().list_signing_certificates()["Certificates"] == []


# ---- Service-specific credentials ----


def test_service_specific_credentials(server):
    iam = server.iam()
    iam.create_user(UserName="git")
    made = iam.create_service_specific_credential(UserName="git", ServiceName="codecommit.amazonaws.com")
    cred = made["ServiceSpecificCredential"]
    cred_id = cred["ServiceSpecificCredentialId"]
    assert cred_id.startswith("ACCA") and len(cred_id) == 21
    assert cred["ServiceUserName"] == f"git-at-{ACCOUNT_ID}"
    assert len(cred["ServicePassword"]) == 44
    assert (cred["UserName"], cred["Status"], cred["ServiceName"]) == ("git", "Active", "codecommit.amazonaws.com")
    assert "ExpirationDate" not in cred and "ServiceCredentialSecret" not in cred

    iam.create_service_specific_credential(UserName="git", ServiceName="codecommit.amazonaws.com")
    with pytest.raises(ClientError) as e:
        iam.create_service_specific_credential(UserName="git", ServiceName="codecommit.amazonaws.com")
    assert error_of(e)[:2] == ("LimitExceeded", 409)
    # The quota is per service.
    iam.create_service_specific_credential(UserName="git", ServiceName="cassandra.amazonaws.com")

    listed = iam.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]
    assert len(listed) == 3 and all("ServicePassword" not in c for c in listed)
    only = iam.list_service_specific_credentials(UserName="git", ServiceName="cassandra.amazonaws.com")
    assert [c["ServiceName"] for c in only["ServiceSpecificCredentials"]] == ["cassandra.amazonaws.com"]

    reset = iam.reset_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cred_id)
    new_password = reset["ServiceSpecificCredential"]["ServicePassword"]
    assert len(new_password) == 44 and new_password != cred["ServicePassword"]

    iam.update_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cred_id, Status="Inactive")
    statuses = {
        c["ServiceSpecificCredentialId"]: c["Status"]
        for c in iam.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]
    }
    assert statuses[cred_id] == "Inactive"

    with pytest.raises(ClientError) as e:
        iam.delete_user(UserName="git")
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    for c in iam.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]:
        iam.delete_service_specific_credential(UserName="git", ServiceSpecificCredentialId=c["ServiceSpecificCredentialId"])
    iam.delete_user(UserName="git")


def test_api_keys_and_unsupported_services(server):
    iam = server.iam()
    iam.create_user(UserName="ml")
    made = iam.create_service_specific_credential(UserName="ml", ServiceName="bedrock.amazonaws.com", CredentialAgeDays=30)
    key = made["ServiceSpecificCredential"]
    assert key["ServiceCredentialAlias"].startswith("ml+") and key["ServiceCredentialSecret"]
    assert "ServicePassword" not in key and "ServiceUserName" not in key
    assert key["ExpirationDate"] - key["CreateDate"] == datetime.timedelta(days=30)
    with pytest.raises(ClientError) as e:
        iam.create_service_specific_credential(UserName="ml", ServiceName="s3.amazonaws.com")
    assert error_of(e)[:2] == ("NotSupportedService", 404)
    with pytest.raises(ClientError) as e:
        iam.create_service_specific_credential(UserName="ml", ServiceName="codecommit.amazonaws.com", CredentialAgeDays=3)
    assert error_of(e)[:2] == ("InvalidInput", 400)
    with pytest.raises(ClientError) as e:
        iam.reset_service_specific_credential(UserName="ml", ServiceSpecificCredentialId="ACCAAAAAAAAAAAAAAAAAA")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    # Every user's credentials at once.
    iam.create_user(UserName="git")
    iam.create_service_specific_credential(UserName="git", ServiceName="codecommit.amazonaws.com")
    every = iam.list_service_specific_credentials(AllUsers=True)["ServiceSpecificCredentials"]
    assert sorted(c["UserName"] for c in every) == ["git", "ml"]


def test_service_specific_credentials_with_the_cli(server):
    server.iam().create_user(UserName="cli")
    made = server.aws(
        "iam", "create-service-specific-credential", "--user-name", "cli", "--service-name", "cassandra.amazonaws.com"
    )
    cred_id = made["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]
    listed = server.aws("iam", "list-service-specific-credentials", "--user-name", "cli")
    assert [c["ServiceSpecificCredentialId"] for c in listed["ServiceSpecificCredentials"]] == [cred_id]
    server.aws("iam", "reset-service-specific-credential", "--user-name", "cli", "--service-specific-credential-id", cred_id)
    server.aws(
        "iam", "update-service-specific-credential", "--user-name", "cli",
        "--service-specific-credential-id", cred_id, "--status", "Inactive",
    )
    server.aws("iam", "delete-service-specific-credential", "--user-name", "cli", "--service-specific-credential-id", cred_id)


# ---- Authorization: each action on its user's ARN ----

ACTIONS = [
    "iam:UploadSSHPublicKey", "iam:GetSSHPublicKey", "iam:UpdateSSHPublicKey", "iam:DeleteSSHPublicKey",
    "iam:ListSSHPublicKeys", "iam:UploadSigningCertificate", "iam:UpdateSigningCertificate",
    "iam:DeleteSigningCertificate", "iam:ListSigningCertificates", "iam:CreateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential", "iam:UpdateServiceSpecificCredential",
    "iam:DeleteServiceSpecificCredential", "iam:ListServiceSpecificCredentials",
]


def test_each_action_is_authorized_on_the_users_arn(server):
    iam = server.iam()
    iam.create_user(UserName="target", Path="/team/")
    ssh = iam.upload_ssh_public_key(UserName="target", SSHPublicKeyBody=openssh(rsa_key()))["SSHPublicKey"]["SSHPublicKeyId"]
    cert = iam.upload_signing_certificate(UserName="target", CertificateBody=certificate())["Certificate"]["CertificateId"]
    cred = iam.create_service_specific_credential(UserName="target", ServiceName="codecommit.amazonaws.com")
    cred_id = cred["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ACTIONS, "Resource": "*"},
            {"Effect": "Deny", "Action": ACTIONS, "Resource": user_arn("target", "/team/")},
        ],
    }
    actor = server.iam(server.new_user("actor", policy=policy))
    calls = [
        lambda: actor.upload_ssh_public_key(UserName="target", SSHPublicKeyBody=openssh(rsa_key())),
        lambda: actor.get_ssh_public_key(UserName="target", SSHPublicKeyId=ssh, Encoding="SSH"),
        lambda: actor.update_ssh_public_key(UserName="target", SSHPublicKeyId=ssh, Status="Inactive"),
        lambda: actor.delete_ssh_public_key(UserName="target", SSHPublicKeyId=ssh),
        lambda: actor.list_ssh_public_keys(UserName="target"),
        lambda: actor.upload_signing_certificate(UserName="target", CertificateBody=certificate()),
        lambda: actor.update_signing_certificate(UserName="target", CertificateId=cert, Status="Inactive"),
        lambda: actor.delete_signing_certificate(UserName="target", CertificateId=cert),
        lambda: actor.list_signing_certificates(UserName="target"),
        lambda: actor.create_service_specific_credential(UserName="target", ServiceName="cassandra.amazonaws.com"),
        lambda: actor.reset_service_specific_credential(UserName="target", ServiceSpecificCredentialId=cred_id),
        lambda: actor.update_service_specific_credential(UserName="target", ServiceSpecificCredentialId=cred_id, Status="Inactive"),
        lambda: actor.delete_service_specific_credential(UserName="target", ServiceSpecificCredentialId=cred_id),
        lambda: actor.list_service_specific_credentials(UserName="target"),
    ]
    for action, call in zip(ACTIONS, calls):
        with pytest.raises(ClientError) as e:
            call()
        code, status, message = error_of(e)
        assert (code, status) == ("AccessDenied", 403), action
        assert f"perform: {action} on resource: {user_arn('target', '/team/')}" in message, message
    # Nothing changed.
    assert iam.list_ssh_public_keys(UserName="target")["SSHPublicKeys"][0]["Status"] == "Active"
    assert len(iam.list_signing_certificates(UserName="target")["Certificates"]) == 1
    assert len(iam.list_service_specific_credentials(UserName="target")["ServiceSpecificCredentials"]) == 1
