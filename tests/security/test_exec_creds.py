#!/usr/bin/env python3
"""Attacks 1 and 2 of issue 12: an unprivileged user attaches to its own process, which then
execs a set-uid-root, set-gid-root or file-capability program. The kernel grants the privilege
(the tracer is the daemon, which has CAP_SYS_PTRACE), so the daemon must take the engine away at
the exec stop: the client gets a `notice` (reason "credentials") and ESRCH for that thread, and
no get_regs / read_memory / write_memory / set_regs on the new image succeeds; the attacker's
attempt to make the root program create a file (rewriting an open's path and flags) fails; the
program runs on unharmed and exits 0.

Variants: a sync engine on the process that execs (set-uid, set-gid, file caps); "follow": true
with a forked child that execs; "scope": "process" with a non-leader thread that execs; an
engine with no exec event (async, death only: control stop + wait after the exec).

Usage: test_exec_creds.py UTRACED      (UTRACED_DAEMON_WRAPPER: run the daemon confined)
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402

O_WRONLY_CREAT = 0o101


def attack_exec(sock, plain, target, variant, protected_file, uid, gid):
    """Runs as the attacker. Returns what happened; the test decides."""
    out = {"violations": [], "log": [], "codes": {}, "pre_exec_examine": None}
    log = out["log"].append
    conn = S.Conn(sock)
    mode = {"direct": "exec-on-input", "noexec": "exec-on-input",
            "follow": "fork-exec-on-input", "thread": "thread-exec"}[variant]
    p = subprocess.Popen([plain, mode, target, "ids"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    rd = S.LineReader(p.stdout)
    try:
        if not rd.wait_for(lambda t: t.startswith("ready ") and "\n" in t, 10):
            out["error"] = "launcher did not start: " + rd.text
            return out
        ready = rd.text.split("\n", 1)[0].split()
        lpid = int(ready[1])
        exec_tid = int(ready[2]) if variant == "thread" else lpid
        if variant == "noexec":
            params = {"tid": lpid, "mode": "async", "events": ["death"]}
        else:
            params = {"tid": lpid, "mode": "sync",
                      "events": ["exec", "syscall_entry", "syscall_exit", "clone", "death"]}
        if variant == "follow":
            params["follow"] = True
        if variant == "thread":
            params["scope"] = "process"
        r = conn.call("attach", params)
        out["attach"] = r
        if S.code_of(r) != 0:
            out["error"] = "could not attach to its own process"
            return out
        engine = r["result"]["engine"]
        state = {"last_rsp": None}

        def probe(tid, pid, report=None):
            """Every examine/modify call; a success on a privileged thread is a violation."""
            priv = S.is_privileged_for(uid, gid, pid, tid)
            where = (report or {}).get("event", "held")
            g = conn.call("get_regs", {"engine": engine, "tid": tid})
            log(f"get_regs tid={tid} priv={priv} at {where}: {S.code_of(g)}")
            if S.code_of(g) == 0 and priv:
                out["violations"].append(f"get_regs on the privileged image ({where})")
            regs = g.get("result", {}).get("regs") if S.code_of(g) == 0 else None
            addr = regs["rsp"] if regs else (state["last_rsp"] or 0x7ffc00000000)
            m = conn.call("read_memory", {"engine": engine, "tid": tid, "addr": addr, "size": 8})
            if S.code_of(m) == 0 and priv:
                out["violations"].append(f"read_memory on the privileged image ({where})")
            if S.code_of(m) == 0:
                w = conn.call("write_memory", {"engine": engine, "tid": tid, "addr": addr,
                                               "data": m["result"]["data"]})
                if S.code_of(w) == 0 and priv:
                    out["violations"].append(f"write_memory on the privileged image ({where})")
            if regs:
                s = conn.call("set_regs", {"engine": engine, "tid": tid,
                                           "regs": {"rip": regs["rip"]}})
                if S.code_of(s) == 0 and priv:
                    out["violations"].append(f"set_regs on the privileged image ({where})")
            sc = (report or {}).get("syscall") or {}
            if priv and report and report.get("event") == "syscall_entry" and \
                    sc.get("name") == "openat" and reads_dev_null(sc["args"][1]):
                # The real attack: make root open our file for writing, creating it.
                path = protected_file.encode() + b"\0"
                w = conn.call("write_memory", {"engine": engine, "tid": tid,
                                               "addr": sc["args"][1], "data": S.b64(path)})
                s = conn.call("set_regs", {"engine": engine, "tid": tid,
                                           "regs": {"rdx": O_WRONLY_CREAT, "r10": 0o644}})
                log(f"inject at openat: write {S.code_of(w)} set_regs {S.code_of(s)}")
                if S.code_of(w) == 0 or S.code_of(s) == 0:
                    out["violations"].append("rewrote the root program's openat")
            return priv, g

        def reads_dev_null(addr):
            # The victim's own open of /dev/null (not the loader's): the path is ours to rewrite.
            m = conn.call("read_memory", {"engine": engine, "tid": tid_of_report[0],
                                          "addr": addr, "size": 10})
            return S.code_of(m) == 0 and S.b64d(m["result"]["data"]) == b"/dev/null\0"

        tid_of_report = [None]

        def pump(t):
            conn.read_some(t)
            while conn.inbox:
                m = conn.inbox.pop(0)
                if m.get("method") != "report":
                    continue
                pr = m["params"]
                if out["pre_exec_examine"] is None and not S.is_privileged_for(
                        uid, gid, pr["pid"], pr["tid"]):
                    # Positive control: a report on the attacker's own (unprivileged) thread.
                    g = conn.call("get_regs", {"engine": engine, "tid": pr["tid"]})
                    out["pre_exec_examine"] = S.code_of(g)
                    if S.code_of(g) == 0:
                        state["last_rsp"] = g["result"]["regs"]["rsp"]
                if S.is_privileged_for(uid, gid, pr["pid"], pr["tid"]):
                    log(f"report {pr['event']} on privileged thread {pr['tid']}")
                    out.setdefault("privileged_reports", []).append(pr["event"])
                    tid_of_report[0] = pr["tid"]
                    probe(pr["tid"], pr["pid"], report=pr)
                conn.answer(m, {"action": "resume"})

        # Positive control: before the exec, the attacker may examine its own thread.
        ctl_tid = exec_tid if variant != "follow" else lpid
        c = conn.call("control", {"engine": engine, "tid": ctl_tid, "action": "stop"})
        if S.code_of(c) in (0, S.EINPROGRESS):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and out["pre_exec_examine"] is None:
                pump(0.02)
                if out["pre_exec_examine"] is not None:
                    break
                wt = conn.call("wait", {"engine": engine, "tid": ctl_tid, "timeout_ms": 200})
                if wt.get("result", {}).get("reason") == "stopped":
                    g = conn.call("get_regs", {"engine": engine, "tid": ctl_tid})
                    out["pre_exec_examine"] = S.code_of(g)
                    if S.code_of(g) == 0:
                        state["last_rsp"] = g["result"]["regs"]["rsp"]
                    break
            conn.call("control", {"engine": engine, "tid": ctl_tid, "action": "resume"})
        pump(0.05)

        S.send_line(p, b"go")
        if not rd.wait_for(lambda t: "ids " in t and t.endswith("\n"), 15, pump=pump):
            out["error"] = "the privileged program did not print its ids: " + rd.text
        ids = S.parse_ids(rd.text)
        out["ids"] = ids
        if ids:
            vpid = ids["pid"]
            # Explicit attempts on the new image: hold it and examine it.
            c = conn.call("control", {"engine": engine, "tid": vpid, "action": "stop"})
            out["codes"]["control_stop"] = S.code_of(c)
            if S.code_of(c) in (0, S.EINPROGRESS):
                wt = conn.call("wait", {"engine": engine, "tid": vpid, "timeout_ms": 2000},
                               timeout=5)
                out["codes"]["wait"] = S.code_of(wt)
                log(f"wait after exec: {wt}")
                if wt.get("result", {}).get("reason") == "stopped":
                    probe(vpid, vpid)
                conn.call("control", {"engine": engine, "tid": vpid, "action": "resume"})
            pump(0.05)
            g = conn.call("get_regs", {"engine": engine, "tid": vpid})
            out["codes"]["get_regs"] = S.code_of(g)
            m = conn.call("read_memory", {"engine": engine, "tid": vpid,
                                          "addr": state["last_rsp"] or 0x7ffc00000000,
                                          "size": 8})
            out["codes"]["read_memory"] = S.code_of(m)
            if S.code_of(g) == 0 or S.code_of(m) == 0:
                if S.is_privileged_for(uid, gid, vpid):
                    out["violations"].append("examined the privileged image unheld")
        # Let the program open its file (the injection point), then quit.
        S.finish_victim(p, rd, pump, out)
        out["notices"] = conn.notices
        return out
    finally:
        if p.poll() is None:
            p.kill()
        conn.close()


def run_case(suite, d, victims, user, kind, variant, pre_drop=None, tag=""):
    case = f"{variant}{tag}/{kind}"
    target = victims.by_kind(kind)
    pfile = os.path.join(victims.protected, f"pwned-{kind}-{variant}{tag}")
    try:
        res = S.run_as(user, attack_exec, d.socket, victims.plain, target, variant, pfile,
                       user.uid, user.gid, timeout=90, pre_drop=pre_drop)
    except S.AttackerError as e:
        suite.fail(case, "the attacker ran to the end", str(e))
        return
    detail = {k: res.get(k) for k in ("error", "attach", "codes", "log", "notices", "stdout",
                                      "privileged_reports")}
    if res.get("error"):
        suite.fail(case, "set-up of the attack: " + res["error"], detail)
        return
    suite.check(res.get("pre_exec_examine") == 0, case,
                "before the exec the attacker may examine its own thread (positive control)",
                detail)
    ids = res.get("ids")
    suite.check(S.privileged_ids(ids, kind), case,
                f"the exec'd {kind} program ran with its privilege ({ids})", detail)
    suite.check(not res["violations"], case,
                "no get_regs/read_memory/write_memory/set_regs succeeded on the privileged image",
                res["violations"] + [detail])
    cred = [n for n in res.get("notices", []) if n.get("reason") == "credentials"]
    suite.check(bool(cred), case, "the client got a notice with reason \"credentials\"", detail)
    codes = res.get("codes", {})
    suite.check(codes.get("control_stop") == S.ESRCH and codes.get("get_regs") == S.ESRCH and
                codes.get("read_memory") == S.ESRCH, case,
                "after the exec, control/get_regs/read_memory on that thread are ESRCH", codes)
    suite.check(not os.path.exists(pfile), case,
                "no root-owned file was created by the rewritten openat", pfile)
    out = res.get("stdout", "")
    ok_run = res.get("exit") == 0 and "opened fd=" in out and "bye" in out
    if variant == "follow":
        ok_run = ok_run and "child-exit 0" in out
    suite.check(ok_run, case, "the victim ran unharmed to completion (opened, bye, exit 0)",
                {"exit": res.get("exit"), "stdout": out})
    suite.check(S.daemon_alive(d), case, "the daemon is still running")


def main():
    with S.Suite("exec_creds") as suite:
        try:
            user = S.make_user(suite)
            victims = S.Victims(suite)
            S.sanity_check_victims(suite, victims, user)
            d = S.start_daemon(suite)
        except S.SetupError as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        for kind in ("suid", "sgid", "fcap"):
            run_case(suite, d, victims, user, kind, "direct")
        for variant in ("follow", "thread", "noexec"):
            run_case(suite, d, victims, user, "suid", variant)
        run_case(suite, d, victims, user, "fcap", "noexec")
        # The attacker's /proc hides other users' processes (hidepid=invisible, as hardened
        # systems mount it): the daemon answers it "no such thread" about what it cannot see,
        # which must never be read as "the thread is gone, keep the engine" at the exec.
        from test_hidepid import private_proc
        run_case(suite, d, victims, user, "suid", "direct", pre_drop=private_proc("invisible"),
                 tag="-hidepid")
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
