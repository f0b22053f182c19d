#!/usr/bin/env python3
"""The systemd integration: the units pass `systemd-analyze verify`, the daemon accepts a socket
passed by socket activation ($LISTEN_FDS) and reports readiness on $NOTIFY_SOCKET.
Usage: test_systemd.py UTRACED SERVICE_FILE SOCKET_FILE"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import json
import re
import time

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def journal_priorities(utraced, tmp):
    """With stderr on the journal (JOURNAL_STREAM names it), each line starts with its syslog
    priority, so `journalctl -p warning` works; elsewhere lines carry a timestamp instead."""
    log = os.path.join(tmp, "journal.log")
    with open(log, "wb") as f:
        st = os.fstat(f.fileno())
        env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
        # Info lines at start-up, debug lines from tracing a sleeping process.
        sock = os.path.join(tmp, "journal.sock")
        p = subprocess.Popen([utraced, "--socket", sock, "--log-level", "debug"],
                             stderr=f, env=env)
        sleeper = subprocess.Popen(["sleep", "30"])
        try:
            for _ in range(500):
                if os.path.exists(sock):
                    break
                time.sleep(0.01)
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(10)
            c.connect(sock)
            c.sendall(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "attach",
                                  "params": {"pid": sleeper.pid, "events": []}}).encode() + b"\n")
            c.makefile().readline()
            c.close()
        finally:
            sleeper.kill()
            sleeper.wait()
        p.terminate()
        p.wait(timeout=10)
    lines = [l for l in open(log).read().splitlines() if l]
    check(lines and all(re.match(r"<[0-7]>", l) for l in lines),
          f"journal stream: every line starts with <N> ({lines[:2]})")
    check(any(l.startswith("<6>info") for l in lines), "info lines are priority 6")
    check(any(l.startswith("<7>debug") for l in lines), "debug lines are priority 7")
    plain = subprocess.run([utraced, "--bogus-option"], capture_output=True, text=True)
    check(plain.returncode == 2, "an unknown option still exits 2")


def main():
    utraced, service, socket_unit = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="utraced-systemd-")
    try:
        analyze = shutil.which("systemd-analyze")
        if analyze:
            shutil.copy(service, os.path.join(tmp, "utraced.service"))
            shutil.copy(socket_unit, os.path.join(tmp, "utraced.socket"))
            out = subprocess.run([analyze, "verify", os.path.join(tmp, "utraced.socket"),
                                  os.path.join(tmp, "utraced.service")],
                                 capture_output=True, text=True)
            check(out.returncode == 0 and not out.stderr.strip(),
                  "systemd-analyze verify: " + (out.stderr.strip() or "clean"))
            sec = subprocess.run([analyze, "security", "--offline=yes",
                                  os.path.join(tmp, "utraced.service")], capture_output=True, text=True)
            level = [l for l in sec.stdout.splitlines() if "Overall exposure level" in l]
            score = re.search(r"level for \S+: ([0-9.]+)", level[0]) if level else None
            check(score is not None and float(score.group(1)) <= 2.0,
                  "systemd-analyze security: at most 2.0 (" +
                  (level[0].strip() if level else "no security score") + ")")
        else:
            print("SKIP systemd-analyze verify/security: systemd-analyze not installed")

        unit = open(service).read()
        caps = re.findall(r"^CapabilityBoundingSet=(.*)$", unit, re.M)
        check(caps == ["CAP_SYS_PTRACE"],
              f"the unit bounds capabilities to CAP_SYS_PTRACE alone ({caps})")
        check(re.search(r"^LimitNOFILE=\d+$", unit, re.M) is not None, "the unit sets LimitNOFILE")
        journal_priorities(utraced, tmp)

        # Socket activation: fd 3 is a listening socket, LISTEN_PID is the daemon's own pid.
        path = os.path.join(tmp, "activated.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(16)
        notify_path = os.path.join(tmp, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(10)
        env = dict(os.environ, LISTEN_FDS="1", NOTIFY_SOCKET=notify_path)
        proc = subprocess.Popen(["sh", "-c", 'LISTEN_PID=$$ exec "$0" --log-level warn 3<&"$1"',
                                 utraced, str(listener.fileno())],
                                env=env, pass_fds=[listener.fileno()])
        try:
            msg = notify.recv(4096).decode()
            check("READY=1" in msg, "READY=1 sent on $NOTIFY_SOCKET")
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.settimeout(10)
            c.connect(path)
            c.sendall(b'{"jsonrpc":"2.0","id":1,"method":"hello"}\n')
            reply = json.loads(c.makefile().readline())
            check(reply.get("result", {}).get("pid") == proc.pid, "the activated daemon answers hello")
            c.close()
            proc.terminate()
            msg = notify.recv(4096).decode()
            check("STOPPING=1" in msg, "STOPPING=1 sent at shutdown")
            check(proc.wait(timeout=10) == 0, "exits 0 on SIGTERM")
            check(os.path.exists(path), "an inherited socket's file is left to systemd")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
