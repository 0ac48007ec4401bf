"""The measuring half of bench/load/scale.

`prepare` runs against a fresh `castellan serve` (first start: it made the account and sealed
its root key): the user `bench` with a policy allowing iam:GetUser, and its access key, written
to KEYFILE. `measure` takes the populated layouts (WORK/<layout>/data and .../key) and, per
layout, starts the server STARTS times, timing each start and reading the process's memory;
the last start of each layout stays up. Then wrk runs ROUNDS times on each layout's signed
GetUser, the layouts taking turns, so that the load of a shared machine falls on all alike.

Start-up is the time from starting the process to the first answer 200 to a signed GetUser.
Until the state's first load completes, the server refuses every request
(`ServiceUnavailable`: the store has not confirmed any state yet, see --max-staleness), so that
answer is the first served from the loaded state. The server's own log line
"in-memory state loaded" gives the load alone (elapsed_ms) and the entities held.

  scale.py prepare ENDPOINT ROOT_KEY ROOT_SECRET KEYFILE
  scale.py measure CASTELLAN WORK USER DURATION CONNECTIONS THREADS STARTS ROUNDS LAYOUT...
"""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

import boto3

import sign


def prepare(endpoint, root_key, root_secret, keyfile):
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=root_key, aws_secret_access_key=root_secret)
    iam.create_user(UserName="bench")
    document = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}
    iam.put_user_policy(UserName="bench", PolicyName="get-user", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName="bench")["AccessKey"]
    with open(keyfile, "w") as out:
        out.write("%s %s\n" % (key["AccessKeyId"], key["SecretAccessKey"]))


def memory(pid):
    """VmRSS and VmHWM (peak) of the process, in KiB."""
    found = {}
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0])
    return found


def cpu_seconds(pid):
    """User + system CPU time the process used so far."""
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_of(endpoint, key, secret, body):
    headers = sign.signed_headers(endpoint, key, secret, body)
    request = urllib.request.Request(endpoint + "/", data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError):
        return None


