#!/usr/bin/env python3
"""Attack 4 of issue 12: `scope: "process"` on a process whose threads have different
credentials. A root-started program has one thread that moved itself (raw setresuid/setresgid,
per thread) to the attacker's uid/gid and one that stays root; dumpable is on. The attacker may
trace the user thread directly, but a process-scope attach naming it must not give it the root
thread: either EPERM, or the root thread is not in `tids`, is never traced by the daemon, and
every call on it fails. Both layouts: the main thread dropped (root thread is a non-leader) and
the second thread dropped (root thread is the leader). The victim's root thread checks at the
end that it is still root and untraced, and the program exits 0.

Usage: test_thread_creds.py UTRACED
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402


def attack(sock, pid, root_tid, user_tid, daemon_pid):
    out = {"log": [], "touched_root": []}
    conn = S.Conn(sock)
    direct_user = conn.call("attach", {"tid": user_tid, "events": ["death"]})
    out["direct_user"] = S.code_of(direct_user)
    if S.code_of(direct_user) == 0:
        conn.call("control", {"engine": direct_user["result"]["engine"], "action": "detach"})
    out["direct_root"] = conn.call("attach", {"tid": root_tid, "events": ["death"]})
    r = conn.call("attach", {"tid": user_tid, "scope": "process", "mode": "sync",
                             "events": ["clone", "exec", "death", "syscall_entry"]})
    out["attach"] = r
    traced_root = False

    def root_traced():
        st = S.proc_status(pid, root_tid) or {}
        return st.get("TracerPid") == str(daemon_pid)

    traced_root |= root_traced()
    if S.code_of(r) == 0:
        engine = r["result"]["engine"]
        out["tids"] = r["result"].get("tids")
        c = conn.call("control", {"engine": engine, "tid": root_tid, "action": "stop"})
        out["log"].append(f"control stop root: {S.code_of(c)}")
        if S.code_of(c) in (0, S.EINPROGRESS):
            out["touched_root"].append("control stop")
            w = conn.call("wait", {"engine": engine, "tid": root_tid, "timeout_ms": 1000},
                          timeout=5)
            out["log"].append(f"wait root: {w}")
        traced_root |= root_traced()
        g = conn.call("get_regs", {"engine": engine, "tid": root_tid})
        if S.code_of(g) == 0:
            out["touched_root"].append("get_regs")
            m = conn.call("read_memory", {"engine": engine, "tid": root_tid,
                                          "addr": g["result"]["regs"]["rsp"], "size": 8})
            if S.code_of(m) == 0:
                out["touched_root"].append("read_memory")
        lst = conn.call("list")
        for e in lst.get("result", {}).get("engines", []):
            if root_tid in e.get("tids", []):
                out["touched_root"].append("list shows the root thread")
        # reports about the root thread, if any
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            conn.read_some(0.05)
            while conn.inbox:
                m = conn.inbox.pop(0)
                if m.get("params", {}).get("tid") == root_tid and m.get("method") != "notice":
                    out["touched_root"].append(f"report/event {m['params'].get('event')}")
                if m.get("method") == "report":
                    conn.answer(m, {"action": "resume"})
        traced_root |= root_traced()
        conn.call("control", {"engine": engine, "action": "detach"})
    out["root_traced"] = traced_root
    out["touched_root"] = list(dict.fromkeys(out["touched_root"]))
    conn.close()
    return out


def run_case(suite, d, victims, user, layout):
    case = f"percred/{layout}"
    p = subprocess.Popen([victims.plain, "percred", str(user.uid), str(user.gid), layout],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        line = p.stdout.readline().decode()
        if not line.startswith("ready "):
            suite.fail(case, "set-up: the per-thread credentials victim started", line)
            return
        _, pid, root_tid, user_tid = line.split()
        pid, root_tid, user_tid = int(pid), int(root_tid), int(user_tid)
        ust = S.proc_status(pid, user_tid)
        rst = S.proc_status(pid, root_tid)
        suite.check(ust["Uid"].split()[0] == str(user.uid) and rst["Uid"].split()[0] == "0",
                    case, "set-up: one thread runs as the attacker, the other as root",
                    (ust["Uid"], rst["Uid"]))
        try:
            res = S.run_as(user, attack, d.socket, pid, root_tid, user_tid, d.pid, timeout=60)
        except S.AttackerError as e:
            suite.fail(case, "the attacker ran to the end", str(e))
            return
        suite.check(res["direct_user"] == 0, case,
                    "positive control: the attacker may attach to the user thread directly",
                    res)
        suite.check(S.code_of(res["direct_root"]) == S.EPERM, case,
                    "a direct attach to the root thread is EPERM", res["direct_root"])
        r = res["attach"]
        if S.code_of(r) == 0:
            suite.check(root_tid not in (res.get("tids") or []), case,
                        "process-scope attach: the root thread is not in tids", res)
        else:
            suite.check(S.code_of(r) == S.EPERM, case,
                        "process-scope attach refused with EPERM", r)
        suite.check(not res["root_traced"], case,
                    "the daemon never traced the root thread for the attacker", res)
        suite.check(not res["touched_root"], case,
                    "no call, report or list entry reached the root thread", res["touched_root"])
        p.stdin.write(b"q\n")
        p.stdin.flush()
        try:
            rest = p.communicate(timeout=10)[0].decode()
        except subprocess.TimeoutExpired:
            rest = "(timeout)"
        suite.check(p.returncode == 0 and "root-thread ok" in rest, case,
                    "the victim's root thread stayed root and untraced; it exits 0",
                    (p.returncode, rest))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def main():
    with S.Suite("thread_creds") as suite:
        try:
            user = S.make_user(suite)
            victims = S.Victims(suite, need_special=False)
            d = S.start_daemon(suite)
        except S.SetupError as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        for layout in ("main-user", "main-root"):
            run_case(suite, d, victims, user, layout)
        suite.check(S.daemon_alive(d), "percred", "the daemon is still running")
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
