"""API infrastructure: authentication carriers, sudo, scopes, parameter
merging, error shapes, limits, encoded ids and pagination."""
import json
import warnings

import pytest
import requests

from conftest import server_alive


def api(kura, path):
    return f"{kura.base}/api/v4/{path.lstrip('/')}"


@pytest.fixture(scope="module")
def alice(kura):
    kura.create_user("alice")
    return kura.create_token("alice", "api", "alice-api")


def test_version_needs_auth_and_has_exact_content_type(kura, gl):
    r = requests.get(api(kura, "version"))
    assert r.status_code == 401
    assert r.json() == {"message": "401 Unauthorized"}
    r = requests.get(api(kura, "version"), headers={"PRIVATE-TOKEN": kura.root_token()})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert set(r.json()) >= {"version", "revision"}
    assert gl.version()[0] != "unknown"
    meta = requests.get(api(kura, "metadata"),
                        headers={"PRIVATE-TOKEN": kura.root_token()}).json()
    assert meta["kas"]["enabled"] is False and meta["enterprise"] is False


def test_every_credential_carrier(kura, alice):
    for kw in ({"headers": {"PRIVATE-TOKEN": alice}},
               {"headers": {"Authorization": f"Bearer {alice}"}},
               {"params": {"private_token": alice}},
               {"params": {"access_token": alice}}):
        r = requests.get(api(kura, "user"), **kw)
        assert r.status_code == 200, kw
        assert r.json()["username"] == "alice"


def test_bad_token_is_401_even_on_public_routes(kura):
    for path in ("user", "projects", "version"):
        r = requests.get(api(kura, path), headers={"PRIVATE-TOKEN": "kpat-nope"})
        assert r.status_code == 401
        assert r.json() == {"message": "401 Unauthorized"}


def test_unknown_route_and_wrong_method(kura):
    r = requests.get(api(kura, "no/such/thing"))
    assert r.status_code == 404
    assert r.json() == {"error": "404 Not Found"}
    r = requests.patch(api(kura, "version"))
    assert r.status_code == 405
    r = requests.get(f"{kura.base}/api/v4")
    assert r.status_code == 404 and r.json() == {"error": "404 Not Found"}


def test_gl_auth_and_current_user(gl):
    gl.auth()
    assert gl.user.username == "root"
    assert gl.user.is_admin is True


def test_sudo_by_username_id_and_header(kura, gl, alice):
    root = {"PRIVATE-TOKEN": kura.root_token()}
    uid = requests.get(api(kura, "user"), headers={"PRIVATE-TOKEN": alice}).json()["id"]
    for kw in ({"params": {"sudo": "alice"}}, {"params": {"sudo": str(uid)}},
               {"headers": {"Sudo": "alice"}}):
        headers = dict(root, **kw.get("headers", {}))
        r = requests.get(api(kura, "user"), headers=headers, params=kw.get("params"))
        assert r.status_code == 200
        assert r.json()["username"] == "alice"
    # A sudo target that is not an admin cannot reach admin endpoints.
    r = requests.get(api(kura, "application/statistics"), headers=root,
                     params={"sudo": "alice"})
    assert r.status_code == 403
    assert r.json()["message"] == "403 Forbidden"
    r = requests.get(api(kura, "user"), headers=root, params={"sudo": "nobody-here"})
    assert r.status_code == 404
    assert "nobody-here" in r.json()["message"]


def test_sudo_refused_for_non_admin_and_without_scope(kura, alice):
    r = requests.get(api(kura, "user"), headers={"PRIVATE-TOKEN": alice, "Sudo": "root"})
    assert r.status_code == 403
    assert r.json() == {"message": "403 Forbidden - Must be admin to use sudo"}
    plain = kura.create_token("root", "api", "root-no-sudo")
    r = requests.get(api(kura, "user"), headers={"PRIVATE-TOKEN": plain, "Sudo": "alice"})
    assert r.status_code == 403
    assert r.json()["error"] == "insufficient_scope"


