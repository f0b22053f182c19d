#!/usr/bin/env python3
"""A uid-0 client without capabilities (dropped with setpriv, as a hardened service or a
capability-less root shell runs) must not get more through the daemon than it has: `launch`
would start its program as root with every capability the daemon holds, so it is refused
(EPERM, data.reason "capabilities"). Its attach to a root process that holds capabilities is
refused too (rule 5, capabilities), and so is one to a capability-less root process (rule 6: root's
dumpability cannot be told from /proc). Positive control: the same client with its capabilities
launches.

Usage: test_root_nocaps.py UTRACED
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402

CLIENT = r'''
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
out = {}
def call(i, m, p):
    f.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": m, "params": p}) + "\n"); f.flush()
    while True:
        l = json.loads(f.readline())
        if l.get("id") == i and "method" not in l:
            return l
out["launch"] = call(1, "launch", {"argv": ["/bin/true"]})
if "result" in out["launch"]:
    call(2, "control", {"engine": out["launch"]["result"]["engine"], "action": "detach"})
out["attach_caps"] = call(3, "attach", {"tid": int(sys.argv[2]), "events": ["death"]})
out["attach_nocaps"] = call(4, "attach", {"tid": int(sys.argv[3]), "events": ["death"]})
print(json.dumps(out))
'''


def run_client(sock, wrapper, caps_pid, nocaps_pid):
    r = subprocess.run(wrapper + [sys.executable, "-c", CLIENT, sock, str(caps_pid),
                                  str(nocaps_pid)], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise S.SetupError(f"client failed: {r.stderr}")
    return json.loads(r.stdout)


def main():
    with S.Suite("root_nocaps") as suite:
        try:
            d = S.start_daemon(suite)
        except S.SetupError as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        drop = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--"]
        caps = subprocess.Popen(["sleep", "30"])
        nocaps = subprocess.Popen(drop + ["sleep", "30"])
        suite.add_cleanup(lambda: [p.kill() for p in (caps, nocaps)])
        try:
            import time
            for _ in range(100):  # setpriv has exec'd sleep
                if (S.proc_status(nocaps.pid) or {}).get("Name") == "sleep":
                    break
                time.sleep(0.02)
            weak = run_client(d.socket, drop, caps.pid, nocaps.pid)
            strong = run_client(d.socket, [], caps.pid, nocaps.pid)
        except (S.SetupError, subprocess.TimeoutExpired, ValueError) as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        case = "launch"
        suite.check(S.code_of(strong["launch"]) == 0, case,
                    "positive control: root with its capabilities launches", strong["launch"])
        err = weak["launch"].get("error") or {}
        suite.check(err.get("code") == S.EPERM and
                    (err.get("data") or {}).get("reason") == "capabilities", case,
                    "a capability-less uid-0 client cannot launch (EPERM, capabilities)",
                    weak["launch"])
        case = "attach"
        err = weak["attach_caps"].get("error") or {}
        suite.check(err.get("code") == S.EPERM, case, "a capability-less uid-0 client cannot "
                    "attach to a root process holding capabilities", weak["attach_caps"])
        # A root-owned target cannot be shown dumpable to a client without CAP_SYS_PTRACE
        # (PROTOCOL.md section 7, notes): refused as well, with a reason and no ids.
        err = weak["attach_nocaps"].get("error") or {}
        suite.check(err.get("code") == S.EPERM and "0/0" not in err.get("message", ""), case,
                    "a capability-less root process is refused too, naming no ids",
                    weak["attach_nocaps"])
        suite.check(caps.poll() is None and nocaps.poll() is None, case,
                    "both target processes still run")
        suite.check(S.daemon_alive(d), case, "the daemon is still running")
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
