"""AssumeRoleWithSAML end to end: a SAML identity provider of the test's own (saml_idp.py,
keys made per run, responses signed by signxml) is registered with CreateSAMLProvider; a
user it vouches for lands in a read-only role through boto3 and the aws CLI, reads, and is
denied a write; altered, wrapped and unlisted-role assertions are refused with AWS's errors;
the trust policy decides with the saml: keys. Encrypted assertions: a provider in Required
mode holding the private key the IdP encrypts to (RSA-OAEP with AES-GCM or AES-CBC, by the
`cryptography` package) is assumed through, plain and undecryptable assertions are refused,
keys rotate, and the console signs in at the provider's own endpoint."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from lxml import etree

import secrets_registry
from conftest import ACCOUNT_ID, REGION, error_of
from saml_idp import ATTR, AWS_SAML, SAML, XENC, Idp, ServiceProvider, aws_attributes
from test_sts import session_client

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
ROLE = "SamlReadOnly"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/{ROLE}"
PROVIDER = "TestIdp"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{PROVIDER}"


def read_only_role(iam, condition: dict) -> None:
    """The read-only role, trusting provider TestIdp under `condition`."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER_ARN},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                "Condition": condition,
            }
        ],
    }
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=READ_ONLY)


@pytest.fixture
def idp(server):
    """The IdP, registered as provider TestIdp, and the read-only role that trusts it for
    subjects of example.com."""
    idp = Idp()
    iam = server.iam()
    arn = iam.create_saml_provider(Name=PROVIDER, SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    assert arn == PROVIDER_ARN
    read_only_role(
        iam,
        {
            "StringEquals": {"saml:aud": AWS_SAML, "saml:iss": idp.entity_id},
            "StringLike": {"saml:sub": "*@example.com"},
        },
    )
    return idp


def response(idp: Idp, subject: str = "alice@example.com", role: str = ROLE_ARN, **attributes) -> str:
    assertion = idp.signed_response(subject, aws_attributes(role, PROVIDER_ARN, "alice", **attributes))
    secrets_registry.REGISTRY.add(assertion, "SAMLAssertion")
    return assertion


def assume(server, assertion: str, role: str = ROLE_ARN):
    return server.sts().assume_role_with_saml(RoleArn=role, PrincipalArn=PROVIDER_ARN, SAMLAssertion=assertion)


def test_a_saml_user_lands_in_the_read_only_role_and_is_denied_a_write(server, idp):
    answer = assume(server, response(idp, **{ATTR + "PrincipalTag:team": ["blue"]}))
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{ROLE}/alice"
    assert answer["Subject"] == "alice@example.com"
    assert answer["SubjectType"] == "persistent"
    assert answer["Issuer"] == idp.entity_id
    assert answer["Audience"] == AWS_SAML
    digest = hashlib.sha1(f"{idp.entity_id}{ACCOUNT_ID}/{PROVIDER}".encode()).digest()
    assert answer["NameQualifier"] == base64.b64encode(digest).decode()

    session = session_client(server, "iam", answer["Credentials"])
    session.list_users()
    with pytest.raises(ClientError) as e:
        session.create_user(UserName="intruder")
    assert error_of(e)[0] == "AccessDenied"
    identity = session_client(server, "sts", answer["Credentials"]).get_caller_identity()
    assert identity["Arn"] == answer["AssumedRoleUser"]["Arn"]


def test_a_saml_session_carries_no_federated_provider(server, idp):
    """AWS documents aws:FederatedProvider for OIDC sessions only (reading 56): neither the
    trust decision nor the session's requests of AssumeRoleWithSAML see it."""
    absent = {"Null": {"aws:FederatedProvider": "true"}}
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": PROVIDER_ARN},
        "Action": "sts:AssumeRoleWithSAML", "Condition": absent,
    }]}
    reads = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*", "Condition": absent,
    }]}
    iam = server.iam()
    iam.create_role(RoleName="SamlPlain", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="SamlPlain", PolicyName="reads", PolicyDocument=json.dumps(reads))
    role = f"arn:aws:iam::{ACCOUNT_ID}:role/SamlPlain"
    answer = assume(server, response(idp, role=role), role=role)
    session_client(server, "iam", answer["Credentials"]).list_roles()


