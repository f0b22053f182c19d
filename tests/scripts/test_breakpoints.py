#!/usr/bin/env python3
"""Breakpoints (PROTOCOL.md, insert_breakpoint): an engine's int3 in a real program's libc code,
its trap reported to the owner only (rip set back, no SIGTRAP delivered, another client's
signal engine hears nothing), reads that show the original byte, a forked child that runs the
code untraced and lives, and an owner that goes away (during a report, and while the program
runs) never leaving an int3 behind. Usage: test_breakpoints.py UTRACED TRACEE"""
import base64
import ctypes
import os
import select
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from utraced_harness import Client, Daemon, Tracee, wait_for  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def libc_base(pid):
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and "/libc.so" in parts[5] and parts[2] == "00000000":
                return int(parts[0].split("-")[0], 16), parts[5]
    raise RuntimeError(f"no libc in {pid}")


def libc_syscall_addr(pid):
    """The address of libc's syscall(3) in pid: the same offset in the same file as here."""
    here = ctypes.cast(ctypes.CDLL(None).syscall, ctypes.c_void_p).value
    base, path = libc_base(os.getpid())
    there, path2 = libc_base(pid)
    assert os.path.realpath(path) == os.path.realpath(path2)
    return there + (here - base)


def mem_byte(pid, addr):
    with open(f"/proc/{pid}/mem", "rb") as f:
        f.seek(addr)
        return f.read(1)[0]


def drain(client, seconds=0.3):
    """Every message that arrives within `seconds`."""
    out = []
    while True:
        r, _, _ = select.select([client], [], [], seconds)
        if not r:
            return out
        out.append(client.recv())


def traps(messages):
    """The SIGTRAP events among messages (the program's SIGCHLDs are its own business)."""
    return [m for m in messages if m.get("method") == "event" and
            m["params"].get("signal", {}).get("signo") == 5]


def next_report(client):
    while True:
        m = client.recv()
        if m.get("method") == "report":
            return m


def hold(c, eng):
    r = c.call("control", {"engine": eng, "action": "stop"})
    assert r.get("error", {}).get("data", {}).get("errno") in ("EINPROGRESS", None), r
    r = c.call("wait", {"engine": eng, "timeout_ms": 5000})
    assert r.get("result", {}).get("reason") == "stopped", r


