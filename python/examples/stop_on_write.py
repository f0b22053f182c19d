#!/usr/bin/env python3
"""Stops a process at the first open of PATH for writing, and holds it there until you press
Enter: a sync engine answers "stop" to that syscall's entry report.

    stop_on_write.py [--resume-after SECONDS] PATH PID
    stop_on_write.py [--resume-after SECONDS] PATH -- CMD ARGS...

When the program opens PATH with O_WRONLY or O_RDWR (open, openat, openat2, creat), this prints
"stopped: pid N at SYSCALL(PATH, FLAGS), rip 0x..." on stdout; the program is then held
stopped before the open runs (``/proc/N/status`` shows "t (tracing stop)") until Enter is
pressed, or for SECONDS with --resume-after. Then it is resumed ("resumed: pid N") and runs
on untraced. With "-- CMD" this exits with CMD's status. Ctrl-C lets the program go at once:
nothing is ever left stopped.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
from typing import Dict, Optional

import _common
import utrace

PATH_ARG = {"open": 0, "creat": 0, "openat": 1, "openat2": 1}
FLAGS_ARG = {"open": 1, "openat": 2}


def opened_path(engine: utrace.Engine, r: utrace.Report) -> str:
    """The path the syscall opens, made absolute with the thread's cwd."""
    assert r.syscall is not None
    raw = engine.read_string(r.args[PATH_ARG[r.syscall.name]], 4096, tid=r.tid)
    path = os.fsdecode(raw)
    if not os.path.isabs(path):
        try:
            path = os.path.join(os.readlink(f"/proc/{r.tid}/cwd"), path)
        except OSError:
            pass
    return os.path.normpath(path)


def open_flags(engine: utrace.Engine, r: utrace.Report) -> int:
    """The open flags (creat: O_WRONLY|O_CREAT|O_TRUNC; openat2: how->flags)."""
    assert r.syscall is not None
    name = r.syscall.name
    if name == "creat":
        return os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    if name == "openat2":
        return int.from_bytes(engine.read_memory(r.args[2], 8, tid=r.tid), "little")
    return r.args[FLAGS_ARG[name]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--resume-after", type=float, metavar="SECONDS",
                    help="resume after SECONDS instead of waiting for Enter")
    ap.add_argument("path")
    ap.add_argument("pid", nargs="?", help="PID, or -- CMD ARGS...")
    args = sys.argv[1:]
    cmd = args[args.index("--"):] if "--" in args else []
    opts = ap.parse_args(args[:len(args) - len(cmd)])
    pid, argv = _common.target(cmd or ([opts.pid] if opts.pid else []),
                               "stop_on_write.py [--resume-after S] PATH PID | -- CMD ARGS...")
    want = os.path.normpath(os.path.abspath(opts.path))
    hit: Dict[str, object] = {}
    state = {"done": False}

    with utrace.connect() as client:
        def on_report(r: utrace.Report) -> str:
            if r.event == "reap" and r.tid == main_pid():
                state["done"] = True
            if hit or r.event != "syscall_entry" or r.syscall is None:
                return "resume"
            try:
                path, flags = opened_path(engine, r), open_flags(engine, r)
            except utrace.FaultError:
                return "resume"
            if path == want and flags & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR):
                hit.update(tid=r.tid, pid=r.pid, syscall=r.syscall.name, path=path,
                           flags=flags, rip=engine.get_regs(tid=r.tid)["rip"])
                return "stop"
            return "resume"

        events = ["syscall_entry", "reap"]
        program: Optional[utrace.Program] = None
        if argv is not None:
            engine, program = client.spawn(argv, events, mode="sync", follow=True,
                                           syscalls=list(PATH_ARG), handler=on_report,
                                           resume=True)
        else:
            engine = client.attach(pid, events, mode="sync", scope="process", follow=True,
                                   syscalls=list(PATH_ARG), handler=on_report)

        def main_pid() -> Optional[int]:
            return program.pid if program is not None else pid

        try:
            client.run(until=lambda: bool(hit) or state["done"])
            if hit:
                tid = hit["tid"]
                assert isinstance(tid, int)
                engine.wait(tid=tid)  # the "stop" answer is applied: it is held
                print(f"stopped: pid {hit['pid']} at {hit['syscall']}({hit['path']}, "
                      f"{hit['flags']:#o}), rip {hit['rip']:#x}", flush=True)
                if opts.resume_after is None:
                    print("press Enter to resume", flush=True)
                    sys.stdin.readline()
                else:
                    select.select([], [], [], opts.resume_after)
                engine.resume(tid=tid)
                print(f"resumed: pid {hit['pid']}", flush=True)
            else:
                print(f"{want} was not opened for writing", file=sys.stderr)
        except KeyboardInterrupt:
            pass
        finally:
            engine.detach()  # never leaves it stopped
    if program is not None:
        _common.exit_like(program.wait())


if __name__ == "__main__":
    _common.run(main)
