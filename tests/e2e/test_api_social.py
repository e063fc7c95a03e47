"""Stars, forks, transfers, group shares, user administration (memberships,
ban, impersonation tokens), housekeeping and uploads through the API, with
python-gitlab where it has methods; permission matrices per role and hostile
input (group cycles, ../ in upload names, oversized and malformed uploads)."""
import time

import pytest
import requests

from conftest import git, make_repo, commit, server_alive

ROLES = {"guest": 10, "reporter": 20, "developer": 30, "maintainer": 40, "owner": 50}
WHO = list(ROLES) + ["other", "admin", "anonymous"]


def api(kura, path):
    return f"{kura.base}/api/v4/{path.lstrip('/')}"


def call(kura, token, method, path, **kw):
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.request(method, api(kura, path), headers=headers, timeout=60, **kw)


@pytest.fixture(scope="module")
def people(kura):
    tokens, ids = {}, {}
    for name in list(ROLES) + ["other"]:
        kura.create_user(f"so-{name}")
        tokens[name] = kura.create_token(f"so-{name}", "api,write_repository", "t")
        ids[name] = requests.get(api(kura, "user"),
                                 headers={"PRIVATE-TOKEN": tokens[name]}).json()["id"]
    tokens["admin"] = kura.root_token()
    tokens["anonymous"] = None
    return tokens, ids


def new_project(gl, ids, name, vis="private", members=True, namespace_id=None):
    data = {"name": name, "visibility": vis}
    if namespace_id:
        data["namespace_id"] = namespace_id
    p = gl.projects.create(data)
    if members:
        for role, level in ROLES.items():
            if role != "owner" or True:
                p.members.create({"user_id": ids[role], "access_level": level})
    return p


# --- stars ---------------------------------------------------------------------

def test_star_unstar_and_starrers(kura, gl, people):
    tokens, ids = people
    p = new_project(gl, ids, "starry", "public", members=False)
    p.star()
    assert gl.projects.get(p.id).star_count == 1
    r = call(kura, tokens["admin"], "POST", f"projects/{p.id}/star")
    assert r.status_code == 304
    r = call(kura, tokens["other"], "POST", f"projects/{p.id}/star")
    assert r.status_code == 201 and r.json()["star_count"] == 2
    starrers = call(kura, None, "GET", f"projects/{p.id}/starrers").json()
    assert {s["user"]["username"] for s in starrers} == {"root", "so-other"}
    assert all(s["starred_since"].endswith("Z") for s in starrers)
    mine = call(kura, tokens["other"], "GET", "projects", params={"starred": "true"}).json()
    assert [x["id"] for x in mine] == [p.id]
    p.unstar()
    assert call(kura, tokens["admin"], "POST", f"projects/{p.id}/unstar").status_code == 304
    assert gl.projects.get(p.id).star_count == 1
    assert call(kura, None, "POST", f"projects/{p.id}/star").status_code == 401


def test_star_matrix_private(kura, gl, people):
    tokens, ids = people
    p = new_project(gl, ids, "starpriv")
    for who in WHO:
        r = call(kura, tokens[who], "POST", f"projects/{p.id}/star")
        want = {"anonymous": 401, "other": 404}.get(who, 201)
        assert r.status_code == want, (who, r.text)


# --- forks ---------------------------------------------------------------------