class Start:
    """One start of the server on a layout's data, until GetUser answers 200."""

    def __init__(self, castellan, data, key, secret, body, log_path):
        port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % port
        self.log_path = log_path
        env = dict(os.environ, CASTELLAN_LOG="info")
        with open(log_path, "w") as log:
            began = time.monotonic()
            self.server = subprocess.Popen(
                [castellan, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", data],
                stdout=subprocess.DEVNULL, stderr=log, env=env)
        while True:
            status = status_of(self.endpoint, key, secret, body)
            if status == 200:
                self.seconds = time.monotonic() - began
                break
            if time.monotonic() > began + 120 or self.server.poll() is not None:
                self.stop()
                sys.exit("no answer 200 to GetUser within 120 s (last status %s); log: %s" % (status, log_path))
            time.sleep(0.005)
        self.memory = memory(self.server.pid)
        self.cpu = cpu_seconds(self.server.pid)
        self.loader_ms, self.entities = None, None
        for _ in range(100):
            with open(log_path) as log:
                match = re.search(
                    # The log is JSON lines (standard error is a file), text on a terminal.
                    r'in-memory state loaded.*?entities"?[=:](\d+).*?elapsed_ms"?[=:]"?(\d+)',
                    log.read())
            if match:
                self.entities, self.loader_ms = int(match.group(1)), int(match.group(2))
                break
            time.sleep(0.05)

    def stop(self):
        self.server.terminate()
        self.server.wait()


def wrk(script, endpoint, duration, connections, threads):
    out = subprocess.run(
        ["wrk", "-t%s" % threads, "-c%s" % connections, "-d%s" % duration, "--latency", "-s", script, endpoint + "/"],
        check=True, capture_output=True, text=True).stdout
    (line,) = [line for line in out.splitlines() if line.startswith("RESULT ")]
    return json.loads(line.split(" ", 1)[1])


def measure(castellan, work, user, duration, connections, threads, starts, rounds, *layouts):
    body = "Action=GetUser&Version=2010-05-08&UserName=%s" % user
    running = {}
    figures = {}
    try:
        for layout in layouts:
            key, secret = open("%s/%s/key" % (work, layout)).read().split()
            taken = []
            for number in range(int(starts)):
                start = Start(castellan, "%s/%s/data" % (work, layout), key, secret, body,
                              "%s/%s/serve-%d.log" % (work, layout, number))
                taken.append(start)
                if number + 1 < int(starts):
                    start.stop()
            running[layout] = taken[-1]
            script = "%s/%s/getuser.lua" % (work, layout)
            sign.write_script(script, body, sign.signed_headers(taken[-1].endpoint, key, secret, body), report=True)
            figures[layout] = {
                "entities": taken[-1].entities,
                "startup_s": [round(s.seconds, 3) for s in taken],
                "loader_ms": [s.loader_ms for s in taken],
                "cpu_s_at_ready": [s.cpu for s in taken],
                "rss_kib_loaded": [s.memory["VmRSS"] for s in taken],
                "hwm_kib_loaded": [s.memory["VmHWM"] for s in taken],
                "wrk": [],
            }
        for _ in range(int(rounds)):
            for layout in layouts:
                result = wrk("%s/%s/getuser.lua" % (work, layout), running[layout].endpoint, duration, connections, threads)
                figures[layout]["wrk"].append(result)
        for layout in layouts:
            figures[layout]["rss_kib_after_wrk"] = memory(running[layout].server.pid)["VmRSS"]
    finally:
        for start in running.values():
            start.stop()
    report(figures, layouts)


def report(figures, layouts):
    print(json.dumps(figures))
    base = figures[layouts[0]]
    base_rss = statistics.median(base["rss_kib_loaded"])
    print("\n| layout | entities | start-up (median of %d) | load (server log) | CPU at ready | VmRSS loaded |"
          " VmHWM | per entity over `%s` |" % (len(base["startup_s"]), layouts[0]))
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for layout in layouts:
        f = figures[layout]
        rss = statistics.median(f["rss_kib_loaded"])
        extra = f["entities"] - base["entities"]
        per = "%.0f B" % ((rss - base_rss) * 1024 / extra) if extra > 0 else "-"
        print("| %s | %s | %.2f s | %d ms | %.2f s | %.0f MiB | %.0f MiB | %s |" % (
            layout, format(f["entities"], ","), statistics.median(f["startup_s"]),
            statistics.median(f["loader_ms"]), statistics.median(f["cpu_s_at_ready"]),
            rss / 1024, statistics.median(f["hwm_kib_loaded"]) / 1024, per))
    base_rate = None
    print("\n| layout | GetUser req/s (median of %d rounds) | rounds | p50 | p99 | non-2xx | of `%s` |"
          % (len(base["wrk"]), layouts[0]))
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    failed = False
    for layout in layouts:
        runs = figures[layout]["wrk"]
        rates = [r["requests"] / (r["duration_us"] / 1e6) for r in runs]
        rate = statistics.median(rates)
        base_rate = base_rate or rate
        errors = sum(r["non2xx"] + r["socket_errors"] for r in runs)
        failed = failed or errors > 0
        print("| %s | %s | %s | %.2f ms | %.2f ms | %d | %d%% |" % (
            layout, format(round(rate), ","), " / ".join(format(round(r), ",") for r in rates),
            statistics.median(r["p50_us"] for r in runs) / 1000, statistics.median(r["p99_us"] for r in runs) / 1000,
            errors, round(100 * rate / base_rate)))
    if failed:
        sys.exit("some requests failed (non-2xx or socket errors): these figures are not valid")


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(*sys.argv[2:6])
    elif sys.argv[1] == "measure":
        measure(*sys.argv[2:])
    else:
        sys.exit("usage: scale.py prepare|measure ...")
