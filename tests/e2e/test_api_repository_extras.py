"""Repository extras: revert and cherry-pick (GitLab's messages, visible to
git clone, protected branches, conflicts), commit signatures, blame,
contributors and languages; permissions and hostile input."""
import base64
import struct
import subprocess

import gitlab
import pytest
import requests

from conftest import git, make_repo, server_alive


def call(kura, token, method, path, **kw):
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.request(method, f"{kura.base}/api/v4/{path.lstrip('/')}",
                            headers=headers, timeout=60, **kw)


def api_commit(p, branch, files, message, action="create"):
    return p.commits.create({"branch": branch, "commit_message": message,
                             "actions": [{"action": action, "file_path": k, "content": v}
                                         for k, v in files.items()]})


def clone(kura, p, dest, branch="main"):
    git(dest.parent, "clone", "-q", "-b", branch,
        kura.git_url(p.path_with_namespace, "root", kura.root_token()), dest.name)
    return dest


def test_revert_message_and_clone(kura, gl, tmp_path):
    p = gl.projects.create({"name": "rv", "initialize_with_readme": True})
    c = api_commit(p, "main", {"a.txt": "one\n"}, "Add a.txt\n\nwith a body")
    r = p.commits.get(c.id).revert(branch="main")
    assert r["message"] == f'Revert "Add a.txt"\n\nThis reverts commit {c.id}'
    assert r["title"] == 'Revert "Add a.txt"' and r["parent_ids"] == [c.id]
    assert r["author_name"] == r["committer_name"]
    out = clone(kura, p, tmp_path / "out")
    assert not (out / "a.txt").exists()
    assert git(out, "log", "-1", "--format=%H").stdout.strip() == r["id"]
    # Reverting again changes nothing: GitLab's "empty" refusal.
    with pytest.raises(gitlab.GitlabRevertError) as e:
        p.commits.get(c.id).revert(branch="main")
    assert e.value.response_code == 400
    body = call(kura, kura.root_token(), "POST",
                f"projects/{p.id}/repository/commits/{c.id}/revert",
                json={"branch": "main"}).json()
    assert body["error_code"] == "empty"
    assert body["message"].startswith("Sorry, we cannot revert this commit automatically.")
    # The write is recorded as a push event.
    rows = kura.sql(f"SELECT after_sha FROM push_events WHERE project_id = {p.id}"
                    " ORDER BY id DESC LIMIT 1")
    assert rows[0][0] == r["id"]


def test_cherry_pick_keeps_author_and_conflicts(kura, gl, tmp_path):
    p = gl.projects.create({"name": "cp", "initialize_with_readme": True})
    p.branches.create({"branch": "feature", "ref": "main"})
    c = p.commits.create({"branch": "feature", "commit_message": "feature work",
                          "author_name": "Alice", "author_email": "alice@example.com",
                          "actions": [{"action": "create", "file_path": "f.c",
                                       "content": "int f;\n"}]})
    p.commits.get(c.id).cherry_pick(branch="main")   # python-gitlab 3.12 returns nothing
    r = p.commits.get(p.branches.get("main").commit["id"]).attributes
    assert r["message"] == f"feature work\n\n(cherry picked from commit {c.id})"
    assert r["author_email"] == "alice@example.com" and r["committer_name"] != "Alice"
    out = clone(kura, p, tmp_path / "out")
    assert (out / "f.c").read_text() == "int f;\n"
    with pytest.raises(gitlab.GitlabCherryPickError):
        p.commits.get(c.id).cherry_pick(branch="main")
    # A change to a line the branch has changed differently: a conflict.
    p.branches.create({"branch": "other", "ref": "main"})
    api_commit(p, "main", {"f.c": "int g;\n"}, "main edit", "update")
    o = api_commit(p, "other", {"f.c": "int h;\n"}, "other edit", "update")
    r = call(kura, kura.root_token(), "POST",
             f"projects/{p.id}/repository/commits/{o.id}/cherry_pick", json={"branch": "main"})
    assert r.status_code == 400 and r.json()["error_code"] == "conflict"
    assert "cherry-pick" in r.json()["message"]
    assert p.branches.get("main").commit["title"] == "main edit"


