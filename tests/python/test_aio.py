#!/usr/bin/env python3
"""utrace.aio against a real daemon: async event iteration on a spawned program, an async
sync-report handler that answers stop then resume (examining the thread from the handler),
typed errors, spawn errors, and events(timeout) ending.

    test_aio.py UTRACED_BINARY
"""

from __future__ import annotations

import asyncio
import errno
import os
import sys
import time

import pyharness as H
from pyharness import check

import utrace
from utrace import aio


async def iterate(c: aio.Client) -> None:
    engine, program = await c.spawn(["/bin/true"], ["syscall_entry", "death", "reap"])
    check(H.proc_status(program.pid).get("State", "").startswith("t"),
          "aio spawn: held at its exec")
    await engine.resume()
    names, kinds = [], []
    async for ev in engine.events(timeout=10):
        kinds.append(ev.event)
        if ev.event == "syscall_entry" and ev.syscall:
            names.append(ev.syscall.name)
    check(engine.gone and kinds[-2:] == ["death", "reap"] and names[-1:] == ["exit_group"],
          f"aio events: async for until the reap ({len(names)} syscalls, {kinds[-2:]})")
    check(await program.wait(timeout=10) == 0, "aio spawn: await program.wait() is 0")


async def handler_stop_resume(c: aio.Client) -> None:
    r, w = os.pipe()
    seen = []
    holder = []

    async def handler(rep: utrace.Report) -> str:
        seen.append(rep)
        if rep.event == "syscall_entry" and len(seen) == 1:
            regs = await holder[0].get_regs()   # examine while the report is in flight
            rep.params["_buf"] = await holder[0].read_memory(regs["rsi"], regs["rdx"])
            return "stop"
        return "resume"

    engine, program = await c.spawn(["/bin/echo", "async"], ["syscall_entry", "reap"],
                                    mode="sync", syscalls=["write"], stdout=w)
    os.close(w)
    holder.append(engine)
    engine.on_report(handler)
    await engine.resume()
    while (await engine.wait(timeout=10)).reason != "stopped":
        pass
    state = H.proc_status(program.pid).get("State", "")
    check(state.startswith("t") and len(seen) == 1 and seen[0].get("_buf") == b"async\n",
          f"aio handler: read the buffer, answered stop: held ({state})")
    await engine.resume()
    check(await program.wait(timeout=10) == 0 and os.read(r, 100) == b"async\n",
          "aio handler: resume lets it write and exit 0")
    os.close(r)
    await c.run(timeout=5)
    check(engine.gone, "aio handler: run() returns once the engine is gone")


async def errors(c: aio.Client) -> None:
    try:
        await c.attach(2147483647, ["exit"])
        check(False, "aio errors: attach to a missing thread fails")
    except ProcessLookupError as e:
        check(isinstance(e, utrace.UtraceError) and e.errno == errno.ESRCH,
              f"aio errors: ESRCH is a ProcessLookupError ({e})")
    try:
        await c.spawn(["/nonexistent/program"], ["exit"])
        check(False, "aio spawn of a missing program fails")
    except utrace.SpawnError as e:
        check(e.step == "exec" and e.errno == errno.ENOENT, f"aio spawn: {e}")
    check(await c.list() == [], "aio errors: nothing left attached")


async def events_timeout(c: aio.Client) -> None:
    victim = os.fork()
    if victim == 0:
        time.sleep(30)
        os._exit(0)
    try:
        H.wait_for(lambda: H.proc_status(victim).get("State", "").startswith("S"))
        engine = await c.attach(victim, ["syscall_entry"])
        t0 = time.monotonic()
        got = [ev async for ev in engine.events(timeout=0.3)]
        dt = time.monotonic() - t0
        check(0.25 < dt < 5 and all(ev.event == "syscall_entry" for ev in got),
              f"aio events(timeout): ends ({dt:.2f} s, {got})")
        await engine.detach()
        check(engine.gone and await c.list() == [], "aio detach")
    finally:
        os.kill(victim, 9)
        os.waitpid(victim, 0)


async def amain(path: str) -> None:
    async with await aio.connect(path, name="test_aio") as c:
        check(c.server.get("server") == "utraced", f"aio connect: hello ({c.server})")
        for test in (iterate, handler_stop_resume, errors, events_timeout):
            try:
                await asyncio.wait_for(test(c), 60)
            except Exception as e:
                check(False, f"{test.__name__}: {type(e).__name__}: {e}")
    check(c.closed, "aio: closed by async with")


def main() -> None:
    daemon = H.Daemon(sys.argv[1])
    try:
        asyncio.run(amain(daemon.socket))
    finally:
        daemon.stop()
    H.finish()


if __name__ == "__main__":
    main()
