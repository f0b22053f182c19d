#!/usr/bin/env python3
"""The blocking client of the Python package against a real daemon: typed errors with errno,
bad input refused before the wire, spawn (held at the first instruction, errors by step,
nothing left behind, seccomp), sync handlers answering stop then resume, registers and
memory as ints and bytes, events with a timeout, and a closed connection leaving nothing
stopped.

    test_client.py UTRACED_BINARY
"""

from __future__ import annotations

import base64
import errno
import os
import stat
import sys
import tempfile
import time

import pyharness as H
from pyharness import check

import utrace
from utrace.model import encode_address, encode_signed, encode_u64, to_int, to_signed


DAEMON_PID = 0


def no_children_left(what: str) -> None:
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != DAEMON_PID:
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                        kids.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    check(kids == [], f"{what}: no child left behind (found {kids})")


def values() -> None:
    check(to_int("0x7ffd5e8c1a40") == 0x7FFD5E8C1A40 and to_int(12) == 12 and
          to_int("0XFF") == 255 and to_int("0xfffffffffffffffe") == 2**64 - 2,
          "values: ints and \"0x...\" strings become ints")
    check(to_signed("0xfffffffffffffffe") == -2 and to_signed(-38) == -38,
          "values: a retval string is two's complement")
    check(encode_u64(-1, True, "r") == "0xffffffffffffffff" and encode_u64(5, False, "r") == 5 and
          encode_address(0, True) == "0x0" and encode_signed(-2, True) == -2 and
          encode_signed(2**63, True) == "0x8000000000000000",
          "values: ints to the wire (hex strings in protocol 2)")
    for bad in ("12", "0x", "0xzz", 1.5, True, None):
        try:
            to_int(bad)
            check(False, f"values: {bad!r} is refused")
        except ValueError:
            pass
    for bad in (-1, 2**64):
        try:
            encode_address(bad, True)
            check(False, f"values: address {bad} is refused")
        except ValueError:
            pass
    check(True, "values: bad values are ValueError")


def errors(c: utrace.Client) -> None:
    try:
        c.attach(2147483647, ["exit"])
        check(False, "errors: attach to a missing thread fails")
    except ProcessLookupError as e:
        check(isinstance(e, utrace.NoSuchThreadError) and isinstance(e, utrace.UtraceError) and
              isinstance(e, OSError) and e.errno == errno.ESRCH and e.code == 3 and
              e.data.get("tid") == 2147483647 and e.method == "attach" and "ESRCH" in str(e),
              f"errors: ESRCH is a ProcessLookupError with errno, code, data ({e!r})")
    try:
        c.call("attach", {"tid": os.getpid(), "colour": "blue"})
        check(False, "errors: an unknown parameter fails")
    except utrace.ProtocolError as e:
        check(e.code == -32602 and e.parameter == "colour" and e.errno == errno.EINVAL,
              f"errors: -32602 is a ProtocolError naming the parameter ({e})")
    try:
        c.call("no_such_method")
        check(False, "errors: an unknown method fails")
    except utrace.ProtocolError as e:
        check(e.code == -32601 and e.errno == errno.ENOSYS, f"errors: -32601 ({e})")
    try:
        c.engine(999999).resume()
        check(False, "errors: resume of an unknown engine fails")
    except utrace.NoSuchThreadError as e:
        check(e.data.get("engine") == 999999, f"errors: unknown engine is ESRCH ({e})")
    for what, fn in (("tid 0", lambda: c.attach(0, ["exit"])),
                     ("unknown event", lambda: c.attach(os.getpid(), ["bogus"])),
                     ("bad mode", lambda: c.attach(os.getpid(), mode="fast")),
                     ("unknown action", lambda: c.engine(1).control("pause")),
                     ("empty argv", lambda: c.spawn([])),
                     ("argv a string", lambda: c.spawn("/bin/true"))):
        try:
            fn()
            check(False, f"bad input: {what} is refused")
        except (ValueError, TypeError) as e:
            check(True, f"bad input: {what} is refused before the wire ({e})")
    check(c.list() == [], "bad input: nothing was attached")


def spawn_errors(c: utrace.Client) -> None:
    with tempfile.TemporaryDirectory() as d:
        noexec = os.path.join(d, "noexec")
        with open(noexec, "w") as f:
            f.write("#!/bin/sh\n")
        os.chmod(noexec, stat.S_IRUSR | stat.S_IWUSR)
        cases = ((["/nonexistent/program"], {}, "exec", errno.ENOENT),
                 (["no-such-program-in-path"], {}, "exec", errno.ENOENT),
                 ([noexec], {}, "exec", errno.EACCES),
                 (["/bin/true"], {"cwd": os.path.join(d, "missing")}, "chdir", errno.ENOENT))
        for argv, kw, step, err in cases:
            try:
                c.spawn(argv, ["exit", "death", "reap"], **kw)
                check(False, f"spawn {argv} {kw}: fails")
            except utrace.SpawnError as e:
                check(e.step == step and e.errno == err and isinstance(e, OSError) and
                      f"{step} failed" in str(e),
                      f"spawn {argv[0]} {kw}: SpawnError step {e.step}, "
                      f"{errno.errorcode.get(e.errno or 0)} ({e})")
    no_children_left("spawn errors")
    c.read_for(0.2)
    check(c.list() == [], "spawn errors: no engine left")
    try:
        c.spawn(["/bin/true"], ["exit"], report_timeout=-1)
        check(False, "spawn: a negative report_timeout is refused")
    except ValueError:
        check(True, "spawn: a negative report_timeout is refused")
    no_children_left("spawn with bad options")