def test_fork_copies_refs_and_is_independent(kura, gl, people, tmp_path):
    tokens, ids = people
    src = new_project(gl, ids, "forksrc", "internal", members=False)
    repo = make_repo(tmp_path / "src", {"README": "one\n"})
    git(repo, "tag", "v1")
    git(repo, "branch", "feature")
    git(repo, "push", "-q", kura.git_url(f"root/forksrc", "root", tokens["admin"]),
        "main", "feature", "v1")
    r = call(kura, tokens["other"], "POST", f"projects/{src.id}/fork")
    assert r.status_code == 201, r.text
    fork = r.json()
    assert fork["path_with_namespace"] == "so-other/forksrc"
    assert fork["forked_from_project"]["id"] == src.id
    assert fork["visibility"] == "internal"
    assert gl.projects.get(src.id).forks_count == 1
    out = tmp_path / "clone"
    git(tmp_path, "clone", "-q", kura.git_url("so-other/forksrc", "so-other", tokens["other"]),
        str(out))
    refs = git(out, "ls-remote", "origin").stdout
    assert "refs/heads/feature" in refs and "refs/tags/v1" in refs
    assert (out / "README").read_text() == "one\n"
    # A later push to the source does not reach the fork.
    new = commit(repo, {"README": "two\n"})
    git(repo, "push", "-q", kura.git_url("root/forksrc", "root", tokens["admin"]), "main")
    assert new not in git(out, "ls-remote", "origin").stdout
    # The fork's repository has no alternates (no shared object store).
    dirs = kura.repo_dirs()
    assert not any((d / "objects" / "info" / "alternates").exists() for d in dirs)
    forks = src.forks.list()
    assert [f.id for f in forks] == [fork["id"]]
    # More open than the source is refused; python-gitlab's create works.
    r = call(kura, tokens["developer"], "POST", f"projects/{src.id}/fork",
             json={"visibility": "public"})
    assert r.status_code == 400
    f2 = src.forks.create({"path": "forksrc-2", "name": "forksrc-2"})
    assert f2.forked_from_project["id"] == src.id
    # Removing the relation.
    r = call(kura, tokens["other"], "DELETE", f"projects/{fork['id']}/fork")
    assert r.status_code == 204
    assert "forked_from_project" not in call(kura, tokens["other"], "GET",
                                             f"projects/{fork['id']}").json()
    assert call(kura, tokens["other"], "DELETE", f"projects/{fork['id']}/fork").status_code == 304
    # A name clash in the target namespace.
    r = call(kura, tokens["admin"], "POST", f"projects/{src.id}/fork",
             json={"namespace_path": "root"})
    assert r.status_code in (400, 409)


def test_fork_matrix_private(kura, gl, people, tmp_path):
    tokens, ids = people
    p = new_project(gl, ids, "forkpriv")
    repo = make_repo(tmp_path / "s", {"a": "a\n"})
    git(repo, "push", "-q", kura.git_url("root/forkpriv", "root", tokens["admin"]), "main")
    for who in WHO:
        r = call(kura, tokens[who], "POST", f"projects/{p.id}/fork",
                 json={"path": f"fp-{who}", "name": f"fp-{who}"})
        want = {"anonymous": 401, "other": 404, "guest": 403}.get(who, 201)
        assert r.status_code == want, (who, r.text)
    # A group the caller cannot create projects in.
    g = gl.groups.create({"name": "fkg", "path": "fkg"})
    r = call(kura, tokens["developer"], "POST", f"projects/{p.id}/fork",
             json={"namespace_id": g.id})
    assert r.status_code == 404


# --- transfers -----------------------------------------------------------------

def test_project_transfer(kura, gl, people, tmp_path):
    tokens, ids = people
    g = gl.groups.create({"name": "tdest", "path": "tdest"})
    g.members.create({"user_id": ids["owner"], "access_level": 40})
    g.members.create({"user_id": ids["developer"], "access_level": 30})
    p = new_project(gl, ids, "moving")
    repo = make_repo(tmp_path / "m", {"f": "x\n"})
    git(repo, "push", "-q", kura.git_url("root/moving", "root", tokens["admin"]), "main")
    # Only the project's Owner (or admin) moves it; Maintainer+ in the target.
    for who in ("anonymous", "other", "guest", "developer", "maintainer"):
        r = call(kura, tokens[who], "PUT", f"projects/{p.id}/transfer",
                 json={"namespace": g.id})
        assert r.status_code == {"anonymous": 401, "other": 404}.get(who, 403), who
    r = call(kura, tokens["owner"], "PUT", f"projects/{p.id}/transfer",
             json={"namespace": "tdest"})
    assert r.status_code == 200, r.text
    assert r.json()["path_with_namespace"] == "tdest/moving"
    out = tmp_path / "c"
    git(tmp_path, "clone", "-q", kura.git_url("tdest/moving", "root", tokens["admin"]), str(out))
    assert (out / "f").read_text() == "x\n"
    old = git(tmp_path, "ls-remote", kura.git_url("root/moving", "root", tokens["admin"]),
              check=False)
    assert old.returncode != 0
    assert call(kura, tokens["admin"], "GET", "projects/root%2Fmoving").status_code == 404
    # Name clash: 400; unknown namespace: 404; missing parameter: 400.
    gl.projects.create({"name": "moving"})
    proj = gl.projects.get(p.id)
    r = call(kura, tokens["admin"], "PUT", f"projects/{p.id}/transfer", json={"namespace": "root"})
    assert r.status_code == 400
    assert call(kura, tokens["admin"], "PUT", f"projects/{p.id}/transfer",
                json={"namespace": "nope-ns"}).status_code == 404
    assert call(kura, tokens["admin"], "PUT", f"projects/{p.id}/transfer").status_code == 400
    # python-gitlab
    g2 = gl.groups.create({"name": "tdest2", "path": "tdest2"})
    proj.transfer(g2.id)
    assert gl.projects.get(p.id).namespace["full_path"] == "tdest2"


