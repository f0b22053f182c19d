#!/usr/bin/env python3
"""Prints the files a process opens, as it opens them: a sync engine that reads each path
from the traced program's memory while it is stopped at the syscall's entry.

    watch_files.py PID               watch a running process (and its later children); Ctrl-C
    watch_files.py -- CMD ARGS...    start CMD traced and watch it; exits with its status

One line per open on stderr: "[PID] SYSCALL PATH = RESULT" (RESULT is the fd, or -ERRNO).
Only open, openat, openat2 and creat are reported (the engine's syscall filter), so the
program is slowed at those alone.
"""

from __future__ import annotations

import errno
import sys
from typing import Dict, Tuple

import _common
import utrace

# syscall name -> index of its path argument
PATH_ARG = {"open": 0, "creat": 0, "openat": 1, "openat2": 1}


def main() -> None:
    pid, argv = _common.target(sys.argv[1:], "watch_files.py PID | -- CMD ARGS...")
    pending: Dict[int, Tuple[str, str]] = {}  # tid -> (syscall, path) between entry and exit
    state = {"done": False}

    with utrace.connect() as client:
        def on_report(r: utrace.Report) -> str:
            if r.event == "syscall_entry" and r.syscall:
                try:
                    raw = engine.read_string(r.args[PATH_ARG[r.syscall.name]], 4096, tid=r.tid)
                    path = raw.decode(errors="backslashreplace")
                except utrace.FaultError:
                    path = "(bad address)"
                pending[r.tid or 0] = (r.syscall.name, path)
            elif r.event == "syscall_exit" and r.syscall:
                name, path = pending.pop(r.tid or 0, (r.syscall.name, "?"))
                rv = r.retval if r.retval is not None else 0
                res = str(rv) if rv >= 0 else f"-{errno.errorcode.get(-rv, -rv)}"
                print(f"[{r.pid}] {name} {path} = {res}", file=sys.stderr, flush=True)
            elif r.event == "reap" and r.tid == (program.pid if program else pid):
                state["done"] = True
            return "resume"

        events = ["syscall_entry", "syscall_exit", "reap"]
        if argv is not None:
            engine, program = client.spawn(argv, events, mode="sync", follow=True,
                                           syscalls=list(PATH_ARG), handler=on_report,
                                           resume=True)
        else:
            program = None
            engine = client.attach(pid, events, mode="sync", scope="process", follow=True,
                                   syscalls=list(PATH_ARG), handler=on_report)
        try:
            client.run(until=lambda: state["done"])
        except KeyboardInterrupt:
            pass
        finally:
            engine.detach()
    if program is not None:
        _common.exit_like(program.wait())


if __name__ == "__main__":
    _common.run(main)
