"""Protected branches through the API: GitLab's shapes and status codes,
wildcards in URL-encoded names, the permission matrix, hostile input, and
the rules taking effect on git push."""
import pytest
import requests

from conftest import git, make_repo, server_alive

ROLES = {"guest": 10, "reporter": 20, "developer": 30, "maintainer": 40, "owner": 50}


def api(kura, path):
    return f"{kura.base}/api/v4/{path.lstrip('/')}"


def call(kura, token, method, path, **kw):
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.request(method, api(kura, path), headers=headers, timeout=30, **kw)


@pytest.fixture(scope="module")
def people(kura):
    tokens, ids = {}, {}
    for name in list(ROLES) + ["other"]:
        kura.create_user(f"pb-{name}")
        tokens[name] = kura.create_token(f"pb-{name}", "api,write_repository", "t")
        ids[name] = call(kura, tokens[name], "GET", "user").json()["id"]
    tokens["admin"] = kura.root_token()
    tokens["anonymous"] = None
    return tokens, ids


@pytest.fixture(scope="module")
def projects(kura, gl, people):
    tokens, ids = people
    group = gl.groups.create({"name": "pbm", "path": "pbm", "visibility": "public"})
    out = {}
    for vis in ("private", "internal", "public"):
        p = gl.projects.create({"name": f"pb-{vis}", "namespace_id": group.id,
                                "visibility": vis})
        for role, level in ROLES.items():
            p.members.create({"user_id": ids[role], "access_level": level})
        out[vis] = p
    return out


def test_create_get_list_delete_with_python_gitlab(gl):
    p = gl.projects.create({"name": "pb-basic"})
    pb = p.protectedbranches.create({"name": "release/*", "push_access_level": 30,
                                     "merge_access_level": 40, "allow_force_push": True})
    assert pb.name == "release/*"
    assert pb.allow_force_push is True
    assert pb.push_access_levels == [{"access_level": 30,
                                      "access_level_description": "Developers + Maintainers",
                                      "user_id": None, "group_id": None}]
    assert pb.merge_access_levels[0]["access_level"] == 40
    assert pb.merge_access_levels[0]["access_level_description"] == "Maintainers"
    got = p.protectedbranches.get("release/*")
    assert got.id == pb.id and got.name == "release/*"
    p.protectedbranches.create({"name": "main"})
    names = sorted(x.name for x in p.protectedbranches.list())
    assert names == ["main", "release/*"]
    main = p.protectedbranches.get("main")
    # GitLab's defaults: Maintainers push and merge, no force push.
    assert main.push_access_levels[0]["access_level"] == 40
    assert main.allow_force_push is False
    p.protectedbranches.delete("release/*")
    with pytest.raises(Exception) as e:
        p.protectedbranches.get("release/*")
    assert "404" in str(e.value)


def test_conflict_patch_and_errors(kura, gl):
    tok = kura.root_token()
    p = gl.projects.create({"name": "pb-errors"})
    base = f"projects/{p.id}/protected_branches"
    r = call(kura, tok, "POST", base, json={"name": "stable", "push_access_level": 0})
    assert r.status_code == 201, r.text
    assert r.json()["push_access_levels"][0]["access_level_description"] == "No one"
    r = call(kura, tok, "POST", base, json={"name": "stable"})
    assert r.status_code == 409
    assert r.json() == {"message": "Protected branch 'stable' already exists"}
    r = call(kura, tok, "PATCH", base + "/stable", json={"allow_force_push": True,
                                                         "push_access_level": 30})
    assert r.status_code == 200, r.text
    assert r.json()["allow_force_push"] is True
    assert r.json()["push_access_levels"][0]["access_level"] == 30
    r = call(kura, tok, "PATCH", base + "/stable",
             json={"allowed_to_merge": [{"access_level": 30}]})
    assert r.json()["merge_access_levels"][0]["access_level"] == 30
    # The path form of the project and a URL-encoded wildcard name.
    path = p.path_with_namespace.replace("/", "%2F")
    r = call(kura, tok, "POST", f"projects/{path}/protected_branches", json={"name": "v*/x"})
    assert r.status_code == 201
    r = call(kura, tok, "GET", f"projects/{path}/protected_branches/v%2A%2Fx")
    assert r.status_code == 200 and r.json()["name"] == "v*/x"
    for bad in ({}, {"name": "x", "push_access_level": 20},
                {"name": "x", "merge_access_level": "abc"},
                {"name": "x", "allow_force_push": "maybe"},
                {"name": "x", "allowed_to_push": "30"}):
        r = call(kura, tok, "POST", base, json=bad)
        assert r.status_code == 400, (bad, r.text)
    assert call(kura, tok, "POST", base, json={}).json() == {"error": "name is missing"}
    assert call(kura, tok, "POST", base, json={"name": "x", "push_access_level": 20}).json() == \
        {"error": "push_access_level does not have a valid value"}
    for name in ("..", "-x", "a b", "a\x00b", "x" * 2000, "bad:name", "/lead"):
        r = call(kura, tok, "POST", base, json={"name": name})
        assert r.status_code == 400, (name, r.text)
    assert call(kura, tok, "GET", base + "/nope").json() == {"message": "404 Not found"}
    assert call(kura, tok, "DELETE", base + "/nope").status_code == 404
    assert call(kura, tok, "PATCH", base + "/nope", json={}).status_code == 404
    assert call(kura, tok, "DELETE", base + "/stable").status_code == 204
    assert call(kura, tok, "GET", "projects/999999/protected_branches").status_code == 404
    r = call(kura, tok, "GET", base, params={"search": "v*"})
    assert [x["name"] for x in r.json()] == ["v*/x"]
    assert server_alive(kura)


