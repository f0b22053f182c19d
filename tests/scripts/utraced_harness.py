"""Test harness for script-level tests: a private utraced on a temporary socket, tracee
processes, a raw JSON-lines client, and spawn_traced(): the client-side recipe that starts a
program traced from its first instruction (PROTOCOL.md, "Starting a program traced from its
first instruction"). Standard library only, as a script user would have."""
import collections
import ctypes
import errno as errno_mod
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

# The Python package in this repository (python/utrace): its HeldChild and seccomp filter are
# the one implementation of the recipe's fork side; the harness adds only what tests need.
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if os.path.join(_REPO, "python") not in sys.path:
    sys.path.insert(0, os.path.join(_REPO, "python"))
from utrace import spawn as _pkg_spawn  # noqa: E402


class Daemon:
    def __init__(self, binary, log_level="debug", args=(), wrapper=()):
        # wrapper: a command line the daemon is started under (e.g. setpriv ... --), optional
        self.dir = tempfile.mkdtemp(prefix="utraced-test-")
        self.socket = os.path.join(self.dir, "utraced.sock")
        self.log_path = os.path.join(self.dir, "daemon.log")
        self.proc = subprocess.Popen([*wrapper, binary, "--socket", self.socket, "--log-level", log_level,
                                      *args],
                                     stderr=open(self.log_path, "w"))
        deadline = time.time() + 10
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("utraced did not start:\n" + self.log())
            time.sleep(0.01)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self, keep_dir=False):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
        else:
            rc = self.proc.returncode
        if not keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        return rc


