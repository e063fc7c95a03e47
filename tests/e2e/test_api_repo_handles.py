"""Repository reads through the API stay exact although read handles are
kept between requests: a push, a repack that deletes the packs a kept
handle had open, a ref deleted by git and a project deleted and made again
under the same id all show on the very next request."""
import subprocess

import requests

from conftest import commit, git, make_repo


def api(kura, path):
    return kura.url(f"/api/v4/{path}")


def reads(kura, h, pid):
    """Warm every kind of read handle (several times: several threads)."""
    out = {}
    for _ in range(4):
        out["tree"] = requests.get(api(kura, f"projects/{pid}/repository/tree"), headers=h)
        out["commits"] = requests.get(api(kura, f"projects/{pid}/repository/commits"),
                                      headers=h)
        out["branches"] = requests.get(api(kura, f"projects/{pid}/repository/branches"),
                                       headers=h)
    for r in out.values():
        assert r.status_code == 200, r.text
    return {"tree": sorted(e["name"] for e in out["tree"].json()),
            "head": out["commits"].json()[0]["id"] if out["commits"].json() else None,
            "branches": sorted(b["name"] for b in out["branches"].json())}


def raw_file(kura, h, pid, name, ref="main"):
    return requests.get(api(kura, f"projects/{pid}/repository/files/{name}/raw"),
                        headers=h, params={"ref": ref})


def test_kept_handles_see_every_change(kura, tmp_path):
    tok = kura.root_token()
    h = {"PRIVATE-TOKEN": tok}
    pid = requests.post(api(kura, "projects"), headers=h, json={"name": "handles"}).json()["id"]
    url = kura.git_url("root/handles", "root", tok)
    work = make_repo(tmp_path / "w", {"a.txt": "one\n"})
    git(work, "push", "-q", url, "main")
    first = reads(kura, h, pid)
    assert first["tree"] == ["a.txt"] and first["branches"] == ["main"]

    # A push (new pack) shows on the next request.
    head = commit(work, {"b.txt": "two\n"})
    git(work, "branch", "side")
    git(work, "push", "-q", url, "main", "side")
    now = reads(kura, h, pid)
    assert now["head"] == head and now["tree"] == ["a.txt", "b.txt"]
    assert now["branches"] == ["main", "side"]
    assert raw_file(kura, h, pid, "b.txt").text == "two\n"

    # A repack deletes the packs the kept handles have open.
    [repo] = [d for d in kura.repo_dirs()
              if subprocess.run(["git", "-C", str(d), "rev-parse", "-q", "--verify",
                                 "refs/heads/side"], capture_output=True).returncode == 0]
    subprocess.run(["git", "-C", str(repo), "repack", "-a", "-d", "-q"], check=True)
    subprocess.run(["git", "-C", str(repo), "prune-packed"], check=True)
    head = commit(work, {"c.txt": "three\n"})
    git(work, "push", "-q", url, "main")
    now = reads(kura, h, pid)
    assert now["head"] == head and now["tree"] == ["a.txt", "b.txt", "c.txt"]
    assert raw_file(kura, h, pid, "a.txt").text == "one\n"

    # A branch deleted behind the API's back (git itself).
    git(work, "push", "-q", url, ":side")
    assert reads(kura, h, pid)["branches"] == ["main"]
    assert raw_file(kura, h, pid, "a.txt", ref="side").status_code == 404


def test_project_made_again_under_same_id(kura, tmp_path):
    tok = kura.root_token()
    h = {"PRIVATE-TOKEN": tok}
    pid = requests.post(api(kura, "projects"), headers=h, json={"name": "again"}).json()["id"]
    work = make_repo(tmp_path / "w1", {"old.txt": "old\n"})
    git(work, "push", "-q", kura.git_url("root/again", "root", tok), "main")
    assert reads(kura, h, pid)["tree"] == ["old.txt"]
    assert requests.delete(api(kura, f"projects/{pid}"), headers=h).status_code == 202
    again = requests.post(api(kura, "projects"), headers=h, json={"name": "again2"}).json()
    work = make_repo(tmp_path / "w2", {"new.txt": "new\n"})
    git(work, "push", "-q", kura.git_url("root/again2", "root", tok), "main")
    got = reads(kura, h, again["id"])
    assert got["tree"] == ["new.txt"]
    assert raw_file(kura, h, again["id"], "new.txt").text == "new\n"
    assert raw_file(kura, h, again["id"], "old.txt").status_code == 404
