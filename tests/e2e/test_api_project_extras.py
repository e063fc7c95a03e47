"""Project extras: the events feed of pushes (GitLab's Event with
push_data) and the storage location (administrators only)."""
import requests

from conftest import git, make_repo, server_alive


def call(kura, token, method, path, **kw):
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.request(method, f"{kura.base}/api/v4/{path.lstrip('/')}",
                            headers=headers, timeout=60, **kw)


def test_push_events(kura, gl, tmp_path):
    p = gl.projects.create({"name": "ev"})
    url = kura.git_url(p.path_with_namespace, "root", kura.root_token())
    src = make_repo(tmp_path / "src", {"a": "1\n"}, message="first")
    git(src, "push", "-q", url, "HEAD:main")
    for i in range(2):
        (src / "a").write_text(f"{i}\n")
        git(src, "commit", "-qam", f"change {i}")
    git(src, "push", "-q", url, "HEAD:main")
    git(src, "tag", "v1")
    git(src, "push", "-q", url, "v1")
    git(src, "push", "-q", url, "HEAD:side")
    git(src, "push", "-q", url, ":side")
    events = p.events.list()
    assert [(e.action_name, e.push_data["action"], e.push_data["ref_type"], e.push_data["ref"])
            for e in events] == [
        ("deleted", "removed", "branch", "side"), ("pushed new", "created", "branch", "side"),
        ("pushed new", "created", "tag", "v1"), ("pushed to", "pushed", "branch", "main"),
        ("pushed new", "created", "branch", "main")]
    update = events[3]
    assert update.push_data["commit_count"] == 2
    assert update.push_data["commit_title"] == "change 1"
    assert update.push_data["commit_to"] == git(src, "rev-parse", "HEAD").stdout.strip()
    assert update.author["username"] == "root" and update.author_username == "root"
    assert update.project_id == p.id and update.target_type is None
    assert events[0].push_data["commit_to"] is None and events[0].push_data["commit_count"] == 0
    assert events[4].push_data["commit_from"] is None
    assert events[4].push_data["commit_count"] == 1
    r = call(kura, kura.root_token(), "GET", f"projects/{p.id}/events",
             params={"per_page": 2, "page": 2})
    assert r.headers["X-Total"] == "5" and len(r.json()) == 2
    assert r.json()[0]["id"] == events[2].id


def test_events_permissions(kura, gl):
    kura.create_user("ev-guest")
    kura.create_user("ev-out")
    guest, out = kura.create_token("ev-guest"), kura.create_token("ev-out")
    p = gl.projects.create({"name": "ev-private", "initialize_with_readme": True})
    p.members.create({"user_id": gl.users.list(username="ev-guest")[0].id, "access_level": 10})
    base = f"projects/{p.id}/events"
    assert call(kura, None, "GET", base).status_code == 404
    assert call(kura, out, "GET", base).status_code == 404
    assert call(kura, guest, "GET", base).status_code == 403
    r = call(kura, kura.root_token(), "GET", base)
    assert r.status_code == 200 and r.json()[0]["action_name"] == "pushed new"
    pub = gl.projects.create({"name": "ev-public", "visibility": "public",
                              "initialize_with_readme": True})
    assert len(call(kura, None, "GET", f"projects/{pub.id}/events").json()) == 1
    for bad in ("0", "-1", "x%00", "9" * 30):
        assert call(kura, kura.root_token(), "GET", f"projects/{bad}/events").status_code == 404
    assert call(kura, kura.root_token(), "GET", base,
                params={"per_page": "x"}).status_code == 400
    assert server_alive(kura)


def test_storage(kura, gl):
    kura.create_user("st-owner")
    owner = kura.create_token("st-owner")
    p = gl.projects.create({"name": "st"})
    s = p.storage.get().attributes if hasattr(p, "storage") else call(
        kura, kura.root_token(), "GET", f"projects/{p.id}/storage").json()
    assert s["project_id"] == p.id and s["repository_storage"] == "default"
    assert s["disk_path"].startswith("@hashed/") and not s["disk_path"].endswith(".git")
    assert (kura.data_dir / "repositories" / (s["disk_path"] + ".git")).is_dir()
    own = call(kura, owner, "POST", "projects", json={"name": "mine"}).json()
    assert call(kura, owner, "GET", f"projects/{own['id']}/storage").status_code == 403
    assert call(kura, None, "GET", f"projects/{p.id}/storage").status_code == 401
    assert call(kura, kura.root_token(), "GET", "projects/999999/storage").status_code == 404