def test_scopes(kura, alice):
    ro = kura.create_token("alice", "read_api", "ro")
    ru = kura.create_token("alice", "read_user", "ru")
    repo = kura.create_token("alice", "read_repository", "repo")
    assert requests.get(api(kura, "projects"), headers={"PRIVATE-TOKEN": ro}).status_code == 200
    r = requests.post(api(kura, "projects"), headers={"PRIVATE-TOKEN": ro},
                      json={"name": "nope"})
    assert r.status_code == 403
    assert r.json()["error"] == "insufficient_scope" and r.json()["scope"] == "api"
    assert requests.get(api(kura, "user"), headers={"PRIVATE-TOKEN": ru}).status_code == 200
    assert requests.get(api(kura, "projects"), headers={"PRIVATE-TOKEN": ru}).status_code == 403
    for path in ("user", "projects"):
        assert requests.get(api(kura, path),
                            headers={"PRIVATE-TOKEN": repo}).status_code == 403


def test_params_from_query_form_and_json(kura, alice):
    h = {"PRIVATE-TOKEN": alice}
    r = requests.post(api(kura, "projects"), headers=h, params={"name": "from-query"},
                      json={})
    assert r.status_code == 201 and r.json()["path"] == "from-query"
    r = requests.post(api(kura, "projects"), headers=h,
                      data={"name": "from-form", "description": "a b+c"})
    assert r.status_code == 201
    assert r.json()["description"] == "a b+c"
    r = requests.post(api(kura, "projects"), headers=h,
                      json={"name": "from-json", "visibility": "internal"})
    assert r.status_code == 201 and r.json()["visibility"] == "internal"
    # The body wins over the query string.
    r = requests.post(api(kura, "projects"), headers=h, params={"name": "q-name"},
                      json={"name": "body-name"})
    assert r.json()["name"] == "body-name"
    # GitLab's boolean spellings.
    for v in ("True", "true", "1"):
        r = requests.get(api(kura, "projects"), headers=h, params={"owned": v})
        assert r.status_code == 200 and len(r.json()) == 4
    r = requests.get(api(kura, "projects"), headers=h, params={"owned": "maybe"})
    assert r.status_code == 400 and r.json() == {"error": "owned is invalid"}


def test_hostile_bodies(kura, alice):
    h = {"PRIVATE-TOKEN": alice}
    r = requests.post(api(kura, "projects"), headers=dict(h, **{"Content-Type": "application/json"}),
                      data=b'{"name": ')
    assert r.status_code == 400 and "error" in r.json()
    r = requests.post(api(kura, "projects"), headers=dict(h, **{"Content-Type": "application/json"}),
                      data=b'["name"]')
    assert r.status_code == 400
    r = requests.post(api(kura, "projects"), headers=h, json={"name": ["a", "b"]})
    assert r.status_code == 400 and r.json() == {"error": "name is invalid"}
    big = b'{"name": "x", "description": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    r = requests.post(api(kura, "projects"),
                      headers=dict(h, **{"Content-Type": "application/json"}), data=big)
    assert r.status_code == 413
    deep = b"[" * 100000 + b"]" * 100000
    r = requests.post(api(kura, "projects"),
                      headers=dict(h, **{"Content-Type": "application/json"}), data=deep)
    assert r.status_code in (400, 413)
    r = requests.post(api(kura, "projects"), headers=h,
                      data="&".join(f"k{i}[a][b][c][d][e]=v" for i in range(2000)),
                      params={"name": "many-fields"})
    assert r.status_code in (201, 413)
    r = requests.get(api(kura, "projects/%00"), headers=h)
    assert r.status_code == 404
    r = requests.get(api(kura, "projects/%zz"), headers=h)
    assert r.status_code == 404
    assert server_alive(kura)