def test_group_transfer_and_cycles(kura, gl, people):
    tokens, ids = people
    a = gl.groups.create({"name": "ga", "path": "ga"})
    b = gl.groups.create({"name": "gb", "path": "gb", "parent_id": a.id})
    c = gl.groups.create({"name": "gc", "path": "gc"})
    p = gl.projects.create({"name": "deep", "namespace_id": b.id})
    # Into itself or its descendant: refused, nothing changes.
    for target in (a.id, b.id):
        r = call(kura, tokens["admin"], "POST", f"groups/{a.id}/transfer",
                 json={"group_id": target})
        assert r.status_code == 400, r.text
    b.transfer(c.id)
    assert gl.groups.get(b.id).full_path == "gc/gb"
    assert gl.projects.get(p.id).path_with_namespace == "gc/gb/deep"
    r = call(kura, tokens["admin"], "POST", f"groups/{c.id}/transfer",
             json={"group_id": b.id})
    assert r.status_code == 400
    b.transfer()
    assert gl.groups.get(b.id).full_path == "gb"
    assert gl.groups.get(b.id).parent_id is None
    # A clash at the target.
    gl.groups.create({"name": "gb", "path": "gb", "parent_id": a.id})
    r = call(kura, tokens["admin"], "POST", f"groups/{b.id}/transfer", json={"group_id": a.id})
    assert r.status_code == 400
    # Non-owners.
    for who in ("anonymous", "other", "developer"):
        r = call(kura, tokens[who], "POST", f"groups/{b.id}/transfer", json={"group_id": c.id})
        assert r.status_code in (401, 403, 404), who
    assert server_alive(kura)


# --- sharing ---------------------------------------------------------------------

def test_project_share_gives_git_access(kura, gl, people, tmp_path):
    tokens, ids = people
    team = gl.groups.create({"name": "team", "path": "team"})
    team.members.create({"user_id": ids["other"], "access_level": 40})
    p = gl.projects.create({"name": "sharedp", "visibility": "private"})
    repo = make_repo(tmp_path / "s", {"a": "1\n"})
    git(repo, "push", "-q", kura.git_url("root/sharedp", "root", tokens["admin"]), "main")
    url = kura.git_url("root/sharedp", "so-other", tokens["other"])
    assert git(tmp_path, "ls-remote", url, check=False).returncode != 0
    p.share(team.id, 20)
    assert gl.projects.get(p.id).shared_with_groups[0]["group_access_level"] == 20
    git(tmp_path, "clone", "-q", url, str(tmp_path / "c"))
    # Reporter through the share (capped below the group's Maintainer): no push.
    commit(tmp_path / "c", {"b": "2\n"})
    assert git(tmp_path / "c", "push", "-q", "origin", "main", check=False).returncode != 0
    r = call(kura, tokens["other"], "GET", f"projects/{p.id}")
    assert r.json()["permissions"]["project_access"]["access_level"] == 20
    p.unshare(team.id)
    assert git(tmp_path, "ls-remote", url, check=False).returncode != 0
    assert call(kura, tokens["admin"], "DELETE",
                f"projects/{p.id}/share/{team.id}").status_code == 404


