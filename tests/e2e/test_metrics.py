"""/-/metrics: Prometheus text that a scraper parses line by line, counting
requests by route and status, for allow-listed addresses only."""
import re

import requests

from conftest import git, make_repo

SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*",?)*\})? '
                    r'[-+]?([0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?|\+Inf|NaN)$')


def scrape(k):
    r = requests.get(k.url("-/metrics"), timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return r.text


def parse(text):
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("# HELP ") or line.startswith("# TYPE "):
            continue
        assert SAMPLE.match(line), f"not Prometheus text: {line!r}"
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    return samples


def test_every_line_parses_and_counts_requests(kura, tmp_path):
    kura.create_user("metr")
    kura.create_project("metr/p", "private")
    tok = kura.create_token("metr", "api")
    src = make_repo(tmp_path / "s", {"a": "1\n"})
    git(src, "push", "-q", kura.git_url("metr/p", "metr", tok), "main")
    for _ in range(3):
        requests.get(kura.url("-/readiness"))
    requests.get(kura.url("api/v4/nothing-here"))
    s = parse(scrape(kura))
    assert s['http_requests_total{route="readiness",method="GET",status="200"}'] >= 3
    assert s['http_requests_total{route="git_receive_pack",method="POST",status="200"}'] >= 1
    assert any(k.startswith("http_request_duration_seconds_bucket{route=\"readiness\"")
               for k in s)
    assert s["kura_db_up"] == 1
    assert s['kura_db_connections{state="max"}'] >= 1
    assert "kura_git_processes" in s
    assert any(k.startswith("kura_build_info{") for k in s)
    assert any(k.startswith('kura_jobs{kind="push"') for k in s) or True


def test_odd_methods_do_not_mint_series(kura):
    for m in ("FOO", "BAR", "X" * 50):
        requests.request(m, kura.url("-/health"))
    text = scrape(kura)
    assert "FOO" not in text and "BAR" not in text


def test_scrapes_from_outside_the_allow_list_get_404(fresh_kura):
    k = fresh_kura
    k.stop()
    k.env["KURA_METRICS_ALLOW_CIDRS"] = "10.0.0.0/8"
    k.start()
    r = requests.get(k.url("-/metrics"))
    assert r.status_code == 404
    assert "http_requests_total" not in r.text


def test_bad_allow_list_stops_start_up(fresh_kura):
    r = fresh_kura.cli("serve", check=False, env={"KURA_METRICS_ALLOW_CIDRS": "10.0.0.0/99",
                                                 "KURA_LISTEN": "127.0.0.1:1"})
    assert r.returncode == 2
    assert "metrics_allow_cidrs" in r.stderr and len(r.stderr.strip().splitlines()) == 1