def test_bracket_encodings_reach_handlers(kura, gl):
    user = gl.users.create({"username": "scoped", "email": "scoped@example.com",
                            "name": "Scoped", "password": "password-123"})
    r = requests.post(api(kura, f"users/{user.id}/personal_access_tokens"),
                      headers={"PRIVATE-TOKEN": kura.root_token(),
                               "Content-Type": "application/x-www-form-urlencoded"},
                      data="name=t&scopes[]=read_api&scopes[]=read_user")
    assert r.status_code == 201, r.text
    assert sorted(r.json()["scopes"]) == ["read_api", "read_user"]
    assert r.json()["token"].startswith("kpat-")


def test_encoded_ids_and_dots(kura, gl):
    group = gl.groups.create({"name": "enc", "path": "enc"})
    sub = gl.groups.create({"name": "sub", "path": "sub", "parent_id": group.id})
    proj = gl.projects.create({"name": "my.proj", "namespace_id": sub.id})
    for ident in ("enc%2Fsub%2Fmy.proj", "ENC%2Fsub%2Fmy.proj", str(proj.id)):
        r = requests.get(api(kura, f"projects/{ident}"),
                         headers={"PRIVATE-TOKEN": kura.root_token()})
        assert r.status_code == 200, ident
        assert r.json()["path_with_namespace"] == "enc/sub/my.proj"
    assert gl.projects.get("enc/sub/my.proj").id == proj.id
    r = requests.get(api(kura, "projects/enc/sub/my.proj"),
                     headers={"PRIVATE-TOKEN": kura.root_token()})
    assert r.status_code == 404
    assert gl.groups.get("enc/sub").id == sub.id


def test_pagination_follows_link_across_pages(kura, gl):
    group = gl.groups.create({"name": "paged", "path": "paged"})
    for i in range(7):
        gl.projects.create({"name": f"p{i}", "namespace_id": group.id})
    h = {"PRIVATE-TOKEN": kura.root_token()}
    url = api(kura, f"groups/{group.id}/projects") + "?per_page=2&order_by=id&sort=asc"
    seen, pages = [], 0
    while url:
        r = requests.get(url, headers=h)
        assert r.status_code == 200
        pages += 1
        seen += [p["name"] for p in r.json()]
        assert r.headers["X-Total"] == "7" and r.headers["X-Total-Pages"] == "4"
        assert r.headers["X-Per-Page"] == "2"
        assert r.links["first"]["url"].startswith(kura.base)
        assert "last" in r.links
        url = r.links.get("next", {}).get("url")
    assert pages == 4
    assert seen == [f"p{i}" for i in range(7)]
    r = requests.get(api(kura, f"groups/{group.id}/projects"), headers=h,
                     params={"per_page": 2, "page": 4})
    # GitLab sends an empty X-Next-Page on the last page; libmicrohttpd
    # drops empty headers, which clients read the same way.
    assert r.headers.get("X-Next-Page", "") == "" and r.headers["X-Prev-Page"] == "3"
    r = requests.get(api(kura, "projects"), headers=h, params={"per_page": 1000})
    assert r.headers["X-Per-Page"] == "100"
    r = requests.get(api(kura, "projects"), headers=h, params={"page": "x"})
    assert r.status_code == 400
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = gl.groups.get(group.id).projects.list(get_all=True, per_page=2)
        assert len(got) == 7
        it = gl.projects.list(iterator=True, per_page=3)
        assert len(list(it)) >= 7


def test_head_and_timestamps(kura, gl):
    h = {"PRIVATE-TOKEN": kura.root_token()}
    r = requests.head(api(kura, "projects"), headers=h)
    assert r.status_code == 200 and r.headers["X-Total"]
    assert r.content == b""
    proj = gl.projects.create({"name": "stamp"})
    r = requests.head(api(kura, f"projects/{proj.id}"), headers=h)
    assert r.status_code == 200
    body = requests.get(api(kura, f"projects/{proj.id}"), headers=h).json()
    assert len(body["created_at"]) == 24 and body["created_at"].endswith("Z")
    assert body["readme_url"] is None and body["avatar_url"] is None
    assert body["http_url_to_repo"] == f"{kura.base}/root/stamp.git"
    assert body["web_url"] == f"{kura.base}/root/stamp"
    assert body["empty_repo"] is True
