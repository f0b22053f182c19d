#!/usr/bin/env python3
"""`exitkill` (PTRACE_O_EXITKILL: the thread dies with the daemon) must not outlive the engine
that asked for it across a set-uid exec. The attacker attaches an `exitkill` engine to its own
process; a root client keeps another engine on it (so the daemon keeps tracing it); the process
execs a set-uid-root program, and the attacker's engine is taken away there. If the option
stayed, the attacker would have the root program killed whenever the daemon dies or restarts.
The test SIGKILLs the daemon while the root program runs: it must run on to completion.
Positive control: without the set-uid exec (plain program), the attacker's exitkill does kill
its own program with the daemon, as the kernel option says.

Usage: test_exitkill.py UTRACED
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402


def attacker(sock, pid):
    c = S.Conn(sock)
    r = c.call("attach", {"tid": pid, "events": ["death"], "exitkill": True})
    out = {"attach": r, "notices": []}
    deadline = time.monotonic() + 10
    # Keep the engine until the daemon takes it away (or the test ends the attacker).
    while time.monotonic() < deadline:
        try:
            alive = c.read_some(0.1)
        except OSError:
            alive = False
        if not alive:
            break  # the daemon died (the test killed it)
        while c.inbox:
            m = c.inbox.pop(0)
            if m.get("method") == "notice":
                out["notices"].append(m["params"])
        if out["notices"]:
            break
    c.close()
    return out


def run_case(suite, victims, user, target, setuid):
    case = "setuid-exec" if setuid else "control"
    d = S.start_daemon(suite)
    def drop():
        os.setgroups([])
        os.setgid(user.gid)
        os.setuid(user.uid)
    v = subprocess.Popen([victims.plain, "exec-on-input", target, "ids-sleep", "1500"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, preexec_fn=drop)
    suite.add_cleanup(lambda: (v.kill(), v.wait()))
    ready = v.stdout.readline().decode()
    if not ready.startswith("ready"):
        suite.fail(case, "set-up: the victim did not start", ready)
        return
    root = S.Conn(d.socket)
    keep = root.call("attach", {"tid": v.pid, "events": ["death"]})
    if not suite.check(S.code_of(keep) == 0, case, "set-up: a root engine keeps the thread", keep):
        return
    import threading
    res = {}
    t = threading.Thread(target=lambda: res.update(
        S.run_as(user, attacker, d.socket, v.pid, timeout=30)))
    t.start()
    # The attacker's engine is attached before the exec.
    S.H.wait_for(lambda: "TracerPid:\t%d" % d.pid in open(f"/proc/{v.pid}/status").read(), 5)
    time.sleep(0.3)
    v.stdin.write(b"go\n")
    v.stdin.flush()
    ids = v.stdout.readline().decode()
    if setuid:
        t.join()  # the notice ends the attacker
    d.proc.kill()  # the daemon dies: the kernel detaches its tracees (EXITKILL ones die)
    d.proc.wait()
    t.join()
    suite.check(S.code_of(res.get("attach", {})) == 0, case,
                "the attacker attached an exitkill engine to its own process", res.get("attach"))
    if setuid:
        suite.check("euid=0" in ids, case, f"the set-uid program runs as root ({ids.strip()})")
        suite.check(any(n.get("reason") == "credentials" for n in res.get("notices", [])), case,
                    "the attacker's engine was taken away at the exec", res)
    rest = v.stdout.read().decode()
    rc = v.wait()
    if setuid:
        suite.check(rc == 0 and "bye" in rest, case,
                    "the root program ran on after the daemon died (no exitkill left from the "
                    "attacker's engine)", {"rc": rc, "stdout": rest})
    else:
        suite.check(rc == -9, case, "positive control: the attacker's own program died with the "
                    "daemon (its exitkill engine is still there)", {"rc": rc, "stdout": rest})


def main():
    with S.Suite("exitkill") as suite:
        try:
            user = S.make_user(suite)
            victims = S.Victims(suite)
        except S.SetupError as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        run_case(suite, victims, user, victims.suid, True)
        run_case(suite, victims, user, victims.plain, False)
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
