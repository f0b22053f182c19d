#!/usr/bin/env python3
"""Yama ptrace_scope 1 judges "is the target a descendant of the client process?". The daemon
knows the client process only as the pid that opened the connection. Once that process has
exited its pid can be reused by any process, and the walk would then accept the new process's
descendants. The attack: the attacker's process A connects, hands the socket to its child B and
exits; A's pid is then taken (here forced with ns_last_pid, as pid wrap-around would do) by a
process R of the same user that the attacker did not start; B attaches to R's child T. Under
scope 1 the kernel would refuse B (T is not B's descendant); so must the daemon. Positive
control: before A exits, A's own child may be attached.

Usage: test_yama_heir.py UTRACED
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402


def call(f, i, method, params):
    f.write(json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}) + "\n")
    f.flush()
    while True:
        m = json.loads(f.readline())
        if m.get("id") == i and "method" not in m:
            return m


def main():
    with S.Suite("yama_heir") as suite:
        case = "yama1-heir"
        tmp = tempfile.mkdtemp(prefix="utr-sec-yama-")
        suite.add_cleanup(lambda: subprocess.run(["rm", "-rf", tmp]))
        scope = os.path.join(tmp, "ptrace_scope")
        with open(scope, "w") as f:
            f.write("1\n")
        os.chmod(tmp, 0o755)
        os.environ["UTRACED_YAMA_PATH"] = scope  # the daemon's environment (tests only)
        try:
            user = S.make_user(suite)
            d = S.start_daemon(suite)
        except S.SetupError as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        finally:
            del os.environ["UTRACED_YAMA_PATH"]

        rfd, wfd = os.pipe()      # attacker -> test: A's pid, then the results
        crfd, cwfd = os.pipe()    # test -> attacker B: T's pid
        attacker = os.fork()
        if attacker == 0:
            os.close(rfd)
            os.close(cwfd)
            try:
                os.setgroups([])
                os.setgid(user.gid)
                os.setuid(user.uid)
                s = socket.socket(socket.AF_UNIX)
                s.connect(d.socket)
                f = s.makefile("rw")
                own = subprocess.Popen(["sleep", "30"])
                control = call(f, 1, "attach", {"tid": own.pid, "events": ["death"]})
                own.kill()
                own.wait()
                if os.fork() != 0:
                    os.write(wfd, (json.dumps({"a": os.getpid(), "control": control}) + "\n")
                             .encode())
                    os._exit(0)  # A exits; B keeps the connection
                target = int(os.read(crfd, 64).decode().strip() or "0")
                heir = call(f, 2, "attach", {"tid": target, "events": ["death"]})
                os.write(wfd, (json.dumps({"heir": heir}) + "\n").encode())
            finally:
                os._exit(0)
        os.close(wfd)
        os.close(crfd)
        reader = os.fdopen(rfd)
        first = json.loads(reader.readline() or "{}")
        a_pid = first.get("a", 0)
        os.waitpid(attacker, 0)
        suite.check(S.code_of(first.get("control", {})) == 0, case,
                    "positive control: under scope 1 the client may attach to its own child",
                    first.get("control"))
        while os.path.exists(f"/proc/{a_pid}"):
            time.sleep(0.01)
        # R takes A's pid: a shell of the same user (not started by the attacker) whose child T
        # sleeps.
        r = t_pid = None
        for _ in range(20):
            with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                f.write(str(a_pid - 1))
            r = subprocess.Popen(["setpriv", f"--reuid={user.uid}", f"--regid={user.gid}",
                                  "--clear-groups", "sh", "-c", "sleep 30 & echo $!; wait"],
                                 stdout=subprocess.PIPE)
            if r.pid == a_pid:
                break
            r.kill()
            r.wait()
            r = None
        if r is None:
            suite.fail(case, "set-up: could not give the attacker's old pid to another process")
            os.write(cwfd, b"0\n")
            return suite.exit_code()
        suite.add_cleanup(lambda: (r.kill(), r.wait()))
        t_pid = int(r.stdout.readline().decode().strip())
        suite.add_cleanup(lambda: subprocess.run(["kill", "-9", str(t_pid)]))
        os.write(cwfd, f"{t_pid}\n".encode())
        second = json.loads(reader.readline() or "{}")
        heir = second.get("heir", {})
        err = heir.get("error") or {}
        suite.check(err.get("code") == S.EPERM and (err.get("data") or {}).get("reason") == "yama",
                    case, "the connection's heir may not attach to a descendant of the process "
                    "that took the connecting pid (EPERM, yama)", heir)
        suite.check(r.poll() is None, case, "the other process still runs")
        suite.check(S.daemon_alive(d), case, "the daemon is still running")
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