def spawn_held(c: utrace.Client) -> None:
    r, w = os.pipe()
    engine, program = c.spawn(["/bin/echo", "held"], ["syscall_entry", "death", "reap"],
                              stdout=w)
    os.close(w)
    st = H.proc_status(program.pid)
    check(st.get("State", "").startswith("t") and st.get("PPid") == str(os.getpid()),
          f"spawn: held stopped, our child ({st.get('State')}, PPid {st.get('PPid')})")
    regs = engine.get_regs()
    check(all(isinstance(v, int) and v >= 0 for v in regs.values()) and regs["rip"] > 0 and
          regs["orig_rax"] == 59,
          f"spawn: get_regs gives ints, at the execve's stop (rip {regs['rip']:#x})")
    engine.set_regs(rip=regs["rip"])
    check(engine.get_regs() == regs, "spawn: set_regs of the same value changes no register")
    word = engine.read_memory(regs["rsp"], 8)
    check(len(word) == 8 and engine.write_memory(regs["rsp"], word) == 8,
          "spawn: read_memory/write_memory at rsp (bytes)")
    try:
        engine.read_memory(8, 4)
        check(False, "spawn: read_memory at 8 fails")
    except utrace.FaultError as e:
        check(e.errno == errno.EFAULT, f"spawn: EFAULT is FaultError ({e})")
    who = c.who(program.pid)
    check(who.get("utraced") and [cl["engines"] for cl in who["clients"]] == [[engine.id]],
          f"spawn: who names our engine ({who})")
    engine.resume()
    names = [ev.syscall.name for ev in engine.events(timeout=10)
             if ev.event == "syscall_entry" and ev.syscall]
    check(engine.gone and names[-1:] == ["exit_group"] and "write" in names,
          f"spawn: events until the engine is gone ({len(names)} syscalls)")
    check(program.wait() == 0 and os.read(r, 100) == b"held\n" and program.returncode == 0,
          "spawn: the caller reaps the program; its output reached our pipe")
    os.close(r)


def breakpoint_and_capture(c: utrace.Client) -> None:
    """Engine.insert_breakpoint/remove_breakpoint and the `capture` attach option."""
    r, w = os.pipe()
    engine, program = c.spawn(["/bin/cat", "/etc/hostname"],
                              ["syscall_entry", "syscall_exit", "death", "reap"], stdout=w,
                              syscalls=["openat"], capture={"strsize": 64})
    os.close(w)
    rip = engine.get_regs()["rip"]
    byte = engine.read_memory(rip, 1)
    engine.insert_breakpoint(rip)
    check(engine.read_memory(rip, 1) == byte, "breakpoint: read_memory shows the original byte")
    engine.remove_breakpoint(rip)
    try:
        engine.remove_breakpoint(rip)
        check(False, "breakpoint: removing twice fails")
    except FileNotFoundError as e:
        check(e.errno == errno.ENOENT, f"breakpoint: removing twice is ENOENT ({e})")
    engine.resume()
    paths = []
    for ev in engine.events(timeout=10):
        if ev.event == "syscall_entry" and ev.capture:
            paths += [base64.b64decode(b) for _, b in ev.capture.get("mem", [])]
    check(b"/etc/hostname\0" in paths,
          f"capture: openat's path comes in the report ({len(paths)} regions)")
    check(program.wait() == 0, "capture: the program ran to its end")
    os.close(r)


def sync_stop_then_resume(c: utrace.Client) -> None:
    r, w = os.pipe()
    seen = []

    def handler(rep: utrace.Report) -> utrace.Action:
        seen.append(rep)
        if rep.event == "syscall_entry" and len(seen) == 1:
            return utrace.Action.STOP
        return utrace.Action.RESUME

    engine, program = c.spawn(["/bin/echo", "hello"], ["syscall_entry", "reap"], mode="sync",
                              syscalls=["write"], stdout=w, handler=handler, resume=True)
    os.close(w)
    while engine.wait(timeout=10).reason != "stopped":
        pass
    st = H.proc_status(program.pid)
    os.set_blocking(r, False)
    try:
        early = os.read(r, 100)
    except BlockingIOError:
        early = b""
    check(st.get("State", "").startswith("t") and early == b"" and len(seen) == 1 and
          seen[0].syscall is not None and seen[0].syscall.name == "write" and
          seen[0].answered is not None and seen[0].answered.action == "stop",
          f"sync handler: 'stop' holds the program at write ({st.get('State')}, {seen})")
    regs = engine.get_regs()
    check(regs["orig_rax"] == 1 and regs["rdi"] == 1 and seen[0].args[0] == 1 and
          engine.read_memory(regs["rsi"], regs["rdx"]) == b"hello\n",
          "sync handler: the held write's buffer read from its memory")
    engine.resume()
    check(program.wait(timeout=10) == 0, "sync handler: resume lets it run to exit 0")
    os.set_blocking(r, True)
    check(os.read(r, 100) == b"hello\n", "sync handler: the write happened after resume")
    os.close(r)
    c.run(timeout=5)  # the reap
    check(engine.gone, "sync handler: engine gone after the reap")


