"""Server-side hooks: protected branches and harmful ref names refused in
pre-receive with a clear remote: reason; post-receive records each ref
update and its job in one transaction."""
import pytest

from conftest import commit, git, make_repo

ZERO = "0" * 40


@pytest.fixture(scope="module")
def proj(kura):
    for u in ("pdev", "pmaint"):
        kura.create_user(u)
    kura.create_group("pol")
    kura.create_project("pol/app", "private")
    kura.add_member("pdev", 30, project="pol/app")
    kura.add_member("pmaint", 40, project="pol/app")
    return {u: kura.create_token(u, "api") for u in ("pdev", "pmaint")}


@pytest.fixture(scope="module")
def work(kura, proj, tmp_path_factory):
    """The developer makes the first push: allowed, and main is protected after it."""
    src = make_repo(tmp_path_factory.mktemp("pol") / "w", {"README": "v1\n"})
    git(src, "push", "-q", kura.git_url("pol/app", "pdev", proj["pdev"]), "main")
    return src


def remote_tip(kura, token, user, ref):
    out = git("/", "ls-remote", kura.git_url("pol/app", user, token), ref).stdout.split()
    return out[0] if out else None


def test_first_push_protects_the_default_branch(kura, proj, work):
    rows = kura.sql("SELECT name, push_access_level, allow_force_push FROM protected_branches")
    assert [tuple(map(str, r)) for r in rows] == [("main", "40", "0")] or \
        rows == "main|40|0"


def test_developer_cannot_push_to_protected_main(kura, proj, work):
    before = remote_tip(kura, proj["pdev"], "pdev", "refs/heads/main")
    commit(work, {"README": "dev change\n"}, "dev change")
    r = git(work, "push", kura.git_url("pol/app", "pdev", proj["pdev"]), "main", check=False)
    assert r.returncode != 0
    assert "remote: kura: You are not allowed to push code to protected branches" in r.stderr
    assert remote_tip(kura, proj["pdev"], "pdev", "refs/heads/main") == before
    git(work, "reset", "-q", "--hard", "HEAD~1")


def test_maintainer_pushes_but_cannot_force_or_delete(kura, proj, work, tmp_path):
    url = kura.git_url("pol/app", "pmaint", proj["pmaint"])
    new = commit(work, {"README": "v2\n"}, "v2")
    git(work, "push", "-q", url, "main")
    assert remote_tip(kura, proj["pmaint"], "pmaint", "refs/heads/main") == new
    git(work, "reset", "-q", "--hard", "HEAD~1")
    commit(work, {"README": "rewritten\n"}, "rewrite")
    r = git(work, "push", "--force", url, "main", check=False)
    assert r.returncode != 0 and "not allowed to force push" in r.stderr
    r = git(work, "push", url, ":main", check=False)
    assert r.returncode != 0 and "only delete protected branches" in r.stderr
    assert remote_tip(kura, proj["pmaint"], "pmaint", "refs/heads/main") == new
    git(work, "reset", "-q", "--hard", new)


def test_wildcard_rule_applies_to_matching_branches_only(kura, proj, work):
    pid = kura.sql("SELECT id FROM projects WHERE path = 'app'")
    pid = pid[0][0] if isinstance(pid, list) else int(pid)
    kura.sql("INSERT INTO protected_branches (project_id, name, push_access_level,"
             f" merge_access_level, allow_force_push, created_at) VALUES ({pid},"
             " 'release/*', 40, 40, 0, 0)")
    url = kura.git_url("pol/app", "pdev", proj["pdev"])
    r = git(work, "push", url, "HEAD:refs/heads/release/1.0", check=False)
    assert r.returncode != 0 and "release/1.0" in r.stderr
    r = git(work, "push", url, "HEAD:refs/heads/release/deep/2.0", check=False)
    assert r.returncode != 0
    git(work, "push", "-q", url, "HEAD:refs/heads/releases-notes")
    git(work, "push", "-q", url, "HEAD:refs/heads/feature/release/x")


