"""The decision API (`POST /v1/authorize`): other software asks whether a principal may act,
by ARN, by access key id, or by forwarding a request it received signed with SigV4; signed
itself with botocore's SigV4 signer for the service `castellan`."""

import hashlib
import json
import urllib.error
import urllib.request

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import ACCOUNT_ID, ROOT, Creds, allow, user_arn

BUCKET_ARN = "arn:aws:s3:::photos"


def signed_post(url: str, body: bytes, creds: Creds, service: str = "castellan", token: str | None = None):
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(creds.key_id, creds.secret, token), service, "us-east-1").add_auth(request)
    return urllib.request.Request(url, data=body, headers=dict(request.headers.items()), method="POST")


def ask(server, body: dict, creds: Creds = ROOT) -> tuple[int, dict]:
    request = signed_post(f"{server.endpoint}/v1/authorize", json.dumps(body).encode(), creds)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def forwarded_get(server, creds: Creds, path: str, token: str | None = None) -> dict:
    """What an object store in front of its own API forwards: a GET signed for S3 by the
    client, with its headers and the hash of the (empty) body it read."""
    request = AWSRequest(method="GET", url=f"https://objects.example.test{path}", headers={})
    S3SigV4Auth(Credentials(creds.key_id, creds.secret, token), "s3", "us-east-1").add_auth(request)
    headers = [[name, value] for name, value in request.headers.items()]
    headers.append(["host", "objects.example.test"])
    return {
        "method": "GET",
        "path": path,
        "query": "",
        "headers": headers,
        "bodySha256": hashlib.sha256(b"").hexdigest(),
    }


