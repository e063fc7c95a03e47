"""The container image's runtime filesystem, proven without a container engine.

scripts/build-rootfs assembles the root the Dockerfile's runtime stage holds
(the Dockerfile runs that same script); these tests run kura from it the way a
container runtime would: a private mount and PID namespace, the root read-only,
kura as PID 1 under the image's non-root uid, /data a mounted volume, and only
/proc and a few /dev nodes from outside. The host's git client clones and
pushes through it. In the PostgreSQL pass the server inside uses the test
cluster, so libpq in the root is exercised too.

The root is built from build/kura (the release binary the image ships; set
KURA_ROOTFS_BIN for another) and reused while the binary,
the script and the packages it copies are unchanged (one root per binary,
under build/image-roots/). Needs root (namespaces,
mounts, chroot); skipped otherwise."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import (PG_ADMIN_URL, ROOT, commit, free_port, git, make_repo, pg_admin,
                      pg_create_database, pg_database_url)

ROOTFS_BIN = Path(os.environ.get("KURA_ROOTFS_BIN", str(ROOT / "build" / "kura")))
# A root per binary: a run that rebuilds never pulls files from under another
# run's server. Roots of other binaries are removed after an hour.
ROOTFS_DIR = ROOT / "build" / "image-roots" / (
    hashlib.sha256(ROOTFS_BIN.read_bytes()).hexdigest()[:16] if ROOTFS_BIN.exists() else "none")
KURA_UID = 10001
SIZE_LIMIT = 50 * 1000 * 1000

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0,
                       reason="running the image root needs root (mount namespaces, chroot)"),
    pytest.mark.skipif(not shutil.which("unshare") or not Path("/usr/sbin/chroot").exists(),
                       reason="util-linux unshare and coreutils chroot are needed"),
]

# Runs as PID 1 of fresh mount and PID namespaces (host tools, before the
# chroot): what a container runtime sets up, then exec into the root.
SETUP = r"""
set -e
root=$1 data=$2; shift 2
mount --make-rprivate /
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o mode=0755,size=64k,nosuid dev "$root/dev"
for d in null zero random urandom; do
	touch "$root/dev/$d"
	mount --bind "/dev/$d" "$root/dev/$d"
