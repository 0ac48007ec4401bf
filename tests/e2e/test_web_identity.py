"""AssumeRoleWithWebIdentity end to end: an OIDC issuer over HTTPS on loopback (a CA and a
server certificate made per run, trusted by the server through --trust-ca-file) serving
discovery and a JWKS with RS256 and ES256 keys made per run; a CI job's token, shaped like
GitHub Actions' (`repo:<org>/<repo>:ref:...` subjects, audience sts.amazonaws.com), assumes a
deploy role whose trust policy pins `sub` to one repository, with boto3 and the aws CLI, and
is refused for another repository; aws:FederatedProvider in the trust decision and in the
session's requests; the hostile-token corpus, each refused with AWS's error; key rotation
fetched on an unknown kid; an unreachable issuer is IDPCommunicationError."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import http.server
import ipaddress
import json
import ssl
import threading
import time

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from conftest import ACCOUNT_ID, Server, allow, error_of, free_port, server_dir
from test_sts import make_role, role_arn, session_client

CLIENT_ID = "sts.amazonaws.com"
REPO = "octo-org/deploy-app"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(number: int) -> str:
    return b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))


def certificate(subject: str, key, issuer_name: str, issuer_key, ca: bool, sans=()) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class Issuer:
    """An OIDC issuer on https://localhost:<port>: discovery, JWKS, and token minting."""

    def __init__(self, directory):
        directory.mkdir(parents=True, exist_ok=True)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = certificate("castellan e2e issuer CA", ca_key, "castellan e2e issuer CA", ca_key, ca=True)
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        leaf = certificate("localhost", leaf_key, "castellan e2e issuer CA", ca_key, ca=False, sans=sans)
        self.ca_path = directory / "issuer-ca.pem"
        self.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        cert_path, key_path = directory / "issuer.pem", directory / "issuer.key"
        cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            leaf_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.keys = {"rsa-1": rsa.generate_private_key(public_exponent=65537, key_size=2048)}
        self.keys["ec-1"] = ec.generate_private_key(ec.SECP256R1())
        self.jwks_fetches = 0
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/keys", "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
                elif self.path == "/keys":
                    issuer.jwks_fetches += 1
                    body = issuer.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.url = f"https://localhost:{self.port}"
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def jwks(self) -> dict:
        keys = []
        for kid, key in self.keys.items():
            numbers = key.public_key().public_numbers()
            if kid.startswith("rsa"):
                keys.append({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": uint(numbers.n), "e": uint(numbers.e)})
            else:
                keys.append({
                    "kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
                    "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big")),
                })
        return {"keys": keys}

    def claims(self, **overrides) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.url, "aud": CLIENT_ID, "sub": f"repo:{REPO}:ref:refs/heads/main",
            "repository": REPO, "ref": "refs/heads/main", "iat": now, "nbf": now - 5, "exp": now + 300,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, kid="rsa-1", header=None, signer=None, **overrides) -> str:
        header = header or {"alg": "RS256" if kid.startswith("rsa") else "ES256", "kid": kid, "typ": "JWT"}
        return self.signed(json.dumps(header), json.dumps(self.claims(**overrides)), signer or self.keys[kid])

    def signed(self, header: str, claims: str, key=None) -> str:
        """A token of the header and claims as written (JSON a dict cannot hold, such as a
        member named twice), signed by `key` (the issuer's rsa-1 by default)."""
        key = key or self.keys["rsa-1"]
        signing_input = f"{b64url(header.encode())}.{b64url(claims.encode())}"
        if isinstance(key, rsa.RSAPrivateKey):
            signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signing_input}.{b64url(signature)}"


@pytest.fixture(scope="module")
def issuer():
    issuer = Issuer(server_dir("oidc-issuer"))
    yield issuer
    issuer.stop()


