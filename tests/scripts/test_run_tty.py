#!/usr/bin/env python3
"""`utracectl run` behaves like strace with a command (issue 13): the program is utracectl's
child, in the shell's foreground job with the terminal. Under a pseudo-terminal running an
interactive bash: Ctrl-C kills the program (utracectl exits 130, "+++ killed by SIGINT +++"),
Ctrl-Z stops both and `fg` continues both, the program reads the terminal. Without one: the
exit status, death by a signal passed on, stdout a pipe inherited from a parent running as
another user, and the daemon going away mid-run. Each case starts its own daemon.
Usage: test_run_tty.py UTRACED UTRACECTL"""
import os
import pty
import pwd
import random
import re
import select
import shutil
import signal
import string
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from utraced_harness import Daemon, wait_for  # noqa: E402

failures = []
PROMPT = "utr-prompt> "


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


# ------------------------------------------------------------------ /proc


def proc_field(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def state(pid):
    s = proc_field(pid, "State")
    return s[0] if s else None


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def exe(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


def program_of(shell_pid, ctl):
    """(utracectl's pid, its program's pid) under the shell, once the program has exec'd."""
    for c in children(shell_pid):
        if exe(c) == os.path.realpath(ctl):
            progs = [p for p in children(c) if exe(p) and exe(p) != os.path.realpath(ctl)]
            if progs:
                return c, progs[0]
    return None


# ------------------------------------------------------------------ the terminal


class Terminal:
    """An interactive bash on a pseudo-terminal (its session leader, with job control)."""

    def __init__(self):
        env = dict(os.environ, PS1=PROMPT, TERM="dumb", HISTFILE="/dev/null")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe("bash", ["bash", "--norc", "--noprofile", "-i"], env)
        self.out = ""
        self.expect(re.escape(PROMPT))

    def send(self, text):
        os.write(self.fd, text.encode())

    def expect(self, pattern, timeout=15):
        """The match of pattern in what the terminal printed since the last expect, or None."""
        deadline = time.time() + timeout
        while True:
            m = re.search(pattern, self.out)
            if m:
                self.out = self.out[m.end():]
                return m
            left = deadline - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    chunk = os.read(self.fd, 65536).decode(errors="replace")
                except OSError:
                    return None
                if not chunk:
                    return None
                self.out += chunk

    def status_of_last(self):
        self.send('echo "rc=$?"\n')
        m = self.expect(r"rc=(\d+)")
        self.expect(re.escape(PROMPT))
        return int(m.group(1)) if m else None

    def close(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def ctrl_c(utraced, ctl):
    d = Daemon(utraced, log_level="info")
    t = Terminal()
    try:
        t.send(f"{ctl} --socket {d.socket} run --syscalls clock_nanosleep -- sleep 30\n")
        found = wait_for(lambda: program_of(t.pid, ctl), timeout=10)
        check(bool(found), "ctrl-c: the program started under utracectl")
        if not found:
            return
        ctl_pid, prog = found
        # Past its hold, asleep: Ctrl-C now reaches the program itself, through the terminal.
        check(wait_for(lambda: state(prog) == "S", timeout=10), "ctrl-c: the program runs")
        check(os.getpgid(prog) == os.getpgid(ctl_pid), "ctrl-c: the program is in utracectl's job")
        check(proc_field(prog, "TracerPid") == str(d.proc.pid), "ctrl-c: traced by the daemon")
        t.send("\x03")
        check(t.expect(r"\+\+\+ killed by SIGINT \+\+\+") is not None,
              "ctrl-c: '+++ killed by SIGINT +++' printed")
        check(t.expect(re.escape(PROMPT)) is not None, "ctrl-c: back at the prompt")
        rc = t.status_of_last()
        check(rc == 130, f"ctrl-c: utracectl exits 130 (got {rc})")
    finally:
        t.close()
        d.stop()


def ctrl_z_fg(utraced, ctl):
    d = Daemon(utraced, log_level="info")
    t = Terminal()
    try:
        t.send(f"{ctl} --socket {d.socket} run --syscalls read -- sh -c 'read x; echo got-$x'\n")
        found = wait_for(lambda: program_of(t.pid, ctl), timeout=10)
        check(bool(found), "ctrl-z: the program started under utracectl")
        if not found:
            return
        ctl_pid, prog = found
        check(wait_for(lambda: state(prog) == "S", timeout=10), "ctrl-z: the program waits for input")
        t.send("\x1a")
        check(t.expect(r"Stopped") is not None, "ctrl-z: the shell says the job stopped")
        check(wait_for(lambda: state(ctl_pid) == "T", timeout=10), "ctrl-z: utracectl is stopped")
        check(wait_for(lambda: state(prog) in ("T", "t"), timeout=10),
              f"ctrl-z: the program is stopped (state {state(prog)})")
        t.expect(re.escape(PROMPT))
        t.send("fg\n")
        check(wait_for(lambda: state(ctl_pid) in ("S", "R") and state(prog) in ("S", "R"),
                       timeout=10),
              f"fg: both run again (utracectl {state(ctl_pid)}, program {state(prog)})")
        t.send("hello\n")  # the terminal's input goes to the foreground job: the program
        check(t.expect(r"got-hello") is not None, "fg: the program read the terminal and finished")
        check(t.expect(re.escape(PROMPT)) is not None, "fg: back at the prompt")
        rc = t.status_of_last()
        check(rc == 0, f"fg: utracectl exits 0 (got {rc})")
    finally:
        t.close()
        d.stop()


# ------------------------------------------------------------------ without a terminal


def exit_status(utraced, ctl):
    d = Daemon(utraced, log_level="info")
    try:
        r = subprocess.run([ctl, "--socket", d.socket, "run", "--", "sh", "-c", "exit 7"],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 7, f"exit status: 7 (got {r.returncode})")
        check("+++ exited with 7 +++" in r.stderr, "exit status: the trace ends with the exit")
        r = subprocess.run([ctl, "--socket", d.socket, "run", "-e", "trace=none", "--",
                            "sh", "-c", "kill -USR1 $$"], capture_output=True, text=True, timeout=60)
        check(r.returncode == -signal.SIGUSR1,
              f"killed by SIGUSR1: utracectl dies of it too (got {r.returncode})")
        check("+++ killed by SIGUSR1 +++" in r.stderr, "killed by SIGUSR1: strace's last line")
        r = subprocess.run([ctl, "--socket", d.socket, "run", "--", "/nonexistent/program"],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and "exec failed: No such file or directory" in r.stderr,
              f"a missing program: exit 1 with the step and error ({r.returncode}: {r.stderr.strip()})")
    finally:
        d.stop()


def make_user():
    if not shutil.which("useradd") or not shutil.which("userdel"):
        raise RuntimeError("useradd/userdel not found (passwd package)")
    name = "utr-run-" + "".join(random.choice(string.ascii_lowercase) for _ in range(8))
    r = subprocess.run(["useradd", "-M", "-U", "-s", "/usr/sbin/nologin", name],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"useradd {name} failed: {r.stderr.strip()}")
    return pwd.getpwnam(name)


def pipe_from_another_user(utraced, ctl):
    """A parent (this script, root) hands its child, running as a throw-away user, a pipe of
    its own as stdout: the program inherits it (the daemon-side launch had to reopen
    /proc/PID/fd/1 as the user, and failed with EACCES)."""
    if os.geteuid() != 0:
        print("SKIP pipe from another user: needs root to create a user")
        return
    user = make_user()
    d = Daemon(utraced, log_level="info")
    try:
        os.chmod(d.dir, 0o755)  # the user may reach the socket
        r = subprocess.run(["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                            "--clear-groups", "--", ctl, "--socket", d.socket, "run",
                            "--output", "/dev/null", "--", "sh", "-c", "echo through-the-pipe; id -u"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
                           cwd="/")
        check(r.returncode == 0 and r.stdout == f"through-the-pipe\n{user.pw_uid}\n",
              f"pipe from another user: the program wrote to it as the user "
              f"(rc {r.returncode}, out {r.stdout!r}, err {r.stderr.strip()!r})")
    finally:
        d.stop()
        subprocess.run(["userdel", user.pw_name], capture_output=True)


def daemon_goes_away(utraced, ctl, seccomp=False):
    """The daemon stops while the program runs: utracectl says so once and still reports the
    program's end: exit 5 after its input, or, for a --seccomp run (traced with exitkill),
    its death by SIGKILL along with the daemon."""
    d = Daemon(utraced, log_level="info")
    what = "daemon gone" + (" (seccomp)" if seccomp else "")
    try:
        p = subprocess.Popen([ctl, "--socket", d.socket, "run", "--syscalls", "read",
                              *(["--seccomp"] if seccomp else []), "--",
                              "sh", "-c", "read x; exit 5"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        prog = wait_for(lambda: [c for c in children(p.pid) if exe(c) != os.path.realpath(ctl)],
                        timeout=10)
        check(bool(prog), f"{what}: the program started")
        if not prog:
            p.kill()
            p.wait()
            return
        prog = prog[0]
        check(wait_for(lambda: proc_field(prog, "TracerPid") == str(d.proc.pid) and state(prog) == "S",
                       timeout=10), f"{what}: the program runs traced")
        check(d.stop(keep_dir=True) == 0, f"{what}: the daemon stopped cleanly")
        if not seccomp:
            check(wait_for(lambda: proc_field(prog, "TracerPid") == "0", timeout=10),
                  f"{what}: the program runs on untraced")
        if not seccomp:  # a seccomp run is being killed: nobody may read this any more
            p.stdin.write("line\n")
        try:
            p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            rc = p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
        err = p.stderr.read()
        if seccomp:
            check(rc == -signal.SIGKILL, f"{what}: utracectl dies of SIGKILL as the program (got {rc})")
            line = f"utracectl: lost utraced; {prog} is killed with it (a --seccomp run)\n"
        else:
            check(rc == 5, f"{what}: utracectl exits with the program's status 5 (got {rc})")
            line = f"utracectl: lost utraced; {prog} runs on untraced\n"
        check(err.count(line) == 1, f"{what}: one line says so (stderr {err[-300:]!r})")
    finally:
        d.stop()
        shutil.rmtree(d.dir, ignore_errors=True)


def main():
    utraced, ctl = sys.argv[1:3]
    ctl = os.path.abspath(ctl)
    cases = (ctrl_c, ctrl_z_fg, exit_status, pipe_from_another_user, daemon_goes_away,
             lambda u, c: daemon_goes_away(u, c, seccomp=True))
    for case in cases:
        try:
            case(utraced, ctl)
        except Exception as e:  # a broken case fails, and the others still run
            check(False, f"{getattr(case, '__name__', 'case')}: {type(e).__name__}: {e}")
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