def main():
    utraced, tracee_bin = (os.path.abspath(a) for a in sys.argv[1:3])
    d = Daemon(utraced, log_level="info")
    t = Tracee(tracee_bin, "on-input")
    try:
        addr = libc_syscall_addr(t.pid)
        original = mem_byte(t.pid, addr)
        check(original != 0xCC, f"libc syscall() at {addr:#x} starts with {original:#04x}")
        watcher = Client(d.socket)
        signals = ["signal", "signal_ign", "signal_stop", "signal_term", "signal_core"]
        watcher.call("attach", {"pid": t.pid, "scope": "process", "events": signals})
        gdb = Client(d.socket)
        eng = gdb.call("attach", {"pid": t.pid, "scope": "process", "events": [],
                                  "mode": "sync"})["result"]["engine"]
        hold(gdb, eng)
        r = gdb.call("insert_breakpoint", {"engine": eng, "tid": t.pid, "addr": hex(addr)})
        check(r.get("result") == {}, f"insert_breakpoint: {r}")
        check(mem_byte(t.pid, addr) == 0xCC, "the program's memory has the int3")
        r = gdb.call("read_memory", {"engine": eng, "tid": t.pid, "addr": hex(addr), "size": 4})
        check(base64.b64decode(r["result"]["data"])[0] == original,
              "read_memory shows the original byte under the int3")
        r = gdb.call("insert_breakpoint", {"engine": eng, "tid": t.pid, "addr": hex(addr)})
        check(r.get("result") == {}, "inserting again is a no-op")
        gdb.call("control", {"engine": eng, "action": "resume"})

        # A forked child runs the code untraced: its copy was scrubbed, it lives.
        t.write("f")
        line = t.proc.stdout.readline().decode().strip()
        check(line == "child 0", f"a forked child calls syscall(3) and exits 0 ({line!r})")

        # A vfork child runs the code in the program's own memory, int3 and all: the daemon
        # steps it over the int3 (nobody is told), it lives, and the int3 stays for the program.
        t.write("v")
        line = t.proc.stdout.readline().decode().strip()
        check(line == "child 0", f"a vfork child calls syscall(3) over the int3 and exits 0 ({line!r})")
        check(mem_byte(t.pid, addr) == 0xCC, "the int3 is back after the vfork child's step")

        # The program itself runs into it: the owner hears, rip is back at the breakpoint.
        t.write("s")
        m = next_report(gdb)
        p = m["params"]
        check(p["event"] == "breakpoint" and int(p["addr"], 16) == addr,
              f"breakpoint report with addr ({p})")
        regs = gdb.call("get_regs", {"engine": eng, "tid": t.pid})["result"]["regs"]
        check(int(regs["rip"], 16) == addr, "rip is set back to the breakpoint")
        heard = traps(drain(watcher))
        check(not heard, f"the other client's signal engine heard no SIGTRAP ({heard})")
        r = gdb.call("remove_breakpoint", {"engine": eng, "tid": t.pid, "addr": hex(addr)})
        check(r.get("result") == {}, "remove_breakpoint")
        check(mem_byte(t.pid, addr) == original, "the original byte is back")
        r = gdb.call("remove_breakpoint", {"engine": eng, "tid": t.pid, "addr": hex(addr)})
        check(r.get("error", {}).get("data", {}).get("errno") == "ENOENT", "removing twice: ENOENT")
        # Inserted again, then the owner disconnects in the middle of the report.
        gdb.call("insert_breakpoint", {"engine": eng, "tid": t.pid, "addr": hex(addr)})
        gdb.close()
        check(wait_for(lambda: mem_byte(t.pid, addr) == original),
              "an owner gone during its report leaves the original byte")
        t.write("s")
        check(wait_for(lambda: t.status() is not None and t.status()[0] == "S"),
              "the program runs on past the old breakpoint")

        # An owner gone while the program runs (blocked in read): restored at a stop it brings about.
        gdb = Client(d.socket)
        eng = gdb.call("attach", {"pid": t.pid, "scope": "process", "events": [],
                                  "mode": "sync"})["result"]["engine"]
        hold(gdb, eng)
        gdb.call("insert_breakpoint", {"engine": eng, "tid": t.pid, "addr": hex(addr)})
        gdb.call("control", {"engine": eng, "action": "resume"})
        check(wait_for(lambda: t.status()[0] == "S"), "running (blocked in read) with the int3")
        check(mem_byte(t.pid, addr) == 0xCC, "the int3 is in place")
        gdb.close()
        check(wait_for(lambda: mem_byte(t.pid, addr) == original),
              "an owner gone while the program runs leaves the original byte")
        t.write("s")
        t.write("f")
        line = t.proc.stdout.readline().decode().strip()
        check(line == "child 0" and t.proc.poll() is None, "the program and its child live")
        heard = traps(drain(watcher))
        check(not heard, f"the signal engine heard no SIGTRAP at all ({heard})")

        # An async owner (a tracepoint): never holds the thread, so each hit is reported and
        # the daemon steps the thread over the int3, which stays for the next hit.
        c = Client(d.socket)
        eng = c.call("attach", {"pid": t.pid, "scope": "process", "events": [],
                                "mode": "async"})["result"]["engine"]
        hold(c, eng)
        c.call("insert_breakpoint", {"engine": eng, "tid": t.pid, "addr": hex(addr)})
        c.call("control", {"engine": eng, "action": "resume"})
        for _ in range(3):
            t.write("s")  # four syscall(3) calls each
        hits = []
        while len(hits) < 12:
            m = c.recv()
            if m.get("method") == "event" and m["params"]["event"] == "breakpoint":
                hits.append(int(m["params"]["addr"], 16))
        check(hits == [addr] * 12, f"an async owner hears every hit (12 of {len(hits)})")
        check(not [m for m in drain(c) if m.get("method") == "event"], "and no more")
        check(mem_byte(t.pid, addr) == 0xCC and t.proc.poll() is None,
              "the int3 stays and the program runs on")
        heard = traps(drain(watcher))
        check(not heard, f"the signal engine heard no SIGTRAP of the steps over it ({heard})")
        c.close()
        check(wait_for(lambda: mem_byte(t.pid, addr) == original), "restored when it goes")

        # The per-engine limit, and a bulk release: 4096 int3s in a row, all restored.
        def mem_range(n):
            with open(f"/proc/{t.pid}/mem", "rb") as f:
                f.seek(addr)
                return f.read(n)
        before = mem_range(4097)
        c = Client(d.socket)
        eng = c.call("attach", {"pid": t.pid, "scope": "process", "events": [],
                                "mode": "sync"})["result"]["engine"]
        hold(c, eng)
        codes = [c.call("insert_breakpoint", {"engine": eng, "tid": t.pid, "addr": hex(addr + i)})
                 for i in range(4097)]
        check(all(r.get("result") == {} for r in codes[:4096]), "4096 breakpoints inserted")
        last = codes[4096].get("error", {}).get("data", {})
        check(last.get("errno") == "EAGAIN" and last.get("limit") == "breakpoints_per_engine",
              f"the 4097th: EAGAIN, breakpoints_per_engine ({codes[4096]})")
        check(mem_range(4096) == b"\xcc" * 4096, "4096 int3s in the program's memory")
        c.close()
        check(wait_for(lambda: mem_range(4097) == before),
              "the engine gone: every original byte is back")
        t.write("f")
        line = t.proc.stdout.readline().decode().strip()
        check(line == "child 0" and t.proc.poll() is None, "the program runs on after them")

        # Thread engines own no breakpoints.
        c = Client(d.socket)
        eng = c.call("attach", {"tid": t.pid, "events": [], "mode": "sync"})["result"]["engine"]
        hold(c, eng)
        r = c.call("insert_breakpoint", {"engine": eng, "addr": hex(addr)})
        check(r.get("error", {}).get("data", {}).get("errno") == "EINVAL",
              "a thread engine gets EINVAL")
        c.close()
    finally:
        t.stop()
        d.stop()
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
