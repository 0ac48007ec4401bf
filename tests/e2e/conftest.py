"""Fixtures for the end-to-end suite: the real `castellan` binary on a free port, driven by
boto3 and the aws CLI, on SQLite and on PostgreSQL.

Nothing here builds: the binary comes from CASTELLAN_BIN (default target/debug/castellan,
relative to the repository). PostgreSQL cases need CASTELLAN_E2E_POSTGRES_URL, a server where
this user may create databases (scripts/test starts one); each case gets its own database.

Every server runs at trace level with its data directory, log and output under one directory
for the run, and every PostgreSQL database is dumped there before it is dropped; the clients
record every secret they send or receive (secrets_registry.py), and test_secrets_sweep.py, run
last, checks that none of them reached a log, a database or an output.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
from botocore.config import Config

import secrets_registry

REPO = Path(__file__).resolve().parents[2]
ACCOUNT_ID = "123456789012"
ROOT_KEY_ID = "AKIAE2EROOT000000001"
ROOT_SECRET = "e2e/root/secret/0123456789abcdefghijklmnopq"
ROOT_EMAIL = "root@castellan.local"
# The root user's console password: given in the environment, never printed, and a secret
# the sweep looks for in every log.
ROOT_PASSWORD = "e2e-Root-Console-Password-1"
REGION = "us-east-1"
# A fixed master key so a restarted PostgreSQL-backed server opens the secrets it sealed.
MASTER_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
POSTGRES_ENV = "CASTELLAN_E2E_POSTGRES_URL"
BACKENDS = ["sqlite", "postgres"]
# The servers' log filter (tracing EnvFilter syntax): everything, so that the secrets sweep
# reads the most a server can be made to write.
SERVER_LOG = "trace"
# Where every server of this run keeps its data directory, log and output, and where the
# PostgreSQL databases are dumped: what the secrets sweep reads. Removed when the run passes.
RUN_DIR = Path(tempfile.mkdtemp(prefix="castellan-e2e-run-"))
SWEEP_MODULE = "test_secrets_sweep.py"
secrets_registry.REGISTRY.add(ROOT_SECRET, "root secret access key")
secrets_registry.REGISTRY.add(ROOT_PASSWORD, "root console password")
secrets_registry.REGISTRY.add(MASTER_KEY, "master key")
_server_dirs = itertools.count()
# Figures the tests measured (crash rounds, the sweep), printed at the end of the run.
FIGURES: list[str] = []


def server_dir(label: str) -> Path:
    """A new directory under RUN_DIR for one server's data, log and output."""
    return RUN_DIR / f"{next(_server_dirs):04d}-{label}"


def binary() -> Path:
    path = Path(os.environ.get("CASTELLAN_BIN", "target/debug/castellan"))
    path = path if path.is_absolute() else REPO / path
    if not path.exists():
        pytest.fail(
            f"castellan binary not found at {path}: build it (cargo build -p castellan) "
            "or set CASTELLAN_BIN; scripts/test does both",
            pytrace=False,
        )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        # Reached only in CI: locally these cases are deselected (see below).
        pytest.fail(
            f"{POSTGRES_ENV} is not set, so the PostgreSQL cases cannot run; run the suite "
            "with scripts/test (it starts a throwaway cluster) or point the variable at a "
            "server where this user may create databases",
            pytrace=False,
        )
    return url


