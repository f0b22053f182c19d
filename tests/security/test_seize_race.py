#!/usr/bin/env python3
"""Attack 3 of issue 12: the check-then-seize race. The attacker's own child execs a set-uid-root
program while the attacker sends `attach` for it, with a delay swept across the exec. After
every try, either the attach failed, or the engine was taken away before any get_regs /
read_memory succeeded on the new (root) image. A call counts against the daemon only when the
thread's /proc status showed the privileged credentials *before* the call (then it surely
touched the new image). Every victim must still print euid 0 and exit 0.

Usage: test_seize_race.py UTRACED [--tries N] [--seconds S]   (stops at whichever comes first)
"""
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402


def race(sock, plain, suid, uid, gid, tries, seconds):
    out = {"tries": 0, "attach_ok": 0, "attach_err": {}, "examined_pre_exec": 0,
           "seized_after_exec": 0, "violations": [], "victim_bad": [], "held_ok": 0}
    conn = S.Conn(sock)
    start = time.monotonic()
    # The delay between "go" and the attach adapts to sit on the exec: a refusal (the exec had
    # already made it root) shortens it, an attach that won before the exec lengthens it.
    est = 0.0005
    while out["tries"] < tries and time.monotonic() - start < seconds:
        out["tries"] += 1
        p = subprocess.Popen([plain, "exec-on-input", suid, "ids-sleep", "40"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        rd = S.LineReader(p.stdout)
        try:
            if not rd.wait_for(lambda t: "ready " in t and "\n" in t, 10):
                out["victim_bad"].append(("no ready", rd.text))
                continue
            pid = p.pid
            delay = est * random.uniform(0.3, 1.7)
            t0 = time.perf_counter()
            p.stdin.write(b"go\n")
            p.stdin.flush()
            while time.perf_counter() - t0 < delay:
                pass
            r = conn.call("attach", {"tid": pid, "events": [], "mode": "sync"})
            if S.code_of(r) != 0:
                c = S.code_of(r)
                out["attach_err"][str(c)] = out["attach_err"].get(str(c), 0) + 1
                est = max(est * 0.85, 0.00002)
            else:
                out["attach_ok"] += 1
                engine = r["result"]["engine"]
                st = S.proc_status(pid) or {}
                if S.is_privileged_for(uid, gid, pid) and \
                        st.get("TracerPid") not in (None, "0"):
                    out["seized_after_exec"] += 1
                c = conn.call("control", {"engine": engine, "action": "stop"})
                if S.code_of(c) in (0, S.EINPROGRESS):
                    w = conn.call("wait", {"engine": engine, "timeout_ms": 1000}, timeout=5)
                    if w.get("result", {}).get("reason") == "stopped":
                        out["held_ok"] += 1
                for _ in range(2):
                    before = S.is_privileged_for(uid, gid, pid)
                    g = conn.call("get_regs", {"engine": engine})
                    if S.code_of(g) == 0:
                        if before:
                            out["violations"].append(f"try {out['tries']}: get_regs on the "
                                                     "root image")
                        else:
                            out["examined_pre_exec"] += 1
                            est = min(est * 1.2, 0.01)
                        rsp = g["result"]["regs"]["rsp"]
                        before = S.is_privileged_for(uid, gid, pid)
                        m = conn.call("read_memory", {"engine": engine, "addr": rsp, "size": 8})
                        if S.code_of(m) == 0 and before:
                            out["violations"].append(f"try {out['tries']}: read_memory on the "
                                                     "root image")
                    # let a pre-exec hold go, and look again after the exec
                    conn.call("control", {"engine": engine, "action": "resume"})
                    rd.wait_for(lambda t: "ids " in t, 2)
                    c = conn.call("control", {"engine": engine, "action": "stop"})
                    if S.code_of(c) in (0, S.EINPROGRESS):
                        conn.call("wait", {"engine": engine, "timeout_ms": 500}, timeout=5)
                conn.call("control", {"engine": engine, "action": "detach"})
            try:
                p.stdin.close()
            except OSError:
                pass
            deadline = time.monotonic() + 10
            while p.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            rd.wait_for(lambda t: False, 0.0)
            ids = S.parse_ids(rd.text)
            if p.poll() != 0 or not ids or ids["euid"] != 0 or "bye" not in rd.text:
                out["victim_bad"].append((p.poll(), rd.text))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        conn.inbox.clear()
    out["notices"] = len(conn.notices)
    out["seconds"] = round(time.monotonic() - start, 1)
    conn.close()
    return out


def main():
    tries, seconds = 300, 90.0
    a = sys.argv[2:]
    while a:
        if a[0] == "--tries":
            tries = int(a[1])
        elif a[0] == "--seconds":
            seconds = float(a[1])
        a = a[2:]
    with S.Suite("seize_race") as suite:
        try:
            user = S.make_user(suite)
            victims = S.Victims(suite)
            S.sanity_check_victims(suite, victims, user)
            d = S.start_daemon(suite)
        except S.SetupError as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        case = "seize-race"
        try:
            res = S.run_as(user, race, d.socket, victims.plain, victims.suid, user.uid,
                           user.gid, tries, seconds, timeout=seconds + 120)
        except S.AttackerError as e:
            suite.fail(case, "the attacker ran to the end", str(e))
            return suite.exit_code()
        suite.note(case, f"{res['tries']} tries in {res['seconds']} s: attach ok "
                   f"{res['attach_ok']}, refused {res['attach_err']}, held {res['held_ok']}, "
                   f"examined before the exec {res['examined_pre_exec']}, seized after the "
                   f"exec {res['seized_after_exec']}, notices {res['notices']}")
        suite.check(res["tries"] >= min(tries, 50), case, f"enough tries ran ({res['tries']})")
        suite.check(not res["violations"], case,
                    "no get_regs/read_memory succeeded on a root image in any try",
                    res["violations"][:10])
        suite.check(not res["victim_bad"], case,
                    "every victim printed euid 0 and exited 0 (unharmed)", res["victim_bad"][:5])
        suite.check(S.daemon_alive(d), case, "the daemon is still running")
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