@pytest.fixture(scope="module")
def castellan(issuer):
    server = Server("sqlite", server_dir("oidc-sqlite"), None, ephemeral=True)
    server.extra_args = ["--trust-ca-file", str(issuer.ca_path)]
    server.start()
    yield server
    server.stop()


@pytest.fixture
def deploy(castellan, issuer):
    """A fresh state with the issuer registered and a deploy role pinned to REPO's `sub`."""
    castellan.reset()
    iam = castellan.iam()
    provider = iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=[CLIENT_ID])["OpenIDConnectProviderArn"]
    host = issuer.url.removeprefix("https://")
    assert provider == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession", "sts:SetSourceIdentity"],
            "Condition": {
                "StringEquals": {f"{host}:aud": CLIENT_ID},
                "StringLike": {f"{host}:sub": f"repo:{REPO}:*"},
            },
        }],
    }
    make_role(iam, "deploy", trust, policy=allow("iam:ListRoles"))
    return provider


def assume(castellan, token: str, role: str = "deploy", **extra) -> dict:
    # boto3 sends AssumeRoleWithWebIdentity unsigned, as AWS takes it.
    return castellan.sts().assume_role_with_web_identity(
        RoleArn=role_arn(role), RoleSessionName="ci-run-1", WebIdentityToken=token, **extra
    )


def refused(castellan, token: str, **extra) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as excinfo:
        assume(castellan, token, **extra)
    return error_of(excinfo)


def test_a_ci_token_assumes_the_deploy_role_of_its_repository_with_boto3(castellan, issuer, deploy):
    for kid in ("rsa-1", "ec-1"):
        answer = assume(castellan, issuer.token(kid))
        assert answer["SubjectFromWebIdentityToken"] == f"repo:{REPO}:ref:refs/heads/main"
        assert answer["Provider"] == deploy
        assert answer["Audience"] == CLIENT_ID
        assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/deploy/ci-run-1"
        identity = session_client(castellan, "sts", answer["Credentials"]).get_caller_identity()
        assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/deploy/ci-run-1"

    # Another repository of the same organisation: the trust policy's `sub` pin refuses it.
    other = issuer.token(sub="repo:octo-org/other-app:ref:refs/heads/main")
    code, status, message = refused(castellan, other)
    assert (code, status) == ("AccessDenied", 403)
    assert message == "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def test_the_aws_cli_assumes_the_role_and_is_refused_for_another_repository(castellan, issuer, deploy):
    answer = castellan.aws(
        "sts", "assume-role-with-web-identity", "--role-arn", role_arn("deploy"),
        "--role-session-name", "cli-run", "--web-identity-token", issuer.token("ec-1"),
    )
    assert answer["AssumedRoleUser"]["Arn"].endswith(":assumed-role/deploy/cli-run")
    assert answer["Provider"] == deploy
    done = castellan.aws(
        "sts", "assume-role-with-web-identity", "--role-arn", role_arn("deploy"),
        "--role-session-name", "cli-run", "--web-identity-token",
        issuer.token(sub="repo:someone/else:ref:refs/heads/main"), check=False,
    )
    assert done.returncode != 0
    assert "AccessDenied" in done.stderr


def test_session_tags_and_source_identity_come_from_the_token(castellan, issuer, deploy):
    token = issuer.token(**{
        "https://aws.amazon.com/tags": {"principal_tags": {"team": ["platform"]}, "transitive_tag_keys": ["team"]},
        "https://aws.amazon.com/source_identity": "octocat",
    })
    answer = assume(castellan, token)
    assert answer["SourceIdentity"] == "octocat"


