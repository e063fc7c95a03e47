"""Importing repositories: a second kura on loopback plays CodeCommit (private
repositories behind Basic credentials); the importing kura is allowed to reach
127.0.0.0/8. Single import with identical refs, bulk CSV with failures, re-runs,
the API's import_url, refused URLs, and credentials kept out of logs and
process lists."""
import json
import os
import threading
import time
import urllib.parse

import pytest
import requests

from conftest import _finish, _start, commit, git, make_repo, server_alive

SRC_USER = "ccuser"
SRC_PASSWORD = "cc-secret-Pa55word-7f3a"


@pytest.fixture(scope="module")
def source(request, tmp_path_factory):
    k = _start(tmp_path_factory, "codecommit")
    k.create_user(SRC_USER, SRC_PASSWORD)
    k.create_group("cc")
    k.add_member(SRC_USER, 40, group="cc")
    yield k
    _finish(request, k)


@pytest.fixture(scope="module")
def dest(request, tmp_path_factory):
    k = _start(tmp_path_factory, "importer", {"KURA_OUTBOUND_ALLOW_CIDRS": "127.0.0.0/8"})
    k.create_group("imported")
    k.create_group("bulk")
    yield k
    _finish(request, k)


def push_source(source, tmp_path, name, extra_branch=True, first=None):
    """A private source repository with branches, tags (light and annotated)
    and a note; returns its clone URL without credentials. first: a branch
    pushed alone first, which becomes the source's HEAD."""
    source.create_project(f"cc/{name}")
    work = make_repo(tmp_path / f"src-{name}", {"README": f"{name}\n"})
    if extra_branch:
        git(work, "checkout", "-q", "-b", "develop")
        commit(work, {"dev.txt": "dev\n"}, "dev work")
        git(work, "tag", "v0.1")
        git(work, "tag", "-a", "v0.2", "-m", "annotated")
        git(work, "notes", "add", "-m", "a note", "HEAD")
        git(work, "checkout", "-q", "main")
    url = source.git_url(f"cc/{name}", SRC_USER, SRC_PASSWORD)
    if first:
        git(work, "push", "-q", url, first)
    git(work, "push", "-q", url, "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*",
        "refs/notes/*:refs/notes/*")
    return source.git_url(f"cc/{name}")


def ls_remote(k, path, user=None, secret=None):
    if user is None:
        url = k.git_url(path, "root", k.root_token())
    else:
        url = k.git_url(path, user, secret)
    out = git(k.tmp, "ls-remote", url).stdout
    return sorted(line for line in out.splitlines() if line)


def api(k, method, path, **kw):
    return requests.request(method, f"{k.base}/api/v4{path}",
                            headers={"PRIVATE-TOKEN": k.root_token()}, timeout=30, **kw)


def project(k, full_path):
    return api(k, "GET", "/projects/" + urllib.parse.quote(full_path, safe=""))


def test_single_import_refs_identical(source, dest, tmp_path):
    # The source's HEAD is develop: the import must follow it.
    url = push_source(source, tmp_path, "alpha", first="develop")
    assert "ref: refs/heads/develop\tHEAD" in git(
        tmp_path, "ls-remote", "--symref", source.git_url("cc/alpha", SRC_USER, SRC_PASSWORD),
        "HEAD").stdout
    r = dest.cli("import", "--url", url, "--namespace", "imported/alpha",
                 "--username", SRC_USER, "--password-stdin", input=SRC_PASSWORD + "\n")
    assert r.stdout.startswith("ok imported/alpha"), r.stdout
    src_refs = ls_remote(source, "cc/alpha", SRC_USER, SRC_PASSWORD)
    dst_refs = ls_remote(dest, "imported/alpha")
    assert src_refs == dst_refs
    assert any("refs/notes/commits" in line for line in dst_refs)
    assert any("refs/tags/v0.2" in line for line in dst_refs)
    p = project(dest, "imported/alpha").json()
    assert p["default_branch"] == "develop"
    assert p["import_status"] == "finished"
    assert SRC_PASSWORD not in json.dumps(p)


