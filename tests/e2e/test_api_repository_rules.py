"""Who may read and write repositories through the API, the protected-branch
rules a git push obeys, push events for API writes, and hostile input."""
import json

import gitlab
import pytest
import requests

from conftest import server_alive

ROLES = {"guest": 10, "reporter": 20, "developer": 30, "maintainer": 40}


def api(kura, path):
    return f"{kura.base}/api/v4/{path.lstrip('/')}"


def call(kura, method, path, token="root", **kw):
    if token == "root":
        token = kura.root_token()
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.request(method, api(kura, path), headers=headers, timeout=30, **kw)


@pytest.fixture(scope="module")
def setup(kura, gl):
    p = gl.projects.create({"name": "rules", "initialize_with_readme": True})
    tokens = {}
    for role, level in list(ROLES.items()) + [("other", 0)]:
        kura.create_user(f"rr-{role}")
        tokens[role] = kura.create_token(f"rr-{role}", "api")
        if level:
            uid = requests.get(api(kura, "user"), headers={"PRIVATE-TOKEN": tokens[role]},
                               timeout=10).json()["id"]
            p.members.create({"user_id": uid, "access_level": level})
    return p, tokens


def new_file(kura, pid, token, branch, path="f.txt", **extra):
    data = {"branch": branch, "content": "x", "commit_message": "m", **extra}
    return call(kura, "POST", f"projects/{pid}/repository/files/{path}", token, json=data)


def test_read_permissions(kura, setup):
    p, tokens = setup
    path = f"projects/{p.id}/repository/tree"
    for who in ("reporter", "developer", "maintainer"):
        assert call(kura, "GET", path, tokens[who]).status_code == 200, who
    assert call(kura, "GET", path, tokens["guest"]).status_code == 403
    r = call(kura, "GET", path, tokens["other"])
    assert r.status_code == 404 and r.json() == {"message": "404 Project Not Found"}
    assert call(kura, "GET", path, None).status_code == 404


def test_public_project_reads_anonymously_writes_need_auth(kura, gl):
    p = gl.projects.create({"name": "open", "visibility": "public",
                            "initialize_with_readme": True})
    assert call(kura, "GET", f"projects/{p.id}/repository/branches", None).status_code == 200
    assert call(kura, "GET", f"projects/{p.id}/repository/files/README.md/raw",
                None).content == b"# open\n"
    assert new_file(kura, p.id, None, "main").status_code == 401


def test_write_permissions_and_protected_main(kura, setup):
    p, tokens = setup
    # main is protected (Maintainers) since the README commit
    assert p.branches.get("main").protected is True
    for who in ("guest", "reporter"):
        r = new_file(kura, p.id, tokens[who], "main")
        assert r.status_code == 403, who
        r = call(kura, "POST", f"projects/{p.id}/repository/branches", tokens[who],
                 json={"branch": f"by-{who}", "ref": "main"})
        assert r.status_code == 403, who
    r = new_file(kura, p.id, tokens["developer"], "main")
    assert r.status_code == 403
    assert "You are not allowed to push into this branch" in r.json()["message"]
    r = call(kura, "POST", f"projects/{p.id}/repository/commits", tokens["developer"],
             json={"branch": "main", "commit_message": "m",
                   "actions": [{"action": "create", "file_path": "y", "content": "y"}]})
    assert r.status_code == 403
    # the developer works on a branch of their own instead
    r = call(kura, "POST", f"projects/{p.id}/repository/branches", tokens["developer"],
             json={"branch": "dev-work", "ref": "main"})
    assert r.status_code == 201 and r.json()["can_push"] is True
    assert new_file(kura, p.id, tokens["developer"], "dev-work").status_code == 201
    main = call(kura, "GET", f"projects/{p.id}/repository/branches/main",
                tokens["developer"]).json()
    assert main["can_push"] is False and main["developers_can_push"] is False
    assert new_file(kura, p.id, tokens["maintainer"], "main", "m.txt").status_code == 201


def test_protected_branch_deletion_and_no_one_level(kura, setup):
    p, tokens = setup
    p.protectedbranches.create({"name": "release/*", "push_access_level": 30})
    p.branches.create({"branch": "release/1", "ref": "main"})
    r = new_file(kura, p.id, tokens["developer"], "release/1")
    assert r.status_code == 201
    r = call(kura, "DELETE", f"projects/{p.id}/repository/branches/release%2F1",
             tokens["developer"])
    assert r.status_code == 403
    r = call(kura, "DELETE", f"projects/{p.id}/repository/branches/release%2F1",
             tokens["maintainer"])
    assert r.status_code == 204
    p.protectedbranches.create({"name": "frozen", "push_access_level": 0})
    r = call(kura, "POST", f"projects/{p.id}/repository/branches", tokens["maintainer"],
             json={"branch": "frozen", "ref": "main"})
    assert r.status_code == 403
    r = new_file(kura, p.id, tokens["maintainer"], "frozen", start_branch="main")
    assert r.status_code == 403