def sync_exec_report(c: utrace.Client) -> None:
    engine, program = c.spawn(["/bin/true"], ["exec", "reap"], mode="sync")
    first = c.next_message(timeout=5)
    check(isinstance(first, utrace.Report) and first.event == "exec" and first.sync and
          first.answered is not None and first.answered.action == "stop" and
          H.proc_status(program.pid).get("State", "").startswith("t"),
          f"spawn sync exec: the exec report is answered stop, still held ({first})")
    engine.resume()
    check(program.wait(timeout=10) == 0, "spawn sync exec: resume lets it go")


def disconnect_releases(path: str) -> None:
    c2 = utrace.connect(path)
    engine, program = c2.spawn(["sleep", "0.3"], ["syscall_entry"], mode="sync",
                               handler=lambda r: "stop")
    engine.resume()
    c2.read_for(0.2)
    held = H.proc_status(program.pid).get("State", "")
    c2.close()
    check(held.startswith("t"), f"disconnect: held by the handler's stop ({held})")
    check(H.wait_for(lambda: H.proc_status(program.pid).get("TracerPid") in ("0", None)),
          "disconnect: a closed client leaves the program untraced")
    check(program.wait(timeout=10) == 0, "disconnect: the program runs to its end")
    try:
        engine.resume()
        check(False, "disconnect: calls after close fail")
    except utrace.DisconnectedError as e:
        check(isinstance(e, ConnectionError), f"disconnect: DisconnectedError ({e})")


def events_timeout(c: utrace.Client) -> None:
    t0 = time.monotonic()
    victim = os.fork()
    if victim == 0:
        time.sleep(30)
        os._exit(0)
    try:
        H.wait_for(lambda: H.proc_status(victim).get("State", "").startswith("S"))
        t0 = time.monotonic()
        with c.attach(victim, ["syscall_entry"]) as engine:
            got = list(engine.events(timeout=0.3))
            dt = time.monotonic() - t0
            check(0.25 < dt < 5 and all(ev.event == "syscall_entry" for ev in got),
                  f"events(timeout): ends after the timeout ({dt:.2f} s, {got})")
        check(engine.gone and c.list() == [], "engine as a context manager: detached")
    finally:
        os.kill(victim, 9)
        os.waitpid(victim, 0)


def seccomp_spawn(c: utrace.Client) -> None:
    r, w = os.pipe()
    engine, program = c.spawn(["uname", "-s"], ["syscall_entry", "reap"],
                              seccomp_syscalls=["uname"], stdout=w, resume=True)
    os.close(w)
    names = [ev.syscall.name for ev in engine.events(timeout=10)
             if ev.event == "syscall_entry" and ev.syscall]
    out = os.read(r, 100)
    os.close(r)
    check(program.wait(timeout=10) == 0 and out == b"Linux\n" and names == ["uname"],
          f"seccomp spawn: only uname is reported ({names}, {out!r})")


def main() -> None:
    values()
    global DAEMON_PID
    daemon = H.Daemon(sys.argv[1])
    DAEMON_PID = daemon.proc.pid
    try:
        with utrace.connect(name="test_client") as c:
            check(c.server.get("server") == "utraced" and c.protocol in (1, 2),
                  f"connect: hello ({c.server})")
            for test in (errors, spawn_errors, spawn_held, breakpoint_and_capture,
                         sync_stop_then_resume,
                         sync_exec_report, events_timeout, seccomp_spawn):
                try:
                    test(c)
                except Exception as e:
                    check(False, f"{test.__name__}: {type(e).__name__}: {e}")
            check(c.stats().get("engines") == 0, "stats: no engine left")
        try:
            disconnect_releases(daemon.socket)
        except Exception as e:
            check(False, f"disconnect_releases: {type(e).__name__}: {e}")
        no_children_left("the whole test")
        try:
            utrace.connect(daemon.socket + ".missing")
            check(False, "connect: a missing socket fails")
        except FileNotFoundError as e:
            check(daemon.socket in str(e), f"connect: a missing socket names the path ({e})")
    finally:
        daemon.stop()
    H.finish()


if __name__ == "__main__":
    main()
