"""Git workloads that need state prepared outside the measurement: an
incremental fetch of 10 new commits, a push of 10 commits onto an existing
branch, and the no-op fetch rate with concurrent clients.

New commits come from a writer: a bare repository that borrows the source
repository's objects (alternates) and makes chains of 10 commits with
fast-import, each appending a line to the same text file at HEAD (the web
workloads' 4 KB file), so each commit brings a blob, the trees above it and
itself, like a small real change. Chains differ per target and round, so no
server ever already has the objects it is sent.

Incremental fetch: each target's client is a mirror made once; before each
round (untimed) 10 new commits are pushed to the server on a branch of that
target's own, incr-NAME (kura over HTTP into its project; http-backend and
the floor into the anchors' served copy, where they are the same repository),
then the timed operation is `git fetch` of that branch. The branches are
deleted at the end, so later workloads see the original refs.

Push of 10 commits: onto the default branch of a repository that already
holds the whole history (the destinations the whole-history push made, or
made here the same way), 10 new commits per round, timed `git push`.

No-op fetch rate: 1 or 16 clients, each running `git fetch` in a loop in an
up-to-date mirror until a time or count limit; fetches per second.
"""

import os
import subprocess
import threading
import time

N_COMMITS = 10


class Writer:
    def __init__(self, r, pick):
        self.r = r
        self.dir = os.path.join(r.tmp, "writer.git")
        if not os.path.isdir(self.dir):
            r.git(["init", "-q", "--bare", self.dir])
            with open(os.path.join(self.dir, "objects", "info", "alternates"), "w") as f:
                f.write(os.path.join(r.cfg["repo"], "objects") + "\n")
        self.path = pick["path"]
        self.base = subprocess.run(["git", "-C", r.cfg["repo"], "cat-file", "blob",
                                    "%s:%s" % (pick["sha"], pick["path"])], env=r.env,
                                   capture_output=True, timeout=60).stdout
        self.n = 0

    def chain(self, ref, parent, tag):
        """N_COMMITS new commits on top of parent, at refs/heads/ref; the tip."""
        out = bytearray()
        content = self.base
        for i in range(N_COMMITS):
            self.n += 1
            content += ("bench %s change %d\n" % (tag, i)).encode()
            msg = ("bench: %s change %d\n" % (tag, i)).encode()
            out += b"commit refs/heads/%s\n" % ref.encode()
            out += b"committer Bench <bench@example.com> %d +0000\n" % (1700000000 + self.n)
            out += b"data %d\n%s\n" % (len(msg), msg)
            if i == 0:
                out += b"from %s\n" % parent.encode()
            out += b"M 100644 inline %s\ndata %d\n%s\n" % (self.path.encode(), len(content), content)
        res = subprocess.run(["git", "-C", self.dir, "fast-import", "--quiet", "--force"],
                             input=bytes(out), env=self.r.env, capture_output=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError("fast-import: " + res.stderr.decode(errors="replace")[-300:])
        return subprocess.run(["git", "-C", self.dir, "rev-parse", "refs/heads/" + ref], env=self.r.env,
                              capture_output=True, text=True, timeout=60).stdout.strip()


def incr_fetch(r, targets, pick, runs, run_rounds, settle, Failed):
    """(samples, errors) of the incremental fetch, after cleaning up."""
    w = Writer(r, pick)
    state = {}
    for t in targets:
        d = os.path.join(r.tmp, "incr-" + t["name"])
        # the objects are borrowed: the client has the whole history, cheaply
        r.git(["clone", "-q", "--mirror", "--shared", r.cfg["repo"], d])
        r.git(["-C", d, "remote", "set-url", "origin", t["url"]])
        state[t["name"]] = dict(dir=d, tip=pick["sha"], round=0, branch="incr-" + t["name"])

    def around(t, phase, extra=None, counted=False):
        if phase != "before":
            return None
        s = state[t["name"]]
        s["round"] += 1
        ref = "fetch-%s-%d" % (t["name"], s["round"])
        tip = w.chain(ref, s["tip"], ref)
        r.git(["-C", w.dir, "push", "-q", "-f", t["server_push_url"],
               "refs/heads/%s:refs/heads/%s" % (ref, s["branch"])])
        s["tip"] = tip
        settle(t)
        return None

    def fn(t):
        s = state[t["name"]]
        t0 = time.perf_counter()
        r.git(["-C", s["dir"], "fetch", "-q", "origin",
               "+refs/heads/%s:refs/heads/%s" % (s["branch"], s["branch"])])
        dt = time.perf_counter() - t0
        got = subprocess.run(["git", "-C", s["dir"], "rev-parse", "refs/heads/" + s["branch"]],
                             env=r.env, capture_output=True, text=True, timeout=60).stdout.strip()
        if got != s["tip"]:
            raise Failed("fetch of 10 commits: got %s, want %s" % (got[:12], s["tip"][:12]))
        return dt

    try:
        return run_rounds(r, targets, "fetch_10", fn, runs, True, around)
    finally:
        for t in targets:
            try:
                r.git(["-C", w.dir, "push", "-q", t["server_push_url"], ":refs/heads/" + state[t["name"]]["branch"]],
                      timeout=120)
            except Exception:  # noqa: BLE001 - the branch may never have been made
                pass


def push10(r, targets, pick, runs, run_rounds, safe, full_push, settle):
    """(samples, errors) of pushing 10 commits onto the default branch of a
    repository holding the whole history; with safe, the anchors' with
    kura's fsck and fsync settings. Destinations: those the whole-history
    push made (r.push_dests), else made here with full_push (untimed)."""
    w = Writer(r, pick)
    ref = pick["ref"]
    dests, setup_errors, live = {}, {}, []
    for t in targets:
        key = (t["name"], safe and t["kind"] != "kura")
        try:
            if key not in r.push_dests:
                full_push(t, key[1])
            dests[t["name"]] = r.push_dests[key]
            live.append(t)
        except Exception as e:  # noqa: BLE001 - this target only is dropped
            setup_errors[t["name"]] = "setup: %s" % e
    pending = {}

    def around(t, phase, extra=None, counted=False):
        url = dests[t["name"]]
        if phase == "before":
            r.seq += 1
            name = "push10-%d" % r.seq
            pending[t["name"]] = (name, w.chain(name, r.push_tips.get(url, pick["sha"]), name))
            settle(t)
            return None
        r.push_tips[url] = pending[t["name"]][1]
        return None

    def fn(t):
        name, _ = pending[t["name"]]
        t0 = time.perf_counter()
        r.git(["-C", w.dir, "push", "-q", dests[t["name"]], "refs/heads/%s:refs/heads/%s" % (name, ref)])
        return time.perf_counter() - t0

    key = "push_10_safe" if safe else "push_10"
    samples, errors = run_rounds(r, live, key, fn, runs, True, around)
    errors.update(setup_errors)
    for name in setup_errors:
        samples[name] = []
    return samples, errors


def w_fetch_rate(r, dirs, version, clients, seconds, max_per_client, Failed):
    """fn(target): no-op fetches per second from `clients` concurrent
    clients sharing one up-to-date mirror, for `seconds` or
    `max_per_client` fetches each, whichever comes first. No FETCH_HEAD and
    no automatic maintenance, so the clients write nothing."""
    def fn(t):
        d = dirs[t["name"]]
        counts = [0] * clients
        errs = []
        deadline = time.perf_counter() + seconds

        def worker(k):
            while time.perf_counter() < deadline and counts[k] < max_per_client and not errs:
                try:
                    r.git(["-C", d, "-c", "protocol.version=%d" % version, "-c", "gc.auto=0",
                           "-c", "maintenance.auto=false", "fetch", "-q", "--no-write-fetch-head",
                           "origin"], timeout=60)
                except Exception as e:  # noqa: BLE001 - reported as the sample's failure
                    errs.append(str(e))
                    return
                counts[k] += 1

        t0 = time.perf_counter()
        ths = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(clients)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(seconds + 120)
        dt = time.perf_counter() - t0
        if errs:
            raise Failed("no-op fetch: " + errs[0])
        return sum(counts) / dt
    return fn
