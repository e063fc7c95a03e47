"""git's hooks as kura-hook: a small program that hands receive-pack's ref
updates to the server that started git. Pushes keep every rule; a call
without the push's token, or malformed, is refused; with no server to ask,
the hook runs the whole kura as before."""
import os
import re
import socket
import subprocess

import pytest

from conftest import KURA_BIN, commit, git, make_repo, server_alive

ZERO = "0" * 40


@pytest.fixture(scope="module")
def setup(kura, tmp_path_factory):
    kura.create_user("hooker")
    kura.create_group("hk")
    kura.create_project("hk/repo", "private")
    kura.add_member("hooker", 30, project="hk/repo")     # developer
    token = kura.create_token("hooker", "api")
    src = make_repo(tmp_path_factory.mktemp("hk") / "r", {"a.txt": "a\n"})
    git(src, "push", "-q", kura.git_url("hk/repo", "root", kura.root_token()), "main")
    return token, src


def hook_socket(kura):
    m = re.findall(r"hook service listening socket=(@kura-hooks-[0-9]+-[0-9a-f]+)", kura.log())
    assert m, "the hook service did not start"
    return m[-1]


def run_hook(kura, name, stdin, extra_env):
    hooks = kura.data_dir / "git" / "hooks"
    env = {"PATH": "/usr/bin:/bin"}
    env.update(extra_env)
    return subprocess.run([str(hooks / name)], input=stdin, env=env, capture_output=True,
                          timeout=60)


def test_hooks_are_kura_hook(kura, setup):
    hooks = kura.data_dir / "git" / "hooks"
    want = os.path.join(os.path.dirname(os.path.realpath(KURA_BIN)), "kura-hook")
    for name in ("pre-receive", "post-receive"):
        assert os.path.realpath(hooks / name) == want


def test_rules_still_hold_through_the_service(kura, setup, tmp_path):
    token, src = setup
    url = kura.git_url("hk/repo", "hooker", token)
    git(tmp_path, "clone", "-q", url, "c")
    commit(tmp_path / "c", {"b.txt": "b\n"}, "dev change")
    # main is protected after the first push: a developer may not push to it.
    r = git(tmp_path / "c", "push", "origin", "main", check=False)
    assert r.returncode != 0 and "not allowed to push code to protected branches" in r.stderr
    git(tmp_path / "c", "push", "-q", "origin", "main:feature/ok")
    assert "refs/heads/feature/ok" in git(tmp_path, "ls-remote", url).stdout
    assert "Pushes are unavailable" not in kura.log()


def test_unknown_token_and_malformed_calls_are_refused(kura, setup):
    sock = hook_socket(kura)
    line = f"{ZERO} {'1' * 40} refs/heads/forged\n".encode()
    r = run_hook(kura, "pre-receive", line,
                 {"KURA_HOOK_SOCKET": sock, "KURA_HOOK_TOKEN": "ab" * 32})
    assert r.returncode == 1 and b"cannot be checked" in r.stderr
    assert "hook call with an unknown token refused" in kura.log()
    for raw in [b"", b"garbage\n\n", b"kura-hook 1\nname pre-receive\n\n",
                b"kura-hook 1\nname evil\ntoken " + b"ab" * 32 + b"\nquarantine \n\n",
                b"kura-hook 1\x00\nname pre-receive\ntoken x\nquarantine \n\n",
                b"kura-hook 1\n" + b"x" * 100000]:
        s = socket.socket(socket.AF_UNIX)
        s.connect("\0" + sock[1:])
        s.sendall(raw)
        s.shutdown(socket.SHUT_WR)
        answer = s.recv(4096)
        s.close()
        assert answer.startswith(b"1\n"), raw[:40]
    assert server_alive(kura)


def test_without_the_service_the_hook_runs_kura(kura, setup):
    """No socket to reach: kura-hook runs the full binary, which decides
    the same way from the environment kura sets."""
    (pid,), = kura.sql("select id from projects where path = 'repo'")
    (uid,), = kura.sql("select id from users where username = 'hooker'")
    base = {"KURA_HOOK_SOCKET": "@kura-hooks-nobody-listens", "KURA_HOOK_TOKEN": "ab" * 32,
            "KURA_HOOK_BINARY": os.path.realpath(KURA_BIN),
            "KURA_HOOK_PROJECT_ID": str(pid), "KURA_HOOK_USER_ID": str(uid),
            "KURA_HOOK_DEPLOY_TOKEN_ID": "0", "KURA_HOOK_PROTOCOL": "http",
            "KURA_HOOK_DATABASE_URL": kura.env.get("KURA_DATABASE_URL",
                                                   f"sqlite://{kura.data_dir}/kura.db"),
            "KURA_HOOK_DATA_DIR": str(kura.data_dir),
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "")}
    main = git(kura.data_dir, "--git-dir", str(hashed(kura, pid)), "rev-parse", "main").stdout
    r = run_hook(kura, "pre-receive", f"{main.strip()} {ZERO} refs/heads/main\n".encode(), base)
    assert r.returncode == 1 and b"protected" in r.stderr
    r = run_hook(kura, "pre-receive", f"{ZERO} {main.strip()} refs/heads/side\n".encode(), base)
    assert r.returncode == 0, r.stderr
    # Neither a service nor a binary: refused, never waved through.
    del base["KURA_HOOK_BINARY"]
    r = run_hook(kura, "pre-receive", f"{ZERO} {main.strip()} refs/heads/side\n".encode(), base)
    assert r.returncode == 1 and b"cannot be checked" in r.stderr


def hashed(kura, pid):
    import hashlib
    h = hashlib.sha256(str(pid).encode()).hexdigest()
    return kura.data_dir / "repositories" / "@hashed" / h[:2] / h[2:4] / (h + ".git")