def test_group_share_and_matrix(kura, gl, people, tmp_path):
    tokens, ids = people
    g = gl.groups.create({"name": "shg", "path": "shg"})
    for role, level in ROLES.items():
        g.members.create({"user_id": ids[role], "access_level": level})
    inner = gl.projects.create({"name": "inner", "namespace_id": g.id})
    repo = make_repo(tmp_path / "s", {"a": "1\n"})
    git(repo, "push", "-q", kura.git_url("shg/inner", "root", tokens["admin"]), "main")
    # The invited group must be visible to whoever shares with it.
    friends = gl.groups.create({"name": "friends", "path": "friends", "visibility": "public"})
    sub = gl.groups.create({"name": "fsub", "path": "fsub", "parent_id": friends.id,
                            "visibility": "public"})
    hidden = gl.groups.create({"name": "hidden", "path": "hidden"})
    assert call(kura, tokens["owner"], "POST", f"groups/{g.id}/share",
                json={"group_id": hidden.id, "group_access": 30}).status_code == 404
    friends.members.create({"user_id": ids["other"], "access_level": 30})
    for who in WHO:
        if who in ("owner", "admin"):
            continue
        r = call(kura, tokens[who], "POST", f"groups/{g.id}/share",
                 json={"group_id": sub.id, "group_access": 30})
        assert r.status_code == {"anonymous": 401, "other": 404}.get(who, 403), who
    r = call(kura, tokens["owner"], "POST", f"groups/{g.id}/share",
             json={"group_id": sub.id, "group_access": 30, "expires_at": "2999-01-01"})
    assert r.status_code == 201, r.text
    assert r.json()["shared_with_groups"][0]["expires_at"] == "2999-01-01"
    assert call(kura, tokens["owner"], "POST", f"groups/{g.id}/share",
                json={"group_id": sub.id, "group_access": 30}).status_code == 409
    assert call(kura, tokens["owner"], "POST", f"groups/{g.id}/share",
                json={"group_id": g.id, "group_access": 30}).status_code == 400
    assert call(kura, tokens["owner"], "POST", f"groups/{g.id}/share",
                json={"group_id": sub.id, "group_access": 33}).status_code == 400
    # Inherited member of the invited group reaches the shared group's project.
    url = kura.git_url("shg/inner", "so-other", tokens["other"])
    git(tmp_path, "clone", "-q", url, str(tmp_path / "c"))
    commit(tmp_path / "c", {"b": "2\n"})
    # Developer through the share: a new branch, not the protected main.
    git(tmp_path / "c", "push", "-q", "origin", "HEAD:topic")
    assert git(tmp_path / "c", "push", "-q", "origin", "main", check=False).returncode != 0
    assert len(gl.groups.get(g.id).shared_with_groups) == 1
    g.unshare(sub.id)
    assert git(tmp_path, "ls-remote", url, check=False).returncode != 0
    # python-gitlab's share
    g.share(sub.id, 10)
    assert gl.groups.get(g.id).shared_with_groups[0]["group_access_level"] == 10
    # An expired share counts as none.
    kura.sql(f"UPDATE group_group_links SET expires_at = 1 WHERE shared_group_id = {g.id}")
    assert git(tmp_path, "ls-remote", url, check=False).returncode != 0


# --- users ---------------------------------------------------------------------

def test_memberships_ban_and_impersonation(kura, gl, people, tmp_path):
    tokens, ids = people
    kura.create_user("so-banme")
    tok = kura.create_token("so-banme", "api")
    u = gl.users.list(username="so-banme")[0]
    g = gl.groups.create({"name": "memg", "path": "memg"})
    g.members.create({"user_id": u.id, "access_level": 30})
    m = call(kura, tokens["admin"], "GET", f"users/{u.id}/memberships").json()
    assert {"source_id": g.id, "source_name": "memg", "source_type": "Namespace",
            "access_level": 30} in m
    assert call(kura, tokens["other"], "GET", f"users/{u.id}/memberships").status_code == 403
    assert call(kura, None, "GET", f"users/{u.id}/memberships").status_code == 401
    assert call(kura, tokens["admin"], "GET", f"users/{u.id}/memberships",
                params={"type": "Bogus"}).status_code == 400
    u.ban()
    assert gl.users.get(u.id).state == "banned"
    assert call(kura, tok, "GET", "user").status_code == 401
    r = call(kura, tokens["admin"], "POST", f"users/{u.id}/ban")
    assert r.status_code == 403
    assert call(kura, tokens["other"], "POST", f"users/{u.id}/unban").status_code == 403
    u.unban()
    assert call(kura, tok, "GET", "user").status_code == 200
    assert call(kura, tokens["admin"], "POST", f"users/{u.id}/unban").status_code == 403
    # Impersonation tokens.
    it = u.impersonationtokens.create({"name": "imp", "scopes": ["api"]})
    assert it.impersonation is True and it.token
    assert call(kura, it.token, "GET", "user").json()["username"] == "so-banme"
    assert [t.id for t in u.impersonationtokens.list()] == [it.id]
    assert call(kura, tokens["other"], "POST", f"users/{u.id}/impersonation_tokens",
                json={"name": "x", "scopes": ["api"]}).status_code == 403
    assert call(kura, tokens["admin"], "POST", f"users/{u.id}/impersonation_tokens",
                json={"name": "x", "scopes": ["nope"]}).status_code == 400
    it.delete()
    assert call(kura, it.token, "GET", "user").status_code == 401
    assert u.impersonationtokens.list(state="inactive")[0].id == it.id
    assert call(kura, tokens["admin"], "GET",
                f"users/{u.id}/impersonation_tokens/999999").status_code == 404