def test_aws_federated_provider_is_seen_by_the_trust_policy_and_the_session(castellan, issuer, deploy):
    """AWS documents aws:FederatedProvider in the trust decision of AssumeRoleWithWebIdentity
    and in the session's requests, valued as the OIDC provider's ARN (reading 56)."""
    iam = castellan.iam()
    pinned = {"StringEquals": {"aws:FederatedProvider": deploy}}
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": deploy},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": pinned,
    }]}
    reads = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*", "Condition": pinned,
    }]}
    make_role(iam, "federated", trust, policy=reads)
    answer = assume(castellan, issuer.token(), role="federated")
    session_client(castellan, "iam", answer["Credentials"]).list_roles()

    elsewhere = json.loads(json.dumps(trust))
    elsewhere["Statement"][0]["Condition"] = {"StringEquals": {"aws:FederatedProvider": "accounts.google.com"}}
    make_role(iam, "google-only", elsewhere)
    with pytest.raises(ClientError) as excinfo:
        assume(castellan, issuer.token(), role="google-only")
    assert error_of(excinfo)[0] == "AccessDenied"


def hs256_with_public_key(issuer: Issuer) -> str:
    """The classic confusion: HMAC keyed with the issuer's public key."""
    public_pem = issuer.keys["rsa-1"].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64url(json.dumps({"alg": "HS256", "kid": "rsa-1"}).encode())
    body = b64url(json.dumps(issuer.claims()).encode())
    mac = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(mac)}"


def alg_none(issuer: Issuer) -> str:
    header = b64url(json.dumps({"alg": "none"}).encode())
    return f"{header}.{b64url(json.dumps(issuer.claims()).encode())}."


def tampered(issuer: Issuer) -> str:
    header, _, signature = issuer.token().split(".")
    claims = issuer.claims(sub="repo:octo-org/deploy-app:ref:refs/heads/evil")
    return f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"


def sub_twice(issuer: Issuer) -> str:
    """The claims name `sub` twice: a parser keeping the first and one keeping the last read
    two subjects from one signature."""
    claims = json.dumps(issuer.claims())
    return issuer.signed(json.dumps({"alg": "RS256", "kid": "rsa-1"}), claims[:-1] + ', "sub": "repo:octo-org/deploy-app:ref:refs/heads/evil"}')


