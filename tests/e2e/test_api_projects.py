"""Projects through the API: create, read, edit, archive, delete, list
filters, invalid input, and the permission matrix of projects and members
for every role on private, internal and public projects."""
import pytest
import requests

from conftest import server_alive

ROLES = {"guest": 10, "reporter": 20, "developer": 30, "maintainer": 40, "owner": 50}


def api(kura, path):
    return f"{kura.base}/api/v4/{path.lstrip('/')}"


@pytest.fixture(scope="module")
def people(kura):
    tokens = {}
    for name in list(ROLES) + ["other"]:
        kura.create_user(f"pm-{name}")
        tokens[name] = kura.create_token(f"pm-{name}", "api", "t")
    tokens["admin"] = kura.root_token()
    tokens["anonymous"] = None
    ids = {}
    for name in list(ROLES) + ["other"]:
        r = requests.get(api(kura, "user"), headers={"PRIVATE-TOKEN": tokens[name]})
        ids[name] = r.json()["id"]
    return tokens, ids


@pytest.fixture(scope="module")
def matrix_projects(kura, gl, people):
    tokens, ids = people
    group = gl.groups.create({"name": "matrix", "path": "matrix", "visibility": "public"})
    projects = {}
    for vis in ("private", "internal", "public"):
        p = gl.projects.create({"name": f"m-{vis}", "namespace_id": group.id,
                                "visibility": vis})
        for role, level in ROLES.items():
            p.members.create({"user_id": ids[role], "access_level": level})
        projects[vis] = p.id
    return projects


def call(kura, token, method, path, **kw):
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.request(method, api(kura, path), headers=headers, **kw)


def expect_read(who, vis):
    if who == "anonymous":
        return 200 if vis == "public" else 404
    if who == "other":
        return 404 if vis == "private" else 200
    return 200


def expect_manage(who, vis):
    if who == "anonymous":
        return 401
    if who in ("maintainer", "owner", "admin"):
        return "ok"
    if who == "other" and vis == "private":
        return 404
    return 403


WHO = list(ROLES) + ["admin", "other", "anonymous"]


@pytest.mark.parametrize("vis", ["private", "internal", "public"])
def test_permission_matrix(kura, people, matrix_projects, vis):
    tokens, ids = people
    pid = matrix_projects[vis]
    for who in WHO:
        tok = tokens[who]
        r = call(kura, tok, "GET", f"projects/{pid}")
        assert r.status_code == expect_read(who, vis), (who, vis, r.text)
        if r.status_code == 404:
            assert r.json() == {"message": "404 Project Not Found"}
        r = call(kura, tok, "GET", f"projects/{pid}/members")
        assert r.status_code == expect_read(who, vis), (who, vis)
        r = call(kura, tok, "GET", f"projects/{pid}/members/all")
        assert r.status_code == expect_read(who, vis), (who, vis)

        want = expect_manage(who, vis)
        r = call(kura, tok, "PUT", f"projects/{pid}", json={"description": f"by {who}"})
        assert r.status_code == (200 if want == "ok" else want), (who, vis, r.text)
        if want == "ok":
            assert r.json()["description"] == f"by {who}"
        r = call(kura, tok, "POST", f"projects/{pid}/members",
                 json={"user_id": ids["other"], "access_level": 10})
        assert r.status_code == (201 if want == "ok" else want), (who, vis, r.text)
        if want == "ok":
            assert r.json()["access_level"] == 10
            r = call(kura, tok, "DELETE", f"projects/{pid}/members/{ids['other']}")
            assert r.status_code == 204
        r = call(kura, tok, "POST", f"projects/{pid}/archive")
        assert r.status_code == (201 if want == "ok" else want), (who, vis)
        if want == "ok":
            assert r.json()["archived"] is True
            assert call(kura, tok, "POST", f"projects/{pid}/unarchive").json()["archived"] is False
        # Deleting needs Owner; only check the refusals here.
        if who not in ("owner", "admin"):
            r = call(kura, tok, "DELETE", f"projects/{pid}")
            assert r.status_code in (401, 403, 404), (who, vis)
            assert r.status_code == (want if want != "ok" else 403), (who, vis)