def test_pick_errors_and_hostile_input(kura, gl):
    p = gl.projects.create({"name": "pick-err", "initialize_with_readme": True})
    sha = p.commits.list()[0].id
    base = f"projects/{p.id}/repository/commits"
    root = kura.root_token()
    r = call(kura, root, "POST", f"{base}/{sha}/revert", json={})
    assert (r.status_code, r.json()) == (400, {"error": "branch is missing"})
    for bad_sha in ("0" * 40, "nope", "-x", "HEAD~1", "a" * 300):
        r = call(kura, root, "POST", f"{base}/{bad_sha}/revert", json={"branch": "main"})
        assert (r.status_code, r.json()) == (404, {"message": "404 Commit Not Found"}), bad_sha
    for branch in ("nope", "-x", "../main", "a\u0000b", "refs/heads/main", "x" * 5000):
        r = call(kura, root, "POST", f"{base}/{sha}/cherry_pick", json={"branch": branch})
        assert r.status_code in (400, 404), branch
    r = requests.post(f"{kura.base}/api/v4/{base}/{sha}/revert", data="x" * (3 << 20),
                      headers={"PRIVATE-TOKEN": root, "Content-Type": "application/json"},
                      timeout=60)
    assert r.status_code == 413
    assert server_alive(kura)


def test_protected_branches_apply(kura, gl):
    kura.create_user("px-dev")
    dev = kura.create_token("px-dev")
    p = gl.projects.create({"name": "pick-prot", "initialize_with_readme": True})
    p.members.create({"user_id": gl.users.list(username="px-dev")[0].id, "access_level": 30})
    c = api_commit(p, "main", {"x": "1\n"}, "x")
    p.protectedbranches.delete("main")
    p.protectedbranches.create({"name": "main", "push_access_level": 40})
    url = f"projects/{p.id}/repository/commits/{c.id}"
    r = call(kura, dev, "POST", f"{url}/revert", json={"branch": "main"})
    assert r.status_code == 403 and "not allowed to push" in r.json()["message"]
    r = call(kura, dev, "POST", f"{url}/cherry_pick", json={"branch": "main"})
    assert r.status_code == 403
    p.branches.create({"branch": "dev", "ref": "main"})
    assert call(kura, dev, "POST", f"{url}/revert", json={"branch": "dev"}).status_code == 201
    # No one pushes to a branch with push level 0, not even through the API.
    p.protectedbranches.delete("main")
    p.protectedbranches.create({"name": "main", "push_access_level": 0})
    r = call(kura, kura.root_token(), "POST", f"{url}/revert", json={"branch": "main"})
    assert r.status_code == 403
    assert p.branches.get("main").commit["id"] == c.id


def test_permission_matrix(kura, gl):
    users = {}
    for name, level in (("pm-guest", 10), ("pm-reporter", 20), ("pm-dev", 30)):
        kura.create_user(name)
        users[name] = (kura.create_token(name), level)
    kura.create_user("pm-out")
    outsider = kura.create_token("pm-out")
    for vis in ("private", "internal", "public"):
        p = gl.projects.create({"name": f"pm-{vis}", "visibility": vis,
                                "initialize_with_readme": True})
        for name, (_, level) in users.items():
            p.members.create({"user_id": gl.users.list(username=name)[0].id,
                              "access_level": level})
        sha = p.commits.list()[0].id
        reads = [f"projects/{p.id}/repository/commits/{sha}/signature",
                 f"projects/{p.id}/repository/files/README.md/blame?ref=main",
                 f"projects/{p.id}/repository/contributors", f"projects/{p.id}/languages"]
        want_read = {"private": {None: 404, "pm-out": 404, "pm-guest": 403,
                                 "pm-reporter": 200, "pm-dev": 200},
                     "internal": {None: 404, "pm-out": 200, "pm-guest": 200,
                                  "pm-reporter": 200, "pm-dev": 200},
                     "public": {None: 200, "pm-out": 200, "pm-guest": 200,
                                "pm-reporter": 200, "pm-dev": 200}}[vis]
        for who, status in want_read.items():
            tok = outsider if who == "pm-out" else users[who][0] if who else None
            for path in reads:
                got = call(kura, tok, "GET", path).status_code
                if path.endswith("/signature") and status == 200:
                    status_here = 404     # unsigned
                else:
                    status_here = status
                assert got == status_here, (vis, who, path, got)
        write = f"projects/{p.id}/repository/commits/{sha}/revert"
        for who, status in ((None, 401), ("pm-guest", 403), ("pm-reporter", 403),
                            ("pm-out", 404 if vis == "private" else 403)):
            tok = outsider if who == "pm-out" else users[who][0] if who else None
            got = call(kura, tok, "POST", write, json={"branch": "main"}).status_code
            assert got == status, (vis, who, got)
        # Developers may, on a branch that is not protected.
        p.branches.create({"branch": "work", "ref": "main"})
        got = call(kura, users["pm-dev"][0], "POST", write, json={"branch": "work"})
        assert got.status_code == 201, got.text


