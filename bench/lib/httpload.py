"""REST API and web page workloads, measured with wrk.

API: kura's GET /api/v4/projects/:id, .../repository/branches,
.../repository/tree, .../repository/files/PATH?ref=REF (a 4 KB text file)
and .../repository/commits (PRIVATE-TOKEN header) against the HTTP floor, nginx
serving the very same JSON bodies as static files: what it costs to put those
bytes on the wire with no application behind them.

Web: kura's project, tree, file and commit pages against cgit's equivalents
(summary, tree, tree/PATH, commit), cgit behind nginx + fcgiwrap with caching
off, so that both do the work of every request.
"""

import json
import os
import subprocess
import urllib.parse
import urllib.request

WRK_TIMEOUT = 120      # wrk is bounded by -d; this is the safety net


class Failed(Exception):
    pass


def _ms(s):
    """wrk latency '812.00us' / '1.23ms' / '1.05s' / '2.00m' -> ms."""
    for suf, k in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60000.0)):
        if s.endswith(suf):
            return float(s[:-len(suf)]) * k
    return float(s)


def wrk(url, conns, seconds, headers=()):
    """One wrk run; returns {rps, p50, p99 (ms), requests}. Raises Failed on
    non-2xx answers or more than 1 % socket errors: a rate made of errors is
    not a rate."""
    cmd = ["wrk", "-t", str(min(conns, 2)), "-c", str(conns), "-d", "%ds" % seconds,
           "--timeout", "10s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    res = subprocess.run(cmd + [url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=WRK_TIMEOUT)
    text = res.stdout.decode(errors="replace")
    out, total, sock_errors, in_dist = {}, 0, 0, False
    for line in text.splitlines():
        f = line.split()
        if line.startswith("Requests/sec:"):
            out["rps"] = float(f[1])
        elif "requests in" in line:
            total = int(f[0])
        elif line.startswith("  Socket errors:"):
            sock_errors = sum(int(x.rstrip(",")) for x in f[3::2])
        elif "Latency Distribution" in line:
            in_dist = True
        elif in_dist and len(f) == 2 and f[0] in ("50%", "99%"):
            out["p" + f[0][:-1]] = _ms(f[1])
        if "Non-2xx" in line:
            raise Failed("wrk: " + line.strip())
    if res.returncode != 0 or "rps" not in out:
        raise Failed("wrk failed: " + text[-300:])
    if sock_errors > max(1, total // 100):
        raise Failed("wrk: %d socket errors in %d requests" % (sock_errors, total))
    out["requests"] = total
    if total == 0:
        # nothing finished within the run: wrk prints zero latencies then
        out["p50"] = out["p99"] = None
    return out


def get(url, headers=None, timeout=30):
    """(status, body) of one GET; errors as statuses, not exceptions."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError as e:
        return 0, str(e).encode()


# ---------------------------------------------------------------- API

# (key, label, path after /projects/:id); {path} and {ref} are the web
# workloads' file and branch (see measure.web_pick)
API_ENDPOINTS = [
    ("project", "GET /projects/:id", ""),
    ("branches", "GET /projects/:id/repository/branches", "/repository/branches"),
    ("tree", "GET /projects/:id/repository/tree", "/repository/tree"),
    ("file", "GET /projects/:id/repository/files/PATH?ref=REF", "/repository/files/{path}?ref={ref}"),
    ("commits", "GET /projects/:id/repository/commits", "/repository/commits"),
]


def api_urls(k, pick):
    """({key: url}, None) of kura's API endpoints for the bench project of
    the server described by k (cfg["kura_http"] or ["kura_pg_http"]), or
    (None, reason)."""
    hdr = {"PRIVATE-TOKEN": k["token"]}
    st, body = get(k["base"] + "/api/v4/projects/" + k["project_path_enc"], hdr)
    if st != 200:
        return None, "GET /api/v4/projects/bench%%2Frepo: %d %s" % (st, body[:200].decode(errors="replace"))
    pid = json.loads(body)["id"]
    base = "%s/api/v4/projects/%d" % (k["base"], pid)
    q = dict(path=urllib.parse.quote(pick["path"], safe=""), ref=urllib.parse.quote(pick["ref"], safe=""))
    return {key: base + suffix.format(**q) for key, _, suffix in API_ENDPOINTS}, None


def api_targets(cfg, pick, log):
    """[kura, floor] for the API workloads, or ([], reason).

    The floor's files are the bodies kura itself returns, fetched once, so
    both answer with the same bytes."""
    k = cfg.get("kura_http")
    if not k:
        return [], "kura not running"
    hdr = {"PRIVATE-TOKEN": k["token"]}
    urls, why = api_urls(k, pick)
    if why:
        return [], why
    kura = dict(name="kura", urls={}, headers=["PRIVATE-TOKEN: " + k["token"]], sizes={})
    floor = dict(name="floor", urls={}, headers=["PRIVATE-TOKEN: " + k["token"]], sizes={})
    root = cfg["static_root"]
    os.makedirs(os.path.join(root, "api"), exist_ok=True)
    for key, _, suffix in API_ENDPOINTS:
        st, body = get(urls[key], hdr)
        if st != 200:
            return [], "GET %s: %d %s" % (suffix or "/projects/:id", st, body[:200].decode(errors="replace"))
        with open(os.path.join(root, "api", key + ".json"), "wb") as f:
            f.write(body)
        kura["urls"][key] = urls[key]
        kura["sizes"][key] = len(body)
        floor["urls"][key] = cfg["static_url"] + "api/" + key + ".json"
        fst, fbody = get(floor["urls"][key])
        if fst != 200 or fbody != body:
            return [], "the floor does not serve %s.json (status %d)" % (key, fst)
    log("API: bodies %s bytes" % kura["sizes"])
    return [kura, floor], None


# ---------------------------------------------------------------- web

WEB_PAGES = [
    ("project", "project page (cgit: summary)"),
    ("tree", "tree of the default branch (cgit: tree)"),
    ("blob", "file page (cgit: tree/PATH)"),
    ("commit", "commit page with diff (cgit: commit)"),
    ("log", "commit list (cgit: log)"),
]


def kura_web_urls(k, pick):
    ref, path, sha = pick["ref"], pick["path"], pick["sha"]
    b = "%s/%s" % (k["base"], k["project_path"])
    return dict(project=b, tree="%s/-/tree/%s" % (b, ref), blob="%s/-/blob/%s/%s" % (b, ref, path),
                commit="%s/-/commit/%s" % (b, sha), log="%s/-/commits/%s" % (b, ref))


def web_targets(cfg, pick, log):
    """[kura, cgit] for the web workloads; each page checked once first.

    `pick` = {"ref", "path", "sha"}: the default branch, a file of a few KB at
    its head and its head commit, so both servers render the same objects."""
    out, why = [], []
    ref, path, sha = pick["ref"], pick["path"], pick["sha"]
    k = cfg.get("kura_http")
    if k:
        out.append(dict(name="kura", headers=[], urls=kura_web_urls(k, pick)))
    else:
        why.append("kura not running")
    c = cfg.get("cgit_url")
    if c:
        b = c + "bench.git"
        out.append(dict(name="cgit", headers=[], urls=dict(
            project=b + "/", tree="%s/tree/?h=%s" % (b, ref), blob="%s/tree/%s?h=%s" % (b, path, ref),
            commit="%s/commit/?id=%s" % (b, sha), log="%s/log/?h=%s" % (b, ref))))
    else:
        why.append("cgit not running")
    for t in out:
        t["sizes"] = {}
        for key, url in t["urls"].items():
            st, body = get(url)
            # cgit answers some errors with 200 and a short page: demand a
            # real page that names the file or commit it was asked for
            want = {"blob": path.rsplit("/", 1)[-1], "commit": sha[:12]}.get(key)
            if st != 200 or (want and want.encode() not in body):
                return [], "%s %s page: status %d, %d bytes" % (t["name"], key, st, len(body))
            t["sizes"][key] = len(body)
    if out:
        log("web: pages %s" % {t["name"]: t["sizes"] for t in out})
    return out, "; ".join(why) or None


def w_wrk_url(key, conns, seconds):
    """fn(target) for run_rounds: wrk on target["urls"][key]."""
    def fn(t):
        try:
            return wrk(t["urls"][key], conns, seconds, t.get("headers", ()))
        except subprocess.TimeoutExpired as e:
            raise Failed("wrk timed out") from e
    return fn
