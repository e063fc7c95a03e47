"""The GitLab reference-architecture load, replayed against kura on one machine.

GitLab sizes its reference architectures for a fixed request mix per 1,000
users: API 20, web 2, git pull 2, git push 1 requests per second (the mix is
API : web : pull = 10 : 1 : 1, push about 20 % of pull, at least 1/s). This
module replays that mix at fixed arrival rates (open loop: request i of a
class is due at start + i / rate, whether or not earlier ones have finished)
for a fixed duration per level, and reports per class the achieved rate of
successful requests, errors, and latency percentiles measured from the time a
request was due, so that a server that falls behind shows it as latency
instead of silently slowing the generator down.

The operations:
  api   GET /api/v4/projects/:id, .../repository/branches, .../repository/tree,
        .../repository/files/PATH and .../repository/commits in turn, with a
        PRIVATE-TOKEN header;
  web   the project, tree, file, commit and commit list pages in turn,
        anonymous (public);
  pull  an incremental fetch of 10 commits as git does it over smart HTTP
        v0: GET info/refs?service=git-upload-pack, then POST git-upload-pack
        wanting the branch tip and having the commit 10 back; one pull = both
        requests, with HTTP Basic auth;
  push  GET info/refs?service=git-receive-pack, then POST git-receive-pack
        creating a new branch with a new commit (a pack of a blob, a tree and
        a commit built here), into a separate project so pulls do not see the
        growing ref list; Basic auth.

Each class runs in its own process (so the generator's GIL is not the limit),
with a bounded pool of threads; a request more than GRACE seconds late is not
sent and counts as dropped. Everything is bounded: rate x duration requests,
10 s socket timeouts, and a hard stop GRACE + 10 s after the duration.
"""

import base64
import hashlib
import http.client
import multiprocessing
import os
import struct
import threading
import time
import urllib.parse
import zlib

GRACE = 5.0          # a request this late is dropped rather than sent
SOCK_TIMEOUT = 10.0

# Per 1,000 users; from GitLab's reference architectures (shared compat notes,
# section C.1). The hardware is GitLab's published plan for each size.
LEVELS = [
    dict(name="1k", users=1000, api=20, web=2, pull=2, push=1,
         gitlab="1 node, 8 vCPU, 16 GB RAM (all-in-one)"),
    dict(name="10k", users=10000, api=200, web=20, pull=20, push=4,
         gitlab="32 nodes, 240 vCPU, 535 GB RAM (Rails 3 x 32 vCPU, Gitaly 3 x 16 vCPU)"),
    dict(name="50k", users=50000, api=1000, web=100, pull=100, push=20,
         gitlab="41 nodes, 774 vCPU, 1631 GB RAM (Rails 12 x 32 vCPU, Gitaly 3 x 64 vCPU)"),
]
CLASSES = ["api", "web", "pull", "push"]
THREADS = dict(api=64, web=32, pull=32, push=16)
# what the issue holds kura to at each level: p95 per class, in ms
P95_GOAL = dict(api=200, web=500, pull=1000, push=1000)


# ---------------------------------------------------------------- git bodies

def pkt(s):
    b = s.encode() if isinstance(s, str) else s
    return b"%04x" % (len(b) + 4) + b


def _obj(kind, data):
    """(sha hex, pack entry) of one undeltified object."""
    sha = hashlib.sha1(b"%s %d\0" % (kind.encode(), len(data)) + data).hexdigest()
    n = len(data)
    code = {"commit": 1, "tree": 2, "blob": 3}[kind]
    head = bytearray()
    b = (code << 4) | (n & 15)
    n >>= 4
    while n:
        head.append(b | 0x80)
        b = n & 0x7f
        n >>= 7
    head.append(b)
    return sha, bytes(head) + zlib.compress(data)


def push_body(tag, i):
    """A receive-pack request creating refs/heads/load-TAG-I at a new root
    commit: blob, tree and commit, all new, so the server unpacks, checks
    (receive.fsckObjects) and syncs real objects on every push."""
    ts = 1700000000 + i
    blob = ("load push %s %d\n" % (tag, i)).encode() * 64
    bsha, bent = _obj("blob", blob)
    tsha, tent = _obj("tree", b"100644 load.txt\0" + bytes.fromhex(bsha))
    who = "Bench <bench@example.com> %d +0000" % ts
    commit = ("tree %s\nauthor %s\ncommitter %s\n\nload push %s %d\n" % (tsha, who, who, tag, i)).encode()
    csha, cent = _obj("commit", commit)
    pack = b"PACK" + struct.pack(">II", 2, 3) + bent + tent + cent
    pack += hashlib.sha1(pack).digest()
    ref = "refs/heads/load-%s-%d" % (tag, i)
    cmd = "%s %s %s\0report-status side-band-64k agent=kura-bench\n" % ("0" * 40, csha, ref)
    return pkt(cmd) + b"0000" + pack, ref


