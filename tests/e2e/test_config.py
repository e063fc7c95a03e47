"""Bad configuration stops start-up: exit status 2 and exactly one line on
stderr naming the problem, for `kura serve` and `kura migrate` alike; good
configuration from a file and the environment is honoured."""
import os
import subprocess
import time
import urllib.request

import pytest

from conftest import KURA_BIN, Kura, free_port


def run_kura(tmp_path, *args, env=None, timeout=30):
    e = {k: v for k, v in os.environ.items() if not k.startswith("KURA_")}
    e["KURA_DATA_DIR"] = str(tmp_path / "data")
    e["KURA_LISTEN"] = f"127.0.0.1:{free_port()}"
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    return subprocess.run([KURA_BIN, *args], env=e, capture_output=True, text=True,
                          timeout=timeout)


def assert_refused(r, *needles):
    lines = r.stderr.splitlines()
    assert r.returncode == 2, f"exit {r.returncode}, stderr: {r.stderr!r}"
    assert len(lines) == 1, f"want one line on stderr, got: {r.stderr!r}"
    assert "Sanitizer" not in r.stderr
    for n in needles:
        assert n in lines[0], f"{n!r} not named in {lines[0]!r}"


def write(path, text):
    path.write_text(text)
    return str(path)


# (id, environment, config file text or None, words the one line must hold)
BAD = [
    ("unknown-key-in-file", {}, "listen = 127.0.0.1:9\nlisten_adress = 1\n", ["listen_adress"]),
    ("unknown-section", {}, "[server]\nlisten = 127.0.0.1:9\n", ["[server]"]),
    ("file-syntax", {}, "listen = 127.0.0.1:9\njust words\n", ["line 2"]),
    ("unknown-env", {"KURA_LISTNE": "127.0.0.1:9"}, None, ["KURA_LISTNE"]),
    ("unknown-env-lowercase", {"KURA_Data_Dirr": "/x"}, None, ["KURA_Data_Dirr"]),
    ("listen-no-port", {"KURA_LISTEN": "127.0.0.1"}, None, ["listen"]),
    ("listen-port-range", {"KURA_LISTEN": "127.0.0.1:70000"}, None, ["listen"]),
    ("listen-port-zero", {"KURA_LISTEN": "127.0.0.1:0"}, None, ["listen"]),
    ("listen-garbage", {"KURA_LISTEN": "-x"}, None, ["listen"]),
    ("listen-empty", {"KURA_LISTEN": ""}, None, ["listen"]),
    ("listen-newline", {"KURA_LISTEN": "127.0.0.1:80\r\nx"}, None, ["listen"]),
    ("external-ftp", {"KURA_EXTERNAL_URL": "ftp://git.example.com"}, None, ["external_url"]),
    ("external-no-scheme", {"KURA_EXTERNAL_URL": "git.example.com"}, None, ["external_url"]),
    ("external-javascript", {"KURA_EXTERNAL_URL": "javascript:alert(1)"}, None,
     ["external_url"]),
    ("external-no-host", {"KURA_EXTERNAL_URL": "https:///x"}, None, ["external_url"]),
    ("database-scheme", {"KURA_DATABASE_URL": "mysql://localhost/kura"}, None,
     ["database_url"]),
    ("database-relative", {"KURA_DATABASE_URL": "sqlite://kura.db"}, None, ["database_url"]),
    ("log-level", {"KURA_LOG_LEVEL": "chatty"}, None, ["log_level"]),
    ("git-path", {"KURA_GIT_PATH": "/nonexistent/git"}, None, ["git_path"]),
    ("smtp-url", {"KURA_SMTP_URL": "http://mail"}, None, ["smtp_url"]),
]


@pytest.mark.parametrize("command", ["serve", "migrate"])
@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_configuration_exits_2_with_one_line(tmp_path, case, command):
    _, env, ini, needles = case
    args = [command]
    if ini is not None:
        args += ["--config", write(tmp_path / "kura.ini", ini)]
    assert_refused(run_kura(tmp_path, *args, env=env), *needles)


