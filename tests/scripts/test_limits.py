#!/usr/bin/env python3
"""Flood tests for the per-client limits: each limit gives a clear error naming it, the
connection (or the daemon) survives, and a client that stops reading neither grows the daemon's
memory without bound nor loses an event. Usage: test_limits.py UTRACED TRACEE"""
import errno
import json
import os
import re
import resource
import shutil
import socket
import stat
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import utraced_harness as H  # noqa: E402
from utraced_harness import Client, Daemon, Tracee, wait_for  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def call(c, i, method, params):
    c.send({"jsonrpc": "2.0", "id": i, "method": method, "params": params})
    while True:
        m = c.recv()
        if m.get("id") == i and "method" not in m:
            return m
        if m.get("method") == "report":  # answer stray reports so threads keep running
            c.send({"jsonrpc": "2.0", "id": m["id"], "result": {"action": "resume"}})


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def task_tracers(pid):
    tracers = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    tracers.append(int(line.split()[1]))
    return tracers


def threads_per_engine(utraced, tracee_bin):
    # A process engine over a 3-thread process with --max-threads-per-engine 2: EAGAIN naming
    # the limit, and no thread stays traced.
    d = Daemon(utraced, log_level="info", args=["--max-threads-per-engine", "2"])
    t = Tracee(tracee_bin, "threads3")
    try:
        c = Client(d.socket)
        r = call(c, 1, "attach", {"pid": t.pid, "scope": "process", "events": ["clone"]})
        err = r.get("error", {})
        check(err.get("code") == 11 and err.get("data", {}).get("limit") == "threads_per_engine",
              "a process engine over 3 threads with a limit of 2: EAGAIN naming threads_per_engine")
        check(wait_for(lambda: task_tracers(t.pid) == [0, 0, 0]),
              "after the refusal no thread is left traced")
        r = call(c, 2, "attach", {"tid": t.pid, "events": ["clone"]})
        check("result" in r, "a thread engine on the same process still attaches")
        c.close()
    finally:
        t.stop()
        rc = d.stop(keep_dir=bool(failures))
    check(rc == 0, "daemon exits 0 (threads_per_engine run)")


def threads_per_client(utraced, tracee_bin):
    # --max-threads-per-client 4: the threads covered by all of one connection's engines are
    # bounded (engines_per_client alone would let 4096 process engines over a 4096-thread
    # process cost ~5 GB). A second process engine over the 3-thread process would make 6:
    # EAGAIN naming threads_per_client, nothing of it stays attached; another connection is not
    # affected, and detaching gives the budget back.
    d = Daemon(utraced, log_level="info", args=["--max-threads-per-client", "4"])
    t = Tracee(tracee_bin, "threads3")
    try:
        c = Client(d.socket)
        r1 = call(c, 1, "attach", {"pid": t.pid, "scope": "process", "events": ["clone"]})
        check(len(r1.get("result", {}).get("tids", [])) == 3,
              "a process engine over 3 threads fits a limit of 4")
        r = call(c, 2, "attach", {"pid": t.pid, "scope": "process", "events": ["clone"]})
        err = r.get("error", {})
        check(err.get("code") == 11 and err.get("data", {}).get("limit") == "threads_per_client",
              "a second one (6 threads) is refused: EAGAIN naming threads_per_client")
        r = call(c, 3, "list", {})
        check(len(r.get("result", {}).get("engines", [])) == 1,
              "the refused engine left nothing attached")
        other = Client(d.socket)
        r = call(other, 1, "attach", {"pid": t.pid, "scope": "process", "events": ["clone"]})
        check("result" in r, "another connection has its own budget")
        other.close()
        call(c, 4, "control", {"engine": r1["result"]["engine"], "action": "detach"})
        r = call(c, 5, "attach", {"pid": t.pid, "scope": "process", "events": ["clone"]})
        check("result" in r, "after a detach the threads count no more")
        c.close()
    finally:
        t.stop()
        rc = d.stop(keep_dir=bool(failures))
    check(rc == 0, "daemon exits 0 (threads_per_client run)")


