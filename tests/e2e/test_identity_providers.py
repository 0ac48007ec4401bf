"""IAM identity providers end to end: OpenID Connect providers (create with client ids,
thumbprints and tags, get, list, client ids added and removed, thumbprints replaced, tags,
delete) and SAML providers (create from a metadata document made at test time, get, list,
update with a private key for encrypted assertions, tags, delete); AWS's errors; the private
key never answered; authorization on the provider ARN. boto3 and the aws CLI, on both
backends."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import secrets_registry
from conftest import ACCOUNT_ID, allow, error_of

THUMB_A = "0123456789abcdef0123456789abcdef01234567"
THUMB_B = "89abcdef0123456789abcdef0123456789abcdef"


def oidc_arn(resource: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{resource}"


def saml_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:saml-provider/{name}"


def metadata(entity: str, valid_until: str | None = None) -> str:
    """An IdP metadata document with a fresh self-signed signing certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    der = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
    lines = "\n".join(der[i : i + 64] for i in range(0, len(der), 64))
    until = f' validUntil="{valid_until}"' if valid_until else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity}"{until}>\n'
        '  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
        '    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>\n'
        f"{lines}\n"
        "    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n"
        '    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        'Location="https://idp.example.com/sso"/>\n'
        "  </md:IDPSSODescriptor>\n"
        '  <md:Organization><md:OrganizationName xml:lang="en">Example IdP</md:OrganizationName>'
        '<md:OrganizationDisplayName xml:lang="en">Example IdP</md:OrganizationDisplayName>'
        '<md:OrganizationURL xml:lang="en">https://idp.example.com/</md:OrganizationURL>'
        "</md:Organization>\n"
        "</md:EntityDescriptor>\n"
    )


def private_key_pem() -> str:
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    secrets_registry.REGISTRY.add(pem, "SAML provider private key (made for an e2e test)")
    return pem


def test_oidc_provider_lifecycle(server):
    iam = server.iam()
    created = iam.create_open_id_connect_provider(
        Url="https://IdP.Example.com/realms/x/",
        ClientIDList=["app", "cli"],
        ThumbprintList=[THUMB_A],
        Tags=[{"Key": "team", "Value": "id"}],
    )
    arn = oidc_arn("idp.example.com/realms/x")
    assert created["OpenIDConnectProviderArn"] == arn
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "idp.example.com/realms/x"
    assert got["ClientIDList"] == ["app", "cli"]
    assert got["ThumbprintList"] == [THUMB_A]
    assert got["Tags"] == [{"Key": "team", "Value": "id"}]
    assert isinstance(got["CreateDate"], datetime.datetime)
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url="https://idp.example.com/realms/x")
    assert error_of(e) == (
        "EntityAlreadyExists",
        409,
        "Provider with url https://idp.example.com/realms/x already exists.",
    )
    iam.create_open_id_connect_provider(Url="https://token.example.org")
    listed = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert listed == [arn, oidc_arn("token.example.org")]

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="web")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="cli")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=[THUMB_B, THUMB_A])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert (got["ClientIDList"], got["ThumbprintList"]) == (["app", "web"], [THUMB_B, THUMB_A])
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["team"])
    tags = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)
    assert tags["Tags"] == [{"Key": "env", "Value": "prod"}]

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error_of(e) == ("NoSuchEntity", 404, f"OpenIDConnect Provider not found for arn {arn}")


