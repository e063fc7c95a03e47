"""Push events delivered as GitLab webhooks through the durable queue: the
payloads, retries with one Idempotency-Key, restarts mid-backoff, and the
outbound policy refusing internal targets."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import _finish, _start, commit, git, make_repo

ZERO = "0" * 40


class Receiver:
    """A real HTTP receiver on loopback that records every delivery and
    answers with scripted statuses (then 200)."""

    def __init__(self):
        self.deliveries = []
        self.script = {}  # path -> statuses to answer first
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    queue = outer.script.get(self.path) or []
                    status = queue.pop(0) if queue else 200
                    outer.deliveries.append((self.path, dict(self.headers), body, status))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, path, n=1, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                got = [d for d in self.deliveries if d[0] == path]
            if len(got) >= n:
                return got
            time.sleep(0.05)
        with self.lock:
            return [d for d in self.deliveries if d[0] == path]

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def hk(request, tmp_path_factory):
    k = _start(tmp_path_factory, "hooks", {"KURA_OUTBOUND_ALLOW_CIDRS": "127.0.0.0/8"})
    yield k
    _finish(request, k)


@pytest.fixture(scope="module")
def setup(hk):
    hk.create_user("hooker")
    hk.create_group("ev")
    hk.create_project("ev/app", "private")
    hk.add_member("hooker", 40, project="ev/app")
    return hk.create_token("hooker", "api")


def api(k, token, method, path, **kw):
    return requests.request(method, k.url("api/v4" + path),
                            headers={"PRIVATE-TOKEN": token}, timeout=30, **kw)


def add_hook(k, token, url, **fields):
    r = api(k, token, "POST", "/projects/ev%2Fapp/hooks",
            json={"url": url, "token": "s3cret", "push_events": True,
                  "tag_push_events": True, **fields})
    assert r.status_code == 201, r.text
    return r.json()


def test_push_delivers_gitlab_push_hook(hk, setup, receiver, tmp_path):
    hook = add_hook(hk, setup, receiver.url("/push"))
    assert "token" not in hook and hook["project_id"] and hook["push_events"] is True
    src = make_repo(tmp_path / "w", {"README.md": "hello\n"})
    for i in range(29):
        commit(src, {f"f{i}.txt": f"{i}\n"}, f"commit {i}")
    start = time.monotonic()
    git(src, "push", "-q", hk.git_url("ev/app", "hooker", setup), "main")
    got = receiver.wait("/push")
    assert got, "no delivery"
    assert time.monotonic() - start < 5
    path, headers, body, status = got[0]
    assert headers["X-Gitlab-Event"] == "Push Hook"
    assert headers["X-Gitlab-Token"] == "s3cret"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Gitlab-Instance"] == hk.base
    for h in ("X-Gitlab-Webhook-UUID", "X-Gitlab-Event-UUID", "Idempotency-Key"):
        assert headers.get(h)
    ev = json.loads(body)
    assert ev["object_kind"] == "push" and ev["ref"] == "refs/heads/main"
    assert ev["before"] == ZERO
    assert ev["after"] == git(src, "rev-parse", "HEAD").stdout.strip()
    assert ev["checkout_sha"] == ev["after"]
    assert ev["total_commits_count"] == 30
    assert len(ev["commits"]) == 20
    assert ev["commits"][-1]["id"] == ev["after"]          # oldest first, newest last
    assert ev["project"]["path_with_namespace"] == "ev/app"
    assert ev["user_username"] == "hooker"


def test_tag_push_carries_peeled_commit(hk, setup, receiver, tmp_path):
    add_hook(hk, setup, receiver.url("/tag"))
    src = make_repo(tmp_path / "w", {"x": "1\n"})
    url = hk.git_url("ev/app", "hooker", setup)
    git(src, "fetch", "-q", url, "main")
    git(src, "reset", "-q", "--hard", "FETCH_HEAD")
    git(src, "tag", "-a", "v1.0", "-m", "release")
    git(src, "push", "-q", url, "v1.0")
    got = [d for d in receiver.wait("/tag", 1) if d[1]["X-Gitlab-Event"] == "Tag Push Hook"]
    assert got
    ev = json.loads(got[0][2])
    assert ev["object_kind"] == "tag_push" and ev["ref"] == "refs/tags/v1.0"
    assert ev["checkout_sha"] == git(src, "rev-parse", "v1.0^{commit}").stdout.strip()


def test_branch_deletion_has_zero_after(hk, setup, receiver, tmp_path):
    add_hook(hk, setup, receiver.url("/del"))
    src = make_repo(tmp_path / "w", {"x": "1\n"})
    url = hk.git_url("ev/app", "hooker", setup)
    git(src, "push", "-q", url, "HEAD:refs/heads/doomed")
    receiver.wait("/del", 1)
    git(src, "push", "-q", url, ":doomed")
    got = receiver.wait("/del", 2)
    ev = json.loads(got[1][2])
    assert ev["ref"] == "refs/heads/doomed" and ev["after"] == ZERO
    assert ev["checkout_sha"] is None


def test_failed_deliveries_are_retried_with_one_key(hk, setup, receiver, tmp_path):
    add_hook(hk, setup, receiver.url("/flaky"), push_events_branch_filter="flaky")
    with receiver.lock:
        receiver.script["/flaky"] = [500, 503]
    src = make_repo(tmp_path / "w", {"x": "flaky\n"})
    git(src, "push", "-q", hk.git_url("ev/app", "hooker", setup), "HEAD:refs/heads/flaky")
    got = receiver.wait("/flaky", 3, timeout=20)
    assert [d[3] for d in got] == [500, 503, 200]
    assert len({d[1]["Idempotency-Key"] for d in got}) == 1
    assert len({d[1]["X-Gitlab-Event-UUID"] for d in got}) == 1
    assert len({d[2] for d in got}) == 1


def test_branch_filter_skips_other_branches(hk, setup, receiver, tmp_path):
    add_hook(hk, setup, receiver.url("/filtered"), push_events_branch_filter="release/*")
    src = make_repo(tmp_path / "w", {"x": "f\n"})
    url = hk.git_url("ev/app", "hooker", setup)
    git(src, "push", "-q", url, "HEAD:refs/heads/topic-not-release")
    git(src, "push", "-q", url, "HEAD:refs/heads/release/2.0")
    got = receiver.wait("/filtered", 1)
    time.sleep(1)
    refs = [json.loads(d[2])["ref"] for d in receiver.wait("/filtered", 2, timeout=1)]
    assert refs == ["refs/heads/release/2.0"]


def test_restart_mid_backoff_loses_nothing(request, tmp_path_factory, tmp_path, receiver):
    k = _start(tmp_path_factory, "restart", {"KURA_OUTBOUND_ALLOW_CIDRS": "127.0.0.0/8"})
    try:
        k.create_user("rs")
        k.create_project("rs/p", "private")
        tok = k.create_token("rs", "api")
        r = requests.post(k.url("api/v4/projects/rs%2Fp/hooks"), headers={"PRIVATE-TOKEN": tok},
                          json={"url": receiver.url("/restart")})
        assert r.status_code == 201, r.text
        with receiver.lock:
            receiver.script["/restart"] = [500]
        src = make_repo(tmp_path / "w", {"x": "r\n"})
        git(src, "push", "-q", k.git_url("rs/p", "rs", tok), "main")
        assert len(receiver.wait("/restart", 1)) == 1
        k.stop()
        k.start()
        got = receiver.wait("/restart", 2, timeout=20)
        assert [d[3] for d in got] == [500, 200]
        assert got[0][1]["Idempotency-Key"] == got[1][1]["Idempotency-Key"]
    finally:
        _finish(request, k)


def test_test_trigger_sends_a_sample_push(hk, setup, receiver):
    hook = add_hook(hk, setup, receiver.url("/trigger"), push_events_branch_filter="nothing")
    r = api(hk, setup, "POST", f"/projects/ev%2Fapp/hooks/{hook['id']}/test/push_events")
    assert r.status_code == 201, r.text
    got = receiver.wait("/trigger")
    assert got and json.loads(got[0][2])["object_kind"] == "push"


def test_hook_crud_and_permissions(hk, setup, receiver):
    hook = add_hook(hk, setup, receiver.url("/crud"))
    r = api(hk, setup, "PUT", f"/projects/ev%2Fapp/hooks/{hook['id']}",
            json={"push_events": False, "tag_push_events": True})
    assert r.status_code == 200 and r.json()["push_events"] is False
    ids = [h["id"] for h in api(hk, setup, "GET", "/projects/ev%2Fapp/hooks").json()]
    assert hook["id"] in ids
    hk.create_user("hookdev")
    hk.add_member("hookdev", 30, project="ev/app")
    dev = hk.create_token("hookdev", "api")
    assert api(hk, dev, "GET", "/projects/ev%2Fapp/hooks").status_code == 403
    hk.create_user("hookstranger")
    stranger = hk.create_token("hookstranger", "api")
    assert api(hk, stranger, "GET", "/projects/ev%2Fapp/hooks").status_code == 404
    assert api(hk, setup, "DELETE", f"/projects/ev%2Fapp/hooks/{hook['id']}").status_code == 204
    assert api(hk, setup, "GET", f"/projects/ev%2Fapp/hooks/{hook['id']}").status_code == 404


BLOCKED = [
    "http://127.0.0.1:9/x", "http://10.0.0.1/x", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:9/x", "http://localhost:9/x", "http://2130706433/x", "http://0177.0.0.1/x",
    "ftp://example.com/x", "file:///etc/passwd", "gopher://127.0.0.1:25/x",
]


@pytest.mark.parametrize("url", BLOCKED, ids=range(len(BLOCKED)))
def test_internal_targets_are_refused_without_allowance(kura, url):
    kura.create_user("ssrf", password="password-123") if not getattr(
        test_internal_targets_are_refused_without_allowance, "made", False) else None
    test_internal_targets_are_refused_without_allowance.made = True
    kura.create_project("ssrf/p", "private") if not getattr(
        test_internal_targets_are_refused_without_allowance, "proj", False) else None
    test_internal_targets_are_refused_without_allowance.proj = True
    tok = kura.root_token()
    r = requests.post(kura.url("api/v4/projects/ssrf%2Fp/hooks"), headers={"PRIVATE-TOKEN": tok},
                      json={"url": url})
    assert r.status_code in (400, 422), r.text
    assert "url" in r.json()["message"]
    assert requests.get(kura.url("-/liveness")).status_code == 200


def test_redirect_to_loopback_is_not_followed(hk, setup, receiver):
    """Allowed target that redirects: the redirect is never followed and the
    delivery is logged as failed."""
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(302)
            self.send_header("Location", receiver.url("/after-redirect"))
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        hook = add_hook(hk, setup, f"http://127.0.0.1:{srv.server_address[1]}/r")
        r = api(hk, setup, "POST", f"/projects/ev%2Fapp/hooks/{hook['id']}/test/push_events")
        assert r.status_code == 201
        time.sleep(2)
        assert not receiver.wait("/after-redirect", 1, timeout=1)
    finally:
        srv.shutdown()


def test_failing_hook_is_disabled_temporarily(hk, setup, receiver, tmp_path):
    """GitLab's rule: from the fourth consecutive failure a hook is disabled
    for a while; deliveries wait instead of hammering the receiver."""
    hook = add_hook(hk, setup, receiver.url("/broken"), push_events_branch_filter="broken")
    with receiver.lock:
        receiver.script["/broken"] = [500] * 50
    src = make_repo(tmp_path / "w", {"x": "broken\n"})
    git(src, "push", "-q", hk.git_url("ev/app", "hooker", setup), "HEAD:refs/heads/broken")
    got = receiver.wait("/broken", 4, timeout=30)
    assert len(got) >= 4
    deadline = time.monotonic() + 5
    state = None
    while time.monotonic() < deadline:
        state = api(hk, setup, "GET", f"/projects/ev%2Fapp/hooks/{hook['id']}").json()
        if state["alert_status"] == "temporarily_disabled":
            break
        time.sleep(0.2)
    assert state["alert_status"] == "temporarily_disabled" and state["disabled_until"]
    seen = len(receiver.wait("/broken", 99, timeout=2))
    assert seen == len(receiver.wait("/broken", 99, timeout=2)), "kept delivering while disabled"
    # Editing the hook re-enables it, as on GitLab.
    r = api(hk, setup, "PUT", f"/projects/ev%2Fapp/hooks/{hook['id']}", json={"push_events": True})
    assert r.json()["alert_status"] == "executable"
