"""PostgreSQL-only behaviour: migrations under an advisory lock, data round
trips through libpq, unique violations, and recovery when the server restarts
or stops while kura runs. Runs when KURA_TEST_PG_ADMIN_URL is set (the second
e2e pass of make test); the outage tests also need PG_CLUSTER_DIR, the
scripts/pg-cluster directory, to stop and start the server."""
import base64
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import (KURA_BIN, PG_ADMIN_URL, ROOT, Kura, git, make_repo, pg_admin,
                      pg_create_database, pg_database_url, pg_drop_database, server_alive)

pytestmark = pytest.mark.skipif(not PG_ADMIN_URL, reason="PostgreSQL not configured")

needs_cluster = pytest.mark.skipif(not os.environ.get("PG_CLUSTER_DIR"),
                                   reason="no scripts/pg-cluster directory to control")


def cluster(action):
    subprocess.run(["bash", str(ROOT / "scripts" / "pg-cluster"), action], check=True,
                   timeout=90, capture_output=True)


@pytest.fixture
def cluster_up():
    """Whatever a test does to the server, the next test finds it running."""
    yield
    cluster("up")


def get(url, auth=None, timeout=10):
    """(status, body) of a GET; never raises for an HTTP error status."""
    req = urllib.request.Request(url)
    if auth:
        req.add_header("Authorization",
                       "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def readiness(k):
    status, body = get(k.base + "/-/readiness")
    return status, json.loads(body)


def wait_ready(k, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if readiness(k)[0] == 200:
            return
        time.sleep(0.1)
    raise AssertionError("readiness did not come back:\n" + k.log()[-5000:])


def test_concurrent_migrations_apply_once(tmp_path):
    db = pg_create_database()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KURA_")}
        env.update({"KURA_DATA_DIR": str(tmp_path / "data"),
                    "KURA_DATABASE_URL": pg_database_url(db)})
        procs = [subprocess.Popen([KURA_BIN, "migrate"], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for _ in range(3)]
        outs = [p.communicate(timeout=60)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], outs
        # Each step was applied by exactly one process, once.
        applied = "".join(outs).count('"migrated version=1 ')
        assert applied == 1, outs
        url = pg_database_url(db)
        versions = pg_admin("SELECT version FROM schema_migrations ORDER BY version", url)
        assert versions.split() == [str(v) for v in range(1, len(versions.split()) + 1)]
        assert pg_admin("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'", url) == "0"
    finally:
        pg_drop_database(db)


def test_users_tokens_projects_round_trip(fresh_kura, tmp_path):
    k = fresh_kura
    url = k.env["KURA_DATABASE_URL"]
    assert url.startswith("postgresql://")
    k.create_user("Alice", "alice-password-1", email="Alice@Example.com")
    token = k.create_token("alice", "api,read_repository", "laptop")
    assert token
    k.create_group("team")
    k.create_project("team/demo", "private")
    k.cli("admin", "add-member", "--project", "team/demo", "--username", "alice",
          "--access-level", "40")
    rows = pg_admin("SELECT username, email, is_admin, state FROM users"
                    " WHERE username = 'Alice'", url)
    assert rows == "Alice|Alice@Example.com|0|active"
    # Timestamps are int64 milliseconds, not seconds or timestamps.
    created = int(pg_admin("SELECT created_at FROM users WHERE username = 'Alice'", url))
    assert abs(created - time.time() * 1000) < 600_000
    assert "alice" in k.cli("admin", "list-users").stdout.lower()
    # The token works over HTTP, through authn, the member lookup and git.
    make_repo(tmp_path / "src", {"README": "on postgres\n"})
    git(tmp_path / "src", "push", k.git_url("team/demo", "alice", token), "HEAD:main")
    git(tmp_path, "clone", "-q", k.git_url("team/demo", "alice", token), "out")
    assert (tmp_path / "out" / "README").read_text() == "on postgres\n"
    used = pg_admin("SELECT last_used_at IS NOT NULL FROM personal_access_tokens"
                    " WHERE name = 'laptop'", url)
    assert used == "t"
    # A wrong secret is refused and counted in the failure window (ON CONFLICT).
    status, _ = get(k.git_url("team/demo") + "/info/refs?service=git-upload-pack",
                    auth="alice:kpat-wrong")
    assert status == 401
    status, _ = get(k.git_url("team/demo") + "/info/refs?service=git-upload-pack",
                    auth="alice:kpat-wrong")
    assert status == 401
    assert int(pg_admin("SELECT max(failures) FROM auth_failures", url)) >= 2


def test_unique_violation_is_already_taken(fresh_kura):
    k = fresh_kura
    k.create_user("bob")
    for args in (["--username", "BOB", "--email", "other@example.com"],
                 ["--username", "bobby", "--email", "BOB@example.com"]):
        r = k.cli("admin", "create-user", *args, "--password-stdin",
                  input="password-123\n", check=False)
        assert r.returncode != 0
        assert "already been taken" in r.stderr
    k.create_group("g")
    k.create_project("g/p")
    r = k.cli("admin", "create-project", "--path", "g/P", check=False)
    assert r.returncode != 0 and "taken" in r.stderr, r.stderr
    # Nothing half-made: one bob, one project, and the server still answers.
    url = k.env["KURA_DATABASE_URL"]
    assert pg_admin("SELECT count(*) FROM users WHERE lower(username) LIKE 'bob%'", url) == "1"
    assert pg_admin("SELECT count(*) FROM projects", url) == "1"
    assert server_alive(k)


def test_bad_database_url_stops_start_up(tmp_path):
    k = Kura(tmp_path, {"KURA_DATABASE_URL": pg_database_url("kura_no_such_db")})
    r = k.cli("migrate", check=False)
    assert r.returncode != 0
    assert "cannot connect to postgresql" in r.stderr
    # libpq's message names the database, and no password appears.
    assert "kura_no_such_db" in r.stderr


@needs_cluster
def test_server_restart_recovers_without_kura_restart(fresh_kura, cluster_up, tmp_path):
    k = fresh_kura
    k.create_user("carol")
    token = k.create_token("carol", "api")
    k.create_project("carol/app", "private")
    refs = k.git_url("carol/app") + "/info/refs?service=git-upload-pack"
    assert get(refs, auth=f"carol:{token}")[0] == 200
    cluster("restart")
    # Pooled connections died with the old server: at most a 503, never a
    # crash or a hang, and then kura reconnects by itself.
    deadline = time.monotonic() + 20
    while get(refs, auth=f"carol:{token}")[0] != 200:
        assert time.monotonic() < deadline, k.log()[-5000:]
        time.sleep(0.1)
    wait_ready(k)
    for _ in range(5):
        assert get(refs, auth=f"carol:{token}")[0] == 200
    assert k.proc.poll() is None


@needs_cluster
def test_outage_gives_503_then_recovers(fresh_kura, cluster_up):
    k = fresh_kura
    k.create_user("dave")
    token = k.create_token("dave", "api")
    k.create_project("dave/app", "private")
    refs = k.git_url("dave/app") + "/info/refs?service=git-upload-pack"
    statuses, slowest, stop = [], [], threading.Event()

    def load():
        # Light load through the outage: every answer is a 200 or a 503.
        while not stop.is_set():
            t0 = time.monotonic()
            statuses.append(get(refs, auth=f"dave:{token}", timeout=15)[0])
            slowest.append(time.monotonic() - t0)
            time.sleep(0.05)

    t = threading.Thread(target=load)
    t.start()
    try:
        time.sleep(0.3)
        cluster("down")
        status, body = readiness(k)
        assert status == 503
        assert body["db_check"][0]["status"] == "failed"
        assert body["storage_check"][0]["status"] == "ok"
        assert get(refs, auth=f"dave:{token}")[0] == 503
        # The CLI says what is wrong and exits instead of hanging.
        r = k.cli("admin", "list-users", check=False)
        assert r.returncode != 0 and "postgresql" in r.stderr
        time.sleep(5)
        assert readiness(k)[0] == 503
        cluster("up")
        wait_ready(k)
        time.sleep(0.5)
    finally:
        stop.set()
        t.join(30)
    assert set(statuses) <= {200, 503}, statuses
    assert 503 in statuses and statuses[-1] == 200, statuses
    assert max(slowest) < 10, max(slowest)
    assert get(refs, auth=f"dave:{token}")[0] == 200
    assert k.proc.poll() is None