def engine_records(utraced, tracee_bin):
    # An engine's type and data are kept in every engine record: bounded (-32602 naming the
    # parameter).
    d = Daemon(utraced, log_level="info")
    t = Tracee(tracee_bin, "sleep")
    try:
        c = Client(d.socket)
        r = call(c, 1, "attach", {"tid": t.pid, "events": ["death"], "data": "x" * 5000})
        check(r.get("error", {}).get("code") == -32602 and
              r["error"].get("data", {}).get("parameter") == "data",
              "attach with 5000 bytes of data: -32602 naming data")
        r = call(c, 2, "attach", {"tid": t.pid, "events": ["death"], "type": "t" * 300})
        check(r.get("error", {}).get("code") == -32602 and
              r["error"].get("data", {}).get("parameter") == "type",
              "attach with a 300-byte type: -32602 naming type")
        r = call(c, 3, "attach", {"tid": t.pid, "events": ["death"], "type": "t" * 256,
                                  "data": {"k": "v" * 4000}})
        check("result" in r, "type and data within the bounds attach")
        c.close()
    finally:
        t.stop()
        rc = d.stop(keep_dir=bool(failures))
    check(rc == 0, "daemon exits 0 (engine records run)")


def held_before_exec(utraced, tracee_bin):
    # The daemon no longer starts programs, so it keeps no processes of its own before their
    # exec (the old `launch` limit launches_in_flight is gone with it: `launch` is -32601). A
    # client's children seized with hold_at_exec before their exec are engines like any other:
    # bounded by --max-engines (EAGAIN engines_per_client, the refused child left untraced), and
    # a connection that closes lets every one of them go, untraced.
    d = Daemon(utraced, log_level="info", args=["--max-engines", "3"])
    children = []
    try:
        c = Client(d.socket)
        r = call(c, 1, "launch", {"argv": ["/bin/true"]})
        check(r.get("error", {}).get("code") == -32601, f"launch: -32601 ({r.get('error')})")
        for i in range(4):
            children.append(H.HeldChild(["/bin/true"], close=(c.fileno(),)))
            r = call(c, 10 + i, "attach", {"pid": children[-1].pid, "scope": "process",
                                           "hold_at_exec": True, "events": ["exec"]})
            if i < 3:
                check("result" in r, f"hold_at_exec attach {i + 1} of 3 works")
        err = r.get("error", {})
        check(err.get("code") == 11 and err.get("data", {}).get("limit") == "engines_per_client",
              "a 4th child held before its exec: EAGAIN naming engines_per_client")
        check(wait_for(lambda: [tracer_pid(k.pid) for k in children] ==
                       [d.proc.pid] * 3 + [0]),
              f"three children traced by the daemon, the refused one untraced "
              f"({[tracer_pid(k.pid) for k in children]})")
        check(not daemon_children(d), f"the daemon has no processes of its own "
              f"({daemon_children(d)})")
        c.close()
        check(wait_for(lambda: [tracer_pid(k.pid) for k in children] == [0] * 4),
              "closing the connection lets them all go, untraced")
        for k in children:
            k.go()
        check([k.exec_result() for k in children] == [None] * 4 and
              [os.waitstatus_to_exitcode(k.wait()) for k in children] == [0] * 4,
              "then they exec and run to the end (exit 0), held by nobody")
    finally:
        for k in children:
            k.give_up()
        rc = d.stop(keep_dir=bool(failures))
    check(rc == 0, "daemon exits 0 (held before exec run)")


