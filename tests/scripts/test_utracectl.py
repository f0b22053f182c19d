#!/usr/bin/env python3
"""utracectl end to end: trace, count, attach (with Ctrl-C), regs, and its errors, against a real
daemon and real tracees. Usage: test_utracectl.py UTRACED UTRACECTL TRACEE"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from utraced_harness import Daemon, Tracee, wait_for  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def attached(daemon, ctl, n):
    out = subprocess.run([ctl, "--socket", daemon.socket, "stats"], capture_output=True, text=True)
    return out.returncode == 0 and json.loads(out.stdout)["engines_total"] >= n


def main():
    utraced, ctl, tracee_bin = sys.argv[1:4]
    d = Daemon(utraced)
    try:
        # trace and count, two engines at once on one thread, until it exits.
        t = Tracee(tracee_bin, "on-input")
        trace = subprocess.Popen([ctl, "--socket", d.socket, "trace", str(t.pid)],
                                 stderr=subprocess.PIPE, text=True)  # strace's: on stderr
        count = subprocess.Popen([ctl, "--socket", d.socket, "count", str(t.pid)],
                                 stdout=subprocess.PIPE, text=True)
        check(wait_for(lambda: attached(d, ctl, 2)), "trace and count attach")
        t.write("s")
        t.write("q")
        _, tout = trace.communicate(timeout=20)
        cout, _ = count.communicate(timeout=20)
        t.stop()
        check(trace.returncode == 0 and count.returncode == 0, "both exit 0 after the reap")
        check("\nclose(-1)                               = -1 EBADF (Bad file descriptor)\n" in tout,
              f"trace shows close(-1) = -1 EBADF as strace ({tout!r})")
        check("\nlseek(-1, 4242, SEEK_CUR)               = -1 EBADF" in tout, "trace shows lseek's arguments")
        check(tout.endswith("+++ exited with 3 +++\n"), "trace shows the exit status")
        # strace -c's table: % time, seconds, usecs/call, calls, [errors,] syscall
        rows = {l.split()[-1]: l.split() for l in cout.splitlines()
                if len(l.split()) in (5, 6) and l.split()[0][0].isdigit()}
        check(rows.get("getppid", ["0"] * 4)[3] == "1" and rows.get("kill", ["0"] * 4)[3] == "1",
              f"count counts getppid and kill once ({cout!r})")
        check(len(rows.get("close", [])) == 6 and rows["close"][4] == "1", "count counts close's error")

        # attach prints JSON lines; SIGINT detaches and leaves the thread running untraced.
        for mode in ["sync", "concurrent"]:
            t = Tracee(tracee_bin, "getppid-loop")
            att = subprocess.Popen([ctl, "--socket", d.socket, "attach", str(t.pid), "--events",
                                    "syscall_entry", "--mode", mode], stdout=subprocess.PIPE, text=True)
            first = json.loads(att.stdout.readline())
            check(first["event"] == "syscall_entry" and first["tid"] == t.pid,
                  f"attach --mode {mode} prints a JSON report")
            att.send_signal(signal.SIGINT)
            att.stdout.read()
            check(att.wait(timeout=10) == 0, f"attach --mode {mode} exits 0 on SIGINT")
            check(wait_for(lambda: t.status() and t.status()[1] == 0 and t.status()[0] == "R"),
                  "the thread runs untraced after SIGINT")
            if mode == "sync":
                t.stop()

        # regs stops the thread for a moment and prints its registers.
        out = subprocess.run([ctl, "--socket", d.socket, "regs", str(t.pid)], capture_output=True,
                             text=True, timeout=20)
        regs = json.loads(out.stdout) if out.returncode == 0 else {}
        check("rip" in regs and "orig_rax" in regs, "regs prints rip and orig_rax")
        check(wait_for(lambda: t.status() and t.status()[1] == 0), "regs leaves the thread untraced")
        t.stop()

        # attach --commands: control, wait, regs and barrier on the CLI's own engine.
        t = Tracee(tracee_bin, "sleep")
        cmd = subprocess.Popen([ctl, "--socket", d.socket, "attach", str(t.pid), "--events", "exit",
                                "--commands"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        answers = []
        for line in ["stop", "wait", "regs", "barrier", "resume", "detach"]:
            cmd.stdin.write(line + "\n")
            cmd.stdin.flush()
            answers.append(json.loads(cmd.stdout.readline()))
        check(answers[0] == {"command": "stop", "errno": "EINPROGRESS"}, "--commands: stop -> EINPROGRESS")
        check(answers[1].get("result") == "stopped", "--commands: wait -> stopped")
        check("rip" in answers[2].get("result", {}), "--commands: regs while held")
        check(answers[3].get("result") == 0 and answers[4].get("result") == 0, "--commands: barrier, resume")
        check(answers[5].get("result") == 0 and cmd.wait(timeout=10) == 0, "--commands: detach ends it")
        check(wait_for(lambda: t.status() and t.status()[1] == 0 and t.status()[0] == "S"),
              "the thread sleeps on untraced")
        t.stop()

        # who: while trace holds an engine, who names its client; a strace -p would get EPERM.
        t = Tracee(tracee_bin, "sleep")
        trace = subprocess.Popen([ctl, "--socket", d.socket, "trace", str(t.pid)],
                                 stderr=subprocess.PIPE, text=True)
        check(wait_for(lambda: attached(d, ctl, 1)), "trace attaches for who")
        out = subprocess.run([ctl, "--socket", d.socket, "who", str(t.pid)], capture_output=True,
                             text=True, timeout=20)
        check(out.returncode == 0 and f"process {t.pid} is traced by utraced (pid {d.proc.pid})"
              in out.stdout and f"pid {trace.pid}, uid 0, utracectl, engine " in out.stdout,
              f"who names the tracing client ({out.stdout.strip()!r})")
        trace.send_signal(signal.SIGINT)
        trace.communicate(timeout=20)
        check(wait_for(lambda: t.status() and t.status()[1] == 0), "trace let go after SIGINT")
        out = subprocess.run([ctl, "--socket", d.socket, "who", str(t.pid)], capture_output=True,
                             text=True, timeout=20)
        check(out.returncode == 0 and out.stdout == f"process {t.pid} is not traced\n",
              f"who of an untraced process ({out.stdout.strip()!r})")
        t.stop()
        out = subprocess.run([ctl, "--socket", d.socket, "who", "2147483647"], capture_output=True,
                             text=True)
        check(out.returncode == 1 and "ESRCH" in out.stderr, "who of a missing pid: ESRCH, exit 1")

        # Errors: a missing thread, a bad command, no daemon.
        out = subprocess.run([ctl, "--socket", d.socket, "attach", "2147483647"],
                             capture_output=True, text=True)
        check(out.returncode == 1 and "ESRCH" in out.stderr, "attach to a missing tid: ESRCH, exit 1")
        out = subprocess.run([ctl, "--socket", d.socket, "frobnicate"], capture_output=True, text=True)
        check(out.returncode == 2 and "unknown command" in out.stderr, "unknown command: exit 2")
        out = subprocess.run([ctl, "--socket", d.socket, "attach", "1", "--mode", "eager"],
                             capture_output=True, text=True)
        check(out.returncode == 2 and "--mode must be sync, async or concurrent" in out.stderr,
              "a bad --mode: usage error naming the choices, exit 2")
    finally:
        rc = d.stop(keep_dir=bool(failures))
    out = subprocess.run([ctl, "--socket", d.socket, "hello"], capture_output=True, text=True)
    check(out.returncode == 1 and "cannot connect" in out.stderr, "no daemon: cannot connect, exit 1")
    check(rc == 0, "daemon exits 0 on SIGTERM")
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