class Tracee:
    def __init__(self, binary, mode):
        self.proc = subprocess.Popen([binary, mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        assert line.startswith("ready "), line
        self.pid = self.proc.pid

    def write(self, text):
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()

    def status(self):
        """(state letter, TracerPid) from /proc, or None when gone."""
        try:
            fields = {}
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    k, v = line.split(":", 1)
                    fields[k] = v.strip()
            return fields["State"][0], int(fields["TracerPid"])
        except (FileNotFoundError, ProcessLookupError):
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


class Client:
    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.inbox = collections.deque()  # lines call() read past while waiting for its reply
        self.next_id = 1 << 40            # call()'s ids: far from the small ids tests choose

    def fileno(self):
        return self.sock.fileno()

    def send_line(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def send(self, obj):
        self.send_line(json.dumps(obj))

    def _read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("daemon closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def recv(self):
        """The next message: first those call() set aside, then from the socket."""
        if self.inbox:
            return self.inbox.popleft()
        return self._read()

    def call(self, method, params=None, timeout=None):
        """Sends a request and returns its whole reply (a dict with "result" or "error"). Other
        lines that arrive meanwhile (reports, events, notices, replies to send()) are kept, in
        order, for recv()."""
        self.next_id += 1
        i = self.next_id
        msg = {"jsonrpc": "2.0", "id": i, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        old = self.sock.gettimeout()
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            while True:
                m = self._read()
                if m.get("id") == i and "method" not in m:
                    return m
                self.inbox.append(m)
        finally:
            self.sock.settimeout(old)

    def close(self):
        self.sock.close()


def wait_for(pred, timeout=5.0, step=0.01):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


# ------------------------------------------------------------------------------------------
# Starting a program traced from its first instruction: the client-side recipe (PROTOCOL.md).
# The caller forks the program itself, so it keeps the caller's session, terminal, cwd, env,
# fds, cgroup, rlimits and credentials; the daemon attaches it (hold_at_exec) before it execs
# and holds it at its exec stop.

SPAWN_STEPS = _pkg_spawn.SPAWN_STEPS


class SpawnError(OSError):
    """The program could not be started traced. `step` is what failed: "attach" or "wait" (the
    daemon's error reply is in `reply`), or, in the child, "stdio", "chdir", "preexec", "exec".
    `errno` is the error number (the daemon's errno for attach/wait; EINVAL for a -32602)."""

    def __init__(self, step, err, reply=None):
        name = errno_mod.errorcode.get(err, str(err))
        why = (reply or {}).get("error", {}).get("message") or os.strerror(err)
        super().__init__(err, f"cannot start the program: {step} failed: {name}: {why}")
        self.step = step
        self.reply = reply


class HeldChild(_pkg_spawn.HeldChild):
    """Steps 1-2 of the recipe (python/utrace/spawn.py's HeldChild, the one implementation): a
    forked child that waits for go() and then execs argv; a failure comes back as (step, errno)
    on a close-on-exec pipe. close: fds the child closes at once (the daemon connection: a
    parent that disconnects before the exec must really disconnect)."""

    def exec_result(self):
        """After go(): None when the exec succeeded, else (step name, errno). Blocks until the
        child has exec'd or failed."""
        while True:
            r = self.poll_exec(timeout=3600)
            if r is not None:
                return None if r is True else r


def _proc_state(pid):
    """The state letter of /proc/PID/stat ("X" when it cannot be read: gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"


def _read_more(client, seconds):
    """Reads into client.inbox what arrives within `seconds` (Client or seclib.Conn)."""
    if hasattr(client, "read_some"):
        client.read_some(seconds)
        return
    old = client.sock.gettimeout()
    client.sock.settimeout(seconds)
    try:
        while True:
            client.inbox.append(client._read())
    except (TimeoutError, socket.timeout, BlockingIOError):
        pass
    finally:
        client.sock.settimeout(old)


def _reply_errno(reply):
    code = (reply or {}).get("error", {}).get("code", 0)
    return code if code > 0 else errno_mod.EINVAL


def spawn_traced(client, argv, attach_params=None, env=None, cwd=None, stdin=None, stdout=None,
                 stderr=None, preexec=None, timeout_ms=10000, child=None):
    """Starts argv traced from its first instruction (the whole recipe): fork a child that
    waits, attach {"pid", "scope":"process", "hold_at_exec":true, **attach_params}, let it exec,
    and `wait` until the engine holds it at its exec stop. Returns (engine, pid): the program
    is held before its first instruction; attach more engines now if wanted, then
    `control {"engine": engine, "action": "resume"}`. The caller is its real parent and reaps
    it (os.waitpid). Raises SpawnError (step, errno) and leaves no child behind.

    client: anything with call(method, params, timeout=) returning the reply, fileno() and an
    inbox (utraced_harness.Client, seclib.Conn). With a sync engine that asked for `exec`, the
    exec report is waiting in the client's inbox: answer it "stop" to keep the program held
    (any other action lets it go, as a reply to any later report releases a hold), then
    `control resume` when ready. A child that dies before its exec is SpawnError("wait",
    ESRCH); its death/reap reports stay in the inbox.
    env: a dict (the whole environment) or None for ours; preexec: called in the child just
    before the exec (e.g. seccomp_preexec(...)); child: a HeldChild made by the caller."""
    if child is None:
        child = HeldChild(argv, env=env, cwd=cwd, stdin=stdin, stdout=stdout, stderr=stderr,
                          preexec=preexec, close=(client.fileno(),))
    params = {"scope": "process", **(attach_params or {}), "pid": child.pid,
              "hold_at_exec": True}
    try:
        r = client.call("attach", params)
    except BaseException:
        child.give_up()
        raise
    if "error" in r:
        child.give_up()
        raise SpawnError("attach", _reply_errno(r), r)
    engine = r["result"]["engine"]
    child.go()
    failed = child.exec_result()
    if failed is not None:
        child.wait()  # it exits 127 by itself; the engine goes with its reap
        raise SpawnError(failed[0], failed[1])
    # "report" is the exec report (the program is held), unless the child died before its exec
    # and the engine asked for death, reap or exit: then that report came first, or, for a sync
    # engine, even before the wait itself (which then waits for a next report that never
    # comes): wait in slices and look for it in between. (The daemon may send the wait's reply
    # just before the report that ended it: a moment's more input is read after a "report".)
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        left = max(0, int((deadline - time.monotonic()) * 1000))
        w = client.call("wait", {"engine": engine, "timeout_ms": min(left, 500)},
                        timeout=min(left, 500) / 1000 + 10)
        if w.get("result", {}).get("reason") == "report":
            _read_more(client, 0.05)
        died = [m for m in getattr(client, "inbox", ())
                if (m.get("params") or {}).get("engine") == engine and
                (m.get("params") or {}).get("event") in ("exit", "death", "reap")]
        if died or (w.get("result") and _proc_state(child.pid) in "ZX"):
            child.give_up()
            raise SpawnError("wait", errno_mod.ESRCH, {"error": {
                "code": errno_mod.ESRCH, "message": "the program died before its exec",
                "data": {"errno": "ESRCH", "death": died[0].get("params") if died else None}}})
        if any((m.get("params") or {}).get("engine") == engine and
               (m.get("params") or {}).get("event") == "exec"
               for m in getattr(client, "inbox", ())):
            break  # at its exec stop: held (a sync engine's exec report waits in the inbox)
        if (w.get("error") or {}).get("code") == errno_mod.ETIMEDOUT and left > 500:
            continue
        break
    if "error" in w and not any((m.get("params") or {}).get("engine") == engine and
                                (m.get("params") or {}).get("event") == "exec"
                                for m in getattr(client, "inbox", ())):
        child.give_up()
        raise SpawnError("wait", _reply_errno(w), w)
    child.close()
    return engine, child.pid


def set_dumpable():
    """prctl(PR_SET_DUMPABLE, 1). A process that changed its uids (a test's child that became a
    throw-away user with setuid) is not dumpable, and neither are the children it forks until
    they exec: neither the kernel nor the daemon lets anyone but root trace them, so its
    hold_at_exec attach on its own child is EPERM ("dumpable"). A user's ordinary process (a
    shell, a program that exec'd) is dumpable; this makes the test's child like one."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0),
                  ctypes.c_ulong(0)) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE)")


def seccomp_preexec(syscall_nrs):
    """A preexec for HeldChild/spawn_traced that installs a seccomp filter returning
    SECCOMP_RET_TRACE for exactly these syscalls and ALLOW for all others (what attach
    {"seccomp": true, "syscalls": [the same]} promises the daemon): the package's
    seccomp_filter, built before the fork."""
    return _pkg_spawn.seccomp_filter(syscall_nrs)
