"""Commit statuses as external CI (AWS CodeBuild) reports them: GitLab's
shapes, transitions, defaults, filters, permissions and hostile input."""
import pytest
import requests

from conftest import git, make_repo, commit, server_alive

ROLES = {"guest": 10, "reporter": 20, "developer": 30, "maintainer": 40, "owner": 50}


def api(kura, path):
    return f"{kura.base}/api/v4/{path.lstrip('/')}"


def call(kura, token, method, path, **kw):
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.request(method, api(kura, path), headers=headers, timeout=30, **kw)


@pytest.fixture(scope="module")
def repo(kura, gl, tmp_path_factory):
    """A project with main and feature, feature one commit ahead."""
    p = gl.projects.create({"name": "cs-repo"})
    src = make_repo(tmp_path_factory.mktemp("cs") / "src", {"README": "hi\n"})
    url = kura.git_url(p.path_with_namespace, "root", kura.root_token())
    git(src, "push", url, "HEAD:main")
    main_sha = git(src, "rev-parse", "HEAD").stdout.strip()
    git(src, "checkout", "-q", "-b", "feature")
    feature_sha = commit(src, {"f": "x\n"})
    git(src, "push", url, "feature")
    return p, main_sha, feature_sha


def test_codebuild_sequence(kura, gl, repo):
    """pending, running, then success on the same context updates one status."""
    p, sha, _ = repo
    tok = kura.root_token()
    base = f"projects/{p.id}/statuses/{sha}"
    r = call(kura, tok, "POST", base, json={
        "state": "pending", "ref": "main", "context": "codebuild-demo",
        "target_url": "https://console.aws.amazon.com/codebuild/x",
        "description": "Build queued"})
    assert r.status_code == 201, r.text
    s = r.json()
    assert set(s) >= {"id", "sha", "ref", "status", "name", "target_url", "description",
                      "created_at", "started_at", "finished_at", "allow_failure", "coverage",
                      "author", "pipeline_id"}
    assert (s["sha"], s["ref"], s["status"], s["name"]) == (sha, "main", "pending",
                                                             "codebuild-demo")
    assert s["started_at"] is None and s["finished_at"] is None
    assert s["allow_failure"] is False and s["coverage"] is None
    assert s["author"]["username"] == "root"
    assert s["created_at"].endswith("Z") and "." in s["created_at"]
    r = call(kura, tok, "POST", base, json={"state": "running", "ref": "main",
                                            "context": "codebuild-demo"})
    assert r.status_code == 201
    assert r.json()["id"] == s["id"] and r.json()["status"] == "running"
    assert r.json()["started_at"] is not None
    assert r.json()["description"] == "Build queued"     # kept when not sent
    r = call(kura, tok, "POST", base, data={"state": "success", "ref": "main",
                                            "name": "codebuild-demo", "coverage": "87.5",
                                            "description": "Build succeeded"})
    assert r.status_code == 201
    done = r.json()
    assert done["id"] == s["id"] and done["status"] == "success"
    assert done["finished_at"] is not None and done["coverage"] == 87.5
    assert done["description"] == "Build succeeded"
    assert done["pipeline_id"] == s["pipeline_id"]
    # A finished status is not reopened: the next report starts a new one,
    # and only the newest of a name is listed unless all=true.
    r = call(kura, tok, "POST", base, json={"state": "pending", "ref": "main",
                                            "context": "codebuild-demo"})
    assert r.status_code == 201 and r.json()["id"] != s["id"]
    listed = call(kura, tok, "GET", f"projects/{p.id}/repository/commits/{sha}/statuses",
                  params={"name": "codebuild-demo"}).json()
    assert [x["status"] for x in listed] == ["pending"]
    listed = call(kura, tok, "GET", f"projects/{p.id}/repository/commits/{sha}/statuses",
                  params={"name": "codebuild-demo", "all": "true"}).json()
    assert [x["status"] for x in listed] == ["success", "pending"]


