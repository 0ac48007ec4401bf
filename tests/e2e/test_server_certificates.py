"""IAM server certificates end to end: upload (RSA and EC keys in PKCS#1, PKCS#8 and SEC 1
form, with and without a chain), get, list, rename and move, tags and delete; AWS's errors
(malformed certificate, key pair mismatch, duplicate name, missing entity, the quota of 20);
authorization of renames on both ARNs and of every action on the certificate's ARN; the
private key never answered. Certificates are made at test time with the openssl CLI. boto3
and the aws CLI, on both backends."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import secrets_registry
from conftest import ACCOUNT_ID, allow, error_of

MALFORMED = "Unable to parse certificate. Please ensure the certificate is in PEM format."
MISMATCH = "The private key does not match the public key of the certificate."
CHAIN_ORDER = (
    "Unable to validate certificate chain. The certificate chain must start with the immediate "
    "signing certificate, followed by any intermediaries in order. The index within the chain "
    "of the invalid certificate is: {}"
)
KEYS = {
    "rsa-2048": ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "rsa-1024-pkcs1": ["genrsa", "-traditional", "1024"],
    "ec-p256-sec1": ["ecparam", "-name", "prime256v1", "-genkey"],
    "ec-p384": ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
}


def sc_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:server-certificate{path}{name}"


def openssl(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=cwd, timeout=60)
    assert done.returncode == 0, f"openssl {' '.join(args)}: {done.stderr}"
    return done.stdout


@dataclass
class Pair:
    """A certificate and its private key, in PEM, and where they are on disk."""

    certificate: str
    key: str
    certificate_file: Path
    key_file: Path

    def not_after(self) -> datetime:
        text = openssl("x509", "-in", str(self.certificate_file), "-noout", "-enddate")
        return datetime.strptime(text.strip().split("=", 1)[1], "%b %d %H:%M:%S %Y %Z").replace(tzinfo=timezone.utc)


class Maker:
    """Makes keys and certificates with openssl in one test's directory; every private key is
    registered with the secrets sweep."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.count = 0

    def _path(self, stem: str) -> Path:
        self.count += 1
        return self.directory / f"{self.count:03d}-{stem}.pem"

    def key(self, kind: str = "rsa-2048") -> Path:
        path = self._path(kind)
        path.write_text(openssl(*KEYS[kind]))
        secrets_registry.REGISTRY.add(path.read_text(), "PrivateKey (made for an e2e test)")
        return path

    def pair(self, kind: str = "rsa-2048", name: str = "www.example.com", issuer: Pair | None = None) -> Pair:
        key = self.key(kind)
        certificate = self._path("certificate")
        subject = f"/CN={name}"
        if issuer is None:
            openssl("req", "-x509", "-new", "-key", str(key), "-subj", subject, "-days", "30", "-out", str(certificate))
        else:
            request = self._path("request")
            openssl("req", "-new", "-key", str(key), "-subj", subject, "-out", str(request))
            openssl(
                "x509", "-req", "-in", str(request), "-CA", str(issuer.certificate_file),
                "-CAkey", str(issuer.key_file), "-set_serial", str(self.count), "-days", "30",
                "-out", str(certificate),
            )  # fmt: skip
        return Pair(certificate.read_text(), key.read_text(), certificate, key)

    def dated(self, start: str, end: str) -> Pair:
        """A self-signed certificate valid from `start` to `end` (YYYYMMDDHHMMSSZ), which
        only `openssl ca` can date in the past or the future."""
        key = self.key("ec-p384")
        ca = self.directory / f"ca-{self.count}"
        ca.mkdir()
        (ca / "index.txt").write_text("")
        (ca / "serial").write_text("01\n")
        (ca / "ca.cnf").write_text(
            "[ca]\ndefault_ca = d\n[d]\ndir = .\ndatabase = index.txt\nnew_certs_dir = .\n"
            "serial = serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n"
        )
        request = self._path("request")
        openssl("req", "-new", "-key", str(key), "-subj", "/CN=dated", "-out", str(request))
        certificate = self._path("certificate")
        openssl(
            "ca", "-config", "ca.cnf", "-selfsign", "-keyfile", str(key), "-in", str(request),
            "-startdate", start, "-enddate", end, "-batch", "-notext", "-out", str(certificate),
            cwd=ca,
        )  # fmt: skip
        return Pair(certificate.read_text(), key.read_text(), certificate, key)


@pytest.fixture
def make(tmp_path) -> Maker:
    return Maker(tmp_path)


