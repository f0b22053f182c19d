#!/usr/bin/env python3
"""`utracectl trace` / `run` / `count` speak strace (issue 14): option parsing and usage errors,
-e trace= filters (done by the daemon: filtered syscalls are not even sent), -o / -ff files, the
-c table's columns, -t/-tt/-ttt/-r/-T formats, signal lines, "<unfinished ...>" / "<... resumed>"
with two threads, "read(0, " printed at once when attaching to a blocked call, -y when the
daemon captures memory. Compared with strace 6.1 where the text needs no argument memory.
Usage: test_strace_cli.py UTRACED UTRACECTL TRACEE"""
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from utraced_harness import Daemon, Tracee, wait_for  # noqa: E402

failures = []
CAPTURE = False  # whether the daemon ships argument memory and siginfo (attach option capture)
HINT = "Try 'utracectl -h' for more information.\n"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def ctl_run(ctl, sock, *args, timeout=60, **kw):
    return subprocess.run([ctl, "--socket", sock, *args], capture_output=True, text=True,
                          timeout=timeout, **kw)


def usage_errors(ctl, sock):
    cases = [
        (["trace"], "must have PROG [ARGS] or -p PID"),
        (["run"], "must have PROG [ARGS]"),
        (["trace", "-Q", "-p", "1"], "invalid option -- 'Q'"),
        (["trace", "-s", "abc", "-p", "1"], "invalid -s argument: 'abc'"),
        (["trace", "-p", "1", "-s"], "option requires an argument -- 's'"),
        (["trace", "-e", "trace=nosuchcall", "-p", "1"], "invalid system call 'nosuchcall'"),
        (["trace", "-e", "nosuchcall", "-p", "1"], "invalid system call 'nosuchcall'"),
        (["trace", "-e", "trace=/zzz", "-p", "1"], "invalid system call '/zzz'"),
        (["trace", "-e", "trace=%nosuch", "-p", "1"], "invalid system call '%nosuch'"),
        (["trace", "-e", "status=bad", "-p", "1"], "invalid status 'bad'"),
        (["trace", "-e", "signal=SIGFOO", "-p", "1"], "invalid signal 'SIGFOO'"),
        (["trace", "-S", "foo", "-p", "1"], "invalid sortby: 'foo'"),
        (["trace", "-p", "abc"], "Invalid process id: 'abc'"),
        (["trace", "-p", "0"], "Invalid process id: '0'"),
        (["run", "-c", "-ff", "true"], "(-c/--summary-only or -C/--summary) and -ff/"
                                       "--output-separately are mutually exclusive"),
        (["trace", "-k", "-p", "1"], "option -k is not supported by utracectl"),
    ]
    for args, message in cases:
        r = ctl_run(ctl, sock, *args)
        check(r.returncode == 2 and r.stderr == f"utracectl: {message}\n{HINT}",
              f"usage error {' '.join(args)!r}: one line and the hint ({r.returncode}: {r.stderr!r})")
    r = ctl_run(ctl, sock, "trace", "-e", "trace=/[", "-p", "1")
    check(r.returncode == 2 and r.stderr.startswith("utracectl: regcomp: [: ") and r.stderr.endswith(HINT),
          f"a bad regex: regcomp's error ({r.stderr!r})")
    r = ctl_run(ctl, sock, "trace", "-h")
    check(r.returncode == 0 and "-e trace=SET" in r.stdout and "-ff" in r.stdout, "trace -h lists strace's options")
    r = ctl_run(ctl, sock, "run", "--version")
    check(r.returncode == 0 and r.stdout.startswith("utracectl "), "run --version")
    r = ctl_run(ctl, sock, "frobnicate")
    check(r.returncode == 2 and r.stderr == f"utracectl: unknown command 'frobnicate'\n{HINT}",
          "an unknown command: one line and the hint, not the whole usage")


def strace_lines(args, prog):
    r = subprocess.run(["strace", *args, *prog], capture_output=True, text=True, timeout=60)
    return r.stderr.splitlines()


