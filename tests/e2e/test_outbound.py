"""Outgoing requests and mail against real receivers on loopback.

The C unit tests (tests/unit/test_outbound.c, test_mail.c) skip their network
cases unless they are given a receiver; here a Python HTTP server and an
aiosmtpd sink are started and the test binaries of the build next to KURA_BIN
run against them, then what the receivers saw is checked from this side."""
import email
import email.policy
import email.utils
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


class Sink:
    """aiosmtpd handler: saves each message with its envelope; recipients at
    refused.example get 550, at defer.example 451."""

    def __init__(self, directory):
        self.dir = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 5.1.1 No such user"
        if address.endswith("@defer.example"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = self.dir / f"{self.count:03d}"
        base.with_suffix(".eml").write_bytes(envelope.original_content)
        base.with_suffix(".json").write_text(json.dumps({
            "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
            "login": session.auth_data.decode() if session.authenticated else None}))
        return "250 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult
    ok = auth_data.login == b"kura" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


@pytest.fixture
def smtp_sink(tmp_path):
    from aiosmtpd.controller import Controller
    from conftest import free_port
    handler = Sink(tmp_path)
    ctl = Controller(handler, hostname="127.0.0.1", port=free_port(),
                     authenticator=authenticator, auth_require_tls=False)
    ctl.start()
    yield ctl, tmp_path
    ctl.stop()


def test_mail_reaches_a_real_smtp_sink(smtp_sink):
    from conftest import free_port
    ctl, directory = smtp_sink
    run_unit("test_mail", {"KURA_TEST_SMTP_URL": f"smtp://127.0.0.1:{ctl.port}",
                           "KURA_TEST_SMTP_DOWN_URL": f"smtp://127.0.0.1:{free_port()}"})
    # Exactly the two good mails arrived: the refused, deferred and
    # bad-password attempts left nothing behind.
    files = sorted(directory.glob("*.eml"))
    assert len(files) == 2
    first = json.loads(files[0].with_suffix(".json").read_text())
    assert first["mail_from"] == "kura@git.example.com"
    assert first["rcpt_tos"] == ["dev@example.com"]
    assert first["login"] == "kura"
    raw = files[0].read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b"")   # CRLF only
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "Push to grp/app: 3 commits \u2014 \u00fc"
    assert msg["From"] == "Kura <kura@git.example.com>"
    assert msg["To"] == "dev@example.com"
    assert msg["Reply-To"] == "help@example.com"
    assert msg["Message-ID"].endswith("@git.example.com>")
    assert email.utils.parsedate_to_datetime(msg["Date"]) is not None
    assert msg.get_content_type() == "multipart/alternative"
    # Python keeps the wire's CRLF in decoded parts.
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert text == "Commits pushed:\n.dot line\nCaf\u00e9\n"
    assert html == "<p>Commits pushed: <b>caf\u00e9</b></p>\n"
    second = json.loads(files[1].with_suffix(".json").read_text())
    assert second["login"] is None and second["rcpt_tos"] == ["ops@example.com"]
