"""The README's five-minute tour, run as written: its shell blocks, in order, in bash, with the
aws CLI, against the real binary started as the tour starts it (a fresh data directory)."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO, binary, free_port

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
    server = subprocess.Popen(
        [str(binary()), "serve", "--listen", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        printed = {}
        deadline = time.monotonic() + START_LIMIT_S
        while "root secret access key" not in printed and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
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
        script = script_for(rest, replacements)
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TOUR_LIMIT_S,
        )
        assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        # What the tour promises: alice denied first, then allowed, and the role profile works.
        assert "is not authorized to perform: iam:ListUsers" in done.stderr
        account = printed["account id"]
        assert f"arn:aws:sts::{account}:assumed-role/reader/" in done.stdout
        assert done.stdout.count('"UserName": "alice"') >= 2, done.stdout
        assert (tmp_path / "castellan-data" / "root-credentials").exists()
    finally:
        server.kill()
        server.wait()
