"""Who may fetch and push over Git HTTP: GitLab's outcomes for every kind of
caller on public, internal and private projects, asked through info/refs
exactly as git does, plus the refusal git users see on a real push."""
import pytest
import requests

from conftest import git, make_repo

PUBLIC, INTERNAL, PRIVATE = "public", "internal", "private"

# (caller, visibility) -> (status for fetch, status for push)
EXPECTED = {
    ("anonymous", PUBLIC): (200, 401),
    ("anonymous", INTERNAL): (401, 401),
    ("anonymous", PRIVATE): (401, 401),
    ("outsider", PUBLIC): (200, 403),
    ("outsider", INTERNAL): (200, 403),
    ("outsider", PRIVATE): (404, 404),
    ("guest", PUBLIC): (200, 403),
    ("guest", INTERNAL): (200, 403),
    ("guest", PRIVATE): (403, 403),
    ("reporter", PUBLIC): (200, 403),
    ("reporter", INTERNAL): (200, 403),
    ("reporter", PRIVATE): (200, 403),
    ("developer", PUBLIC): (200, 200),
    ("developer", INTERNAL): (200, 200),
    ("developer", PRIVATE): (200, 200),
    ("group_maintainer", PRIVATE): (200, 200),   # inherited from the parent group
    ("admin", PRIVATE): (200, 200),
    ("developer_password", PRIVATE): (200, 200),
    ("developer_wrong_password", PUBLIC): (401, 401),
    ("blocked", PUBLIC): (401, 401),
    ("blocked", PRIVATE): (401, 401),
    ("expired_token", PRIVATE): (401, 401),
    ("revoked_token", PRIVATE): (401, 401),
    ("read_repository_token", PRIVATE): (200, 403),
    ("write_repository_token", PRIVATE): (200, 200),
    ("read_user_token", PRIVATE): (403, 403),
    ("unknown_token", PUBLIC): (401, 401),
}


@pytest.fixture(scope="module")
def callers(kura):
    for u in ("outsider", "guest", "reporter", "developer", "gmaint", "blockee"):
        kura.create_user(u)
    kura.create_user("boss", admin=True)
    kura.create_group("acl/inner")
    levels = {"guest": 10, "reporter": 20, "developer": 30, "blockee": 30}
    for vis in (PUBLIC, INTERNAL, PRIVATE):
        path = f"acl/inner/{vis}"
        kura.create_project(path, vis)
        for user, level in levels.items():
            kura.add_member(user, level, project=path)
    kura.add_member("gmaint", 40, group="acl")
    tok = {u: kura.create_token(u, "api") for u in
           ("outsider", "guest", "reporter", "developer", "gmaint", "blockee", "boss")}
    expired = kura.create_token("developer", "api", name="soon-expired")
    kura.sql("UPDATE personal_access_tokens SET expires_at = 1000 WHERE name = 'soon-expired'")
    revoked = kura.create_token("developer", "api", name="revoked")
    kura.sql("UPDATE personal_access_tokens SET revoked = 1 WHERE name = 'revoked'")
    kura.cli("admin", "block-user", "blockee")
    return {
        "anonymous": None,
        "outsider": ("outsider", tok["outsider"]),
        "guest": ("guest", tok["guest"]),
        "reporter": ("reporter", tok["reporter"]),
        "developer": ("developer", tok["developer"]),
        "group_maintainer": ("gmaint", tok["gmaint"]),
        "admin": ("boss", tok["boss"]),
        "developer_password": ("developer", "password-123"),
        "developer_wrong_password": ("developer", "wrong-password"),
        "blocked": ("blockee", tok["blockee"]),
        "expired_token": ("developer", expired),
        "revoked_token": ("developer", revoked),
        "read_repository_token": ("x", kura.create_token("developer", "read_repository")),
        "write_repository_token": ("x", kura.create_token("developer", "write_repository")),
        "read_user_token": ("developer", kura.create_token("developer", "read_user")),
        "unknown_token": ("developer", "kpat-" + "0" * 40),
    }


def info_refs(kura, path, service, auth):
    return requests.get(kura.url(f"{path}.git/info/refs"), params={"service": service},
                        auth=auth, timeout=30)


@pytest.mark.parametrize("caller,visibility", sorted(EXPECTED))
def test_git_access_matrix(kura, callers, caller, visibility):
    fetch, push = EXPECTED[(caller, visibility)]
    path = f"acl/inner/{visibility}"
    auth = callers[caller]
    r = info_refs(kura, path, "git-upload-pack", auth)
    assert r.status_code == fetch, r.text
    r = info_refs(kura, path, "git-receive-pack", auth)
    assert r.status_code == push, r.text
    if r.status_code == 401:
        assert r.headers["WWW-Authenticate"].startswith("Basic realm=")


def test_missing_project_looks_like_a_private_one(kura, callers):
    """No existence oracle: a project that does not exist answers exactly as a
    private project the caller may not see."""
    for who in ("anonymous", "outsider"):
        a = info_refs(kura, "acl/inner/private", "git-upload-pack", callers[who])
        b = info_refs(kura, "acl/inner/nothing-here", "git-upload-pack", callers[who])
        assert (a.status_code, a.text) == (b.status_code, b.text)


def test_reporter_push_is_refused_with_a_reason(kura, callers, tmp_path):
    user, token = callers["reporter"]
    src = make_repo(tmp_path / "src", {"x": "x\n"})
    r = git(src, "push", kura.git_url("acl/inner/private", user, token), "main", check=False)
    assert r.returncode != 0
    assert "not allowed to push" in r.stderr


def test_developer_push_then_anonymous_clone_of_public(kura, callers, tmp_path):
    user, token = callers["developer"]
    src = make_repo(tmp_path / "src", {"pub.txt": "public\n"})
    git(src, "push", "-q", kura.git_url("acl/inner/public", user, token), "main")
    git(tmp_path, "clone", "-q", kura.git_url("acl/inner/public"), "anon")
    assert (tmp_path / "anon" / "pub.txt").read_text() == "public\n"


def test_secrets_never_reach_the_log(kura, callers):
    log = kura.log()
    for who, auth in callers.items():
        if auth and auth[1].startswith("kpat-"):
            assert auth[1] not in log, who
    assert "password-123" not in log