def test_the_aws_cli_assumes_with_saml_and_its_session_cannot_write(server, idp):
    assertion = response(idp)
    answer = server.aws(
        "sts", "assume-role-with-saml",
        "--role-arn", ROLE_ARN,
        "--principal-arn", PROVIDER_ARN,
        "--saml-assertion", assertion,
    )
    credentials = answer["Credentials"]
    aws = Path(sys.executable).parent / "aws"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("CASTELLAN_")}
    env.update(
        AWS_ACCESS_KEY_ID=credentials["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=credentials["SecretAccessKey"],
        AWS_SESSION_TOKEN=credentials["SessionToken"],
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_MAX_ATTEMPTS="1",
    )
    command = [str(aws) if aws.exists() else "aws"]
    base = ["--endpoint-url", server.endpoint, "--output", "json"]
    read = subprocess.run(command + ["iam", "list-roles"] + base, env=env, capture_output=True, text=True, timeout=120)
    assert read.returncode == 0, read.stderr
    write = subprocess.run(
        command + ["iam", "create-user", "--user-name", "intruder"] + base,
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert write.returncode != 0
    assert "AccessDenied" in write.stderr


def test_altered_and_wrapped_assertions_are_refused(server, idp):
    xml = base64.b64decode(response(idp))
    tree = etree.fromstring(xml)
    name_id = tree.find(f".//{{{SAML}}}NameID")
    name_id.text = "mallory@example.com"
    altered = base64.b64encode(etree.tostring(tree)).decode()
    with pytest.raises(ClientError) as e:
        assume(server, altered)
    assert error_of(e)[:2] == ("InvalidIdentityToken", 400)
    assert error_of(e)[2] == "Response signature invalid"

    # Wrapping: an unsigned copy with another subject beside the signed assertion.
    tree = etree.fromstring(xml)
    signed = tree.find(f"{{{SAML}}}Assertion")
    evil = etree.fromstring(etree.tostring(signed))
    evil.remove(evil.find("{http://www.w3.org/2000/09/xmldsig#}Signature"))
    evil.find(f".//{{{SAML}}}NameID").text = "mallory@example.com"
    tree.insert(2, evil)
    with pytest.raises(ClientError) as e:
        assume(server, base64.b64encode(etree.tostring(tree)).decode())
    assert error_of(e)[0] == "InvalidIdentityToken"

    # Signed by a key the provider's metadata does not hold.
    with pytest.raises(ClientError) as e:
        assume(server, response(Idp()))
    assert error_of(e)[0] == "InvalidIdentityToken"


def test_the_role_must_be_listed_and_the_trust_policy_decides_with_saml_keys(server, idp):
    other = f"arn:aws:iam::{ACCOUNT_ID}:role/Other"
    with pytest.raises(ClientError) as e:
        assume(server, response(idp, role=other))
    assert error_of(e) == ("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")
    # A subject outside example.com fails the trust policy's saml:sub condition.
    with pytest.raises(ClientError) as e:
        assume(server, response(idp, subject="eve@elsewhere.test"))
    assert error_of(e)[0] == "AccessDenied"
    # No RoleSessionName attribute.
    bare = idp.signed_response("alice@example.com", {ATTR + "Role": [f"{ROLE_ARN},{PROVIDER_ARN}"]})
    secrets_registry.REGISTRY.add(bare, "SAMLAssertion")
    with pytest.raises(ClientError) as e:
        assume(server, bare)
    assert error_of(e) == ("InvalidIdentityToken", 400, "RoleSessionName is required in AuthnResponse")


UNDECRYPTABLE = "Invalid SAML response: the encrypted assertion could not be decrypted and verified"


def private_key(sp: ServiceProvider) -> str:
    pem = sp.key_pem()
    secrets_registry.REGISTRY.add(pem, "SAML provider private key (made for an e2e test)")
    return pem


@pytest.fixture
def encrypting(server):
    """The IdP and the service provider key it encrypts to: provider TestIdp in Required mode
    holding that private key, and the read-only role trusting it."""
    idp, sp = Idp(), ServiceProvider()
    iam = server.iam()
    iam.create_saml_provider(
        Name=PROVIDER,
        SAMLMetadataDocument=idp.metadata(),
        AssertionEncryptionMode="Required",
        AddPrivateKey=private_key(sp),
    )
    read_only_role(iam, {"StringEquals": {"saml:iss": idp.entity_id}})
    return idp, sp


def encrypted(idp: Idp, sp: ServiceProvider, recipient: str = AWS_SAML, **encryption) -> str:
    assertion = idp.encrypted_response(
        "alice@example.com",
        aws_attributes(ROLE_ARN, PROVIDER_ARN, "alice"),
        sp.public_key(),
        encryption,
        recipient=recipient,
    )
    secrets_registry.REGISTRY.add(assertion, "SAMLAssertion")
    return assertion


def test_an_encrypted_assertion_assumes_the_role_of_a_provider_requiring_encryption(server, encrypting):
    idp, sp = encrypting
    for encryption in (
        {},
        {"content": "aes128-cbc"},
        {"content": "aes256-cbc", "peer_key": True},
        {"content": "aes128-gcm", "transport": "rsa-oaep", "digest": "sha256", "mgf": "sha256"},
    ):
        answer = assume(server, encrypted(idp, sp, **encryption))
        assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{ROLE}/alice", encryption
        assert answer["Subject"] == "alice@example.com"
    session = session_client(server, "iam", answer["Credentials"])
    session.list_roles()
    with pytest.raises(ClientError) as e:
        session.create_user(UserName="intruder")
    assert error_of(e)[0] == "AccessDenied"
    provider = server.iam().get_saml_provider(SAMLProviderArn=PROVIDER_ARN)
    assert provider["AssertionEncryptionMode"] == "Required"


def test_a_plain_assertion_is_refused_when_encryption_is_required_and_taken_when_allowed(server, encrypting):
    idp, _ = encrypting
    with pytest.raises(ClientError) as e:
        assume(server, response(idp))
    assert error_of(e) == (
        "InvalidIdentityToken", 400, "Invalid SAML response: the SAML provider requires encrypted assertions"
    )
    server.iam().update_saml_provider(SAMLProviderArn=PROVIDER_ARN, AssertionEncryptionMode="Allowed")
    assert assume(server, response(idp))["Subject"] == "alice@example.com"


def test_every_undecryptable_assertion_gets_one_answer(server, encrypting):
    idp, sp = encrypting
    tampered = etree.fromstring(base64.b64decode(encrypted(idp, sp, content="aes128-cbc")))
    value = tampered.find(f".//{{{XENC}}}EncryptedData/{{{XENC}}}CipherData/{{{XENC}}}CipherValue")
    data = bytearray(base64.b64decode(value.text))
    data[20] ^= 1
    value.text = base64.b64encode(bytes(data)).decode()
    for assertion in (
        encrypted(idp, sp, transport="rsa-1_5"),
        encrypted(idp, ServiceProvider()),
        base64.b64encode(etree.tostring(tampered)).decode(),
    ):
        with pytest.raises(ClientError) as e:
            assume(server, assertion)
        assert error_of(e) == ("InvalidIdentityToken", 400, UNDECRYPTABLE)


def test_private_keys_rotate(server, encrypting):
    idp, old = encrypting
    new = ServiceProvider()
    iam = server.iam()
    [first] = iam.get_saml_provider(SAMLProviderArn=PROVIDER_ARN)["PrivateKeyList"]
    iam.update_saml_provider(SAMLProviderArn=PROVIDER_ARN, AddPrivateKey=private_key(new))
    assert assume(server, encrypted(idp, old))["Subject"] == "alice@example.com"
    assert assume(server, encrypted(idp, new))["Subject"] == "alice@example.com"
    iam.update_saml_provider(SAMLProviderArn=PROVIDER_ARN, RemovePrivateKey=first["KeyId"])
    assert assume(server, encrypted(idp, new))["Subject"] == "alice@example.com"
    with pytest.raises(ClientError) as e:
        assume(server, encrypted(idp, old))
    assert error_of(e) == ("InvalidIdentityToken", 400, UNDECRYPTABLE)


def post_saml(server, path: str, saml_response: str) -> tuple[int, str | None]:
    body = urllib.parse.urlencode({"SAMLResponse": saml_response}).encode()
    request = urllib.request.Request(f"{server.endpoint}{path}", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers.get("Set-Cookie")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Set-Cookie")


def test_the_console_signs_in_with_an_encrypted_assertion_at_the_providers_own_endpoint(server, encrypting):
    idp, sp = encrypting
    uuid = server.iam().get_saml_provider(SAMLProviderArn=PROVIDER_ARN)["SAMLProviderUUID"]
    endpoint = f"/saml/acs/{uuid}"
    status, cookie = post_saml(server, endpoint, encrypted(idp, sp, recipient=AWS_SAML + "/acs/" + uuid))
    assert status == 200
    assert cookie is not None and cookie.startswith("castellan-console=")
    # At /saml the Role attribute that names the provider is encrypted: refused.
    status, cookie = post_saml(server, "/saml", encrypted(idp, sp))
    assert (status, cookie) == (403, None)
    # Another provider's endpoint, and an assertion encrypted to another key: refused.
    assert post_saml(server, "/saml/acs/a0000000-0000-4000-8000-000000000000", encrypted(idp, sp))[0] == 403
    assert post_saml(server, endpoint, encrypted(idp, ServiceProvider()))[0] == 403
