"""Signs one IAM or STS request with botocore and writes a wrk Lua script that replays it.

SigV4 has no nonce: a signed request stays valid for its 15-minute window, so replaying it
measures the whole server path (verification, authorization, state) on every request.

As a command: sign.py ENDPOINT KEY_ID SECRET BODY OUT.lua [SERVICE [SESSION_TOKEN]].
"""
import sys

import botocore.auth
import botocore.awsrequest
import botocore.credentials

# Printed by wrk once the run ends (`done`), one line the load scripts parse: wrk's own
# summary rounds its figures for reading; these are the raw counts and microseconds.
REPORT = """
done = function(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


FORM = "application/x-www-form-urlencoded; charset=utf-8"


def signed_headers(endpoint, key_id, secret, body, service="iam", token=None, path="/", content_type=FORM):
    """The headers of a POST of `body` to `endpoint` + `path` signed for `service` in
    us-east-1."""
    request = botocore.awsrequest.AWSRequest(
        method="POST",
        url=endpoint + path,
        data=body,
        headers={"Content-Type": content_type},
    )
    credentials = botocore.credentials.Credentials(key_id, secret, token)
    botocore.auth.SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    headers = {}
    for name, value in request.prepare().headers.items():
        if name.lower() in ("host", "content-length"):
            continue
        headers[name] = value if isinstance(value, str) else value.decode()
    return headers


def write_script(out, body, headers, report=False, path="/"):
    """A wrk script replaying the request; with `report`, it prints a RESULT line at the end."""
    with open(out, "w") as lua:
        lua.write('wrk.method = "POST"\n')
        lua.write("wrk.path = %r\n" % path)
        # A level-3 long bracket: JSON bodies hold `]]` (lists of lists).
        assert "]===]" not in body
        lua.write("wrk.body = [===[%s]===]\n" % body)
        lua.write("wrk.headers = {}\n")
        for name, value in headers.items():
            lua.write("wrk.headers[%r] = %r\n" % (name, value))
        if report:
            lua.write(REPORT)


def main(argv):
    endpoint, key_id, secret, body, out = argv[1:6]
    service = argv[6] if len(argv) > 6 else "iam"
    token = argv[7] if len(argv) > 7 else None
    write_script(out, body, signed_headers(endpoint, key_id, secret, body, service, token))


if __name__ == "__main__":
    main(sys.argv)
