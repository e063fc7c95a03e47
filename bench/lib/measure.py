#!/usr/bin/python3
"""Run the Git smart-HTTP workloads against every target and write the report.

Called by bench/run once the servers are up; it starts nothing long-lived
itself. Input is a JSON file describing the targets:

  {"repo": "/path/src.git", "repo_info": {...}, "tmp": "/tmp/...",
   "meta": {...},
   "targets": [{"name": "kura", "url": "http://.../bench/repo.git",
                "kind": "kura"|"http-backend"|"floor",
                "pids": [server pids], "self_pid": kura pid or null,
                "push": {...how to make an empty push destination...}},
               ...],
   "skipped": {"kura": "reason"}}

It also runs the incremental fetch and push and the no-op fetch rate
(gitincr.py), the REST API and web page workloads (httpload.py), the
GitLab reference-architecture mix (mixed.py), on SQLite and on PostgreSQL,
and kura's cold start (coldstart.py); process accounting is in procstat.py,
the issue's goals in goals.py and the report in report.py.

Method: every workload runs in rounds; in each round every target runs once,
and the order of targets rotates from round to round (A-B-C, B-C-A, ...). The
machines this runs on are shared and noisy, so absolute times drift; ratios
taken within a round (kura vs anchor a few seconds apart) hold. A ratio in the
report is the median of the per-round ratios.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coldstart  # noqa: E402
import gitincr  # noqa: E402
import goals  # noqa: E402
import httpload  # noqa: E402
import mixed  # noqa: E402
from procstat import (Sampler, acct_seconds, cpu_seconds, cpu_split, tree_pss_mb,  # noqa: E402
                      vm_rss_mb, wait_quiet)
from report import write_report  # noqa: E402

TARGET_ORDER = ["kura", "http-backend", "floor"]
CMD_TIMEOUT = 900      # no single git command may run longer than this (s)
# processes that belong to a server at rest; anything else is a request's
FRONT = {"kura", "nginx", "fcgiwrap"}
# --only: workload groups; "git" is the four git groups
GROUPS = ["refs", "clone", "push", "incr", "api", "web", "mixed", "coldstart"]


def log(msg):
    print("measure: " + msg, file=sys.stderr, flush=True)


class Failed(Exception):
    """A workload failed for one target; the message goes into the report,
    so credentials in URLs (the kura push token) are masked."""

    def __init__(self, msg):
        super().__init__(re.sub(r"(://[^/:@\s]+):[^@/\s]+@", r"\1:***@", msg))


# ---------------------------------------------------------------- running git

class Runner:
    def __init__(self, cfg, runs, repeats):
        self.cfg = cfg
        self.runs = runs
        self.repeats = repeats
        self.tmp = os.path.join(cfg["tmp"], "work")
        os.makedirs(self.tmp, exist_ok=True)
        # A clean client: no user or system config (url rewrites, credential
        # helpers, protocol defaults) may change what is measured.
        home = os.path.join(cfg["tmp"], "client-home")
        os.makedirs(home, exist_ok=True)
        self.env = dict(PATH=os.environ.get("PATH", "/usr/bin:/bin"), HOME=home, LC_ALL="C",
                        GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0")
        self.seq = 0
        self.wrk_latency = {}  # target -> [{"p50": ms, "p99": ms}] per wrk run
        # (target name, safe) -> URL of a repository holding the whole
        # history (w_push), for the push of 10 commits; URL -> its tip there
        self.push_dests = {}
        self.push_tips = {}

    def git(self, args, cwd=None, timeout=CMD_TIMEOUT):
        r = subprocess.run(["git"] + args, cwd=cwd, env=self.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
        err = r.stderr.decode(errors="replace").strip()
        if r.returncode != 0:
            raise Failed("git %s: exit %d: %s" % (args[0], r.returncode, err[-300:]))
        return err

    def scratch(self):
        self.seq += 1
        return os.path.join(self.tmp, "c%d" % self.seq)

    def timed(self, fn):
        t = time.perf_counter()
        fn()
        return time.perf_counter() - t


def rotate(targets, i):
    k = i % len(targets)
    return targets[k:] + targets[:k]


def run_rounds(r, targets, name, fn, runs, warmup=True, around=None):
    """Run fn(target) for each target in each round; collect samples.

    A target that fails is dropped from the rest of this workload, with the
    reason kept for the report; the other targets carry on."""
    samples = {t["name"]: [] for t in targets}
    errors = {}
    live = list(targets)
    log("%s: %d round(s)%s" % (name, runs, " + warm-up" if warmup else ""))
    for i in range(-1 if warmup else 0, runs):
        for t in rotate(live, max(i, 0)):
            if t["name"] in errors:
                continue
            try:
                extra = around(t, "before") if around else None
                v = fn(t)
                if around:
                    around(t, "after", extra, i >= 0)
            except (Failed, httpload.Failed, subprocess.TimeoutExpired) as e:
                errors[t["name"]] = str(e)
                log("%s: %s failed: %s" % (name, t["name"], e))
                continue
            if i >= 0:
                samples[t["name"]].append(v)
    return samples, errors


# ---------------------------------------------------------------- workloads

def w_clone(r, extra, acct=False):
    """A clone into a scratch directory; with acct, the anchor serves it
    through its CPU-accounting wrapper (acct_url)."""
    def fn(t):
        dst = r.scratch()
        url = t.get("acct_url", t["url"]) if acct else t["url"]
        try:
            args = ["clone", "--bare", "--no-local", "-q"] + extra + [url, dst]
            t0 = time.perf_counter()
            err = r.git(args)
            dt = time.perf_counter() - t0
            if "filtering not recognized" in err:
                # git then silently does a full clone: not the workload asked for
                raise Failed("server does not support --filter (uploadpack.allowFilter)")
            return dt
        finally:
            shutil.rmtree(dst, ignore_errors=True)
    return fn


def w_ls_remote(r, version):
    def fn(t):
        t0 = time.perf_counter()
        for _ in range(r.repeats):
            r.git(["-c", "protocol.version=%d" % version, "ls-remote", t["url"]])
        return (time.perf_counter() - t0) / r.repeats * 1000
    return fn


def prepare_fetch_clones(r, targets):
    """A mirror per target, pointing at that target, so fetches are no-ops.

    Made from the local source borrowing its objects (instant), then
    re-pointed; a first fetch makes it match exactly what the target
    advertises."""
    out = {}
    for t in targets:
        d = os.path.join(r.tmp, "fetch-" + t["name"])
        r.git(["clone", "-q", "--mirror", "--shared", r.cfg["repo"], d])
        r.git(["-C", d, "remote", "set-url", "origin", t["url"]])
        try:
            r.git(["-C", d, "fetch", "-q", "origin"])
        except Failed as e:
            log("fetch setup for %s failed: %s" % (t["name"], e))
        out[t["name"]] = d
    return out


def w_fetch_noop(r, dirs):
    def fn(t):
        t0 = time.perf_counter()
        for _ in range(r.repeats):
            r.git(["-C", dirs[t["name"]], "-c", "protocol.version=2", "fetch", "-q", "origin"])
        return (time.perf_counter() - t0) / r.repeats * 1000
    return fn


def w_concurrent(r, n, mem):
    """n full clones started together; wall time until the last one ends.

    Memory is sampled meanwhile: kura's own RSS (children excluded) and the
    PSS of the whole server process tree (children included)."""
    def fn(t):
        dsts = [r.scratch() for _ in range(n)]
        s = Sampler(t)
        s.start()
        t0 = time.perf_counter()
        procs = [subprocess.Popen(["git", "clone", "--bare", "--no-local", "-q", t["url"], d],
                                  env=r.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for d in dsts]
        failed = None
        deadline = time.time() + CMD_TIMEOUT
        for p in procs:
            try:
                _, err = p.communicate(timeout=max(1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
            if p.returncode != 0 and not failed:
                failed = "exit %s: %s" % (p.returncode, err.decode(errors="replace")[-300:])
        dt = time.perf_counter() - t0
        s.stop.set()
        s.join()
        for d in dsts:
            shutil.rmtree(d, ignore_errors=True)
        if failed:
            raise Failed("concurrent clone: " + failed)
        m = mem.setdefault(t["name"], {"peak_self_mb": [], "peak_tree_mb": []})
        if t.get("self_pid"):
            m["peak_self_mb"].append(round(s.peak_self, 1))
        if t.get("pids"):
            m["peak_tree_mb"].append(round(s.peak_tree, 1))
        return dt
    return fn


def w_wrk(r, conns, seconds):
    """Ref advertisement (v0 info/refs) request rate, as a CI system polling would."""
    def fn(t):
        out = httpload.wrk(t["url"] + "/info/refs?service=git-upload-pack", conns, seconds)
        r.wrk_latency.setdefault(t["name"], []).append(dict(p50=out.get("p50"), p99=out.get("p99")))
        return out["rps"]
    return fn


def w_push(r, safe=False):
    """Push the whole history into an empty repository of each target; with
    safe, the anchors' new repositories check and sync as kura's do."""
    def fn(t):
        url = new_push_dest(r, t, safe)
        src = r.cfg["repo"]
        t0 = time.perf_counter()
        r.git(["-C", src, "push", "-q", url, "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"])
        dt = time.perf_counter() - t0
        r.push_dests[(t["name"], safe)] = url
        return dt
    return fn


# What kura's repositories are configured with for pushes (src/git/repo_store.c):
# every received object checked, objects and refs flushed to disk before the
# client hears success.
SAFE_PUSH_CONFIG = [("receive.fsckObjects", "true"), ("transfer.fsckObjects", "true"),
                    ("core.fsync", "objects,reference,derived-metadata"), ("core.fsyncMethod", "fsync")]


def new_push_dest(r, t, safe=False):
    p = t["push"]
    r.seq += 1
    name = "push%d" % r.seq
    if p["kind"] == "dir":
        # an empty bare repository served by the anchor (file:// or http-backend)
        d = os.path.join(p["root"], name + ".git")
        r.git(["init", "-q", "--bare", d])
        r.git(["-C", d, "config", "http.receivepack", "true"])
        for k, v in SAFE_PUSH_CONFIG if safe else []:
            r.git(["-C", d, "config", k, v])
        return p["url_prefix"] + name + ".git"
    # kura: an empty project made with its admin command
    env = dict(os.environ, **p["env"])
    res = subprocess.run([p["bin"], "admin", "create-project", "--path", "bench/" + name,
                          "--visibility", "public"], env=env, capture_output=True, timeout=60)
    if res.returncode != 0:
        raise Failed("create-project: " + res.stderr.decode(errors="replace")[-300:])
    return p["url_prefix"] + name + ".git"


def web_pick(r, repo):
    """The objects both web UIs render: the default branch, its head commit,
    and a text file at its head of about 4 KB (the one closest to that)."""
    def out(*args):
        return subprocess.run(["git", "-C", repo] + list(args), env=r.env, capture_output=True,
                              text=True, timeout=60).stdout
    ref = out("symbolic-ref", "--short", "HEAD").strip() or "main"
    sha = out("rev-parse", ref).strip()
    best = None
    for line in out("ls-tree", "-r", "-l", ref).splitlines():
        meta_, _, path = line.partition("\t")
        size = meta_.split()[-1]
        if not size.isdigit() or not path.endswith((".c", ".h", ".py", ".txt", ".md")):
            continue
        d = abs(int(size) - 4096)
        if best is None or d < best[0]:
            best = (d, path, int(size))
    return dict(ref=ref, sha=sha, path=best[1] if best else "", size=best[2] if best else 0)


def run_mixed(cfg, k, pid, pick, levels, seconds):
    """GitLab's reference mix against one kura (mixed.py), level by level.
    k: its cfg["kura_http"]-like description, pid: its process."""
    if not k or not pid:
        return dict(skipped="kura is not running", seconds=seconds)
    api, why = httpload.api_urls(k, pick)
    if why:
        return dict(skipped="kura's API: " + why, seconds=seconds)
    web = httpload.kura_web_urls(k, pick)
    git = lambda *a: subprocess.run(["git", "-C", cfg["repo"]] + list(a), capture_output=True,
                                    text=True, timeout=60).stdout.strip()
    want = git("rev-parse", pick["ref"])
    have = git("rev-parse", pick["ref"] + "~10") or git("rev-list", "--max-parents=0", pick["ref"]).split()[0]
    spec = mixed.spec_for(k, list(api.values()), list(web.values()), want, have)
    out = dict(seconds=seconds, levels=[])
    by_name = {lv["name"]: lv for lv in mixed.LEVELS}
    for name in levels:
        if name not in by_name:
            log("mixed: unknown level %s (known: %s)" % (name, ", ".join(by_name)))
            continue
        log("mixed %s: %d s" % (name, seconds))
        out["levels"].append(mixed.run_level(by_name[name], seconds, spec, pid,
                                             cpu_split, Sampler, log))
        wait_quiet([pid], FRONT, timeout=10)
    return out


def meta(cfg, runs, mode):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    gitv = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    ng = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    return dict(started=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                host=platform.node(), cores=os.cpu_count(), cpu=cpu,
                git=gitv.replace("git version ", ""), nginx=ng.replace("nginx version: ", ""),
                runs=runs, mode=mode, **cfg.get("meta", {}))


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--mixed-seconds", type=int, help="per level (default 60; smoke 3)")
    ap.add_argument("--mixed-levels", help="comma-separated, of 1k,10k,50k (default all; smoke 1k)")
    ap.add_argument("--only", help="comma-separated groups of %s, or git (default all)" % ",".join(GROUPS))
    a = ap.parse_args()
    with open(a.config) as f:
        cfg = json.load(f)

    only = set(GROUPS)
    if a.only:
        only = set()
        for g in a.only.split(","):
            g = g.strip()
            if g == "git":
                only |= {"refs", "clone", "push", "incr"}
            elif g in GROUPS:
                only.add(g)
            elif g:
                sys.exit("measure: unknown group %s (known: git, %s)" % (g, ", ".join(GROUPS)))

    smoke = a.smoke
    runs = a.runs or (2 if smoke else 5)
    # Bounded loops: counts here, durations in wrk, timeouts on every command.
    repeats = 5 if smoke else 20          # ls-remote / fetch calls per sample
    heavy_runs = 1 if smoke else min(runs, 3)  # concurrent clones and full pushes
    wrk_seconds = 1 if smoke else 5
    concurrency = [4, 8]
    http_runs = 1 if smoke else min(runs, 3)   # API and web pages: rounds of
    http_seconds = 1 if smoke else 3           # one wrk run per target
    rate_runs = 1 if smoke else min(runs, 3)   # no-op fetch rate: rounds of
    rate_seconds = 0.5 if smoke else 3         # this long, or this many
    rate_max = 200                             # fetches per client
    cold_rounds = 3 if smoke else 7
    incr_runs = 1 if smoke else runs           # fetch and push of 10 commits
    mixed_seconds = a.mixed_seconds or (3 if smoke else 60)
    mixed_levels = (a.mixed_levels or ("1k" if smoke else "1k,10k,50k")).split(",")

    targets = sorted(cfg["targets"], key=lambda t: TARGET_ORDER.index(t["kind"]))
    http = [t for t in targets if t["kind"] != "floor"]
    kura_t = next((t for t in targets if t["kind"] == "kura"), None)
    r = Runner(cfg, runs, repeats)
    res = dict(meta=meta(cfg, runs, "smoke" if smoke else "normal"), repo=cfg["repo"],
               repo_info=cfg.get("repo_info", {}), skipped=cfg.get("skipped", {}),
               notes=cfg.get("notes", []), workloads={}, resources={}, concurrency=concurrency,
               groups=sorted(only))
    resources = res["resources"]

    def add(key, label, unit, tl, fn, n, warmup=True, around=None):
        samples, errors = run_rounds(r, tl, key, fn, n, warmup, around)
        res["workloads"][key] = dict(label=label, unit=unit, samples=samples, errors=errors)

    def settle(t):
        """After preparing a round: the server's children gone, then a breath."""
        if t.get("pids"):
            wait_quiet(t["pids"], FRONT)
        time.sleep(0.1)

    for t in targets:
        if t.get("self_pid"):
            resources.setdefault(t["name"], {})["idle_rss_mb"] = vm_rss_mb(t["self_pid"])

    # first, while the machine is quiet: separate kura processes of its own
    if "coldstart" in only:
        res["coldstart"] = coldstart.measure(cfg.get("kura_bin"), cfg["tmp"], cold_rounds,
                                             lambda pid: tree_pss_mb([pid]), vm_rss_mb, log)

    pick = web_pick(r, cfg["repo"])
    res["web_pick"] = pick

    if "refs" in only:
        add("ls_remote_v2", "ls-remote, protocol v2", "ms", targets, w_ls_remote(r, 2), runs)
        add("ls_remote_v0", "ls-remote, protocol v0", "ms", targets, w_ls_remote(r, 0), runs)
        dirs = prepare_fetch_clones(r, targets)
        add("fetch_noop_v2", "no-op fetch, protocol v2", "ms", targets, w_fetch_noop(r, dirs), runs)
        for v in (2, 0):
            for c in (1, 16):
                add("fetch_rate_v%d_c%d" % (v, c),
                    "no-op fetch rate, protocol v%d, %d client(s)" % (v, c), "fetch/s", targets,
                    gitincr.w_fetch_rate(r, dirs, v, c, rate_seconds, rate_max, Failed), rate_runs,
                    warmup=False)

    def cpu_now(t):
        """(own, children, tree) CPU seconds of a server, read at rest."""
        wait_quiet(t["pids"], FRONT)
        tr = cpu_seconds(t["pids"])
        if t.get("self_pid"):
            own, kids = cpu_split(t["self_pid"])
            return own, kids, tr
        return tr, acct_seconds(t["acct_dir"]) if t.get("acct_dir") else 0.0, tr

    def cpu_around(t, phase, before=None, counted=False):
        if not t.get("pids"):
            return None
        if phase == "before":
            return cpu_now(t)
        if counted:
            after = cpu_now(t)
            d = [round(x - y, 3) for x, y in zip(after, before)]
            rr = resources.setdefault(t["name"], {})
            for key, v in (("cpu_clone_self_s", d[0]), ("cpu_clone_children_s", d[1]),
                           ("cpu_clone_s", round(d[0] + d[1], 3)), ("cpu_clone_tree_s", d[2])):
                rr.setdefault(key, []).append(v)
    if "clone" in only:
        add("clone_full", "full clone (bare)", "s", targets, w_clone(r, [], acct=True), runs,
            around=cpu_around)
        add("clone_depth1", "clone --depth 1", "s", targets, w_clone(r, ["--depth", "1"]), runs)
        add("clone_blobless", "clone --filter=blob:none", "s", targets,
            w_clone(r, ["--filter=blob:none"]), runs)

    for n in concurrency if "clone" in only else []:
        mem = {}
        # kura's RSS just before this load: earlier workloads may have grown it
        pre = {t["name"]: vm_rss_mb(t["self_pid"]) for t in targets if t.get("self_pid")}
        add("clone_conc%d" % n, "%d concurrent full clones (wall)" % n, "s", targets,
            w_concurrent(r, n, mem), heavy_runs, warmup=False)
        for name, m in mem.items():
            rr = resources.setdefault(name, {})
            if m["peak_self_mb"]:
                rr["peak_self_mb_c%d" % n] = m["peak_self_mb"]
                base = pre.get(name) or 0
                rr["before_self_mb_c%d" % n] = base
                rr["per_clone_self_mb_c%d" % n] = [round((p - base) / n, 2) for p in m["peak_self_mb"]]
            if m["peak_tree_mb"]:
                rr["peak_tree_mb_c%d" % n] = m["peak_tree_mb"]

    for c in (1, 8) if "refs" in only else []:
        add("info_refs_c%d" % c, "info/refs v0 rate, %d connection(s) (wrk)" % c, "req/s", http,
            w_wrk(r, c, wrk_seconds), runs if not smoke else 1, warmup=False)
    res["wrk_latency"] = r.wrk_latency

    if "push" in only:
        add("push_full", "push whole history into empty repo", "s", targets, w_push(r), heavy_runs,
            warmup=False)
        add("push_full_safe", "push whole history, anchors with fsckObjects + fsync as kura", "s",
            targets, w_push(r, safe=True), heavy_runs, warmup=False)

    if "incr" in only:
        def full_push(t, safe):
            log("push_10: %s: a destination with the whole history (untimed)" % t["name"])
            w_push(r, safe)(t)
        for key, label, fn in (
                ("fetch_10", "fetch of 10 new commits",
                 lambda: gitincr.incr_fetch(r, targets, pick, incr_runs, run_rounds, settle, Failed)),
                ("push_10", "push of 10 commits onto an existing branch",
                 lambda: gitincr.push10(r, targets, pick, incr_runs, run_rounds, False, full_push, settle)),
                ("push_10_safe", "push of 10 commits, anchors with fsckObjects + fsync as kura",
                 lambda: gitincr.push10(r, targets, pick, incr_runs, run_rounds, True, full_push, settle))):
            try:
                samples, errors = fn()
            except (Failed, RuntimeError, subprocess.TimeoutExpired) as e:
                log("%s: setup failed: %s" % (key, e))
                samples, errors = {}, {t["name"]: "setup: %s" % Failed(str(e)) for t in targets}
            res["workloads"][key] = dict(label=label, unit="s", samples=samples, errors=errors)

    def sampled(fn, key):
        """fn for run_rounds that also records kura's peak memory while its
        wrk runs: own RSS (children excluded) and the tree's PSS (included)."""
        def wrapped(t):
            if t["name"] != "kura" or not kura_t:
                return fn(t)
            s = Sampler(kura_t)
            s.start()
            try:
                return fn(t)
            finally:
                s.stop.set()
                s.join()
                kr = resources.setdefault("kura", {})
                kr.setdefault("load_rss_mb_" + key, []).append(s.peak_self)
                kr.setdefault("load_pss_tree_mb_" + key, []).append(s.peak_tree)
        return wrapped

    res["http"], res["http_skipped"] = {}, {}
    api_t, why = httpload.api_targets(cfg, pick, log) if "api" in only else ([], None)
    if why:
        res["http_skipped"]["api"] = why
    for key, label, _ in httpload.API_ENDPOINTS if api_t else []:
        for c in (1, 32):
            k = "api_%s_c%d" % (key, c)
            samples, errors = run_rounds(r, api_t, k,
                                         sampled(httpload.w_wrk_url(key, c, http_seconds), k),
                                         http_runs, warmup=False)
            res["http"][k] = dict(kind="api", label=label, conns=c, samples=samples, errors=errors)

    web_t, why = httpload.web_targets(cfg, pick, log) if "web" in only else ([], None)
    res["page_sizes"] = {"api " + t["name"]: t["sizes"] for t in api_t if t["name"] == "kura"}
    res["page_sizes"].update({"web " + t["name"]: t["sizes"] for t in web_t})
    if why:
        res["http_skipped"]["web"] = why
    for key, label in httpload.WEB_PAGES if web_t and (len(web_t) > 1 or not why) else []:
        k = "web_%s" % key
        samples, errors = run_rounds(r, web_t, k,
                                     sampled(httpload.w_wrk_url(key, 1, http_seconds), k),
                                     http_runs, warmup=False)
        res["http"][k] = dict(kind="web", label=label, conns=1, samples=samples, errors=errors)

    if "mixed" in only:
        res["mixed"] = run_mixed(cfg, cfg.get("kura_http"), kura_t and kura_t["self_pid"], pick,
                                 mixed_levels, mixed_seconds)
        kp = cfg.get("kura_pg_http")
        if kp:
            res["mixed_pg"] = run_mixed(cfg, kp, kp["pid"], pick, mixed_levels, mixed_seconds)
        else:
            res["mixed_pg"] = dict(skipped=cfg.get("skipped", {}).get("kura on PostgreSQL", "not started"),
                                   seconds=mixed_seconds)

    # kura at rest after everything above
    if kura_t and kura_t.get("self_pid"):
        wait_quiet(kura_t["pids"], FRONT, timeout=10)
        time.sleep(0.5)
        rr = resources.setdefault("kura", {})
        rr["after_rss_mb"] = vm_rss_mb(kura_t["self_pid"])
        rr["after_pss_tree_mb"] = tree_pss_mb(kura_t["pids"])

    res["goals"] = goals.evaluate(res)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    write_report(os.path.join(a.out, "REPORT.md"), res)
    log("wrote %s/REPORT.md and results.json" % a.out)


if __name__ == "__main__":
    main()
