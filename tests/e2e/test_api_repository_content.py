"""Repository content through the API: files with GitLab's headers, commits
with actions, trees, blobs, diffs, compare, merge base and byte-identical
archives in every format; and the same history seen by git clone and push."""
import base64
import hashlib
import io
import tarfile
import zipfile

import gitlab
import pytest
import requests

from conftest import git, commit

FORMATS = ["tar.gz", "tar.bz2", "tbz", "tbz2", "tb2", "bz2", "tar", "zip"]


def api(kura, path):
    return f"{kura.base}/api/v4/{path.lstrip('/')}"


def call(kura, method, path, token=None, **kw):
    headers = {"PRIVATE-TOKEN": token or kura.root_token()}
    return requests.request(method, api(kura, path), headers=headers, timeout=30, **kw)


@pytest.fixture(scope="module")
def project(gl):
    return gl.projects.create({"name": "content", "initialize_with_readme": True})


def test_files_crud_and_headers(kura, project):
    p = project
    r = p.files.create({"file_path": "src/main.c", "branch": "main", "content": "int x;\n",
                        "commit_message": "add main.c"})
    assert r.file_path == "src/main.c"
    f = p.files.get("src/main.c", ref="main")
    assert f.decode() == b"int x;\n"
    assert f.file_name == "main.c" and f.encoding == "base64" and f.size == 7
    assert f.content_sha256 == hashlib.sha256(b"int x;\n").hexdigest()
    created_by = f.last_commit_id
    # update with the right last_commit_id, then a stale one is refused
    f.content = "int y;\n"
    f.save(branch="main", commit_message="edit", last_commit_id=created_by)
    with pytest.raises(gitlab.GitlabUpdateError) as e:
        p.files.update("src/main.c", {"branch": "main", "content": "z", "commit_message": "m",
                                      "last_commit_id": created_by})
    assert e.value.response_code == 400
    assert p.files.raw("src/main.c", ref="main") == b"int y;\n"
    for method in ("GET", "HEAD"):
        r = call(kura, method, f"projects/{p.id}/repository/files/src%2Fmain.c?ref=main")
        assert r.status_code == 200
        assert r.headers["X-Gitlab-File-Name"] == "main.c"
        assert r.headers["X-Gitlab-File-Path"] == "src/main.c"
        assert r.headers["X-Gitlab-Size"] == "7"
        assert r.headers["X-Gitlab-Encoding"] == "base64"
        assert r.headers["X-Gitlab-Ref"] == "main"
        assert len(r.headers["X-Gitlab-Blob-Id"]) == 40
        assert r.headers["X-Gitlab-Commit-Id"] == p.commits.get("main").id
        assert r.headers["X-Gitlab-Last-Commit-Id"] == r.headers["X-Gitlab-Commit-Id"]
        if method == "HEAD":
            assert r.content == b""
    raw = call(kura, "GET", f"projects/{p.id}/repository/files/src%2Fmain.c/raw")
    assert raw.content == b"int y;\n" and raw.headers["X-Gitlab-File-Name"] == "main.c"
    assert "nosniff" in raw.headers["X-Content-Type-Options"]
    # create over an existing file, update or delete a missing one: 400
    with pytest.raises(gitlab.GitlabCreateError) as e:
        p.files.create({"file_path": "src/main.c", "branch": "main", "content": "x",
                        "commit_message": "dup"})
    assert e.value.response_code == 400 and "already exists" in str(e.value)
    with pytest.raises(gitlab.GitlabDeleteError) as e:
        p.files.delete(file_path="nope.txt", branch="main", commit_message="rm")
    assert e.value.response_code == 400
    p.files.delete(file_path="src/main.c", branch="main", commit_message="rm main.c")
    with pytest.raises(gitlab.GitlabGetError) as e:
        p.files.get("src/main.c", ref="main")
    assert e.value.response_code == 404 and "404 File Not Found" in str(e.value)
    # missing ref is Grape's 400, unknown ref a missing commit
    r = call(kura, "GET", f"projects/{p.id}/repository/files/README.md")
    assert r.status_code == 400 and r.json() == {"error": "ref is missing"}
    r = call(kura, "GET", f"projects/{p.id}/repository/files/README.md?ref=nope")
    assert r.status_code == 404 and r.json() == {"message": "404 Commit Not Found"}


def test_file_base64_and_start_branch(project):
    p = project
    data = bytes(range(256))
    p.files.create({"file_path": "bin/data.bin", "branch": "topic", "start_branch": "main",
                    "content": base64.b64encode(data).decode(), "encoding": "base64",
                    "commit_message": "binary", "author_name": "Ann Author",
                    "author_email": "ann@example.com"})
    assert p.files.raw("bin/data.bin", ref="topic") == data
    c = p.commits.get("topic")
    assert c.author_name == "Ann Author" and c.committer_name != "Ann Author"
    with pytest.raises(gitlab.GitlabGetError):
        p.files.get("bin/data.bin", ref="main")


