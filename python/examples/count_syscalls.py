#!/usr/bin/env python3
"""Counts the syscalls of a process (like ``strace -c -f``), with one async engine.

    count_syscalls.py PID            attach to a running process; Ctrl-C prints the summary
    count_syscalls.py -- CMD ARGS... start CMD traced from its first instruction (and its
                                     children), summary when it exits; exits with its status

The summary goes to stderr: one line per syscall, "COUNT NAME", most frequent first, then
"TOTAL total".
"""

from __future__ import annotations

import collections
import sys

import _common
import utrace


def summary(counts: "collections.Counter[str]") -> None:
    for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{n:8d} {name}", file=sys.stderr)
    print(f"{sum(counts.values()):8d} total", file=sys.stderr)


def main() -> None:
    pid, argv = _common.target(sys.argv[1:], "count_syscalls.py PID | -- CMD ARGS...")
    counts: "collections.Counter[str]" = collections.Counter()
    events = ["syscall_entry", "reap"]
    with utrace.connect() as client:
        if argv is not None:
            engine, program = client.spawn(argv, events, follow=True, resume=True)
        else:
            program = None
            engine = client.attach(pid, events, scope="process", follow=True)
        try:
            for ev in engine.events():
                if ev.event == "syscall_entry" and ev.syscall:
                    counts[ev.syscall.name] += 1
                # a process engine with follow covers children too: stop at the main reap
                if ev.event == "reap" and ev.tid == (program.pid if program else pid):
                    break
        except KeyboardInterrupt:
            pass
        finally:
            engine.detach()
    summary(counts)
    if program is not None:
        _common.exit_like(program.wait())


if __name__ == "__main__":
    _common.run(main)
