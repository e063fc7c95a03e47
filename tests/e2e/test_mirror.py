"""Pull and push mirrors between two kura instances on loopback: upstream
pushes (and force pushes, and deletions) reach a pull mirror on its interval
and on demand, users cannot push to a pull mirror, a push mirror delivers a
push within seconds and catches up after its target was down."""
import time
import urllib.parse

import pytest
import requests

from conftest import _finish, _start, commit, git, make_repo, server_alive

UP_USER = "upuser"
UP_PASSWORD = "upstream-Pa55-9d1e"


@pytest.fixture(scope="module")
def upstream(request, tmp_path_factory):
    k = _start(tmp_path_factory, "upstream")
    k.create_user(UP_USER, UP_PASSWORD)
    k.create_group("up")
    k.add_member(UP_USER, 40, group="up")
    yield k
    _finish(request, k)


@pytest.fixture(scope="module")
def local(request, tmp_path_factory):
    k = _start(tmp_path_factory, "mirrors", {"KURA_OUTBOUND_ALLOW_CIDRS": "127.0.0.0/8"})
    k.create_group("m")
    yield k
    _finish(request, k)


def api(k, method, path, **kw):
    return requests.request(method, f"{k.base}/api/v4{path}",
                            headers={"PRIVATE-TOKEN": k.root_token()}, timeout=30, **kw)


def q(path):
    return urllib.parse.quote(path, safe="")


def ls_remote(k, path):
    url = k.git_url(path, "root", k.root_token())
    return sorted(x for x in git(k.tmp, "ls-remote", url).stdout.splitlines()
                  if not x.endswith("\tHEAD"))


