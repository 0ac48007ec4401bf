"""Outbound web identity federation: enable it and read the issuer, get a JWT from STS, fetch the
issuer's discovery document and JWKS over plain HTTP with no credentials, verify the ES384
signature with `cryptography` and check the claims; AWS's errors when the feature is off, and
AccessDenied for a user without sts:GetWebIdentityToken or outside an audience condition."""

import base64
import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from conftest import ACCOUNT_ID, Server, allow, error_of, server_dir, user_arn
from test_sts import make_role, role_arn, session_client, trust

AUDIENCE = "https://api.example.com"
AWS_CLAIMS = "https://sts.amazonaws.com/"


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fetch_json(url: str) -> dict:
    """A GET with no AWS signature at all, as an external service would make it."""
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        return json.loads(response.read())


def verified(jwt: str, jwks: dict) -> tuple[dict, dict]:
    """Checks the JWS signature with the published key named by `kid`; (header, claims)."""
    header_part, claims_part, signature_part = jwt.split(".")
    header = json.loads(b64url(header_part))
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    assert (key["kty"], key["crv"], key["alg"]) == ("EC", "P-384", "ES384")
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64url(key["x"]), "big"), int.from_bytes(b64url(key["y"]), "big"), ec.SECP384R1()
    ).public_key()
    raw = b64url(signature_part)
    assert len(raw) == 96, "JWS ES384 signatures are r || s, 48 bytes each"
    signature = encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
    # Raises InvalidSignature when the token was not signed by that key.
    public.verify(signature, f"{header_part}.{claims_part}".encode(), ec.ECDSA(hashes.SHA384()))
    return header, json.loads(b64url(claims_part))


def test_a_token_verifies_with_the_published_keys_and_names_the_caller(server):
    issuer = server.iam().enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert issuer.startswith(f"{server.endpoint}/oidc/")
    info = server.iam().get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)

    alice = server.new_user("alice", policy=allow(["sts:GetWebIdentityToken", "sts:TagGetWebIdentityToken"]))
    server.iam().tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "data"}])
    answer = server.sts(alice).get_web_identity_token(
        Audience=[AUDIENCE],
        SigningAlgorithm="ES384",
        DurationSeconds=600,
        Tags=[{"Key": "job", "Value": "nightly"}],
    )

    discovery = fetch_json(f"{issuer}/.well-known/openid-configuration")
    assert discovery["issuer"] == issuer
    assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert "ES384" in discovery["id_token_signing_alg_values_supported"]
    jwks = fetch_json(discovery["jwks_uri"])
    assert all("d" not in key for key in jwks["keys"]), "no private part is ever published"

    header, claims = verified(answer["WebIdentityToken"], jwks)
    assert header["alg"] == "ES384"
    assert claims["iss"] == issuer
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == user_arn("alice")
    assert claims["exp"] - claims["iat"] == 600
    assert int(answer["Expiration"].timestamp()) == claims["exp"]
    assert claims["jti"]
    assert claims[AWS_CLAIMS]["aws_account"] == ACCOUNT_ID
    assert claims[AWS_CLAIMS]["principal_id"] == user_arn("alice")
    assert claims[AWS_CLAIMS]["request_tags"] == {"job": "nightly"}
    assert claims[AWS_CLAIMS]["principal_tags"] == {"team": "data"}

    # A signature over other claims fails: the check above can fail.
    other_header, other_claims, signature = answer["WebIdentityToken"].split(".")
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "someone"}).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidSignature):
        verified(f"{other_header}.{forged}.{signature}", jwks)


def test_a_role_session_is_named_by_its_role(server):
    issuer = server.iam().enable_outbound_web_identity_federation()["IssuerIdentifier"]
    app = server.new_user("app", policy=allow("sts:AssumeRole", role_arn("worker")))
    make_role(
        server.iam(),
        "worker",
        trust({"AWS": user_arn("app")}, actions=("sts:AssumeRole", "sts:TagSession")),
        policy=allow("sts:GetWebIdentityToken"),
        Tags=[{"Key": "team", "Value": "role-team"}],
    )
    credentials = server.sts(app).assume_role(
        RoleArn=role_arn("worker"), RoleSessionName="nightly", Tags=[{"Key": "shift", "Value": "night"}]
    )["Credentials"]
    token = session_client(server, "sts", credentials).get_web_identity_token(
        Audience=[AUDIENCE], SigningAlgorithm="ES384"
    )["WebIdentityToken"]
    _, claims = verified(token, fetch_json(f"{issuer}/.well-known/jwks.json"))
    assert claims["sub"] == role_arn("worker")
    assert claims[AWS_CLAIMS]["principal_id"] == role_arn("worker")
    assert claims[AWS_CLAIMS]["principal_tags"] == {"team": "role-team", "shift": "night"}


def test_an_issuer_no_account_has_is_not_found(server):
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        fetch_json(f"{server.endpoint}/oidc/0123456789abcdef0123456789abcdef/.well-known/jwks.json")
    assert excinfo.value.code == 404


