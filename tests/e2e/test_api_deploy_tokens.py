"""Deploy tokens of projects and groups: the API (python-gitlab's
deploytokens and requests for shapes and errors) and their use by git over
HTTP, where the login must be the token's username and the project the
token's own or one below its group."""
import datetime

import requests

from conftest import git, make_repo, server_alive

LATER = (datetime.datetime.utcnow() + datetime.timedelta(days=30)).strftime(
    "%Y-%m-%dT%H:%M:%S.000Z")


def call(kura, token, method, path, **kw):
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.request(method, f"{kura.base}/api/v4/{path.lstrip('/')}",
                            headers=headers, timeout=30, **kw)


def seeded(kura, gl, tmp_path, name, namespace_id=None):
    attrs = {"name": name}
    if namespace_id:
        attrs["namespace_id"] = namespace_id
    p = gl.projects.create(attrs)
    src = make_repo(tmp_path / f"src-{name}", {"README": "hi\n"})
    git(src, "push", "-q", kura.git_url(p.path_with_namespace, "root", kura.root_token()),
        "HEAD:main")
    return p, src


def test_project_tokens_api(kura, gl):
    p = gl.projects.create({"name": "dt-api"})
    t = p.deploytokens.create({"name": "deploy", "scopes": ["read_repository"],
                               "expires_at": LATER})
    assert t.token.startswith("kdt-") and len(t.token) == 44
    assert t.username == f"gitlab+deploy-token-{t.id}"
    assert t.scopes == ["read_repository"] and t.revoked is False and t.expired is False
    assert t.expires_at.startswith(LATER[:10])
    named = p.deploytokens.create({"name": "ci", "username": "ci.bot+1",
                                   "scopes": ["read_repository", "write_registry"]})
    assert named.username == "ci.bot+1" and named.expires_at is None
    assert named.scopes == ["read_repository", "write_registry"]
    listed = call(kura, kura.root_token(), "GET", f"projects/{p.id}/deploy_tokens").json()
    assert [x["id"] for x in listed] == [t.id, named.id]
    assert all("token" not in x for x in listed)
    got = p.deploytokens.get(t.id)
    assert got.name == "deploy" and not hasattr(got, "token")
    # Only the token's secret hash is stored.
    rows = kura.sql(f"SELECT token_hash FROM deploy_tokens WHERE id = {t.id}")
    assert rows[0][0] != t.token and len(rows[0][0]) == 64
    all_tokens = call(kura, kura.root_token(), "GET", "deploy_tokens").json()
    assert {t.id, named.id} <= {x["id"] for x in all_tokens}
    p.deploytokens.delete(t.id)
    assert call(kura, kura.root_token(), "GET",
                f"projects/{p.id}/deploy_tokens/{t.id}").json() == {
        "message": "404 Deploy Token Not Found"}
    assert [x["id"] for x in call(kura, kura.root_token(), "GET",
                                   f"projects/{p.id}/deploy_tokens").json()] == [named.id]


