#!/usr/bin/env python3
"""Attack 6 of issue 12 (case 7 of the suite): resources a client causes.

abandoned-spawn: the daemon starts no programs any more (issue 13: `launch`, whose abandoned
  calls once left daemon children blocked before their exec, is gone). What a client can
  abandon now is its own child seized with hold_at_exec before its exec: the attacker does that
  five times, each time disconnecting while its child still waits before the exec. Each child
  is let go untraced, execs and runs, never stopped; the daemon's fd count returns to its
  baseline, it has no child processes, and it still serves. Positive control: a child whose
  client stays is held at its exec.
accept-flood: a daemon under RLIMIT_NOFILE 64 (prlimit), flooded with connections it cannot
  accept (EMFILE). Over one second of flood its CPU time (utime+stime) stays under 0.3 s and its
  log grows by less than 1 MiB; once the flood ends a new client gets `hello` answered and the
  fd count is back to its baseline.

Usage: test_resources.py UTRACED
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402


def state_of(pid):
    st = S.proc_status(pid) or {}
    return [st.get("State", "?")[:1], st.get("TracerPid")]


def abandoned_spawns(sock, n):
    S.set_dumpable()
    out = {"control": None, "attach": [], "before_exec": None, "after_exec": None}
    # Positive control: with its client connected, the child is held at its exec.
    c = S.Conn(sock)
    try:
        eng, pid = S.spawn_traced(c, ["/bin/sleep", "30"], {"events": []})
        out["control"] = state_of(pid) + [os.readlink(f"/proc/{pid}/exe")]
        c.call("control", {"engine": eng, "action": "detach"})
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except S.SpawnError as e:
        out["control"] = str(e)
    c.close()
    # The attack: attach, let the child go, disconnect while it still waits at a gate before
    # its exec (a sync engine on every syscall: it would stop the child if it stayed).
    gate_r, gate_w = os.pipe()
    kids = []
    for _ in range(n):
        c = S.Conn(sock)
        k = S.HeldChild(["/bin/sleep", "30"], preexec=lambda: os.read(gate_r, 1),
                        close=(c.fileno(), gate_w))
        kids.append(k)
        r = c.call("attach", {"pid": k.pid, "scope": "process", "hold_at_exec": True,
                              "mode": "sync", "events": ["exec", "syscall_entry"]})
        out["attach"].append(S.code_of(r))
        k.go()
        c.close()
    os.close(gate_r)
    S.H.wait_for(lambda: all(state_of(k.pid)[1] == "0" for k in kids), timeout=5)
    out["before_exec"] = [state_of(k.pid) for k in kids]
    os.close(gate_w)  # EOF at the gate: they all exec now
    out["exec"] = [k.exec_result() for k in kids]
    sleep = os.path.realpath("/bin/sleep")
    S.H.wait_for(lambda: all(state_of(k.pid) == ["S", "0"] and
                             os.readlink(f"/proc/{k.pid}/exe") == sleep for k in kids),
                 timeout=5)
    time.sleep(0.2)
    out["after_exec"] = [state_of(k.pid) + [os.readlink(f"/proc/{k.pid}/exe")] for k in kids]
    for k in kids:
        k.give_up()
    return out


def run_abandoned(suite, d, user):
    case = "abandoned-spawn"
    time.sleep(0.2)
    base = S.fd_count(d.pid)
    kids_before = set(S.daemon_children(d.pid))
    try:
        res = S.run_as(user, abandoned_spawns, d.socket, 5, timeout=60)
    except S.AttackerError as e:
        suite.fail(case, "the attacker ran to the end", str(e))
        return
    sleep = os.path.realpath("/bin/sleep")
    suite.check(res["control"] == ["t", str(d.pid), sleep], case, "positive control: with its "
                "client connected, the attacker's child is held at its exec by the daemon",
                res["control"])
    suite.check(res["attach"] == [0] * 5, case, "the five hold_at_exec attaches worked",
                res["attach"])
    suite.check(res["before_exec"] == [["S", "0"]] * 5, case, "each client gone, its child is "
                "untraced while it waits before its exec", res["before_exec"])
    suite.check(res["exec"] == [None] * 5 and res["after_exec"] == [["S", "0", sleep]] * 5,
                case, "then each execs and runs its program untraced, never stopped",
                {"exec": res["exec"], "after": res["after_exec"]})
    fds_ok = S.H.wait_for(lambda: S.fd_count(d.pid) <= base, timeout=5)
    suite.check(fds_ok, case, f"the daemon's fd count returns to its baseline ({base} -> "
                f"{S.fd_count(d.pid)}) after 5 abandoned spawns")
    kids = [k for k in S.daemon_children(d.pid) if k not in kids_before]
    suite.check(not kids, case, "the daemon has no child processes", kids)
    suite.check(S.daemon_alive(d), case, "the daemon still serves clients")


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
            d = S.start_daemon(suite)
        except S.SetupError as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        run_abandoned(suite, d, user)
        run_flood(suite, user)
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
