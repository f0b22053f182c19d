#!/usr/bin/env python3
"""Attack 6 of issue 12 (case 7 of the suite): resources a client causes.

abandoned-launch: the attacker sends `launch` with stdin on a FIFO nobody opens (the child
  blocks before its exec), disconnects without waiting, five times. The daemon's fd count
  returns to its baseline, no launched child is left blocked, and the daemon still serves.
accept-flood: a daemon under RLIMIT_NOFILE 64 (prlimit), flooded with connections it cannot
  accept (EMFILE). Over one second of flood its CPU time (utime+stime) stays under 0.3 s and its
  log grows by less than 1 MiB; once the flood ends a new client gets `hello` answered and the
  fd count is back to its baseline.

Usage: test_resources.py UTRACED
"""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402


def abandoned_launches(sock, plain, fifo, n):
    out = {"control": None, "replies": []}
    # Positive control: launch works at all for this client (else the attack proves nothing).
    c = S.Conn(sock)
    r = c.call("launch", {"argv": [plain, "ids"], "events": []}, timeout=15)
    out["control"] = r
    if S.code_of(r) == 0:
        c.call("control", {"engine": r["result"]["engine"], "action": "resume"})
    c.close()
    os.mkfifo(fifo, 0o600)
    for i in range(n):
        c = S.Conn(sock)
        c.send({"jsonrpc": "2.0", "id": 1, "method": "launch",
                "params": {"argv": [plain, "ids"], "stdin": fifo, "events": []}})
        time.sleep(0.3)
        try:
            c.read_some(0)
        except OSError:
            pass
        out["replies"].append(c.replies.get(1))
        c.close()
    return out


def daemon_children(pid):
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = S.proc_status(int(d)) or {}
            if st.get("PPid") == str(pid):
                kids.append(int(d))
    return kids


def run_abandoned(suite, d, victims, user):
    case = "abandoned-launch"
    udir = os.path.join(victims.dir, "home-" + user.name)
    os.mkdir(udir)
    os.chown(udir, user.uid, user.gid)
    fifo = os.path.join(udir, "fifo")
    time.sleep(0.2)
    base = S.fd_count(d.pid)
    kids_before = set(daemon_children(d.pid))
    try:
        res = S.run_as(user, abandoned_launches, d.socket, victims.plain, fifo, 5, timeout=60)
    except S.AttackerError as e:
        suite.fail(case, "the attacker ran to the end", str(e))
        return
    ctl = res["control"]
    if not S.launch_control_ok(suite, case, ctl):
        return
    leaked = []
    fds_ok = S.H.wait_for(lambda: S.fd_count(d.pid) <= base, timeout=5)
    # A cancelled launch's child is killed; the daemon reaps it a moment later.
    S.H.wait_for(lambda: not [k for k in daemon_children(d.pid) if k not in kids_before],
                 timeout=5)
    kids = [k for k in daemon_children(d.pid) if k not in kids_before]
    suite.check(fds_ok, case, f"the daemon's fd count returns to its baseline ({base} -> "
                f"{S.fd_count(d.pid)}) after 5 abandoned launches", res["replies"])
    blocked = [k for k in kids if (S.proc_status(k) or {}).get("State", "").startswith("S")]
    suite.check(not kids, case, "no launched child is left behind blocked before its exec",
                {k: (S.proc_status(k) or {}).get("State") for k in kids})
    # unblock and reap whatever was left, so the daemon can stop cleanly
    for _ in blocked:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
    suite.check(S.daemon_alive(d), case, "the daemon still serves clients")
    del leaked


def flood(sock, daemon_pid, log_path, nconn):
    out = {"connected": 0, "refused": 0}
    conns = []
    for _ in range(nconn):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(0.3)
        try:
            s.connect(sock)
            conns.append(s)
            out["connected"] += 1
        except OSError:
            out["refused"] += 1
            s.close()
    time.sleep(0.5)
    log0 = os.path.getsize(log_path)
    cpu0 = S.cpu_seconds(daemon_pid)
    t0 = time.monotonic()
    # keep knocking for one second: new connections the daemon cannot accept
    extra = []
    while time.monotonic() - t0 < 1.0:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(sock)
        except OSError:
            pass
        extra.append(s)
        time.sleep(0.01)
    el = time.monotonic() - t0
    out["cpu"] = round(S.cpu_seconds(daemon_pid) - cpu0, 3)
    out["wall"] = round(el, 3)
    out["log_growth"] = os.path.getsize(log_path) - log0
    for s in conns + extra:
        s.close()
    time.sleep(0.2)
    t1 = time.monotonic()
    try:
        c = S.Conn(sock, timeout=5)
        out["hello_after"] = S.code_of(c.call("hello", {}, timeout=5))
        c.close()
    except (OSError, EOFError, TimeoutError) as e:
        out["hello_after"] = f"{type(e).__name__}: {e}"
    out["hello_after_s"] = round(time.monotonic() - t1, 3)
    return out


def run_flood(suite, user):
    case = "accept-flood"
    try:
        d = S.start_daemon(suite, extra_wrapper=["prlimit", "--nofile=64:64", "--"])
    except S.SetupError as e:
        suite.fail(case, "set-up: a daemon under RLIMIT_NOFILE 64", str(e))
        return
    time.sleep(0.2)
    base = S.fd_count(d.pid)
    try:
        res = S.run_as(user, flood, d.socket, d.pid, d.log_path, 150, timeout=60)
    except S.AttackerError as e:
        suite.fail(case, "the attacker ran to the end", str(e))
        return
    suite.note(case, f"{res}")
    suite.check(res["cpu"] < 0.3, case, f"daemon CPU over 1 s of flood at its fd limit stays "
                f"under 0.3 s (used {res['cpu']} s)")
    suite.check(res["log_growth"] < (1 << 20), case, f"the daemon's log grew by less than 1 MiB "
                f"during the flood ({res['log_growth']} bytes)")
    suite.check(res["hello_after"] == 0, case, "after the flood a new client gets hello "
                f"answered ({res['hello_after_s']} s)", res["hello_after"])
    ok = S.H.wait_for(lambda: S.fd_count(d.pid) <= base, timeout=5)
    suite.check(ok, case, f"the daemon's fd count is back to its baseline ({base} -> "
                f"{S.fd_count(d.pid)})")
    suite.check(S.daemon_alive(d), case, "the daemon still serves clients")


def main():
    with S.Suite("resources") as suite:
        try:
            user = S.make_user(suite)
            victims = S.Victims(suite, need_special=False)
            d = S.start_daemon(suite)
        except S.SetupError as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        run_abandoned(suite, d, victims, user)
        run_flood(suite, user)
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
