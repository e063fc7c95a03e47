"""Many more concurrent API clients than the database pool has connections
and the handler line has places: every request is answered, and answered
right, reads and writes mixed; a client that is slow to send its body holds
no one else up."""
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests


def api(kura, path):
    return kura.url(f"/api/v4/{path}")


def test_many_clients_reads_and_writes(kura):
    tok = kura.root_token()
    h = {"PRIVATE-TOKEN": tok}
    pid = requests.post(api(kura, "projects"), headers=h, json={"name": "crowd"}).json()["id"]

    def client(n):
        s = requests.Session()
        s.headers.update(h)
        bad = []
        for i in range(25):
            if i == 12:
                r = s.post(api(kura, "projects"), json={"name": f"crowd-{n}"})
                if r.status_code != 201 or r.json()["name"] != f"crowd-{n}":
                    bad.append((r.status_code, r.text[:200]))
                continue
            r = s.get(api(kura, f"projects/{pid}"))
            if r.status_code != 200 or r.json()["id"] != pid:
                bad.append((r.status_code, r.text[:200]))
        s.close()
        return bad

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=48) as ex:
        results = list(ex.map(client, range(48)))
    assert all(not b for b in results), [b for b in results if b][:3]
    assert time.monotonic() - t0 < 120
    r = requests.get(api(kura, "projects"), headers=h, params={"search": "crowd-", "per_page": 100})
    assert len(r.json()) == 48


def test_slow_senders_hold_no_one_up(kura):
    """Sixteen connections stall halfway through a request body; other
    clients are still answered quickly."""
    tok = kura.root_token()
    host, port = kura.url("").split("//")[1].split("/")[0].rsplit(":", 1)
    stalled = []
    for i in range(16):
        s = socket.create_connection((host, int(port)))
        s.sendall(("POST /api/v4/projects HTTP/1.1\r\nHost: x\r\nPRIVATE-TOKEN: %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na"
                   % tok).encode())
        stalled.append(s)
    try:
        done = []

        def one():
            t = time.monotonic()
            r = requests.get(api(kura, "version"), headers={"PRIVATE-TOKEN": tok})
            done.append((r.status_code, time.monotonic() - t))

        threads = [threading.Thread(target=one) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(done) == 16 and all(c == 200 for c, _ in done)
        assert max(d for _, d in done) < 5
    finally:
        for s in stalled:
            s.close()