def test_permissions_object_and_listing_visibility(kura, people, matrix_projects):
    tokens, _ = people
    r = call(kura, tokens["developer"], "GET", f"projects/{matrix_projects['private']}")
    assert r.json()["permissions"]["project_access"]["access_level"] == 30
    names = {p["name"] for p in call(kura, tokens["other"], "GET", "projects",
                                     params={"per_page": 100}).json()}
    assert "m-private" not in names and {"m-internal", "m-public"} <= names
    names = {p["name"] for p in call(kura, None, "GET", "projects",
                                     params={"per_page": 100}).json()}
    assert names == {"m-public"} or ("m-internal" not in names and "m-private" not in names)
    mine = call(kura, tokens["guest"], "GET", "projects", params={"membership": "true"}).json()
    assert {p["name"] for p in mine} == {"m-private", "m-internal", "m-public"}
    mine = call(kura, tokens["guest"], "GET", "projects",
                params={"min_access_level": 20}).json()
    assert mine == []
    assert call(kura, tokens["maintainer"], "GET", "projects",
                params={"min_access_level": 40, "visibility": "private"}).json()[0]["name"] == "m-private"
    r = call(kura, tokens["guest"], "GET", "projects", params={"min_access_level": 15})
    assert r.status_code == 400


def test_members_rules(kura, gl, people, matrix_projects):
    tokens, ids = people
    pid = matrix_projects["private"]
    # A Maintainer cannot grant Owner or change an Owner.
    r = call(kura, tokens["maintainer"], "PUT", f"projects/{pid}/members/{ids['guest']}",
             json={"access_level": 50})
    assert r.status_code == 403
    r = call(kura, tokens["maintainer"], "PUT", f"projects/{pid}/members/{ids['owner']}",
             json={"access_level": 10})
    assert r.status_code == 403
    r = call(kura, tokens["owner"], "PUT", f"projects/{pid}/members/{ids['guest']}",
             json={"access_level": 20, "expires_at": "2999-01-01"})
    assert r.status_code == 200
    assert r.json()["access_level"] == 20 and r.json()["expires_at"] == "2999-01-01"
    call(kura, tokens["owner"], "PUT", f"projects/{pid}/members/{ids['guest']}",
         json={"access_level": 10})
    r = call(kura, tokens["owner"], "POST", f"projects/{pid}/members",
             json={"user_id": ids["guest"], "access_level": 10})
    assert r.status_code == 409
    r = call(kura, tokens["owner"], "POST", f"projects/{pid}/members",
             json={"user_id": ids["other"], "access_level": 35})
    assert r.status_code == 400
    assert r.json() == {"error": "access_level does not have a valid value"}
    r = call(kura, tokens["owner"], "POST", f"projects/{pid}/members", json={"user_id": ids["other"]})
    assert r.json() == {"error": "access_level is missing"}
    r = call(kura, tokens["owner"], "POST", f"projects/{pid}/members",
             json={"user_id": 999999, "access_level": 10})
    assert r.status_code == 404 and r.json() == {"message": "404 User Not Found"}
    r = call(kura, tokens["owner"], "GET", f"projects/{pid}/members/{ids['other']}")
    assert r.status_code == 404 and r.json() == {"message": "404 Member Not Found"}
    # The group's members are inherited in /members/all.
    group = gl.groups.get("matrix")
    group.members.create({"user_id": ids["other"], "access_level": 20})
    r = call(kura, tokens["other"], "GET", f"projects/{pid}")
    assert r.status_code == 200
    r = call(kura, tokens["other"], "GET", f"projects/{pid}/members/all/{ids['other']}")
    assert r.status_code == 200 and r.json()["access_level"] == 20
    r = call(kura, tokens["other"], "GET", f"projects/{pid}/members/{ids['other']}")
    assert r.status_code == 404
    group.members.delete(ids["other"])
    assert call(kura, tokens["other"], "GET", f"projects/{pid}").status_code == 404


def test_create_get_update_delete(kura, gl):
    p = gl.projects.create({"name": "Life Cycle", "path": "life-cycle",
                            "description": "d", "default_branch": "trunk"})
    assert p.path_with_namespace == "root/life-cycle"
    assert p.name_with_namespace == "Administrator / Life Cycle"
    assert p.namespace["kind"] == "user" and p.namespace["parent_id"] is None
    assert p.owner["username"] == "root"
    assert p.default_branch == "trunk" and p.visibility == "private"
    p.description = "changed"
    p.visibility = "public"
    p.save()
    again = gl.projects.get(p.id)
    assert again.description == "changed" and again.visibility == "public"
    members = p.members.list()
    assert [m.username for m in members] == ["root"] and members[0].access_level == 50
    r = requests.delete(api(kura, f"projects/{p.id}"), headers={"PRIVATE-TOKEN": kura.root_token()})
    assert r.status_code == 202 and r.json() == {"message": "202 Accepted"}
    r = requests.get(api(kura, f"projects/{p.id}"), headers={"PRIVATE-TOKEN": kura.root_token()})
    assert r.status_code == 404


