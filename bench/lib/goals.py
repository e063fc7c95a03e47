"""The issue's targets, held against the numbers of this run.

evaluate(res) turns results.json's measurements into rows of
{goal, measured, status}, status one of "met", "missed", "not measured";
report.py prints them as the Targets section. Ratios are the report's: the
median of per-round ratios, targets measured in turn. A rate ratio is turned
into a time ratio (floor rate / kura rate), so "≤ 1.3× the floor" reads the
same for the no-op fetch time and the no-op fetch rate.
"""

import statistics


def _median(xs):
    xs = [x for x in xs or [] if x is not None]
    return statistics.median(xs) if xs else None


def _paired(a, b):
    rs = [x / y for x, y in zip(a or [], b or []) if x is not None and y]
    return statistics.median(rs) if rs else None


def _wl(res, key):
    return (res.get("workloads") or {}).get(key)


def _ratio(res, key, a, b):
    """Median per-round ratio a/b of a git workload, or None."""
    w = _wl(res, key)
    if not w or a in w["errors"] or b in w["errors"]:
        return None
    return _paired(w["samples"].get(a), w["samples"].get(b))


def _http(res, key, name, field):
    w = (res.get("http") or {}).get(key)
    if not w or name in w["errors"]:
        return []
    return [x.get(field) for x in w["samples"].get(name) or []]


def _row(goal, value, ok, fmt):
    if value is None:
        return dict(goal=goal, measured="—", status="not measured")
    return dict(goal=goal, measured=fmt % value, status="met" if ok(value) else "missed")


def evaluate(res):
    rows = []

    def ratio_goal(goal, key, limit, other="floor", note=""):
        v = _ratio(res, key, "kura", other)
        rows.append(_row(goal, v, lambda x: x <= limit, "%.2f×" + note))

    ratio_goal("full clone ≤ 1.03× the file:// floor", "clone_full", 1.03)
    rs = res.get("resources") or {}
    kc = _median((rs.get("kura") or {}).get("cpu_clone_s"))
    hc = _median((rs.get("http-backend") or {}).get("cpu_clone_s"))
    rows.append(_row("full clone: less server CPU than http-backend",
                     None if kc is None or hc is None else (kc, hc),
                     lambda x: x[0] < x[1], "%.2f s vs %.2f s"))
    ratio_goal("push of the whole history ≤ 1.05× the floor (anchors with kura's fsck + fsync)",
               "push_full_safe", 1.05)
    ratio_goal("ls-remote v2 ≤ 1.3× the floor", "ls_remote_v2", 1.3)
    ratio_goal("ls-remote v0 ≤ 1.3× the floor", "ls_remote_v0", 1.3)
    ratio_goal("no-op fetch v2 ≤ 1.3× the floor (time per fetch)", "fetch_noop_v2", 1.3)
    for v in (2, 0):
        for c in (1, 16):
            key = "fetch_rate_v%d_c%d" % (v, c)
            x = _ratio(res, key, "floor", "kura")
            rows.append(_row("no-op fetch rate v%d, %d client(s) ≤ 1.3× the floor (floor rate / kura rate)"
                             % (v, c), x, lambda y: y <= 1.3, "%.2f×"))
    ratio_goal("fetch of 10 new commits ≤ 1.15× the floor", "fetch_10", 1.15)
    ratio_goal("push of 10 commits ≤ 1.15× the floor (anchors with kura's fsck + fsync)",
               "push_10_safe", 1.15)
    for c in (1, 8):
        x = _ratio(res, "info_refs_c%d" % c, "kura", "http-backend")
        rows.append(_row("info/refs ≥ 10× http-backend's req/s, %d connection(s)" % c, x,
                         lambda y: y >= 10, "%.2f×"))
    rps = _median(_http(res, "api_project_c32", "kura", "rps"))
    p99 = _median(_http(res, "api_project_c32", "kura", "p99"))
    rows.append(_row("API GET project ≥ 10,000 req/s with p99 < 10 ms (SQLite, 32 connections)",
                     None if rps is None or p99 is None else (rps, p99),
                     lambda x: x[0] >= 10000 and x[1] < 10, "%.0f req/s, p99 %.1f ms"))
    for page in ("log", "tree", "commit"):
        k = _http(res, "web_" + page, "kura", "rps")
        c = _http(res, "web_" + page, "cgit", "rps")
        ratio = _paired([x for x, y in zip(k, c) if x and y], [y for x, y in zip(k, c) if x and y])
        p50 = _median(_http(res, "web_" + page, "kura", "p50"))
        rows.append(_row("web %s page ≥ 5× cgit's req/s and under 10 ms (p50, 1 connection)" % page,
                         None if ratio is None or p50 is None else (ratio, p50),
                         lambda x: x[0] >= 5 and x[1] < 10, "%.2f×, %.2f ms"))
    cs = res.get("coldstart") or {}
    ok = not cs.get("skipped")
    rows.append(_row("idle RSS ≤ 15 MB, right after a restart (own, VmRSS)",
                     _median(cs.get("restart", {}).get("rss_mb")) if ok else None,
                     lambda x: x <= 15, "%.1f MB"))
    after = (rs.get("kura") or {}).get("after_rss_mb")
    rows.append(_row("idle RSS ≤ 15 MB, after the loads above (own, VmRSS)", after,
                     lambda x: x <= 15, "%.1f MB"))
    for kind, what in (("fresh", "first start on an empty data dir"), ("restart", "restart over existing data")):
        rows.append(_row("cold start to ready ≤ 100 ms, %s (median)" % what,
                         _median(cs.get(kind, {}).get("ms")) if ok else None,
                         lambda x: x <= 100, "%.1f ms"))
    for key, db in (("mixed", "SQLite"), ("mixed_pg", "PostgreSQL")):
        m = res.get(key) or {}
        levels = {lv["level"]: lv for lv in m.get("levels") or []}
        for name, what in (("10k", "the 10k-user GitLab reference load sustained"),
                           ("50k", "stretch: the 50k-user load sustained")):
            lv = levels.get(name)
            if lv is None or lv["seconds"] < 60:
                # a level run shorter than the 60 s does not count
                v = None
            else:
                v = lv["sustained"]
            rows.append(_row("%s (%s, ≥ 60 s)" % (what, db), v, lambda x: x,
                             "%s"))
            if v is not None:
                rows[-1]["measured"] = "sustained" if v else _why_not(lv)
    return rows


def _why_not(lv):
    worst = []
    for cls, c in lv["classes"].items():
        if c["errors"] or c["achieved_rps"] < 0.95 * c["target_rps"]:
            worst.append("%s %.0f/%d req/s, %d errors" % (cls, c["achieved_rps"], c["target_rps"], c["errors"]))
    return "not sustained: " + ("; ".join(worst) if worst else "p95 over the goal")
