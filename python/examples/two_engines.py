#!/usr/bin/env python3
"""Two engines on one process at once (which plain ptrace cannot do): one counts the
syscalls (async), the other logs each one with its result (sync, so it could also hold the
thread or change results).

    two_engines.py PID               both engines on a running process; Ctrl-C ends
    two_engines.py -- CMD ARGS...    start CMD held at its first instruction, attach the
                                     second engine, then let it run; exits with its status

The log goes to stderr as "logger: [TID] NAME = RESULT" lines, then the counter's
"counter: N syscalls (M distinct)" and the logger's "logger: N syscall exits".
"""

from __future__ import annotations

import collections
import sys

import _common
import utrace


def main() -> None:
    pid, argv = _common.target(sys.argv[1:], "two_engines.py PID | -- CMD ARGS...")
    counts: "collections.Counter[str]" = collections.Counter()
    logged = {"n": 0}
    state = {"done": False}

    with utrace.connect() as client:
        def count(ev: utrace.Report) -> None:          # engine 1: async, its return is unused
            if ev.event == "syscall_entry" and ev.syscall:
                counts[ev.syscall.name] += 1
            elif ev.event == "reap" and ev.tid == main_pid:
                state["done"] = True

        def log(r: utrace.Report) -> utrace.Action:  # engine 2: sync, answers each report
            if r.event == "syscall_exit" and r.syscall:
                logged["n"] += 1
                print(f"logger: [{r.tid}] {r.syscall.name} = {r.retval}", file=sys.stderr)
            return utrace.Action.RESUME

        if argv is not None:
            counter, program = client.spawn(argv, ["syscall_entry", "reap"], follow=True,
                                            handler=count)
            main_pid = program.pid
        else:
            program = None
            main_pid = pid
            counter = client.attach(pid, ["syscall_entry", "reap"], scope="process",
                                    follow=True, handler=count)
        logger = client.attach(main_pid, ["syscall_exit"], mode="sync", scope="process",
                               follow=True, handler=log)
        if program is not None:
            counter.resume()  # held at its exec until both engines are on it
        try:
            client.run(until=lambda: state["done"])
        except KeyboardInterrupt:
            pass
        finally:
            logger.detach()
            counter.detach()
    print(f"counter: {sum(counts.values())} syscalls ({len(counts)} distinct)",
          file=sys.stderr)
    print(f"logger: {logged['n']} syscall exits", file=sys.stderr)
    if program is not None:
        _common.exit_like(program.wait())


if __name__ == "__main__":
    _common.run(main)
