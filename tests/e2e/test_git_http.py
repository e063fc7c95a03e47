"""Git smart HTTP with the real git client: protocols, shallow and partial
clones, tags, deletions, force pushes, URL forms, nested groups."""
import pytest

from conftest import commit, git, make_repo


@pytest.fixture(scope="module")
def dev(kura):
    kura.create_user("dev")
    kura.create_group("top/sub")
    kura.create_project("top/sub/app", "private")
    kura.create_project("dev/empty", "private")
    kura.add_member("dev", 30, project="top/sub/app")
    return kura.create_token("dev", "api")


def url(kura, token, path):
    return kura.git_url(path, "dev", token)


@pytest.fixture(scope="module")
def pushed(kura, dev, tmp_path_factory):
    """A repository with history, a tag and two branches pushed to top/sub/app."""
    src = make_repo(tmp_path_factory.mktemp("src") / "r", {"README.md": "hello\n"})
    for i in range(3):
        commit(src, {f"f{i}.txt": f"{i}\n" * 100}, f"commit {i}")
    git(src, "tag", "-a", "v1.0", "-m", "release 1.0")
    git(src, "branch", "feature/x")
    git(src, "push", url(kura, dev, "top/sub/app"), "main", "feature/x", "v1.0")
    return src


@pytest.mark.parametrize("version", ["0", "1", "2"])
def test_clone_each_protocol_version(kura, dev, pushed, tmp_path, version):
    git(tmp_path, "-c", f"protocol.version={version}", "clone", "-q",
        url(kura, dev, "top/sub/app"), "out")
    assert (tmp_path / "out" / "README.md").read_text() == "hello\n"
    head = git(pushed, "rev-parse", "main").stdout
    assert git(tmp_path / "out", "rev-parse", "HEAD").stdout == head


def test_url_without_dot_git_works(kura, dev, pushed, tmp_path):
    plain = url(kura, dev, "top/sub/app")[:-len(".git")]
    git(tmp_path, "clone", "-q", plain, "out")
    git(tmp_path / "out", "fetch", "-q", "origin")
    assert (tmp_path / "out" / "f2.txt").exists()


def test_shallow_clone_has_one_commit(kura, dev, pushed, tmp_path):
    git(tmp_path, "clone", "-q", "--depth", "1", url(kura, dev, "top/sub/app"), "out")
    assert git(tmp_path / "out", "rev-list", "--count", "HEAD").stdout.strip() == "1"
    git(tmp_path / "out", "fetch", "-q", "--deepen", "2")
    assert git(tmp_path / "out", "rev-list", "--count", "HEAD").stdout.strip() == "3"


def test_partial_clone_blob_none(kura, dev, pushed, tmp_path):
    git(tmp_path, "clone", "-q", "--filter=blob:none", "--no-checkout",
        url(kura, dev, "top/sub/app"), "out")
    missing = git(tmp_path / "out", "rev-list", "--objects", "--all", "--missing=print")
    assert any(line.startswith("?") for line in missing.stdout.splitlines()), \
        "blobs were sent although the filter asked not to"
    git(tmp_path / "out", "checkout", "-q", "main")  # lazily fetches the blobs
    assert (tmp_path / "out" / "f1.txt").read_text() == "1\n" * 100


def test_tags_and_branches_are_advertised(kura, dev, pushed, tmp_path):
    refs = git(tmp_path, "ls-remote", url(kura, dev, "top/sub/app")).stdout
    assert "refs/tags/v1.0" in refs
    assert "refs/heads/feature/x" in refs
    assert "HEAD" in refs


def test_force_push_and_branch_delete(kura, dev, pushed, tmp_path):
    u = url(kura, dev, "top/sub/app")
    git(tmp_path, "clone", "-q", u, "w")
    w = tmp_path / "w"
    git(w, "checkout", "-q", "-b", "topic")
    commit(w, {"t.txt": "one\n"}, "topic one")
    git(w, "push", "-q", "origin", "topic")
    git(w, "reset", "-q", "--hard", "HEAD~1")
    rewritten = commit(w, {"t.txt": "two\n"}, "topic rewritten")
    refused = git(w, "push", "origin", "topic", check=False)
    assert refused.returncode != 0 and "rejected" in refused.stderr
    git(w, "push", "-q", "--force", "origin", "topic")
    assert rewritten in git(w, "ls-remote", "origin", "refs/heads/topic").stdout
    git(w, "push", "-q", "origin", ":topic")
    assert "refs/heads/topic" not in git(w, "ls-remote", "origin").stdout


def test_first_push_to_empty_project_sets_default_branch(kura, dev, tmp_path):
    token = kura.create_token("dev", "write_repository")
    u = kura.git_url("dev/empty", "dev", token)
    refs = git(tmp_path, "ls-remote", u).stdout
    assert refs.strip() == ""
    src = make_repo(tmp_path / "src", {"a": "a\n"}, branch="trunk")
    git(src, "push", "-q", u, "trunk")
    git(tmp_path, "clone", "-q", u, "out")
    # HEAD followed the only pushed branch, so the clone checked it out.
    assert git(tmp_path / "out", "symbolic-ref", "HEAD").stdout.strip() == "refs/heads/trunk"
    assert (tmp_path / "out" / "a").read_text() == "a\n"


def pkt(line: bytes) -> bytes:
    return b"%04x" % (len(line) + 4) + line


LS_REFS = pkt(b"command=ls-refs\n") + b"0001" + pkt(b"ref-prefix refs/heads/\n") + b"0000"


def test_gzip_request_bodies_are_inflated(kura, dev, pushed):
    import gzip
    import requests
    r = requests.post(kura.url("top/sub/app.git/git-upload-pack"), auth=("dev", dev),
                      data=gzip.compress(LS_REFS),
                      headers={"Git-Protocol": "version=2", "Content-Encoding": "gzip",
                               "Content-Type": "application/x-git-upload-pack-request"})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/x-git-upload-pack-result"
    main = git(pushed, "rev-parse", "main").stdout.strip()
    assert f"{main} refs/heads/main".encode() in r.content


def test_responses_carry_protocol_headers(kura, dev, pushed):
    import requests
    r = requests.get(kura.url("top/sub/app.git/info/refs"),
                     params={"service": "git-upload-pack"}, auth=("dev", dev))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/x-git-upload-pack-advertisement"
    assert r.content.startswith(b"001e# service=git-upload-pack\n0000")
    assert "no-cache" in r.headers["Cache-Control"]
    r2 = requests.get(kura.url("top/sub/app.git/info/refs"),
                      params={"service": "git-upload-pack"}, auth=("dev", dev),
                      headers={"Git-Protocol": "version=2"})
    assert r2.content.startswith(b"000eversion 2\n")
