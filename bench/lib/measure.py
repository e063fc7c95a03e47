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
import statistics
import subprocess
import sys
import threading
import time

TARGET_ORDER = ["kura", "http-backend", "floor"]
CMD_TIMEOUT = 900      # no single git command may run longer than this (s)
WRK_TIMEOUT = 120      # wrk is bounded by -d; this is the safety net


def log(msg):
    print("measure: " + msg, file=sys.stderr, flush=True)


class Failed(Exception):
    """A workload failed for one target; the message goes into the report,
    so credentials in URLs (the kura push token) are masked."""

    def __init__(self, msg):
        super().__init__(re.sub(r"(://[^/:@\s]+):[^@/\s]+@", r"\1:***@", msg))


# ---------------------------------------------------------------- processes

def proc_children():
    """Map pid -> list of child pids, from one scan of /proc."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(roots):
    """The root pids and all their live descendants."""
    kids = proc_children()
    out, todo = [], list(roots)
    while todo:
        p = todo.pop()
        if p in out:
            continue
        out.append(p)
        todo += kids.get(p, [])
    return out


def cpu_seconds(pids):
    """User+system CPU of the processes plus their reaped children.

    Sampled between requests, when no git child is alive, this counts every
    process the server ran (cutime/cstime include waited-for children) once."""
    hz = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree(pids):
        try:
            with open("/proc/%d/stat" % p) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / hz


def vm_rss_mb(pid):
    """Resident memory of one process (children excluded), in MB."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def pss_mb(pid):
    """Proportional set size: shared pages split among sharers, so a sum over
    a process tree does not count the git binary's pages once per process."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return vm_rss_mb(pid) or 0


class Sampler(threading.Thread):
    """Samples memory every 50 ms while a load runs; keeps the peaks."""

    def __init__(self, target):
        super().__init__(daemon=True)
        self.t = target
        self.stop = threading.Event()
        self.peak_self = 0.0
        self.peak_tree = 0.0

    def run(self):
        while not self.stop.is_set():
            if self.t.get("self_pid"):
                self.peak_self = max(self.peak_self, vm_rss_mb(self.t["self_pid"]) or 0)
            if self.t.get("pids"):
                self.peak_tree = max(self.peak_tree, sum(pss_mb(p) for p in tree(self.t["pids"])))
            self.stop.wait(0.05)


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
        self.wrk_latency = {}  # target -> [{"50%": "3.1ms", "99%": ...}] per wrk run

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
            except (Failed, subprocess.TimeoutExpired) as e:
                errors[t["name"]] = str(e)
                log("%s: %s failed: %s" % (name, t["name"], e))
                continue
            if i >= 0:
                samples[t["name"]].append(v)
    return samples, errors


# ---------------------------------------------------------------- workloads

def w_clone(r, extra):
    def fn(t):
        dst = r.scratch()
        try:
            args = ["clone", "--bare", "--no-local", "-q"] + extra + [t["url"], dst]
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

    Made from the local source over file:// (fast), then re-pointed; a first
    fetch makes it match exactly what the target advertises."""
    out = {}
    for t in targets:
        d = os.path.join(r.tmp, "fetch-" + t["name"])
        r.git(["clone", "-q", "--mirror", "--no-local", "file://" + r.cfg["repo"], d])
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
        url = t["url"] + "/info/refs?service=git-upload-pack"
        res = subprocess.run(["wrk", "-t", str(min(conns, 2)), "-c", str(conns), "-d", "%ds" % seconds,
                              "--timeout", "10s", "--latency", url],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=WRK_TIMEOUT)
        text = res.stdout.decode(errors="replace")
        rps, total, sock_errors, lat = None, 0, 0, {}
        for line in text.splitlines():
            f = line.split()
            if line.startswith("Requests/sec:"):
                rps = float(f[1])
            elif "requests in" in line:
                total = int(f[0])
            elif line.startswith("  Socket errors:"):
                sock_errors = sum(int(x.rstrip(",")) for x in f[3::2])
            elif len(f) == 2 and f[0] in ("50%", "99%"):
                lat[f[0]] = f[1]
            if "Non-2xx" in line:
                raise Failed("wrk: " + line.strip())
        if res.returncode != 0 or rps is None:
            raise Failed("wrk failed: " + text[-300:])
        # A few resets at the end of the run are normal; more means the rate is not real.
        if sock_errors > max(1, total // 100):
            raise Failed("wrk: %d socket errors in %d requests" % (sock_errors, total))
        r.wrk_latency.setdefault(t["name"], []).append(lat)
        return rps
    return fn


def w_push(r):
    """Push the whole history into an empty repository of each target."""
    def fn(t):
        url = new_push_dest(r, t)
        src = r.cfg["repo"]
        t0 = time.perf_counter()
        r.git(["-C", src, "push", "-q", url, "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"])
        return time.perf_counter() - t0
    return fn


def new_push_dest(r, t):
    p = t["push"]
    r.seq += 1
    name = "push%d" % r.seq
    if p["kind"] == "dir":
        # an empty bare repository served by the anchor (file:// or http-backend)
        d = os.path.join(p["root"], name + ".git")
        r.git(["init", "-q", "--bare", d])
        r.git(["-C", d, "config", "http.receivepack", "true"])
        return p["url_prefix"] + name + ".git"
    # kura: an empty project made with its admin command
    env = dict(os.environ, **p["env"])
    res = subprocess.run([p["bin"], "admin", "create-project", "--path", "bench/" + name,
                          "--visibility", "public"], env=env, capture_output=True, timeout=60)
    if res.returncode != 0:
        raise Failed("create-project: " + res.stderr.decode(errors="replace")[-300:])
    return p["url_prefix"] + name + ".git"


# ---------------------------------------------------------------- report

def summary(xs):
    if not xs:
        return None
    return dict(median=statistics.median(xs), min=min(xs), max=max(xs), n=len(xs))


def paired_ratio(a, b):
    """Median of per-round ratios a[i]/b[i] (samples of one round are paired)."""
    rs = [x / y for x, y in zip(a, b) if y]
    return statistics.median(rs) if rs else None


def fmt(v, unit):
    if v is None:
        return "—"
    if unit == "req/s":
        return "%.0f" % v
    if unit == "ms":
        return "%.1f" % v
    return "%.2f" % v


def cell(w, name, skipped):
    if name in skipped:
        return "skipped"
    if name in w["errors"]:
        return "failed¹"
    s = summary(w["samples"].get(name) or [])
    if s is None:
        return "n/a"
    if s["n"] == 1:
        return fmt(s["median"], w["unit"])
    return "%s (%s–%s)" % (fmt(s["median"], w["unit"]), fmt(s["min"], w["unit"]), fmt(s["max"], w["unit"]))


def ratio_cell(w, a, b):
    sa, sb = w["samples"].get(a) or [], w["samples"].get(b) or []
    if not sa or not sb:
        return "—"
    r = paired_ratio(sa, sb)
    return "%.2f" % r if r is not None else "—"


def write_report(path, res):
    skipped = res["skipped"]
    m = res["meta"]
    L = []
    L.append("# kura benchmark: Git smart HTTP, side by side")
    L.append("")
    L.append("Run %s on %s (%s cores, %s), git %s, %s. Mode: %s, %d round(s) per workload."
             % (m["started"], m["host"], m["cores"], m["cpu"], m["git"], m["nginx"],
                m["mode"], m["runs"]))
    ri = res["repo_info"]
    L.append("")
    L.append("Repository: `%s` — %s commits, %s refs, %s files at HEAD, %.1f MB packed (one pack, bitmaps)."
             % (os.path.basename(res["repo"]), ri.get("commits"), ri.get("refs"), ri.get("head_files"),
                (ri.get("pack_bytes") or 0) / 1e6))
    for name, why in skipped.items():
        L.append("")
        L.append("**%s: skipped (%s)**" % (name, why))
    for note in res.get("notes", []):
        L.append("")
        L.append(note)
    L.append("")
    L.append("Cells: median (min–max) over the rounds. Ratios: median of per-round ratios "
             "(targets run in rotating order within each round). For times lower is better; "
             "for req/s higher is better.")
    L.append("")
    L.append("| workload | unit | kura | http-backend | file:// floor | kura/floor | kura/http-backend | http-backend/floor |")
    L.append("|---|---|---|---|---|---|---|---|")
    for key, w in res["workloads"].items():
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            w["label"], w["unit"], cell(w, "kura", skipped), cell(w, "http-backend", skipped),
            cell(w, "floor", skipped), ratio_cell(w, "kura", "floor"),
            ratio_cell(w, "kura", "http-backend"), ratio_cell(w, "http-backend", "floor")))
    L.append("")
    L.append("## Server resources")
    L.append("")
    L.append("| measure | kura | http-backend (nginx + fcgiwrap + git) |")
    L.append("|---|---|---|")
    rs = res["resources"]

    def rc(name, key, unit="MB"):
        if name in skipped:
            return "skipped"
        v = rs.get(name, {}).get(key)
        if v is None:
            return "—"
        if isinstance(v, list):
            s = summary(v)
            if not s:
                return "—"
            return "%.1f %s" % (s["median"], unit) if s["n"] == 1 else \
                "%.1f %s (%.1f–%.1f)" % (s["median"], unit, s["min"], s["max"])
        return "%.2f %s" % (v, unit) if unit == "s" else "%.1f %s" % (v, unit)

    L.append("| server CPU per full clone (incl. git children) | %s | %s |"
             % (rc("kura", "cpu_per_clone_s", "s"), rc("http-backend", "cpu_per_clone_s", "s")))
    L.append("| idle RSS after the load push (VmRSS, children excluded) | %s | — |" % rc("kura", "idle_rss_mb"))
    for n in res["concurrency"]:
        L.append("| RSS just before the %d-clone load (children excluded) | %s | — |"
                 % (n, rc("kura", "before_self_mb_c%d" % n)))
        L.append("| peak RSS, %d concurrent full clones (children excluded) | %s | — |"
                 % (n, rc("kura", "peak_self_mb_c%d" % n)))
        L.append("| RSS growth per concurrent clone, %d clones: (peak − before) / %d | %s | — |"
                 % (n, n, rc("kura", "per_clone_self_mb_c%d" % n)))
        L.append("| peak PSS of the whole server tree, %d clones (children included) | %s | %s |"
                 % (n, rc("kura", "peak_tree_mb_c%d" % n), rc("http-backend", "peak_tree_mb_c%d" % n)))
    errs = [(w["label"], n, e) for w in res["workloads"].values() for n, e in w["errors"].items()]
    if errs:
        L.append("")
        L.append("¹ Failures:")
        L.append("")
        for label, n, e in errs:
            L.append("- %s, %s: `%s`" % (label, n, e.replace("`", "'").replace("\n", " ")))
    L.append("")
    L.append("Raw numbers: `results.json`. How this is measured: `bench/README.md`.")
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


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
    a = ap.parse_args()
    with open(a.config) as f:
        cfg = json.load(f)

    smoke = a.smoke
    runs = a.runs or (2 if smoke else 5)
    # Bounded loops: counts here, durations in wrk, timeouts on every command.
    repeats = 5 if smoke else 20          # ls-remote / fetch calls per sample
    heavy_runs = 1 if smoke else min(runs, 3)  # concurrent clones and full pushes
    wrk_seconds = 1 if smoke else 5
    concurrency = [4, 8]

    targets = sorted(cfg["targets"], key=lambda t: TARGET_ORDER.index(t["kind"]))
    http = [t for t in targets if t["kind"] != "floor"]
    r = Runner(cfg, runs, repeats)
    res = dict(meta=meta(cfg, runs, "smoke" if smoke else "normal"), repo=cfg["repo"],
               repo_info=cfg.get("repo_info", {}), skipped=cfg.get("skipped", {}),
               notes=cfg.get("notes", []), workloads={}, resources={}, concurrency=concurrency)
    resources = res["resources"]

    def add(key, label, unit, tl, fn, n, warmup=True, around=None):
        samples, errors = run_rounds(r, tl, key, fn, n, warmup, around)
        res["workloads"][key] = dict(label=label, unit=unit, samples=samples, errors=errors)

    for t in targets:
        if t.get("self_pid"):
            resources.setdefault(t["name"], {})["idle_rss_mb"] = vm_rss_mb(t["self_pid"])

    add("ls_remote_v2", "ls-remote, protocol v2", "ms", targets, w_ls_remote(r, 2), runs)
    add("ls_remote_v0", "ls-remote, protocol v0", "ms", targets, w_ls_remote(r, 0), runs)
    dirs = prepare_fetch_clones(r, targets)
    add("fetch_noop_v2", "no-op fetch, protocol v2", "ms", targets, w_fetch_noop(r, dirs), runs)

    def cpu_around(t, phase, before=None, counted=False):
        if not t.get("pids"):
            return None
        if phase == "before":
            return cpu_seconds(t["pids"])
        if counted:
            resources.setdefault(t["name"], {}).setdefault("cpu_clone_s", []).append(
                round(cpu_seconds(t["pids"]) - before, 3))
    add("clone_full", "full clone (bare)", "s", targets, w_clone(r, []), runs, around=cpu_around)
    for name, v in resources.items():
        if v.get("cpu_clone_s"):
            v["cpu_per_clone_s"] = statistics.median(v["cpu_clone_s"])
    add("clone_depth1", "clone --depth 1", "s", targets, w_clone(r, ["--depth", "1"]), runs)
    add("clone_blobless", "clone --filter=blob:none", "s", targets,
        w_clone(r, ["--filter=blob:none"]), runs)

    for n in concurrency:
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

    for c in (1, 8):
        add("info_refs_c%d" % c, "info/refs v0 rate, %d connection(s) (wrk)" % c, "req/s", http,
            w_wrk(r, c, wrk_seconds), runs if not smoke else 1, warmup=False)

    res["wrk_latency"] = r.wrk_latency
    add("push_full", "push whole history into empty repo", "s", targets, w_push(r), heavy_runs,
        warmup=False)

    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
    write_report(os.path.join(a.out, "REPORT.md"), res)
    log("wrote %s/REPORT.md and results.json" % a.out)


if __name__ == "__main__":
    main()