def test_kura_config_variable_names_the_file(tmp_path):
    ini = write(tmp_path / "kura.ini", "[kura]\nbogus_key = 1\n")
    assert_refused(run_kura(tmp_path, "migrate", env={"KURA_CONFIG": ini}), "bogus_key")


def test_missing_config_file(tmp_path):
    assert_refused(run_kura(tmp_path, "serve", "--config", str(tmp_path / "nope.ini")),
                   "nope.ini")


def test_data_dir_under_a_regular_file(tmp_path):
    # Tests run as root, so permissions cannot make a directory unwritable;
    # a path through a regular file can never be created.
    (tmp_path / "afile").write_text("x")
    r = run_kura(tmp_path, "serve", env={"KURA_DATA_DIR": str(tmp_path / "afile" / "data")})
    assert_refused(r, "data directory", str(tmp_path / "afile" / "data"))


def test_data_dir_is_a_regular_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = run_kura(tmp_path, "serve", env={"KURA_DATA_DIR": str(tmp_path / "afile")})
    assert_refused(r, "data directory")


def test_data_dir_on_read_only_storage(tmp_path):
    # /proc is read-only even for root.
    r = run_kura(tmp_path, "serve", env={"KURA_DATA_DIR": "/proc/kura-data"})
    assert_refused(r, "/proc/kura-data")


@pytest.mark.parametrize("where", ["missing-parent", "parent-is-file"])
def test_unreachable_database(tmp_path, where):
    (tmp_path / "afile").write_text("x")
    parent = tmp_path / ("nodir" if where == "missing-parent" else "afile")
    url = f"sqlite://{parent}/kura.db"
    for command in ("serve", "migrate"):
        r = run_kura(tmp_path, command, env={"KURA_DATABASE_URL": url})
        assert_refused(r, "database", str(parent / "kura.db"))


def test_database_file_is_not_sqlite(tmp_path):
    bad = tmp_path / "garbage.db"
    bad.write_bytes(b"this is not a database" * 100)
    r = run_kura(tmp_path, "migrate", env={"KURA_DATABASE_URL": f"sqlite://{bad}"})
    assert_refused(r, "database")
    assert bad.read_bytes() == b"this is not a database" * 100


def test_nothing_listens_after_refusal(tmp_path):
    port = free_port()
    r = run_kura(tmp_path, "serve", env={"KURA_LISTEN": f"127.0.0.1:{port}",
                                          "KURA_EXTERNAL_URL": "gopher://x"})
    assert_refused(r, "external_url")
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/-/liveness", timeout=2)


def test_config_file_and_environment_override(tmp_path):
    file_port, env_port = free_port(), free_port()
    ini = write(tmp_path / "kura.ini",
                f"[kura]\nlisten = 127.0.0.1:{file_port}\n"
                "external_url = https://git.example.com/\nlog_level = info\n")
    k = Kura(tmp_path, {"KURA_CONFIG": ini})
    # The file names one port; the environment wins with another.
    k.env["KURA_LISTEN"] = f"127.0.0.1:{env_port}"
    k.port, k.base = env_port, f"http://127.0.0.1:{env_port}"
    k.start()
    try:
        assert "external_url=https://git.example.com " in k.log() or \
            "external_url=https://git.example.com\"" in k.log()
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{file_port}/-/liveness", timeout=2)
    finally:
        assert k.stop() == 0


def test_address_in_use_is_one_line(tmp_path, kura):
    e = {k: v for k, v in os.environ.items() if not k.startswith("KURA_")}
    e.update({"KURA_DATA_DIR": str(tmp_path / "data"), "KURA_LISTEN": f"127.0.0.1:{kura.port}"})
    p = subprocess.Popen([KURA_BIN, "serve"], env=e, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    try:
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        pytest.fail("a second server started on a port already in use")
    assert p.returncode == 2
    assert len(err.splitlines()) == 1, err
