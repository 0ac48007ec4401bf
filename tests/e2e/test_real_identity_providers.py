"""Federation against real identity provider software from the npm registry
(tests/e2e/idp): panva's oidc-provider, a certified OpenID Connect provider, serving its
discovery document and JWKS over HTTPS on loopback and issuing RS256 tokens to two CI jobs;
and samlify, a SAML IdP library, making its metadata and signing login responses (and
encrypting them to a provider that requires encrypted assertions). Castellan
knows nothing of either beyond what an operator gives it (the provider URL and the CA bundle,
the metadata document).

Needs Node.js and the packages installed by scripts/test (`npm ci` in tests/e2e/idp); outside
CI these tests are skipped without them.
"""

from __future__ import annotations

import base64
import datetime
import json
import shutil
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

import secrets_registry
from conftest import ACCOUNT_ID, RUN_DIR, Server, error_of, free_port, in_ci, server_dir
from test_sts import session_client

IDP_DIR = Path(__file__).resolve().parent / "idp"


def node() -> str:
    executable = shutil.which("node")
    installed = (IDP_DIR / "node_modules" / "oidc-provider").is_dir() and (
        IDP_DIR / "node_modules" / "samlify"
    ).is_dir()
    if executable and installed:
        return executable
    if in_ci():
        pytest.fail("Node.js or tests/e2e/idp/node_modules is missing (scripts/test installs them)")
    pytest.skip("Node.js or the identity providers' npm packages are not installed")


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def certificate(subject: str, key, issuer_name: x509.Name | None, issuer_key, ca: bool, dns: str | None):
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A CA made for this run and a `localhost` server certificate it signed."""
    directory = tmp_path_factory.mktemp("real-idp-tls")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate("castellan e2e real-idp CA", ca_key, None, None, ca=True, dns=None)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = certificate("localhost", server_key, ca.subject, ca_key, ca=False, dns="localhost")
    (directory / "ca.pem").write_bytes(pem(ca))
    (directory / "server.pem").write_bytes(pem(server_cert))
    (directory / "server-key.pem").write_bytes(key_pem(server_key))
    return directory


@pytest.fixture(scope="module")
def oidc_issuer(tls):
    """panva's oidc-provider on a loopback port, with two CI jobs as its clients."""
    executable = node()
    port = free_port()
    clients = [
        {"client_id": "deploy-main", "client_secret": "real-idp-client-secret-main-0123456789"},
        {"client_id": "deploy-fork", "client_secret": "real-idp-client-secret-fork-0123456789"},
    ]
    (tls / "clients.json").write_text(json.dumps(clients))
    log = open(RUN_DIR / "oidc-provider.log", "ab")
    process = subprocess.Popen(
        [executable, str(IDP_DIR / "oidc-issuer.mjs"), str(tls / "server.pem"), str(tls / "server-key.pem"), str(port), str(tls / "clients.json")],
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    context = ssl.create_default_context(cafile=str(tls / "ca.pem"))
    issuer = f"https://localhost:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", context=context, timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"oidc-provider did not start: {(RUN_DIR / 'oidc-provider.log').read_text()}")
            time.sleep(0.1)
    yield {"issuer": issuer, "port": port, "context": context, "clients": {c["client_id"]: c for c in clients}}
    process.terminate()
    process.wait(timeout=10)
    log.close()


def token_for(issuer: dict, client_id: str) -> str:
    """A JWT access token from the provider's token endpoint (client credentials grant)."""
    client = issuer["clients"][client_id]
    basic = base64.b64encode(f"{client_id}:{client['client_secret']}".encode()).decode()
    request = urllib.request.Request(
        f"{issuer['issuer']}/token",
        data=b"grant_type=client_credentials&scope=deploy",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, context=issuer["context"], timeout=10) as answer:
        return json.load(answer)["access_token"]


