"""Git HTTP under load, crashes, disconnects and hostile input."""
import gzip
import os
import signal
import subprocess
import threading
import time

import pytest
import requests

from conftest import GIT_ENV, commit, git, make_repo, server_alive


def children_of(pid):
    """Processes whose parent is pid (git children we spawned), zombies included."""
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            kids.append((int(entry), fields[0]))
    return kids


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def wait_until(cond, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def big_repo(path, megabytes):
    """A repository whose one blob is incompressible, so transfers take a while."""
    make_repo(path, {"README": "big\n"})
    (path / "blob.bin").write_bytes(os.urandom(megabytes * 1024 * 1024))
    git(path, "add", "blob.bin")
    git(path, "commit", "-q", "-m", "big blob")
    return path


@pytest.fixture(scope="module")
def team(kura):
    kura.create_user("ops")
    kura.create_group("load")
    kura.create_project("load/repo", "private")
    kura.add_member("ops", 30, project="load/repo")
    return kura.create_token("ops", "api")


@pytest.fixture(scope="module")
def seeded(kura, team, tmp_path_factory):
    src = make_repo(tmp_path_factory.mktemp("seed") / "src", {"a.txt": "a\n"})
    for i in range(5):
        commit(src, {f"d/{i}.txt": f"{i}\n" * 50}, f"c{i}")
    git(src, "push", "-q", kura.git_url("load/repo", "ops", team), "main")
    return src


def test_twenty_concurrent_clones_and_five_pushes(kura, team, seeded, tmp_path):
    url = kura.git_url("load/repo", "ops", team)
    results = []

    def clone(i):
        r = git(tmp_path, "clone", "-q", url, f"c{i}", check=False)
        results.append(("clone", i, r.returncode, r.stderr))

    def push(i):
        work = tmp_path / f"p{i}"
        git(tmp_path, "clone", "-q", url, f"p{i}", check=False)
        commit(work, {f"branch-{i}.txt": f"{i}\n"}, f"work {i}")
        r = git(work, "push", "-q", "origin", f"HEAD:refs/heads/b{i}", check=False)
        results.append(("push", i, r.returncode, r.stderr))

    threads = [threading.Thread(target=clone, args=(i,)) for i in range(20)]
    threads += [threading.Thread(target=push, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    failures = [r for r in results if r[2] != 0]
    assert len(results) == 25 and not failures, failures
    refs = git(tmp_path, "ls-remote", url).stdout
    for i in range(5):
        assert f"refs/heads/b{i}" in refs
    assert wait_until(lambda: not children_of(kura.proc.pid), 5), children_of(kura.proc.pid)


def test_racing_pushes_to_one_branch(kura, team, seeded, tmp_path):
    url = kura.git_url("load/repo", "ops", team)
    git(tmp_path, "clone", "-q", url, "base")
    git(tmp_path / "base", "push", "-q", "origin", "HEAD:refs/heads/race")
    outcomes = []

    def racer(i):
        work = tmp_path / f"r{i}"
        git(tmp_path, "clone", "-q", "--branch", "race", url, f"r{i}")
        commit(work, {"race.txt": f"racer {i}\n"}, f"racer {i}")
        r = git(work, "push", "origin", "race", check=False)
        outcomes.append((i, r.returncode, r.stderr))

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    ok = [o for o in outcomes if o[1] == 0]
    refused = [o for o in outcomes if o[1] != 0]
    # Usually one wins and the other is refused; when the second push starts
    # after the first finished, git itself refuses it as non-fast-forward.
    assert len(ok) == 1 and len(refused) == 1, outcomes
    assert "rejected" in refused[0][2] or "failed to" in refused[0][2]
    winner = ok[0][0]
    tip = git(tmp_path / f"r{winner}", "rev-parse", "HEAD").stdout.strip()
    assert tip in git(tmp_path, "ls-remote", url, "refs/heads/race").stdout
    for repo in kura.repo_dirs():
        git(repo, "fsck", "--strict", "--no-progress")


def test_client_disconnect_mid_clone_kills_git(kura, team, tmp_path):
    kura.create_project("load/big", "private")
    kura.add_member("ops", 30, project="load/big")
    url = kura.git_url("load/big", "ops", team)
    src = big_repo(tmp_path / "src", 48)
    git(src, "push", "-q", url, "main")
    baseline_fds = fd_count(kura.proc.pid)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_ENV)
    # A throttled reader: the clone stalls so that the server is mid-send.
    proc = subprocess.Popen(["git", "clone", "-q", url, str(tmp_path / "out")], env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    assert wait_until(lambda: children_of(kura.proc.pid), 20), "git never started"
    time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = time.monotonic()
    assert wait_until(lambda: not children_of(kura.proc.pid), 1.0), \
        f"git children left: {children_of(kura.proc.pid)}"
    assert time.monotonic() - killed_at <= 1.0
    assert wait_until(lambda: fd_count(kura.proc.pid) <= baseline_fds + 2, 2), \
        (baseline_fds, fd_count(kura.proc.pid))
    assert server_alive(kura)


def test_no_fd_leak_over_many_requests(kura, team, seeded, tmp_path):
    url = kura.git_url("load/repo", "ops", team)
    git(tmp_path, "ls-remote", url)
    before = fd_count(kura.proc.pid)
    for i in range(15):
        git(tmp_path, "ls-remote", url)
        git(tmp_path, "clone", "-q", "--bare", url, f"x{i}.git")
    assert wait_until(lambda: fd_count(kura.proc.pid) <= before + 2, 3), \
        (before, fd_count(kura.proc.pid))
    assert not children_of(kura.proc.pid)


def test_sigkill_mid_push_leaves_repository_consistent(fresh_kura, tmp_path):
    k = fresh_kura
    k.create_user("pusher")
    k.create_project("pusher/crash", "private")
    token = k.create_token("pusher", "api")
    url = k.git_url("pusher/crash", "pusher", token)
    src = make_repo(tmp_path / "src", {"first": "1\n"})
    git(src, "push", "-q", url, "main")
    old = git(src, "rev-parse", "main").stdout.strip()
    (src / "blob.bin").write_bytes(os.urandom(32 * 1024 * 1024))
    git(src, "add", "blob.bin")
    git(src, "commit", "-q", "-m", "large")
    new = git(src, "rev-parse", "main").stdout.strip()
    env = {k2: v for k2, v in os.environ.items() if not k2.startswith("GIT_")}
    env.update(GIT_ENV)
    push = subprocess.Popen(["git", "push", "-q", url, "main"], cwd=src, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert wait_until(lambda: children_of(k.proc.pid), 20), "receive-pack never started"
    time.sleep(0.3)
    k.proc.send_signal(signal.SIGKILL)
    k.proc.wait()
    push.wait(60)
    assert push.returncode != 0, "the push cannot have succeeded"
    time.sleep(0.5)  # the orphaned receive-pack sees EOF and gives up
    k.start()
    repo = k.repo_dirs()[0]
    git(repo, "fsck", "--full", "--strict", "--no-progress")
    tip = git(repo, "rev-parse", "refs/heads/main").stdout.strip()
    assert tip in (old, new)
    # And the repository takes the push again.
    git(src, "push", "-q", url, "main")
    assert git(repo, "rev-parse", "refs/heads/main").stdout.strip() == new


HOSTILE_PATHS = [
    "/../../etc/passwd/info/refs",
    "/load/../load/repo.git/info/refs",
    "/load/%2e%2e/repo.git/info/refs",
    "/load%2Frepo.git/info/refs",
    "/load/repo%00.git/info/refs",
    "/load/re\tpo.git/info/refs",
    "/-load/repo.git/info/refs",
    "/load/.git/info/refs",
    "/" + "a/" * 600 + "repo.git/info/refs",
    "/" + "x" * 5000 + "/repo.git/info/refs",
    "//info/refs",
    "/info/refs",
]


def raw_get(kura, target, headers):
    """GET exactly this request target: no client-side normalisation of '..'."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", kura.port, timeout=30)
    try:
        conn.putrequest("GET", target, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@pytest.mark.parametrize("path", HOSTILE_PATHS, ids=range(len(HOSTILE_PATHS)))
def test_hostile_paths_find_nothing(kura, team, seeded, path):
    import base64
    auth = "Basic " + base64.b64encode(f"ops:{team}".encode()).decode()
    target = path.replace("\t", "%09") + "?service=git-upload-pack"
    status, body = raw_get(kura, target, {"Authorization": auth})
    assert status in (400, 404, 414), (path, status, body[:200])
    assert b"refs/heads" not in body
    assert server_alive(kura)


def post_upload_pack(kura, token, data, **headers):
    h = {"Content-Type": "application/x-git-upload-pack-request", "Git-Protocol": "version=2"}
    h.update(headers)
    return requests.post(kura.url("load/repo.git/git-upload-pack"), data=data,
                         auth=("ops", token), headers=h, timeout=60)


def test_dumb_http_is_refused(kura, team, seeded):
    r = requests.get(kura.url("load/repo.git/info/refs"), auth=("ops", team))
    assert r.status_code == 403
    r = requests.get(kura.url("load/repo.git/HEAD"), auth=("ops", team))
    assert r.status_code == 404
    r = requests.get(kura.url("load/repo.git/objects/info/packs"), auth=("ops", team))
    assert r.status_code == 404


def test_wrong_content_type_is_refused(kura, team, seeded):
    r = post_upload_pack(kura, team, b"0000", **{"Content-Type": "text/plain"})
    assert r.status_code == 415


def pkt(line: bytes) -> bytes:
    return b"%04x" % (len(line) + 4) + line


def test_gzip_bomb_is_cut_off(kura, team, seeded):
    """80 MiB of valid-looking negotiation in 80 KiB of gzip: git would keep
    reading, so the inflated-size cap must stop it."""
    tip = git(seeded, "rev-parse", "main").stdout.strip().encode()
    have = pkt(b"have " + b"1" * 40 + b"\n")
    body = pkt(b"want " + tip + b"\n") + b"0000" + have * (80 * 1024 * 1024 // len(have))
    bomb = gzip.compress(body, compresslevel=9)
    assert len(bomb) < 400 * 1024
    r = post_upload_pack(kura, team, bomb, **{"Content-Encoding": "gzip",
                                              "Git-Protocol": "version=0"})
    assert r.status_code == 413
    assert server_alive(kura)
    assert wait_until(lambda: not children_of(kura.proc.pid), 2)


def test_malformed_gzip_is_refused(kura, team, seeded):
    r = post_upload_pack(kura, team, b"\x1f\x8bnot really gzip at all",
                         **{"Content-Encoding": "gzip"})
    assert r.status_code == 400
    assert server_alive(kura)


@pytest.mark.parametrize("body", ids=range(8), argvalues=[
    b"", b"0000", b"zzzz", b"ffff" + b"x" * 100, b"0004", b"\x00" * 64,
    b"0014command=nonsense0000", b"0015command=ls-refs\n0001" + b"01" * 5000,
])
def test_malformed_pkt_lines_do_not_hurt(kura, team, seeded, body):
    r = post_upload_pack(kura, team, body)
    assert r.status_code < 500 or r.status_code == 500
    assert server_alive(kura)
    assert wait_until(lambda: not children_of(kura.proc.pid), 3)


@pytest.mark.parametrize("proto", ids=range(4), argvalues=[
    "version=2\nX-Injected: 1", "version=9", "x" * 5000, "version=2:$(touch /tmp/kura-pwned)"])
def test_hostile_git_protocol_header_is_ignored(kura, team, seeded, proto):
    r = requests.get(kura.url("load/repo.git/info/refs"), params={"service": "git-upload-pack"},
                     auth=("ops", team), headers={"Git-Protocol": proto.replace("\n", " ")})
    assert r.status_code == 200
    assert r.content.startswith(b"001e# service=git-upload-pack\n")
    assert not os.path.exists("/tmp/kura-pwned")


def test_failed_logins_are_throttled_per_user(fresh_kura):
    k = fresh_kura
    k.create_user("victim", password="right-password-1")
    k.create_user("bystander", password="right-password-2")
    k.create_project("victim/p", "private")
    k.create_project("bystander/p", "private")
    url = k.url("victim/p.git/info/refs")
    params = {"service": "git-upload-pack"}
    codes = [requests.get(url, params=params, auth=("victim", f"wrong-{i}")).status_code
             for i in range(10)]
    assert codes == [401] * 10
    r = requests.get(url, params=params, auth=("victim", "right-password-1"))
    assert r.status_code == 429 and r.headers.get("Retry-After")
    # Someone else from the same address is not locked out.
    r = requests.get(k.url("bystander/p.git/info/refs"), params=params,
                     auth=("bystander", "right-password-2"))
    assert r.status_code == 200
