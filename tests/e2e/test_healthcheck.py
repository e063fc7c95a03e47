"""kura healthcheck: the container HEALTHCHECK that needs no shell or curl."""


def test_healthcheck_passes_against_a_ready_server(kura):
    r = kura.cli("healthcheck", check=False)
    assert r.returncode == 0, r.stderr


def test_healthcheck_fails_when_nothing_listens(kura):
    r = kura.cli("healthcheck", check=False, env={"KURA_LISTEN": "127.0.0.1:1"})
    assert r.returncode == 1
    assert "not ready" in r.stderr
