"""The README's five-minute tour, run as written: its shell blocks, in order, in bash, with the
aws CLI, against the real binary started as the tour starts it (a fresh data directory).

The server's files live under the run's directory and the secrets the tour makes are recorded,
so the secrets sweep covers the tour too. So that the sweep's allowances hold, the root key pair
and the master key are the suite's own, given in the environment (the tour reads the key pair
back from what the server prints, as a reader would)."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import MASTER_KEY, REPO, ROOT_KEY_ID, ROOT_SECRET, SERVER_LOG, binary, free_port, server_dir
from secrets_registry import REGISTRY

TOUR_START = "## A five-minute tour with the aws CLI"
TOUR_END = "## Settings"
DEFAULT_ENDPOINT = "127.0.0.1:7070"
# Generous upper bounds only: a debug build on a loaded 2-core machine.
START_LIMIT_S = 120
TOUR_LIMIT_S = 600


def tour_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    tour = text[text.index(TOUR_START) : text.index(TOUR_END)]
    return re.findall(r"```sh\n(.*?)```", tour, flags=re.S)


def script_for(blocks: list[str], replacements: dict[str, str]) -> str:
    """One bash script: plain blocks run as they are; a `$ command` line followed by output
    runs that command and checks it ends as the output shows (an AWS error, or success)."""
    lines = ["set -euo pipefail"]
    for block in blocks:
        for old, new in replacements.items():
            block = block.replace(old, new)
        if not block.startswith("$ "):
            lines.append(block)
            continue
        command, *output = block.split("\n")
        command = command.removeprefix("$ ")
        error = re.search(r"An error occurred \((\w+)\)", "\n".join(output))
        if error is None:
            lines.append(command)
            continue
        quoted = shlex.quote(f"({error.group(1)})")
        lines.append(
            f"if {command} 2>tour-error; then echo 'expected {error.group(1)}' >&2; exit 1; fi\n"
            f"grep -F {quoted} tour-error >&2"
        )
    return "\n".join(lines) + "\n"


def test_readme_tour_runs_as_written(tmp_path):
    blocks = tour_blocks()
    start, rest = blocks[0], blocks[1:]
    assert "castellan -- serve" in start, "the tour begins by starting the server"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CASTELLAN_"))}
    env["HOME"] = str(tmp_path)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # Where the tour's reader stands: `castellan-data` lands here, beside the server's log.
    here = server_dir("readme-tour")
    here.mkdir(parents=True)
    server_env = dict(
        env,
        CASTELLAN_LOG=SERVER_LOG,
        CASTELLAN_ROOT_ACCESS_KEY_ID=ROOT_KEY_ID,
        CASTELLAN_ROOT_SECRET_ACCESS_KEY=ROOT_SECRET,
        CASTELLAN_MASTER_KEY=MASTER_KEY,
    )
    with open(here / "server.log", "ab") as log:
        server = subprocess.Popen(
            [str(binary()), "serve", "--listen", f"127.0.0.1:{port}"],
            cwd=here,
            env=server_env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    try:
        printed = {}
        deadline = time.monotonic() + START_LIMIT_S
        with open(here / "server.stdout", "a") as kept:
            while "root secret access key" not in printed and time.monotonic() < deadline:
                line = server.stdout.readline()
                if not line:
                    break
                kept.write(line)
                name, _, value = line.partition(":")
                printed[name.strip()] = value.strip()
        assert "root secret access key" in printed, f"the server printed {printed}"
        replacements = {
            "<root access key id>": printed["root access key id"],
            "<root secret access key>": printed["root secret access key"],
            DEFAULT_ENDPOINT: f"127.0.0.1:{port}",
        }
        # The server is listening once the port answers.
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        # Alice's secret lives in the tour's shell only: kept aside for the sweep.
        alice_secret = tmp_path / "alice-secret"
        script = script_for(rest, replacements) + f'printf %s "$ALICE_SECRET" > {alice_secret}\n'
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=here,
            env=env,
            capture_output=True,
            text=True,
            timeout=TOUR_LIMIT_S,
        )
        if alice_secret.exists():
            REGISTRY.add(alice_secret.read_text(), "SecretAccessKey (README tour)")
        assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        # What the tour promises: alice denied first, then allowed, and the role profile works.
        assert "is not authorized to perform: iam:ListUsers" in done.stderr
        account = printed["account id"]
        assert f"arn:aws:sts::{account}:assumed-role/reader/" in done.stdout
        assert done.stdout.count('"UserName": "alice"') >= 2, done.stdout
        assert (here / "castellan-data" / "root-credentials").exists()
    finally:
        server.kill()
        server.wait()