def five_parts(issuer: Issuer) -> str:
    """A JWE's shape: five parts, whatever they hold."""
    header = b64url(json.dumps({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": "rsa-1"}).encode())
    return ".".join([header, b64url(b"key"), b64url(b"iv"), b64url(json.dumps(issuer.claims()).encode()), b64url(b"tag")])


def tags(principal_tags: dict) -> dict:
    return {"https://aws.amazon.com/tags": {"principal_tags": principal_tags}}


HOSTILE = {
    "alg none": (alg_none, "InvalidIdentityToken"),
    "HS256 keyed with the public key": (hs256_with_public_key, "InvalidIdentityToken"),
    "wrong audience": (lambda i: i.token(aud="https://elsewhere.example"), "InvalidIdentityToken"),
    "audience list without the client id": (lambda i: i.token(aud=["a", "b"]), "InvalidIdentityToken"),
    "wrong issuer": (lambda i: i.token(iss="https://evil.example"), "InvalidIdentityToken"),
    "issuer over http": (lambda i: i.token(iss=i.url.replace("https", "http")), "InvalidIdentityToken"),
    "expired": (lambda i: i.token(exp=int(time.time()) - 10), "ExpiredTokenException"),
    "no exp": (lambda i: i.token(exp=None), "InvalidIdentityToken"),
    "issued in the future": (lambda i: i.token(iat=int(time.time()) + 3600), "InvalidIdentityToken"),
    "not yet valid": (lambda i: i.token(nbf=int(time.time()) + 3600), "InvalidIdentityToken"),
    "unknown kid": (lambda i: i.token(header={"alg": "RS256", "kid": "made-up"}), "InvalidIdentityToken"),
    "signed by a stranger's key": (
        lambda i: i.token(signer=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "InvalidIdentityToken",
    ),
    "claims changed after signing": (tampered, "InvalidIdentityToken"),
    "ES256 header on an RSA key": (lambda i: i.token(header={"alg": "ES256", "kid": "rsa-1"}, signer=i.keys["rsa-1"]), "InvalidIdentityToken"),
    "not a JWT": (lambda i: "this-is-not-a-jwt", "InvalidIdentityToken"),
    "no sub": (lambda i: i.token(sub=None), "InvalidIdentityToken"),
    # One IAM provider, but not the issuer the discovery document names (reading 66).
    "issuer with a trailing slash": (lambda i: i.token(iss=i.url + "/"), "InvalidIdentityToken"),
    "issuer host in capitals": (lambda i: i.token(iss=i.url.replace("localhost", "LOCALHOST")), "InvalidIdentityToken"),
    "sub named twice": (sub_twice, "InvalidIdentityToken"),
    "a logout token": (lambda i: i.token(header={"alg": "RS256", "kid": "rsa-1", "typ": "logout+jwt"}), "InvalidIdentityToken"),
    "a nested token": (lambda i: i.token(header={"alg": "RS256", "kid": "rsa-1", "cty": "JWT"}), "InvalidIdentityToken"),
    "a JWE's five parts": (five_parts, "InvalidIdentityToken"),
    "a kid of ten thousand characters": (lambda i: i.token(header={"alg": "RS256", "kid": "k" * 10_000}), "InvalidIdentityToken"),
    "aud as an object": (lambda i: i.token(aud={CLIENT_ID: True}), "InvalidIdentityToken"),
    "exp as a string": (lambda i: i.token(exp=str(int(time.time()) + 300)), "InvalidIdentityToken"),
    "exp far past any date": (lambda i: i.token(exp=1e300), "InvalidIdentityToken"),
    "a session tag under aws:": (lambda i: i.token(**tags({"aws:team": ["ci"]})), "InvalidIdentityToken"),
    "session tags differing only in case": (lambda i: i.token(**tags({"team": ["a"], "TEAM": ["b"]})), "InvalidIdentityToken"),
    "a source identity with a space": (
        lambda i: i.token(**{"https://aws.amazon.com/source_identity": "octo cat"}),
        "InvalidIdentityToken",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_tokens_are_refused(castellan, issuer, deploy, case):
    make, expected = HOSTILE[case]
    code, status, _message = refused(castellan, make(issuer))
    assert code == expected, case
    assert status in (400, 403), case
    # The server is still there and still answers a good token.
    assert assume(castellan, issuer.token())["Audience"] == CLIENT_ID


def test_rotated_keys_are_fetched_for_an_unknown_kid_and_cached_otherwise(castellan, issuer, deploy):
    assume(castellan, issuer.token("rsa-1"))
    before = issuer.jwks_fetches
    assume(castellan, issuer.token("rsa-1"))
    assert issuer.jwks_fetches == before, "a known kid is served from the cache"
    issuer.keys["rsa-2"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # An unknown kid fetches again at most once a minute per issuer (the hostile corpus's
    # made-up kid may just have): past that minute, the rotated key is found.
    castellan.advance_clock(61)
    try:
        assert assume(castellan, issuer.token("rsa-2"))["Audience"] == CLIENT_ID
        assert issuer.jwks_fetches == before + 1
    finally:
        del issuer.keys["rsa-2"]


def test_an_unreachable_issuer_is_an_idp_communication_error(castellan, issuer, deploy):
    port = free_port()
    url = f"https://localhost:{port}"
    castellan.iam().create_open_id_connect_provider(Url=url, ClientIDList=[CLIENT_ID])
    code, status, _ = refused(castellan, issuer.token(iss=url))
    assert (code, status) == ("IDPCommunicationError", 400)


def test_a_token_from_another_accounts_provider_is_not_found(castellan, issuer, deploy):
    castellan.iam().delete_open_id_connect_provider(OpenIDConnectProviderArn=deploy)
    code, _, message = refused(castellan, issuer.token())
    assert code == "InvalidIdentityToken"
    assert message == f"No OpenIDConnect provider found in your account for {issuer.url}"