def test_transitions_refused_as_gitlab(kura, repo):
    p, sha, _ = repo
    tok = kura.root_token()
    base = f"projects/{p.id}/statuses/{sha}"
    assert call(kura, tok, "POST", base, json={"state": "running", "name": "t1"}).status_code == 201
    r = call(kura, tok, "POST", base, json={"state": "running", "name": "t1"})
    assert r.status_code == 400
    assert r.json() == {"message": "Cannot transition status via :run from :running "
                                   "(Reason(s): Status cannot transition via \"run\")"}
    r = call(kura, tok, "POST", base, json={"state": "pending", "name": "t1"})
    assert r.status_code == 400
    assert r.json()["message"].startswith("Cannot transition status via :enqueue from :running")
    assert call(kura, tok, "POST", base, json={"state": "pending", "name": "t2"}).status_code == 201
    r = call(kura, tok, "POST", base, json={"state": "pending", "name": "t2"})
    assert r.status_code == 400 and ":enqueue from :pending" in r.json()["message"]
    assert call(kura, tok, "POST", base, json={"state": "running", "name": "t2"}).status_code == 201
    assert call(kura, tok, "POST", base, json={"state": "failed", "name": "t2"}).json()["status"] \
        == "failed"
    # Straight to a final state from nothing is allowed.
    r = call(kura, tok, "POST", base, json={"state": "canceled", "name": "t3"})
    assert r.status_code == 201 and r.json()["status"] == "canceled"


def test_defaults_and_python_gitlab(kura, gl, repo):
    p, main_sha, feature_sha = repo
    c = p.commits.get(feature_sha, lazy=True)
    st = c.statuses.create({"state": "success"})
    # No ref: the first branch containing the commit; no name: "default".
    assert st.name == "default" and st.ref == "feature"
    st2 = p.commits.get(main_sha, lazy=True).statuses.create({"state": "failed", "name": "lint"})
    assert st2.ref in ("feature", "main")
    names = [s.name for s in p.commits.get(main_sha, lazy=True).statuses.list(get_all=True)]
    assert "lint" in names
    # A short sha and a branch name are commits too, as on GitLab.
    r = call(kura, kura.root_token(), "POST", f"projects/{p.id}/statuses/{feature_sha[:10]}",
             json={"state": "success", "name": "short"})
    assert r.status_code == 201 and r.json()["sha"] == feature_sha
    r = call(kura, kura.root_token(), "POST", f"projects/{p.id}/statuses/feature",
             json={"state": "success", "name": "by-branch"})
    assert r.status_code == 201 and r.json()["sha"] == feature_sha


def test_filters_and_pagination(kura, repo):
    p, sha, _ = repo
    tok = kura.root_token()
    for i in range(5):
        call(kura, tok, "POST", f"projects/{p.id}/statuses/{sha}",
             json={"state": "success", "name": f"page-{i}", "ref": "pages"})
    path = f"projects/{p.id}/repository/commits/{sha}/statuses"
    r = call(kura, tok, "GET", path, params={"ref": "pages", "per_page": 2})
    assert r.headers["X-Total"] == "5" and len(r.json()) == 2
    assert 'rel="next"' in r.headers["Link"]
    assert call(kura, tok, "GET", path, params={"ref": "pages", "stage": "test"}).json() == []
    assert len(call(kura, tok, "GET", path, params={"ref": "pages",
                                                    "stage": "external"}).json()) == 5


def test_hostile_input(kura, repo):
    p, sha, _ = repo
    tok = kura.root_token()
    base = f"projects/{p.id}/statuses/{sha}"
    r = call(kura, tok, "POST", base, json={"state": "exploded"})
    assert r.status_code == 400 and r.json() == {"error": "state does not have a valid value"}
    assert call(kura, tok, "POST", base, json={}).json() == {"error": "state is missing"}
    for bad in ({"state": "success", "target_url": "javascript:alert(1)"},
                {"state": "success", "target_url": "https://x/" + "a" * 300},
                {"state": "success", "name": "n" * 300},
                {"state": "success", "name": "a\x00b"},
                {"state": "success", "coverage": "lots"},
                {"state": "success", "coverage": "nan"},
                {"state": "success", "pipeline_id": "x"},
                {"state": ["success"]}):
        r = call(kura, tok, "POST", base, json=bad)
        assert r.status_code == 400, (bad, r.text)
    for bad_sha in ("0" * 40, "zzzz", "-rf", "main~1", "..%2F..", "HEAD%5E"):
        r = call(kura, tok, "POST", f"projects/{p.id}/statuses/{bad_sha}",
                 json={"state": "success"})
        assert r.status_code == 404, (bad_sha, r.text)
        assert r.json() == {"message": "404 Commit Not Found"}
        r = call(kura, tok, "GET", f"projects/{p.id}/repository/commits/{bad_sha}/statuses")
        assert r.status_code == 404
    r = requests.post(api(kura, base), data="x" * (2 * 1024 * 1024), timeout=30,
                      headers={"Content-Type": "application/json", "PRIVATE-TOKEN": tok})
    assert r.status_code in (400, 413)
    assert server_alive(kura)