done
mount --bind "$data" "$root/data"
exec /usr/sbin/chroot --userspec=%d:%d --groups=%d "$root" "$@"
""" % (KURA_UID, KURA_UID, KURA_UID)


def prune_old_roots():
    for d in ROOTFS_DIR.parent.iterdir():
        if d.is_dir() and not d.is_symlink() and d != ROOTFS_DIR and time.time() - d.stat().st_mtime > 3600:
            shutil.rmtree(d, ignore_errors=True)
            for extra in (".stamp", ".lock"):
                d.with_name(d.name + extra).unlink(missing_ok=True)


def build_rootfs():
    ROOTFS_DIR.parent.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["bash", str(ROOT / "scripts" / "build-rootfs"), "--binary",
                        str(ROOTFS_BIN), str(ROOTFS_DIR)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def tree_size(root):
    """Bytes of the root as an image layer would hold them (hard links once)."""
    seen, total = set(), 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


class RootfsKura:
    """kura serve inside the image root; the CLI runs there too."""

    def __init__(self, tmp: Path, shared_with=None):
        self.data = shared_with.data if shared_with else tmp / "data"
        if not shared_with:
            self.data.mkdir()
            os.chown(self.data, KURA_UID, KURA_UID)
            self.data.chmod(0o750)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "server.log"
        # The image's environment (Dockerfile ENV) with a loopback port.
        self.env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "KURA_LISTEN": f"127.0.0.1:{self.port}", "KURA_DATA_DIR": "/data"}
        self.pg_database = None
        if shared_with:
            if "KURA_DATABASE_URL" in shared_with.env:
                self.env["KURA_DATABASE_URL"] = shared_with.env["KURA_DATABASE_URL"]
        elif PG_ADMIN_URL:
            self.pg_database = pg_create_database()
            self.env["KURA_DATABASE_URL"] = pg_database_url(self.pg_database)
        self.proc = None

    def argv(self, *args):
        return ["unshare", "--mount", "--pid", "--fork", "--kill-child",
                "bash", "-c", SETUP, "setup", str(ROOTFS_DIR), str(self.data), *args]

    def cli(self, *args, input=None, check=True):
        r = subprocess.run(self.argv("/usr/local/bin/kura", *args), env=self.env,
                           input=input, capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"kura {' '.join(args)} exited {r.returncode}: {r.stderr}")
        return r

    def spawn(self):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv("/usr/local/bin/kura", "serve"), env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT)

    def start(self, timeout=15):
        if not self.proc:
            self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kura exited {self.proc.returncode}:\n{self.log()}")
            if self.readiness()[0] == 200:
                return self
            time.sleep(0.05)
        raise RuntimeError("kura did not become ready:\n" + self.log())

    def readiness(self):
        try:
            with urllib.request.urlopen(self.base + "/-/readiness", timeout=1) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, None
        except OSError:
            return 0, None

    def kura_pid(self):
        """The host pid of kura, PID 1 of the namespace unshare forked."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        return int(children.split()[0])

    def stop(self, timeout=30):
        if self.proc and self.proc.poll() is None:
            try:
                os.kill(self.kura_pid(), signal.SIGTERM)
            except (OSError, IndexError, ValueError):
                self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        if self.pg_database:
            pg_admin(f"DROP DATABASE IF EXISTS {self.pg_database} WITH (FORCE)")
            self.pg_database = None
        return self.proc.returncode

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture(scope="module")
def rootfs(capsys_module):
    if not ROOTFS_BIN.exists():
        pytest.skip(f"{ROOTFS_BIN} is not built (make build)")
    line = build_rootfs()
    prune_old_roots()
    size = tree_size(ROOTFS_DIR)
    with capsys_module.global_and_fixture_disabled():
        print(f"\n{line}; image root {size / 1e6:.1f} MB (limit {SIZE_LIMIT / 1e6:.0f} MB)")
    return size


@pytest.fixture(scope="module")
def capsys_module(request):
    # The size is part of the result: print it past pytest's capture.
    return request.config.pluginmanager.getplugin("capturemanager")


@pytest.fixture(scope="module")
def inside(rootfs, tmp_path_factory):
    k = RootfsKura(tmp_path_factory.mktemp("rootfs"))
    migrate = k.cli("migrate")
    assert "latest schema version" in migrate.stdout
    k.start()
    yield k
    k.stop()


def test_root_holds_only_the_runtime_set(rootfs):
    assert rootfs <= SIZE_LIMIT, f"image root is {rootfs} bytes"
    for absent in ("bin/sh", "usr/bin/bash", "usr/bin/dash", "usr/bin/apt", "usr/bin/dpkg",
                   "usr/bin/gcc", "usr/bin/cc", "usr/bin/perl", "usr/bin/python3"):
        assert not (ROOTFS_DIR / absent).exists(), absent
    for present in ("usr/local/bin/kura", "usr/local/bin/kura-hook", "usr/bin/git", "usr/lib/git-core/git-upload-pack",
                    "usr/lib/git-core/git-receive-pack", "etc/ssl/certs/ca-certificates.crt"):
        assert (ROOTFS_DIR / present).exists(), present
    # Nothing in the root is writable by the user kura runs as, save /data and /tmp.
    assert (ROOTFS_DIR / "data").stat().st_uid == KURA_UID
    assert "kura:x:10001:10001:" in (ROOTFS_DIR / "etc" / "passwd").read_text()


def test_a_second_build_reuses_the_root(rootfs):
    assert build_rootfs().endswith("(cached)")


def test_readiness_is_green_inside(inside):
    status, body = inside.readiness()
    assert status == 200
    assert {"db_check", "storage_check"} <= set(body)
    # kura runs as the image's user and finds the root password in the volume.
    pw = inside.data / "initial_root_password"
    assert pw.stat().st_uid == KURA_UID and pw.stat().st_mode & 0o077 == 0
    # On PostgreSQL, libpq in the root did the work: no SQLite file appears.
    assert (inside.data / "kura.db").exists() == (not PG_ADMIN_URL)
    log = [json.loads(x) for x in inside.log().splitlines() if x.startswith("{")]
    assert any(e.get("msg", "").startswith("listening") for e in log)