@pytest.fixture(scope="module")
def federation_server(tls):
    """A server that trusts the run's CA for issuers' HTTPS."""
    server = Server("sqlite", server_dir("real-idp"), None, ephemeral=True)
    server.extra_args = ["--trust-ca-file", str(tls / "ca.pem")]
    yield server.start()
    server.stop()


def test_a_ci_job_token_from_a_real_oidc_provider_assumes_the_deploy_role_only_for_its_own_job(
    federation_server, oidc_issuer
):
    server = federation_server
    server.reset()
    iam = server.iam()
    host = f"localhost:{oidc_issuer['port']}"
    provider_arn = iam.create_open_id_connect_provider(
        Url=oidc_issuer["issuer"], ClientIDList=["sts.amazonaws.com"]
    )["OpenIDConnectProviderArn"]
    assert provider_arn == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{host}:aud": "sts.amazonaws.com", f"{host}:sub": "deploy-main"}
                },
            }
        ],
    }
    role_arn = iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="deploy",
        PolicyName="list-users",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}
        ),
    )

    # boto3: the main branch's job gets in and acts as the role.
    sts = server.sts()
    answer = sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="main-build-1", WebIdentityToken=token_for(oidc_issuer, "deploy-main")
    )
    assert answer["SubjectFromWebIdentityToken"] == "deploy-main"
    assert answer["Audience"] == "sts.amazonaws.com"
    assert answer["Provider"] == provider_arn
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/deploy/main-build-1"
    credentials = answer["Credentials"]
    role_iam = session_client(server, "iam", credentials)
    role_iam.list_users()
    with pytest.raises(Exception) as denied:
        role_iam.create_user(UserName="intruder")
    assert error_of(denied)[0] == "AccessDenied"

    # The aws CLI, the same way a CI job's script would call it.
    out = server.aws(
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        role_arn,
        "--role-session-name",
        "main-build-2",
        "--web-identity-token",
        token_for(oidc_issuer, "deploy-main"),
    )
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/deploy/main-build-2")

    # Another job of the same provider (a fork) is refused, in AWS's words.
    with pytest.raises(Exception) as refused:
        sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="fork-build", WebIdentityToken=token_for(oidc_issuer, "deploy-fork")
        )
    assert error_of(refused)[:2] == ("AccessDenied", 403)
    failed = server.aws(
        "sts",
        "assume-role-with-web-identity",
        "--role-arn",
        role_arn,
        "--role-session-name",
        "fork-build",
        "--web-identity-token",
        token_for(oidc_issuer, "deploy-fork"),
        check=False,
    )
    assert failed.returncode != 0 and "AccessDenied" in failed.stderr, failed.stderr


