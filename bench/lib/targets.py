#!/usr/bin/python3
"""Describe the running targets for measure.py, from bench/run's environment.

Prints JSON on stdout. pids are the roots of each server's process tree, used
for CPU and memory accounting; self_pid is the process whose own RSS is
reported (kura's; the anchors have no single such process)."""

import json
import os

e = os.environ
repo, tmp = e["REPO"], e["TMP"]
# the anchors' copy of repo (hard links), which the incremental fetch pushes into
served = e.get("SERVED") or repo
with open(os.path.join(repo, "bench-ready.json")) as f:
    info = json.load(f)

targets, skipped, notes = [], {}, []
kura_http = None
if e.get("BENCH_KURA_SKIP"):
    skipped["kura"] = e["BENCH_KURA_SKIP"]
elif e.get("BENCH_KURA_PID"):
    pid = int(e["BENCH_KURA_PID"])
    targets.append(dict(
        name="kura", kind="kura", url=e["BENCH_KURA_URL"], pids=[pid], self_pid=pid,
        push=dict(kind="kura", bin=e["BENCH_KURA_BIN"], url_prefix=e["BENCH_KURA_PUSH_PREFIX"],
                  env=dict(KURA_LISTEN="127.0.0.1:" + e["BENCH_KURA_PORT"],
                           KURA_DATA_DIR=e["BENCH_KURA_DATA"]))))
    # for the API, web and mixed workloads (plain HTTP, not git)
    kura_http = dict(base="http://127.0.0.1:" + e["BENCH_KURA_PORT"], token=e.get("BENCH_KURA_TOKEN", ""),
                     project_path="bench/repo", project_path_enc="bench%2Frepo",
                     push_project_path="bench/push")
    if e.get("BENCH_KURA_LOAD_MS"):
        notes.append("kura was loaded by pushing the repository over HTTP: %.2f s."
                     % (int(e["BENCH_KURA_LOAD_MS"]) / 1000))
    if e.get("BENCH_KURA_NOTE"):
        notes.append(e["BENCH_KURA_NOTE"])
    targets[-1]["server_push_url"] = e["BENCH_KURA_PUSH_PREFIX"] + "repo.git"

# the same kura on PostgreSQL, for the mixed load only
kura_pg = None
if e.get("BENCH_PG_PID") and not e.get("BENCH_PG_SKIP"):
    kura_pg = dict(base="http://127.0.0.1:" + e["BENCH_PG_PORT"], token=e.get("BENCH_PG_TOKEN", ""),
                   project_path="bench/repo", project_path_enc="bench%2Frepo",
                   push_project_path="bench/push", pid=int(e["BENCH_PG_PID"]))
    if e.get("BENCH_PG_NOTE"):
        notes.append(e["BENCH_PG_NOTE"])
elif e.get("BENCH_PG_SKIP"):
    skipped["kura on PostgreSQL"] = e["BENCH_PG_SKIP"]

hb = "http://127.0.0.1:%s/" % e["HB_PORT"]
targets.append(dict(
    name="http-backend", kind="http-backend", url=hb + "bench.git", server_push_url="file://" + served,
    pids=[int(e["NGINX_PID"]), int(e["FCGI_PID"])], self_pid=None,
    # the same server through the CPU-accounting wrapper (see bench/run)
    acct_url=hb + "acct/bench.git", acct_dir=os.path.join(tmp, "acct"),
    push=dict(kind="dir", root=os.path.join(tmp, "srv"), url_prefix=hb)))

floor_push = os.path.join(tmp, "floor-push")
os.makedirs(floor_push, exist_ok=True)
targets.append(dict(
    name="floor", kind="floor", url="file://" + served, server_push_url="file://" + served,
    pids=[], self_pid=None,
    push=dict(kind="dir", root=floor_push, url_prefix="file://" + floor_push + "/")))

print(json.dumps(dict(repo=repo, repo_info=info, tmp=tmp, targets=targets,
                      skipped=skipped, notes=notes, kura_http=kura_http, kura_pg_http=kura_pg,
                      kura_bin=e.get("BENCH_KURA_BIN", ""), served=served,
                      cgit_url=hb + "cgit/", static_url=hb + "static/",
                      static_root=os.path.join(tmp, "static")), indent=1))
