"""The secrets the end-to-end suite created, and the sweep that looks for them in what the
servers left behind (logs, outputs, database files and dumps).

Every boto3 client of the suite comes from one session whose event hooks record the secret
fields of every request and response (secret access keys, session tokens, passwords, MFA
seeds, private keys, the last line by line); the aws CLI helper records its arguments and
output the same way. The sweep searches for each secret as written and URL-encoded, with GNU
grep's multi-pattern search (thousands of secrets over megabytes of trace logs).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

# Names of request parameters and response fields whose values are secrets.
SECRET_FIELDS = frozenset(
    {
        "SecretAccessKey",
        "SessionToken",
        "Password",
        "NewPassword",
        "OldPassword",
        "ServicePassword",
        "ServiceCredentialSecret",
        "Base32StringSeed",
        "PrivateKey",
        "WebIdentityToken",
        "SAMLAssertion",
    }
)
CLI_SECRET_FLAGS = frozenset({"--password", "--new-password", "--old-password"})
# Shorter values (the suite's "x" and "y" passwords that are refused anyway) would match
# by chance in binary files; they are counted apart and not searched for.
MIN_LENGTH = 6


class Registry:
    """Every secret seen, with what it was (the first field that carried it)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.secrets: dict[str, str] = {}
        self.too_short: set[str] = set()

    def add(self, value, kind: str):
        if isinstance(value, (bytes, bytearray, memoryview)):
            value = bytes(value).decode("utf-8", "replace")
        if not isinstance(value, str) or not value:
            return
        if "\n" in value:
            # A PEM private key: the sweep searches line by line, so each line of its base64
            # is a secret of its own (the armour lines are not secret).
            for line in value.splitlines():
                if line.strip() and not line.startswith("-----"):
                    self.add(line.strip(), f"{kind}, a line")
        with self._lock:
            if len(value) < MIN_LENGTH:
                self.too_short.add(value)
            else:
                self.secrets.setdefault(value, kind)

    def scan(self, value, source: str):
        """Records the secret fields found anywhere in a request's parameters or a parsed
        response."""
        if isinstance(value, dict):
            for key, item in value.items():
                if key in SECRET_FIELDS and isinstance(item, (str, bytes, bytearray)):
                    self.add(item, f"{key} ({source})")
                else:
                    self.scan(item, source)
        elif isinstance(value, (list, tuple)):
            for item in value:
                self.scan(item, source)

    def hook(self, session):
        """Hooks a boto3 session: every client created from it afterwards reports here."""
        session.events.register("before-parameter-build", self._on_params)
        session.events.register("after-call", self._on_response)

    def _on_params(self, params=None, model=None, **_):
        self.scan(params, f"{getattr(model, 'name', '?')} request")

    def _on_response(self, parsed=None, model=None, **_):
        self.scan(parsed, f"{getattr(model, 'name', '?')} response")

    def scan_cli(self, args, stdout: str):
        """Records the secrets of one aws CLI call: password flags and the JSON it printed."""
        for flag, value in zip(args, args[1:]):
            if flag in CLI_SECRET_FLAGS:
                self.add(value, f"{flag} (aws CLI)")
        try:
            self.scan(json.loads(stdout), "aws CLI output")
        except ValueError:
            pass

    def snapshot(self) -> dict[str, str]:
        with self._lock:
            return dict(self.secrets)


REGISTRY = Registry()


@dataclass(frozen=True)
class Allowed:
    """A place where a secret is written by design: in files named `file_name`, occurrences
    of `secret`, and only on a line that starts with `line_prefix` when one is given."""

    file_name: str
    secret: str
    line_prefix: str | None = None

    def covers(self, path: Path, data: bytes, offset: int, secret: str) -> bool:
        if path.name != self.file_name or secret != self.secret:
            return False
        if self.line_prefix is None:
            return True
        start = data.rfind(b"\n", 0, offset) + 1
        end = data.find(b"\n", offset)
        line = data[start : end if end >= 0 else len(data)]
        return line == (self.line_prefix + secret).encode()


@dataclass
class Hit:
    path: Path
    offset: int
    kind: str
    form: str


@dataclass
class Result:
    secrets: int
    patterns: int
    files: int
    bytes: int
    allowed: int
    hits: list[Hit]


def forms(secret: str) -> dict[str, str]:
    """The ways a secret could be written: as is, and URL-encoded as in a logged form body
    or query string."""
    found: dict[str, str] = {}
    for name, form in (("as is", secret), ("url-encoded", quote(secret, safe="")), ("form-encoded", quote_plus(secret))):
        found.setdefault(form, name)
    return found


def sweep(paths: list[Path], secrets: dict[str, str], allowed: list[Allowed], scratch: Path) -> Result:
    """Searches every file under `paths` for every secret in every form."""
    pattern_of: dict[str, tuple[str, str]] = {}
    for secret in secrets:
        for text, name in forms(secret).items():
            pattern_of.setdefault(text, (secret, name))
    paths = [p for p in paths if p.exists()]
    files = [p for root in paths for p in ([root] if root.is_file() else sorted(root.rglob("*"))) if p.is_file()]
    result = Result(len(secrets), len(pattern_of), len(files), sum(p.stat().st_size for p in files), 0, [])
    if not files or not pattern_of:
        return result
    patterns = scratch / "secret-patterns"
    # A pattern file has one per line: a secret holding newlines (a whole PEM key) is found
    # by its lines, which `add` registered apart.
    patterns.write_text("".join(f"{p}\n" for p in pattern_of if "\n" not in p))
    # -r: every file below the roots; -a: binary files (database pages) searched as text;
    # -o -b: each match with its byte offset; -Z: the file name ends with a NUL; -F: fixed
    # strings (Aho-Corasick inside grep). Exit 1 means no match, 2 an error.
    done = subprocess.run(
        ["grep", "-r", "-a", "-o", "-b", "-H", "-Z", "-F", "-f", str(patterns), "--", *map(str, paths)],
        capture_output=True,
        # Bytes, not characters: database pages are not UTF-8.
        env={**os.environ, "LC_ALL": "C"},
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"grep failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    contents: dict[Path, bytes] = {}
    for line in done.stdout.split(b"\n"):
        if not line:
            continue
        name, _, match = line.partition(b"\0")
        path = Path(name.decode())
        offset_text, _, matched = match.partition(b":")
        secret, form = pattern_of.get(matched.decode(errors="replace"), (None, "unrecognised"))
        if secret is None:
            result.hits.append(Hit(path, int(offset_text), "a match grep reported", form))
            continue
        offset = int(offset_text)
        if path not in contents:
            contents[path] = path.read_bytes()
        if any(a.covers(path, contents[path], offset, secret) for a in allowed):
            result.allowed += 1
            continue
        result.hits.append(Hit(path, offset, secrets[secret], form))
    return result