def samlify(tls_dir: Path, *args: str) -> str:
    executable = node()
    return subprocess.run(
        [executable, str(IDP_DIR / "saml-idp.mjs"), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


SAMLIFY_ENTITY = "https://idp.castellan.test"


def samlify_idp(tmp_path: Path) -> str:
    """The samlify IdP's key and certificate (idp-key.pem, idp.pem in `tmp_path`): its
    metadata document."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = certificate("castellan e2e samlify IdP", key, None, None, ca=False, dns=None)
    (tmp_path / "idp.pem").write_bytes(pem(cert))
    (tmp_path / "idp-key.pem").write_bytes(key_pem(key))
    return samlify(tmp_path, "metadata", str(tmp_path / "idp.pem"), str(tmp_path / "idp-key.pem"), SAMLIFY_ENTITY)


def test_a_saml_user_signed_by_a_real_idp_library_lands_in_a_read_only_role_and_is_denied_a_write(
    federation_server, tmp_path
):
    server = federation_server
    server.reset()
    entity = SAMLIFY_ENTITY
    metadata = samlify_idp(tmp_path)

    iam = server.iam()
    provider_arn = iam.create_saml_provider(Name="samlify", SAMLMetadataDocument=metadata)["SAMLProviderArn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
            }
        ],
    }
    role_arn = iam.create_role(RoleName="auditor", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="auditor",
        PolicyName="read-only",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}]}
        ),
    )

    def assertion(session_name: str) -> str:
        request = tmp_path / "request.json"
        request.write_text(
            json.dumps({"name_id": "alice", "roles": [f"{role_arn},{provider_arn}"], "session_name": session_name})
        )
        return samlify(tmp_path, "response", str(tmp_path / "idp.pem"), str(tmp_path / "idp-key.pem"), entity, str(request))

    answer = server.sts().assume_role_with_saml(
        RoleArn=role_arn, PrincipalArn=provider_arn, SAMLAssertion=assertion("alice")
    )
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/auditor/alice"
    assert answer["Subject"] == "alice"
    assert answer["Issuer"] == entity
    role_iam = session_client(server, "iam", answer["Credentials"])
    role_iam.list_roles()
    with pytest.raises(Exception) as denied:
        role_iam.create_user(UserName="written-by-auditor")
    assert error_of(denied)[0] == "AccessDenied"

    out = server.aws(
        "sts",
        "assume-role-with-saml",
        "--role-arn",
        role_arn,
        "--principal-arn",
        provider_arn,
        "--saml-assertion",
        assertion("alice-cli"),
    )
    assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/auditor/alice-cli")


def test_a_real_idp_library_encrypting_its_assertions_signs_a_user_in_to_a_provider_requiring_encryption(
    federation_server, tmp_path
):
    """samlify signs the assertion, then encrypts it (xml-encryption: RSA-OAEP, AES-GCM or
    AES-CBC) to the service provider certificate whose private key the provider holds."""
    server = federation_server
    server.reset()
    entity = SAMLIFY_ENTITY
    metadata = samlify_idp(tmp_path)
    sp_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sp_cert = certificate("castellan e2e SAML encryption", sp_key, None, None, ca=False, dns=None)
    (tmp_path / "sp.pem").write_bytes(pem(sp_cert))

    private_key = key_pem(sp_key).decode()
    secrets_registry.REGISTRY.add(private_key, "SAML provider private key (made for an e2e test)")
    iam = server.iam()
    provider_arn = iam.create_saml_provider(
        Name="samlify", SAMLMetadataDocument=metadata, AssertionEncryptionMode="Required", AddPrivateKey=private_key
    )["SAMLProviderArn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithSAML"}],
    }
    role_arn = iam.create_role(RoleName="auditor", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]

    def assertion(session_name: str, **encryption) -> str:
        request = tmp_path / "request.json"
        request.write_text(
            json.dumps(
                {
                    "name_id": "alice",
                    "roles": [f"{role_arn},{provider_arn}"],
                    "session_name": session_name,
                    "encrypt_cert": str(tmp_path / "sp.pem"),
                    **encryption,
                }
            )
        )
        out = samlify(tmp_path, "response", str(tmp_path / "idp.pem"), str(tmp_path / "idp-key.pem"), entity, str(request))
        assert b"EncryptedAssertion" in base64.b64decode(out)
        secrets_registry.REGISTRY.add(out, "SAMLAssertion")
        return out

    for session, data_encryption in (
        ("alice-gcm", "http://www.w3.org/2009/xmlenc11#aes256-gcm"),
        ("alice-cbc", "http://www.w3.org/2001/04/xmlenc#aes128-cbc"),
    ):
        answer = server.sts().assume_role_with_saml(
            RoleArn=role_arn, PrincipalArn=provider_arn, SAMLAssertion=assertion(session, data_encryption=data_encryption)
        )
        assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/auditor/{session}"
        assert answer["Subject"] == "alice"

    # Encrypted to a certificate whose key the provider does not hold: the one answer.
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "sp.pem").write_bytes(pem(certificate("another SP", other_key, None, None, ca=False, dns=None)))
    with pytest.raises(Exception) as refused:
        server.sts().assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider_arn, SAMLAssertion=assertion("alice"))
    assert error_of(refused) == (
        "InvalidIdentityToken",
        400,
        "Invalid SAML response: the encrypted assertion could not be decrypted and verified",
    )
