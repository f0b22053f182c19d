#!/usr/bin/env python3
"""64-bit values survive every JSON parser (PROTOCOL.md, "Numbers"): registers, syscall
arguments and addresses are "0x…" strings. Checked with jq, whose numbers are doubles:
  - control: jq does round an integer above 2^53 (so the check below means something);
  - get_regs -> jq -> set_regs -> get_regs changes no bit, with rax = -ENOSYS at a syscall
    entry (0xffffffffffffffda, far above 2^53);
  - close(-1)'s argument arrives as "0xffffffff" through jq (an int, zero-extended);
  - hello refuses protocol 1 (its numbers were lossy), answers protocol 2.
Usage: test_wide_values.py UTRACED TRACEE"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from utraced_harness import Client, Daemon, Tracee  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def jq(program, text):
    r = subprocess.run(["jq", "-c", program], input=text, capture_output=True, text=True,
                       timeout=10)
    if r.returncode != 0:
        raise RuntimeError(f"jq {program}: {r.stderr}")
    return r.stdout.strip()


def recv_raw(c, want_id=None):
    """The next line from the daemon as text (and parsed), skipping other messages."""
    while True:
        m = c.recv()
        if want_id is None or m.get("id") == want_id:
            return json.dumps(m), m


def main():
    utraced, tracee_bin = (os.path.abspath(a) for a in sys.argv[1:3])
    check(jq(".", "18446744073709551578") != "18446744073709551578",
          "control: jq rounds an integer above 2^53 (a number would lose bits)")
    d = Daemon(utraced, log_level="info")
    t = Tracee(tracee_bin, "on-input")
    try:
        c = Client(d.socket)
        old = c.call("hello", {"protocol": 1})
        check(old.get("error", {}).get("code") == -32602, f"hello refuses protocol 1 ({old})")
        new = c.call("hello", {"protocol": 2})
        check(new.get("result", {}).get("protocol") == 2, "hello answers protocol 2")

        r = c.call("attach", {"tid": t.pid, "events": ["syscall_entry"], "mode": "sync",
                              "syscalls": ["close"]})
        eng = r["result"]["engine"]
        t.write("s")  # the tracee's close(-1), lseek(-1, 4242, SEEK_CUR), ...
        while True:
            m = c.recv()
            if m.get("method") == "report":
                break
        raw = json.dumps(m)
        # The time of the stop, in microseconds (numbers: exact in a double for centuries).
        p = m["params"]
        now_real, now_mono = time.time() * 1e6, time.monotonic() * 1e6
        check(isinstance(p.get("time_us"), int) and abs(p["time_us"] - now_real) < 60e6,
              f"the report carries time_us, CLOCK_REALTIME µs ({p.get('time_us')})")
        check(isinstance(p.get("mono_us"), int) and 0 < p["mono_us"] <= now_mono,
              f"and mono_us, CLOCK_MONOTONIC µs ({p.get('mono_us')}, now {now_mono:.0f})")
        check(jq(".params.time_us", raw) == str(p["time_us"]), "time_us is exact through jq")
        arg0 = jq(".params.syscall.args[0]", raw)
        # close takes an int: the register holds -1 zero-extended from 32 bits.
        check(arg0 == '"0xffffffff"', f"close(-1)'s argument through jq: {arg0}")
        c.send({"jsonrpc": "2.0", "id": m["id"], "result": {"action": "stop"}})
        w = c.call("wait", {"engine": eng, "timeout_ms": 5000})
        check(w.get("result", {}).get("reason") == "stopped", f"held at close's entry ({w})")

        c.send({"jsonrpc": "2.0", "id": 10, "method": "get_regs", "params": {"engine": eng}})
        text, first = recv_raw(c, 10)
        regs = first["result"]["regs"]
        check(regs.get("rax") == "0xffffffffffffffda",
              f"rax at a syscall entry is -ENOSYS as a string ({regs.get('rax')})")
        check(all(isinstance(v, str) and v.startswith("0x") for v in regs.values()),
              "every register is a \"0x…\" string")
        # The whole round trip through jq: get_regs' answer becomes set_regs' request.
        request = jq('{"jsonrpc":"2.0","id":11,"method":"set_regs",'
                     f'"params":{{"engine":{eng},"regs":.result.regs}}}}', text)
        c.send_line(request)
        _, sr = recv_raw(c, 11)
        check(sr.get("result") == {}, f"set_regs takes jq's output ({sr})")
        c.send({"jsonrpc": "2.0", "id": 12, "method": "get_regs", "params": {"engine": eng}})
        _, second = recv_raw(c, 12)
        check(second["result"]["regs"] == regs, "get_regs -> jq -> set_regs changed no bit")
        # An integer is accepted too (below 2^53 it is exact), and a bad value is -32602.
        c.send({"jsonrpc": "2.0", "id": 13, "method": "set_regs",
                "params": {"engine": eng, "regs": {"r15": 7}}})
        _, ok = recv_raw(c, 13)
        c.send({"jsonrpc": "2.0", "id": 14, "method": "get_regs", "params": {"engine": eng}})
        _, after = recv_raw(c, 14)
        check(ok.get("result") == {} and after["result"]["regs"]["r15"] == "0x7",
              "set_regs takes an integer too")
        for bad in ("7", "0x", "0x1g", 1.5, "0x10000000000000000"):
            c.send({"jsonrpc": "2.0", "id": 15, "method": "set_regs",
                    "params": {"engine": eng, "regs": {"r15": bad}}})
            _, e = recv_raw(c, 15)
            check(e.get("error", {}).get("code") == -32602, f"set_regs refuses {bad!r}")
        c.send({"jsonrpc": "2.0", "id": 16, "method": "set_regs",
                "params": {"engine": eng, "regs": {"r15": regs["r15"]}}})
        recv_raw(c, 16)
        c.call("control", {"engine": eng, "action": "detach"})
    finally:
        t.stop()
        d.stop(keep_dir=bool(failures))
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