def test_oidc_provider_errors(server):
    iam = server.iam()
    for url in ["http://idp.example.com", "https://idp.example.com/?a=b"]:
        with pytest.raises(ClientError) as e:
            iam.create_open_id_connect_provider(Url=url)
        assert error_of(e) == ("InvalidInput", 400, f"Invalid Open ID Connect Provider URL: {url}")
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url="https://idp.example.com", ThumbprintList=[THUMB_A] * 6)
    assert error_of(e)[0] == "LimitExceeded"
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(Url="https://idp.example.com", ThumbprintList=["z" * 40])
    assert error_of(e) == ("InvalidInput", 400, f"Thumbprint {'z' * 40} is not a 40-character hex string.")
    with pytest.raises(ClientError) as e:
        iam.create_open_id_connect_provider(
            Url="https://idp.example.com", ClientIDList=[f"id-{n}" for n in range(101)]
        )
    assert error_of(e) == ("LimitExceeded", 409, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_saml_provider_lifecycle(server):
    iam = server.iam()
    document = metadata("https://idp.example.com/saml", "2031-06-01T00:00:00Z")
    arn = iam.create_saml_provider(Name="Corp", SAMLMetadataDocument=document, Tags=[{"Key": "k", "Value": "v"}])[
        "SAMLProviderArn"
    ]
    assert arn == saml_arn("Corp")
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == document
    assert got["ValidUntil"] == datetime.datetime(2031, 6, 1, tzinfo=datetime.timezone.utc)
    assert len(got["SAMLProviderUUID"]) == 36
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as e:
        iam.create_saml_provider(Name="corp", SAMLMetadataDocument=document)
    assert error_of(e) == ("EntityAlreadyExists", 409, "Provider with name corp already exists.")
    with pytest.raises(ClientError) as e:
        iam.create_saml_provider(Name="Bad", SAMLMetadataDocument=document.replace('use="signing"', 'use="encryption"'))
    assert error_of(e) == ("InvalidInput", 400, "Could not parse metadata: no signing certificate")

    key = private_key_pem()
    iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=key, AssertionEncryptionMode="Required")
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Required"
    assert [sorted(k) for k in got["PrivateKeyList"]] == [["KeyId", "Timestamp"]]
    assert "PRIVATE KEY" not in json.dumps(got, default=str)
    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [arn]
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["k"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_saml_provider(SAMLProviderArn=arn)
    assert error_of(e) == ("NoSuchEntity", 404, f"SAMLProvider not found for arn {arn}")


def test_authorized_on_the_provider_arn(server):
    iam = server.iam()
    iam.create_open_id_connect_provider(Url="https://a.example.com")
    iam.create_open_id_connect_provider(Url="https://b.example.com")
    policy = allow("iam:GetOpenIDConnectProvider", oidc_arn("a.example.com"))
    user = server.iam(server.new_user("reader", policy=policy))
    assert user.get_open_id_connect_provider(OpenIDConnectProviderArn=oidc_arn("a.example.com"))["Url"] == "a.example.com"
    for resource in ["b.example.com", "missing.example.com"]:
        with pytest.raises(ClientError) as e:
            user.get_open_id_connect_provider(OpenIDConnectProviderArn=oidc_arn(resource))
        assert error_of(e)[:2] == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        user.list_saml_providers()
    assert error_of(e)[:2] == ("AccessDenied", 403)


def test_aws_cli(server, tmp_path):
    arn = server.aws(
        "iam", "create-open-id-connect-provider", "--url", "https://cli.example.com",
        "--client-id-list", "app", "--thumbprint-list", THUMB_A,
    )["OpenIDConnectProviderArn"]  # fmt: skip
    assert arn == oidc_arn("cli.example.com")
    got = server.aws("iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert (got["Url"], got["ClientIDList"]) == ("cli.example.com", ["app"])
    listed = server.aws("iam", "list-open-id-connect-providers")["OpenIDConnectProviderList"]
    assert listed == [{"Arn": arn}]
    server.aws("iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn)

    path = tmp_path / "metadata.xml"
    path.write_text(metadata("https://idp.example.com/saml"))
    saml = server.aws("iam", "create-saml-provider", "--name", "cli", "--saml-metadata-document", f"file://{path}")[
        "SAMLProviderArn"
    ]
    assert saml == saml_arn("cli")
    got = server.aws("iam", "get-saml-provider", "--saml-provider-arn", saml)
    assert got["SAMLMetadataDocument"] == path.read_text()
    listed = server.aws("iam", "list-saml-providers")["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [saml]
    server.aws("iam", "delete-saml-provider", "--saml-provider-arn", saml)
    done = server.aws("iam", "get-saml-provider", "--saml-provider-arn", saml, check=False)
    assert done.returncode != 0 and "NoSuchEntity" in done.stderr