def test_project_token_errors(kura, gl):
    p = gl.projects.create({"name": "dt-err"})
    root = kura.root_token()
    base = f"projects/{p.id}/deploy_tokens"
    for body, want in (({"scopes": ["read_repository"]}, {"error": "name is missing"}),
                       ({"name": "x"}, {"error": "scopes is missing"}),
                       ({"name": "x", "scopes": ["api"]},
                        {"error": "scopes does not have a valid value"}),
                       ({"name": "x", "scopes": 7},
                        {"error": "scopes does not have a valid value"}),
                       ({"name": "x", "scopes": []},
                        {"error": "scopes does not have a valid value"})):
        r = call(kura, root, "POST", base, json=body)
        assert (r.status_code, r.json()) == (400, want), body
    r = call(kura, root, "POST", base, json={"name": "x", "scopes": ["read_repository"],
                                             "username": "bad name"})
    assert r.status_code == 400 and "username" in r.json()["message"]
    r = call(kura, root, "POST", base, json={"name": "x", "scopes": ["read_repository"],
                                             "expires_at": "2001-01-01"})
    assert r.status_code == 400 and "expires_at" in r.json()["message"]
    r = call(kura, root, "POST", base, json={"name": "x", "scopes": ["read_repository"],
                                             "expires_at": "soon"})
    assert r.status_code == 400
    r = call(kura, root, "POST", base, json={"name": "x\u0000y", "scopes": ["read_repository"]})
    assert r.status_code == 400
    for bad in ("0", "-1", "abc", "99999999999999999999999", "1%00"):
        assert call(kura, root, "GET", f"{base}/{bad}").status_code == 404, bad
    r = requests.post(f"{kura.base}/api/v4/{base}", data="x" * (3 << 20), timeout=30,
                      headers={"PRIVATE-TOKEN": root, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert server_alive(kura)


def test_permissions(kura, gl):
    kura.create_user("dt-dev")
    kura.create_user("dt-maint")
    kura.create_user("dt-other")
    p = gl.projects.create({"name": "dt-perm", "visibility": "public"})
    for name, level in (("dt-dev", 30), ("dt-maint", 40)):
        uid = gl.users.list(username=name)[0].id
        p.members.create({"user_id": uid, "access_level": level})
    dev, maint, other = (kura.create_token(u) for u in ("dt-dev", "dt-maint", "dt-other"))
    base = f"projects/{p.id}/deploy_tokens"
    body = {"name": "x", "scopes": ["read_repository"]}
    assert call(kura, None, "GET", base).status_code == 401
    assert call(kura, None, "POST", base, json=body).status_code == 401
    assert call(kura, dev, "GET", base).status_code == 403
    assert call(kura, dev, "POST", base, json=body).status_code == 403
    assert call(kura, other, "GET", base).status_code == 403
    r = call(kura, maint, "POST", base, json=body)
    assert r.status_code == 201
    tid = r.json()["id"]
    assert call(kura, dev, "DELETE", f"{base}/{tid}").status_code == 403
    assert call(kura, maint, "GET", f"{base}/{tid}").status_code == 200
    assert call(kura, maint, "GET", "deploy_tokens").status_code == 403
    assert call(kura, None, "GET", "deploy_tokens").status_code == 401
    # Private projects stay hidden from outsiders.
    q = gl.projects.create({"name": "dt-private"})
    assert call(kura, other, "GET", f"projects/{q.id}/deploy_tokens").status_code == 404
    assert call(kura, maint, "DELETE", f"{base}/{tid}").status_code == 204
    # A token of one project is not found through another.
    t2 = q.deploytokens.create({"name": "q", "scopes": ["read_repository"]})
    assert call(kura, kura.root_token(), "GET", f"{base}/{t2.id}").status_code == 404


def test_git_read_and_write_scopes(kura, gl, tmp_path):
    p, src = seeded(kura, gl, tmp_path, "dt-git")
    ro = p.deploytokens.create({"name": "ro", "scopes": ["read_repository"]})
    rw = p.deploytokens.create({"name": "rw", "scopes": ["write_repository"]})
    path = p.path_with_namespace
    git(tmp_path, "clone", "-q", kura.git_url(path, ro.username, ro.token), "ro")
    assert (tmp_path / "ro" / "README").read_text() == "hi\n"
    git(src, "commit", "-q", "--allow-empty", "-m", "by a deploy token")
    r = git(src, "push", kura.git_url(path, ro.username, ro.token), "HEAD:feature",
            check=False)
    assert r.returncode != 0 and "not allowed to push" in r.stderr
    git(src, "push", "-q", kura.git_url(path, rw.username, rw.token), "HEAD:feature")
    assert p.branches.get("feature").commit["title"] == "by a deploy token"
    # The push is recorded like any other, with no user.
    rows = kura.sql(f"SELECT user_id FROM push_events WHERE project_id = {p.id}"
                    " AND ref = 'refs/heads/feature'")
    assert rows == [(None,)]
    # The right secret with a wrong username, or someone else's secret, fails.
    for user, secret in (("root", ro.token), ("gitlab+deploy-token-0", ro.token),
                         (ro.username, rw.token), (ro.username, ro.token + "x")):
        r = git(tmp_path, "ls-remote", kura.git_url(path, user, secret), check=False)
        assert r.returncode != 0, (user, secret)
    # Deleted tokens stop working.
    p.deploytokens.delete(ro.id)
    r = git(tmp_path, "ls-remote", kura.git_url(path, ro.username, ro.token), check=False)
    assert r.returncode != 0


def test_git_protected_branch_as_developer(kura, gl, tmp_path):
    p, src = seeded(kura, gl, tmp_path, "dt-protect")
    rw = p.deploytokens.create({"name": "rw", "scopes": ["write_repository"]})
    url = kura.git_url(p.path_with_namespace, rw.username, rw.token)
    git(src, "commit", "-q", "--allow-empty", "-m", "two")
    # main is protected for Maintainers after the first push.
    r = git(src, "push", url, "HEAD:main", check=False)
    assert r.returncode != 0 and "protected branch" in r.stderr
    p.protectedbranches.create({"name": "dev*", "push_access_level": 30})
    git(src, "push", "-q", url, "HEAD:dev-1")
    r = git(src, "push", url, ":dev-1", check=False)
    assert r.returncode != 0


def test_git_other_project_and_group_tokens(kura, gl, tmp_path):
    g = gl.groups.create({"name": "dt-group", "path": "dt-group"})
    sub = gl.groups.create({"name": "sub", "path": "sub", "parent_id": g.id})
    inside, _ = seeded(kura, gl, tmp_path, "dt-in", namespace_id=sub.id)
    outside, _ = seeded(kura, gl, tmp_path, "dt-out")
    gt = g.deploytokens.create({"name": "g", "scopes": ["read_repository"]})
    assert gt.username == f"gitlab+deploy-token-{gt.id}"
    assert [x.id for x in g.deploytokens.list()] == [gt.id]
    git(tmp_path, "clone", "-q",
        kura.git_url(inside.path_with_namespace, gt.username, gt.token), "in")
    r = git(tmp_path, "clone", "-q",
            kura.git_url(outside.path_with_namespace, gt.username, gt.token), "out",
            check=False)
    assert r.returncode != 0
    pt = inside.deploytokens.create({"name": "p", "scopes": ["write_repository"]})
    r = git(tmp_path, "ls-remote",
            kura.git_url(outside.path_with_namespace, pt.username, pt.token), check=False)
    assert r.returncode != 0
    # Project tokens are not group tokens and vice versa.
    assert call(kura, kura.root_token(), "GET",
                f"groups/{g.id}/deploy_tokens/{pt.id}").status_code == 404
    g.deploytokens.delete(gt.id)
    assert g.deploytokens.list() == []


def test_git_hostile_credentials(kura, gl, tmp_path):
    p, _ = seeded(kura, gl, tmp_path, "dt-hostile")
    path = p.path_with_namespace
    for user, secret in (("x", "kdt-" + "A" * 40), ("x", "kdt-"), ("x" * 300, "kdt-" + "A" * 300),
                         ("gitlab+deploy-token-1", "kdt-%00")):
        r = requests.get(f"{kura.base}/{path}.git/info/refs?service=git-upload-pack",
                         auth=(user, secret), timeout=30)
        assert r.status_code in (401, 429), (user, r.status_code)
    assert server_alive(kura)
