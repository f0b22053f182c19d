#!/usr/bin/env python3
"""Issue 12, least disclosure: a client whose own /proc is mounted with hidepid= learns nothing
through the daemon that its /proc hides.

The attacker enters a private mount namespace as root (unshare(CLONE_NEWNS), / made rprivate),
mounts a fresh proc on /proc with hidepid=MODE (checked in /proc/self/mountinfo), then drops to
the throw-away user and connects; the daemon reads the client's /proc mount options from
/proc/CLIENTPID/mountinfo at accept. It then sends the same raw `attach` line (same id) for pid
1, a root victim the test started, a kernel thread, another user's victim and a pid that does
not exist, and compares the raw reply lines.

invisible, ptraceable (hidepid=2/4): every refusal is byte-identical to the nonexistent pid's
  reply apart from the tid number: ESRCH (3), message "no such thread N", data {errno, tid}.
noaccess (hidepid=1): every refusal is EPERM (1) with data.reason "hidden", data keys only
  errno/tid/reason, a message naming no ids or rule, identical apart from the tid.
baseline (the host's /proc, no hidepid): the same root victim is refused with EPERM reason
  "uid", unlike a missing pid (so the cases above are not vacuous).
In every mode the attacker can still attach to its own process (positive control), and the
victims run unharmed and untraced (bye, exit 0).

Usage: test_hidepid.py UTRACED      (UTRACED_DAEMON_WRAPPER: run the daemon confined)
"""
import ctypes
import json
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402

CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PF_KTHREAD = 0x00200000
REQ_ID = 7
# Words a message must not contain when it should say nothing about the target.
DETAIL_WORDS = ["uid", "gid", "user", "group", "root", "owner", "capabilit", "dumpable",
                "kthread", "kernel", "yama", "tracer", "daemon", "sekrit"]


def proc_mount_options(path="/proc/self/mountinfo"):
    """Super options of the top-most proc mount at /proc, or None."""
    found = None
    with open(path) as f:
        for line in f:
            left, _, right = line.partition(" - ")
            parts, tail = left.split(), right.split()
            if len(parts) >= 5 and parts[4] == "/proc" and tail and tail[0] == "proc":
                found = tail[2] if len(tail) > 2 else ""
    return found


def private_proc(mode):
    """pre_drop hook (root, in the attacker child): a private /proc with hidepid=MODE."""
    def hook():
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                               ctypes.c_ulong, ctypes.c_char_p]
        if libc.unshare(CLONE_NEWNS) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "unshare(CLONE_NEWNS): " + os.strerror(e))
        if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            e = ctypes.get_errno()
            raise OSError(e, "mount --make-rprivate /: " + os.strerror(e))
        if libc.mount(b"proc", b"/proc", b"proc", 0, f"hidepid={mode}".encode()) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"mount proc /proc hidepid={mode}: " + os.strerror(e))
        opts = proc_mount_options() or ""
        if f"hidepid={mode}" not in opts.split(","):
            raise RuntimeError(f"the new /proc does not show hidepid={mode}: {opts!r}")
    return hook


def raw_attach(sock, tid):
    """The same request line for every tid; returns the raw reply line (str)."""
    line = json.dumps({"jsonrpc": "2.0", "id": REQ_ID, "method": "attach",
                       "params": {"tid": tid, "events": ["death"]}}) + "\n"
    sock.sendall(line.encode())
    buf = b""
    deadline = time.monotonic() + 10
    while b"\n" not in buf:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no reply to attach {tid}")
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("daemon closed the connection")
        buf += chunk
    return buf.split(b"\n", 1)[0].decode()


def normalize(raw, tid):
    """The raw reply with the tid number replaced where it stands for the tid: in data.tid and
    inside the message (nowhere else, so a code that equals the tid is left alone)."""
    obj = json.loads(raw)
    err = obj.get("error") or {}
    msg = err.get("message")
    out = raw
    if isinstance(msg, str):
        new = re.sub(rf"(?<![0-9]){tid}(?![0-9])", "<TID>", msg)
        out = out.replace(json.dumps(msg)[1:-1], json.dumps(new)[1:-1], 1)
    return re.sub(rf'"tid":\s*{tid}(?![0-9])', '"tid":"<TID>"', out)


