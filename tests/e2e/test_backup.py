"""kura backup create / restore: a live server with users, groups, projects
(one of ~30 MB of random data), tokens, webhooks and protected branches is
backed up while pushes run; the data directory and database are wiped; the
restore brings back every ref of the snapshot, fsck-clean, with passwords,
tokens and branch protection working. Hostile archives are refused before
anything is written. In the PostgreSQL pass, backups also cross drivers."""
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import threading
import time

import pytest
import requests

from conftest import (KURA_BIN, PG_ADMIN_URL, Kura, _finish, commit, git, make_repo,
                      pg_create_database, pg_database_url, server_alive)

PASSWORDS = {"alice": "alice-pass-123", "bob": "bob-pass-1234", "carol": "carol-pass-12"}
PROJECTS = ["g1/big", "g1/app", "g2/lib", "g2/docs", "g1/empty"]
BIG_MB = 30


def api(k, token, method, path, **kw):
    return requests.request(method, k.url("api/v4" + path), headers={"PRIVATE-TOKEN": token},
                            timeout=60, **kw)


def hashed_dir(k, project_id):
    h = hashlib.sha256(str(project_id).encode()).hexdigest()
    return k.data_dir / "repositories" / "@hashed" / h[:2] / h[2:4] / (h + ".git")


def refs_of(repo_dir):
    out = git(repo_dir, "for-each-ref", "--format=%(objectname) %(refname)").stdout
    return {ref: oid for oid, ref in (line.split(" ", 1) for line in out.splitlines())}


def read_manifest(path):
    with tarfile.open(path) as t:
        return json.load(t.extractfile("manifest.json"))


