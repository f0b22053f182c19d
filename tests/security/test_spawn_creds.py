#!/usr/bin/env python3
"""A program started traced has exactly its caller's credentials, because the caller forked it
(issue 13; this replaces test_launch_groups). The daemon once started programs itself
(`launch`) and had to give them the client's uid, gid and supplementary groups, which it read
from the kernel (SO_PEERGROUPS) so that a recycled connect-time pid could not hand another
user's groups to the attacker's program; it starts none now, so there is no such lookup left to
fool. What holds instead:

groups    an attacker in an extra group starts `id` traced (the recipe, spawn_traced): the
          program shows exactly the caller's uid, gid and groups, and no no_new_privs (the old
          launch forced it on every non-root program). (The old attack's connection heir, a
          child that inherited a connection whose opener had exited, has nothing to exploit
          now: it could only start its own program with its own credentials; its attach is
          judged like any other, test_yama_heir.)
setuid    the attacker starts a set-uid-root program traced with hold_at_exec: the daemon cannot
          make the exec unprivileged (it is the tracer and has CAP_SYS_PTRACE), so it takes the
          engine away at that exec stop: a `credentials` notice, `wait` ESRCH, no examine call
          succeeds, and the program is never held: it runs with its privilege and exits 0.
          Positive control: the plain program is held at its exec and examinable.

Usage: test_spawn_creds.py UTRACED
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402


def groups_attacker(sock_path, uid, gid, extra_gid, result_fd):
    """Runs as root in a forked child: becomes the user with an extra group, connects and
    starts `sh -c 'id ...'` traced."""
    os.setgroups([gid, extra_gid])
    os.setgid(gid)
    os.setuid(uid)
    S.set_dumpable()
    c = S.Conn(sock_path)
    out = {"groups": sorted(os.getgroups())}
    rd, wr = os.pipe()
    try:
        eng, pid = S.spawn_traced(c, ["/bin/sh", "-c", "id -u; id -g; id -G; "
                                      "grep NoNewPrivs /proc/self/status"],
                                  {"events": ["death"]}, stdout=wr)
        os.close(wr)
        out["held"] = (S.proc_status(pid) or {}).get("State", "?")[:1]
        out["resume"] = S.code_of(c.call("control", {"engine": eng, "action": "resume"}))
        text = b""
        while chunk := os.read(rd, 4096):
            text += chunk
        out["stdout"] = text.decode()
        out["exit"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except S.SpawnError as e:
        out["error"] = [e.step, e.errno, str(e), e.reply]
    os.write(result_fd, json.dumps(out).encode())
    os._exit(0)


def run_groups(suite, d, user):
    case = "groups"
    extra = "utr-grp-" + user.name[-8:]
    r = subprocess.run(["groupadd", extra], capture_output=True, text=True)
    if r.returncode != 0:
        suite.fail(case, "set-up: groupadd", r.stderr)
        return
    suite.add_cleanup(lambda: subprocess.run(["groupdel", extra], capture_output=True))
    extra_gid = int(subprocess.check_output(["getent", "group", extra]).split(b":")[2])
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        try:
            groups_attacker(d.socket, user.uid, user.gid, extra_gid, wfd)
        finally:
            os._exit(1)
    os.close(wfd)
    os.waitpid(pid, 0)
    data = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(rfd)
    try:
        res = json.loads(data or b"{}")
    except ValueError:
        res = {}
    if not suite.check("stdout" in res, case, "the attacker started `id` traced", res):
        return
    suite.check(res.get("held") == "t" and res.get("resume") == 0, case,
                "it was held at its exec, then let go", res)
    lines = res["stdout"].splitlines()
    want = [str(user.uid), str(user.gid), sorted({user.gid, extra_gid}), "NoNewPrivs:\t0"]
    got = lines[:2] + [sorted(int(x) for x in lines[2].split()) if len(lines) > 2 else None] + \
        lines[3:4]
    suite.check(got == want and res.get("exit") == 0, case, "the program ran with exactly the "
                "caller's uid, gid and groups, and without no_new_privs", {"got": got,
                                                                            "want": want})


def setuid_attacker(sock, plain, suid):
    S.set_dumpable()
    out = {}
    c = S.Conn(sock)
    # Positive control: the plain program is held at its exec and its registers can be read.
    null = os.open(os.devnull, os.O_RDWR)
    try:
        eng, pid = S.spawn_traced(c, [plain, "ids"], {"events": []}, stdin=null, stdout=null)
        out["control_state"] = (S.proc_status(pid) or {}).get("State", "?")[:1]
        out["control_regs"] = S.code_of(c.call("get_regs", {"engine": eng}))
        c.call("control", {"engine": eng, "action": "resume"})
        out["control_exit"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except S.SpawnError as e:
        out["control_error"] = str(e)
    # The set-uid program, by hand (spawn_traced would kill it when wait fails).
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    k = S.HeldChild([suid, "ids"], stdin=in_r, stdout=out_w, close=(c.fileno(),))
    os.close(in_r)
    os.close(out_w)
    try:
        r = c.call("attach", {"pid": k.pid, "scope": "process", "hold_at_exec": True,
                              "mode": "sync", "events": ["exec", "syscall_entry", "death"]})
        out["attach"] = r
        if S.code_of(r) != 0:
            return out
        eng = r["result"]["engine"]
        k.go()
        out["exec"] = k.exec_result()
        out["wait"] = c.call("wait", {"engine": eng, "timeout_ms": 5000}, timeout=10)
        out["codes"] = {"get_regs": S.code_of(c.call("get_regs", {"engine": eng,
                                                                "tid": k.pid}))}
        out["codes"]["read_memory"] = S.code_of(c.call("read_memory", {
            "engine": eng, "tid": k.pid, "addr": 0x400000, "size": 8}))
        out["codes"]["control_stop"] = S.code_of(c.call("control", {
            "engine": eng, "tid": k.pid, "action": "stop"}))
        out_file = os.fdopen(out_r, "rb", buffering=0)  # kept: LineReader keeps only its fd
        out_r = None
        rd = S.LineReader(out_file)
        rd.wait_for(lambda t: "ids " in t and t.endswith("\n"), 10,
                    pump=lambda t: c.read_some(t))
        out["state_running"] = (S.proc_status(k.pid) or {}).get("State", "?")[:1]
        os.write(in_w, b"q\n")
        out["exit"] = os.waitstatus_to_exitcode(k.wait())
        rd.wait_for(lambda t: "bye" in t, 5)
        out["stdout"] = rd.text
        c.read_some(0.2)
        # Any report to this engine after the exec would be a report on the privileged image.
        out["reports"] = [m["params"].get("event") for m in c.inbox
                          if m.get("method") == "report"]
        out["notices"] = c.notices
    finally:
        os.close(in_w)
        if out_r is not None:
            os.close(out_r)
        k.give_up()
        c.close()
    return out


def run_setuid(suite, d, user, victims):
    case = "setuid"
    try:
        res = S.run_as(user, setuid_attacker, d.socket, victims.plain, victims.suid, timeout=60)
    except S.AttackerError as e:
        suite.fail(case, "the attacker ran to the end", str(e))
        return
    suite.check(res.get("control_state") == "t" and res.get("control_regs") == 0 and
                res.get("control_exit") == 0, case, "positive control: the plain program is "
                "held at its exec, its registers readable, and exits 0", res)
    suite.check(S.code_of(res.get("attach")) == 0 and res.get("exec") is None, case,
                "the hold_at_exec attach worked and the set-uid program exec'd", res)
    cred = [n for n in res.get("notices", []) if n.get("reason") == "credentials"]
    suite.check(bool(cred), case, "the client got a `credentials` notice at the exec", res)
    suite.check(S.code_of(res.get("wait")) == S.ESRCH, case, "its wait gives ESRCH: the engine "
                "was taken away, it holds nothing", res.get("wait"))
    codes = res.get("codes", {})
    suite.check(codes == {"get_regs": S.ESRCH, "read_memory": S.ESRCH,
                          "control_stop": S.ESRCH}, case,
                "get_regs, read_memory and control stop on the new image: ESRCH", codes)
    suite.check(not res.get("reports"), case, "no report about the privileged image",
                res.get("reports"))
    ids = S.parse_ids(res.get("stdout", ""))
    suite.check(S.privileged_ids(ids, "suid") and ids["ruid"] == user.uid and
                res.get("state_running") in ("S", "R") and res.get("exit") == 0 and
                "bye" in res.get("stdout", ""), case, "the program was never held: it ran "
                "with its privilege (euid 0) and exited 0", res)
    suite.check(S.daemon_alive(d), case, "the daemon is still running")


def main():
    with S.Suite("spawn_creds") as suite:
        try:
            user = S.make_user(suite)
            victims = S.Victims(suite)
            S.sanity_check_victims(suite, victims, user)
            d = S.start_daemon(suite)
        except (S.SetupError, subprocess.CalledProcessError) as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        run_groups(suite, d, user)
        run_setuid(suite, d, user, victims)
        suite.check(S.daemon_alive(d), "spawn_creds", "the daemon is still running")
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
