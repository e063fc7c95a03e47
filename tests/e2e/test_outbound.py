"""Outgoing requests and mail against real receivers on loopback.

The C unit tests (tests/unit/test_outbound.c, test_mail.c) skip their network
cases unless they are given a receiver; here a Python HTTP server and an
aiosmtpd sink are started and the test binaries of the build next to KURA_BIN
run against them, then what the receivers saw is checked from this side."""
import email
import email.policy
import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import KURA_BIN

UNIT_DIR = Path(KURA_BIN).resolve().parent / "tests" / "unit"


class Receiver(BaseHTTPRequestHandler):
    """/echo answers the request as JSON; /status/N answers N; /redirect
    points at /target (which must never be hit); /big sends 1 MiB; /slow
    never answers in time."""
    hits = []

    def log_message(self, *args):
        pass

    def _answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.do_POST()

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        Receiver.hits.append(self.path)
        if self.path == "/echo":
            out = {"method": self.command, "body": body.decode(),
                   "headers": {k.lower(): v for k, v in self.headers.items()}}
            self._answer(200, json.dumps(out).encode(), [("Content-Type", "application/json")])
        elif self.path.startswith("/status/"):
            self._answer(int(self.path[8:]), b"status body")
        elif self.path == "/redirect":
            port = self.server.server_address[1]
            self._answer(302, b"", [("Location", f"http://127.0.0.1:{port}/target?t=s3cret")])
        elif self.path == "/big":
            self._answer(200, b"x" * (1024 * 1024))
        elif self.path == "/slow":
            time.sleep(4)
            self._answer(200, b"late")
        else:
            self._answer(200, b"ok")


@pytest.fixture
def receiver():
    Receiver.hits = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def run_unit(name, env):
    exe = UNIT_DIR / name
    if not exe.exists():
        pytest.skip(f"{exe} not built")
    full = {k: v for k, v in os.environ.items() if not k.startswith("KURA_")}
    full.update(env)
    r = subprocess.run([str(exe)], env=full, capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "SKIPPED" not in out, out
    assert "Sanitizer" not in out and "runtime error" not in out, out
    return out


def test_webhook_deliveries_against_a_real_receiver(receiver):
    base = f"http://127.0.0.1:{receiver.server_address[1]}"
    run_unit("test_outbound", {"KURA_TEST_HTTP_URL": base})
    # Redirects are answered, never followed; refused targets are never
    # contacted (the unallowed delivery to /target stopped before connecting).
    assert "/redirect" in Receiver.hits
    assert "/target" not in Receiver.hits
    assert Receiver.hits.count("/echo") == 2   # the hostile header never left
