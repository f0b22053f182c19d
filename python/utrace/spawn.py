"""Starting a program traced from its first instruction: the client side of PROTOCOL.md's
recipe ("Starting a program traced from its first instruction").

The caller forks the program itself (:class:`HeldChild`), so it is the caller's child with the
caller's session, terminal, cwd, environment, fds, cgroup, rlimits and credentials; the daemon
attaches it with ``hold_at_exec`` before it execs and holds it at its exec stop.
:meth:`utrace.Client.spawn` and :meth:`utrace.aio.Client.spawn` run the whole recipe; this
module has the parts that do not talk to the daemon.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno as _errno
import os
import select
import signal as _signal
import struct
import time
import weakref
from typing import (IO, Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence,
                    Set, Tuple, Union)

__all__ = ["Program", "ProgramBase", "HeldChild", "SPAWN_STEPS", "seccomp_filter", "syscall_number"]

SPAWN_STEPS = ("stdio", "chdir", "preexec", "exec")

FileArg = Union[None, int, IO[Any]]


def _fd_of(f: FileArg) -> Optional[int]:
    if f is None or isinstance(f, int):
        return f
    return f.fileno()


# Every open client connection of this process: a HeldChild closes them all in the child (a
# parent that disconnects before the exec must really be gone, whichever connection it used).
_connections: "weakref.WeakSet[Any]" = weakref.WeakSet()


def register_connection(obj: Any) -> None:
    """Records an object with ``fileno()`` (a client) whose fd children must close."""
    _connections.add(obj)


def _connection_fds() -> List[int]:
    fds = []
    for c in list(_connections):
        try:
            fd = c.fileno()
        except Exception:
            continue
        if isinstance(fd, int) and fd >= 0:
            fds.append(fd)
    return fds


class HeldChild:
    """Steps 1-2 of the recipe: a forked child that waits for :meth:`go` and then execs argv
    (looked up in ``PATH`` like ``execvp``: the ``PATH`` of ``env``, or ours).

    The child reports a failure as 8 bytes (step index, errno) on a close-on-exec pipe; EOF on
    it means the exec happened. If the parent gives up (closes the go pipe, or dies) the child
    exits 127 without exec'ing. It closes every utrace connection of this process at once.
    ``stdin``/``stdout``/``stderr``: fds or objects with ``fileno()`` that become its fds 0-2.
    ``preexec``: called in the child just before the exec (e.g. the seccomp filter).
    """

    # The parent's ends of every HeldChild's pipes still open: a later child closes them, or
    # it would keep an earlier child's go pipe open (that child would never see its parent
    # give up).
    _parent_ends: Set[int] = set()

    def __init__(self, argv: Sequence[Union[str, bytes, os.PathLike]],
                 env: Optional[Mapping[str, str]] = None,
                 cwd: Union[str, bytes, os.PathLike, None] = None,
                 stdin: FileArg = None, stdout: FileArg = None, stderr: FileArg = None,
                 preexec: Optional[Callable[[], None]] = None,
                 close: Iterable[int] = ()) -> None:
        if isinstance(argv, (str, bytes)):
            raise TypeError("argv is a list of strings (the program and its arguments), "
                            f"not {argv!r}")
        if not argv:
            raise ValueError("argv is empty: nothing to start")
        # Everything the child needs is built before the fork.
        args = [os.fsencode(a) for a in argv]
        envb = None if env is None else {os.fsencode(k): os.fsencode(v) for k, v in env.items()}
        cwdb = None if cwd is None else os.fsencode(cwd)
        stdio = [(_fd_of(f), n) for n, f in enumerate((stdin, stdout, stderr))]
        closing = tuple(close) + tuple(_connection_fds())
        go_r, self._go_w = os.pipe2(os.O_CLOEXEC)
        self._err_r, err_w = os.pipe2(os.O_CLOEXEC)
        others = tuple(HeldChild._parent_ends)
        pid = os.fork()
        if pid == 0:  # the child: only os calls until the exec; it never returns
            step = 0
            try:
                os.close(self._go_w)
                os.close(self._err_r)
                for fd in (*closing, *others):
                    try:
                        os.close(fd)
                    except OSError:
                        pass
                if os.read(go_r, 1) != b"g":
                    os._exit(127)  # the parent gave up: run nothing
                for fd, n in stdio:
                    if fd is not None and fd != n:
                        os.dup2(fd, n)
                    elif fd is not None:
                        os.set_inheritable(n, True)
                step = 1
                if cwdb is not None:
                    os.chdir(cwdb)
                step = 2
                # Python ignores SIGPIPE and SIGXFSZ; an ignored signal stays ignored across
                # exec, so give the program the defaults, as subprocess does.
                _signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)
                _signal.signal(_signal.SIGXFSZ, _signal.SIG_DFL)
                if preexec is not None:
                    preexec()
                step = 3
                if envb is None:
                    os.execvp(args[0], args)
                else:
                    os.execvpe(args[0], args, envb)
            except OSError as e:
                err = e.errno or _errno.EINVAL
            except BaseException:
                err = _errno.EINVAL
            try:
                os.write(err_w, struct.pack("ii", step, err))
            finally:
                os._exit(127)
        self.pid: int = pid
        os.close(go_r)
        os.close(err_w)
        HeldChild._parent_ends.update((self._go_w, self._err_r))
        self.status: Optional[int] = None
        self._err_data = b""

    def go(self) -> None:
        """Lets the child exec (step 4)."""
        if self._go_w is not None:
            try:
                os.write(self._go_w, b"g")
            finally:
                self._close("_go_w")

    def poll_exec(self, timeout: float = 0.0) -> Union[None, bool, Tuple[str, int]]:
        """After :meth:`go`: ``None`` while nothing is known yet (waits up to ``timeout``
        seconds), ``True`` once the exec happened (EOF on the error pipe; or the child died
        without a word), else ``(step, errno)`` of the failure."""
        if self._err_r is None:
            return True
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._err_r], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._err_r, 8 - len(self._err_data))
            if not chunk:
                self._close("_err_r")
                return True
            self._err_data += chunk
            if len(self._err_data) == 8:
                self._close("_err_r")
                step, err = struct.unpack("ii", self._err_data)
                return (SPAWN_STEPS[step] if 0 <= step < len(SPAWN_STEPS) else "exec"), err

    def give_up(self) -> None:
        """Kills the child (it never exec'd, or must not run on) and reaps it; once reaped,
        only closes the pipes (the pid may be another process's by now)."""
        if self.status is None:
            try:
                os.kill(self.pid, _signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait()
        self.close()

    def wait(self) -> int:
        """``waitpid``: the wait status."""
        if self.status is None:
            while True:
                try:
                    self.status = os.waitpid(self.pid, 0)[1]
                    break
                except InterruptedError:
                    continue
        return self.status

    def _close(self, name: str) -> None:
        fd = getattr(self, name)
        if fd is not None:
            HeldChild._parent_ends.discard(fd)
            setattr(self, name, None)
            os.close(fd)

    def close(self) -> None:
        """Closes the parent's pipe ends."""
        self._close("_go_w")
        self._close("_err_r")


def proc_state(pid: int) -> str:
    """The state letter of ``/proc/PID/stat`` (``"X"`` when it cannot be read: gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"


class ProgramBase:
    """What :class:`Program` and :class:`utrace.aio.Program` share: a program started by
    ``spawn``, the caller's own child, to be reaped by the caller (``wait``). Usable where a
    pid is (``int(program)``, ``os.kill(program, sig)``).

    Attributes:
        pid: its process id.
        argv: what was started.
        returncode: ``None`` while it runs, then its exit code, or ``-SIGNAL`` when a signal
            killed it (as :class:`subprocess.Popen`).
        status: the raw wait status once reaped.
        untraced: True when the daemon took its engine away at the exec (a set-uid, set-gid
            or file-capability program the caller may not trace): it runs unheld, untraced.
    """

    def __init__(self, pid: int, argv: Sequence[Any], untraced: bool = False) -> None:
        self.pid: int = pid
        self.argv: List[Any] = list(argv)
        self.status: Optional[int] = None
        self.returncode: Optional[int] = None
        self.untraced: bool = untraced

    def __int__(self) -> int:
        return self.pid

    def __index__(self) -> int:
        return self.pid

    def __repr__(self) -> str:
        return f"<Program pid={self.pid} argv={self.argv!r} returncode={self.returncode}>"

    def _reaped(self, status: int) -> int:
        self.status = status
        self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self) -> Optional[int]:
        """Reaps it if it has exited; its :attr:`returncode` (``None`` while it runs)."""
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return self.returncode
            if pid == self.pid:
                self._reaped(status)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        """Sends a signal, unless it has been reaped already (its pid may be another's)."""
        if self.returncode is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        """``SIGKILL`` (unless reaped)."""
        self.send_signal(_signal.SIGKILL)

    def terminate(self) -> None:
        """``SIGTERM`` (unless reaped)."""
        self.send_signal(_signal.SIGTERM)


class Program(ProgramBase):
    """A program started by :meth:`utrace.Client.spawn` (see :class:`ProgramBase`), with a
    blocking :meth:`wait`."""

    def wait(self, timeout: Optional[float] = None) -> int:
        """Waits for it to end and reaps it; its :attr:`returncode`. With ``timeout``
        (seconds), raises ``TimeoutError`` if it still runs then."""
        if self.returncode is not None:
            return self.returncode
        if timeout is None:
            while True:
                try:
                    return self._reaped(os.waitpid(self.pid, 0)[1])
                except InterruptedError:
                    continue
        deadline = time.monotonic() + timeout
        delay = 0.001
        while self.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"program {self.pid} still runs after {timeout} s")
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)
        assert self.returncode is not None
        return self.returncode


# --- seccomp (x86-64 only, like the daemon), with ctypes -------------------------------------

SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_TRACE = 0x7FF00000
SECCOMP_RET_ALLOW = 0x7FFF0000
AUDIT_ARCH_X86_64 = 0xC000003E
PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_SET_NO_NEW_PRIVS = 22, 2, 38


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


_libseccomp: Any = None


def syscall_number(name: Union[str, int]) -> int:
    """The x86-64 number of a syscall name (libseccomp's names, through ``libseccomp.so.2``
    with ctypes, as the daemon uses them); an int is returned as it is. Raises ``ValueError``
    for an unknown name, or when libseccomp is missing (pass numbers then)."""
    global _libseccomp
    if isinstance(name, int) and not isinstance(name, bool):
        if not 0 <= name < 1024:
            raise ValueError(f"syscall number {name} out of range")
        return name
    if not isinstance(name, str) or not name:
        raise ValueError(f"a syscall name or number, not {name!r}")
    if _libseccomp is None:
        path = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            raise ValueError(f"cannot resolve syscall name {name!r}: libseccomp is not "
                             "installed (give syscall numbers instead)") from None
        lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
        _libseccomp = lib
    nr = _libseccomp.seccomp_syscall_resolve_name(name.encode())
    if nr < 0:
        raise ValueError(f"unknown syscall {name!r}")
    return int(nr)


def seccomp_filter(syscalls: Iterable[Union[str, int]]) -> Callable[[], None]:
    """A ``preexec`` for :class:`HeldChild` that installs a seccomp filter returning
    ``SECCOMP_RET_TRACE`` for exactly these syscalls (names or numbers, 1 to 255) and ALLOW
    for all others: what ``attach {"seccomp": true, "syscalls": [...]}`` promises the daemon.
    Built now, before the fork; the child only makes two ``prctl`` calls (``no_new_privs``,
    then the filter)."""
    nrs = sorted({syscall_number(s) for s in syscalls})
    if not 0 < len(nrs) < 256:
        raise ValueError("seccomp_syscalls: 1 to 255 syscalls")
    ld_w_abs, jeq_k, ret_k = 0x20, 0x15, 0x06
    insns = [(ld_w_abs, 0, 0, 4),                        # seccomp_data.arch
             (jeq_k, 1, 0, AUDIT_ARCH_X86_64),
             (ret_k, 0, 0, SECCOMP_RET_KILL_PROCESS),
             (ld_w_abs, 0, 0, 0)]                        # seccomp_data.nr
    insns += [(jeq_k, len(nrs) - k, 0, nr) for k, nr in enumerate(nrs)]
    insns += [(ret_k, 0, 0, SECCOMP_RET_ALLOW), (ret_k, 0, 0, SECCOMP_RET_TRACE)]
    table = (_SockFilter * len(insns))(*[_SockFilter(*i) for i in insns])
    prog = _SockFprog(len(insns), table)
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong,
                      ctypes.c_ulong]
    prog_addr = ctypes.addressof(prog)

    def install() -> None:
        keep = (table, prog)  # noqa: F841  (alive until the exec)
        if prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0 or \
                prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog_addr, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    return install


def spawn_attach_params(events: Iterable[Any], follow: bool, mode: str,
                        seccomp_syscalls: Optional[Sequence[Union[str, int]]],
                        syscalls: Optional[Sequence[Union[str, int]]],
                        extra: Dict[str, Any]) -> Tuple[Dict[str, Any],
                                                        Optional[Callable[[], None]]]:
    """The attach params (without ``tid``) and the child's preexec for a spawn."""
    from .model import event_names, ms
    if mode not in ("sync", "async"):
        raise ValueError(f"mode: 'sync' or 'async', not {mode!r}")
    p: Dict[str, Any] = {"scope": "process", "events": event_names(events), "mode": mode}
    if follow:
        p["follow"] = True
    preexec = None
    if seccomp_syscalls is not None:
        if isinstance(seccomp_syscalls, (str, int)):
            seccomp_syscalls = [seccomp_syscalls]
        preexec = seccomp_filter(seccomp_syscalls)
        if syscalls is not None and list(syscalls) != list(seccomp_syscalls):
            raise ValueError("give either syscalls or seccomp_syscalls (they are the same list "
                             "under a seccomp filter)")
        p["seccomp"] = True
        p["syscalls"] = list(seccomp_syscalls)
    elif syscalls is not None:
        p["syscalls"] = [syscalls] if isinstance(syscalls, (str, int)) else list(syscalls)
    for k, v in extra.items():
        if v is None:
            continue
        if k in ("tid", "pid", "hold_at_exec", "scope", "create"):
            raise ValueError(f"spawn sets {k!r} itself")
        if k == "report_timeout":
            p["report_timeout_ms"] = ms(v, k)
        else:
            p[k] = v
    return p, preexec


def hold_state(messages: Iterable[Any], engine: int) -> Tuple[Optional[str], Any]:
    """What the messages received for a spawn's engine say (used while waiting for the hold):
    ``("credentials", notice)`` (the engine was taken away at the exec: the program runs
    untraced), ``("died", report)`` (an exit, death or reap before the exec), ``("exec",
    report)`` (held at its exec stop) or ``(None, None)``."""
    from .model import Notice, Report
    found: Tuple[Optional[str], Any] = (None, None)
    for m in messages:
        if m.engine != engine:
            continue
        if isinstance(m, Notice) and m.reason == "credentials":
            return "credentials", m
        if isinstance(m, Report) and m.event in ("exit", "death", "reap"):
            return "died", m
        if isinstance(m, Report) and m.event == "exec" and found[0] is None:
            found = ("exec", m)
    return found
