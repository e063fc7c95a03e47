"""Ref advertisements kura answers itself (info/refs for upload-pack and
receive-pack, protocol v2's capability list and ls-refs): byte for byte what
git writes for the same repository, in every state a repository can be in,
and git's own answer for every request kura does not fully understand."""
import gzip
import hashlib
import os
import subprocess

import pytest
import requests

from conftest import commit, git, make_repo

V2 = {"Git-Protocol": "version=2"}
LS_REFS_CT = {"Content-Type": "application/x-git-upload-pack-request"}


def pkt(line):
    data = line.encode() if isinstance(line, str) else line
    return b"%04x" % (len(data) + 4) + data


def ls_refs_body(*args, caps=("agent=git/2.39.5", "object-format=sha1")):
    body = pkt("command=ls-refs\n") + b"".join(pkt(c + "\n") for c in caps) + b"0001"
    return body + b"".join(pkt(a + "\n") for a in args) + b"0000"


CLIENT_LS_REFS = ls_refs_body("peel", "symrefs", "unborn", "ref-prefix HEAD",
                              "ref-prefix refs/heads/", "ref-prefix refs/tags/")


@pytest.fixture(scope="module")
def dev(kura):
    kura.create_user("adv")
    kura.create_project("adv/repo", "private")
    kura.create_project("adv/empty", "private")
    kura.add_member("adv", 40, project="adv/repo")
    kura.add_member("adv", 40, project="adv/empty")
    return kura.create_token("adv", "api")


def repo_dir(kura, path):
    ns, name = path.split("/")
    (pid,), = kura.sql(f"select p.id from projects p join namespaces n on n.id = p.namespace_id "
                       f"where n.path = '{ns}' and p.path = '{name}'")
    h = hashlib.sha256(str(pid).encode()).hexdigest()
    return kura.data_dir / "repositories" / "@hashed" / h[:2] / h[2:4] / (h + ".git")


def git_direct(kura, directory, service, protocol=None, body=None):
    """What git itself answers, with kura's server-wide git config."""
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1",
           "HOME": str(kura.data_dir / "git" / "home"),
           "GIT_CONFIG_GLOBAL": str(kura.data_dir / "git" / "gitconfig")}
    if protocol:
        env["GIT_PROTOCOL"] = protocol
    args = ["git", service, "--stateless-rpc"]
    if body is None:
        args.append("--advertise-refs")
    if service == "upload-pack":
        args.append("--strict")
    out = subprocess.run(args + [str(directory)], input=body or b"", env=env,
                         capture_output=True, timeout=60)
    return out.stdout