def tracer_pid(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def daemon_children(d):
    return [p for p in os.listdir("/proc") if p.isdigit() and proc_ppid(int(p)) == d.proc.pid]


def proc_ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def event_batching(utraced, tracee_bin):
    # --event-batch 16: async events wait for company at most --event-delay-us, and any other
    # line (a reply) flushes them first, in order; seq stays gap-free.
    d = Daemon(utraced, log_level="info", args=["--event-batch", "16", "--event-delay-us", "200000"])
    t = Tracee(tracee_bin, "on-input")
    try:
        c = Client(d.socket)
        call(c, 1, "attach", {"tid": t.pid, "events": ["syscall_entry", "syscall_exit"]})
        t.write("g")
        start = time.monotonic()
        first = c.recv()
        waited = time.monotonic() - start
        # A lower bound only (it cannot fail on a slow machine): the lone event waited for
        # company; that it came at all, with no other line to flush it, is the recv above.
        check(first.get("method") == "event" and waited > 0.05,
              f"a lone event is written after the batch delay ({waited:.3f} s, 0.2 s set)")
        t.write("g")
        time.sleep(0.05)
        c.send({"jsonrpc": "2.0", "id": 7, "method": "hello", "params": {}})
        got = []
        while True:
            m = c.recv()
            got.append(m)
            if m.get("id") == 7:
                break
        events = [m for m in got if m.get("method") == "event"]
        check(len(events) >= 2 and got[-1].get("id") == 7,
              f"a reply flushes the waiting events before it ({len(events)} events, then the reply)")
        seqs = [first["params"]["seq"]] + [m["params"]["seq"] for m in events]
        check(all(b == a + 1 for a, b in zip(seqs, seqs[1:])), f"seq gap-free across batches {seqs}")
        c.close()
    finally:
        t.stop()
        rc = d.stop(keep_dir=bool(failures))
    check(rc == 0, "daemon exits 0 (event batching run)")


# ---- issue 12: bounded input, bounded output per request, accept backoff, least disclosure ----

def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_lines(d):
    return d.log().count("\n")


class Footprint:
    """The daemon's fds and RSS before a flood; check() that they come back afterwards."""

    def __init__(self, d, what):
        self.d, self.what = d, what
        self.fds, self.rss = fd_count(d.proc.pid), rss_kib(d.proc.pid)

    def check(self, rss_margin_kib=16 * 1024):
        pid = self.d.proc.pid
        back = wait_for(lambda: fd_count(pid) <= self.fds, timeout=10)
        check(back, f"{self.what}: daemon fds back to {self.fds} (now {fd_count(pid)})")
        grown = rss_kib(pid) - self.rss
        check(grown < rss_margin_kib,
              f"{self.what}: daemon RSS back within {rss_margin_kib} KiB (grew {grown} KiB)")


def raw_lines(c):
    """Yields raw reply lines (bytes) of a harness Client without parsing them."""
    while True:
        while b"\n" not in c.buf:
            chunk = c.sock.recv(1 << 20)
            if not chunk:
                raise EOFError("daemon closed the connection")
            c.buf += chunk
        line, c.buf = c.buf.split(b"\n", 1)
        yield line


ID_RE = re.compile(rb'"id":(\d+)')


def nesting_depth(utraced, tracee_bin):
    d = Daemon(utraced, log_level="info")
    try:
        c = Client(d.socket)
        call(c, 1, "hello", {})
        foot = Footprint(d, "70,000-deep lines")
        deep = '{"jsonrpc":"2.0","id":2,"method":"hello","params":{"client":' + "[" * 70000
        c.send_line(deep)
        r = c.recv()
        err = r.get("error", {})
        check(err.get("code") == -32600 and err.get("data", {}).get("limit") == "nesting_depth"
              and err["data"].get("value") == 64 and "nesting depth limit" in err.get("message", ""),
              f"70,000 nested '[' in one line: -32600 naming the nesting depth limit ({err})")
        check(call(c, 3, "hello", {}).get("result", {}).get("server") == "utraced",
              "the connection is still usable and the daemon alive")
        # Exactly at the limit (object 1, params 2, 62 arrays = 64) is parsed: hello then
        # refuses the parameter; one more level is refused before parsing.
        at = '{"jsonrpc":"2.0","id":4,"method":"hello","params":{"client":' + "[" * 62 + "]" * 62 + "}}"
        c.send_line(at)
        r = c.recv()
        check(r.get("id") == 4 and r.get("error", {}).get("code") == -32602,
              "depth exactly 64 is parsed (hello then refuses the parameter: -32602)")
        over = '{"jsonrpc":"2.0","id":5,"method":"hello","params":{"client":' + "[" * 63 + "]" * 63 + "}}"
        c.send_line(over)
        r = c.recv()
        check(r.get("error", {}).get("data", {}).get("limit") == "nesting_depth", "depth 65 is refused")
        # Brackets inside strings do not count.
        r = call(c, 6, "hello", {"client": "[" * 100000})
        check(r.get("result", {}).get("server") == "utraced", "100,000 '[' inside a string are fine")
        # A flood of deep lines: every one answered, nothing kept.
        batch = (deep + "\n").encode() * 200
        threading.Thread(target=c.sock.sendall, args=(batch,), daemon=True).start()
        got = 0
        for _ in range(200):
            r = c.recv()
            got += r.get("error", {}).get("data", {}).get("limit") == "nesting_depth"
        check(got == 200, f"200 deep lines in a row: 200 errors ({got})")
        check(call(c, 7, "hello", {}).get("result") is not None, "and the connection still works")
        foot.check()
        c.close()
    finally:
        rc = d.stop(keep_dir=bool(failures))
    check(rc == 0, "daemon exits 0 (nesting run)")


def list_flood(utraced, tracee_bin):
    # 1,000 engines, then 1,500 `list` requests in one write by a client that does not read:
    # the daemon stops executing them once the client's unsent output is over --max-queue
    # (default 4 MiB), instead of producing all 1,500 replies (~250 MB) at once. Every reply
    # arrives afterwards, in order.
    d = Daemon(utraced, log_level="info")
    t = Tracee(tracee_bin, "sleep")
    try:
        c = Client(d.socket, timeout=60)
        n_engines = 1000
        c.sock.sendall("".join(json.dumps({"jsonrpc": "2.0", "id": i + 1, "method": "attach",
                                           "params": {"tid": t.pid, "events": ["exit"]}}) + "\n"
                               for i in range(n_engines)).encode())
        ok = sum(1 for _ in range(n_engines) if "result" in c.recv())
        check(ok == n_engines, f"{n_engines} engines attached ({ok})")
        foot = Footprint(d, "1,500 list requests")
        n_lists = 1500
        batch = "".join(json.dumps({"jsonrpc": "2.0", "id": 10000 + i, "method": "list"}) + "\n"
                        for i in range(n_lists)).encode()
        sender = threading.Thread(target=c.sock.sendall, args=(batch,), daemon=True)
        sender.start()
        time.sleep(1.5)  # not reading
        grown = rss_kib(d.proc.pid) - foot.rss
        check(grown < 48 * 1024,
              f"while the client does not read, the daemon grew {grown} KiB (bound: 48 MiB)")
        other = Client(d.socket)
        check(call(other, 1, "hello", {}).get("result") is not None, "another client is served meanwhile")
        other.close()
        ids, bad = [], 0
        lines = raw_lines(c)
        for i in range(n_lists):
            line = next(lines)
            m = ID_RE.match(line, 1) or ID_RE.search(line[:64])
            ids.append(int(m.group(1)) if m else -1)
            if i % 250 == 0 or i == n_lists - 1:
                r = json.loads(line)
                res = r.get("result", {})
                bad += not (len(res.get("engines", [])) == n_engines and res.get("total") == n_engines
                            and "next" not in res)
        sender.join(timeout=10)
        check(ids == list(range(10000, 10000 + n_lists)), "all 1,500 replies arrive, in order")
        check(bad == 0, "each lists all 1,000 engines on one page (total 1000, no next)")
        check(call(c, 1, "hello", {}).get("result") is not None, "the connection works afterwards")
        c.close()
        foot.check()
    finally:
        t.stop()
        rc = d.stop(keep_dir=bool(failures))
    check(rc == 0, "daemon exits 0 (list flood run)")


def readable_region(pid, size):
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            addr, perms = line.split()[:2]
            lo, hi = (int(x, 16) for x in addr.split("-"))
            if perms.startswith("r") and hi - lo >= size and "[v" not in line:
                return lo
    return None


def small_queue(utraced, tracee_bin):
    # --max-queue 4096: a reply longer than the bound is EAGAIN naming queued_bytes, and `list`
    # pages stay under half the bound.
    d = Daemon(utraced, log_level="info", args=["--max-queue", "4096"])
    t = Tracee(tracee_bin, "on-input")
    try:
        c = Client(d.socket)
        eng = call(c, 1, "attach", {"tid": t.pid, "events": ["syscall_entry"], "mode": "sync"})["result"]["engine"]
        t.write("g")
        rep = c.recv()
        check(rep.get("method") == "report", "a report is in flight (the engine may examine)")
        addr = readable_region(t.pid, 8192)
        r = call(c, 2, "read_memory", {"engine": eng, "addr": addr, "size": 4000})
        err = r.get("error", {})
        check(err.get("code") == 11 and err.get("data", {}).get("limit") == "queued_bytes"
              and err["data"].get("value") == 4096,
              f"a 4000-byte read_memory (5.3 KB reply) over --max-queue 4096: EAGAIN naming queued_bytes ({err})")
        r = call(c, 3, "read_memory", {"engine": eng, "addr": addr, "size": 16})
        check(r.get("result", {}).get("size") == 16, "a small read_memory still works")
        c.send({"jsonrpc": "2.0", "id": rep["id"], "result": {"action": "resume"}})
        call(c, 4, "control", {"engine": eng, "action": "detach"})

        # list pages: 30 engines, pages of about 2 KiB, followed with from/next.
        for i in range(30):
            call(c, 100 + i, "attach", {"tid": t.pid, "events": ["exit"], "type": "page"})
        r = call(c, 5, "list", {})["result"]
        first = len(r["engines"])
        check(0 < first < 30 and r.get("total") == 30 and "next" in r,
              f"list of 30 engines with --max-queue 4096: a first page of {first}, total 30, next")
        seen = [e["engine"] for e in r["engines"]]
        pages = 1
        while "next" in r and pages < 40:
            r = call(c, 6, "list", {"from": r["next"]})["result"]
            seen += [e["engine"] for e in r["engines"]]
            pages += 1
        check(len(seen) == 30 and seen == sorted(set(seen)),
              f"following next: all 30 engines once, in order, in {pages} pages")
        r = call(c, 7, "list", {"limit": 5})["result"]
        check(len(r["engines"]) == 5 and r.get("next") == seen[5], "limit 5: five engines, next is the 6th")
        r = call(c, 8, "list", {"from": seen[-1] + 1})["result"]
        check(r["engines"] == [] and r.get("total") == 30 and "next" not in r, "from past the last: empty page")
        for bad in ({"limit": 0}, {"limit": 1001}, {"from": -1}, {"offset": 3}):
            r = call(c, 9, "list", bad)
            check(r.get("error", {}).get("code") == -32602, f"list {bad}: -32602")
        c.close()
    finally:
        t.stop()
        rc = d.stop(keep_dir=bool(failures))
    check(rc == 0, "daemon exits 0 (small queue run)")


def accept_backoff(utraced, tracee_bin):
    # At its fd limit the daemon's accept fails with EMFILE: it must back off (not spin at
    # 100 % CPU) and log at most about a line a second, keep serving its clients, and accept
    # again once fds are free.
    d = Daemon(utraced, log_level="info", args=["--max-connections", "1000"])
    clients = []
    try:
        pid = d.proc.pid
        first = Client(d.socket)
        call(first, 1, "hello", {})
        foot = Footprint(d, "accept flood")
        _, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (64, hard))  # soft limit only
        for _ in range(120):  # far beyond 64 fds: the rest wait in the listen backlog
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(d.socket)
            clients.append(s)
        check(wait_for(lambda: fd_count(pid) >= 60, timeout=5),
              f"the daemon reaches its fd limit of 64 ({fd_count(pid)} fds)")
        time.sleep(0.3)
        cpu0, log0 = cpu_seconds(pid), log_lines(d)
        time.sleep(1.2)
        cpu, logged = cpu_seconds(pid) - cpu0, log_lines(d) - log0
        check(cpu < 0.3, f"at EMFILE the daemon used {cpu:.2f} s CPU in 1.2 s (no accept spin)")
        check(logged < 20, f"and logged {logged} lines in 1.2 s (rate-limited)")
        check("accept failed" in d.log() and "not logged in the last second" in d.log(),
              "the accept failure is logged, with a count of the ones left out")
        check(call(first, 2, "hello", {}).get("result") is not None, "a connected client is still served")
        for s in clients:
            s.close()
        clients = []
        late = Client(d.socket, timeout=10)
        check(call(late, 1, "hello", {}).get("result") is not None,
              "once the connections are closed a new client is served")
        late.close()
        first.close()
        foot.check()
    finally:
        for s in clients:
            s.close()
        rc = d.stop(keep_dir=bool(failures))
    check(rc == 0, "daemon exits 0 (accept flood run)")