def short_signal(line):
    """A signal line up to si_code: the rest needs the siginfo the daemon captures (capture)."""
    m = re.match(r"^(.*--- SIG\w+ \{si_signo=\w+, si_code=\w+).*\} ---$", line)
    return m.group(1) + "...} ---" if m and not CAPTURE else line


def same_as_strace(ctl, sock, tmp):
    """Calls whose text needs no argument memory print exactly as under strace."""
    prog = ["sh", "-c", "exec 3</dev/null; exec 3<&-; /bin/true; kill -0 $$"]
    for opts in (["-e", "trace=close,kill,exit_group"], ["-f", "-e", "trace=close,kill,exit_group"],
                 ["-e", "trace=!all"], ["-e", "close", "-Z"], ["-e", "trace=kill", "-z"]):
        s = strace_lines(opts, prog)
        u = ctl_run(ctl, sock, "run", *opts, "--", *prog).stderr.splitlines()
        norm = lambda ls: [short_signal(re.sub(r"\b\d{3,}\b", "N", l)) for l in ls
                           if not l.startswith(("strace: ", "utracectl: "))]
        check(norm(s) == norm(u), f"run {' '.join(opts)}: the lines strace prints ({norm(u)} vs {norm(s)})")
    # -o FILE with -f: "PID   " prefixes; -ff: one file per process.
    out = os.path.join(tmp, "o")
    r = ctl_run(ctl, sock, "run", "-f", "-o", out, "-e", "trace=exit_group", "--", "sh", "-c", "/bin/true; exit 4")
    lines = open(out).read().splitlines()
    check(r.returncode == 4 and len(lines) == 5 and all(re.match(r"^\d+ +(exit_group|\+\+\+|---)", l) for l in lines),
          f"-f -o FILE: every line starts with the pid ({lines})")
    r = ctl_run(ctl, sock, "run", "-ff", "-o", out, "-e", "trace=exit_group", "--", "sh", "-c", "/bin/true; exit 4")
    files = sorted(f for f in os.listdir(tmp) if f.startswith("o."))
    texts = [open(os.path.join(tmp, f)).read() for f in files]
    check(len(files) == 2 and all(t.startswith(("exit_group(", "--- SIGCHLD")) and "+++ exited with" in t for t in texts),
          f"-ff -o FILE: FILE.PID per process ({files}: {texts})")


def summary_table(ctl, sock):
    r = ctl_run(ctl, sock, "run", "-c", "-e", "trace=close,kill,getpid", "--", "sh", "-c",
                "exec 3</dev/null; exec 3<&-; exec 3<&-; kill -0 $$")
    lines = r.stderr.splitlines()
    check(lines[:2] == ["% time     seconds  usecs/call     calls    errors syscall",
                        "------ ----------- ----------- --------- --------- ----------------"],
          f"-c: strace's header and dashes ({lines[:2]})")
    rows = {l.split()[-1]: l for l in lines[2:] if not l.startswith("-")}
    close = rows.get("close", "")
    check(re.match(r"^ *\d+\.\d\d +\d+\.\d{6} +\d+ +\d+ +1 close$", close) is not None,
          f"-c: a close row with one error ({close!r})")
    check(re.match(r"^100\.00 +\d+\.\d{6} +\d+ +\d+ +1 total$", rows.get("total", "")) is not None,
          f"-c: the total line ({rows.get('total')!r})")
    r = ctl_run(ctl, sock, "run", "-C", "-S", "calls", "-e", "trace=close", "--", "sh", "-c", "true")
    check("% time" in r.stderr and re.search(r"^close\(", r.stderr, re.M) is not None,
          "-C: the trace and the table")
    r = ctl_run(ctl, sock, "run", "--count", "--follow", "--", "sh", "-c", "/bin/true")
    check("% time" in r.stderr and " execve\n" in r.stderr, "the older run --count --follow still work")


