"""The admin CLI: each bad input exits 2 with one line on stderr, good input
does what it says, create-token prints the token and nothing else, and no
secret given on stdin ever comes back out."""
import datetime
import re

import pytest

TOKEN_RE = re.compile(r"kpat-[0-9A-Za-z]{40}")


def refused(kura, *args, input=None, needle=None):
    r = kura.cli(*args, input=input, check=False)
    assert r.returncode == 2, f"kura {' '.join(args)}: exit {r.returncode} {r.stderr!r}"
    lines = r.stderr.splitlines()
    assert len(lines) == 1, f"want one line on stderr, got {r.stderr!r}"
    assert lines[0].startswith("kura: ")
    assert r.stdout == ""
    if needle:
        assert needle in lines[0], lines[0]
    return lines[0]


def in_days(n):
    return (datetime.date.today() + datetime.timedelta(days=n)).isoformat()


def users(kura):
    out = kura.cli("admin", "list-users").stdout
    return {line.split("\t")[1]: line.split("\t") for line in out.splitlines()}


@pytest.fixture(scope="module")
def alice(kura):
    kura.create_user("alice", password="alice-password-1")
    return "alice"


def test_version(kura):
    r = kura.cli("version")
    assert re.fullmatch(r"kura \d+\.\d+\.\d+\n", r.stdout)
    assert r.stderr == ""


def test_migrate_is_idempotent(kura, alice):
    def schema():
        return str(kura.sql("SELECT version, applied_at FROM schema_migrations"
                            " ORDER BY version"))
    before, users_before = schema(), users(kura)
    for _ in range(2):
        r = kura.cli("migrate")
        assert r.returncode == 0 and "latest" in r.stdout
    assert schema() == before
    assert users(kura) == users_before


def test_create_user_and_list(kura, alice):
    r = kura.cli("admin", "create-user", "--username", "bob", "--email", "bob@example.com",
                 "--name", "Bob B", "--password-stdin", input="bob-password-1\n")
    assert "bob" in r.stdout
    u = users(kura)
    assert {"root", "alice", "bob"} <= set(u)
    assert u["root"][3] == "active" and u["root"][-1] == "admin"
    assert u["bob"][2] == "bob@example.com"


def test_create_token_prints_only_the_token(kura, alice):
    r = kura.cli("admin", "create-token", "--username", "alice", "--name", "ci",
                 "--scopes", "api,read_repository", "--expires", in_days(100))
    assert TOKEN_RE.fullmatch(r.stdout.rstrip("\n")), r.stdout
    assert r.stdout.count("\n") == 1
    assert r.stderr == ""
    # Only the hash is stored.
    rows = str(kura.sql("SELECT token_hash, scopes FROM personal_access_tokens"))
    secret = r.stdout.strip()
    assert secret not in rows and secret[5:] not in rows
    assert "api,read_repository" in rows


def test_two_tokens_differ(kura, alice):
    assert kura.create_token("alice", name="a") != kura.create_token("alice", name="b")


def test_block_and_unblock(kura):
    kura.create_user("carol")
    kura.cli("admin", "block-user", "carol")
    assert users(kura)["carol"][3] == "blocked"
    kura.cli("admin", "unblock-user", "carol")
    assert users(kura)["carol"][3] == "active"


def test_reset_password(kura, alice):
    r = kura.cli("admin", "reset-password", "alice", input="a-new-password-2\n")
    assert "a-new-password-2" not in r.stdout + r.stderr


def test_create_group_and_project(kura):
    kura.create_group("team/sub")
    kura.create_project("team/sub/app", visibility="internal")
    vis = kura.sql("SELECT visibility FROM projects WHERE path = 'app'")
    assert "internal" in str(vis) and "private" not in str(vis)


# --- bad input: exit 2, one line ------------------------------------------

def test_unknown_user(kura):
    refused(kura, "admin", "create-token", "--username", "nobody", "--name", "x",
            "--scopes", "api", needle="nobody")
    refused(kura, "admin", "reset-password", "nobody", input="long-enough-1\n",
            needle="nobody")
    refused(kura, "admin", "block-user", "nobody", needle="nobody")
    refused(kura, "admin", "unblock-user", "nobody", needle="nobody")


def test_weak_password(kura, alice):
    refused(kura, "admin", "create-user", "--username", "weak", "--email", "w@example.com",
            "--password-stdin", input="short\n", needle="password")
    refused(kura, "admin", "reset-password", "alice", input="1234567\n", needle="password")
    refused(kura, "admin", "reset-password", "alice", input="\n", needle="password")
    refused(kura, "admin", "reset-password", "alice", input="x" * 2000 + "\n")
    assert "weak" not in users(kura)