def run_backup(k, output):
    """Runs `kura backup create`; returns (seconds, peak RSS in KiB of the
    process tree as wait4 sees it, which includes git's children and the image
    this test forked from, and the process's own peak as it reports it)."""
    started = time.monotonic()
    p = subprocess.Popen([KURA_BIN, "backup", "create", "--output", str(output)], env=k.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(p.pid, 0)
    out, err = p.stdout.read(), p.stderr.read()
    p.returncode = os.waitstatus_to_exitcode(status)
    assert p.returncode == 0, err
    own = int(out.split("peak memory ")[1].split(" ")[0])
    return time.monotonic() - started, usage.ru_maxrss, own


def message_lines(stderr):
    """stderr without the JSON log lines (migrations of a fresh database)."""
    return [line for line in stderr.splitlines() if not line.startswith("{")]


def restore(k, archive, *extra, check=True):
    r = k.cli("backup", "restore", str(archive), *extra, check=False)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def fresh_target(tmp_path_factory, name, sqlite=False):
    """A kura that was never started: empty data directory, empty database."""
    tmp = tmp_path_factory.mktemp(name)
    extra = {"KURA_DATABASE_URL": f"sqlite://{tmp}/data/kura.db"} if sqlite else None
    return Kura(tmp, extra)


class Pusher(threading.Thread):
    """Pushes a new commit to branch busy of a project in a loop (bounded)."""

    def __init__(self, k, token, path, workdir, limit=40):
        super().__init__(daemon=True)
        self.url = k.git_url(path, "root", token)
        self.work = make_repo(workdir, {"n": "0\n"}, branch="busy")
        self.stop_event = threading.Event()
        self.first = threading.Event()
        self.pushed = 0
        self.limit = limit

    def run(self):
        try:
            for i in range(1, self.limit + 1):
                if self.stop_event.is_set():
                    break
                commit(self.work, {"n": f"{i}\n"}, message=f"busy {i}")
                if git(self.work, "push", "-q", self.url, "HEAD:busy",
                       check=False).returncode == 0:
                    self.pushed += 1
                    self.first.set()
        finally:
            self.first.set()


@pytest.fixture(scope="module")
def snap(request, tmp_path_factory):
    """The source server, filled, and a backup taken while pushes run."""
    tmp = tmp_path_factory.mktemp("backup-src")
    k = Kura(tmp, {"KURA_OUTBOUND_ALLOW_CIDRS": "127.0.0.0/8"}).start()
    root = k.root_token()
    for user, pw in PASSWORDS.items():
        k.create_user(user, password=pw)
    tokens = {u: k.create_token(u, "api") for u in PASSWORDS}
    k.create_group("g1")
    k.create_group("g1/team")
    k.create_group("g2")
    # A group moved under a newer one: its parent has the higher id, so rows
    # in id order name a parent not loaded yet.
    k.sql("UPDATE namespaces SET parent_id = (SELECT id FROM namespaces WHERE full_path = 'g2'),"
          " full_path = 'g2/team' WHERE full_path = 'g1/team'")
    for p in PROJECTS:
        k.create_project(p, "internal" if p == "g1/big" else "private")
    k.add_member("alice", 40, project="g1/app")
    k.add_member("bob", 30, project="g1/app")
    k.add_member("carol", 30, group="g2")
    _, _, rss_small = run_backup(k, tmp / "small.tar")
    work = tmp / "work"
    big = make_repo(work / "big", {f"blob{i}.bin": os.urandom(BIG_MB * 1024 * 1024 // 3)
                                   for i in range(3)})
    git(big, "push", "-q", k.git_url("g1/big", "root", root), "main")
    for p in ("g1/app", "g2/lib", "g2/docs"):
        src = make_repo(work / p.replace("/", "_"), {"README.md": f"# {p}\n"})
        git(src, "push", "-q", k.git_url(p, "root", root), "main", "main:release")
        git(src, "tag", "v1")
        git(src, "push", "-q", k.git_url(p, "root", root), "v1")
    r = api(k, root, "POST", "/projects/g1%2Fapp/protected_branches",
            data={"name": "release", "push_access_level": 40, "merge_access_level": 40})
    assert r.status_code == 201, r.text
    r = api(k, root, "POST", "/projects/g1%2Fapp/hooks",
            json={"url": "http://127.0.0.1:9/hook", "push_events": True})
    assert r.status_code == 201, r.text
    ids = {p: api(k, root, "GET", "/projects/" + p.replace("/", "%2F")).json()["id"]
           for p in PROJECTS}

    pusher = Pusher(k, root, "g2/lib", work / "pusher")
    pusher.start()
    assert pusher.first.wait(120) and pusher.pushed
    archive = tmp / "kura-backup.tar"
    seconds, rss_tree, rss_own = run_backup(k, archive)
    pusher.stop_event.set()
    pusher.join(120)
    size = archive.stat().st_size
    print(f"\nbackup: {seconds:.2f} s, archive {size / 1e6:.1f} MB, peak RSS {rss_own} KiB"
          f" (with git children {rss_tree} KiB), pushes during backup run: {pusher.pushed}")
    # Memory stays flat: the 30 MB repository streams through, never held.
    assert rss_own - rss_small < 12 * 1024, (rss_small, rss_own)
    yield {"kura": k, "archive": archive, "manifest": read_manifest(archive), "ids": ids,
           "tokens": tokens, "root": root, "pushed": pusher.pushed}
    _finish(request, k)


def test_manifest_describes_the_snapshot(snap):
    m = snap["manifest"]
    assert m["format"] == "kura-backup" and m["format_version"] == 1
    assert m["driver"] == ("postgresql" if PG_ADMIN_URL else "sqlite")
    assert m["schema_version"] >= 7 and m["kura_version"] and m["created_at"]
    rows = {t["name"]: t["rows"] for t in m["tables"]}
    assert rows["users"] == 4 and rows["projects"] == 5 and rows["webhooks"] == 1
    assert rows["protected_branches"] >= 2 and rows["personal_access_tokens"] >= 4
    names = [t["name"] for t in m["tables"]]
    assert names.index("users") < names.index("namespaces") < names.index("projects")
    bundled = {r["project_id"] for r in m["repositories"]}
    # The empty repository has no bundle: git refuses empty ones.
    assert bundled == {snap["ids"][p] for p in PROJECTS if p != "g1/empty"}
    with tarfile.open(snap["archive"]) as t:
        for name, want in m["files"].items():
            data = t.extractfile(name).read()
            assert len(data) == want["size"]
            assert hashlib.sha256(data).hexdigest() == want["sha256"]
        assert t.getnames()[-2:] == ["manifest.json", "manifest.sha256"]
    lib = next(r for r in m["repositories"] if r["project_id"] == snap["ids"]["g2/lib"])
    assert "refs/heads/busy" in lib["refs"] and lib["head"] == "refs/heads/main"


def check_restored(k, snap):
    """Refs equal the manifest's, fsck is clean, passwords, tokens and
    branch protection work, and new rows do not collide with old ids."""
    m = snap["manifest"]
    for repo in m["repositories"]:
        d = hashed_dir(k, repo["project_id"])
        assert refs_of(d) == repo["refs"]
        git(d, "fsck", "--no-progress", "--strict")
        assert git(d, "symbolic-ref", "HEAD").stdout.strip() == repo["head"]
    assert refs_of(hashed_dir(k, snap["ids"]["g1/empty"])) == {}
    for user, pw in PASSWORDS.items():
        r = api(k, snap["tokens"][user], "GET", "/user")
        assert r.status_code == 200 and r.json()["username"] == user
        r = requests.get(k.url("api/v4/user"), auth=(user, pw), timeout=30)
        assert git(k.tmp, "ls-remote", k.git_url("g1/big", user, pw)).returncode == 0
    assert api(k, "glpat-not-a-token", "GET", "/user").status_code == 401
    # bob is a developer of g1/app: release is protected for maintainers.
    tmp = k.tmp / f"bob-{time.monotonic_ns()}"
    git(k.tmp, "clone", "-q", k.git_url("g1/app", "bob", PASSWORDS["bob"]), str(tmp))
    commit(tmp, {"bob.txt": "hi\n"})
    r = git(tmp, "push", k.git_url("g1/app", "bob", PASSWORDS["bob"]), "HEAD:release",
            check=False)
    assert r.returncode != 0 and "protected" in r.stderr.lower()
    git(tmp, "push", "-q", k.git_url("g1/app", "bob", PASSWORDS["bob"]), "HEAD:bob-topic")
    assert k.sql("SELECT p.full_path FROM namespaces n JOIN namespaces p ON p.id = n.parent_id"
                 " WHERE n.full_path = 'g2/team'") == [("g2",)]
    # Sequences moved past the restored ids.
    r = api(k, snap["root"], "POST", "/projects", json={"name": "after-restore"})
    assert r.status_code == 201, r.text
    assert r.json()["id"] > max(snap["ids"].values())
    assert k.create_token("carol", "api", name="after")


def test_wipe_then_restore_same_driver(snap):
    k = snap["kura"]
    k.stop()
    shutil.rmtree(k.data_dir)
    if k.pg_database:
        k.drop_database()
        k.pg_database = pg_create_database()
        k.env["KURA_DATABASE_URL"] = pg_database_url(k.pg_database)
    started = time.monotonic()
    out = restore(k, snap["archive"]).stdout
    print(f"\nrestore: {time.monotonic() - started:.2f} s; {out.strip()}")
    k.start()
    check_restored(k, snap)


def test_restore_refuses_a_non_empty_target(snap):
    k = snap["kura"]
    r = restore(k, snap["archive"], check=False)
    assert r.returncode == 2
    assert len(message_lines(r.stderr)) == 1
    assert "not empty" in r.stderr and "--force" in r.stderr
    assert server_alive(k)


def test_force_replaces_the_target(snap, tmp_path_factory, request):
    k = fresh_target(tmp_path_factory, "force")
    try:
        k.start()
        k.create_user("stranger")
        k.stop()
        assert restore(k, snap["archive"], check=False).returncode == 2
        restore(k, snap["archive"], "--force")
        k.start()
        assert [r[0] for r in k.sql("SELECT username FROM users ORDER BY id")] == \
            ["root", "alice", "bob", "carol"]
        for repo in snap["manifest"]["repositories"]:
            assert refs_of(hashed_dir(k, repo["project_id"])) == repo["refs"]
    finally:
        _finish(request, k)


@pytest.mark.skipif(not PG_ADMIN_URL, reason="crossing drivers needs the PostgreSQL pass")
def test_postgresql_backup_restores_into_sqlite(snap, tmp_path_factory, request):
    k = fresh_target(tmp_path_factory, "to-sqlite", sqlite=True)
    try:
        restore(k, snap["archive"])
        k.start()
        check_restored(k, snap)
    finally:
        _finish(request, k)


@pytest.mark.skipif(not PG_ADMIN_URL, reason="crossing drivers needs the PostgreSQL pass")
def test_sqlite_backup_restores_into_postgresql(tmp_path_factory, tmp_path, request):
    src = fresh_target(tmp_path_factory, "from-sqlite", sqlite=True)
    dst = fresh_target(tmp_path_factory, "into-pg")
    assert dst.env["KURA_DATABASE_URL"].startswith("postgres")
    try:
        src.start()
        src.create_user("dora", password="dora-pass-123")
        tok = src.create_token("dora", "api")
        src.create_project("dora/site")
        repo = make_repo(tmp_path / "site", {"index.html": "<p>é</p>\n"})
        git(repo, "push", "-q", src.git_url("dora/site", "dora", tok), "main")
        src.sql("UPDATE users SET name = 'Dóra ✓' WHERE username = 'dora'")
        archive = tmp_path / "sqlite.tar"
        run_backup(src, archive)
        restore(dst, archive)
        dst.start()
        r = api(dst, tok, "GET", "/user")
        assert r.status_code == 200 and r.json()["name"] == "Dóra ✓"
        assert git(tmp_path, "ls-remote", dst.git_url("dora/site", "dora", "dora-pass-123")
                   ).stdout.split()[0] == git(repo, "rev-parse", "HEAD").stdout.strip()
        r = api(dst, tok, "POST", "/projects", json={"name": "next"})
        assert r.status_code == 201, r.text
    finally:
        _finish(request, src)
        _finish(request, dst)


# --- hostile archives ------------------------------------------------------

def tar_with(path, entries):
    """A tar of (TarInfo, bytes) pairs."""
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as t:
        for info, data in entries:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def regular(name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def hostile_archives(snap, tmp):
    good = snap["archive"].read_bytes()
    out = {}
    out["truncated"] = tmp / "truncated.tar"
    out["truncated"].write_bytes(good[:len(good) // 2])
    flipped = bytearray(good)
    flipped[len(good) // 3] ^= 0x01
    out["flipped"] = tmp / "flipped.tar"
    out["flipped"].write_bytes(bytes(flipped))
    evil = tmp / "evil-target"
    out["dotdot"] = tar_with(tmp / "dotdot.tar", [regular("../evil-target", b"x")])
    out["absolute"] = tar_with(tmp / "absolute.tar", [regular(str(evil), b"x")])
    link = tarfile.TarInfo("secrets/mirror.key")
    link.type = tarfile.SYMTYPE
    link.linkname = str(evil)
    out["symlink"] = tar_with(tmp / "symlink.tar", [(link, None)])
    out["unknown"] = tar_with(tmp / "unknown.tar", [regular("etc/passwd", b"x")])
    out["not-tar"] = tmp / "not.tar"
    out["not-tar"].write_bytes(b"hello\n" * 200)
    out["empty"] = tmp / "empty.tar"
    out["empty"].write_bytes(b"")
    return out, evil


EXPECTED = {
    "truncated": "truncated", "flipped": "mismatch", "dotdot": "'..'",
    "absolute": "absolute", "symlink": "symbolic link", "unknown": "does not write",
    "not-tar": "damaged", "empty": "truncated",
}


def test_hostile_archives_are_refused_and_write_nothing(snap, tmp_path_factory, tmp_path,
                                                        request):
    archives, evil = hostile_archives(snap, tmp_path)
    k = fresh_target(tmp_path_factory, "hostile")
    try:
        for what, path in archives.items():
            r = restore(k, path, check=False)
            assert r.returncode == 2, (what, r.stderr)
            assert len(message_lines(r.stderr)) == 1, (what, r.stderr)
            assert EXPECTED[what] in r.stderr, (what, r.stderr)
            assert not evil.exists() and not (tmp_path.parent / "evil-target").exists()
            assert list((k.data_dir / "repositories" / "@hashed").iterdir()) == []
            assert not (k.data_dir / "secrets").exists() or \
                list((k.data_dir / "secrets").iterdir()) == []
        # Nothing reached the database either: the good archive still restores.
        restore(k, snap["archive"])
        k.start()
        assert server_alive(k)
    finally:
        _finish(request, k)


def test_bad_command_lines(snap):
    k = snap["kura"]
    for args in (["backup"], ["backup", "nope"], ["backup", "create"],
                 ["backup", "restore"], ["backup", "create", "--output"],
                 ["backup", "restore", "a", "b"], ["backup", "create", "--output", "x", "--force"]):
        r = k.cli(*args, check=False)
        assert r.returncode == 2, (args, r.stderr)
    r = k.cli("backup", "restore", str(k.tmp / "missing.tar"), check=False)
    assert r.returncode == 2 and "cannot read" in r.stderr or "not empty" in r.stderr
    r = k.cli("backup", "create", "--output", str(k.tmp / "no" / "such" / "dir.tar"),
              check=False)
    assert r.returncode == 1 and len(message_lines(r.stderr)) == 1