def test_api_writes_record_push_events_and_jobs(kura, setup):
    p, tokens = setup
    before = kura.sql(f"SELECT COUNT(*) FROM push_events WHERE project_id = {p.id}")
    r = new_file(kura, p.id, tokens["developer"], "dev-work", "event.txt")
    assert r.status_code == 201
    rows = kura.sql(f"SELECT ref, before_sha, after_sha, user_id FROM push_events "
                    f"WHERE project_id = {p.id} ORDER BY id DESC LIMIT 1")
    row = rows[0] if isinstance(rows, list) else rows.split("|")
    head = p.branches.get("dev-work").commit["id"]
    assert row[0] == "refs/heads/dev-work" and row[2] == head
    after = kura.sql(f"SELECT COUNT(*) FROM push_events WHERE project_id = {p.id}")
    assert after != before
    jobs = kura.sql("SELECT payload FROM jobs WHERE kind = 'push'")
    payloads = [json.loads(j[0]) for j in jobs] if isinstance(jobs, list) else \
        [json.loads(line) for line in jobs.splitlines()]
    assert any(j["after"] == head and j["ref"] == "refs/heads/dev-work" for j in payloads)


HOSTILE_PATHS = ["..%2Fetc%2Fpasswd", ".git%2Fconfig", "a%2F..%2F..%2Fb", "a%00b",
                 "%2Fabs", ".GIT%2Fhooks%2Fx", "x" * 900, "dir%2F"]
HOSTILE_REFS = ["HEAD~1", "@{-1}", "main^", "main:README.md", "--output=x", "-x",
                "main..main", "refs/heads/../x", "x" * 2000]


def test_hostile_file_paths(kura, setup):
    p, _ = setup
    for path in HOSTILE_PATHS:
        r = call(kura, "GET", f"projects/{p.id}/repository/files/{path}?ref=main")
        assert r.status_code in (400, 404), (path, r.status_code)
        r = call(kura, "POST", f"projects/{p.id}/repository/files/{path}",
                 json={"branch": "main", "content": "x", "commit_message": "m"})
        assert r.status_code in (400, 404), (path, r.status_code)
        assert server_alive(kura)
    # (a query value with a NUL is dropped by the parameter parser: the
    # request then means "no path", which is harmless)
    for path in ["..", ".git/config", "a/../b", "/etc/passwd"]:
        r = call(kura, "POST", f"projects/{p.id}/repository/commits",
                 json={"branch": "main", "commit_message": "m",
                       "actions": [{"action": "create", "file_path": path, "content": "x"}]})
        assert r.status_code == 400, path
        r = call(kura, "GET", f"projects/{p.id}/repository/tree",
                 params={"path": path})
        assert r.status_code in (400, 404), path
        r = call(kura, "GET", f"projects/{p.id}/repository/archive.tar",
                 params={"path": path})
        assert r.status_code in (400, 404), path
    r = call(kura, "POST", f"projects/{p.id}/repository/commits",
             json={"branch": "main", "commit_message": "m",
                   "actions": [{"action": "create", "file_path": "a\u0000b", "content": "x"}]})
    assert r.status_code == 400
    r = call(kura, "GET", f"projects/{p.id}/repository/archive.tar",
             params={"path": ":(glob)*"})
    assert r.status_code == 404
    assert server_alive(kura)
    assert ".git" not in [e["name"] for e in p.repository_tree(get_all=True)]


def test_hostile_refs(kura, setup):
    p, _ = setup
    for ref in HOSTILE_REFS:
        for path in (f"repository/files/README.md?ref={ref}", f"repository/tree?ref={ref}",
                     f"repository/commits?ref_name={ref}", f"repository/commits/{ref}",
                     f"repository/archive.zip?sha={ref}",
                     f"repository/compare?from={ref}&to=main"):
            r = call(kura, "GET", f"projects/{p.id}/{path}")
            assert r.status_code in (400, 404), (ref, path, r.status_code, r.text[:200])
        for name in (ref, "refs/heads/x", "HEAD", "a/-b", "a..b", "x.lock", "a b"):
            r = call(kura, "POST", f"projects/{p.id}/repository/branches",
                     json={"branch": name, "ref": "main"})
            assert r.status_code == 400, (name, r.status_code)
            r = call(kura, "POST", f"projects/{p.id}/repository/tags",
                     json={"tag_name": name, "ref": "main"})
            assert r.status_code == 400, (name, r.status_code)
        r = call(kura, "POST", f"projects/{p.id}/repository/branches",
                 json={"branch": "ok-name", "ref": ref})
        assert r.status_code == 400, (ref, r.status_code)
    assert server_alive(kura)
    names = [b.name for b in p.branches.list(get_all=True)]
    assert "ok-name" not in names and not any(n.startswith("-") for n in names)


def test_oversized_and_malformed_bodies(kura, setup):
    p, _ = setup
    big = "x" * (2 * 1024 * 1024)
    r = call(kura, "POST", f"projects/{p.id}/repository/files/big.txt",
             json={"branch": "main", "content": big, "commit_message": "big"})
    assert r.status_code == 413
    r = call(kura, "POST", f"projects/{p.id}/repository/commits",
             json={"branch": "main", "commit_message": "m", "actions": "nope"})
    assert r.status_code == 400
    r = call(kura, "POST", f"projects/{p.id}/repository/commits",
             json={"branch": "main", "commit_message": "m",
                   "actions": [{"action": "create", "file_path": "b64",
                                "content": "!!!not base64", "encoding": "base64"}]})
    assert r.status_code == 400
    r = call(kura, "POST", f"projects/{p.id}/repository/files/x.txt",
             json={"branch": "main", "commit_message": "m"})
    assert r.status_code == 400 and r.json() == {"error": "content is missing"}
    r = call(kura, "GET", f"projects/{p.id}/repository/merge_base?" +
             "&".join(f"refs[]=main" for _ in range(101)))
    assert r.status_code == 400
    assert server_alive(kura)
    with pytest.raises(gitlab.GitlabGetError):
        p.files.get("big.txt", ref="main")
