"""Shared set-up for the security suite (tests/security): throw-away users, victim binaries
(set-uid, set-gid, file capabilities) built at test time, a daemon on a temporary socket (under
$UTRACED_DAEMON_WRAPPER when set, e.g. setpriv with the unit's capability set), and an attacker
that runs as the throw-away user (fork, setgroups([]), setgid, setuid) and speaks raw JSON lines.

Standard library only. Everything created is removed in teardown, also on failure: use

    with Suite("name") as s:
        ...
    (exit code from s.exit_code())

A case that cannot be set up FAILS (never skips): a suite whose cases all skip must not pass.
"""
import base64
import json
import os
import pwd
import random
import select
import shlex
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
import utraced_harness as H  # noqa: E402

ESRCH, EPERM, EINVAL, EINPROGRESS = 3, 1, 22, 115


class SetupError(Exception):
    pass


def wrapper_from_env():
    return shlex.split(os.environ.get("UTRACED_DAEMON_WRAPPER", ""))


def confined():
    return bool(wrapper_from_env())


def _sigterm(signo, frame):
    raise SystemExit(f"killed by signal {signo} (meson timeout?)")


class Suite:
    """Per-file bookkeeping: PASS/FAIL lines, cleanup stack run in reverse, exit code."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.passes = 0
        self.cleanups = []
        self.notes = []
        self.start = time.monotonic()
        signal.signal(signal.SIGTERM, _sigterm)
        signal.signal(signal.SIGINT, _sigterm)
        if os.geteuid() != 0:
            self.fail("set-up", "the security suite must run as root (it creates users and "
                      "set-uid programs)")

    # -- reporting
    def check(self, cond, case, what, detail=None):
        if cond:
            self.passes += 1
            print(f"PASS [{case}] {what}", flush=True)
        else:
            self.failures.append(f"[{case}] {what}")
            print(f"FAIL [{case}] {what}" + (f"\n     detail: {detail}" if detail is not None
                                                else ""), flush=True)
        return cond

    def fail(self, case, what, detail=None):
        return self.check(False, case, what, detail)

    def note(self, case, text):
        self.notes.append(f"[{case}] {text}")
        print(f"NOTE [{case}] {text}", flush=True)

    def add_cleanup(self, fn):
        self.cleanups.append(fn)

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is not None and et is not SystemExit:
            self.fail("suite", f"unexpected exception {et.__name__}: {ev}",
                      "".join(traceback.format_exception(et, ev, tb)))
        elif et is SystemExit:
            self.fail("suite", f"interrupted: {ev}")
        while self.cleanups:
            fn = self.cleanups.pop()
            try:
                fn()
            except Exception as e:  # keep cleaning
                print(f"cleanup error: {e!r}", flush=True)
        return True  # exit code comes from exit_code()

    def exit_code(self):
        took = time.monotonic() - self.start
        mode = "confined (" + " ".join(wrapper_from_env()) + ")" if confined() else "unconfined"
        print(f"== {self.name} [{mode}]: {self.passes} passed, {len(self.failures)} failed, "
              f"{took:.1f} s", flush=True)
        for f in self.failures:
            print("   failed: " + f, flush=True)
        if self.passes == 0 and not self.failures:
            print("   nothing was checked: counts as a failure", flush=True)
            return 1
        return 1 if self.failures else 0


# ------------------------------------------------------------------------------- users

class User:
    def __init__(self, name):
        pw = pwd.getpwnam(name)
        self.name, self.uid, self.gid = name, pw.pw_uid, pw.pw_gid


def make_user(suite):
    if not shutil.which("useradd") or not shutil.which("userdel"):
        raise SetupError("useradd/userdel not found (passwd package)")
    name = "utr-sec-" + "".join(random.choice(string.ascii_lowercase + string.digits)
                                for _ in range(8))
    r = subprocess.run(["useradd", "-M", "-U", "-s", "/usr/sbin/nologin", name],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SetupError(f"useradd {name} failed ({r.returncode}): {r.stderr.strip()}")
    user = User(name)
    suite.add_cleanup(lambda: remove_user(user))
    return user


def _pids_of_uid(uid):
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if uid in [int(x) for x in line.split()[1:]]:
                            pids.append(int(d))
                        break
        except OSError:
            pass
    return pids


def remove_user(user):
    # Only processes of this throw-away user (all started by this test) are left: kill them
    # by pid so that userdel does not refuse.
    for _ in range(50):
        pids = [p for p in _pids_of_uid(user.uid) if p != os.getpid()]
        if not pids:
            break
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)
    r = subprocess.run(["userdel", "-r", user.name], capture_output=True, text=True)
    try:
        pwd.getpwnam(user.name)
        print(f"cleanup: userdel {user.name} failed: {r.stderr.strip()}", flush=True)
    except KeyError:
        pass
    subprocess.run(["groupdel", user.name], capture_output=True)


# ------------------------------------------------------------------------------- victims

def _nosuid(path):
    r = subprocess.run(["findmnt", "-no", "OPTIONS", "--target", path], capture_output=True,
                       text=True)
    if r.returncode != 0:
        return True
    return "nosuid" in r.stdout.split(",") or "nosuid" in r.stdout.strip().split(",")


def _reachable_by_others(path):
    p = os.path.abspath(path)
    while True:
        st = os.stat(p)
        if not (st.st_mode & 0o001):
            return False
        if p == "/":
            return True
        p = os.path.dirname(p)


def pick_dir(suite):
    """A fresh 0755 directory, reachable by every user, on a filesystem without nosuid."""
    cands = [os.environ.get("UTRACED_SECURITY_DIR"), "/var/tmp",
             os.environ.get("UTRACED_BUILD_ROOT"), "/tmp"]
    tried = []
    for c in cands:
        if not c or not os.path.isdir(c):
            continue
        if _nosuid(c):
            tried.append(f"{c} (nosuid)")
            continue
        if not _reachable_by_others(c):
            tried.append(f"{c} (not searchable by others)")
            continue
        d = tempfile.mkdtemp(prefix="utr-sec-", dir=c)
        os.chmod(d, 0o755)
        suite.add_cleanup(lambda d=d: shutil.rmtree(d, ignore_errors=True))
        return d
    raise SetupError("no directory for set-uid programs: " + ", ".join(tried))


class Victims:
    """victim.c compiled into DIR: plain (0755), suid (root 4755), sgid (root:root 2755),
    fcap (cap_dac_override+ep). DIR/protected is a root-only-writable 0755 directory: files an
    attacker tries to create as root go there."""

    def __init__(self, suite, need_special=True):
        self.dir = pick_dir(suite)
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise SetupError("no C compiler (cc)")
        self.plain = os.path.join(self.dir, "victim")
        r = subprocess.run([cc, "-O1", "-Wall", "-pthread", "-o", self.plain,
                            os.path.join(HERE, "victim.c")], capture_output=True, text=True)
        if r.returncode != 0:
            raise SetupError("cc victim.c failed: " + r.stderr)
        os.chmod(self.plain, 0o755)
        self.protected = os.path.join(self.dir, "protected")
        os.mkdir(self.protected)
        os.chmod(self.protected, 0o755)
        if not need_special:
            return
        self.suid = self._copy("suid", 0o4755)
        self.sgid = self._copy("sgid", 0o2755)
        self.fcap = self._copy("fcap", 0o755)
        if not shutil.which("setcap"):
            raise SetupError("setcap not found (Debian package libcap2-bin; "
                             "scripts/install-deps.sh installs it)")
        r = subprocess.run(["setcap", "cap_dac_override+ep", self.fcap], capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise SetupError("setcap failed: " + r.stderr)

    def _copy(self, name, mode):
        p = os.path.join(self.dir, name)
        shutil.copyfile(self.plain, p)
        os.chown(p, 0, 0)
        os.chmod(p, mode)
        return p

    def by_kind(self, kind):
        return {"suid": self.suid, "sgid": self.sgid, "fcap": self.fcap}[kind]


def parse_ids(text):
    """The victim's 'ids ...' line as a dict of ints (capeff as int), or None."""
    for line in text.splitlines():
        if line.startswith("ids "):
            out = {}
            for kv in line.split()[1:]:
                k, v = kv.split("=", 1)
                out[k] = int(v, 16) if k == "capeff" else int(v)
            return out
    return None