def test_create_with_sudo_lands_in_that_users_namespace(kura, gl):
    kura.create_user("sudoer")
    p = gl.projects.create({"name": "via-sudo"}, sudo="sudoer")
    assert p.namespace["path"] == "sudoer"
    assert p.owner["username"] == "sudoer"


def test_create_in_group_needs_developer(kura, gl, people):
    tokens, ids = people
    g = gl.groups.create({"name": "devs", "path": "devs"})
    g.members.create({"user_id": ids["reporter"], "access_level": 20})
    g.members.create({"user_id": ids["developer"], "access_level": 30})
    r = call(kura, tokens["reporter"], "POST", "projects", json={"name": "x", "namespace_id": g.id})
    assert r.status_code == 403
    r = call(kura, tokens["developer"], "POST", "projects", json={"name": "x", "namespace_id": g.id})
    assert r.status_code == 201 and r.json()["namespace"]["full_path"] == "devs"
    r = call(kura, tokens["other"], "POST", "projects", json={"name": "x", "namespace_id": g.id})
    assert r.status_code == 404 and r.json() == {"message": "404 Namespace Not Found"}
    r = call(kura, tokens["other"], "POST", "projects",
             json={"name": "x", "namespace_id": ids["developer"] and 999999})
    assert r.status_code == 404


def test_invalid_input(kura, gl):
    h = {"PRIVATE-TOKEN": kura.root_token()}
    r = requests.post(api(kura, "projects"), headers=h, json={})
    assert r.status_code == 400
    assert r.json() == {"error": "name, path are missing, at least one parameter must be provided"}
    r = requests.post(api(kura, "projects"), headers=h, json={"name": "v", "visibility": "secret"})
    assert r.status_code == 400 and r.json() == {"error": "visibility does not have a valid value"}
    for bad in ("..", "a/../b", "../etc", "x.git", "-lead", "a b", "é"):
        r = requests.post(api(kura, "projects"), headers=h, json={"name": "n", "path": bad})
        assert r.status_code == 400, bad
        assert "path" in r.json()["message"], (bad, r.text)
    gl.projects.create({"name": "taken"})
    r = requests.post(api(kura, "projects"), headers=h, json={"name": "taken"})
    assert r.status_code == 400
    assert r.json() == {"message": {"path": ["has already been taken"]}}
    r = requests.post(api(kura, "projects"), headers=h,
                      json={"name": "n2", "initialize_with_readme": True})
    assert r.status_code == 201 and r.json()["empty_repo"] is False
    r = requests.post(api(kura, "projects"), headers=h, json={"name": "x" * 300})
    assert r.status_code == 400
    r = requests.get(api(kura, "projects"), headers=h, params={"order_by": "stars; DROP"})
    assert r.status_code == 400
    assert r.json() == {"error": "order_by does not have a valid value"}
    r = requests.get(api(kura, "projects"), headers=h, params={"search": "%_\\'\""})
    assert r.status_code == 200 and r.json() == []
    r = requests.get(api(kura, "projects/0"), headers=h)
    assert r.status_code == 404
    r = requests.get(api(kura, "projects/99999999999999999999999"), headers=h)
    assert r.status_code == 404
    r = requests.get(api(kura, "projects/" + "a%2F" * 300 + "b"), headers=h)
    assert r.status_code == 404
    assert server_alive(kura)


def test_list_order_search_and_simple(kura, gl):
    g = gl.groups.create({"name": "ordered", "path": "ordered"})
    for name in ("bravo", "alpha", "charlie"):
        gl.projects.create({"name": name, "namespace_id": g.id})
    got = [p.name for p in g.projects.list()]
    assert got == ["charlie", "alpha", "bravo"]  # created_at desc
    got = [p.name for p in g.projects.list(order_by="name", sort="asc")]
    assert got == ["alpha", "bravo", "charlie"]
    got = gl.projects.list(search="alph", simple=True)
    assert [p.name for p in got] == ["alpha"]
    assert "visibility" not in got[0].attributes
    gl.projects.get("ordered/bravo").archive()
    assert [p.name for p in g.projects.list(archived=True)] == ["bravo"]
    assert "bravo" not in [p.name for p in g.projects.list(archived=False)]