def test_aws_errors_when_off_twice_on_or_rs256(server):
    iam, sts = server.iam(), server.sts()
    with pytest.raises(ClientError) as excinfo:
        iam.get_outbound_web_identity_federation_info()
    assert error_of(excinfo)[:2] == ("FeatureDisabled", 404)
    with pytest.raises(ClientError) as excinfo:
        iam.disable_outbound_web_identity_federation()
    assert error_of(excinfo)[:2] == ("FeatureDisabled", 404)
    with pytest.raises(ClientError) as excinfo:
        sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384")
    assert error_of(excinfo)[:2] == ("OutboundWebIdentityFederationDisabledException", 403)

    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    with pytest.raises(ClientError) as excinfo:
        iam.enable_outbound_web_identity_federation()
    assert error_of(excinfo)[:2] == ("FeatureEnabled", 409)
    # RS256 is AWS's other algorithm; this server signs with ES384 only (reading 38).
    with pytest.raises(ClientError) as excinfo:
        sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="RS256")
    code, status, message = error_of(excinfo)
    assert (code, status) == ("ValidationError", 400) and "ES384" in message

    token = sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384")["WebIdentityToken"]
    iam.disable_outbound_web_identity_federation()
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, False)
    with pytest.raises(ClientError) as excinfo:
        sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384")
    assert error_of(excinfo)[:2] == ("OutboundWebIdentityFederationDisabledException", 403)
    # Tokens issued before still verify: the keys stay published.
    verified(token, fetch_json(f"{issuer}/.well-known/jwks.json"))
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer


def test_access_denied_without_the_action_or_outside_the_audience(server):
    server.iam().enable_outbound_web_identity_federation()
    reader = server.new_user("reader", policy=allow("iam:GetUser"))
    with pytest.raises(ClientError) as excinfo:
        server.sts(reader).get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384")
    assert error_of(excinfo)[:2] == ("AccessDenied", 403)

    limited = server.new_user(
        "limited",
        policy=allow(
            "sts:GetWebIdentityToken",
            Condition={
                "ForAllValues:StringEquals": {"sts:IdentityTokenAudience": AUDIENCE},
                "NumericLessThanEquals": {"sts:DurationSeconds": "300"},
            },
        ),
    )
    sts = server.sts(limited)
    sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384")
    for asked in (
        dict(Audience=["https://elsewhere.example"]),
        dict(Audience=[AUDIENCE, "https://elsewhere.example"]),
        dict(Audience=[AUDIENCE], DurationSeconds=900),
    ):
        with pytest.raises(ClientError) as excinfo:
            sts.get_web_identity_token(SigningAlgorithm="ES384", **asked)
        assert error_of(excinfo)[:2] == ("AccessDenied", 403), asked
    # Tags need sts:TagGetWebIdentityToken too.
    with pytest.raises(ClientError) as excinfo:
        sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384", Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(excinfo)[:2] == ("AccessDenied", 403)


def test_the_aws_cli_where_it_knows_the_operations(server):
    known = server.aws("iam", "help", check=False)
    if "enable-outbound-web-identity-federation" not in known.stdout:
        pytest.skip("this aws CLI does not know the outbound federation operations")
    issuer = server.aws("iam", "enable-outbound-web-identity-federation")["IssuerIdentifier"]
    info = server.aws("iam", "get-outbound-web-identity-federation-info")
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)
    # aws CLI v1 reads a parameter that looks like an http(s) URL by fetching it: no scheme.
    audience = "api.example.com"
    token = server.aws(
        "sts", "get-web-identity-token", "--audience", audience, "--signing-algorithm", "ES384"
    )["WebIdentityToken"]
    _, claims = verified(token, fetch_json(f"{issuer}/.well-known/jwks.json"))
    assert claims["aud"] == audience
    assert claims["exp"] - claims["iat"] == 300, "AWS's default duration"
    server.aws("iam", "disable-outbound-web-identity-federation")
    refused = server.aws(
        "sts", "get-web-identity-token", "--audience", audience, "--signing-algorithm", "ES384", check=False
    )
    assert refused.returncode != 0 and "OutboundWebIdentityFederationDisabledException" in refused.stderr


def test_the_issuer_is_under_the_public_url_when_one_is_set():
    server = Server("sqlite", server_dir("public-url"), None, ephemeral=True)
    server.extra_args = ["--public-url", "https://iam.example.test/"]
    server.start()
    try:
        issuer = server.iam().enable_outbound_web_identity_federation()["IssuerIdentifier"]
        assert issuer.startswith("https://iam.example.test/oidc/")
        # A proxy would map that name to this server; fetch from the server itself.
        path = issuer.removeprefix("https://iam.example.test")
        discovery = fetch_json(f"{server.endpoint}{path}/.well-known/openid-configuration")
        assert discovery["issuer"] == issuer
        assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
        token = server.sts().get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384")
        _, claims = verified(token["WebIdentityToken"], fetch_json(f"{server.endpoint}{path}/.well-known/jwks.json"))
        assert claims["iss"] == issuer
    finally:
        server.stop()
