"""Fixtures that run the real kura binary with a temporary data directory on a
free loopback port, and helpers for the real git client and python-gitlab.

Run with Debian's interpreter: /usr/bin/python3 -m pytest tests/e2e
KURA_BIN selects the binary (default: build/kura). KURA_TEST_PG_ADMIN_URL, a
superuser URL of a throw-away PostgreSQL cluster (scripts/pg-cluster), runs
every server on a fresh database of its own instead of SQLite."""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
KURA_BIN = os.environ.get("KURA_BIN", str(ROOT / "build" / "kura"))
PG_ADMIN_URL = os.environ.get("KURA_TEST_PG_ADMIN_URL", "")
# For the few tests about the SQLite file itself (its bytes, its path); tests
# that only read or seed rows use Kura.sql(), which works on both databases.
sqlite_only = pytest.mark.skipif(bool(PG_ADMIN_URL), reason="about the SQLite database file")


def pg_admin(sql, url=None):
    """Runs sql (a statement, or a list run one by one outside any
    transaction) as the cluster's superuser; returns psql's unaligned output."""
    args = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url or PG_ADMIN_URL]
    for statement in [sql] if isinstance(sql, str) else sql:
        args += ["-c", statement]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"psql {sql!r} exited {r.returncode}: {r.stderr}")
    return r.stdout.strip()


def pg_rows(statement, url):
    """Like sqlite3's fetchall(): a list of tuples, integers as int. Rows
    travel as JSON, the one output of psql that keeps column types, so the
    columns of a SELECT need distinct names."""
    if statement.split(None, 1)[0].upper() not in ("SELECT", "WITH", "VALUES"):
        pg_admin(statement, url=url)
        return []
    out = pg_admin(f"SELECT coalesce(json_agg(q), '[]') FROM ({statement}) q", url=url)
    return [tuple(row.values()) for row in json.loads(out)]


def pg_database_url(name):
    """The admin URL pointed at database name (credentials and options kept)."""
    u = urlsplit(PG_ADMIN_URL)
    return urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


# Databases are created and dropped eight at a time: a CREATE DATABASE takes
# a few milliseconds, starting psql for it ten times as long. The session's
# end drops whatever is left, including databases of servers a test made
# itself and never finished.
PG_BATCH = 8
_pg_spare, _pg_done, _pg_live = [], [], set()


def pg_create_database():
    if not _pg_spare:
        names = ["kura_" + secrets.token_hex(6) for _ in range(PG_BATCH)]
        pg_admin([f"CREATE DATABASE {n}" for n in names])
        _pg_spare.extend(names)
    name = _pg_spare.pop()
    _pg_live.add(name)
    return name


def pg_drop_database(name, now=False):
    _pg_live.discard(name)
    _pg_done.append(name)
    if _pg_done and (now or len(_pg_done) >= PG_BATCH):
        pg_admin([f"DROP DATABASE IF EXISTS {n} WITH (FORCE)" for n in _pg_done])
        _pg_done.clear()


