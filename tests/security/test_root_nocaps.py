#!/usr/bin/env python3
"""A uid-0 client without capabilities (dropped with setpriv, as a hardened service or a
capability-less root shell runs) must not get more through the daemon than it has. The daemon
once started programs for clients (`launch`), which would have run such a client's program as
root with every capability the daemon holds; it starts none now (issue 13): `launch` is -32601
for everyone. The client starts its program itself (the recipe, spawn_traced), so the program
can only have the client's own capabilities: its hold_at_exec attach on that child is refused
(EPERM: a root process's dumpability cannot be told from /proc, PROTOCOL.md section 7), the
child is killed before its exec, and nothing is left; were it allowed, the program would have to
show no capabilities. Positive control: the same client with its capabilities starts its
program traced, and that program has root's capabilities. The client's attach to a root process
that holds capabilities is refused (rule 5, capabilities), and so is one to a capability-less
root process (rule 6).

Usage: test_root_nocaps.py UTRACED
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402

CLIENT = r'''
import json, os, socket, sys
sys.path.insert(0, sys.argv[4])
import utraced_harness as H
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
out = {}
def call(i, m, p):
    f.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": m, "params": p}) + "\n"); f.flush()
    while True:
        l = json.loads(f.readline())
        if l.get("id") == i and "method" not in l:
            return l
def caps(pid):
    st = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status").read().splitlines())
    return {k: st[k].strip() for k in ("CapEff", "CapPrm", "Uid")}
out["launch"] = call(1, "launch", {"argv": ["/bin/true"]})
out["self"] = caps(os.getpid())
c = H.Client(sys.argv[1])
try:
    eng, pid = H.spawn_traced(c, ["/bin/sleep", "30"], {"events": []})
    out["spawn"] = {"held": caps(pid)}
    c.call("control", {"engine": eng, "action": "detach"})
    os.kill(pid, 9)
    os.waitpid(pid, 0)
except H.SpawnError as e:
    out["spawn"] = {"step": e.step, "errno": e.errno, "reply": e.reply}
try:
    os.waitpid(-1, os.WNOHANG)  # no exception: a child exists (running, or a zombie)
    out["children_left"] = True
except ChildProcessError:
    out["children_left"] = False
out["attach_caps"] = call(3, "attach", {"tid": int(sys.argv[2]), "events": ["death"]})
out["attach_nocaps"] = call(4, "attach", {"tid": int(sys.argv[3]), "events": ["death"]})
print(json.dumps(out))
'''


def run_client(sock, wrapper, caps_pid, nocaps_pid):
    harness = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts")
    r = subprocess.run(wrapper + [sys.executable, "-c", CLIENT, sock, str(caps_pid),
                                  str(nocaps_pid), harness], capture_output=True, text=True,
                       timeout=30)
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
        for who, res in (("root with its capabilities", strong), ("the capability-less client",
                                                                    weak)):
            err = res["launch"].get("error") or {}
            suite.check(err.get("code") == -32601, case, f"{who}: `launch` is -32601, nothing "
                        "is started for it", res["launch"])
        case = "spawn"
        full = int(strong["self"]["CapEff"], 16)
        held = strong["spawn"].get("held") or {}
        suite.check(full != 0 and int(held.get("CapEff", "0"), 16) == full, case,
                    "positive control: root with its capabilities starts its program traced, "
                    "and the program has its capabilities", strong["spawn"])
        mine = weak["self"]
        suite.check(int(mine["CapEff"], 16) == 0 and int(mine["CapPrm"], 16) == 0 and
                    mine["Uid"].split()[0] == "0", case, "set-up: the weak client is uid 0 "
                    "without capabilities", mine)
        sp = weak["spawn"]
        if "held" in sp:
            suite.check(int(sp["held"]["CapEff"], 16) == 0 and int(sp["held"]["CapPrm"], 16) == 0,
                        case, "the capability-less client's program, held at its exec, has no "
                        "capabilities (its caller's)", sp)
        else:
            suite.check(sp.get("step") == "attach" and sp.get("errno") == S.EPERM, case,
                        "the capability-less client's hold_at_exec attach on its own root "
                        "child is refused (EPERM)", sp)
        suite.check(not weak["children_left"], case, "and its child is gone (killed before "
                    "its exec, reaped)", weak)
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