def pgp_armor(body):
    packet = bytes([0xC2, len(body)]) + body
    b64 = base64.b64encode(packet).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return ["-----BEGIN PGP SIGNATURE-----", ""] + lines + ["=abcd", "-----END PGP SIGNATURE-----"]


def pgp_body(hashed, unhashed):
    return (bytes([4, 0, 22, 8]) + struct.pack(">H", len(hashed)) + hashed +
            struct.pack(">H", len(unhashed)) + unhashed + b"\x12\x34" + b"\x00\x08\xff")


def signed_commit(src, sig_lines, message):
    tree = git(src, "rev-parse", "HEAD^{tree}").stdout.strip()
    parent = git(src, "rev-parse", "HEAD").stdout.strip()
    ident = "Test <test@example.com> 1700000000 +0000"
    sig = "gpgsig " + "\n ".join(sig_lines)
    obj = f"tree {tree}\nparent {parent}\nauthor {ident}\ncommitter {ident}\n{sig}\n\n{message}\n"
    sha = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"], cwd=src,
                         input=obj.encode(), capture_output=True, check=True).stdout.decode().strip()
    git(src, "update-ref", "refs/heads/main", sha)
    return sha


def test_signatures(kura, gl, tmp_path):
    p = gl.projects.create({"name": "sigs"})
    src = make_repo(tmp_path / "src", {"a": "1\n"})
    issuer = bytes.fromhex("0123456789ABCDEF")
    fpr = bytes(range(20))
    by_issuer = signed_commit(src, pgp_armor(pgp_body(
        b"\x05\x02" + b"\x00" * 4 + b"\x16\x21\x04" + fpr, b"\x09\x10" + issuer)), "pgp")
    by_fpr = signed_commit(src, pgp_armor(pgp_body(b"\x16\x21\x04" + fpr, b"")), "pgp2")
    ssh = signed_commit(src, ["-----BEGIN SSH SIGNATURE-----", "U1NIU0lH",
                              "-----END SSH SIGNATURE-----"], "ssh")
    junk = signed_commit(src, ["-----BEGIN PGP SIGNATURE-----", "", "%%%%",
                               "-----END PGP SIGNATURE-----"], "junk")
    git(src, "commit", "-q", "--allow-empty", "-m", "plain")
    unsigned = git(src, "rev-parse", "HEAD").stdout.strip()
    git(src, "push", "-q", kura.git_url(p.path_with_namespace, "root", kura.root_token()),
        "HEAD:main")
    s = p.commits.get(by_issuer).signature()
    assert s == {"signature_type": "PGP", "verification_status": "unverified",
                 "gpg_key_id": None, "gpg_key_primary_keyid": "0123456789ABCDEF",
                 "gpg_key_user_name": None, "gpg_key_user_email": None,
                 "gpg_key_subkey_id": None, "commit_source": "gitaly"}
    assert p.commits.get(by_fpr).signature()["gpg_key_primary_keyid"] == fpr[-8:].hex().upper()
    assert p.commits.get(ssh).signature() == {"signature_type": "SSH",
                                              "verification_status": "unverified",
                                              "key": None, "commit_source": "gitaly"}
    assert p.commits.get(junk).signature()["gpg_key_primary_keyid"] is None
    with pytest.raises(gitlab.GitlabGetError) as e:
        p.commits.get(unsigned).signature()
    assert e.value.response_code == 404 and "404 Signature Not Found" in str(e.value)
    r = call(kura, kura.root_token(), "GET",
             f"projects/{p.id}/repository/commits/{'0' * 40}/signature")
    assert r.json() == {"message": "404 Commit Not Found"}