def test_commit_with_actions_verbatim_message(project):
    p = project
    msg = "Subject line\n\nBody without trailing newline"
    c = p.commits.create({"branch": "main", "commit_message": msg, "actions": [
        {"action": "create", "file_path": "docs/a.md", "content": "A\n"},
        {"action": "create", "file_path": "docs/run.sh", "content": "#!/bin/sh\n"},
        {"action": "create", "file_path": "docs/b.md", "content": "Qgo=", "encoding": "base64"},
    ]})
    assert c.message == msg and c.title == "Subject line"
    assert c.stats == {"additions": 3, "deletions": 0, "total": 3}
    c2 = p.commits.create({"branch": "main", "commit_message": "more", "actions": [
        {"action": "update", "file_path": "docs/a.md", "content": "A2\n"},
        {"action": "move", "file_path": "docs/c.md", "previous_path": "docs/b.md"},
        {"action": "chmod", "file_path": "docs/run.sh", "execute_filemode": True},
        {"action": "delete", "file_path": "README.md"},
    ]})
    assert c2.parent_ids == [c.id]
    assert p.commits.get(c2.id).message == "more"
    tree = {e["path"]: e for e in p.repository_tree(path="docs", get_all=True)}
    assert set(tree) == {"docs/a.md", "docs/c.md", "docs/run.sh"}
    assert tree["docs/run.sh"]["mode"] == "100755"
    diffs = p.commits.get(c2.id).diff()
    by_path = {d["new_path"]: d for d in diffs}
    assert by_path["README.md"]["deleted_file"] is True
    assert by_path["docs/a.md"]["diff"].startswith("@@")
    # a file that exists / does not exist: 400, nothing committed
    before = p.commits.get("main").id
    for action, path in (("create", "docs/a.md"), ("update", "missing.txt"),
                         ("delete", "missing.txt")):
        with pytest.raises(gitlab.GitlabCreateError) as e:
            p.commits.create({"branch": "main", "commit_message": "bad", "actions": [
                {"action": action, "file_path": path, "content": "x"}]})
        assert e.value.response_code == 400
    with pytest.raises(gitlab.GitlabCreateError) as e:
        p.commits.create({"branch": "main", "commit_message": "bad", "actions": [
            {"action": "explode", "file_path": "x"}]})
    assert e.value.response_code == 400
    assert p.commits.get("main").id == before


def test_commit_list_filters_and_refs(kura, project):
    p = project
    all_main = p.commits.list(ref_name="main", get_all=True)
    assert len(all_main) >= 3
    assert all(len(c.id) == 40 for c in all_main)
    only_docs = p.commits.list(ref_name="main", query_parameters={"path": "docs/a.md"},
                              get_all=True)
    assert [c.title for c in only_docs][:2] == ["more", "Subject line"]
    paged = p.commits.list(ref_name="main", per_page=1, get_all=True)
    assert [c.id for c in paged] == [c.id for c in all_main]
    assert p.commits.list(ref_name="main", since="2100-01-01T00:00:00Z") == []
    assert len(p.commits.list(ref_name="main", until="2100-01-01", get_all=True)) == \
        len(all_main)
    r = call(kura, "GET", f"projects/{p.id}/repository/commits?since=yesterday")
    assert r.status_code == 400
    stats = p.commits.list(ref_name="main", with_stats=True)[0]
    assert "stats" in stats.attributes
    refs = p.commits.get(all_main[-1].id).refs()
    assert {"type": "branch", "name": "main"} in refs
    with pytest.raises(gitlab.GitlabGetError) as e:
        p.commits.get("0" * 40)
    assert e.value.response_code == 404 and "404 Commit Not Found" in str(e.value)


def test_tree_and_blobs(kura, project):
    p = project
    root = p.repository_tree(ref="main", get_all=True)
    assert [e["type"] for e in root][0] == "tree"
    full = p.repository_tree(ref="main", recursive=True, per_page=2, get_all=True)
    paths = [e["path"] for e in full]
    assert "docs/a.md" in paths and "docs" in paths
    r = call(kura, "GET", f"projects/{p.id}/repository/tree?per_page=2&recursive=true")
    assert r.headers["X-Total"] == str(len(full)) and 'rel="next"' in r.headers["Link"]
    blob_id = [e for e in full if e["path"] == "docs/a.md"][0]["id"]
    b = p.repository_blob(blob_id)
    assert base64.b64decode(b["content"]) == b"A2\n" and b["size"] == 3
    assert p.repository_raw_blob(blob_id) == b"A2\n"
    r = call(kura, "GET", f"projects/{p.id}/repository/tree?path=missing")
    assert r.status_code == 404 and r.json() == {"message": "404 Tree Not Found"}
    r = call(kura, "GET", f"projects/{p.id}/repository/blobs/{'f' * 40}")
    assert r.status_code == 404 and r.json() == {"message": "404 Blob Not Found"}