@pytest.mark.parametrize("scopes", ["apix", "API", "", ",", "api,bogus", "-x", "..",
                                    "api;sudo", "read_repository\nx"])
def test_bad_scopes(kura, alice, scopes):
    refused(kura, "admin", "create-token", "--username", "alice", "--name", "x",
            "--scopes", scopes, needle="scope")


@pytest.mark.parametrize("date", ["2020-01-01", "1970-01-01"])
def test_past_expiry(kura, alice, date):
    refused(kura, "admin", "create-token", "--username", "alice", "--name", "x",
            "--scopes", "api", "--expires", date, needle="--expires")


@pytest.mark.parametrize("date", ["2099-02-30", "2099-13-01", "tomorrow", "2099/01/01",
                                  "99-01-01", "", "2099-01-01T00:00:00Z", "-x",
                                  "2099-01-01\nx"])
def test_malformed_expiry(kura, alice, date):
    refused(kura, "admin", "create-token", "--username", "alice", "--name", "x",
            "--scopes", "api", "--expires", date, needle="--expires")


@pytest.mark.parametrize("args", [
    ["create-user", "--username", "x"],
    ["create-user", "--email", "x@example.com"],
    ["create-token", "--username", "root", "--name", "x"],
    ["create-token", "--username", "root", "--scopes", "api"],
    ["create-token", "--name", "x", "--scopes", "api"],
    ["create-token", "--username"],
    ["create-group"],
    ["create-project"],
    ["create-project", "--path", "noslash"],
    ["block-user"],
    ["create-user", "--username", "x", "--email", "x@example.com", "--bogus"],
    ["list-users", "extra", "more"],
])
def test_missing_or_bad_flags(kura, args):
    refused(kura, "admin", *args)


def test_unknown_admin_command(kura):
    refused(kura, "admin", "frobnicate", needle="frobnicate")
    refused(kura, "admin", "-x", needle="-x")


def test_duplicate_username(kura, alice):
    for name in ("alice", "ALICE", "Alice"):
        refused(kura, "admin", "create-user", "--username", name, "--email",
                f"other-{name}@example.com", needle="taken")
    refused(kura, "admin", "create-user", "--username", "alice-two", "--email",
            "ALICE@example.com", needle="taken")


@pytest.mark.parametrize("name", ["api", "API", "oauth", "admin", "users", "groups", "-",
                                  "-x", "..", "a..b", "x.git", "x.atom", ".x", "a/b",
                                  "caf\u00e9", "a b", "x" * 256])
def test_bad_or_reserved_username(kura, name):
    refused(kura, "admin", "create-user", "--username", name, "--email",
            "reserved@example.com")
    assert name not in users(kura)


def test_reserved_group(kura):
    refused(kura, "admin", "create-group", "--path", "api", needle="reserved")
    refused(kura, "admin", "create-group", "--path", "g/../h")


@pytest.fixture(scope="module")
def visgrp(kura):
    kura.create_group("visgrp")
    return "visgrp"


@pytest.mark.parametrize("vis", ["secret", "Public", "", "-x"])
def test_bad_visibility(kura, visgrp, vis):
    refused(kura, "admin", "create-project", "--path", "visgrp/p", "--visibility", vis,
            needle="visibility")


def test_project_in_unknown_namespace(kura):
    refused(kura, "admin", "create-project", "--path", "ghost/p", needle="ghost")


def test_duplicate_project(kura):
    kura.create_group("dupgrp")
    kura.create_project("dupgrp/p")
    refused(kura, "admin", "create-project", "--path", "dupgrp/P")


def test_secrets_never_echoed(kura):
    pw = "unique-password-Zx81"
    r = kura.cli("admin", "create-user", "--username", "dave", "--email", "dave@example.com",
                 "--password-stdin", input=pw + "\n")
    r2 = kura.cli("admin", "reset-password", "dave", input=pw + "-2\n")
    tok = kura.create_token("dave")
    for out in (r.stdout, r.stderr, r2.stdout, r2.stderr, kura.cli("admin", "list-users").stdout):
        assert pw not in out and tok not in out
    assert pw not in kura.log() and tok not in kura.log()


def test_reset_root_password_removes_the_initial_password_file(fresh_kura):
    k = fresh_kura
    initial = k.data_dir / "initial_root_password"
    assert initial.exists()
    r = k.cli("admin", "reset-password", "root", input="a-new-root-password\n")
    assert "removed" in r.stdout
    assert not initial.exists()
    import requests
    ok = requests.get(k.url("api/v4/user"), auth=("root", "a-new-root-password"))
    assert ok.status_code in (200, 401)  # the API takes tokens; the password is checked below
    assert requests.get(k.url("root/none.git/info/refs"), params={"service": "git-upload-pack"},
                        auth=("root", "a-new-root-password")).status_code == 404
