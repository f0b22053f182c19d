#!/usr/bin/env python3
"""Extended register sets (PROTOCOL.md, get_regset/set_regset): a held thread's FXSAVE area
("fp") and whole XSAVE area ("xstate") through PTRACE_GETREGSET, as a debugger's `p $xmm0`
needs them. Checks: sizes; xmm0 written through "fp" is read back through both views, and put
back through "xstate"; the examine rule (EINVAL without a hold); bad input is -32602 naming
the parameter; the program runs on unharmed. Usage: test_regsets.py UTRACED TRACEE"""
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from utraced_harness import Client, Daemon, Tracee  # noqa: E402

failures = []
XMM0 = 160  # FXSAVE: 32 bytes of control, 8 x87 registers of 16 bytes, then xmm0


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def main():
    utraced, tracee_bin = (os.path.abspath(a) for a in sys.argv[1:3])
    d = Daemon(utraced, log_level="info")
    t = Tracee(tracee_bin, "on-input")
    try:
        c = Client(d.socket)
        eng = c.call("attach", {"tid": t.pid, "events": ["syscall_entry"], "mode": "sync",
                                "syscalls": ["getppid"]})["result"]["engine"]
        r = c.call("get_regset", {"engine": eng, "set": "fp"})
        check(r.get("error", {}).get("data", {}).get("errno") == "EINVAL",
              f"without a hold: EINVAL ({r})")
        t.write("g")
        while True:
            m = c.recv()
            if m.get("method") == "report":
                break
        c.send({"jsonrpc": "2.0", "id": m["id"], "result": {"action": "stop"}})
        w = c.call("wait", {"engine": eng, "timeout_ms": 5000})
        check(w.get("result", {}).get("reason") == "stopped", f"held at getppid ({w})")

        fp = c.call("get_regset", {"engine": eng, "set": "fp"}).get("result", {})
        raw = base64.b64decode(fp.get("data", ""))
        check(fp.get("set") == "fp" and fp.get("size") == 512 == len(raw),
              f"fp: the 512-byte FXSAVE area ({fp.get('size')})")
        xs = c.call("get_regset", {"engine": eng, "set": "xstate"}).get("result", {})
        xraw = base64.b64decode(xs.get("data", ""))
        check(xs.get("size", 0) >= 576 and len(xraw) == xs.get("size"),
              f"xstate: the XSAVE area, legacy part and header at least ({xs.get('size')})")
        check(xraw[XMM0:XMM0 + 16 * 16] == raw[XMM0:XMM0 + 16 * 16],
              "xstate's legacy area holds the same xmm registers as fp")

        pattern = bytes(range(0x10, 0x20))
        new = raw[:XMM0] + pattern + raw[XMM0 + 16:]
        r = c.call("set_regset", {"engine": eng, "set": "fp",
                                  "data": base64.b64encode(new).decode()})
        check(r.get("result") == {}, f"set_regset fp ({r})")
        back = base64.b64decode(c.call("get_regset", {"engine": eng, "set": "fp"})
                                ["result"]["data"])
        check(back[XMM0:XMM0 + 16] == pattern, "xmm0 reads back through fp")
        xback = base64.b64decode(c.call("get_regset", {"engine": eng, "set": "xstate"})
                                 ["result"]["data"])
        check(xback[XMM0:XMM0 + 16] == pattern, "and through xstate")
        # Put it back (the program's own xmm0 is not ours to keep), through the xstate view.
        restored = xback[:XMM0] + raw[XMM0:XMM0 + 16] + xback[XMM0 + 16:]
        r = c.call("set_regset", {"engine": eng, "set": "xstate",
                                  "data": base64.b64encode(restored).decode()})
        check(r.get("result") == {}, f"set_regset xstate ({r})")
        again = base64.b64decode(c.call("get_regset", {"engine": eng, "set": "fp"})
                                 ["result"]["data"])
        check(again == raw, "the fp area is what it was")

        for params, name in (({"set": "avx"}, "set"), ({"set": "fp", "data": "!!"}, "data"),
                             ({"set": "fp", "data": base64.b64encode(b"x" * 100).decode()},
                              "data")):
            method = "set_regset" if "data" in params else "get_regset"
            r = c.call(method, {"engine": eng, **params})
            check(r.get("error", {}).get("code") == -32602 and
                  r["error"].get("data", {}).get("parameter") == name,
                  f"{method} {params.get('set')} refused naming {name} ({r.get('error')})")
        c.call("control", {"engine": eng, "action": "detach"})
        t.write("q")
        check(t.proc.wait(timeout=10) == 3, "the program runs on and exits as it would")
    finally:
        t.stop()
        d.stop(keep_dir=bool(failures))
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