def pytest_collection_modifyitems(config, items):
    # The secrets sweep reads what every other test left behind: it runs last.
    items.sort(key=lambda item: item.path.name == SWEEP_MODULE)
    if os.environ.get(POSTGRES_ENV) or in_ci():
        return
    kept, dropped = [], []
    for item in items:
        spec = getattr(item, "callspec", None)
        backend = spec.params.get("backend") if spec else None
        (dropped if backend == "postgres" else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
        config._castellan_pg_deselected = len(dropped)


def pytest_sessionfinish(session, exitstatus):
    # The servers' files are kept for a look when anything failed.
    if exitstatus == 0 and not os.environ.get("CASTELLAN_E2E_KEEP"):
        shutil.rmtree(RUN_DIR, ignore_errors=True)
    else:
        session.config._castellan_kept = RUN_DIR


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    for line in FIGURES:
        terminalreporter.write_line(line)
    kept = getattr(config, "_castellan_kept", None)
    if kept:
        terminalreporter.write_line(f"note: the servers' data directories, logs and outputs are kept in {kept}")
    count = getattr(config, "_castellan_pg_deselected", 0)
    if count:
        terminalreporter.write_line(
            f"note: {count} PostgreSQL cases deselected because {POSTGRES_ENV} is not set "
            "(scripts/test sets it; in CI they fail instead)"
        )


_running: set[subprocess.Popen] = set()


@atexit.register
def _kill_leftovers():
    # However the run ends, no server outlives it.
    for process in list(_running):
        if process.poll() is None:
            process.kill()


def _die_with_parent():
    # Linux: the server gets SIGKILL if this Python process dies without cleaning up.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


_session = None


def boto_session():
    """The one boto3 session every client of the suite comes from: a new session would load
    the service models again (clients are only created on the main thread, so sharing it is
    safe), and its event hooks record every secret sent or received for the sweep."""
    global _session
    if _session is None:
        _session = boto3.session.Session()
        secrets_registry.REGISTRY.hook(_session)
    return _session



@dataclass
class Creds:
    key_id: str
    secret: str
    user: str | None = None


ROOT = Creds(ROOT_KEY_ID, ROOT_SECRET)
_database_numbers = itertools.count()


class Database:
    """A PostgreSQL database of its own for one test case, dropped afterwards."""

    def __init__(self, server_url: str):
        import psycopg

        self._psycopg = psycopg
        self.admin_url = server_url
        self.name = f"castellan_e2e_{os.getpid()}_{next(_database_numbers)}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {self.name}")
        parts = urlsplit(server_url)
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))

    def dump(self, path: Path):
        """Writes every value of every table, as the database holds it (text as UTF-8, binary
        columns raw), to `path`: what the secrets sweep reads of a database."""
        with self._psycopg.connect(self.url, autocommit=True) as conn, open(path, "wb") as out:
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchall()
            for (table,) in tables:
                out.write(f"== {table}\n".encode())
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    for value in row:
                        if isinstance(value, (bytes, bytearray, memoryview)):
                            out.write(bytes(value))
                        elif value is not None:
                            out.write(str(value).encode())
                        out.write(b"\t")
                    out.write(b"\n")

    def drop(self):
        try:
            self.dump(RUN_DIR / f"{self.name}.dump")
        except self._psycopg.Error:
            # A database a test could not reach is gone already; nothing to sweep.
            pass
        with self._psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