def wait_for(cond, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def up_url(upstream, path, creds=True):
    if creds:
        return upstream.git_url(path, UP_USER, UP_PASSWORD)
    return upstream.git_url(path)


def make_upstream(upstream, tmp_path, name):
    upstream.create_project(f"up/{name}")
    work = make_repo(tmp_path / f"up-{name}", {"README": "v1\n"})
    git(work, "checkout", "-q", "-b", "feature")
    commit(work, {"f.txt": "f1\n"})
    git(work, "checkout", "-q", "main")
    git(work, "push", "-q", up_url(upstream, f"up/{name}"), "main", "feature")
    return work


def create_pull_mirror(local, upstream, name, interval):
    r = api(local, "POST", "/projects", json={
        "name": name, "namespace_id": "m", "import_url": up_url(upstream, f"up/{name}", False),
        "import_url_user": UP_USER, "import_url_password": UP_PASSWORD,
        "mirror": True, "mirror_interval": interval})
    assert r.status_code == 201, r.text
    assert UP_PASSWORD not in r.text
    assert r.json()["mirror"] is True
    assert wait_for(lambda: ls_remote(local, f"m/{name}") == ls_remote(upstream, f"up/{name}"),
                    20)
    return r.json()["id"]


def test_pull_mirror_follows_upstream_on_interval(local, upstream, tmp_path):
    work = make_upstream(upstream, tmp_path, "pulled")
    pid = create_pull_mirror(local, upstream, "pulled", 1)
    url = up_url(upstream, "up/pulled")

    commit(work, {"README": "v2\n"})
    git(work, "push", "-q", url, "main")
    assert wait_for(lambda: ls_remote(local, "m/pulled") == ls_remote(upstream, "up/pulled"),
                    10)

    # A force push upstream is followed; a deleted branch is removed.
    git(work, "checkout", "-q", "feature")
    git(work, "commit", "-q", "--amend", "-m", "rewritten")
    git(work, "push", "-q", "--force", url, "feature")
    git(work, "tag", "t1")
    git(work, "push", "-q", url, "t1")
    assert wait_for(lambda: ls_remote(local, "m/pulled") == ls_remote(upstream, "up/pulled"),
                    10)
    git(work, "push", "-q", url, ":feature")
    assert wait_for(lambda: ls_remote(local, "m/pulled") == ls_remote(upstream, "up/pulled"),
                    10)
    assert not any("refs/heads/feature" in x for x in ls_remote(local, "m/pulled"))

    r = api(local, "GET", f"/projects/{pid}/mirror/pull")
    assert r.status_code == 200, r.text
    state = r.json()
    assert state["update_status"] == "finished"
    assert state["last_successful_update_at"]
    assert "*****:*****@" in state["url"] and UP_PASSWORD not in r.text


def test_pull_mirror_on_demand_and_user_push_refused(local, upstream, tmp_path):
    work = make_upstream(upstream, tmp_path, "ondemand")
    pid = create_pull_mirror(local, upstream, "ondemand", 3600)
    commit(work, {"README": "v2\n"})
    git(work, "push", "-q", up_url(upstream, "up/ondemand"), "main")
    time.sleep(1.5)
    assert ls_remote(local, "m/ondemand") != ls_remote(upstream, "up/ondemand")
    r = api(local, "POST", f"/projects/{pid}/mirror/pull")
    assert r.status_code == 200, r.text
    assert wait_for(lambda: ls_remote(local, "m/ondemand") == ls_remote(upstream, "up/ondemand"),
                    10)

    # Users (even the admin) cannot push to a pull mirror.
    commit(work, {"README": "local change\n"})
    r = git(work, "push", local.git_url("m/ondemand", "root", local.root_token()), "main",
            check=False)
    assert r.returncode != 0
    assert "pull mirror" in r.stderr
    # A project that is no pull mirror has nothing to pull.
    local.create_project("m/plain")
    plain = api(local, "GET", "/projects/" + q("m/plain")).json()
    assert api(local, "POST", f"/projects/{plain['id']}/mirror/pull").status_code == 400
    assert api(local, "GET", f"/projects/{plain['id']}/mirror/pull").status_code == 404


def test_push_mirror_reaches_target_and_catches_up(local, upstream, tmp_path):
    upstream.create_project("up/target")
    local.create_project("m/source")
    r = api(local, "POST", f"/projects/{q('m/source')}/remote_mirrors",
            json={"url": up_url(upstream, "up/target"), "enabled": True})
    assert r.status_code == 201, r.text
    mirror = r.json()
    assert mirror["url"].startswith("http://*****:*****@127.0.0.1")
    assert UP_PASSWORD not in r.text
    assert mirror["only_protected_branches"] is False

    work = make_repo(tmp_path / "src", {"README": "one\n"})
    git(work, "tag", "-a", "v1", "-m", "v1")
    src = local.git_url("m/source", "root", local.root_token())
    start = time.monotonic()
    git(work, "push", "-q", src, "main", "v1")
    assert wait_for(lambda: ls_remote(upstream, "up/target") == ls_remote(local, "m/source"), 5)
    print(f"push mirror delay {time.monotonic() - start:.2f}s")

    # Target down: pushes keep coming, the job retries, and catches up.
    upstream.stop()
    try:
        commit(work, {"README": "two\n"})
        git(work, "push", "-q", src, "main")
        commit(work, {"README": "three\n"})
        git(work, "push", "-q", src, "main")
        time.sleep(2)
    finally:
        upstream.start()
    assert wait_for(lambda: ls_remote(upstream, "up/target") == ls_remote(local, "m/source"),
                    30)
    # The refs land before the job records its outcome: wait for both.
    assert wait_for(lambda: api(local, "GET", f"/projects/{q('m/source')}/remote_mirrors")
                    .json()[0]["update_status"] == "finished", 10)
    listed = api(local, "GET", f"/projects/{q('m/source')}/remote_mirrors").json()
    assert listed[0]["last_successful_update_at"]
    assert "job failed" in local.log() and "mirror_push" in local.log()
    assert UP_PASSWORD not in local.log()


def test_push_mirror_options_and_crud(local, upstream, tmp_path):
    upstream.create_project("up/target2")
    local.create_project("m/source2")
    base = f"/projects/{q('m/source2')}/remote_mirrors"
    r = api(local, "POST", base, json={"url": up_url(upstream, "up/target2"),
                                       "only_protected_branches": True,
                                       "keep_divergent_refs": True})
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    work = make_repo(tmp_path / "src2", {"README": "one\n"})
    git(work, "branch", "wip")
    git(work, "push", "-q", local.git_url("m/source2", "root", local.root_token()), "main", "wip")
    # main is protected after the first push, wip is not: only main goes.
    assert wait_for(lambda: any("refs/heads/main" in x for x in ls_remote(upstream, "up/target2")),
                    10)
    time.sleep(0.5)
    assert not any("refs/heads/wip" in x for x in ls_remote(upstream, "up/target2"))

    r = api(local, "PUT", f"{base}/{mid}", json={"enabled": False})
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert api(local, "GET", f"{base}/{mid}").json()["keep_divergent_refs"] is True
    assert api(local, "POST", f"{base}/{mid}/sync").status_code == 400
    assert api(local, "DELETE", f"{base}/{mid}").status_code == 204
    assert api(local, "GET", f"{base}/{mid}").status_code == 404
    assert api(local, "GET", f"{base}/abc").status_code == 404


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "http://169.254.169.254/x.git", "ext::sh -c id", "", "http://a b/",
])
def test_push_mirror_bad_urls_refused(local, url):
    local.create_project("m/badurls") if not hasattr(test_push_mirror_bad_urls_refused,
                                                     "made") else None
    test_push_mirror_bad_urls_refused.made = True
    r = api(local, "POST", f"/projects/{q('m/badurls')}/remote_mirrors", json={"url": url})
    assert r.status_code == 400, r.text
    assert server_alive(local)


def test_mirrors_need_maintainer(local, upstream):
    local.create_user("dev1")
    local.create_project("m/guarded")
    local.add_member("dev1", 30, project="m/guarded")
    tok = local.create_token("dev1")
    r = requests.get(f"{local.base}/api/v4/projects/{q('m/guarded')}/remote_mirrors",
                     headers={"PRIVATE-TOKEN": tok}, timeout=10)
    assert r.status_code == 403
    r = requests.post(f"{local.base}/api/v4/projects/{q('m/guarded')}/remote_mirrors",
                      headers={"PRIVATE-TOKEN": tok}, json={"url": "http://127.0.0.1/x.git"},
                      timeout=10)
    assert r.status_code == 403