def test_blame(kura, gl, tmp_path):
    p = gl.projects.create({"name": "blame"})
    src = make_repo(tmp_path / "src", {"dir/f.txt": "a\nb\nc\n"}, message="first")
    (src / "dir/f.txt").write_text("a\nB\nc\nd\n")
    git(src, "commit", "-qam", "second")
    second = git(src, "rev-parse", "HEAD").stdout.strip()
    (src / "bin").write_bytes(b"\xff\xfe\n")
    (src / "big").write_text("x\n" * 600000)
    git(src, "add", "-A")
    git(src, "commit", "-qm", "more")
    git(src, "push", "-q", kura.git_url(p.path_with_namespace, "root", kura.root_token()),
        "HEAD:main")
    b = p.files.blame("dir/f.txt", "main")
    assert [(x["commit"]["message"].strip(), x["lines"]) for x in b] == [
        ("first", ["a"]), ("second", ["B"]), ("first", ["c"]), ("second", ["d"])]
    assert b[1]["commit"]["id"] == second
    assert {"id", "parent_ids", "authored_date", "author_name", "committer_email"} <= set(
        b[0]["commit"])
    base = f"projects/{p.id}/repository/files"
    r = call(kura, kura.root_token(), "GET", f"{base}/dir%2Ff.txt/blame",
             params={"ref": "main", "range[start]": 2, "range[end]": 3})
    assert [x["lines"] for x in r.json()] == [["B"], ["c"]]
    assert call(kura, kura.root_token(), "GET", f"{base}/bin/blame",
                params={"ref": "main"}).json()[0]["lines"] == ["??"]
    for path, params, status in (("dir%2Ff.txt", {}, 400), ("nope", {"ref": "main"}, 404),
                                 ("dir", {"ref": "main"}, 404),
                                 ("dir%2Ff.txt", {"ref": "nope"}, 404),
                                 ("..%2Fetc", {"ref": "main"}, 400),
                                 (".git%2Fconfig", {"ref": "main"}, 400),
                                 ("big", {"ref": "main"}, 400),
                                 ("dir%2Ff.txt", {"ref": "main", "range[start]": 3,
                                                  "range[end]": 1}, 400),
                                 ("dir%2Ff.txt", {"ref": "main", "range[start]": "x",
                                                  "range[end]": 1}, 400)):
        r = call(kura, kura.root_token(), "GET", f"{base}/{path}/blame", params=params)
        assert r.status_code == status, (path, params, r.status_code, r.text[:200])
    assert server_alive(kura)


def test_contributors_and_languages(kura, gl, tmp_path):
    p = gl.projects.create({"name": "contrib"})
    assert p.languages() == {}
    assert p.repository_contributors() == []
    src = make_repo(tmp_path / "src", {"main.c": "int main;\n" * 30, "x.py": "x = 1\n" * 10,
                                       "README.md": "# hi\n" * 100,
                                       "vendor/lib.js": "v\n" * 1000})
    env = {"GIT_AUTHOR_NAME": "Zed", "GIT_AUTHOR_EMAIL": "zed@example.com"}
    for i in range(2):
        (src / f"z{i}.c").write_text("z\n")
        git(src, "add", "-A")
        git(src, "commit", "-qm", f"z{i}", env=env)
    git(src, "push", "-q", kura.git_url(p.path_with_namespace, "root", kura.root_token()),
        "HEAD:main")
    got = p.repository_contributors()
    assert got == [
        {"name": "Test", "email": "test@example.com", "commits": 1, "additions": 1140,
         "deletions": 0},
        {"name": "Zed", "email": "zed@example.com", "commits": 2, "additions": 2,
         "deletions": 0}]
    desc = call(kura, kura.root_token(), "GET", f"projects/{p.id}/repository/contributors",
                params={"order_by": "name", "sort": "desc"}).json()
    assert [x["name"] for x in desc] == ["Zed", "Test"]
    r = call(kura, kura.root_token(), "GET", f"projects/{p.id}/repository/contributors",
             params={"order_by": "size"})
    assert r.json() == {"error": "order_by does not have a valid value"}
    langs = p.languages()
    total_c = 300 + 4
    assert list(langs) == ["C", "Python"]
    assert langs["C"] == round(total_c * 100 / (total_c + 60), 2)
    assert abs(sum(langs.values()) - 100) < 0.02
