"""Users, personal access tokens, groups, namespaces and statistics through
the API, with python-gitlab where it has a method and requests elsewhere."""
import datetime

import requests
import gitlab
import pytest

from conftest import server_alive


def api(kura, path):
    return f"{kura.base}/api/v4/{path.lstrip('/')}"


def test_users_admin_lifecycle(kura, gl):
    u = gl.users.create({"username": "bob", "email": "bob@example.com", "name": "Bob",
                         "password": "password-123"})
    assert u.state == "active" and u.is_admin is False
    assert gl.users.list(username="bob")[0].id == u.id
    assert gl.users.list(username="BOB")[0].id == u.id
    assert [x.username for x in gl.users.list(search="bo")] == ["bob"]
    assert gl.users.list()[0].id == u.id  # id desc
    u.block()
    assert gl.users.get(u.id).state == "blocked"
    assert u.id in [x.id for x in gl.users.list(blocked=True)]
    assert u.id not in [x.id for x in gl.users.list(active=True)]
    u.unblock()
    assert gl.users.get(u.id).state == "active"
    u.name = "Robert"
    u.save()
    assert gl.users.get(u.id).name == "Robert"
    with pytest.raises(gitlab.GitlabCreateError) as e:
        gl.users.create({"username": "bob2", "email": "BOB@example.com", "name": "B",
                         "password": "password-123"})
    assert e.value.response_code == 409 and "Email has already been taken" in str(e.value)
    r = requests.post(api(kura, "users"), headers={"PRIVATE-TOKEN": kura.root_token()},
                      json={"username": "carl", "name": "C"})
    assert r.status_code == 400 and r.json() == {"error": "email is missing"}
    r = requests.post(api(kura, "users"), headers={"PRIVATE-TOKEN": kura.root_token()},
                      json={"username": "carl", "name": "C", "email": "c@example.com"})
    assert r.json()["error"].startswith("password, reset_password, force_random_password")
    r = requests.post(api(kura, "users"), headers={"PRIVATE-TOKEN": kura.root_token()},
                      json={"username": "../x", "name": "C", "email": "c@example.com",
                            "password": "password-123"})
    assert r.status_code == 400 and "username" in r.json()["message"]
    p = gl.projects.create({"name": "bobs"}, sudo="bob")
    assert [x.name for x in gl.users.get(u.id).projects.list()] == ["bobs"]
    u.delete()
    with pytest.raises(gitlab.GitlabGetError):
        gl.users.get(u.id)
    with pytest.raises(gitlab.GitlabGetError):
        gl.projects.get(p.id)


def test_blocked_user_token_stops_working(kura, gl):
    kura.create_user("blocky")
    tok = kura.create_token("blocky", "api")
    h = {"PRIVATE-TOKEN": tok}
    assert requests.get(api(kura, "user"), headers=h).status_code == 200
    uid = requests.get(api(kura, "user"), headers=h).json()["id"]
    gl.users.get(uid).block()
    assert requests.get(api(kura, "user"), headers=h).status_code == 401
    gl.users.get(uid).unblock()
    assert requests.get(api(kura, "user"), headers=h).status_code == 200


def test_non_admin_user_views(kura):
    kura.create_user("viewer")
    tok = kura.create_token("viewer", "api")
    h = {"PRIVATE-TOKEN": tok}
    me = requests.get(api(kura, "user"), headers=h).json()
    assert me["email"] == "viewer@example.com" and "is_admin" not in me
    root = requests.get(api(kura, "users/1"), headers=h).json()
    assert root["username"] == "root" and "email" not in root
    assert requests.post(api(kura, "users"), headers=h,
                         json={"username": "x"}).status_code == 403
    assert requests.put(api(kura, "users/1"), headers=h, json={"name": "x"}).status_code == 403
    assert requests.post(api(kura, "users/1/block"), headers=h).status_code == 403
    assert requests.get(api(kura, "users"), headers=h).status_code == 200
    assert requests.get(api(kura, "users")).status_code == 401
    assert requests.get(api(kura, "users/999999"), headers=h).json() == {
        "message": "404 User Not Found"}
    assert requests.get(api(kura, "application/statistics"), headers=h).status_code == 403