def timing_formats(ctl, sock):
    prog = ["sh", "-c", "exec 3</dev/null; exec 3<&-"]
    pats = {"-t": r"^\d\d:\d\d:\d\d close\(", "-tt": r"^\d\d:\d\d:\d\d\.\d{6} close\(",
            "-ttt": r"^\d{10}\.\d{6} close\(", "-r": r"^ +\d+\.\d{6} close\(",
            "-T": r"^close\(3\) += 0 <\d+\.\d{6}>$"}
    for flag, pat in pats.items():
        r = ctl_run(ctl, sock, "run", flag, "-e", "trace=close", "--", *prog)
        first = (r.stderr.splitlines() or [""])[0]
        check(re.match(pat, first) is not None, f"{flag}: {first!r}")
    r = ctl_run(ctl, sock, "run", "-t", "-r", "-e", "trace=close", "--", *prog)
    first = (r.stderr.splitlines() or [""])[0]
    check(re.match(r"^\d\d:\d\d:\d\d \(\+ +\d+\.\d{6}\) close\(", first) is not None, f"-t -r: {first!r}")


def signal_lines(ctl, sock):
    r = ctl_run(ctl, sock, "run", "-e", "trace=none", "--", "sh", "-c", "/bin/true; exit 0")
    sig = [l for l in r.stderr.splitlines() if l.startswith("---")]
    check(len(sig) == 1 and sig[0].startswith("--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED")
          and sig[0].endswith("} ---"), f"the SIGCHLD line ({sig})")
    r = ctl_run(ctl, sock, "run", "-e", "trace=none", "-e", "signal=!SIGCHLD", "--", "sh", "-c", "/bin/true")
    check("---" not in r.stderr, "-e signal=!SIGCHLD hides it")
    r = ctl_run(ctl, sock, "run", "-e", "trace=none", "--", "sh", "-c", "kill -USR1 $$")
    check(r.returncode == -signal.SIGUSR1 and r.stderr.splitlines()[-2:] ==
          ["--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=%s, si_uid=0} ---" % r.stderr.split("si_pid=")[1].split(",")[0]
           if "si_pid=" in r.stderr else "--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER} ---",
           "+++ killed by SIGUSR1 +++"], f"killed by SIGUSR1 ({r.stderr.splitlines()[-2:]})")


THREADS = r"""
import os, threading, time
r, w = os.pipe()
t = threading.Thread(target=lambda: os.read(r, 1)); t.start()
time.sleep(0.3); os.write(w, b"x"); t.join()
"""


def two_threads(ctl, sock):
    r = ctl_run(ctl, sock, "run", "-f", "-e", "trace=read,write", "--", "python3", "-c", THREADS)
    text = r.stderr
    m = re.search(r"^\[pid +(\d+)\] read\((\d+), +<unfinished \.\.\.>$", text, re.M)
    check(m is not None, "two threads: the blocked read is <unfinished ...>")
    if m:
        tid, fd = m.groups()
        check(re.search(rf"^\[pid +{tid}\] <\.\.\. read resumed>.*\) += 1$", text, re.M) is not None,
              "two threads: and <... read resumed> = 1 after the other thread's write")
        check(re.search(r"^\[pid +\d+\] write\(\d+, .*, 1(\) += 1| <unfinished \.\.\.>)$", text, re.M)
              is not None, "two threads: the write between them")


def read_at_once(ctl, sock, tracee):
    t = Tracee(tracee, "on-input")
    p = subprocess.Popen([ctl, "--socket", sock, "trace", "-p", str(t.pid)], stderr=subprocess.PIPE)
    got = b""
    deadline = time.time() + 10
    while b"read(0, " not in got and time.time() < deadline:
        if select.select([p.stderr], [], [], 0.2)[0]:
            got += os.read(p.stderr.fileno(), 4096)
    check(got.endswith(b"read(0, "), f"trace -p: a blocked read prints 'read(0, ' at once ({got!r})")
    check(f"utracectl: Process {t.pid} attached\n".encode() in got, "trace -p: the attached message")
    t.write("q")
    rest = p.communicate(timeout=20)[1]
    t.stop()
    lines = (got + rest).decode().splitlines()
    check(lines[-1] == "+++ exited with 3 +++" and p.returncode == 0, f"trace -p: the end ({lines[-3:]})")


