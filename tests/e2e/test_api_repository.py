"""Repository API through python-gitlab: branches, tags, files, trees,
blobs, commits with actions, compare, merge base and archives; the same
protected-branch rules as a push, push events for API writes, and what
hostile input gets."""
import gitlab
import pytest
import requests



def api(kura, path):
    return f"{kura.base}/api/v4/{path.lstrip('/')}"


def call(kura, method, path, token=None, **kw):
    headers = {"PRIVATE-TOKEN": token or kura.root_token()}
    return requests.request(method, api(kura, path), headers=headers, timeout=30, **kw)


@pytest.fixture(scope="module")
def project(gl):
    p = gl.projects.create({"name": "repo-api", "initialize_with_readme": True})
    return p


@pytest.fixture
def empty_project(gl, request):
    return gl.projects.create({"name": "empty-" + request.node.name[:40].replace("[", "-")
                               .replace("]", "").replace("_", "-")})


# --- projects with a README ---------------------------------------------------

def test_initialize_with_readme(gl, project, kura):
    p = gl.projects.get(project.id)
    assert p.default_branch == "main"
    assert p.empty_repo is False
    f = p.files.get("README.md", ref="main")
    assert f.decode() == b"# repo-api\n"
    c = p.commits.get("main")
    assert c.message == "Initial commit"
    assert c.parent_ids == []
    rows = kura.sql(f"SELECT ref, before_sha FROM push_events WHERE project_id = {p.id}")
    assert ("refs/heads/main", "0" * 40) in [tuple(r) for r in rows]


# --- branches -----------------------------------------------------------------

def test_branch_create_on_empty_repo_creates_default_branch(empty_project):
    p = empty_project
    b = p.branches.create({"branch": "my.branch.name", "ref": "main"})
    assert b.name == "my.branch.name"
    names = [x.name for x in p.branches.list()]
    assert names == ["main", "my.branch.name"]
    main = p.branches.get("main")
    assert main.default is True and main.protected is True
    assert main.commit["message"] == "Add README.md"
    assert b.commit["id"] == main.commit["id"]
    assert p.files.raw("README.md", ref="main") == b""
    dotted = p.branches.get("my.branch.name")
    assert dotted.default is False and dotted.protected is False
    assert dotted.web_url.endswith("/-/tree/my.branch.name")
    assert dotted.can_push is True and dotted.developers_can_push is True


def test_branches_crud_and_search(gl, project):
    main = project.branches.get("main")
    project.branches.create({"branch": "feature/x", "ref": "main"})
    b = project.branches.get("feature/x")  # python-gitlab sends feature%2Fx
    assert b.name == "feature/x" and b.commit["id"] == main.commit["id"]
    assert b.merged is True
    assert [x.name for x in project.branches.list(search="feature")] == ["feature/x"]
    with pytest.raises(gitlab.GitlabCreateError) as e:
        project.branches.create({"branch": "feature/x", "ref": "main"})
    assert e.value.response_code == 400 and "Branch already exists" in str(e.value)
    with pytest.raises(gitlab.GitlabCreateError) as e:
        project.branches.create({"branch": "nope", "ref": "no-such-ref"})
    assert e.value.response_code == 400 and "Invalid reference name" in str(e.value)
    project.branches.delete("feature/x")
    with pytest.raises(gitlab.GitlabGetError) as e:
        project.branches.get("feature/x")
    assert e.value.response_code == 404 and "404 Branch Not Found" in str(e.value)
    with pytest.raises(gitlab.GitlabDeleteError) as e:
        project.branches.delete("feature/x")
    assert e.value.response_code == 404


def test_branch_pagination_follows_link(gl, kura):
    p = gl.projects.create({"name": "many-branches", "initialize_with_readme": True})
    for i in range(7):
        p.branches.create({"branch": f"b{i}", "ref": "main"})
    r = call(kura, "GET", f"projects/{p.id}/repository/branches?per_page=3")
    assert r.headers["X-Total"] == "8" and r.headers["X-Total-Pages"] == "3"
    assert 'rel="next"' in r.headers["Link"]
    names = [b.name for b in p.branches.list(per_page=3, get_all=True)]
    assert names == sorted(["main"] + [f"b{i}" for i in range(7)])


def test_merged_branches_delete(gl, kura):
    p = gl.projects.create({"name": "merged-br", "initialize_with_readme": True})
    p.branches.create({"branch": "merged-one", "ref": "main"})
    p.branches.create({"branch": "ahead", "ref": "main"})
    p.files.create({"file_path": "x", "branch": "ahead", "content": "x",
                    "commit_message": "x"})
    r = call(kura, "DELETE", f"projects/{p.id}/repository/merged_branches")
    assert r.status_code == 202
    assert sorted(b.name for b in p.branches.list()) == ["ahead", "main"]


def test_default_branch_is_not_deleted(project):
    with pytest.raises(gitlab.GitlabDeleteError) as e:
        project.branches.delete("main")
    assert e.value.response_code in (400, 403)
    assert project.branches.get("main")


# --- tags ---------------------------------------------------------------------

def test_tags(project):
    head = project.commits.get("main").id
    light = project.tags.create({"tag_name": "v0.1", "ref": "main"})
    assert light.message is None and light.target == head
    ann = project.tags.create({"tag_name": "v1.0.0", "ref": "main", "message": "Release\n"})
    assert ann.message == "Release\n" and ann.target != head
    assert ann.commit["id"] == head
    assert {t.name for t in project.tags.list()} >= {"v0.1", "v1.0.0"}
    assert project.tags.get("v1.0.0").message == "Release\n"
    with pytest.raises(gitlab.GitlabCreateError) as e:
        project.tags.create({"tag_name": "v0.1", "ref": "main"})
    assert e.value.response_code == 400 and "already exists" in str(e.value)
    with pytest.raises(gitlab.GitlabCreateError) as e:
        project.tags.create({"tag_name": "bad", "ref": "missing"})
    assert e.value.response_code == 400
    project.tags.delete("v0.1")
    with pytest.raises(gitlab.GitlabGetError) as e:
        project.tags.get("v0.1")
    assert e.value.response_code == 404 and "404 Tag Not Found" in str(e.value)