def as_user(uid, fn):
    """Runs fn() in a child process with uid/gid `uid` and no groups; returns its JSON result."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            out = fn()
        except Exception as e:  # noqa: BLE001
            out = {"exception": repr(e)}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data)


def least_disclosure(utraced, tracee_bin):
    # stats: a client that is not root sees only its own activity; root keeps the daemon view.
    # Program lookup: the daemon never looks into a directory for a client any more (`launch`,
    # which did, is -32601 whatever the path, and starts nothing); a program the client starts
    # itself is looked up with its own identity, so a directory it cannot search answers the
    # same (EACCES) for a program that is there and one that is not, and the daemon is not
    # asked at all.
    d = Daemon(utraced, log_level="info")
    t = Tracee(tracee_bin, "getppid-loop")
    private = d.dir + "/private"
    try:
        os.chmod(d.dir, 0o755)  # the socket's directory: reachable by uid 65534
        os.mkdir(private, 0o700)
        shutil.copy("/bin/true", private + "/there")
        os.chmod(private + "/there", 0o755)
        root = Client(d.socket)
        call(root, 1, "attach", {"tid": t.pid, "events": ["syscall_entry"]})
        check(wait_for(lambda: call(root, 2, "stats", {})["result"].get("events_sent", 0) > 100),
              "root's stats: daemon-wide events_sent grows")
        rs = call(root, 3, "stats", {})["result"]
        check(rs.get("view") == "daemon" and "engines_total" in rs and "stops" in rs
              and rs.get("client", {}).get("engines_attached") == 1
              and rs["client"].get("events_sent", 0) > 100,
              "root sees the daemon-wide view plus its own counters under 'client'")

        def nobody():
            H.set_dumpable()
            c = Client(d.socket)
            out = {"stats": call(c, 1, "stats", {})}
            env = ["PATH=" + private]
            out["launch_there"] = call(c, 2, "launch", {"argv": ["there"], "env": env})
            out["launch_missing"] = call(c, 3, "launch", {"argv": ["missing"], "env": env})
            for name in ("there", "missing"):
                try:
                    H.spawn_traced(c, [name], {"events": []}, env={"PATH": private})
                    out[name] = "started"
                except H.SpawnError as e:
                    out[name] = [e.step, e.errno]
            try:
                eng, pid = H.spawn_traced(c, ["/bin/true"], {"events": []})
                call(c, 4, "control", {"engine": eng, "action": "resume"})
                out["control"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
            except H.SpawnError as e:
                out["control"] = str(e)
            out["engines"] = call(c, 5, "list", {})["result"]["engines"]
            c.close()
            return out

        kids_before = daemon_children(d)
        out = as_user(65534, nobody)
        ns = out.get("stats", {}).get("result", {})
        leaked = [k for k in ("engines_total", "threads_traced", "stops", "reports_sent",
                              "events_sent", "children_held", "launched") if k in ns]
        check(ns.get("view") == "client" and not leaked and ns.get("engines") == 0
              and ns.get("client", {}).get("events_sent") == 0,
              f"a non-root client's stats show only its own activity ({ns}; leaked {leaked})")
        there = out.get("launch_there", {}).get("error", {})
        missing = out.get("launch_missing", {}).get("error", {})
        check(there.get("code") == -32601 and there == missing,
              f"launch of a program in a directory the client cannot search: -32601, the same "
              f"as for a name that is not there (no oracle): {there}")
        check(daemon_children(d) == kids_before, "and the daemon started no process")
        check(out.get("control") == 0, f"positive control: nobody starts /bin/true traced and "
              f"reaps its exit 0 ({out.get('control')})")
        check(out.get("there") == ["exec", errno.EACCES] and out.get("missing") == out.get("there"),
              f"started by the client itself, a program in the directory it cannot search fails "
              f"with EACCES at exec, the same as a missing one ({out.get('there')}, "
              f"{out.get('missing')})")
        check(out.get("engines") == [], f"no engine of nobody's is left ({out.get('engines')})")
        root.close()
    finally:
        t.stop()
        rc = d.stop(keep_dir=bool(failures))
    check(rc == 0, "daemon exits 0 (least disclosure run)")


def main():
    utraced, tracee_bin = sys.argv[1:3]
    d = Daemon(utraced, log_level="info", args=["--max-engines", "3", "--max-connections", "4",
                                                "--max-line", "256", "--max-waiters", "1",
                                                "--max-queue", "65536"])
    tracees = []
    try:
        t = Tracee(tracee_bin, "sleep")
        tracees.append(t)
        c = Client(d.socket)
        for i in range(3):
            r = call(c, i + 1, "attach", {"tid": t.pid})
            check("result" in r, f"engine {i + 1} of 3 attaches")
        r = call(c, 9, "attach", {"tid": t.pid})
        err = r.get("error", {})
        check(err.get("code") == 11 and err.get("data", {}).get("limit") == "engines_per_client",
              "the 4th engine: EAGAIN naming engines_per_client")

        # Line size: an oversize line is refused, the next line is served.
        c.send_line('{"jsonrpc":"2.0","id":10,"method":"hello","params":{"client":"' + "x" * 400 + '"}}')
        r = c.recv()
        check(r.get("error", {}).get("code") == -32600 and r["error"]["data"]["limit"] == 256,
              "a 400-byte line over --max-line 256: -32600 with the limit")
        check(call(c, 11, "hello", {}).get("result", {}).get("server") == "utraced",
              "the connection still works")

        # Connections per uid: the 5th is refused with an error line, the others keep working.
        others = [Client(d.socket) for _ in range(3)]
        extra = Client(d.socket)
        m = extra.recv()
        check(m.get("error", {}).get("data", {}).get("limit") == "connections_per_uid",
              "the 5th connection of a uid: refused naming connections_per_uid")
        try:
            extra.recv()
            closed = False
        except EOFError:
            closed = True
        check(closed, "and then closed")
        check(call(others[0], 1, "hello", {}).get("result") is not None, "the other 4 still work")
        for o in others:
            o.close()
        extra.close()

        # Outstanding waiters: with --max-waiters 1 a second barrier waiting on a report fails.
        t2 = Tracee(tracee_bin, "on-input")
        tracees.append(t2)
        w = Client(d.socket)
        eng = call(w, 1, "attach", {"tid": t2.pid, "events": ["syscall_entry"], "mode": "sync"})["result"]["engine"]
        t2.write("g")
        rep = w.recv()
        check(rep.get("method") == "report", "a report is in flight")
        w.send({"jsonrpc": "2.0", "id": 2, "method": "barrier", "params": {"engine": eng, "timeout_ms": 5000}})
        w.send({"jsonrpc": "2.0", "id": 3, "method": "barrier", "params": {"engine": eng, "timeout_ms": 5000}})
        m = w.recv()
        check(m.get("id") == 3 and m.get("error", {}).get("data", {}).get("limit") == "waiters_per_client",
              "a 2nd outstanding barrier: EAGAIN naming waiters_per_client")
        w.send({"jsonrpc": "2.0", "id": rep["id"], "result": {"action": "resume"}})
        m = w.recv()
        check(m.get("id") == 2 and m.get("result") == {}, "the 1st barrier completes after the reply")
        w.close()

        # A client that stops reading: bounded memory, the traced thread slowed, nothing lost.
        busy = Tracee(tracee_bin, "getppid-loop")
        tracees.append(busy)
        slow = Client(d.socket, timeout=30)
        call(slow, 1, "attach", {"tid": busy.pid, "events": ["syscall_entry", "syscall_exit"]})
        before = rss_kib(d.proc.pid)
        time.sleep(1.5)  # not reading
        after = rss_kib(d.proc.pid)
        check(after - before < 16 * 1024, f"daemon RSS grew {after - before} KiB while the client did not read")
        check(busy.status()[0] == "t", "the busy thread waits for its slow client (state t)")
        seqs = []
        while len(seqs) < 20000:
            m = slow.recv()
            if m.get("method") == "event":
                seqs.append(m["params"]["seq"])
        gaps = sum(1 for a, b in zip(seqs, seqs[1:]) if b != a + 1)
        check(gaps == 0, f"20000 events read afterwards, in order, none lost ({gaps} gaps)")
        slow.close()
    finally:
        for t in tracees:
            t.stop()
        rc = d.stop(keep_dir=bool(failures))
    check(rc == 0, "daemon exits 0")
    threads_per_engine(utraced, tracee_bin)
    threads_per_client(utraced, tracee_bin)
    engine_records(utraced, tracee_bin)
    held_before_exec(utraced, tracee_bin)
    event_batching(utraced, tracee_bin)
    nesting_depth(utraced, tracee_bin)
    list_flood(utraced, tracee_bin)
    small_queue(utraced, tracee_bin)
    accept_backoff(utraced, tracee_bin)
    least_disclosure(utraced, tracee_bin)
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
