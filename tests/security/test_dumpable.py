#!/usr/bin/env python3
"""Issue 12, "for the life of the engine": a thread that stops being the client's to trace
without a set-uid exec, because it became non-dumpable.

run-time: the attacker traces its own `victim nodump` with a sync engine (syscall_entry,
  syscalls ["getppid"]). At the first getppid (still dumpable) it holds the thread and may
  get_regs / read_memory / write_memory / set_regs (positive control). The victim then calls
  prctl(PR_SET_DUMPABLE, 0) and getppid again: held there, every one of the four calls is EPERM
  (code 1), as the kernel's ptrace_access_vm refuses an unprivileged tracer; the engine stays
  (`control resume` works, no notice); the victim's canary buffer is untouched and it prints
  bye and exits 0.
unreadable-exec: the attacker's own process execs a root-owned 0711 copy of the victim (not
  set-uid: the user may run it but not read it, so the kernel makes the process non-dumpable).
  The engine is taken away at the exec (notice reason "credentials"), control/get_regs/
  read_memory/barrier on it are then ESRCH, no examine call reaches the new image, the
  program is left untraced and runs on (opened, bye, exit 0).
readable-exec (control): the same exec of the plain 0755 victim keeps the engine (exec report,
  get_regs there works, no notice), so the case above is about the unreadable binary.

Usage: test_dumpable.py UTRACED      (UTRACED_DAEMON_WRAPPER: run the daemon confined)
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402

CANARY = b"canary-nodump-ok"


def environ_owner(pid):
    """uid owning /proc/PID/environ: the euid when dumpable, 0 when not (None: gone)."""
    try:
        return os.stat(f"/proc/{pid}/environ").st_uid
    except OSError:
        return None


def tracer_pid(pid):
    st = S.proc_status(pid) or {}
    return int(st["TracerPid"]) if "TracerPid" in st else None


def examine_all(conn, engine, tid, addr, regs_for_set, data):
    """The four examine/modify calls; returns {name: reply}."""
    out = {}
    out["get_regs"] = conn.call("get_regs", {"engine": engine, "tid": tid})
    out["read_memory"] = conn.call("read_memory", {"engine": engine, "tid": tid, "addr": addr,
                                                   "size": len(CANARY)})
    out["write_memory"] = conn.call("write_memory", {"engine": engine, "tid": tid, "addr": addr,
                                                     "data": S.b64(data)})
    out["set_regs"] = conn.call("set_regs", {"engine": engine, "tid": tid,
                                             "regs": regs_for_set})
    return out


# ------------------------------------------------------------------------------ run-time

def attack_nodump(sock, plain):
    out = {"log": [], "before": {}, "after": {}}
    log = out["log"].append
    conn = S.Conn(sock)
    p = subprocess.Popen([plain, "nodump"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    rd = S.LineReader(p.stdout)
    try:
        if not rd.wait_for(lambda t: t.startswith("ready ") and "\n" in t, 10):
            out["error"] = "victim did not start: " + rd.text
            return out
        _, vpid, addr = rd.text.split("\n", 1)[0].split()
        vpid, addr = int(vpid), int(addr, 16)
        out["my_pid"] = os.getpid()
        r = conn.call("attach", {"tid": vpid, "mode": "sync", "events": ["syscall_entry"],
                                 "syscalls": ["getppid"]})
        out["attach"] = r
        if S.code_of(r) != 0:
            out["error"] = "could not attach to its own process"
            return out
        engine = r["result"]["engine"]
        # Argument capture (attach "capture") on a second connection: the same rule as
        # read_memory. Its read of "go" (dumpable) comes with the bytes; the write of "bye ...
        # canary=..." after the prctl must come without them.
        conn2 = S.Conn(sock)
        out["capture_attach"] = conn2.call(
            "attach", {"tid": vpid, "events": ["syscall_entry", "syscall_exit"],
                       "syscalls": ["read", "write"], "capture": {"strsize": 256}})
        out["dumpable_owner_before"] = environ_owner(vpid)
        S.send_line(p, b"go")

        def next_report(timeout):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for i, m in enumerate(conn.inbox):
                    if m.get("method") == "report":
                        return conn.inbox.pop(i)
                conn.read_some(0.05)
            return None

        for stage in ("before", "after"):
            rep = next_report(10)
            if rep is None:
                out["error"] = f"no getppid report ({stage} the prctl); stdout: {rd.text!r}"
                return out
            pr = rep["params"]
            log(f"{stage}: report {pr.get('event')} {pr.get('syscall', {}).get('name')}")
            out[stage]["report"] = {k: pr.get(k) for k in ("event", "tid", "syscall")}
            out[stage]["dumpable_owner"] = environ_owner(vpid)
            conn.answer(rep, {"action": "stop"})
            b = conn.call("barrier", {"engine": engine, "timeout_ms": 5000}, timeout=10)
            out[stage]["barrier"] = S.code_of(b)
            out[stage]["state"] = (S.proc_status(vpid) or {}).get("State")
            if stage == "before":
                calls = examine_all(conn, engine, vpid, addr, {"rdi": 0}, CANARY)
                g = calls["get_regs"]
                if S.code_of(g) == 0:
                    out["before"]["regs_rip"] = g["result"]["regs"]["rip"]
                m = calls["read_memory"]
                out["before"]["read_data"] = (S.b64d(m["result"]["data"]).decode(errors="replace")
                                              if S.code_of(m) == 0 else None)
            else:
                # The attack: read the canary, overwrite it, change registers.
                calls = examine_all(conn, engine, vpid, addr, {"rdi": 0x41414141},
                                    b"PWNED-by-attack!")
                # Unheld tries too (a report is no longer in flight): still no way in.
                out["after"]["list"] = conn.call("list")
            out[stage]["codes"] = {k: S.code_of(v) for k, v in calls.items()}
            out[stage]["replies"] = {k: (v.get("error") if "error" in v else "ok")
                                     for k, v in calls.items()}
            c = conn.call("control", {"engine": engine, "tid": vpid, "action": "resume"})
            out[stage]["resume"] = c
        # The victim runs on.
        deadline = time.monotonic() + 15
        while p.poll() is None and time.monotonic() < deadline:
            conn.read_some(0.02)
            while conn.inbox:  # nothing else is expected; never leave it held
                m = conn.inbox.pop(0)
                log(f"unexpected {m.get('method')}: {m.get('params')}")
                if m.get("method") == "report":
                    conn.answer(m, {"action": "resume"})
        rd.wait_for(lambda t: False, 0.2, pump=conn.read_some)
        conn2.read_some(0.3)
        out["captured"] = []
        for m in conn2.inbox:
            pr = m.get("params", {})
            if m.get("method") != "event":
                continue
            mem = [S.b64d(b).decode(errors="replace")
                   for _, b in (pr.get("capture") or {}).get("mem", [])]
            out["captured"].append([pr.get("event"), pr.get("syscall", {}).get("name"),
                                    "capture" in pr, mem])
        conn2.close()
        out["exit"] = p.poll()
        out["stdout"] = rd.text
        out["notices"] = conn.notices
        return out
    finally:
        if p.poll() is None:
            p.kill()
        conn.close()


def run_nodump(suite, d, victims, user):
    case = "run-time"
    try:
        res = S.run_as(user, attack_nodump, d.socket, victims.plain, timeout=60)
    except S.AttackerError as e:
        suite.fail(case, "the attacker ran to the end", str(e))
        return
    detail = {k: res.get(k) for k in ("error", "attach", "log", "before", "after", "notices",
                                      "stdout", "exit")}
    if res.get("error"):
        suite.fail(case, "set-up of the attack: " + res["error"], detail)
        return
    b, a = res["before"], res["after"]
    suite.check(b.get("report", {}).get("syscall", {}).get("name") == "getppid" and
                a.get("report", {}).get("syscall", {}).get("name") == "getppid", case,
                "set-up: the sync engine got both getppid reports", detail)
    suite.check(b.get("barrier") == 0 and b.get("state", "").startswith("t") and
                a.get("barrier") == 0 and a.get("state", "").startswith("t"), case,
                "set-up: after 'stop' and barrier the victim is held (state t) both times",
                {"before": (b.get("barrier"), b.get("state")),
                 "after": (a.get("barrier"), a.get("state"))})
    suite.check(res.get("dumpable_owner_before") == user.uid and
                b.get("dumpable_owner") == user.uid and a.get("dumpable_owner") == 0, case,
                "set-up: the victim was dumpable at the first getppid and non-dumpable at the "
                "second (owner of /proc/PID/environ)",
                [res.get("dumpable_owner_before"), b.get("dumpable_owner"),
                 a.get("dumpable_owner")])
    bcodes = dict(b.get("codes") or {})
    if S.confined() and bcodes.get("write_memory") == 13:
        suite.note(case, "OUTSIDE ISSUE 12: under the unit's bounding set (CAP_SYS_PTRACE only) "
                   "write_memory to the attacker's own dumpable process fails EACCES (the "
                   "daemon opens the user-owned 0600 /proc/TID/mem without CAP_DAC_OVERRIDE): "
                   f"{b.get('replies', {}).get('write_memory')}; not counted in the control")
        bcodes["write_memory"] = 0
    suite.check(bcodes == {"get_regs": 0, "read_memory": 0, "write_memory": 0,
                           "set_regs": 0} and b.get("read_data") == CANARY.decode(),
                case, "positive control: while dumpable, get_regs/read_memory/write_memory/"
                "set_regs all succeed (the canary reads back)", b)
    for call in ("get_regs", "read_memory", "write_memory", "set_regs"):
        rep = a.get("replies", {}).get(call)
        suite.check(a.get("codes", {}).get(call) == S.EPERM, case,
                    f"after prctl(PR_SET_DUMPABLE, 0): {call} is EPERM (code 1)", rep)
    suite.check(S.code_of(a.get("resume")) == 0 and S.code_of(b.get("resume")) == 0, case,
                "the engine stays: control resume works on the non-dumpable thread",
                {"before": b.get("resume"), "after": a.get("resume")})
    engines = (a.get("list") or {}).get("result", {}).get("engines")
    suite.check(isinstance(engines, list) and len(engines) == 1, case,
                "the engine is still listed while the thread is held non-dumpable",
                a.get("list"))
    suite.check(not res.get("notices"), case, "no notice: the engine was not taken away",
                res.get("notices"))
    out = res.get("stdout", "")
    me = res.get("my_pid")
    want = f"bye ppid={me} ppid2={me} dumpable=0 canary={CANARY.decode()}"
    captured = res.get("captured") or []
    suite.check(S.code_of(res.get("capture_attach")) == 0 and
                # (byte by byte; the "g" may be read by a call that began before the attach,
                # whose exit has no memory: the "o" comes after it)
                "o\n" in "".join(x for e in captured if e[:2] == ["syscall_exit", "read"]
                                  for x in e[3]), case,
                "positive control: a capture engine gets the bytes read while dumpable",
                captured)
    writes = [e for e in captured if e[:2] == ["syscall_entry", "write"]]
    suite.check(writes and all(not e[2] and not e[3] for e in writes), case,
                "after prctl(PR_SET_DUMPABLE, 0): the write of the canary comes without "
                "captured memory", captured)
    suite.check(res.get("exit") == 0 and want in out, case,
                "the victim ran unharmed to completion (canary intact, getppid right, "
                "non-dumpable, exit 0)", {"exit": res.get("exit"), "stdout": out, "want": want})


# ------------------------------------------------------------------------------ exec

def sanity_noread(path):
    """As the user, untraced: the 0711 program runs but cannot be read, and runs non-dumpable."""
    out = {}
    try:
        open(path, "rb").close()
        out["readable"] = True
    except PermissionError:
        out["readable"] = False
    p = subprocess.Popen([path, "ids"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        line = p.stdout.readline().decode()
        out["ids"] = line
        out["owner"] = environ_owner(p.pid)
        out["stdout"] = line + p.communicate(b"q\n", timeout=10)[0].decode()
        out["exit"] = p.returncode
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return out


def attack_exec(sock, plain, target):
    out = {"log": [], "codes": {}, "violations": [], "exec_reports": []}
    log = out["log"].append
    conn = S.Conn(sock)
    p = subprocess.Popen([plain, "exec-on-input", target, "ids"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    rd = S.LineReader(p.stdout)
    try:
        if not rd.wait_for(lambda t: t.startswith("ready ") and "\n" in t, 10):
            out["error"] = "launcher did not start: " + rd.text
            return out
        vpid = int(rd.text.split("\n", 1)[0].split()[1])
        r = conn.call("attach", {"tid": vpid, "mode": "sync", "events": ["exec", "death"]})
        out["attach"] = r
        if S.code_of(r) != 0:
            out["error"] = "could not attach to its own process"
            return out
        engine = r["result"]["engine"]

        # Positive control: before the exec, the attacker may examine its own process.
        c = conn.call("control", {"engine": engine, "tid": vpid, "action": "stop"})
        if S.code_of(c) in (0, S.EINPROGRESS):
            wt = conn.call("wait", {"engine": engine, "tid": vpid, "timeout_ms": 3000},
                           timeout=6)
            if wt.get("result", {}).get("reason") == "stopped":
                g = conn.call("get_regs", {"engine": engine, "tid": vpid})
                out["pre_exec_examine"] = S.code_of(g)
                if S.code_of(g) == 0:
                    m = conn.call("read_memory", {"engine": engine, "tid": vpid,
                                                  "addr": g["result"]["regs"]["rsp"], "size": 8})
                    out["pre_exec_read"] = S.code_of(m)
            else:
                out["pre_exec_wait"] = wt
        out["pre_exec_stop"] = S.code_of(c)
        conn.call("control", {"engine": engine, "tid": vpid, "action": "resume"})

        def pump(t):
            conn.read_some(t)
            while conn.inbox:
                m = conn.inbox.pop(0)
                if m.get("method") != "report":
                    continue
                pr = m["params"]
                if pr.get("event") == "exec":
                    # A report on the new image: try to reach it.
                    rep = {"owner": environ_owner(vpid), "path": pr.get("path")}
                    g = conn.call("get_regs", {"engine": engine, "tid": pr["tid"]})
                    rep["get_regs"] = S.code_of(g)
                    if S.code_of(g) == 0:
                        mm = conn.call("read_memory", {"engine": engine, "tid": pr["tid"],
                                                       "addr": g["result"]["regs"]["rsp"],
                                                       "size": 8})
                        rep["read_memory"] = S.code_of(mm)
                    if rep["owner"] != os.getuid() and (rep["get_regs"] == 0 or
                                                        rep.get("read_memory") == 0):
                        out["violations"].append(f"examined the non-dumpable image: {rep}")
                    out["exec_reports"].append(rep)
                log(f"report {pr.get('event')}")
                conn.answer(m, {"action": "resume"})

        S.send_line(p, b"go")
        if not rd.wait_for(lambda t: "ids " in t and t.endswith("\n"), 15, pump=pump):
            out["error"] = "the exec'd program did not print its ids: " + rd.text
            return out
        pump(0.1)
        out["owner_after_exec"] = environ_owner(vpid)
        out["tracer_after_exec"] = tracer_pid(vpid)
        # Explicit tries on the new image.
        c = conn.call("control", {"engine": engine, "tid": vpid, "action": "stop"})
        out["codes"]["control_stop"] = S.code_of(c)
        if S.code_of(c) in (0, S.EINPROGRESS):
            wt = conn.call("wait", {"engine": engine, "tid": vpid, "timeout_ms": 2000}, timeout=5)
            out["codes"]["wait"] = S.code_of(wt)
            if wt.get("result", {}).get("reason") == "stopped":
                g = conn.call("get_regs", {"engine": engine, "tid": vpid})
                if S.code_of(g) == 0 and environ_owner(vpid) != os.getuid():
                    out["violations"].append("get_regs on the held non-dumpable image")
            conn.call("control", {"engine": engine, "tid": vpid, "action": "resume"})
        pump(0.05)
        out["codes"]["get_regs"] = S.code_of(conn.call("get_regs", {"engine": engine,
                                                                    "tid": vpid}))
        out["codes"]["read_memory"] = S.code_of(conn.call(
            "read_memory", {"engine": engine, "tid": vpid, "addr": 0x400000, "size": 8}))
        out["codes"]["barrier"] = S.code_of(conn.call("barrier", {"engine": engine,
                                                                  "timeout_ms": 1000}))
        S.finish_victim(p, rd, pump, out)
        out["notices"] = conn.notices
        out["engine"] = engine
        out["vpid"] = vpid
        return out
    finally:
        if p.poll() is None:
            p.kill()
        conn.close()


def run_exec(suite, d, victims, user, noread, variant):
    case = variant
    target = noread if variant == "unreadable-exec" else victims.plain
    try:
        res = S.run_as(user, attack_exec, d.socket, victims.plain, target, timeout=60)
    except S.AttackerError as e:
        suite.fail(case, "the attacker ran to the end", str(e))
        return
    detail = {k: res.get(k) for k in ("error", "attach", "codes", "log", "notices", "stdout",
                                      "exec_reports", "owner_after_exec", "tracer_after_exec",
                                      "pre_exec_stop", "pre_exec_wait")}
    if res.get("error"):
        suite.fail(case, "set-up of the attack: " + res["error"], detail)
        return
    suite.check(res.get("pre_exec_examine") == 0 and res.get("pre_exec_read") == 0, case,
                "before the exec the attacker may examine its own process (positive control)",
                detail)
    cred = [n for n in res.get("notices", []) if n.get("reason") == "credentials"]
    out = res.get("stdout", "")
    ran = res.get("exit") == 0 and "opened fd=" in out and "bye" in out
    if variant == "unreadable-exec":
        suite.check(res.get("owner_after_exec") == 0, case,
                    "set-up: the exec'd 0711 program is non-dumpable (environ owned by root)",
                    res.get("owner_after_exec"))
        suite.check(len(cred) == 1 and cred[0].get("engine") == res.get("engine") and
                    cred[0].get("tid") == res.get("vpid") and
                    cred[0].get("pid") == res.get("vpid") and bool(cred[0].get("message")),
                    case, "the client got one notice {engine, tid, pid, reason "
                    "\"credentials\", message} for that engine and thread", detail)
        suite.check(not res["violations"], case,
                    "no examine call reached the non-dumpable image", res["violations"])
        suite.check(not res.get("exec_reports"), case,
                    "no exec report was sent for the new image (the engine was gone first)",
                    res.get("exec_reports"))
        codes = res.get("codes", {})
        suite.check(codes.get("control_stop") == S.ESRCH and codes.get("get_regs") == S.ESRCH
                    and codes.get("read_memory") == S.ESRCH and
                    codes.get("barrier") == S.ESRCH, case,
                    "after the exec, control/get_regs/read_memory/barrier are ESRCH (code 3)",
                    codes)
        suite.check(res.get("tracer_after_exec") == 0, case,
                    "with its only engine gone the program runs on untraced (TracerPid 0)",
                    res.get("tracer_after_exec"))
    else:
        reps = res.get("exec_reports", [])
        suite.check(res.get("owner_after_exec") == user.uid, case,
                    "set-up: the exec'd 0755 program stays dumpable", res.get("owner_after_exec"))
        suite.check(len(reps) == 1 and reps[0].get("get_regs") == 0, case,
                    "the engine is kept: an exec report comes and get_regs works there", reps)
        suite.check(not cred, case, "no credentials notice for a readable program", detail)
    suite.check(ran, case, "the program ran unharmed to completion (opened, bye, exit 0)",
                {"exit": res.get("exit"), "stdout": out})


def main():
    with S.Suite("dumpable") as suite:
        try:
            user = S.make_user(suite)
            victims = S.Victims(suite, need_special=False)
            d = S.start_daemon(suite)
        except S.SetupError as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        noread = os.path.join(victims.dir, "noread")
        shutil.copyfile(victims.plain, noread)
        os.chown(noread, 0, 0)
        os.chmod(noread, 0o711)
        run_nodump(suite, d, victims, user)
        try:
            san = S.run_as(user, sanity_noread, noread, timeout=30)
        except S.AttackerError as e:
            san = {"error": str(e)}
        ok = suite.check(san.get("readable") is False and san.get("exit") == 0 and
                         "bye" in san.get("stdout", "") and san.get("owner") == 0,
                         "unreadable-exec", "set-up: untraced, the user can run the 0711 "
                         "program but not read it, and it runs non-dumpable", san)
        if ok:
            run_exec(suite, d, victims, user, noread, "unreadable-exec")
        run_exec(suite, d, victims, user, noread, "readable-exec")
        suite.check(S.daemon_alive(d), "dumpable", "the daemon is still running")
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