def test_pagination(kura, gl):
    tok = kura.root_token()
    p = gl.projects.create({"name": "pb-pages"})
    for i in range(5):
        p.protectedbranches.create({"name": f"b{i}"})
    r = call(kura, tok, "GET", f"projects/{p.id}/protected_branches", params={"per_page": 2})
    assert r.headers["X-Total"] == "5" and r.headers["X-Total-Pages"] == "3"
    assert [x["name"] for x in r.json()] == ["b0", "b1"]
    assert len(p.protectedbranches.list(get_all=True, per_page=2)) == 5


def expect(who, vis, write):
    if who == "anonymous":
        if write:
            return 401
        return 403 if vis == "public" else 404
    if who == "other":
        return 404 if vis == "private" else 403
    if who in ("maintainer", "owner", "admin"):
        return 200
    return 403


@pytest.mark.parametrize("vis", ["private", "internal", "public"])
def test_permission_matrix(kura, people, projects, vis):
    tokens, _ = people
    pid = projects[vis].id
    admin = tokens["admin"]
    for who, tok in tokens.items():
        name = f"m-{who}"
        r = call(kura, tok, "GET", f"projects/{pid}/protected_branches")
        assert r.status_code == expect(who, vis, False), (who, vis, r.text)
        r = call(kura, tok, "POST", f"projects/{pid}/protected_branches", json={"name": name})
        want = expect(who, vis, True)
        assert r.status_code == (201 if want == 200 else want), (who, vis, r.text)
        if want != 200:
            call(kura, admin, "POST", f"projects/{pid}/protected_branches", json={"name": name})
        r = call(kura, tok, "GET", f"projects/{pid}/protected_branches/{name}")
        assert r.status_code == expect(who, vis, False), (who, vis)
        r = call(kura, tok, "PATCH", f"projects/{pid}/protected_branches/{name}",
                 json={"allow_force_push": True})
        assert r.status_code == expect(who, vis, True), (who, vis)
        r = call(kura, tok, "DELETE", f"projects/{pid}/protected_branches/{name}")
        assert r.status_code == (204 if want == 200 else want), (who, vis)


def test_rules_from_api_apply_to_push(kura, gl, people, tmp_path):
    tokens, _ = people
    p = gl.projects.create({"name": "pb-push", "visibility": "private"})
    p.members.create({"user_id": people[1]["developer"], "access_level": 30})
    root_url = kura.git_url(p.path_with_namespace, "root", tokens["admin"])
    src = make_repo(tmp_path / "src", {"a": "1\n"})
    git(src, "push", root_url, "HEAD:main", "HEAD:release/1")
    p.protectedbranches.create({"name": "release/*", "push_access_level": 40})
    dev_url = kura.git_url(p.path_with_namespace, "pb-developer", tokens["developer"])
    (src / "a").write_text("2\n")
    git(src, "commit", "-qam", "two")
    r = git(src, "push", dev_url, "HEAD:release/1", check=False)
    assert r.returncode != 0
    r = call(kura, tokens["admin"], "PATCH", f"projects/{p.id}/protected_branches/release%2F%2A",
             json={"push_access_level": 30})
    assert r.status_code == 200
    git(src, "push", dev_url, "HEAD:release/1")