def test_personal_access_tokens(kura, gl):
    kura.create_user("tokuser")
    tok = kura.create_token("tokuser", "api", "first")
    h = {"PRIVATE-TOKEN": tok}
    me = requests.get(api(kura, "personal_access_tokens/self"), headers=h).json()
    assert me["name"] == "first" and me["scopes"] == ["api"] and me["active"] is True
    assert me["revoked"] is False and len(me["expires_at"]) == 10
    uid = me["user_id"]
    soon = (datetime.date.today() + datetime.timedelta(days=200)).isoformat()
    r = requests.post(api(kura, f"users/{uid}/personal_access_tokens"),
                      headers={"PRIVATE-TOKEN": kura.root_token()},
                      json={"name": "second", "scopes": ["read_api"], "expires_at": soon})
    assert r.status_code == 201
    second = r.json()
    assert second["token"].startswith("kpat-") and second["expires_at"] == soon
    mine = requests.get(api(kura, "personal_access_tokens"), headers=h).json()
    assert {t["name"] for t in mine} == {"first", "second"}
    assert all("token" not in t for t in mine)
    everyone = gl.personal_access_tokens.list(user_id=uid)
    assert {t.name for t in everyone} == {"first", "second"}
    # Another user's token is invisible to a non-admin.
    kura.create_user("tokother")
    other = kura.create_token("tokother", "api")
    r = requests.delete(api(kura, f"personal_access_tokens/{second['id']}"),
                        headers={"PRIVATE-TOKEN": other})
    assert r.status_code == 404
    r = requests.delete(api(kura, f"personal_access_tokens/{second['id']}"), headers=h)
    assert r.status_code == 204
    assert requests.get(api(kura, "user"),
                        headers={"PRIVATE-TOKEN": second["token"]}).status_code == 401
    inactive = requests.get(api(kura, "personal_access_tokens"), headers=h,
                            params={"state": "inactive"}).json()
    assert [t["name"] for t in inactive] == ["second"]
    for bad in ({"name": "x"}, {"name": "x", "scopes": ["root"]},
                {"name": "x", "scopes": ["api"], "expires_at": "yesterday"},
                {"name": "x", "scopes": ["api"], "expires_at": "2000-01-01"}):
        r = requests.post(api(kura, f"users/{uid}/personal_access_tokens"),
                          headers={"PRIVATE-TOKEN": kura.root_token()}, json=bad)
        assert r.status_code == 400, bad
    r = requests.delete(api(kura, "personal_access_tokens/self"), headers=h)
    assert r.status_code == 204
    assert requests.get(api(kura, "user"), headers=h).status_code == 401
    assert server_alive(kura)


def test_statistics_are_strings(kura, gl):
    r = requests.get(api(kura, "application/statistics"),
                     headers={"PRIVATE-TOKEN": kura.root_token()})
    assert r.status_code == 200
    body = r.json()
    assert body["users"].isdigit() and int(body["users"]) >= 1
    assert all(isinstance(v, str) and v.isdigit() for v in body.values())