def attack(sock_path, plain, targets, mode):
    """As the attacker (in its private /proc when mode is not None)."""
    out = {"mode": mode, "proc_options": proc_mount_options(), "view": {}, "raw": {}}
    for name, tid in targets.items():
        v = {"exists": os.path.exists(f"/proc/{tid}")}
        try:
            with open(f"/proc/{tid}/status") as f:
                f.read()
            v["status"] = "readable"
        except OSError as e:
            v["status"] = type(e).__name__
        out["view"][name] = v
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    try:
        for name, tid in targets.items():
            out["raw"][name] = raw_attach(s, tid)
    finally:
        s.close()
    # Positive control: its own process stays visible and traceable.
    p = subprocess.Popen([plain, "ids"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    conn = S.Conn(sock_path)
    try:
        p.stdout.readline()
        out["own_visible"] = os.path.exists(f"/proc/{p.pid}/status")
        r = conn.call("attach", {"tid": p.pid, "events": ["death"]})
        out["own_attach"] = r
        if S.code_of(r) == 0:
            out["own_detach"] = conn.call("control", {"engine": r["result"]["engine"],
                                                      "action": "detach"})
        out["own_stdout"] = p.communicate(b"q\n", timeout=10)[0].decode()
        out["own_exit"] = p.returncode
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        conn.close()
    return out


def find_kthread():
    for d in sorted(os.listdir("/proc"), key=lambda x: (len(x), x)):
        if not d.isdigit() or d == "1":
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                flags = int(f.read().rsplit(")", 1)[1].split()[6])
        except (OSError, ValueError, IndexError):
            continue
        if flags & PF_KTHREAD:
            return int(d)
    return None


def run_mode(suite, d, victims, user, targets, mode):
    case = mode or "baseline"
    try:
        res = S.run_as(user, attack, d.socket, victims.plain, targets, mode, timeout=60,
                       pre_drop=private_proc(mode) if mode else None)
    except S.AttackerError as e:
        suite.fail(case, "the attacker ran to the end", str(e))
        return
    opts = (res.get("proc_options") or "").split(",")
    view = res["view"]
    hidden = [n for n in targets if n != "missing"]
    if mode:
        suite.check(f"hidepid={mode}" in opts, case,
                    f"set-up: the attacker's /proc is mounted hidepid={mode}",
                    res.get("proc_options"))
        if mode == "noaccess":
            ok = all(view[n]["status"] != "readable" for n in hidden)
            what = "the targets' /proc/PID/status are not readable to the attacker"
        else:
            ok = all(not view[n]["exists"] for n in hidden)
            what = "the targets are invisible in the attacker's /proc"
        suite.check(ok, case, "set-up: " + what, view)
    else:
        suite.check(not any(o.startswith("hidepid=") and o not in ("hidepid=0", "hidepid=off")
                            for o in opts), case,
                    "set-up: the baseline attacker sees the host's /proc without hidepid",
                    res.get("proc_options"))
    raw = res["raw"]
    parsed = {n: json.loads(r) for n, r in raw.items()}
    norm = {n: normalize(raw[n], targets[n]) for n in raw}
    miss = parsed["missing"]
    merr = miss.get("error") or {}
    suite.check(merr.get("code") == S.ESRCH and
                merr.get("message") == f"no such thread {targets['missing']}" and
                merr.get("data") == {"errno": "ESRCH", "tid": targets["missing"]}, case,
                "a pid that does not exist: ESRCH (3), \"no such thread N\", data {errno, tid}",
                raw["missing"])
    if mode in ("invisible", "ptraceable"):
        for n in hidden:
            suite.check(norm[n] == norm["missing"], case,
                        f"attach to {n}: the reply is byte-identical to the nonexistent pid's "
                        "apart from the tid", {"reply": raw[n], "missing": raw["missing"]})
    elif mode == "noaccess":
        for n in hidden:
            err = parsed[n].get("error") or {}
            data = err.get("data") or {}
            msg = re.sub(rf"(?<![0-9]){targets[n]}(?![0-9])", "", err.get("message", ""))
            found = [w for w in DETAIL_WORDS if w in msg.lower()]
            suite.check(err.get("code") == S.EPERM and data.get("reason") == "hidden" and
                        set(data) <= {"errno", "tid", "reason"} and data.get("tid") == targets[n],
                        case, f"attach to {n}: EPERM (1), data.reason \"hidden\", data keys only "
                        "errno/tid/reason", raw[n])
            suite.check(not re.search(r"[0-9]", msg) and not found, case,
                        f"attach to {n}: the message names no ids and no rule",
                        {"message": err.get("message"), "found": found})
        first = hidden[0]
        for n in hidden[1:]:
            suite.check(norm[n] == norm[first], case,
                        f"attach to {n}: the same reply as for {first} apart from the tid",
                        {n: raw[n], first: raw[first]})
    else:
        err = parsed["root victim"].get("error") or {}
        suite.check(err.get("code") == S.EPERM and (err.get("data") or {}).get("reason") == "uid"
                    and norm["root victim"] != norm["missing"], case,
                    "without hidepid (the daemon read the client's /proc options) the root "
                    "victim is refused EPERM reason \"uid\", unlike a missing pid: the hidepid "
                    "cases are not vacuous", raw["root victim"])
    own = res.get("own_attach")
    suite.check(res.get("own_visible") and S.code_of(own) == 0 and
                S.code_of(res.get("own_detach")) == 0, case,
                "positive control: the attacker can attach to (and detach from) its own process",
                {"visible": res.get("own_visible"), "attach": own,
                 "detach": res.get("own_detach")})
    suite.check(res.get("own_exit") == 0 and "bye" in (res.get("own_stdout") or ""), case,
                "positive control: the attacker's own process ran unharmed (bye, exit 0)",
                {"exit": res.get("own_exit"), "stdout": res.get("own_stdout")})


def main():
    with S.Suite("hidepid") as suite:
        procs = []

        def stop_procs():
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        suite.add_cleanup(stop_procs)
        try:
            user = S.make_user(suite)
            other = S.make_user(suite)
            victims = S.Victims(suite, need_special=False)
            d = S.start_daemon(suite)
        except S.SetupError as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        rootv = subprocess.Popen([victims.plain, "ids"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE)
        procs.append(rootv)
        otherv = subprocess.Popen(["setpriv", f"--reuid={other.uid}", f"--regid={other.gid}",
                                   "--clear-groups", victims.plain, "ids"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        procs.append(otherv)
        rootv.stdout.readline()
        otherv.stdout.readline()
        targets = {"pid 1": 1, "root victim": rootv.pid, "another user's victim": otherv.pid}
        kt = find_kthread()
        if kt is not None:
            targets["kernel thread"] = kt
        else:
            suite.note("set-up", "no kernel thread visible in /proc: that target is left out")
        targets["missing"] = S.unused_pid()
        st1 = S.proc_status(1) or {}
        suite.check(st1.get("Uid", "").split()[:1] == ["0"], "set-up", "pid 1 runs as root",
                    st1.get("Uid"))
        suite.check(all(S.is_privileged_for(user.uid, user.gid, t) for n, t in targets.items()
                        if n != "missing"), "set-up",
                    "the attacker may not trace any of the targets (else the test proves "
                    "nothing)", targets)
        for mode in (None, "invisible", "ptraceable", "noaccess"):
            run_mode(suite, d, victims, user, targets, mode)
        for name, p in (("root victim", rootv), ("another user's victim", otherv)):
            tracer = (S.proc_status(p.pid) or {}).get("TracerPid")
            try:
                outp = p.communicate(b"q\n", timeout=10)[0].decode()
            except subprocess.TimeoutExpired:
                outp = "(timed out)"
            suite.check(tracer == "0" and p.returncode == 0 and "bye" in outp, "victims",
                        f"the {name} is not traced and ran unharmed (bye, exit 0)",
                        {"tracer": tracer, "exit": p.returncode, "stdout": outp})
        suite.check(S.daemon_alive(d), "hidepid", "the daemon is still running")
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