def pull_body(want, have):
    return (pkt("want %s multi_ack_detailed no-done side-band-64k thin-pack ofs-delta agent=kura-bench\n" % want)
            + b"0000" + pkt("have %s\n" % have) + pkt("done\n"))


# ---------------------------------------------------------------- one class

class Client:
    """One keep-alive HTTP connection per thread, reopened after errors."""

    def __init__(self, host, port):
        self.host, self.port, self.c = host, port, None

    def req(self, method, path, headers, body=None):
        for attempt in (0, 1):
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=SOCK_TIMEOUT)
            try:
                self.c.request(method, path, body=body, headers=headers)
                r = self.c.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # a keep-alive connection the server closed: retry once, fresh
                self.close()
                if attempt:
                    raise
            except Exception:
                self.close()
                raise
        return 0, b""

    def close(self):
        if self.c:
            self.c.close()
            self.c = None


def make_op(cls, spec):
    """fn(client, i) -> None or an error string, for one request of a class."""
    auth = {"Authorization": "Basic " + base64.b64encode(("root:" + spec["token"]).encode()).decode()}
    if cls == "api":
        paths = spec["api_paths"]
        hdr = {"PRIVATE-TOKEN": spec["token"]}

        def op(c, i):
            st, _ = c.req("GET", paths[i % len(paths)], hdr)
            return None if st == 200 else "HTTP %d" % st
    elif cls == "web":
        paths = spec["web_paths"]

        def op(c, i):
            st, _ = c.req("GET", paths[i % len(paths)], {})
            return None if st == 200 else "HTTP %d" % st
    elif cls == "pull":
        repo = spec["pull_repo"]
        body = pull_body(spec["want"], spec["have"])
        post = dict(auth, **{"Content-Type": "application/x-git-upload-pack-request",
                             "Accept": "application/x-git-upload-pack-result"})

        def op(c, i):
            st, _ = c.req("GET", repo + "/info/refs?service=git-upload-pack", auth)
            if st != 200:
                return "info/refs HTTP %d" % st
            st, data = c.req("POST", repo + "/git-upload-pack", post, body)
            if st != 200:
                return "upload-pack HTTP %d" % st
            return None if b"PACK" in data else "upload-pack: no pack in the answer"
    else:
        repo = spec["push_repo"]
        tag = "%d%d" % (os.getpid(), int(time.time()) % 100000)
        post = dict(auth, **{"Content-Type": "application/x-git-receive-pack-request",
                             "Accept": "application/x-git-receive-pack-result"})

        def op(c, i):
            st, _ = c.req("GET", repo + "/info/refs?service=git-receive-pack", auth)
            if st != 200:
                return "info/refs HTTP %d" % st
            body, ref = push_body(tag, i)
            st, data = c.req("POST", repo + "/git-receive-pack", post, body)
            if st != 200:
                return "receive-pack HTTP %d" % st
            if b"unpack ok" not in data or ("ok " + ref).encode() not in data:
                return "receive-pack: not accepted: %r" % data[-160:]
            return None
    return op


def run_class(cls, rate, seconds, spec, start, conn):
    """Child process: send rate x seconds requests of one class, due at fixed
    times from `start`; send back [(due, began, ended, error)] through conn."""
    host, port = spec["host"], spec["port"]
    op = make_op(cls, spec)
    total = int(round(rate * seconds))
    lock = threading.Lock()
    nxt = [0]
    out = []
    hard_stop = start + seconds + GRACE + 10

    def worker():
        c = Client(host, port)
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= total:
                break
            due = start + i / rate
            now = time.time()
            if due > now:
                time.sleep(due - now)
            began = time.time()
            if began - due > GRACE or began > hard_stop:
                out.append((due, began, began, "dropped: due more than %.0f s before it could be sent" % GRACE))
                continue
            try:
                err = op(c, i)
            except Exception as e:  # the error is the measurement
                err = "%s: %s" % (type(e).__name__, e)
            out.append((due, began, time.time(), err))
        c.close()

    ths = [threading.Thread(target=worker, daemon=True) for _ in range(min(THREADS[cls], max(1, total)))]
    for t in ths:
        t.start()
    for t in ths:
        t.join(max(0.1, hard_stop + SOCK_TIMEOUT * 2 - time.time()))
    conn.send(list(out))
    conn.close()


