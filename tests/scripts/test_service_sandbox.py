#!/usr/bin/env python3
"""Every feature inside the shipped unit's sandbox (issue 13). The daemon runs under
tests/scripts/unit_sandbox.sh: the unit's capability bounding set (CAP_SYS_PTRACE alone) and
no_new_privs, a private mount namespace with its read-only and private-tmp rules, its umask and
LimitNOFILE. Against it, as a throw-away non-root user and as root:
  run       `utracectl run` of a program that reads stdin from a pipe its parent (another user)
            made and writes into the caller's /tmp and home: the files are where the caller
            sees them (not in the daemon's private /tmp), exit status passed on;
  seccomp   `utracectl run --seccomp`: only the filtered syscall stops the program;
  code      attach with follow to the user's own process, stop it, write an int3 into the code
            page it runs in (read back), restore it, let it run on: it is unharmed;
  exit-hold a sibling's exec while an engine holds a thread's exit stop (tests/integration
            test_family's ExitHoldDoesNotWedgeASiblingsExec, its daemon started in the sandbox);
  restart   the daemon is stopped while `utracectl run` traces a program: the program runs on
            untraced, and its exit status still reaches the caller.
Usage: test_service_sandbox.py UTRACED UTRACECTL TRACEE TEST_FAMILY"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "security"))
import seclib as S  # noqa: E402
from utraced_harness import Client, Daemon, wait_for  # noqa: E402

SANDBOX = os.path.join(HERE, "unit_sandbox.sh")


def start_daemon(utraced):
    d = Daemon(utraced, log_level="debug", wrapper=[SANDBOX])
    os.chmod(d.dir, 0o755)  # the socket is 0666; its directory must be reachable by the user
    return d


def tracer_pid(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("TracerPid:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def home_of(user):
    import pwd
    return pwd.getpwnam(user.name).pw_dir


def make_home(user, suite):
    home = home_of(user)
    os.makedirs(home, exist_ok=True)
    os.chown(home, user.uid, user.gid)
    os.chmod(home, 0o700)
    return home


def as_user_cmd(user, argv, home):
    """argv run as `user` (or as root when user is None), with HOME set."""
    if user is None:
        return ["env", f"HOME={home}", *argv]
    return ["runuser", "-u", user.name, "--", "env", f"HOME={home}", *argv]


def case_run(suite, ctl, d, user, who):
    case = f"run-{who}"
    home = make_home(user, suite) if user else tempfile.mkdtemp(prefix="utraced-root-home-")
    tmp_out = f"/tmp/utraced-sandbox-{who}-{os.getpid()}.out"
    for p in (tmp_out,):
        if os.path.exists(p):
            os.unlink(p)
    script = f'cat > {tmp_out} && echo written-home > "$HOME/utraced-home.out" && exit 7'
    # stdin: a pipe made by this (root) process, inherited by the user's utracectl and program.
    r = subprocess.run(as_user_cmd(user, [ctl, "--socket", d.socket, "run", "--", "sh", "-c",
                                          script], home),
                       input=b"piped-input\n", capture_output=True, timeout=60)
    detail = {"rc": r.returncode, "stderr": r.stderr.decode()[-2000:]}
    suite.check(r.returncode == 7, case, "utracectl run passes on the program's exit status 7",
                detail)
    try:
        got_tmp = open(tmp_out).read()
    except OSError as e:
        got_tmp = repr(e)
    suite.check(got_tmp == "piped-input\n", case,
                "the program read its stdin pipe and wrote into the caller's /tmp", got_tmp)
    try:
        got_home = open(os.path.join(home, "utraced-home.out")).read()
    except OSError as e:
        got_home = repr(e)
    suite.check(got_home == "written-home\n", case, "the program wrote into the caller's home",
                got_home)
    if user is not None and os.path.exists(tmp_out):
        suite.check(os.stat(tmp_out).st_uid == user.uid, case,
                    "the program ran as the caller (file owner)", os.stat(tmp_out).st_uid)
    for p in (tmp_out,):
        if os.path.exists(p):
            os.unlink(p)


def case_seccomp(suite, ctl, d, user, who):
    case = f"seccomp-{who}"
    home = home_of(user) if user else "/root"
    r = subprocess.run(as_user_cmd(user, [ctl, "--socket", d.socket, "run", "--syscalls", "uname",
                                          "--seccomp", "--", "uname", "-s"], home),
                       capture_output=True, timeout=60)
    detail = {"rc": r.returncode, "stdout": r.stdout.decode(), "stderr": r.stderr.decode()[-2000:]}
    suite.check(r.returncode == 0 and r.stdout == b"Linux\n", case,
                "a --seccomp run works (the trapped uname runs)", detail)
    lines = [l for l in r.stderr.decode().splitlines() if not l.startswith(("+++", "---", "utracectl:"))]
    suite.check(len(lines) == 1 and "uname(" in lines[0], case,
                "only the trapped syscall is reported", lines)


def code_write(sock, tracee):
    """As the user: start our own process, attach (follow), stop it, int3 into its code page."""
    import base64
    proc = subprocess.Popen([tracee, "nops"], stdout=subprocess.PIPE)
    out = {}
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("ready"), line
        c = Client(sock)
        r = c.call("attach", {"pid": proc.pid, "scope": "process", "follow": True, "events": []})
        out["attach"] = r
        e = r["result"]["engine"]
        out["stop"] = c.call("control", {"engine": e, "action": "stop"})
        out["wait"] = c.call("wait", {"engine": e, "timeout_ms": 5000})
        regs = c.call("get_regs", {"engine": e, "tid": proc.pid})["result"]["regs"]
        rip = int(regs["rip"], 16)  # "0x…" (PROTOCOL.md, Numbers); sent back as an int
        with open(f"/proc/{proc.pid}/maps") as f:
            for m in f:
                lo, hi = (int(x, 16) for x in m.split()[0].split("-"))
                if lo <= rip < hi:
                    out["perms"] = m.split()[1]
        before = c.call("read_memory", {"engine": e, "tid": proc.pid, "addr": rip, "size": 1})
        orig = before["result"]["data"]
        out["write"] = c.call("write_memory", {"engine": e, "tid": proc.pid, "addr": rip,
                                               "data": base64.b64encode(b"\xcc").decode()})
        out["after"] = base64.b64decode(c.call("read_memory", {"engine": e, "tid": proc.pid,
                                                               "addr": rip, "size": 1})
                                        ["result"]["data"]).hex()
        out["restore"] = c.call("write_memory", {"engine": e, "tid": proc.pid, "addr": rip,
                                                 "data": orig})
        # A long write into code: forced access stops at 64 KiB per call (PROTOCOL.md).
        libc = None
        with open(f"/proc/{proc.pid}/maps") as f:
            for m in f:
                fields = m.split()
                lo, hi = (int(x, 16) for x in fields[0].split("-"))
                if fields[1] == "r-xp" and "libc" in m and hi - lo >= 128 * 1024:
                    libc = lo
                    break
        if libc is not None:
            code = c.call("read_memory", {"engine": e, "tid": proc.pid, "addr": libc,
                                          "size": 128 * 1024})["result"]["data"]
            out["long"] = c.call("write_memory", {"engine": e, "tid": proc.pid, "addr": libc,
                                                  "data": code}).get("result")
        out["resume"] = c.call("control", {"engine": e, "action": "resume"})
        time.sleep(0.2)
        out["detach"] = c.call("control", {"engine": e, "action": "detach"})
        time.sleep(0.2)
        out["alive"] = proc.poll() is None
    finally:
        proc.kill()
        proc.wait()
    return out


def case_code(suite, d, tracee, user, who):
    case = f"code-{who}"
    try:
        out = S.run_as(user, code_write, d.socket, tracee, timeout=60) if user else \
            code_write(d.socket, tracee)
    except Exception as e:  # the user-side code failed: its traceback is the detail
        return suite.fail(case, "the user-side code ran", repr(e))
    suite.check("result" in out.get("attach", {}), case, "attach with follow works", out)
    suite.check("w" not in out.get("perms", "w") and "x" in out.get("perms", ""), case,
                "rip is in a code page that is not writable", out.get("perms"))
    suite.check(out.get("write", {}).get("result", {}).get("written") == 1, case,
                "write_memory into the code page works", out.get("write"))
    suite.check(out.get("after") == "cc", case, "the int3 is read back", out.get("after"))
    suite.check(out.get("restore", {}).get("result", {}).get("written") == 1, case,
                "the original byte is written back", out.get("restore"))
    suite.check(out.get("long") == {"written": 64 * 1024}, case,
                "a 128 KiB write into libc's code is cut at 64 KiB of forced access",
                out.get("long"))
    suite.check(out.get("alive") is True, case, "the program runs on unharmed", out)


def case_exit_hold(suite, utraced, test_family):
    case = "exit-hold"
    wrapper = tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False)
    wrapper.write(f'#!/bin/sh\nexec {SANDBOX} {utraced} "$@"\n')
    wrapper.close()
    os.chmod(wrapper.name, 0o755)
    try:
        env = dict(os.environ, UTRACED_BIN=wrapper.name)
        r = subprocess.run([test_family, "--gtest_filter=*ExitHoldDoesNotWedgeASiblingsExec*"],
                           env=env, capture_output=True, text=True, timeout=120)
        suite.check(r.returncode == 0 and "[  PASSED  ] 1 test" in r.stdout, case,
                    "a held exit stop does not wedge a sibling's exec, daemon in the sandbox",
                    r.stdout[-3000:])
    finally:
        os.unlink(wrapper.name)


def case_restart(suite, utraced, ctl, user, who):
    case = f"restart-{who}"
    d = start_daemon(utraced)
    home = home_of(user) if user else "/root"
    try:
        p = subprocess.Popen(as_user_cmd(user, [ctl, "--socket", d.socket, "run", "--", "sh",
                                                "-c", "sleep 2; exit 3"], home),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # The program: the sh child of utracectl, traced by the daemon.
        prog = []

        def traced_child():
            # The program (under runuser it is utracectl's child, not ours): traced by utraced.
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    cmd = open(f"/proc/{pid}/cmdline", "rb").read()
                except OSError:
                    continue
                if cmd == b"sh\0-c\0sleep 2; exit 3\0" and tracer_pid(int(pid)) == d.proc.pid:
                    prog[:] = [int(pid)]
                    return True
            return False
        suite.check(wait_for(traced_child, timeout=10), case, "the program is traced by utraced")
        if prog:
            d.stop(keep_dir=True)
            suite.check(wait_for(lambda: tracer_pid(prog[0]) == 0, timeout=5), case,
                        "after the daemon stopped the program runs on untraced",
                        tracer_pid(prog[0]))
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        suite.check(p.returncode == 3, case, "utracectl still exits with the program's status",
                    {"rc": p.returncode, "stderr": err.decode()[-1500:]})
        suite.check(b"lost utraced" in err, case, "utracectl says it lost the daemon",
                    err.decode()[-1500:])
    finally:
        d.stop()


def main():
    # Absolute: the user-side code runs from / (seclib.run_as), meson may pass relative paths.
    utraced, ctl, tracee, test_family = (os.path.abspath(a) for a in sys.argv[1:5])
    with S.Suite("service_sandbox") as suite:
        if os.geteuid() != 0:
            suite.fail("setup", "must run as root (it creates a user and a mount namespace)")
            return suite.exit_code()
        user = S.make_user(suite)
        d = start_daemon(utraced)
        suite.add_cleanup(d.stop)
        for u, who in ((user, "user"), (None, "root")):
            case_run(suite, ctl, d, u, who)
            case_seccomp(suite, ctl, d, u, who)
            case_code(suite, d, tracee, u, who)
        case_exit_hold(suite, utraced, test_family)
        for u, who in ((user, "user"), (None, "root")):
            case_restart(suite, utraced, ctl, u, who)
    return suite.exit_code()  # after the cleanups


if __name__ == "__main__":
    sys.exit(main())
