"""Operations: /healthz, /readyz and /metrics of a running server, and its structured log (JSON
lines when not on a terminal) with one line per request."""

import json
import time
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import Creds, user_arn


def fetch(server, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{server.endpoint}{path}", timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def sample(metrics: str, series: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_health_readiness_metrics_and_request_log(server):
    assert fetch(server, "/healthz") == (200, "ok\n")
    assert fetch(server, "/readyz") == (200, "ready\n")
    series = 'castellan_requests_total{service="iam",action="GetUser",outcome="success"}'
    before = sample(fetch(server, "/metrics")[1], series)
    alice = server.new_user("alice", policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
    server.iam(alice).get_user()
    server.iam(alice).get_user()
    with pytest.raises(ClientError):
        server.iam(Creds(alice.key_id, "not-the-secret")).get_user()
    status, metrics = fetch(server, "/metrics")
    assert status == 200
    assert sample(metrics, series) == before + 2
    assert sample(metrics, 'castellan_sigv4_failures_total{code="SignatureDoesNotMatch"}') >= 1
    assert "castellan_authorization_duration_seconds_bucket" in metrics
    assert "castellan_store_write_duration_seconds_count" in metrics

    # The log: one JSON object per line; a line per request with its facts, no secret.
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(line) for line in server.log_path.read_text().splitlines() if line.startswith("{")]
        requests = [l["fields"] for l in lines if l.get("target") == "castellan::request"]
        mine = [r for r in requests if r["action"] == "GetUser" and r["principal"] == user_arn("alice")]
        if len(mine) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(mine) >= 2, requests[-5:]
    line = mine[-1]
    assert (line["service"], line["outcome"], line["status"]) == ("iam", "success", 200)
    assert line["request_id"] and line["latency_ms"] >= 0
    refused = [r for r in requests if r["outcome"] == "SignatureDoesNotMatch"]
    assert refused and refused[-1]["status"] == 403
    text = server.log_path.read_text()
    assert alice.secret not in text and "not-the-secret" not in text
