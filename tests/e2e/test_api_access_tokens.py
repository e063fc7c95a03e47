"""Project access tokens: a bot member per token, usable for the API and
Git HTTP with its role and scopes; Maintainers manage them."""
import datetime

import pytest
import requests

from conftest import git, make_repo, server_alive


SOON = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()


def api(kura, path):
    return f"{kura.base}/api/v4/{path.lstrip('/')}"


def call(kura, token, method, path, **kw):
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.request(method, api(kura, path), headers=headers, timeout=30, **kw)


def test_create_list_use_and_revoke(kura, gl, tmp_path):
    p = gl.projects.create({"name": "pat-bot"})
    t = p.access_tokens.create({"name": "ci", "scopes": ["api", "write_repository"],
                                "access_level": 30, "expires_at": SOON})
    assert t.token and t.access_level == 30 and t.active and not t.revoked
    assert t.scopes == ["api", "write_repository"]
    assert t.expires_at == SOON
    bot = call(kura, t.token, "GET", "user").json()
    assert bot["username"].startswith(f"project_{p.id}_bot_")
    members = call(kura, t.token, "GET", f"projects/{p.id}/members").json()
    assert {m["username"]: m["access_level"] for m in members}[bot["username"]] == 30
    assert [x.id for x in p.access_tokens.list()] == [t.id]
    got = call(kura, kura.root_token(), "GET", f"projects/{p.id}/access_tokens/{t.id}").json()
    assert got["name"] == "ci" and got["user_id"] == bot["id"] and "token" not in got
    # Git push with the token (any username), then the API sees the branch.
    src = make_repo(tmp_path / "src", {"a": "1\n"})
    git(src, "push", kura.git_url(p.path_with_namespace, "bot", t.token), "HEAD:main")
    assert call(kura, t.token, "GET", f"projects/{p.id}").json()["default_branch"] == "main"
    # Developer role: no protected branch push, no member management.
    assert call(kura, t.token, "POST", f"projects/{p.id}/members",
                json={"user_id": 1, "access_level": 10}).status_code == 403
    # Other projects stay hidden from the bot.
    other = gl.projects.create({"name": "pat-other"})
    assert call(kura, t.token, "GET", f"projects/{other.id}").status_code == 404
    p.access_tokens.delete(t.id)
    assert call(kura, t.token, "GET", "user").status_code == 401
    r = git(src, "push", kura.git_url(p.path_with_namespace, "bot", t.token), "HEAD:x",
            check=False)
    assert r.returncode != 0
    assert p.access_tokens.list() == []
    assert call(kura, kura.root_token(), "GET",
                f"projects/{p.id}/access_tokens/{t.id}").status_code == 404


def test_read_only_token_cannot_push(kura, gl, tmp_path):
    p = gl.projects.create({"name": "pat-ro"})
    t = p.access_tokens.create({"name": "ro", "scopes": ["read_repository"],
                                "access_level": 40})
    src = make_repo(tmp_path / "src", {"a": "1\n"})
    git(src, "push", kura.git_url(p.path_with_namespace, "root", kura.root_token()), "HEAD:main")
    git(tmp_path, "clone", "-q", kura.git_url(p.path_with_namespace, "x", t.token), "out")
    assert (tmp_path / "out" / "a").read_text() == "1\n"
    r = git(src, "push", kura.git_url(p.path_with_namespace, "x", t.token), "HEAD:other",
            check=False)
    assert r.returncode != 0
    assert call(kura, t.token, "GET", f"projects/{p.id}").status_code == 403


def test_errors_and_permissions(kura, gl):
    p = gl.projects.create({"name": "pat-perm"})
    base = f"projects/{p.id}/access_tokens"
    root = kura.root_token()
    for bad, msg in (({"scopes": ["api"]}, {"error": "name is missing"}),
                     ({"name": "x"}, {"error": "scopes is missing"}),
                     ({"name": "x", "scopes": ["sudo"]},
                      {"error": "scopes does not have a valid value"}),
                     ({"name": "x", "scopes": ["nope"]},
                      {"error": "scopes does not have a valid value"}),
                     ({"name": "x", "scopes": ["api"], "access_level": 60},
                      {"error": "access_level does not have a valid value"}),
                     ({"name": "x", "scopes": ["api"], "expires_at": "soon"},
                      {"error": "expires_at is invalid"})):
        r = call(kura, root, "POST", base, json=bad)
        assert (r.status_code, r.json()) == (400, msg), bad
    r = call(kura, root, "POST", base, json={"name": "x" * 300, "scopes": ["api"]})
    assert r.status_code == 400
    users = {}
    for role, level in (("dev", 30), ("maint", 40)):
        kura.create_user(f"pat-{role}")
        tok = kura.create_token(f"pat-{role}", "api", "t")
        uid = call(kura, tok, "GET", "user").json()["id"]
        p.members.create({"user_id": uid, "access_level": level})
        users[role] = tok
    assert call(kura, users["dev"], "GET", base).status_code == 403
    assert call(kura, users["dev"], "POST", base,
                json={"name": "x", "scopes": ["api"]}).status_code == 403
    assert call(kura, users["maint"], "POST", base,
                json={"name": "x", "scopes": ["api"]}).status_code == 201
    r = call(kura, users["maint"], "POST", base,
             json={"name": "x", "scopes": ["api"], "access_level": 50})
    assert r.status_code == 400
    assert call(kura, None, "GET", base).status_code == 401
    assert call(kura, root, "GET", base + "/abc").status_code == 404
    # A personal token of a real member is not a project access token.
    me = call(kura, users["maint"], "GET", "personal_access_tokens/self").json()["id"]
    assert call(kura, root, "DELETE", f"{base}/{me}").status_code == 404
    assert server_alive(kura)
