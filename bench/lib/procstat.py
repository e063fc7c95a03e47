"""Process accounting from /proc: process trees, CPU time, memory.

CPU time of a server is only countable where someone waits for the processes
it ran: the kernel adds a child's utime/stime to its parent's cutime/cstime
when the parent reaps it with wait(). kura waits for its git children, so its
cutime/cstime are exact. fcgiwrap does not: its workers run with SIGCHLD set
to SIG_IGN, so the kernel reaps the CGI processes itself and their CPU lands
in nobody's cutime. bench/run therefore serves the anchor's CPU-accounted
clones through a small wrapper (see start_http_backend) that waits for git
http-backend and writes its children's times; acct_seconds() sums them.
"""

import os
import threading
import time

HZ = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    """Fields of /proc/PID/stat after the command name, or None if gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return None
    return st[st.rindex(")") + 2:].split()


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def proc_children():
    """Map pid -> list of child pids, from one scan of /proc."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        f = _stat(int(d))
        if f is None:
            continue
        kids.setdefault(int(f[1]), []).append(int(d))
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


def cpu_split(pid):
    """(own, reaped children) CPU seconds of one process: utime+stime and
    cutime+cstime."""
    f = _stat(pid)
    if f is None:
        return 0.0, 0.0
    return (int(f[11]) + int(f[12])) / HZ, (int(f[13]) + int(f[14])) / HZ


def cpu_seconds(pids):
    """User+system CPU of a process tree plus its reaped children.

    Sampled between requests, when no git child is alive, this counts every
    process the server ran and waited for (cutime/cstime) once."""
    total = 0.0
    for p in tree(pids):
        own, kids = cpu_split(p)
        total += own + kids
    return total


def wait_quiet(pids, front, timeout=3.0):
    """Wait until every process of the tree is one of the long-lived server
    processes (comm in `front`), so that git children that served the last
    request have exited and been reaped (and, for the anchor, the accounting
    wrapper has written its times). Bounded by `timeout`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(comm(p) in front for p in tree(pids)):
            return True
        time.sleep(0.01)
    return False


def acct_seconds(d):
    """Sum of the children's user+system times written by the CGI wrapper,
    one file per request: dash's `times` prints two lines, the shell's own
    times and its children's, as "0m1.230000s 0m0.120000s"."""
    total = 0.0
    try:
        names = os.listdir(d)
    except OSError:
        return 0.0
    for n in names:
        try:
            with open(os.path.join(d, n)) as f:
                lines = f.read().split("\n")
        except OSError:
            continue
        if len(lines) < 2:
            continue
        for tok in lines[1].split():
            m, _, s = tok.rstrip("s").partition("m")
            try:
                total += int(m) * 60 + float(s)
            except ValueError:
                pass
    return total


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


def tree_pss_mb(pids):
    """PSS of a process tree (children included), in MB."""
    return sum(pss_mb(p) for p in tree(pids))


class Sampler(threading.Thread):
    """Samples memory every `period` s while a load runs; keeps the peaks and
    (for the mean) the sum of the server's own RSS."""

    def __init__(self, target, period=0.05, tree_pss=True):
        super().__init__(daemon=True)
        self.t = target
        self.period = period
        self.tree_pss = tree_pss
        self.stop = threading.Event()
        self.peak_self = 0.0
        self.peak_tree = 0.0
        self.sum_self = 0.0
        self.n = 0

    def run(self):
        while not self.stop.is_set():
            if self.t.get("self_pid"):
                v = vm_rss_mb(self.t["self_pid"]) or 0
                self.peak_self = max(self.peak_self, v)
                self.sum_self += v
                self.n += 1
            if self.tree_pss and self.t.get("pids"):
                self.peak_tree = max(self.peak_tree, sum(pss_mb(p) for p in tree(self.t["pids"])))
            self.stop.wait(self.period)

    def mean_self(self):
        return self.sum_self / self.n if self.n else None
