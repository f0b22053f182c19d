#!/usr/bin/env python3
"""Runs every example of python/examples/ against a real daemon and real programs.

    test_examples.py UTRACED_BINARY
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time

import pyharness as H
from pyharness import check


def run_example(name: str, *args: str, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, os.path.join(H.EXAMPLES, name), *args],
                          capture_output=True, text=True, timeout=timeout,
                          env=H.env_with_package(), **kw)


def count_syscalls() -> None:
    r = run_example("count_syscalls.py", "--", "/bin/true")
    lines = r.stderr.splitlines()
    total = [int(l.split()[0]) for l in lines if l.split()[1:] == ["total"]]
    check(r.returncode == 0 and total and total[0] > 5 and
          any(l.split()[1:] == ["exit_group"] for l in lines),
          f"count_syscalls -- /bin/true: a summary with exit_group and a total "
          f"(rc {r.returncode}, {r.stderr[-300:]!r})")
    r = run_example("count_syscalls.py", "--", "sh", "-c", "/bin/true; exit 7")
    check(r.returncode == 7 and any(l.split()[1:] == ["execve"] for l in r.stderr.splitlines()),
          f"count_syscalls -- sh -c: exits 7 and counts the child's execve (follow) "
          f"(rc {r.returncode})")
    # a running process, by pid: Ctrl-C (SIGINT) prints the summary
    victim = subprocess.Popen(["sh", "-c", "while :; do /bin/true; sleep 0.05; done"])
    try:
        p = subprocess.Popen([sys.executable, os.path.join(H.EXAMPLES, "count_syscalls.py"),
                              str(victim.pid)], stderr=subprocess.PIPE, text=True,
                             env=H.env_with_package())
        time.sleep(1.0)
        p.send_signal(2)
        _, err = p.communicate(timeout=20)
        check(p.returncode == 0 and re.search(r"\d+ wait4", err) and "total" in err,
              f"count_syscalls PID: attached to a running shell, Ctrl-C prints its wait4s "
              f"(rc {p.returncode}, {err[-300:]!r})")
        check(H.wait_for(lambda: H.proc_status(victim.pid).get("TracerPid") == "0"),
              "count_syscalls PID: the shell is untraced afterwards")
    finally:
        victim.kill()
        victim.wait()
    r = run_example("count_syscalls.py", "--", "/nonexistent/program")
    check(r.returncode == 1 and "exec failed: ENOENT" in r.stderr and
          "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1,
          f"count_syscalls -- a missing program: a clear error ({r.stderr.strip()[-200:]!r})")
    r = run_example("count_syscalls.py", "not-a-pid")
    check(r.returncode != 0 and "usage:" in r.stderr, "count_syscalls: bad arguments: usage")


def watch_files() -> None:
    r = run_example("watch_files.py", "--", "cat", "/etc/hostname", "/nonexistent-file")
    with open("/etc/hostname") as f:
        hostname = f.read()
    check(r.returncode == 1 and r.stdout == hostname,
          f"watch_files -- cat: cat ran normally (rc {r.returncode}, stdout {r.stdout!r})")
    check(re.search(r"^\[\d+\] openat /etc/hostname = \d+$", r.stderr, re.M) and
          re.search(r"^\[\d+\] openat /nonexistent-file = -ENOENT$", r.stderr, re.M),
          f"watch_files -- cat: both paths read from its memory, with results "
          f"({r.stderr[-400:]!r})")


def stop_on_write() -> None:
    with tempfile.TemporaryDirectory() as d:
        target = os.path.join(d, "out.txt")
        script = f"cat {target} 2>/dev/null; echo written > {target}; exit 5"
        p = subprocess.Popen([sys.executable, os.path.join(H.EXAMPLES, "stop_on_write.py"),
                              "--resume-after", "1.5", target, "--", "sh", "-c", script],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=H.env_with_package())
        assert p.stdout is not None
        line = p.stdout.readline()
        m = re.match(r"stopped: pid (\d+) at openat\((.*), (0o\d+)\), rip 0x[0-9a-f]+$",
                     line.strip())
        check(m and m.group(2) == target, f"stop_on_write: reports the stop ({line!r})")
        if m:
            st = H.proc_status(int(m.group(1)))
            check(st.get("State", "").startswith("t") and not os.path.exists(target),
                  f"stop_on_write: the program is held before the open "
                  f"({st.get('State')}, file exists: {os.path.exists(target)})")
        out, err = p.communicate(timeout=30)
        check("resumed: pid" in out and p.returncode == 5,
              f"stop_on_write: resumed after the delay, exits 5 (rc {p.returncode}, {out!r}, "
              f"{err[-300:]!r})")
        with open(target) as f:
            check(f.read() == "written\n", "stop_on_write: the write happened after resuming")
        # a read-only open does not stop it
        r = run_example("stop_on_write.py", "--resume-after", "0", target, "--", "cat", target)
        check(r.returncode == 0 and "was not opened for writing" in r.stderr and
              r.stdout == "written\n", f"stop_on_write: a read-only open runs on ({r.stderr!r})")


def two_engines() -> None:
    r = run_example("two_engines.py", "--", "sh", "-c", "echo two; exit 3")
    counted = re.search(r"^counter: (\d+) syscalls", r.stderr, re.M)
    logged = re.findall(r"^logger: \[\d+\] (\w+) = (-?\d+)$", r.stderr, re.M)
    check(r.returncode == 3 and r.stdout == "two\n" and counted and int(counted.group(1)) > 10,
          f"two_engines: the counter counted (rc {r.returncode}, {r.stderr[-200:]!r})")
    check(("write", "4") in logged and len(logged) > 10,
          f"two_engines: the logger logged write = 4 among {len(logged)} lines")


def main() -> None:
    daemon = H.Daemon(sys.argv[1])
    try:
        for test in (count_syscalls, watch_files, stop_on_write, two_engines):
            try:
                test()
            except Exception as e:  # a test that breaks is a failure, the others still run
                check(False, f"{test.__name__}: {type(e).__name__}: {e}")
    finally:
        rc = daemon.stop()
    check(rc == 0, f"the daemon exits 0 on SIGTERM ({rc})")
    H.finish()


if __name__ == "__main__":
    main()