def test_groups_and_namespaces(kura, gl):
    kura.create_user("gm1")
    kura.create_user("gm2")
    g = gl.groups.create({"name": "Team", "path": "team", "description": "d"})
    assert g.full_path == "team" and g.parent_id is None and g.visibility == "private"
    ids = [gl.users.list(username=n)[0].id for n in ("gm1", "gm2")]
    for uid in ids:
        g.members.create({"user_id": uid, "access_level": 30})
    assert len(g.members.list()) == 3  # the creator is an Owner
    assert [m.access_level for m in g.members.list() if m.username == "root"] == [50]
    sub = gl.groups.create({"name": "Sub", "path": "sub", "parent_id": g.id})
    assert sub.full_path == "team/sub" and sub.parent_id == g.id
    deep = gl.groups.create({"name": "Deep", "path": "deep", "parent_id": sub.id})
    assert [x.full_path for x in g.subgroups.list()] == ["team/sub"]
    assert {x.full_path for x in g.descendant_groups.list()} == {"team/sub", "team/sub/deep"}
    assert [m.username for m in sub.members.list()] == ["root"]  # creator
    assert len(sub.members_all.list()) == 3
    got = gl.groups.get("team/sub/deep")
    assert got.id == deep.id and got.attributes["projects"] == []
    gl.projects.create({"name": "inside", "namespace_id": deep.id})
    assert [p["name"] for p in gl.groups.get(deep.id).attributes["projects"]] == ["inside"]
    assert [p.name for p in g.projects.list(include_subgroups=True)] == ["inside"]
    assert g.projects.list() == []
    # Rename moves every full path below.
    sub.path = "renamed"
    sub.save()
    assert gl.groups.get(deep.id).full_path == "team/renamed/deep"
    assert gl.projects.get("team/renamed/deep/inside").name == "inside"
    # Namespaces.
    ns = gl.namespaces.list(search="team")
    assert {n.full_path for n in ns} >= {"team", "team/renamed", "team/renamed/deep"}
    assert gl.namespaces.get(g.id).kind == "group"
    h = {"PRIVATE-TOKEN": kura.root_token()}
    r = requests.get(api(kura, "namespaces/team/exists"), headers=h).json()
    assert r["exists"] is True and r["suggests"] == ["team1"]
    r = requests.get(api(kura, "namespaces/free-name/exists"), headers=h).json()
    assert r == {"exists": False, "suggests": []}
    # The last Owner cannot leave or be demoted.
    r = requests.delete(api(kura, f"groups/{g.id}/members/1"), headers=h)
    assert r.status_code == 403
    r = requests.put(api(kura, f"groups/{g.id}/members/1"), headers=h, json={"access_level": 30})
    assert r.status_code == 403
    # A Developer of the group cannot edit it, delete it or add subgroups.
    tok = kura.create_token("gm1", "api")
    hd = {"PRIVATE-TOKEN": tok}
    assert requests.put(api(kura, f"groups/{g.id}"), headers=hd, json={"name": "x"}).status_code == 403
    assert requests.delete(api(kura, f"groups/{g.id}"), headers=hd).status_code == 403
    r = requests.post(api(kura, "groups"), headers=hd,
                      json={"name": "s2", "path": "s2", "parent_id": g.id})
    assert r.status_code == 403
    # Name order (GitLab's default for groups): Deep, Sub, Team.
    assert [x.full_path for x in gl.groups.list(sudo="gm1")] == [
        "team/renamed/deep", "team/renamed", "team"]
    # Invalid input.
    r = requests.post(api(kura, "groups"), headers=h, json={"name": "x"})
    assert r.json() == {"error": "path is missing"}
    r = requests.post(api(kura, "groups"), headers=h, json={"name": "x", "path": "team"})
    assert r.status_code == 400 and r.json()["message"]["path"] == ["has already been taken"]
    r = requests.post(api(kura, "groups"), headers=h, json={"name": "x", "path": "..", })
    assert r.status_code == 400
    r = requests.post(api(kura, "groups"), headers=h,
                      json={"name": "x", "path": "y", "visibility": "open"})
    assert r.json() == {"error": "visibility does not have a valid value"}
    r = requests.post(api(kura, "groups"), headers=h,
                      json={"name": "x", "path": "y", "parent_id": 999999})
    assert r.status_code == 404
    # Delete takes the subgroups and projects with it.
    r = requests.delete(api(kura, f"groups/{g.id}"), headers=h)
    assert r.status_code == 202 and r.json() == {"message": "202 Accepted"}
    assert requests.get(api(kura, "projects/team%2Frenamed%2Fdeep%2Finside"),
                        headers=h).status_code == 404
    assert requests.get(api(kura, f"groups/{deep.id}"), headers=h).status_code == 404


def test_private_group_is_hidden(kura, gl):
    gl.groups.create({"name": "Secret", "path": "secret"})
    pub = gl.groups.create({"name": "Open", "path": "open", "visibility": "public"})
    kura.create_user("outsider")
    tok = kura.create_token("outsider", "api")
    r = requests.get(api(kura, "groups/secret"), headers={"PRIVATE-TOKEN": tok})
    assert r.status_code == 404 and r.json() == {"message": "404 Group Not Found"}
    assert requests.get(api(kura, "groups/secret")).status_code == 404
    assert requests.get(api(kura, f"groups/{pub.id}")).status_code == 200
    assert [g["path"] for g in requests.get(api(kura, "groups")).json()] == ["open"]
    r = requests.get(api(kura, "groups"), headers={"PRIVATE-TOKEN": tok},
                     params={"all_available": "true"})
    assert [g["path"] for g in r.json()] == ["open"]
    r = requests.get(api(kura, "namespaces/secret"), headers={"PRIVATE-TOKEN": tok})
    assert r.status_code == 404