def kura_info_refs(kura, token, path, service, headers=None):
    r = requests.get(kura.url(f"{path}.git/info/refs"), params={"service": f"git-{service}"},
                     auth=("adv", token), headers=headers or {}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == f"application/x-git-{service}-advertisement"
    return r.content


def kura_upload_pack(kura, token, path, body, headers=None):
    r = requests.post(kura.url(f"{path}.git/git-upload-pack"), data=body, auth=("adv", token),
                      headers={**LS_REFS_CT, **V2, **(headers or {})}, timeout=30)
    assert r.status_code == 200, r.text
    return r.content


def service_header(service):
    line = f"# service=git-{service}\n"
    return pkt(line) + b"0000"


def spawned(kura):
    return kura.log().count("start service=")


def assert_same_as_git(kura, token, path):
    """Every advertisement kura serves for path equals git's, and none of
    them started git."""
    d = repo_dir(kura, path)
    before = spawned(kura)
    for service in ("upload-pack", "receive-pack"):
        got = kura_info_refs(kura, token, path, service)
        assert got == service_header(service) + git_direct(kura, d, service), service
    got = kura_info_refs(kura, token, path, "upload-pack", V2)
    assert got == git_direct(kura, d, "upload-pack", "version=2")
    # receive-pack has no v2: git answers v0, so does kura.
    got = kura_info_refs(kura, token, path, "receive-pack", V2)
    assert got == service_header("receive-pack") + git_direct(kura, d, "receive-pack")
    for args in [("peel", "symrefs", "unborn", "ref-prefix HEAD", "ref-prefix refs/heads/",
                  "ref-prefix refs/tags/"),
                 (), ("symrefs",), ("unborn",), ("peel",), ("ref-prefix refs/heads/fe",),
                 ("symrefs", "unborn", "ref-prefix HEAD"), ("ref-prefix refs/tags/",
                                                             "ref-prefix refs/heads/main")]:
        body = ls_refs_body(*args)
        got = kura_upload_pack(kura, token, path, body)
        assert got == git_direct(kura, d, "upload-pack", "version=2", body), args
    assert spawned(kura) == before, "an advertisement started git"


@pytest.fixture(scope="module")
def populated(kura, dev, tmp_path_factory):
    src = make_repo(tmp_path_factory.mktemp("adv") / "r", {"README.md": "hello\n"})
    for i in range(3):
        commit(src, {f"f{i}.txt": f"{i}\n"}, f"commit {i}")
    git(src, "tag", "light")
    git(src, "tag", "-a", "v1.0", "-m", "release")
    git(src, "tag", "-a", "v1.0-signed-off", "-m", "tag of a tag", "v1.0")
    tree = git(src, "rev-parse", "HEAD^{tree}").stdout.strip()
    git(src, "tag", "-a", "tree-tag", "-m", "a tag of a tree", tree)
    for i in range(40):
        git(src, "branch", f"feature/b{i:02d}", f"HEAD~{i % 3}")
    git(src, "push", "-q", kura.git_url("adv/repo", "adv", dev), "--all")
    git(src, "push", "-q", kura.git_url("adv/repo", "adv", dev), "--tags")
    return src


def test_empty_repository(kura, dev):
    assert_same_as_git(kura, dev, "adv/empty")


def test_loose_refs(kura, dev, populated):
    assert_same_as_git(kura, dev, "adv/repo")


def test_packed_refs_with_peeled_tags(kura, dev, populated):
    d = repo_dir(kura, "adv/repo")
    git(d, "pack-refs", "--all")
    assert "^" in (d / "packed-refs").read_text()
    assert_same_as_git(kura, dev, "adv/repo")


def test_head_states(kura, dev, populated):
    d = repo_dir(kura, "adv/repo")
    head = (d / "HEAD").read_text()
    main = git(d, "rev-parse", "refs/heads/main").stdout.strip()
    try:
        (d / "HEAD").write_text("ref: refs/heads/not-yet\n")       # unborn, refs exist
        assert_same_as_git(kura, dev, "adv/repo")
        (d / "HEAD").write_text(main + "\n")                        # detached
        assert_same_as_git(kura, dev, "adv/repo")
        (d / "HEAD").write_text("ref: refs/heads/feature/b07\n")    # another branch
        assert_same_as_git(kura, dev, "adv/repo")
    finally:
        (d / "HEAD").write_text(head)


def test_symbolic_and_broken_refs(kura, dev, populated):
    d = repo_dir(kura, "adv/repo")
    (d / "refs" / "remotes" / "origin").mkdir(parents=True, exist_ok=True)
    (d / "refs" / "remotes" / "origin" / "HEAD").write_text("ref: refs/heads/main\n")
    (d / "refs" / "heads" / "dangling").write_text("ref: refs/heads/nothing\n")
    (d / "refs" / "heads" / "missing-object").write_text("1" * 40 + "\n")
    try:
        assert_same_as_git(kura, dev, "adv/repo")
    finally:
        for p in ["refs/remotes/origin/HEAD", "refs/heads/dangling", "refs/heads/missing-object"]:
            os.unlink(d / p)


def test_real_clients_agree_with_file_protocol(kura, dev, populated, tmp_path):
    d = repo_dir(kura, "adv/repo")
    for version in ("0", "2"):
        via_kura = git(tmp_path, "-c", f"protocol.version={version}", "ls-remote", "--symref",
                       kura.git_url("adv/repo", "adv", dev)).stdout
        direct = git(tmp_path, "-c", f"protocol.version={version}", "ls-remote", "--symref",
                     f"file://{d}").stdout
        assert via_kura == direct
    git(tmp_path, "clone", "-q", kura.git_url("adv/repo", "adv", dev), "c")
    commit(tmp_path / "c", {"new.txt": "x\n"}, "new")
    git(tmp_path / "c", "push", "-q", "origin", "main")
    git(tmp_path / "c", "fetch", "-q", "origin")
    assert git(tmp_path / "c", "status", "-sb").stdout.startswith("## main...origin/main\n")


@pytest.mark.parametrize("body", [
    ls_refs_body("bogus"),                                   # git: unexpected line
    ls_refs_body("peel", caps=("object-format=sha256",)),    # git: mismatched format
    ls_refs_body("peel", caps=("session-id=abc",)),          # not advertised
    pkt("command=ls-refs\n") + b"0001" + pkt("peel\n"),       # no flush
    pkt("command=ls-refs\n") + b"0001zzzz",                  # bad length
    pkt("command=ls-refs\n") + pkt("command=ls-refs\n") + b"00010000",
    pkt("command=ls-refs\n") + b"0001" + pkt("ref-prefix refs/\x00x\n") + b"0000",
    pkt("command=ls-refs\n") + b"0000",                      # no arguments at all
    b"0000",                                                 # nothing asked
    b"",
    pkt("command=bogus\n") + b"0000",
], ids=["unknown-arg", "sha256", "session-id", "truncated", "bad-hex", "two-commands",
        "nul-in-prefix", "no-delim", "flush-only", "empty", "unknown-command"])
def test_unusual_requests_get_gits_answer(kura, dev, populated, body):
    d = repo_dir(kura, "adv/repo")
    got = kura_upload_pack(kura, dev, "adv/repo", body)
    assert got == git_direct(kura, d, "upload-pack", "version=2", body)


def test_gzip_ls_refs_and_many_prefixes(kura, dev, populated):
    d = repo_dir(kura, "adv/repo")
    got = kura_upload_pack(kura, dev, "adv/repo", gzip.compress(CLIENT_LS_REFS),
                           {"Content-Encoding": "gzip"})
    assert got == git_direct(kura, d, "upload-pack", "version=2", CLIENT_LS_REFS)
    # Past kura's small buffer the request goes to git, whole and in order.
    many = ls_refs_body(*[f"ref-prefix refs/heads/feature/b{i:05d}" for i in range(3000)],
                        "ref-prefix refs/heads/main")
    assert len(many) > 65536
    before = spawned(kura)
    got = kura_upload_pack(kura, dev, "adv/repo", many)
    assert got == git_direct(kura, d, "upload-pack", "version=2", many)
    assert b"refs/heads/main" in got
    assert spawned(kura) == before + 1


def test_v2_fetch_still_goes_to_git(kura, dev, populated, tmp_path):
    git(tmp_path, "-c", "protocol.version=2", "clone", "-q", "--depth", "1",
        kura.git_url("adv/repo", "adv", dev), "shallow")
    assert git(tmp_path / "shallow", "rev-list", "--count", "HEAD").stdout.strip() == "1"


def test_protocol_v1_and_odd_headers_are_gits(kura, dev, populated):
    d = repo_dir(kura, "adv/repo")
    got = kura_info_refs(kura, dev, "adv/repo", "upload-pack", {"Git-Protocol": "version=1"})
    assert got == service_header("upload-pack") + git_direct(kura, d, "upload-pack", "version=1")
    odd = {"Git-Protocol": "version=0:version=2"}
    got = kura_info_refs(kura, dev, "adv/repo", "upload-pack", odd)
    assert got == git_direct(kura, d, "upload-pack", "version=0:version=2")


def test_shallow_repository_left_to_git(kura, dev, populated):
    d = repo_dir(kura, "adv/repo")
    root = git(d, "rev-parse", "refs/heads/main~1").stdout.strip()
    (d / "shallow").write_text(root + "\n")
    try:
        got = kura_info_refs(kura, dev, "adv/repo", "upload-pack")
        want = service_header("upload-pack") + git_direct(kura, d, "upload-pack")
        assert b"shallow " + root.encode() in want
        assert got == want
    finally:
        os.unlink(d / "shallow")


def test_advertisement_needs_the_same_access(kura, dev, populated):
    r = requests.get(kura.url("adv/repo.git/info/refs"), params={"service": "git-upload-pack"},
                     timeout=30)
    assert r.status_code == 401
    outsider = kura.create_token("root", "read_user", "adv-read-user")
    r = requests.post(kura.url("adv/repo.git/git-upload-pack"), data=CLIENT_LS_REFS,
                      auth=("root", outsider), headers={**LS_REFS_CT, **V2}, timeout=30)
    assert r.status_code in (401, 403)


def test_tag_known_from_another_repository(kura, dev, populated):
    """kura remembers what a tag peels to across requests; a repository
    whose ref names that tag without having it still gets git's answer."""
    assert_same_as_git(kura, dev, "adv/repo")          # peels v1.0 once
    tag = git(repo_dir(kura, "adv/repo"), "rev-parse", "refs/tags/v1.0").stdout.strip()
    borrowed = repo_dir(kura, "adv/empty") / "refs" / "tags" / "borrowed"
    borrowed.write_text(tag + "\n")
    try:
        assert_same_as_git(kura, dev, "adv/empty")
    finally:
        os.unlink(borrowed)


def loose_refs(d):
    return [p for p in (d / "refs").rglob("*") if p.is_file()]


def test_refs_are_packed_after_pushes_leave_many_loose(kura, dev, tmp_path):
    """A push job packs the refs once 64 or more are loose; fewer stay
    loose. Either way the advertisement stays git's."""
    import time
    kura.create_project("adv/many", "private")
    kura.create_project("adv/few", "private")
    kura.add_member("adv", 40, project="adv/many")
    kura.add_member("adv", 40, project="adv/few")
    src = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    for i in range(70):
        git(src, "tag", "-a", f"t{i:02d}", "-m", f"tag {i}")
    git(src, "push", "-q", kura.git_url("adv/many", "adv", dev), "main", "--tags")
    git(src, "push", "-q", kura.git_url("adv/few", "adv", dev), "main", "t00", "t01")
    many, few = repo_dir(kura, "adv/many"), repo_dir(kura, "adv/few")
    deadline = time.monotonic() + 20
    while loose_refs(many) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not loose_refs(many), "refs were not packed"
    assert "refs/tags/t69" in (many / "packed-refs").read_text()
    assert_same_as_git(kura, dev, "adv/many")
    time.sleep(1)
    assert len(loose_refs(few)) == 3 and not (few / "packed-refs").exists()
    assert "refs packed" in kura.log()