# --- housekeeping and uploads ----------------------------------------------------

def test_housekeeping(kura, gl, people, tmp_path):
    tokens, ids = people
    p = new_project(gl, ids, "hk")
    repo = make_repo(tmp_path / "s", {"a": "1\n"})
    for i in range(3):
        commit(repo, {"a": f"{i}\n"})
    git(repo, "push", "-q", kura.git_url("root/hk", "root", tokens["admin"]), "main")
    for who in WHO:
        r = call(kura, tokens[who], "POST", f"projects/{p.id}/housekeeping")
        want = {"anonymous": 401, "other": 404, "guest": 403, "reporter": 403,
                "developer": 403}.get(who, 201)
        assert r.status_code == want, (who, r.text)
    gl.projects.get(p.id).housekeeping()
    deadline = time.time() + 30
    while time.time() < deadline:
        if kura.sql("SELECT count(*) FROM jobs WHERE kind = 'housekeeping'"
                    " AND finished_at IS NULL")[0][0] == 0:
            break
        time.sleep(0.3)
    bitmaps = [b for d in kura.repo_dirs() for b in (d / "objects" / "pack").glob("*.bitmap")]
    assert bitmaps
    out = tmp_path / "c"
    git(tmp_path, "clone", "-q", kura.git_url("root/hk", "root", tokens["admin"]), str(out))
    assert (out / "a").read_text() == "2\n"


def test_uploads(kura, gl, people):
    tokens, ids = people
    p = new_project(gl, ids, "upl")
    up = gl.projects.get(p.id).upload("pic.png", filedata=b"\x89PNG data")
    assert up["alt"] == "pic" and up["markdown"] == f"![pic]({up['url']})"
    full = call(kura, tokens["admin"], "POST", f"projects/{p.id}/uploads",
                files={"file": ("notes.txt", b"n")}).json()
    assert full["full_path"] == f"/root/upl{full['url']}"
    assert full["markdown"] == f"[notes]({full['url']})"
    secret = up["url"].split("/")[2]
    stored = list((kura.data_dir / "uploads").glob(f"@hashed/*/*/*/{secret}/pic.png"))
    assert stored and stored[0].read_bytes() == b"\x89PNG data"
    for who in WHO:
        r = call(kura, tokens[who], "POST", f"projects/{p.id}/uploads",
                 files={"file": ("a.txt", b"hi")})
        want = {"anonymous": 401, "other": 404}.get(who, 201)
        assert r.status_code == want, (who, r.text)
    # Hostile names never leave the upload directory.
    r = call(kura, tokens["admin"], "POST", f"projects/{p.id}/uploads",
             files={"file": ("../../../evil.txt", b"x")})
    assert r.status_code == 201 and r.json()["url"].endswith("/evil.txt")
    assert [e.parents[5] for e in kura.data_dir.glob("**/evil.txt")] == \
        [kura.data_dir / "uploads"]
    for bad in ("..", "../..", "/", ""):
        r = call(kura, tokens["admin"], "POST", f"projects/{p.id}/uploads",
                 files={"file": (bad, b"x")})
        assert r.status_code == 400, bad
    # Malformed multipart, missing field, wrong content type.
    h = {"PRIVATE-TOKEN": tokens["admin"], "Content-Type": "multipart/form-data; boundary=zz"}
    for body in (b"garbage", b"--zz\r\nContent-Disposition: form-data; name=\"file\"",
                 b"--zz--\r\n"):
        r = requests.post(api(kura, f"projects/{p.id}/uploads"), headers=h, data=body)
        assert r.status_code == 400, body
    r = call(kura, tokens["admin"], "POST", f"projects/{p.id}/uploads",
             files={"other": ("a.txt", b"x")})
    assert r.status_code == 400 and "file" in r.json()["error"]
    r = call(kura, tokens["admin"], "POST", f"projects/{p.id}/uploads", json={"file": "x"})
    assert r.status_code == 400
    # Oversized: 413, and the server still answers.
    r = call(kura, tokens["admin"], "POST", f"projects/{p.id}/uploads",
             files={"file": ("big.bin", b"\0" * (11 * 1024 * 1024))})
    assert r.status_code == 413
    assert server_alive(kura)
