"""Signs one IAM request with botocore and writes a wrk Lua script that replays it.

SigV4 has no nonce: a signed request stays valid for its 15-minute window, so replaying it
measures the whole server path (verification, authorization, store) on every request.
"""
import sys

import botocore.auth
import botocore.awsrequest
import botocore.credentials

endpoint, key_id, secret, body, out = sys.argv[1:6]
service = sys.argv[6] if len(sys.argv) > 6 else "iam"
token = sys.argv[7] if len(sys.argv) > 7 else None
request = botocore.awsrequest.AWSRequest(
    method="POST",
    url=endpoint + "/",
    data=body,
    headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
)
credentials = botocore.credentials.Credentials(key_id, secret, token)
botocore.auth.SigV4Auth(credentials, service, "us-east-1").add_auth(request)
prepared = request.prepare()
with open(out, "w") as lua:
    lua.write('wrk.method = "POST"\n')
    lua.write("wrk.body = [[%s]]\n" % body)
    lua.write("wrk.headers = {}\n")
    for name, value in prepared.headers.items():
        if name.lower() in ("host", "content-length"):
            continue
        lua.write("wrk.headers[%r] = %r\n" % (name, value if isinstance(value, str) else value.decode()))