def privileged_ids(ids, kind):
    if ids is None:
        return False
    return {"suid": ids["euid"] == 0, "sgid": ids["egid"] == 0,
            "fcap": ids["capeff"] != 0}[kind]


def sanity_check_victims(suite, victims, user):
    """Without any tracer, the special programs really gain their privilege when the user runs
    them (else the exec attacks would prove nothing)."""
    def run_all(v):
        out = {}
        for kind in ("suid", "sgid", "fcap"):
            r = subprocess.run([v[kind], "ids"], input=b"q\n", capture_output=True, timeout=10)
            out[kind] = [r.returncode, r.stdout.decode()]
        return out
    res = run_as(user, run_all, {"suid": victims.suid, "sgid": victims.sgid,
                                 "fcap": victims.fcap})
    ok = True
    for kind in ("suid", "sgid", "fcap"):
        rc, text = res[kind]
        ids = parse_ids(text)
        good = rc == 0 and privileged_ids(ids, kind) and ids["ruid"] == user.uid
        ok &= suite.check(good, "set-up", f"untraced, the {kind} victim gains its privilege "
                          "when the test user runs it", text)
    if not ok:
        raise SetupError("victim programs do not gain privilege (nosuid? no file caps?)")


# ------------------------------------------------------------------------------- daemon