def whole_process(ctl, sock, tracee):
    """-p with -f: every thread of the process, strace's message and [pid N] prefixes; Ctrl-C
    detaches with " <detached ...>" and one message per thread."""
    t = Tracee(tracee, "threads3")
    p = subprocess.Popen([ctl, "--socket", sock, "trace", "-f", "-p", str(t.pid)], stderr=subprocess.PIPE)
    got = b""
    deadline = time.time() + 10
    while got.count(b"[pid ") < 3 and time.time() < deadline:
        if select.select([p.stderr], [], [], 0.2)[0]:
            got += os.read(p.stderr.fileno(), 4096)
    p.send_signal(signal.SIGINT)
    err = (got + p.communicate(timeout=20)[1]).decode()
    t.stop()
    check(f"utracectl: Process {t.pid} attached with 3 threads\n" in err, "-f -p: attached with 3 threads")
    check(re.search(r"^\[pid +\d+\] (restart_syscall|clock_nanosleep|nanosleep)\(", err, re.M) is not None,
          f"-f -p: [pid N] lines of the sleeping threads ({err[:300]!r})")
    check(err.count(" detached\n") == 3 and p.returncode == 0, "-f -p: SIGINT detaches the three threads")


def engine_filter(ctl, sock, d, tracee):
    """-e trace= is the engine's syscalls filter: the getppid loop's calls are not sent."""
    t = Tracee(tracee, "getppid-loop")

    def stats():
        return json.loads(ctl_run(ctl, sock, "stats").stdout)

    p = subprocess.Popen([ctl, "--socket", sock, "trace", "-e", "trace=close", "-p", str(t.pid)],
                         stderr=subprocess.PIPE)
    wait_for(lambda: stats()["engines_total"] >= 1)
    before = stats()
    time.sleep(0.5)
    after = stats()
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=20)[1].decode()
    t.stop()
    stops = after["stops"] - before["stops"]
    sent = after["events_sent"] - before["events_sent"]
    check(stops > 100 and sent < 10, f"-e trace=close: {stops} stops, {sent} events sent")
    check(p.returncode == 0 and f"utracectl: Process {t.pid} detached" in err, "SIGINT detaches, with the message")


def fd_paths(ctl, sock):
    r = ctl_run(ctl, sock, "run", "-y", "-e", "trace=close", "--", "sh", "-c", "exec 3</etc/hostname; exec 3<&-")
    if "close(3</etc/hostname>)" in r.stderr:
        check(True, "-y: close(3</etc/hostname>)")
    else:
        print(f"skip -y: this daemon captures no fd paths yet ({r.stderr.splitlines()[:1]})")


def main():
    utraced, ctl, tracee = sys.argv[1:4]
    d = Daemon(utraced, log_level="info")
    global CAPTURE
    try:
        probe = ctl_run(ctl, d.socket, "run", "-e", "trace=openat", "--", "sh", "-c", "exec 3</etc/hostname")
        CAPTURE = '"/etc/hostname"' in probe.stderr
        print(f"note: the daemon {'captures' if CAPTURE else 'does not capture'} argument memory")
        usage_errors(ctl, d.socket)
        if shutil.which("strace"):
            same_as_strace(ctl, d.socket, d.dir)
        else:
            check(False, "strace is not installed (scripts/install-deps.sh installs it)")
        summary_table(ctl, d.socket)
        timing_formats(ctl, d.socket)
        signal_lines(ctl, d.socket)
        two_threads(ctl, d.socket)
        read_at_once(ctl, d.socket, tracee)
        whole_process(ctl, d.socket, tracee)
        engine_filter(ctl, d.socket, d, tracee)
        fd_paths(ctl, d.socket)
    finally:
        rc = d.stop(keep_dir=bool(failures))
    check(rc == 0, "daemon exits 0")
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
