"""The server starts, answers its health checks and stops cleanly."""
import json
import urllib.request


def test_readiness_reports_checks(kura):
    with urllib.request.urlopen(kura.base + "/-/readiness") as r:
        body = json.load(r)
        assert r.status == 200
        assert r.headers["X-Request-Id"]
    assert body["status"] == "ok"
    assert body["db_check"][0]["status"] == "ok"
    assert body["storage_check"][0]["status"] == "ok"