def test_empty_repository_and_no_ref(kura, gl):
    p = gl.projects.create({"name": "cs-empty"})
    r = call(kura, kura.root_token(), "POST", f"projects/{p.id}/statuses/{'a' * 40}",
             json={"state": "success"})
    assert r.status_code == 404


@pytest.fixture(scope="module")
def people(kura, repo):
    p = repo[0]
    tokens, ids = {}, {}
    for name in list(ROLES) + ["other"]:
        kura.create_user(f"cs-{name}")
        tokens[name] = kura.create_token(f"cs-{name}", "api", "t")
        ids[name] = call(kura, tokens[name], "GET", "user").json()["id"]
        if name in ROLES:
            p.members.create({"user_id": ids[name], "access_level": ROLES[name]})
    tokens["admin"] = kura.root_token()
    tokens["anonymous"] = None
    return tokens


def test_permissions_private(kura, repo, people):
    p, sha, feature_sha = repo
    want_post = {"guest": 403, "reporter": 403, "developer": 201, "maintainer": 201,
                 "owner": 201, "admin": 201, "other": 404, "anonymous": 401}
    for who, tok in people.items():
        r = call(kura, tok, "POST", f"projects/{p.id}/statuses/{feature_sha}",
                 json={"state": "success", "name": f"perm-{who}", "ref": "feature"})
        assert r.status_code == want_post[who], (who, r.text)
        r = call(kura, tok, "GET", f"projects/{p.id}/repository/commits/{sha}/statuses")
        want = {"other": 404, "anonymous": 404}.get(who, 200)
        assert r.status_code == want, (who, r.text)


def test_protected_ref_needs_push_or_merge(kura, repo, people):
    """Developers may not report on a branch only Maintainers push and merge to."""
    p, sha, _ = repo
    tok = kura.root_token()
    call(kura, tok, "DELETE", f"projects/{p.id}/protected_branches/main")
    assert call(kura, tok, "POST", f"projects/{p.id}/protected_branches",
                json={"name": "main", "push_access_level": 40,
                      "merge_access_level": 40}).status_code == 201
    r = call(kura, people["developer"], "POST", f"projects/{p.id}/statuses/{sha}",
             json={"state": "success", "ref": "main", "name": "dev-on-main"})
    assert r.status_code == 403
    r = call(kura, people["maintainer"], "POST", f"projects/{p.id}/statuses/{sha}",
             json={"state": "success", "ref": "main", "name": "m-on-main"})
    assert r.status_code == 201
    call(kura, tok, "PATCH", f"projects/{p.id}/protected_branches/main",
         json={"merge_access_level": 30})
    r = call(kura, people["developer"], "POST", f"projects/{p.id}/statuses/{sha}",
             json={"state": "success", "ref": "main", "name": "dev-on-main"})
    assert r.status_code == 201


def test_public_project_anonymous_read(kura, gl, tmp_path):
    p = gl.projects.create({"name": "cs-public", "visibility": "public"})
    src = make_repo(tmp_path / "src", {"a": "1\n"})
    git(src, "push", kura.git_url(p.path_with_namespace, "root", kura.root_token()), "HEAD:main")
    sha = git(src, "rev-parse", "HEAD").stdout.strip()
    call(kura, kura.root_token(), "POST", f"projects/{p.id}/statuses/{sha}",
         json={"state": "success"})
    r = call(kura, None, "GET", f"projects/{p.id}/repository/commits/{sha}/statuses")
    assert r.status_code == 200 and r.json()[0]["ref"] == "main"
    r = call(kura, None, "POST", f"projects/{p.id}/statuses/{sha}", json={"state": "success"})
    assert r.status_code == 401
