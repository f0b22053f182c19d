#!/usr/bin/env python3
"""Attacks 5 and 6 of issue 12, as an unprivileged user.

nesting: one line of ~70,000 nested `[` (well under the 1 MiB line limit), in three shapes
  (inside params, a bare array, unterminated). Each gets an error reply (-32600 or -32700), the
  same connection still answers `hello`, the daemon lives, and another (root) client's engine on
  another tracee keeps working: its tracee is still traced, its event arrives, it exits 0.

amplification: the attacker attaches 1000 engines to its own process (fewer if the daemon's
  limit says so), then writes 1,500 `list` requests in one write and never reads. The daemon's
  VmRSS must not grow by more than 64 MiB, and a second connection's `hello` round trips must
  keep completing within 5 s each while the flood is pending.

Usage: test_input_output.py UTRACED
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402

DEPTH = 70000
RSS_BOUND_KIB = 64 * 1024
# How long one hello may wait for its reply during the flood before the probe gives up: a
# timeout that fails loudly, not a latency target (latency is measured in bench/).
HELLO_GIVE_UP_S = 15.0


def wait_any_reply(conn, timeout):
    deadline = time.monotonic() + timeout
    while not conn.replies:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        if not conn.read_some(left):
            return "EOF"
    k = next(iter(conn.replies))
    return conn.replies.pop(k)


def nesting_attack(sock):
    out = {"replies": [], "hello_after": []}
    conn = S.Conn(sock, timeout=30)
    shapes = [
        b'{"jsonrpc":"2.0","id":1,"method":"hello","params":{"x":' + b"[" * DEPTH +
        b"]" * DEPTH + b"}}\n",
        b"[" * DEPTH + b"]" * DEPTH + b"\n",
        b'{"jsonrpc":"2.0","id":3,"method":"hello","params":' + b"[" * DEPTH + b"\n",
    ]
    for line in shapes:
        try:
            conn.send_raw(line)
            r = wait_any_reply(conn, 20)
        except OSError as e:
            r = f"socket error {e}"
        out["replies"].append(r if isinstance(r, (dict, str, type(None))) else str(r))
        try:
            h = conn.call("hello", {"client": "attacker"}, timeout=10)
            out["hello_after"].append(S.code_of(h))
        except (OSError, EOFError, TimeoutError) as e:
            out["hello_after"].append(f"{type(e).__name__}: {e}")
    conn.close()
    return out


def run_nesting(suite, d, victims, user):
    case = "nesting"
    # Another client's work in progress: root traces a root tracee with an async engine.
    v = subprocess.Popen([victims.plain, "ids"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    other = None
    try:
        v.stdout.readline()
        other = S.Conn(d.socket)
        r = other.call("attach", {"tid": v.pid, "events": ["syscall_entry"], "mode": "async"})
        if not suite.check(S.code_of(r) == 0, case, "set-up: a root client traces a tracee", r):
            return
        try:
            res = S.run_as(user, nesting_attack, d.socket, timeout=120)
        except S.AttackerError as e:
            suite.fail(case, "the attacker ran to the end", str(e))
            res = None
        alive = S.daemon_alive(d)
        suite.check(alive, case, "the daemon survived the deeply nested lines",
                    None if alive else d.log()[-3000:])
        if res:
            for i, (rep, h) in enumerate(zip(res["replies"], res["hello_after"])):
                code = rep.get("error", {}).get("code") if isinstance(rep, dict) else None
                suite.check(code in (-32600, -32700), case,
                            f"shape {i + 1}: an error reply -32600/-32700", rep)
                suite.check(h == 0, case, f"shape {i + 1}: the same connection answers hello",
                            h)
        st = S.proc_status(v.pid) or {}
        suite.check(st.get("TracerPid") == str(d.pid), case,
                    "the other client's tracee is still traced by the daemon", st.get("TracerPid"))
        ok_event = False
        if alive:
            v.stdin.write(b"o\n")
            v.stdin.flush()
            deadline = time.monotonic() + 5
            try:
                while time.monotonic() < deadline and not ok_event:
                    other.read_some(0.1)
                    while other.inbox:
                        m = other.inbox.pop(0)
                        if (m.get("params", {}).get("syscall") or {}).get("name") == "openat":
                            ok_event = True
            except OSError:
                pass
        suite.check(ok_event, case, "the other client's engine still gets its events")
        v.stdin.write(b"q\n")
        v.stdin.flush()
        outp = v.communicate(timeout=10)[0].decode()
        suite.check(v.returncode == 0 and "bye" in outp, case,
                    "the other client's tracee ran unharmed (exit 0)", (v.returncode, outp))
    finally:
        if other:
            other.close()
        if v.poll() is None:
            v.kill()
            v.wait()


def amplification_attack(sock, plain, daemon_pid, engines_wanted, lists):
    out = {"engines": 0, "attach_stop": None, "hello_lat": [], "hello_err": None}
    v = subprocess.Popen([plain, "ids"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    conn = S.Conn(sock, timeout=30)
    probe = S.Conn(sock, timeout=30)
    try:
        v.stdout.readline()
        for _ in range(engines_wanted):
            r = conn.call("attach", {"tid": v.pid, "events": [], "type": "x" * 40,
                                     "data": {"pad": "y" * 60}})
            if S.code_of(r) != 0:
                out["attach_stop"] = r
                break
            out["engines"] += 1
        one = conn.call("list")
        out["list_bytes"] = len(str(one))
        base = S.rss_kib(daemon_pid)
        out["rss_base"] = base
        batch = b"".join(b'{"jsonrpc":"2.0","id":%d,"method":"list"}\n' % (100000 + i)
                         for i in range(lists))
        out["batch_bytes"] = len(batch)
        conn.sock.setblocking(False)
        sent = 0
        t_end = time.monotonic() + 8
        peak = base
        while time.monotonic() < t_end:
            if sent < len(batch):
                try:
                    sent += conn.sock.send(batch[sent:])
                except (BlockingIOError, InterruptedError):
                    pass
            # one hello round trip, sampling the daemon's RSS while it is pending
            probe.next_id += 1
            hid = probe.next_id
            t0 = time.monotonic()
            probe.send({"jsonrpc": "2.0", "id": hid, "method": "hello"})
            while hid not in probe.replies and time.monotonic() - t0 < HELLO_GIVE_UP_S:
                peak = max(peak, S.rss_kib(daemon_pid))
                if sent < len(batch):
                    try:
                        sent += conn.sock.send(batch[sent:])
                    except (BlockingIOError, InterruptedError):
                        pass
                if not probe.read_some(0.05):
                    break
            lat = time.monotonic() - t0
            if hid not in probe.replies:
                out["hello_err"] = f"no hello reply within {lat:.1f} s"
            else:
                out["hello_lat"].append(round(lat, 3))
                if S.code_of(probe.replies.pop(hid)) != 0:
                    out["hello_err"] = "hello failed"
            peak = max(peak, S.rss_kib(daemon_pid))
            time.sleep(0.1)
        out["sent"] = sent
        out["rss_peak"] = peak
        out["rss_growth"] = peak - base
        conn.close()
        time.sleep(0.5)
        h = probe.call("hello", {"client": "probe"}, timeout=10)
        out["hello_final"] = S.code_of(h)
        v.stdin.write(b"q\n")
        v.stdin.flush()
        out["victim_out"] = v.communicate(timeout=10)[0].decode()
        out["victim_exit"] = v.returncode
    finally:
        probe.close()
        conn.close()
        if v.poll() is None:
            v.kill()
    return out


def run_amplification(suite, d, victims, user):
    case = "amplification"
    try:
        res = S.run_as(user, amplification_attack, d.socket, victims.plain, d.pid, 1000, 1500,
                       timeout=180)
    except S.AttackerError as e:
        suite.fail(case, "the attacker ran to the end", str(e))
        return
    suite.note(case, f"{res['engines']} engines, list reply ~{res.get('list_bytes')} bytes, "
               f"batch {res.get('batch_bytes')} bytes ({res.get('sent')} written), RSS "
               f"{res.get('rss_base')} -> {res.get('rss_peak')} KiB, hello latencies (s) "
               f"max {max(res['hello_lat'] or [0])}")
    suite.check(res["engines"] >= 100, case, f"set-up: the attacker holds many engines "
                f"({res['engines']})", res.get("attach_stop"))
    suite.check(res.get("rss_growth", 1 << 30) < RSS_BOUND_KIB, case,
                f"daemon RSS grew by less than {RSS_BOUND_KIB // 1024} MiB "
                f"(grew {res.get('rss_growth', 0) // 1024} MiB)")
    lat = res["hello_lat"]
    suite.check(res["hello_err"] is None and bool(lat), case,
                f"another connection's hello was answered every time during the flood "
                f"({len(lat)} round trips, max {max(lat or [0])} s)", res.get("hello_err"))
    suite.check(res.get("hello_final") == 0 and S.daemon_alive(d), case,
                "after the flood the daemon is alive and answers")
    suite.check(res.get("victim_exit") == 0 and "bye" in res.get("victim_out", ""), case,
                "the attacker's traced process still ran to completion",
                (res.get("victim_exit"), res.get("victim_out")))


def main():
    with S.Suite("input_output") as suite:
        try:
            user = S.make_user(suite)
            victims = S.Victims(suite, need_special=False)
            d = S.start_daemon(suite)
        except S.SetupError as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        run_nesting(suite, d, victims, user)
        if not S.daemon_alive(d):  # a crash must not hide the next attack's result
            d = S.start_daemon(suite)
        run_amplification(suite, d, victims, user)
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