class Server:
    """One `castellan serve` process and the clients that talk to it."""

    def __init__(self, backend: str, data_dir: Path, database_url: str | None, ephemeral: bool):
        self.backend = backend
        self.data_dir = data_dir
        self.database_url = database_url
        self.ephemeral = ephemeral
        self.process: subprocess.Popen | None = None
        self.port = 0
        # stderr (the log) and stdout (first start prints the root key pair there) apart, so
        # the sweep can allow exactly that one line of stdout.
        self.log_path = data_dir / "server.log"
        self.stdout_path = data_dir / "server.stdout"
        # More `castellan serve` flags, for a test that needs a setting of its own.
        self.extra_args: list[str] = []
        # The first account's flags (id, root keys, root password); off for a server whose
        # accounts a fixtures file declares.
        self.first_account = True

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        args = [
            str(binary()),
            "serve",
            "--listen",
            f"127.0.0.1:{self.port}",
            "--data-dir",
            str(self.data_dir),
            "--master-key",
            MASTER_KEY,
            "--test-clock",
        ]
        if self.first_account:
            args += [
                "--account-id",
                ACCOUNT_ID,
                "--root-access-key-id",
                ROOT_KEY_ID,
                "--root-secret-access-key",
                ROOT_SECRET,
            ]
        if self.ephemeral:
            # Durable servers keep theirs at <data-dir>/audit.log by default; the sweep reads
            # every server's.
            args += ["--ephemeral", "--audit-log", str(self.data_dir / "audit.log")]
        if self.database_url:
            args += ["--database-url", self.database_url]
        args += self.extra_args
        # The server reads CASTELLAN_* settings from the environment: none may leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CASTELLAN_")}
        env["CASTELLAN_LOG"] = SERVER_LOG
        if self.first_account:
            env["CASTELLAN_ROOT_PASSWORD"] = ROOT_PASSWORD
        with open(self.log_path, "ab") as log, open(self.stdout_path, "ab") as out:
            self.process = subprocess.Popen(
                args,
                stdout=out,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=env,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        _running.add(self.process)
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"castellan exited with {self.process.returncode}:\n{self.log()}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{self.endpoint}/_castellan/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"castellan did not answer its health check in 30 s:\n{self.log()}", pytrace=False)
            time.sleep(0.05)

    def stop(self):
        if self.process and self.process.poll() is None:
            # SIGINT is the server's graceful shutdown.
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        _running.discard(self.process)
        self.process = None

    def restart(self):
        self.stop()
        return self.start()

    def kill(self):
        """SIGKILL: the server dies wherever it is, as in a crash or an OOM kill."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        _running.discard(self.process)
        self.process = None

    def log(self) -> str:
        """The server's output then its log."""
        text = ""
        for path in (self.stdout_path, self.log_path):
            try:
                text += path.read_text(errors="replace")
            except OSError:
                pass
        return text

    def advance_clock(self, seconds: int) -> int:
        """Moves the server's clock forward (`--test-clock`); returns its time now. Signed
        requests are then out of its clock window until a reset takes the move back."""
        request = urllib.request.Request(f"{self.endpoint}/_castellan/clock?advance={seconds}", method="POST")
        with urllib.request.urlopen(request, timeout=30) as r:
            return int(r.read())

    def reset(self):
        request = urllib.request.Request(f"{self.endpoint}/_castellan/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30) as r:
            assert r.status == 200

    # Clients.

    def client(self, service: str, creds: Creds = ROOT, region: str = REGION, pool: int = 10, checked: bool = True):
        """A client of `service`; with checked=False botocore's own parameter checks are off,
        so values it would refuse itself reach the server and the server's answer is tested."""
        return boto_session().client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=creds.key_id,
            aws_secret_access_key=creds.secret,
            # One attempt: a retried request would hide what the server answered first.
            config=Config(
                retries={"mode": "standard", "max_attempts": 1},
                max_pool_connections=pool,
                parameter_validation=checked,
            ),
        )

    def iam(self, creds: Creds = ROOT):
        return self.client("iam", creds)

    def sts(self, creds: Creds = ROOT):
        return self.client("sts", creds)

    def aws(self, *args: str, creds: Creds = ROOT, check: bool = True):
        """Runs the aws CLI (from this Python environment) against the server; returns the
        parsed JSON output, or the completed process when check is False."""
        aws = Path(sys.executable).parent / "aws"
        command = [str(aws)] if aws.exists() else ["aws"]
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("CASTELLAN_")
        }
        env.update(
            AWS_ACCESS_KEY_ID=creds.key_id,
            AWS_SECRET_ACCESS_KEY=creds.secret,
            AWS_DEFAULT_REGION=REGION,
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_MAX_ATTEMPTS="1",
            AWS_RETRY_MODE="standard",
        )
        done = subprocess.run(
            command + list(args) + ["--endpoint-url", self.endpoint, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        secrets_registry.REGISTRY.scan_cli(args, done.stdout)
        if not check:
            return done
        assert done.returncode == 0, f"aws {' '.join(args)} failed ({done.returncode}): {done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else {}

    # Helpers.

    def new_user(self, name: str, path: str = "/", policy: dict | None = None, managed: list[str] = ()) -> Creds:
        """Creates a user with one access key, an optional inline policy and attached
        managed policies, as root."""
        iam = self.iam()
        iam.create_user(UserName=name, Path=path)
        if policy is not None:
            iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
        for arn in managed:
            iam.attach_user_policy(UserName=name, PolicyArn=arn)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return Creds(key["AccessKeyId"], key["SecretAccessKey"], name)


def session_client(server: Server, service: str, credentials: dict, region: str = REGION):
    """A client signing with temporary credentials (AccessKeyId, SecretAccessKey and
    SessionToken as STS returns them); Creds has no session token."""
    return boto_session().client(
        service,
        endpoint_url=server.endpoint,
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        # One attempt, as the other clients: a retry would hide the first answer.
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )


def allow(action, resource="*", **extra) -> dict:
    return {"Version": "2012-10-17", "Statement": [dict(Effect="Allow", Action=action, Resource=resource, **extra)]}


def error_of(excinfo) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a botocore ClientError caught by pytest.raises."""
    e = excinfo.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


def user_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:user{path}{name}"


@pytest.fixture(scope="session")
def _sqlite_ephemeral():
    server = Server("sqlite", server_dir("sqlite-ephemeral"), None, ephemeral=True).start()
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def server(backend, request):
    """A server with a fresh state: the shared ephemeral SQLite server after a reset, or a
    server on a new PostgreSQL database (ephemeral mode always keeps state in memory)."""
    if backend == "sqlite":
        server = request.getfixturevalue("_sqlite_ephemeral")
        server.reset()
        yield server
        return
    database = Database(postgres_url())
    server = Server("postgres", server_dir("postgres"), database.url, ephemeral=False)
    try:
        yield server.start()
    finally:
        server.stop()
        database.drop()


@contextlib.contextmanager
def durable(backend: str, label: str, prepare=None):
    """A started server on durable storage of its own (a SQLite file in a data directory, or
    a new PostgreSQL database), stopped and dropped afterwards; `prepare` sets it up first."""
    database = Database(postgres_url()) if backend == "postgres" else None
    server = Server(backend, server_dir(label), database.url if database else None, ephemeral=False)
    if prepare:
        prepare(server)
    try:
        yield server.start()
    finally:
        server.stop()
        if database:
            database.drop()


@pytest.fixture
def durable_server(backend):
    """A server on durable storage (a SQLite file in a data directory, or a PostgreSQL
    database) that can be stopped and started again on the same state."""
    with durable(backend, f"{backend}-durable") as server:
        yield server