def test_force_push_allowed_when_the_rule_says_so(kura, proj, work):
    url = kura.git_url("pol/app", "pmaint", proj["pmaint"])
    pid = kura.sql("SELECT id FROM projects WHERE path = 'app'")
    pid = pid[0][0] if isinstance(pid, list) else int(pid)
    kura.sql("INSERT INTO protected_branches (project_id, name, push_access_level,"
             f" merge_access_level, allow_force_push, created_at) VALUES ({pid},"
             " 'hotfix', 40, 40, 1, 0)")
    git(work, "push", "-q", url, "HEAD:refs/heads/hotfix")
    git(work, "checkout", "-q", "-b", "hotfix-local")
    git(work, "commit", "-q", "--amend", "-m", "amended")
    git(work, "push", "-q", "--force", url, "HEAD:refs/heads/hotfix")
    git(work, "checkout", "-q", "main")


@pytest.mark.parametrize("ref", ["refs/heads/HEAD", "refs/heads/a/-b", "refs/heads/refs/heads/x",
                                 "refs/other/../heads/x"])
def test_harmful_ref_names_are_refused(kura, proj, work, ref):
    url = kura.git_url("pol/app", "pmaint", proj["pmaint"])
    r = git(work, "push", url, f"HEAD:{ref}", check=False)
    assert r.returncode != 0
    assert ref not in git(work, "ls-remote", url).stdout


def test_push_records_events_and_jobs(kura, proj, work):
    url = kura.git_url("pol/app", "pmaint", proj["pmaint"])
    git(work, "tag", "v9")
    git(work, "push", "-q", url, "v9", "HEAD:refs/heads/evt")
    events = kura.sql("SELECT ref, before_sha, after_sha FROM push_events"
                      " WHERE ref IN ('refs/tags/v9', 'refs/heads/evt') ORDER BY ref")
    text = str(events)
    assert "refs/tags/v9" in text and "refs/heads/evt" in text and ZERO in text
    jobs = str(kura.sql("SELECT payload FROM jobs WHERE kind = 'push'"))
    assert "refs/tags/v9" in jobs and "refs/heads/evt" in jobs
    git(work, "push", "-q", url, ":evt")
    deleted = str(kura.sql("SELECT after_sha FROM push_events WHERE ref = 'refs/heads/evt'"
                           " ORDER BY id DESC LIMIT 1"))
    assert ZERO in deleted


def test_hooks_are_not_writable_through_the_repository(kura, proj, work):
    """A repository's own hooks directory is never used: core.hooksPath points
    at kura's, set in protected (global) configuration."""
    for repo in kura.repo_dirs():
        hook = repo / "hooks" / "post-update"
        hook.parent.mkdir(exist_ok=True)
        hook.write_text("#!/bin/sh\ntouch /tmp/kura-hook-ran\n")
        hook.chmod(0o755)
    url = kura.git_url("pol/app", "pmaint", proj["pmaint"])
    git(work, "push", "-q", url, "HEAD:refs/heads/hooktest")
    import os
    assert not os.path.exists("/tmp/kura-hook-ran")


def test_push_refused_while_hooks_are_missing(fresh_kura, tmp_path):
    """git runs no hook it cannot find, so kura refuses pushes rather than
    let one through without its protected-branch check."""
    k = fresh_kura
    k.create_user("nh")
    k.create_project("nh/p", "private")
    tok = k.create_token("nh", "api")
    hook = k.data_dir / "git" / "hooks" / "pre-receive"
    target = hook.resolve()
    hook.unlink()
    src = make_repo(tmp_path / "s", {"a": "1\n"})
    r = git(src, "push", k.git_url("nh/p", "nh", tok), "main", check=False)
    assert r.returncode != 0 and "503" in r.stderr
    assert git(src, "ls-remote", k.git_url("nh/p", "nh", tok)).stdout == ""
    hook.symlink_to(target)
    git(src, "push", "-q", k.git_url("nh/p", "nh", tok), "main")
