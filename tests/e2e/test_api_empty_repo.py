"""empty_repo and the default commit list stay exact although a project's
refs are remembered for a moment: a first push shows at once, deleting the
last ref through the API shows at once, and the commit list of an empty
repository is empty, not an error."""
import requests

from conftest import git, make_repo


def api(kura, path):
    return kura.url(f"/api/v4/{path}")


def empty_repo(kura, h, pid):
    r = requests.get(api(kura, f"projects/{pid}"), headers=h)
    assert r.status_code == 200, r.text
    return r.json()["empty_repo"]


def test_empty_repo_follows_pushes_and_deletions(kura, tmp_path):
    tok = kura.root_token()
    h = {"PRIVATE-TOKEN": tok}
    pid = requests.post(api(kura, "projects"), headers=h, json={"name": "emptiness"}).json()["id"]
    for _ in range(3):
        assert empty_repo(kura, h, pid) is True
    r = requests.get(api(kura, f"projects/{pid}/repository/commits"), headers=h)
    assert r.status_code == 200 and r.json() == []

    # A tag alone makes the repository non-empty, at once.
    work = tmp_path / "w"
    make_repo(work, {"a.txt": "a\n"})
    url = kura.git_url("root/emptiness", "root", tok)
    git(work, "tag", "v1")
    git(work, "push", "-q", url, "refs/tags/v1")
    for _ in range(3):
        assert empty_repo(kura, h, pid) is False

    # Deleting that tag empties it again; the remembered answer is dropped.
    r = requests.delete(api(kura, f"projects/{pid}/repository/tags/v1"), headers=h)
    assert r.status_code == 204, r.text
    assert empty_repo(kura, h, pid) is True

    git(work, "push", "-q", url, "main")
    assert empty_repo(kura, h, pid) is False
    r = requests.get(api(kura, f"projects/{pid}/repository/commits"), headers=h)
    assert r.status_code == 200 and [c["title"] for c in r.json()] == ["initial"]
    r = requests.get(api(kura, f"projects/{pid}/repository/commits"), headers=h,
                     params={"ref_name": "no-such-branch"})
    assert r.status_code == 404
    # The project list answers the same as the single project.
    r = requests.get(api(kura, "projects"), headers=h, params={"search": "emptiness"})
    assert [p["empty_repo"] for p in r.json()] == [False]


def test_commit_list_of_repository_without_head_branch(kura, tmp_path):
    """HEAD names a branch that does not exist while another does: the list
    answers as it always has (the HEAD-first path must fall back)."""
    tok = kura.root_token()
    h = {"PRIVATE-TOKEN": tok}
    pid = requests.post(api(kura, "projects"), headers=h, json={"name": "headless"}).json()["id"]
    work = tmp_path / "w"
    make_repo(work, {"a.txt": "a\n"}, branch="side")
    git(work, "push", "-q", kura.git_url("root/headless", "root", tok), "side")
    before = requests.get(api(kura, f"projects/{pid}"), headers=h).json()
    r = requests.get(api(kura, f"projects/{pid}/repository/commits"), headers=h)
    if before["default_branch"] == "side":
        assert r.status_code == 200 and len(r.json()) == 1
    else:
        assert r.status_code == 404
    r = requests.get(api(kura, f"projects/{pid}/repository/commits"), headers=h,
                     params={"ref_name": "side"})
    assert r.status_code == 200 and len(r.json()) == 1