# ---------------------------------------------------------------- one level

def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def run_level(level, seconds, spec, kura_pid, cpu_split, Sampler, log):
    """Run one level; return its result dict (per class and resources)."""
    ctx = multiprocessing.get_context("fork")
    start = time.time() + 0.5  # every class starts on the same tick
    procs = []
    own0, kids0 = cpu_split(kura_pid)
    gen0 = os.times()
    wall0 = time.time()
    s = Sampler(dict(self_pid=kura_pid, pids=[kura_pid]), period=0.2)
    s.start()
    for cls in CLASSES:
        a, b = ctx.Pipe(duplex=False)
        p = ctx.Process(target=run_class, args=(cls, level[cls], seconds, spec, start, b), daemon=True)
        p.start()
        b.close()
        procs.append((cls, p, a))
    res = dict(level=level["name"], users=level["users"], seconds=seconds, gitlab=level["gitlab"],
               classes={})
    deadline = start + seconds + GRACE + 10 + SOCK_TIMEOUT * 3
    for cls, p, a in procs:
        rows = []
        if a.poll(max(0.1, deadline - time.time())):
            try:
                rows = a.recv()
            except EOFError:
                rows = []
        p.join(max(0.1, deadline - time.time()))
        if p.is_alive():
            p.kill()
            p.join()
        target = int(round(level[cls] * seconds))
        ok = [r for r in rows if r[3] is None]
        errs = {}
        for r in rows:
            if r[3] is not None:
                errs[r[3][:120]] = errs.get(r[3][:120], 0) + 1
        lat = [(r[2] - r[0]) * 1000 for r in ok]
        svc = [(r[2] - r[1]) * 1000 for r in ok]
        res["classes"][cls] = dict(
            target_rps=level[cls], requests=target, completed=len(ok),
            errors=sum(errs.values()) + (target - len(rows)), error_kinds=errs,
            achieved_rps=len(ok) / seconds, p50=pct(lat, 50), p95=pct(lat, 95), p99=pct(lat, 99),
            service_p50=pct(svc, 50))
        if target > len(rows):
            errs["not finished by the hard stop"] = target - len(rows)
    s.stop.set()
    s.join()
    own1, kids1 = cpu_split(kura_pid)
    gen1 = os.times()
    # over the whole run, including the drain of late requests after the
    # last one was due: CPU seconds over that wall time, in cores
    wall = max(0.001, time.time() - wall0)
    res["wall_seconds"] = wall
    res["kura_cpu_self_cores"] = (own1 - own0) / wall
    res["kura_cpu_children_cores"] = (kids1 - kids0) / wall
    res["generator_cpu_cores"] = ((gen1.children_user + gen1.children_system)
                                  - (gen0.children_user + gen0.children_system)) / wall
    res["kura_rss_peak_mb"] = s.peak_self
    res["kura_rss_mean_mb"] = s.mean_self()
    res["tree_pss_peak_mb"] = s.peak_tree
    res["sustained"] = all(
        c["achieved_rps"] >= 0.95 * c["target_rps"] and c["errors"] == 0 and c["p95"] is not None
        and c["p95"] <= P95_GOAL[k] for k, c in res["classes"].items())
    log("mixed %s: %s" % (level["name"], ", ".join(
        "%s %.1f/%d rps p95 %s ms err %d" % (k, c["achieved_rps"], c["target_rps"],
                                              "%.0f" % c["p95"] if c["p95"] is not None else "—",
                                              c["errors"]) for k, c in res["classes"].items())))
    return res


def spec_for(k, api_urls, web_urls, want, have):
    """Connection details for the generator processes, from a kura's
    description (the target config's kura_http or kura_pg_http)."""
    u = urllib.parse.urlsplit(k["base"])
    path = lambda url: urllib.parse.urlsplit(url)._replace(scheme="", netloc="").geturl()
    return dict(host=u.hostname, port=u.port, token=k["token"],
                api_paths=[path(x) for x in api_urls], web_paths=[path(x) for x in web_urls],
                pull_repo="/" + k["project_path"] + ".git", push_repo="/" + k["push_project_path"] + ".git",
                want=want, have=have)
