#!/usr/bin/env python3
"""Flood tests for the per-client limits: each limit gives a clear error naming it, the
connection (or the daemon) survives, and a client that stops reading neither grows the daemon's
memory without bound nor loses an event. Usage: test_limits.py UTRACED TRACEE"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
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
        check(first.get("method") == "event" and 0.05 < waited < 2,
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
    event_batching(utraced, tracee_bin)
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