def upload(iam, name: str, pair: Pair, **kwargs) -> dict:
    return iam.upload_server_certificate(
        ServerCertificateName=name, CertificateBody=pair.certificate, PrivateKey=pair.key, **kwargs
    )["ServerCertificateMetadata"]


def failure(call, *args, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        call(*args, **kwargs)
    return error_of(e)


def holds_a_key(value) -> bool:
    """Whether a response holds anything like a private key, anywhere."""
    if isinstance(value, dict):
        return any(k == "PrivateKey" or holds_a_key(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_a_key(v) for v in value)
    return isinstance(value, str) and "PRIVATE KEY" in value


def test_lifecycle(server, make):
    iam = server.iam()
    pair = make.pair()
    meta = upload(iam, "web", pair, Path="/cloudfront/", Tags=[{"Key": "team", "Value": "blue"}])
    assert meta["ServerCertificateName"] == "web"
    assert meta["Path"] == "/cloudfront/"
    assert meta["Arn"] == sc_arn("web", "/cloudfront/")
    assert re.fullmatch(r"ASCA[A-Z2-7]{17}", meta["ServerCertificateId"]), meta
    assert meta["Expiration"] == pair.not_after()
    assert abs((datetime.now(timezone.utc) - meta["UploadDate"]).total_seconds()) < 3600

    got = iam.get_server_certificate(ServerCertificateName="WEB")
    assert not holds_a_key(got)
    certificate = got["ServerCertificate"]
    assert certificate["ServerCertificateMetadata"] == meta
    assert certificate["CertificateBody"] == pair.certificate
    assert "CertificateChain" not in certificate
    assert certificate["Tags"] == [{"Key": "team", "Value": "blue"}]

    upload(iam, "api", make.pair("ec-p384"))
    listed = iam.list_server_certificates()
    assert not holds_a_key(listed)
    assert [m["ServerCertificateName"] for m in listed["ServerCertificateMetadataList"]] == ["api", "web"]
    only = iam.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"]
    assert only == [meta]

    iam.tag_server_certificate(ServerCertificateName="web", Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_server_certificate(ServerCertificateName="web", TagKeys=["team"])
    tags = iam.list_server_certificate_tags(ServerCertificateName="web")
    assert (tags["Tags"], tags["IsTruncated"]) == ([{"Key": "env", "Value": "prod"}], False)

    iam.update_server_certificate(ServerCertificateName="web", NewServerCertificateName="site", NewPath="/edge/")
    moved = iam.get_server_certificate(ServerCertificateName="site")["ServerCertificate"]
    assert moved["ServerCertificateMetadata"]["Arn"] == sc_arn("site", "/edge/")
    assert moved["ServerCertificateMetadata"]["ServerCertificateId"] == meta["ServerCertificateId"]
    assert moved["Tags"] == [{"Key": "env", "Value": "prod"}]

    iam.delete_server_certificate(ServerCertificateName="site")
    assert failure(iam.get_server_certificate, ServerCertificateName="site") == (
        "NoSuchEntity",
        404,
        "The Server Certificate with name site cannot be found.",
    )
    assert iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == 1


def test_pagination(server, make):
    iam = server.iam()
    pair = make.pair("ec-p256-sec1")
    for n in range(5):
        upload(iam, f"c{n}", pair)
    first = iam.list_server_certificates(MaxItems=2)
    assert first["IsTruncated"] is True
    names = [m["ServerCertificateName"] for m in first["ServerCertificateMetadataList"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_server_certificates(MaxItems=2, Marker=marker)
        names += [m["ServerCertificateName"] for m in page["ServerCertificateMetadataList"]]
        marker = page.get("Marker")
    assert names == [f"c{n}" for n in range(5)]
    paginator = iam.get_paginator("list_server_certificates")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 3}))
    assert sum(len(p["ServerCertificateMetadataList"]) for p in pages) == 5


@pytest.mark.parametrize("kind", sorted(KEYS))
def test_each_key_type_and_form(server, make, kind):
    iam = server.iam()
    pair = make.pair(kind)
    meta = upload(iam, kind, pair)
    assert meta["Expiration"] == pair.not_after()
    other = make.pair(kind)
    assert failure(upload, iam, "mismatch", Pair(pair.certificate, other.key, pair.certificate_file, other.key_file)) == (
        "KeyPairMismatch",
        400,
        MISMATCH,
    )


def test_chain(server, make):
    iam = server.iam()
    root = make.pair("ec-p384", "Root CA")
    middle = make.pair("rsa-2048", "Middle CA", issuer=root)
    leaf = make.pair("ec-p256-sec1", "www.example.com", issuer=middle)
    chain = middle.certificate + root.certificate
    upload(iam, "chained", leaf, CertificateChain=chain)
    got = iam.get_server_certificate(ServerCertificateName="chained")["ServerCertificate"]
    assert got["CertificateChain"] == chain
    # AWS answers an empty tag list rather than none (recorded on AWS).
    assert got["Tags"] == []
    for bad, index in [(root.certificate + middle.certificate, 0), (middle.certificate + leaf.certificate, 1)]:
        assert failure(upload, iam, "bad", leaf, CertificateChain=bad) == ("MalformedCertificate", 400, CHAIN_ORDER.format(index))
    code, _, message = failure(upload, iam, "bad", leaf, CertificateChain="not a chain")
    assert (code, message.startswith("Unable to parse certificate chain.")) == ("MalformedCertificate", True)


def test_documented_errors(server, make):
    iam = server.iam()
    pair = make.pair()
    for body in ("not a certificate", pair.key, pair.certificate + pair.certificate):
        assert failure(iam.upload_server_certificate, ServerCertificateName="x", CertificateBody=body, PrivateKey=pair.key) == (
            "MalformedCertificate",
            400,
            MALFORMED,
        )
    encrypted = openssl("pkey", "-in", str(pair.key_file), "-aes256", "-passout", "pass:secret1")
    secrets_registry.REGISTRY.add(encrypted, "PrivateKey (encrypted, e2e)")
    code, status, message = failure(upload, iam, "x", Pair(pair.certificate, encrypted, pair.certificate_file, pair.key_file))
    assert (code, status) == ("MalformedCertificate", 400)
    assert message.startswith("Unable to parse private key."), message
    for start, end in [("20200101000000Z", "20200201000000Z"), ("20990101000000Z", "20990201000000Z")]:
        code, _, message = failure(upload, iam, "x", make.dated(start, end))
        assert code == "MalformedCertificate" and "not valid at the time of upload" in message, message

    upload(iam, "taken", pair)
    assert failure(upload, iam, "TAKEN", pair) == (
        "EntityAlreadyExists",
        409,
        "The Server Certificate with name TAKEN already exists.",
    )
    missing = ("NoSuchEntity", 404, "The Server Certificate with name ghost cannot be found.")
    name = {"ServerCertificateName": "ghost"}
    assert failure(iam.get_server_certificate, **name) == missing
    assert failure(iam.delete_server_certificate, **name) == missing
    assert failure(iam.update_server_certificate, NewPath="/x/", **name) == missing
    assert failure(iam.tag_server_certificate, Tags=[{"Key": "k", "Value": "v"}], **name) == missing
    assert failure(iam.untag_server_certificate, TagKeys=["k"], **name) == missing
    assert failure(iam.list_server_certificate_tags, **name) == missing

    for n in range(19):
        upload(iam, f"n{n}", pair)
    assert failure(upload, iam, "twenty-first", pair) == (
        "LimitExceeded",
        409,
        "Cannot exceed quota for ServerCertificatesPerAccount: 20",
    )
    assert len(iam.list_server_certificates()["ServerCertificateMetadataList"]) == 20
    assert iam.get_account_summary()["SummaryMap"]["ServerCertificatesQuota"] == 20


def test_aws_cli(server, make):
    pair = make.pair("ec-p256-sec1")
    secrets_registry.REGISTRY.add(pair.key, "PrivateKey (aws CLI)")
    args = ["--certificate-body", f"file://{pair.certificate_file}", "--private-key", f"file://{pair.key_file}"]
    meta = server.aws("iam", "upload-server-certificate", "--server-certificate-name", "cli", "--path", "/c/", *args)[
        "ServerCertificateMetadata"
    ]
    assert meta["Arn"] == sc_arn("cli", "/c/")
    got = server.aws("iam", "get-server-certificate", "--server-certificate-name", "cli")
    assert got["ServerCertificate"]["CertificateBody"] == pair.certificate and not holds_a_key(got)
    listed = server.aws("iam", "list-server-certificates", "--path-prefix", "/c/")
    assert [m["ServerCertificateName"] for m in listed["ServerCertificateMetadataList"]] == ["cli"]
    server.aws("iam", "tag-server-certificate", "--server-certificate-name", "cli", "--tags", "Key=team,Value=blue")
    tags = server.aws("iam", "list-server-certificate-tags", "--server-certificate-name", "cli")
    assert tags["Tags"] == [{"Key": "team", "Value": "blue"}]
    server.aws("iam", "untag-server-certificate", "--server-certificate-name", "cli", "--tag-keys", "team")
    server.aws(
        "iam", "update-server-certificate", "--server-certificate-name", "cli",
        "--new-server-certificate-name", "cli2", "--new-path", "/d/",
    )  # fmt: skip
    other = make.pair("ec-p256-sec1")
    done = server.aws(
        "iam", "upload-server-certificate", "--server-certificate-name", "bad",
        "--certificate-body", f"file://{pair.certificate_file}", "--private-key", f"file://{other.key_file}",
        check=False,
    )  # fmt: skip
    assert done.returncode != 0 and "KeyPairMismatch" in done.stderr
    server.aws("iam", "delete-server-certificate", "--server-certificate-name", "cli2")
    done = server.aws("iam", "get-server-certificate", "--server-certificate-name", "cli2", check=False)
    assert done.returncode != 0 and "NoSuchEntity" in done.stderr


def test_rename_and_move_are_authorized_on_both_arns(server, make):
    iam = server.iam()
    upload(iam, "site", make.pair(), Path="/dev/")
    dev_only = server.new_user("dev", policy=allow("iam:UpdateServerCertificate", sc_arn("*", "/dev/")))
    as_dev = server.iam(dev_only)
    for kwargs in ({"NewPath": "/prod/"}, {"NewPath": "/prod/", "NewServerCertificateName": "x"}):
        code, status, message = failure(as_dev.update_server_certificate, ServerCertificateName="site", **kwargs)
        assert (code, status) == ("AccessDenied", 403)
        assert sc_arn(kwargs.get("NewServerCertificateName", "site"), "/prod/") in message, message
    assert iam.get_server_certificate(ServerCertificateName="site")["ServerCertificate"]["ServerCertificateMetadata"]["Path"] == "/dev/"
    as_dev.update_server_certificate(ServerCertificateName="site", NewServerCertificateName="web")

    prod_only = server.new_user("prod", policy=allow("iam:UpdateServerCertificate", sc_arn("*", "/prod/")))
    code, _, message = failure(server.iam(prod_only).update_server_certificate, ServerCertificateName="web", NewPath="/prod/")
    assert code == "AccessDenied" and sc_arn("web", "/dev/") in message, message
    assert iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]["ServerCertificateMetadata"]["Path"] == "/dev/"


def test_a_user_denied_on_the_arn_is_refused_each_action(server, make):
    iam = server.iam()
    pair = make.pair("ec-p384")
    upload(iam, "site", pair, Path="/web/")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": sc_arn("*", "/web/")},
        ],
    }
    denied = server.iam(server.new_user("denied", policy=policy))
    name = {"ServerCertificateName": "site"}
    calls = {
        "GetServerCertificate": lambda: denied.get_server_certificate(**name),
        "UpdateServerCertificate": lambda: denied.update_server_certificate(NewPath="/x/", **name),
        "DeleteServerCertificate": lambda: denied.delete_server_certificate(**name),
        "TagServerCertificate": lambda: denied.tag_server_certificate(Tags=[{"Key": "k", "Value": "v"}], **name),
        "UntagServerCertificate": lambda: denied.untag_server_certificate(TagKeys=["k"], **name),
        "ListServerCertificateTags": lambda: denied.list_server_certificate_tags(**name),
        "UploadServerCertificate": lambda: upload(denied, "new", pair, Path="/web/"),
    }
    for action, call in calls.items():
        with pytest.raises(ClientError) as e:
            call()
        code, status, message = error_of(e)
        assert (code, status) == ("AccessDenied", 403), action
        assert f"iam:{action}" in message and "with an explicit deny" in message, message
    # Nothing changed, and elsewhere the same user may act.
    assert iam.get_server_certificate(**name)["ServerCertificate"]["ServerCertificateMetadata"]["Path"] == "/web/"
    upload(denied, "elsewhere", pair)
    assert [m["ServerCertificateName"] for m in denied.list_server_certificates()["ServerCertificateMetadataList"]] == [
        "elsewhere",
        "site",
    ]


def test_resource_tags_reach_the_decision(server, make):
    iam = server.iam()
    pair = make.pair("ec-p256-sec1")
    upload(iam, "blue", pair, Tags=[{"Key": "team", "Value": "blue"}])
    upload(iam, "red", pair, Tags=[{"Key": "team", "Value": "red"}])
    policy = allow("iam:GetServerCertificate", Condition={"StringEquals": {"iam:ResourceTag/team": "blue"}})
    reader = server.iam(server.new_user("reader", policy=policy))
    reader.get_server_certificate(ServerCertificateName="blue")
    assert failure(reader.get_server_certificate, ServerCertificateName="red")[:2] == ("AccessDenied", 403)
