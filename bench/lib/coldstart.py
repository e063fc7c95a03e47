"""Cold start to readiness, and kura's memory right after it starts.

Each round starts build/kura twice on a free port on 127.0.0.1: once on a
fresh data directory (the first start: database created, migrations run,
root user made) and once more on that same directory after stopping it (a
restart over existing data). The time is from just before the process is
spawned to the first 200 from GET /-/readiness, polled every POLL seconds
over a fresh connection (a refused connection costs microseconds, so the
polling adds at most POLL to the time). Right after readiness, kura's own
RSS (VmRSS, children excluded) and the PSS of its process tree (children
included) are read.

Every server started here is in a session of its own and stopped by PID
(SIGTERM, then SIGKILL after 5 s), whatever happens.
"""

import os
import shutil
import signal
import socket
import subprocess
import time

POLL = 0.002
READY_TIMEOUT = 15.0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ready(port):
    """True if GET /-/readiness answers 200 now."""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=1)
    except OSError:
        return False
    try:
        c.sendall(b"GET /-/readiness HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        head = c.recv(64)
        return head.split(b" ", 2)[1:2] == [b"200"]
    except OSError:
        return False
    finally:
        c.close()


def stop(p):
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except OSError:
        pass
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait(5)


def start_once(binary, data, log_path, pss_tree, vm_rss_mb):
    """(ms to ready, own RSS MB, tree PSS MB) of one start; raises on failure."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KURA_")}
    env.update(KURA_LISTEN="127.0.0.1:%d" % port, KURA_DATA_DIR=data)
    with open(log_path, "ab") as logf:
        t0 = time.perf_counter()
        p = subprocess.Popen([binary, "serve"], env=env, stdin=subprocess.DEVNULL,
                             stdout=logf, stderr=logf, start_new_session=True)
        try:
            deadline = t0 + READY_TIMEOUT
            while True:
                if ready(port):
                    dt = time.perf_counter() - t0
                    break
                if p.poll() is not None:
                    raise RuntimeError("kura exited with status %s before it was ready" % p.returncode)
                if time.perf_counter() > deadline:
                    raise RuntimeError("not ready within %.0f s" % READY_TIMEOUT)
                time.sleep(POLL)
            return dt * 1000, vm_rss_mb(p.pid), pss_tree(p.pid)
        finally:
            stop(p)


def measure(binary, tmp, rounds, pss_tree, vm_rss_mb, log):
    """{"fresh": [...], "restart": [...]} with ms, rss_mb, pss_mb lists,
    or {"skipped": reason}."""
    if not binary or not os.access(binary, os.X_OK):
        return dict(skipped="%s not built" % (binary or "kura"))
    out = {k: dict(ms=[], rss_mb=[], pss_mb=[]) for k in ("fresh", "restart")}
    root = os.path.join(tmp, "coldstart")
    os.makedirs(root, exist_ok=True)
    log_path = os.path.join(root, "kura.log")
    log("coldstart: %d round(s)" % rounds)
    try:
        for i in range(rounds):
            data = os.path.join(root, "data%d" % i)
            os.makedirs(data)
            for kind in ("fresh", "restart"):
                ms, rss, pss = start_once(binary, data, log_path, pss_tree, vm_rss_mb)
                out[kind]["ms"].append(round(ms, 2))
                out[kind]["rss_mb"].append(round(rss or 0, 2))
                out[kind]["pss_mb"].append(round(pss, 2))
            shutil.rmtree(data, ignore_errors=True)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        tail = ""
        try:
            with open(log_path, "rb") as f:
                tail = f.read()[-200:].decode(errors="replace").strip().splitlines()[-1:]
        except OSError:
            pass
        return dict(skipped="%s (%s)" % (e, "".join(tail)))
    log("coldstart: fresh %s ms, restart %s ms" % (out["fresh"]["ms"], out["restart"]["ms"]))
    return out
