"""Changing a project's default branch moves the repository's HEAD too, so
clones check out what the API says."""
import requests

from conftest import git, make_repo


def test_default_branch_change_moves_head(kura, tmp_path):
    kura.create_user("dbu")
    kura.create_project("dbu/p", "private")
    tok = kura.create_token("dbu", "api")
    url = kura.git_url("dbu/p", "dbu", tok)
    src = make_repo(tmp_path / "s", {"a": "main\n"})
    git(src, "push", "-q", url, "main")
    git(src, "checkout", "-q", "-b", "develop")
    (src / "a").write_text("develop\n")
    git(src, "commit", "-q", "-am", "develop")
    git(src, "push", "-q", url, "develop")
    api = kura.url("api/v4/projects/dbu%2Fp")
    h = {"PRIVATE-TOKEN": tok}
    r = requests.put(api, headers=h, json={"default_branch": "develop"})
    assert r.status_code == 200 and r.json()["default_branch"] == "develop"
    git(tmp_path, "clone", "-q", url, "out")
    assert (tmp_path / "out" / "a").read_text() == "develop\n"
    r = requests.put(api, headers=h, json={"default_branch": "no-such-branch"})
    assert r.status_code == 400
    assert requests.get(api, headers=h).json()["default_branch"] == "develop"
    head = git(tmp_path, "ls-remote", "--symref", url, "HEAD").stdout
    assert "ref: refs/heads/develop" in head