def daemon_binary():
    return os.environ.get("UTRACED_BIN") or sys.argv[1]


def start_daemon(suite, args=(), extra_wrapper=(), log_level="info"):
    wrapper = wrapper_from_env() + list(extra_wrapper)
    try:
        d = H.Daemon(daemon_binary(), log_level=log_level, args=list(args), wrapper=wrapper)
    except RuntimeError as e:
        raise SetupError(str(e))

    def stop():
        rc = d.stop(keep_dir=False)
        if rc != 0:
            print(f"note: daemon exited {rc}", flush=True)
    suite.add_cleanup(stop)
    os.chmod(d.dir, 0o755)  # the attacker must reach the socket (it is 0666 itself)
    d.pid = d.proc.pid
    if wrapper:
        st = proc_status(d.pid) or {}
        print(f"note: daemon pid {d.pid} under {' '.join(wrapper)}: CapBnd {st.get('CapBnd')} "
              f"CapEff {st.get('CapEff')} NoNewPrivs {st.get('NoNewPrivs')}", flush=True)
    return d


def daemon_alive(d):
    """The daemon process runs and a fresh connection gets `hello` answered within 5 s."""
    if d.proc.poll() is not None:
        return False
    try:
        c = Conn(d.socket, timeout=5)
        try:
            ok = code_of(c.call("hello", {"client": "liveness"}, timeout=5)) == 0
        finally:
            c.close()
    except (OSError, EOFError, TimeoutError, ValueError):
        ok = False
    return ok and d.proc.poll() is None


def proc_status(pid, tid=None):
    path = f"/proc/{pid}/status" if tid is None else f"/proc/{pid}/task/{tid}/status"
    try:
        out = {}
        with open(path) as f:
            for line in f:
                k, v = line.split(":", 1)
                out[k] = v.strip()
        return out
    except (OSError, ValueError):
        return None


def rss_kib(pid):
    st = proc_status(pid) or {}
    return int(st.get("VmRSS", "0 kB").split()[0])


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def is_privileged_for(uid, gid, pid, tid=None):
    """Would the kernel refuse `uid:gid` (no capabilities) to ptrace this thread? True when its
    uids or gids are not all the attacker's, or it has permitted capabilities. None if gone."""
    st = proc_status(pid, tid)
    if st is None:
        return None
    uids = [int(x) for x in st["Uid"].split()[:3]]
    gids = [int(x) for x in st["Gid"].split()[:3]]
    return any(u != uid for u in uids) or any(g != gid for g in gids) or \
        int(st["CapPrm"], 16) != 0


# ------------------------------------------------------------------------------- attacker

def run_as(user, fn, *args, timeout=120, pre_drop=None):
    """Run fn(*args) in a forked child that has become `user` (no supplementary groups), in
    its own process group; returns fn's JSON-able result. Everything the child started is
    killed (process group) when it is done or times out.

    pre_drop (optional): called with no arguments in the child, still root, just before it
    drops its privileges (e.g. to enter a private mount namespace); if it raises, run_as raises
    AttackerError with its traceback and fn is not run."""
    sys.stdout.flush()
    sys.stderr.flush()
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(rfd)
            os.setpgid(0, 0)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            if pre_drop is not None:
                try:
                    pre_drop()
                except BaseException as e:
                    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
                    with os.fdopen(wfd, "wb") as w:
                        w.write(json.dumps({"exception": "pre_drop (as root): " + tb}).encode())
                    os._exit(1)
            os.setgroups([])
            os.setgid(user.gid)
            os.setuid(user.uid)
            os.chdir("/")
            try:
                res = {"ok": fn(*args)}
            except BaseException as e:
                res = {"exception": "".join(traceback.format_exception(type(e), e,
                                                                       e.__traceback__))}
            data = json.dumps(res).encode()
            with os.fdopen(wfd, "wb") as w:
                w.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(wfd)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass
    chunks = []
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            r, _, _ = select.select([rfd], [], [], left)
            if not r:
                continue
            b = os.read(rfd, 65536)
            if not b:
                break
            chunks.append(b)
    finally:
        os.close(rfd)
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        os.waitpid(pid, 0)
    if timed_out:
        raise AttackerError(f"attacker timed out after {timeout} s")
    try:
        res = json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        raise AttackerError("attacker sent no result")
    if "exception" in res:
        raise AttackerError("attacker raised:\n" + res["exception"])
    if "ok" not in res:
        raise AttackerError("attacker died without a result")
    return res["ok"]