def pytest_sessionfinish(session, exitstatus):
    if PG_ADMIN_URL:
        _pg_done.extend(_pg_spare + sorted(_pg_live))
        _pg_spare.clear()
        _pg_live.clear()
        if _pg_done:
            pg_drop_database(_pg_done.pop(), now=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Kura:
    """One kura server process and the CLI pointed at the same data."""

    def __init__(self, tmp: Path, extra_env=None):
        self.tmp = tmp
        self.data_dir = tmp / "data"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "server.log"
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith("KURA_")
        }
        self.env.update({
            "KURA_LISTEN": f"127.0.0.1:{self.port}",
            "KURA_DATA_DIR": str(self.data_dir),
        })
        if os.environ.get("KURA_TEST_DATABASE_URL"):
            self.env["KURA_DATABASE_URL"] = os.environ["KURA_TEST_DATABASE_URL"]
        # A database of its own per server, unless the test shares one on purpose.
        self.pg_database = None
        if PG_ADMIN_URL and "KURA_DATABASE_URL" not in (extra_env or {}):
            self.pg_database = pg_create_database()
            self.env["KURA_DATABASE_URL"] = pg_database_url(self.pg_database)
        self.env.update(extra_env or {})
        self.proc = None
        self._log = None
        self._tokens = {}

    # --- process ---------------------------------------------------------
    def start(self, timeout=15):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([KURA_BIN, "serve"], env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kura exited {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.base + "/-/readiness", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("kura did not become ready:\n" + self.log())

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None
        return self.proc.returncode if self.proc else None

    def restart(self):
        self.stop()
        return self.start()

    def drop_database(self):
        """Drops the server's own PostgreSQL database (after stop)."""
        if self.pg_database:
            pg_drop_database(self.pg_database)
            self.pg_database = None

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # --- CLI -------------------------------------------------------------
    def cli(self, *args, input=None, check=True, env=None):
        e = dict(self.env)
        e.update(env or {})
        r = subprocess.run([KURA_BIN, *args], env=e, input=input, capture_output=True,
                           text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"kura {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return r

    def root_password(self):
        return (self.data_dir / "initial_root_password").read_text().strip()

    def create_user(self, username, password="password-123", admin=False, email=None):
        args = ["admin", "create-user", "--username", username,
                "--email", email or f"{username}@example.com", "--password-stdin"]
        if admin:
            args.append("--admin")
        self.cli(*args, input=password + "\n")
        return username

    def create_token(self, username, scopes="api", name="test", expires=None):
        args = ["admin", "create-token", "--username", username, "--name", name,
                "--scopes", scopes]
        if expires:
            args += ["--expires", expires]
        return self.cli(*args).stdout.strip()

    def root_token(self):
        if "root" not in self._tokens:
            self._tokens["root"] = self.create_token("root", "api,sudo", "root-test")
        return self._tokens["root"]

    def create_group(self, path):
        self.cli("admin", "create-group", "--path", path)

    def create_project(self, path, visibility="private"):
        self.cli("admin", "create-project", "--path", path, "--visibility", visibility)

    def add_member(self, username, level, project=None, group=None):
        where = ["--project", project] if project else ["--group", group]
        self.cli("admin", "add-member", *where, "--username", username,
                 "--access-level", str(level))

    def sql(self, statement):
        """Runs one statement on this server's database (test set-up that no
        interface offers, e.g. an expired token)."""
        url = self.env.get("KURA_DATABASE_URL", "")
        if url.startswith("postgres"):
            return pg_rows(statement, url)
        import sqlite3
        with sqlite3.connect(self.data_dir / "kura.db", timeout=30) as db:
            return db.execute(statement).fetchall()

    def repo_dirs(self):
        """The bare repositories on disk (hashed paths)."""
        return sorted((self.data_dir / "repositories" / "@hashed").glob("*/*/*.git"))

    # --- URLs ------------------------------------------------------------
    def url(self, path="", user=None, secret=None):
        if user is not None:
            return f"http://{user}:{secret}@127.0.0.1:{self.port}/{path.lstrip('/')}"
        return f"{self.base}/{path.lstrip('/')}"

    def git_url(self, project_path, user=None, secret=None):
        return self.url(project_path + ".git", user, secret)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _start(tmp_path_factory, name, extra_env=None):
    k = Kura(tmp_path_factory.mktemp(name), extra_env)
    return k.start()


def _finish(request, k):
    k.stop()
    k.drop_database()
    failed = any(getattr(request.node, "rep_" + w, None) and
                 getattr(request.node, "rep_" + w).failed for w in ("setup", "call"))
    log = k.log()
    sanitizer = "ERROR: AddressSanitizer" in log or "runtime error:" in log
    if failed or sanitizer:
        print(f"\n--- kura server log ({k.log_path}) ---\n{log[-20000:]}")
    assert not sanitizer, "sanitizer report in the server log"


@pytest.fixture(scope="module")
def kura(request, tmp_path_factory):
    """A server shared by the tests of one module."""
    k = _start(tmp_path_factory, "kura")
    yield k
    _finish(request, k)


@pytest.fixture
def fresh_kura(request, tmp_path_factory):
    """A server of the test's own, for tests that stop, kill or reconfigure it."""
    k = _start(tmp_path_factory, "fresh")
    yield k
    _finish(request, k)


@pytest.fixture(scope="module")
def gl(kura):
    gitlab = pytest.importorskip("gitlab")
    client = gitlab.Gitlab(kura.base, private_token=kura.root_token())
    return client


# --- git helpers ----------------------------------------------------------
GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
    "HOME": "/nonexistent",
}


def git(cwd, *args, check=True, env=None, timeout=120, input=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    e.update(GIT_ENV)
    e.update(env or {})
    r = subprocess.run(["git", *args], cwd=cwd, env=e, capture_output=True, text=True,
                       timeout=timeout, input=input)
    if check and r.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} exited {r.returncode}:\n{r.stderr}")
    return r


def make_repo(path: Path, files: dict, branch="main", message="initial"):
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    for name, content in files.items():
        f = path / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(content) if isinstance(content, str) else f.write_bytes(content)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", message)
    return path


def commit(path: Path, files: dict, message="change"):
    for name, content in files.items():
        f = path / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(content)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", message)
    return git(path, "rev-parse", "HEAD").stdout.strip()


def server_alive(k):
    with urllib.request.urlopen(k.base + "/-/liveness", timeout=5) as r:
        return r.status == 200
