#!/usr/bin/env python3
"""Records requests from real AWS clients (boto3, botocore presigning, the aws CLI) signed
with fixed fake credentials, into requests.json beside this script, for tests/captured.rs.

Run: python3 -m venv venv && venv/bin/pip install boto3 awscli && venv/bin/python capture.py
Only 127.0.0.1 is contacted: a local listener records each request as received.
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import botocore
from botocore.config import Config

AKID = "AKIAIOSFODNN7EXAMPLE"
TEMP_AKID = "ASIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+fake/session+token=="

captured = []
label = {"client": None, "note": None, "akid": None, "token": None, "expect": None}

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


class Recorder(BaseHTTPRequestHandler):
    def _record(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        captured.append({
            "client": label["client"],
            "note": label["note"],
            "method": self.command,
            "path": path,
            "query": query,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("utf-8"),
            "access_key_id": label["akid"],
            "secret_access_key": SECRET,
            "session_token": label["token"],
            "captured_at": int(time.time()),
            # null: must verify; otherwise the AWS error code it must be refused with.
            "expect_error": label["expect"],
        })
        text = body.decode() + query
        if "GetCallerIdentity" in text:
            reply = (f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult>'
                     '<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId>'
                     '<Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata>'
                     '<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>'
                     '</GetCallerIdentityResponse>')
        else:
            action = "ListUsers" if "ListUsers" in text else "CreatePolicy" if "CreatePolicy" in text else "CreateUser"
            reply = (f'<{action}Response xmlns="{IAM_NS}"><{action}Result></{action}Result>'
                     '<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId>'
                     f'</ResponseMetadata></{action}Response>')
        data = reply.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _record
    do_POST = _record

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    config = Config(retries={"max_attempts": 1})

    def client(service, region, akid, token):
        label["akid"], label["token"] = akid, token
        return boto3.client(service, endpoint_url=endpoint, region_name=region,
                            aws_access_key_id=akid, aws_secret_access_key=SECRET,
                            aws_session_token=token, config=config)

    def run(client_name, note, fn):
        label["client"], label["note"] = client_name, note
        try:
            fn()
        except botocore.exceptions.BotoCoreError as e:  # parse errors are fine: the request was sent
            print(f"{note}: {e}", file=sys.stderr)

    boto = f"boto3 {boto3.__version__} / botocore {botocore.__version__}"
    iam = client("iam", "us-east-1", AKID, None)
    run(boto, "iam ListUsers", lambda: iam.list_users(MaxItems=10, PathPrefix="/division_abc/"))
    run(boto, "iam CreateUser with tags", lambda: iam.create_user(
        UserName="alice+test@example.com", Path="/division_abc/",
        Tags=[{"Key": "team", "Value": "a b&c=d/é"}]))
    sts = client("sts", "eu-west-1", TEMP_AKID, TOKEN)
    run(boto, "sts GetCallerIdentity with session token", sts.get_caller_identity)

    # As `aws eks get-token` does: presigned for GET, then fetched with GET.
    def presigned_get():
        url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=900,
                                         HttpMethod="GET")
        urllib.request.urlopen(url).read()
    run(boto, "sts GetCallerIdentity presigned for GET", presigned_get)

    # botocore's default presigns with the operation's method, POST: fetching that URL with GET
    # must fail (AWS answers SignatureDoesNotMatch, boto/boto3#756); POSTing it must work.
    default_url = {}
    def presigned_default(method):
        if "url" not in default_url:
            default_url["url"] = sts.generate_presigned_url("get_caller_identity", Params={},
                                                            ExpiresIn=900)
        urllib.request.urlopen(urllib.request.Request(
            default_url["url"], method=method, data=b"" if method == "POST" else None)).read()
    label["expect"] = "SignatureDoesNotMatch"
    run(boto, "sts GetCallerIdentity presigned for POST, fetched with GET",
        lambda: presigned_default("GET"))
    label["expect"] = None
    run(boto, "sts GetCallerIdentity presigned for POST, fetched with POST",
        lambda: presigned_default("POST"))

    env = dict(os.environ, AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_DEFAULT_REGION="us-west-2", AWS_MAX_ATTEMPTS="1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    env.pop("AWS_SESSION_TOKEN", None)
    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    version = subprocess.run([aws, "--version"], capture_output=True, text=True).stdout.strip()
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    for note, args in [
        ("iam list-users", ["iam", "list-users"]),
        ("iam create-policy", ["iam", "create-policy", "--policy-name", "p1", "--policy-document", policy]),
        ("sts get-caller-identity", ["sts", "get-caller-identity"]),
    ]:
        label.update(client=f"aws-cli {version}", note=note, akid=AKID, token=None)
        subprocess.run([aws, *args, "--endpoint-url", endpoint], env=env, capture_output=True)

    server.shutdown()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "requests.json")
    with open(out, "w") as f:
        json.dump(captured, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(captured)} requests written to {out}")


if __name__ == "__main__":
    main()