def test_healthcheck_command_inside(inside):
    # The Dockerfile's HEALTHCHECK, exec form, from inside the root.
    assert inside.cli("healthcheck").returncode == 0


def test_push_and_clone_through_the_root(inside, tmp_path):
    inside.cli("admin", "create-project", "--path", "root/image", "--visibility", "private")
    token = inside.cli("admin", "create-token", "--username", "root", "--name", "rootfs",
                       "--scopes", "api").stdout.strip()
    url = f"http://root:{token}@127.0.0.1:{inside.port}/root/image.git"
    src = make_repo(tmp_path / "src", {"README.md": "# image\n", "bin/blob": os.urandom(4096)})
    git(src, "push", "-q", url, "main")
    second = commit(src, {"README.md": "# image, again\n"})
    git(src, "push", "-q", url, "main")
    git(tmp_path, "clone", "-q", url, "clone")
    assert git(tmp_path / "clone", "rev-parse", "HEAD").stdout.strip() == second
    assert (tmp_path / "clone" / "bin" / "blob").read_bytes() == \
        (src / "bin" / "blob").read_bytes()
    # The hooks are links to kura-hook at its place in the image.
    hook = inside.data / "git" / "hooks" / "pre-receive"
    assert os.readlink(hook) == "/usr/local/bin/kura-hook"
    # Archives git writes without a shell: internal gzip and zip, bzip2 by name.
    repo = next((inside.data / "repositories").glob("@hashed/*/*/*.git"))
    inner = "/data/" + str(repo.relative_to(inside.data))
    for fmt, extra in (("tar.gz", []), ("zip", []),
                       ("tar.bz2", ["-c", "tar.tar.bz2.command=bzip2"])):
        r = subprocess.run(inside.argv("/usr/bin/git", "--git-dir", inner, *extra, "archive",
                                       f"--format={fmt}", "main"),
                           env={"PATH": "/usr/bin"}, capture_output=True, timeout=60)
        assert r.returncode == 0 and len(r.stdout) > 100, (fmt, r.stderr)


def test_nothing_writes_outside_the_volume(inside):
    # The root is mounted read-only: a write there would have failed the
    # tests above; check it stayed untouched all the same.
    assert not any((ROOTFS_DIR / "tmp").iterdir())
    assert sorted(p.name for p in (ROOTFS_DIR / "data").iterdir()) == []


def test_sigterm_stops_pid_one_cleanly(rootfs, tmp_path):
    k = RootfsKura(tmp_path)
    k.start()
    assert k.stop() == 0, k.log()
    assert '"level":"error"' not in k.log()


@pytest.mark.skipif(not PG_ADMIN_URL, reason="several nodes share PostgreSQL, not SQLite")
def test_two_nodes_start_together_on_one_database(rootfs, tmp_path):
    # docker-compose.yml and the ECS service: nodes that start at the same
    # moment on an empty database and one volume; one migrates, both serve.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = RootfsKura(tmp_path / "a")
    b = RootfsKura(tmp_path / "b", shared_with=a)
    b.pg_database = None    # dropped once, by a
    try:
        a.spawn()
        b.spawn()
        a.start()
        b.start()
        token = a.cli("admin", "create-token", "--username", "root", "--name", "nodes",
                      "--scopes", "api").stdout.strip()
        a.cli("admin", "create-project", "--path", "root/nodes")
        src = make_repo(tmp_path / "src", {"f": "1\n"})
        git(src, "push", "-q", f"http://root:{token}@127.0.0.1:{a.port}/root/nodes.git", "main")
        git(tmp_path, "clone", "-q", f"http://root:{token}@127.0.0.1:{b.port}/root/nodes.git", "c")
        assert (tmp_path / "c" / "f").read_text() == "1\n"
    finally:
        codes = (a.stop(), b.stop())
    assert codes == (0, 0), a.log() + b.log()
    logs = a.log() + b.log()
    assert logs.count("migrated version=1 ") == 1, logs