READER = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET_ARN}/*"},
        {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": f"{BUCKET_ARN}/secret/*"},
    ],
}


def test_decisions_by_arn_and_key(server):
    iam = server.iam()
    reader = server.new_user("reader", policy=READER)
    status, answer = ask(server, {"principal": user_arn("reader"), "action": "s3:GetObject", "resource": f"{BUCKET_ARN}/a.jpg"})
    assert status == 200, answer
    assert answer["decision"] == "Allow" and answer["allowed"] is True
    assert answer["principal"] == user_arn("reader") and answer["account"] == ACCOUNT_ID
    assert answer["matchedStatements"] == [
        {"policyType": "identity", "policy": "user/reader/inline", "statement": 0, "sid": "Read", "effect": "Allow"}
    ], answer["matchedStatements"]
    assert "message" not in answer

    status, answer = ask(server, {"principal": reader.key_id, "action": "s3:GetObject", "resource": f"{BUCKET_ARN}/secret/k"})
    assert status == 200
    assert answer["decision"] == "ExplicitDeny"
    assert "with an explicit deny in an identity-based policy" in answer["message"]
    assert [m["sid"] for m in answer["matchedStatements"]] == ["Read", "NoSecrets"]

    status, answer = ask(server, {"principal": user_arn("reader"), "action": "s3:PutObject", "resource": f"{BUCKET_ARN}/a.jpg"})
    assert answer["decision"] == "ImplicitDeny"
    assert answer["message"] == (
        f"User: {user_arn('reader')} is not authorized to perform: s3:PutObject on resource: "
        f"{BUCKET_ARN}/a.jpg because no identity-based policy allows the s3:PutObject action"
    )
    # A resource policy of the same account that names the user allows on its own.
    bucket_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn("reader")}, "Action": "s3:PutObject", "Resource": f"{BUCKET_ARN}/*"}],
    }
    status, answer = ask(
        server,
        {"principal": user_arn("reader"), "action": "s3:PutObject", "resource": f"{BUCKET_ARN}/a.jpg", "resourcePolicy": bucket_policy},
    )
    assert answer["decision"] == "Allow" and answer["matchedStatements"][0]["policyType"] == "resource"
    # Conditions read the context given.
    iam.put_user_policy(
        UserName="reader",
        PolicyName="office",
        PolicyDocument=json.dumps(allow("s3:ListBucket", BUCKET_ARN, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
    )
    inside = {"principal": user_arn("reader"), "action": "s3:ListBucket", "resource": BUCKET_ARN, "context": {"aws:SourceIp": "10.1.2.3"}}
    assert ask(server, inside)[1]["decision"] == "Allow"
    assert ask(server, {**inside, "context": {"aws:SourceIp": "192.0.2.1"}})[1]["decision"] == "ImplicitDeny"

    # A role is decided as a session of it; the same question of the simulator agrees.
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="uploader", Path="/apps/", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="uploader", PolicyName="put", PolicyDocument=json.dumps(allow("s3:PutObject", f"{BUCKET_ARN}/*")))
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/apps/uploader"
    for action in ("s3:PutObject", "s3:GetObject"):
        status, answer = ask(server, {"principal": role_arn, "action": action, "resource": f"{BUCKET_ARN}/x"})
        simulated = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=[action], ResourceArns=[f"{BUCKET_ARN}/x"])
        expected = {"allowed": "Allow", "implicitDeny": "ImplicitDeny", "explicitDeny": "ExplicitDeny"}
        assert answer["decision"] == expected[simulated["EvaluationResults"][0]["EvalDecision"]], action
    assert answer["principal"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/uploader/castellan-decision"


def test_batches_and_errors(server):
    server.new_user("reader", policy=READER)
    checks = [
        {"principal": user_arn("reader"), "action": "s3:GetObject", "resource": f"{BUCKET_ARN}/a"},
        {"principal": user_arn("nobody"), "action": "s3:GetObject", "resource": f"{BUCKET_ARN}/a"},
        {"principal": "arn:aws:ec2::1:thing", "action": "s3:GetObject"},
        {"principal": user_arn("reader"), "action": "s3:GetObject", "resource": f"{BUCKET_ARN}/secret/a"},
    ]
    status, answer = ask(server, {"checks": checks})
    assert status == 200
    results = answer["results"]
    assert results[0]["decision"] == "Allow"
    assert results[1]["error"]["code"] == "NoSuchEntity"
    assert results[2]["error"]["code"] == "InvalidInput"
    assert results[3]["decision"] == "ExplicitDeny"
    for body in ({"checks": []}, {"checks": [{}] * 101}, {"action": "s3:GetObject"}, {"principal": user_arn("reader")}):
        status, answer = ask(server, body)
        assert status == 400 and answer["error"]["code"] == "ValidationError", body
    status, answer = ask(server, {"principal": user_arn("reader"), "action": "s3:GetObject", "resourcePolicy": "{not json"})
    assert status == 400 and answer["error"]["code"] == "MalformedPolicyDocument"


def test_the_asker_needs_castellan_authorize(server):
    server.new_user("reader", policy=READER)
    server.iam().create_user(UserName="other", Path="/people/")
    gate = server.new_user(
        "gate", policy=allow("castellan:Authorize", f"arn:aws:iam::{ACCOUNT_ID}:user/reader")
    )
    nobody = server.new_user("nobody-special", policy=allow("iam:GetUser"))
    question = {"principal": user_arn("reader"), "action": "s3:GetObject", "resource": f"{BUCKET_ARN}/a"}
    status, answer = ask(server, question, gate)
    assert (status, answer["decision"]) == (200, "Allow")
    status, answer = ask(server, {**question, "principal": user_arn("other", "/people/")}, gate)
    assert status == 403 and answer["error"]["code"] == "AccessDenied"
    assert "castellan:Authorize" in answer["error"]["message"]
    status, answer = ask(server, question, nobody)
    assert status == 403 and answer["error"]["code"] == "AccessDenied"
    # Unsigned, or signed for another service: refused before anything is read.
    request = urllib.request.Request(f"{server.endpoint}/v1/authorize", data=json.dumps(question).encode(), method="POST")
    try:
        urllib.request.urlopen(request, timeout=30)
        raise AssertionError("an unsigned call was answered")
    except urllib.error.HTTPError as error:
        assert error.code in (400, 403)
    wrong = signed_post(f"{server.endpoint}/v1/authorize", json.dumps(question).encode(), ROOT, service="iam")
    try:
        urllib.request.urlopen(wrong, timeout=30)
        raise AssertionError("a call signed for iam was answered")
    except urllib.error.HTTPError as error:
        assert error.code == 403
        assert json.loads(error.read())["error"]["code"] == "SignatureDoesNotMatch"


def test_forwarded_sigv4(server):
    iam = server.iam()
    reader = server.new_user("reader", policy={**READER, "Statement": READER["Statement"] + [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    forwarded = forwarded_get(server, reader, "/photos/a.jpg")
    status, answer = ask(server, {"forwarded": forwarded, "action": "s3:GetObject", "resource": f"{BUCKET_ARN}/a.jpg"})
    assert (status, answer["decision"], answer["principal"]) == (200, "Allow", user_arn("reader"))
    # The key's last use is the forwarded request's service.
    used = iam.get_access_key_last_used(AccessKeyId=reader.key_id)["AccessKeyLastUsed"]
    assert used["ServiceName"] == "s3"

    # Signed for one object, forwarded as another: refused.
    elsewhere = dict(forwarded, path="/photos/secret/a.jpg")
    status, answer = ask(server, {"forwarded": elsewhere, "action": "s3:GetObject", "resource": f"{BUCKET_ARN}/a.jpg"})
    assert status == 403 and answer["error"]["code"] == "SignatureDoesNotMatch"
    other_body = dict(forwarded, bodySha256=hashlib.sha256(b"changed").hexdigest())
    status, answer = ask(server, {"forwarded": other_body, "action": "s3:GetObject", "resource": f"{BUCKET_ARN}/a.jpg"})
    assert status == 403

    # A role session's request: decided with the role's policies and the session's name.
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="viewer", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="viewer", PolicyName="view", PolicyDocument=json.dumps(allow("s3:GetObject", f"{BUCKET_ARN}/public/*")))
    credentials = server.sts(reader).assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/viewer", RoleSessionName="web")["Credentials"]
    session = Creds(credentials["AccessKeyId"], credentials["SecretAccessKey"])
    token = credentials["SessionToken"]
    for path, decision in (("/photos/public/p.jpg", "Allow"), ("/photos/a.jpg", "ImplicitDeny")):
        status, answer = ask(
            server,
            {"forwarded": forwarded_get(server, session, path, token=token), "action": "s3:GetObject", "resource": f"arn:aws:s3:::{path[1:]}"},
        )
        assert status == 200 and answer["decision"] == decision, answer
        assert answer["principal"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/viewer/web"
    # A temporary key alone names no one.
    status, answer = ask(server, {"principal": session.key_id, "action": "s3:GetObject"})
    assert status == 400 and answer["error"]["code"] == "InvalidInput"


def test_openapi_document(server):
    with urllib.request.urlopen(f"{server.endpoint}/v1/openapi.json", timeout=30) as response:
        document = json.loads(response.read())
    assert document["openapi"].startswith("3.")
    assert "/v1/authorize" in document["paths"]
    assert set(document["components"]["schemas"]) >= {"Check", "ForwardedRequest", "Decision", "Batch"}