def test_compare_and_merge_base(kura, project):
    p = project
    p.branches.create({"branch": "cmp", "ref": "main"})
    p.files.create({"file_path": "cmp.txt", "branch": "cmp", "content": "c\n",
                    "commit_message": "on cmp"})
    p.files.create({"file_path": "main-only.txt", "branch": "main", "content": "m\n",
                    "commit_message": "on main"})
    cmp = p.repository_compare("main", "cmp")
    assert [c["title"] for c in cmp["commits"]] == ["on cmp"]
    assert [d["new_path"] for d in cmp["diffs"]] == ["cmp.txt"]
    assert cmp["commit"]["title"] == "on cmp" and cmp["compare_same_ref"] is False
    straight = p.repository_compare("main", "cmp", straight=True)
    assert {d["new_path"] for d in straight["diffs"]} == {"cmp.txt", "main-only.txt"}
    base = p.repository_merge_base(["main", "cmp"])
    assert base["id"] == p.commits.get("on cmp" and "cmp").parent_ids[0]
    with pytest.raises(gitlab.GitlabGetError) as e:
        p.repository_merge_base(["main"])
    assert e.value.response_code == 400 and "Provide at least 2 refs" in str(e.value)
    r = call(kura, "GET", f"projects/{p.id}/repository/merge_base?refs[]=main&refs[]=nope")
    assert r.status_code == 404 and "nope" in r.json()["message"]
    r = call(kura, "GET", f"projects/{p.id}/repository/compare?from=main&to=nope")
    assert r.status_code == 404


def test_archives_are_deterministic_in_every_format(kura, project):
    p = project
    for fmt in FORMATS:
        a = p.repository_archive(format=fmt)
        b = p.repository_archive(sha="main", format=fmt)
        assert a == b, fmt
        assert len(a) > 0
    tar = tarfile.open(fileobj=io.BytesIO(p.repository_archive(format="tar.gz")))
    names = tar.getnames()
    sha = p.commits.get("main").id
    assert all(n.startswith(f"content-main-{sha}") for n in names)
    z = zipfile.ZipFile(io.BytesIO(p.repository_archive(format="zip")))
    assert any(n.endswith("docs/a.md") for n in z.namelist())
    r = call(kura, "GET", f"projects/{p.id}/repository/archive.tar?path=docs")
    names = tarfile.open(fileobj=io.BytesIO(r.content)).getnames()
    assert names and all("/docs" in n or n.endswith("-docs") for n in names)
    assert "attachment" in r.headers["Content-Disposition"]
    r = call(kura, "GET", f"projects/{p.id}/repository/archive.tar?path=no-such-dir")
    assert r.status_code == 404
    r = call(kura, "GET", f"projects/{p.id}/repository/archive.rar")
    assert r.status_code == 404
    r = call(kura, "GET", f"projects/{p.id}/repository/archive.zip?sha=no-such-ref")
    assert r.status_code == 404


def test_api_commits_visible_to_clone_and_pushes_visible_to_api(kura, gl, tmp_path):
    p = gl.projects.create({"name": "interop"})
    p.files.create({"file_path": "hello.txt", "branch": "main", "content": "hi\n",
                    "commit_message": "API commit"})
    tok = kura.root_token()
    url = kura.git_url(p.path_with_namespace, "root", tok)
    git(tmp_path, "clone", "-q", url, "w")
    w = tmp_path / "w"
    assert (w / "hello.txt").read_text() == "hi\n"
    assert git(w, "log", "-1", "--format=%B").stdout.strip() == "API commit"
    pushed = commit(w, {"pushed.txt": "p\n"}, "pushed by git")
    git(w, "push", "-q", "origin", "main")
    assert p.commits.get("main").id == pushed
    assert p.files.raw("pushed.txt", ref="main") == b"p\n"
    assert p.branches.get("main").commit["id"] == pushed


def test_last_commit_id_follows_the_ref_asked(kura, gl):
    """last_commit_id is remembered per (commit, path): a branch that moves
    gets the new answer, an old commit keeps its own."""
    p = gl.projects.create({"name": "lastcommit", "initialize_with_readme": True})
    first = p.commits.create({"branch": "main", "commit_message": "add a", "actions": [
        {"action": "create", "file_path": "a.txt", "content": "1\n"}]}).id
    assert p.files.get("a.txt", ref="main").last_commit_id == first
    other = p.commits.create({"branch": "main", "commit_message": "touch b", "actions": [
        {"action": "create", "file_path": "b.txt", "content": "b\n"}]}).id
    assert p.files.get("a.txt", ref="main").last_commit_id == first      # b only
    second = p.commits.create({"branch": "main", "commit_message": "edit a", "actions": [
        {"action": "update", "file_path": "a.txt", "content": "2\n"}]}).id
    assert p.files.get("a.txt", ref="main").last_commit_id == second
    assert p.files.get("a.txt", ref=other).last_commit_id == first
    assert p.files.get("b.txt", ref="main").last_commit_id == other