def test_import_via_api_import_url(source, dest, tmp_path):
    url = push_source(source, tmp_path, "apiimp")
    parts = urllib.parse.urlsplit(url)
    with_creds = f"http://{SRC_USER}:{SRC_PASSWORD}@{parts.netloc}{parts.path}"
    r = api(dest, "POST", "/projects", json={"name": "apiimp", "namespace_id": "imported",
                                             "import_url": with_creds})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["import_status"] in ("scheduled", "started", "finished")
    assert SRC_PASSWORD not in r.text
    assert "*****:*****@" in body["import_url"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        p = project(dest, "imported/apiimp").json()
        if p["import_status"] in ("finished", "failed"):
            break
        time.sleep(0.2)
    assert p["import_status"] == "finished", p
    assert ls_remote(source, "cc/apiimp", SRC_USER, SRC_PASSWORD) == \
        ls_remote(dest, "imported/apiimp")
    # Separate credentials work too, and a bad one ends as failed with a reason.
    r = api(dest, "POST", "/projects", json={"name": "apibad", "namespace_id": "imported",
                                             "import_url": url, "import_url_user": SRC_USER,
                                             "import_url_password": "wrong-password"})
    assert r.status_code == 201, r.text
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        p = project(dest, "imported/apibad").json()
        if p["import_status"] in ("finished", "failed"):
            break
        time.sleep(0.2)
    assert p["import_status"] == "failed"
    assert "credentials" in p["import_error"]
    assert SRC_PASSWORD not in dest.log() and "wrong-password" not in dest.log()


def bulk_csv(source, tmp_path, names):
    rows = ["url,path,name,visibility"]
    for n in names:
        rows.append(f"{push_source(source, tmp_path, n, extra_branch=False)},bulk/{n},,private")
    return rows


def test_bulk_csv_import_and_rerun(source, dest, tmp_path):
    names = [f"repo{i}" for i in range(8)]
    rows = bulk_csv(source, tmp_path, names)
    base = source.base
    rows.append(f"{base}/cc/does-not-exist.git,bulk/missing")
    # A row with its own (wrong) credentials: they win over --username.
    rows.append(f"http://{SRC_USER}:not-the-password@127.0.0.1:{source.port}/cc/repo0.git,"
                f"bulk/badcred")
    csv = tmp_path / "repos.csv"
    csv.write_text("\n".join(rows) + "\n")
    r = dest.cli("import", "--from-file", str(csv), "--username", SRC_USER, "--password-stdin",
                 input=SRC_PASSWORD + "\n", check=False)
    assert r.returncode != 0
    lines = r.stdout.splitlines()
    assert sum(1 for x in lines if x.startswith("ok bulk/")) == 8, r.stdout
    failed = [x for x in lines if x.startswith("failed ")]
    assert len(failed) == 2, r.stdout
    assert any("bulk/badcred" in x and "credentials" in x for x in failed), failed
    assert any("bulk/missing" in x for x in failed), failed
    assert lines[-1] == "8 imported, 2 failed"
    assert "not-the-password" not in r.stdout + r.stderr
    # No partial project for the failures.
    assert project(dest, "bulk/missing").status_code == 404
    assert project(dest, "bulk/badcred").status_code == 404
    for n in names:
        assert ls_remote(dest, f"bulk/{n}") == ls_remote(source, f"cc/{n}", SRC_USER,
                                                          SRC_PASSWORD)
    count = len(api(dest, "GET", "/projects", params={"per_page": 100}).json())

    # A change upstream, then the same command again: updated, not duplicated.
    work = tmp_path / "src-repo3"
    commit(work, {"more.txt": "more\n"})
    git(work, "push", "-q", source.git_url("cc/repo3", SRC_USER, SRC_PASSWORD), "main")
    r = dest.cli("import", "--from-file", str(csv), "--username", SRC_USER, "--password-stdin",
                 input=SRC_PASSWORD + "\n", check=False)
    assert r.returncode != 0
    assert sum(1 for x in r.stdout.splitlines() if x.startswith("ok bulk/")
               and x.endswith("updated")) == 8, r.stdout
    assert len(api(dest, "GET", "/projects", params={"per_page": 100}).json()) == count
    assert ls_remote(dest, "bulk/repo3") == ls_remote(source, "cc/repo3", SRC_USER,
                                                      SRC_PASSWORD)


def test_import_into_existing_project_refused(dest):
    dest.create_project("imported/plain")
    r = dest.cli("import", "--url", "http://127.0.0.1:1/x.git", "--namespace", "imported/plain",
                 check=False)
    assert r.returncode == 1
    assert "was not imported from a URL" in r.stdout or "refused" in r.stdout


def test_credentials_absent_from_ps_and_logs(source, dest, tmp_path):
    names = [f"secret{i}" for i in range(3)]
    rows = bulk_csv(source, tmp_path, names)
    csv = tmp_path / "secret.csv"
    csv.write_text("\n".join(rows) + "\n")
    seen, leaked = [], []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                if "fetch" in cmd or "ls-remote" in cmd or "import" in cmd:
                    seen.append(cmd)
                if SRC_PASSWORD in cmd:
                    leaked.append(cmd)

    t = threading.Thread(target=sample)
    t.start()
    try:
        r = dest.cli("import", "--from-file", str(csv), "--username", SRC_USER,
                     "--password-stdin", input=SRC_PASSWORD + "\n")
    finally:
        stop.set()
        t.join()
    assert "3 imported, 0 failed" in r.stdout
    assert any("/cc/secret" in c for c in seen), "the sampler never saw git run"
    assert not leaked
    assert SRC_PASSWORD not in r.stdout + r.stderr
    assert SRC_PASSWORD not in dest.log()
    assert SRC_PASSWORD not in source.log()


@pytest.fixture(scope="module")
def guarded(request, tmp_path_factory):
    """A kura without the loopback allowance."""
    k = _start(tmp_path_factory, "guarded")
    k.create_group("g")
    yield k
    _finish(request, k)


@pytest.mark.parametrize("url,why", [
    ("http://127.0.0.1:{port}/cc/alpha.git", "may not reach"),
    ("http://169.254.169.254/latest/meta-data.git", "may not reach"),
    ("http://2130706433:{port}/cc/alpha.git", "may not reach"),
    ("file:///etc", "Only http and https"),
    ("ext::sh -c touch% /tmp/kura-pwned", "import URL"),
    ("-uhttp://x/y.git", "import URL"),
    ("http://x/y.git?token=1", "query"),
    ("http://a b/", "import URL"),
    ("http://" + "a" * 3000 + "/x.git", "import URL"),
])
def test_refused_import_urls(guarded, source, url, why):
    url = url.replace("{port}", str(source.port))
    r = guarded.cli("import", "--url", url, "--namespace", "g/x", check=False)
    assert r.returncode == 1
    assert why in r.stdout, r.stdout
    assert project(guarded, "g/x").status_code == 404
    r = api(guarded, "POST", "/projects", json={"name": "x2", "namespace_id": "g",
                                                "import_url": url})
    assert r.status_code == 400, r.text
    assert "import_url" in r.text
    assert project(guarded, "g/x2").status_code == 404
    assert not os.path.exists("/tmp/kura-pwned")
    assert server_alive(guarded)


def test_bad_cli_usage_and_hostile_csv(dest, tmp_path):
    r = dest.cli("import", check=False)
    assert r.returncode == 2
    r = dest.cli("import", "--url", "http://x/y.git", check=False)
    assert r.returncode == 2
    csv = tmp_path / "bad.csv"
    csv.write_bytes(b'"unterminated,bulk/x\nonlyone\n,bulk/empty\n' + b"x" * 20000 + b"\n")
    r = dest.cli("import", "--from-file", str(csv), check=False)
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1].startswith("0 imported")
    r = dest.cli("import", "--from-file", str(tmp_path / "nope.csv"), check=False)
    assert r.returncode == 2
    assert server_alive(dest)