class AttackerError(Exception):
    pass


class Conn:
    """A raw JSON-lines client with an inbox: replies are kept by id, daemon requests and
    notifications (report, event, notice) are queued in `inbox` for the caller to handle."""

    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.replies = {}
        self.inbox = []
        self.notices = []
        self.next_id = 1000
        self.timeout = timeout

    def fileno(self):
        return self.sock.fileno()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def _take_lines(self):
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            if not line.strip():
                continue
            m = json.loads(line)
            if "method" in m:
                if m["method"] == "notice":
                    self.notices.append(m.get("params", {}))
                self.inbox.append(m)
            else:
                self.replies[m.get("id")] = m

    def read_some(self, timeout):
        """Read what arrives within timeout (0: only what is ready). False on EOF."""
        r, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not r:
            return True
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            return False
        self.buf += chunk
        self._take_lines()
        return True

    def call(self, method, params=None, timeout=None):
        self.next_id += 1
        i = self.next_id
        msg = {"jsonrpc": "2.0", "id": i, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        deadline = time.monotonic() + (timeout or self.timeout)
        while i not in self.replies:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply to {method}")
            if not self.read_some(left):
                raise EOFError("daemon closed the connection")
        return self.replies.pop(i)

    def answer(self, report, result):
        self.send({"jsonrpc": "2.0", "id": report["id"], "result": result})

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def code_of(reply):
    if reply is None:
        return None
    if "error" in reply:
        return reply["error"].get("code")
    return 0


class LineReader:
    """Non-blocking line reader on a subprocess's stdout."""

    def __init__(self, f):
        self.fd = f.fileno()
        os.set_blocking(self.fd, False)
        self.text = ""
        self.eof = False

    def poll(self):
        while not self.eof:
            try:
                b = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            if not b:
                self.eof = True
                return
            self.text += b.decode(errors="replace")

    def wait_for(self, pred, timeout, pump=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            if pred(self.text):
                return True
            if pump:
                pump(0.02)
            else:
                select.select([self.fd], [], [], 0.02)
        self.poll()
        return pred(self.text)


def b64(data):
    return base64.b64encode(data).decode()


def b64d(text):
    return base64.b64decode(text)


# ------------------------------------------------------------------------------- victims

def send_line(p, line):
    """Writes a line to a victim's stdin; a victim that is gone already is not an error (the
    test reports how it ended)."""
    try:
        p.stdin.write(line + b"\n")
        p.stdin.flush()
    except BrokenPipeError:
        pass


def finish_victim(p, rd, pump, out):
    """Lets a `victim ids`-style program open its file (the injection point an attacker would
    rewrite) and quit, pumping the connection meanwhile; records its exit code and stdout in
    out["exit"], out["stdout"]."""
    send_line(p, b"o")
    rd.wait_for(lambda t: "opened" in t, 5, pump=pump)
    send_line(p, b"q")
    deadline = time.monotonic() + 15
    while p.poll() is None and time.monotonic() < deadline:
        pump(0.02)
    rd.wait_for(lambda t: False, 0.2, pump=pump)
    out["exit"] = p.poll()
    out["stdout"] = rd.text


# Starting a program traced from its first instruction: the client-side recipe of PROTOCOL.md
# (fork, hold_at_exec attach, go, wait), written once in tests/scripts/utraced_harness.py.
# Conn has the call()/fileno() spawn_traced needs. An attacker made with run_as (setuid from
# root) is not dumpable, nor are its children before their exec: call set_dumpable() first,
# as a user's ordinary (exec'd) process would be.
spawn_traced = H.spawn_traced
HeldChild = H.HeldChild
SpawnError = H.SpawnError
seccomp_preexec = H.seccomp_preexec
set_dumpable = H.set_dumpable


def daemon_children(pid):
    """The daemon's child processes (it should have none: it starts no programs)."""
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_status(int(d)) or {}
            if st.get("PPid") == str(pid):
                kids.append(int(d))
    return kids


def unused_pid():
    """A pid no process has now (for "attach to a pid that does not exist")."""
    maxpid = int(open("/proc/sys/kernel/pid_max").read())
    for p in range(maxpid - 1, 1, -1):
        if not os.path.exists(f"/proc/{p}"):
            return p
    return 2 ** 22 + 1
