"""Two `kura serve` nodes on different ports sharing one PostgreSQL database
and one data directory, as behind a load balancer: a project made and pushed
through A is cloned through B, a browser session from A works on B, racing
pushes to one branch through A and B leave one winner and an fsck-clean
repository, and webhook jobs enqueued by both nodes are each delivered
exactly once."""
import re
import threading
import time

import pytest
import requests

from conftest import PG_ADMIN_URL, Kura, _finish, commit, git, make_repo
from test_webhooks import Receiver

pytestmark = pytest.mark.skipif(
    not PG_ADMIN_URL, reason="several nodes share one PostgreSQL database: PostgreSQL pass only")

ALLOW = {"KURA_OUTBOUND_ALLOW_CIDRS": "127.0.0.0/8"}
EVENTS = 50


@pytest.fixture(scope="module")
def nodes(request, tmp_path_factory):
    a = Kura(tmp_path_factory.mktemp("node-a"), ALLOW).start()
    shared = {k: v for k, v in a.env.items() if k.startswith("KURA_") and k != "KURA_LISTEN"}
    b = Kura(tmp_path_factory.mktemp("node-b"), shared)
    b.data_dir = a.data_dir
    b.start()
    a.create_user("dana", password="dana-pass-123")
    a.create_group("team")
    a.add_member("dana", 40, group="team")
    token = a.create_token("dana", "api")
    yield a, b, token
    _finish(request, b)
    _finish(request, a)


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


def api(k, token, method, path, **kw):
    return requests.request(method, k.url("api/v4" + path), headers={"PRIVATE-TOKEN": token},
                            timeout=30, **kw)


def new_project(a, token, name):
    r = api(a, token, "POST", "/projects", json={"name": name, "namespace_path": "team"})
    if r.status_code == 400:
        gid = api(a, token, "GET", "/groups/team").json()["id"]
        r = api(a, token, "POST", "/projects", json={"name": name, "namespace_id": gid})
    assert r.status_code == 201, r.text
    return r.json()["path_with_namespace"]


def test_project_made_and_pushed_on_a_clones_on_b(nodes, tmp_path):
    a, b, token = nodes
    path = new_project(a, token, "shared")
    src = make_repo(tmp_path / "src", {"README.md": "from A\n"})
    git(src, "push", "-q", a.git_url(path, "dana", token), "main")
    assert api(b, token, "GET", "/projects/" + path.replace("/", "%2F")).status_code == 200
    git(tmp_path, "clone", "-q", b.git_url(path, "dana", token), "out")
    assert (tmp_path / "out" / "README.md").read_text() == "from A\n"


def test_session_from_a_works_on_b(nodes):
    a, b, _ = nodes
    s = requests.Session()
    form = s.get(a.url("/users/sign_in"), timeout=30)
    csrf = re.search(r'name="authenticity_token" value="([0-9a-f]+)"', form.text).group(1)
    r = s.post(a.url("/users/sign_in"), timeout=30, allow_redirects=False,
               data={"authenticity_token": csrf, "user[login]": "dana",
                     "user[password]": "dana-pass-123"})
    assert r.status_code == 303, r.text[:500]
    cookie = s.cookies.get("_kura_session")
    assert cookie
    page = requests.get(b.url("/-/profile/personal_access_tokens"), timeout=30,
                        cookies={"_kura_session": cookie}, allow_redirects=False)
    assert page.status_code == 200 and "dana" in page.text
    anon = requests.get(b.url("/-/profile/personal_access_tokens"), timeout=30,
                        allow_redirects=False)
    assert anon.status_code in (302, 303)


def test_racing_pushes_through_a_and_b_leave_one_winner(nodes, tmp_path):
    a, b, token = nodes
    path = new_project(a, token, "race")
    base = make_repo(tmp_path / "base", {"f": "base\n"})
    git(base, "push", "-q", a.git_url(path, "dana", token), "main")
    for rnd in range(3):
        clones, results = [], {}
        for node in ("a", "b"):
            d = tmp_path / f"{node}{rnd}"
            git(tmp_path, "clone", "-q", a.git_url(path, "dana", token), str(d))
            results[node] = commit(d, {"f": f"{node} {rnd}\n"}, message=f"{node} {rnd}")
            clones.append((node, d))
        go = threading.Barrier(2)
        codes = {}

        def push(node, d):
            k = a if node == "a" else b
            go.wait()
            codes[node] = git(d, "push", k.git_url(path, "dana", token), "HEAD:main",
                              check=False).returncode

        threads = [threading.Thread(target=push, args=c) for c in clones]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        winners = [n for n, c in codes.items() if c == 0]
        assert len(winners) == 1, codes
        head = git(tmp_path, "ls-remote", b.git_url(path, "dana", token), "refs/heads/main")
        assert head.stdout.split()[0] == results[winners[0]]
    repo = next(d for d in a.repo_dirs() if (d / "refs").exists() and
                git(d, "rev-parse", "-q", "--verify", "refs/heads/main",
                    check=False).stdout.strip() == results[winners[0]])
    git(repo, "fsck", "--no-progress", "--strict")


def test_webhook_events_from_both_nodes_are_delivered_once(nodes, receiver, tmp_path):
    a, b, token = nodes
    path = new_project(a, token, "events")
    enc = path.replace("/", "%2F")
    r = api(a, token, "POST", f"/projects/{enc}/hooks",
            json={"url": receiver.url("/multi"), "push_events": True})
    assert r.status_code == 201, r.text
    work = make_repo(tmp_path / "w", {"n": "start\n"})
    git(work, "push", "-q", a.git_url(path, "dana", token), "main")
    started = time.monotonic()
    for i in range(EVENTS - 1):
        k = a if i % 2 else b
        commit(work, {"n": f"{i}\n"}, message=f"event {i}")
        git(work, "push", "-q", k.git_url(path, "dana", token), "main")
    got = receiver.wait("/multi", EVENTS, timeout=90)
    time.sleep(2)  # a duplicate would arrive now
    with receiver.lock:
        got = [d for d in receiver.deliveries if d[0] == "/multi"]
    uuids = {d[1].get("X-Gitlab-Event-UUID") for d in got}
    keys = {d[1].get("Idempotency-Key") for d in got}
    print(f"\n{len(got)} deliveries of {EVENTS} events in {time.monotonic() - started:.1f} s")
    assert len(got) == EVENTS
    assert len(uuids) == EVENTS and None not in uuids
    assert len(keys) == EVENTS and None not in keys
    # Both nodes' workers took part or not, every job is done exactly once.
    rows = a.sql("SELECT state, count(*) AS n FROM jobs WHERE kind LIKE '%webhook%'"
                 " GROUP BY state")
    assert dict(rows).get("pending", 0) == 0
