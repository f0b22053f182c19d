"""Typed errors of the utrace package.

Every error the daemon answers is raised as a :class:`UtraceError`, an :class:`OSError` whose
``errno`` is the daemon's error number (``data.errno`` on the wire). Well-known numbers get a
subclass that is also the matching built-in exception, so ordinary ``except`` clauses work::

    try:
        engine.get_regs()
    except ProcessLookupError:       # ESRCH: the thread is gone, or the engine
        ...

JSON-RPC errors (codes -32700 to -32600: not JSON, unknown method, a bad parameter, a daemon
bug) are :class:`ProtocolError`.
"""

from __future__ import annotations

import errno as _errno
import os
from typing import Any, Dict, Optional, Type

__all__ = [
    "UtraceError", "ProtocolError", "NoSuchThreadError", "NotPermittedError",
    "NoMatchingEngineError", "EngineExistsError", "LimitReachedError", "InvalidStateError",
    "FaultError", "WaitTimeoutError", "InProgressError", "AlreadyError", "ShuttingDownError",
    "DisconnectedError", "SpawnError", "error_from_reply",
]


class UtraceError(OSError):
    """An error answered by utraced (or met while talking to it).

    Attributes:
        errno: the error number (e.g. ``errno.ESRCH``); for a :class:`ProtocolError`, the
            closest one (``EINVAL`` for a bad parameter, ``ENOSYS`` for an unknown method).
        strerror: the daemon's message, meant for people.
        code: the JSON-RPC error code as sent (positive errno, or -32xxx).
        data: the error's ``data`` object (``{"errno": "ESRCH", "tid": 5151}``...), or ``{}``.
        method: the request that failed, when known.
    """

    def __init__(self, err: int, message: str, code: Optional[int] = None,
                 data: Optional[Dict[str, Any]] = None, method: Optional[str] = None) -> None:
        super().__init__(err, message)
        self.code: int = err if code is None else code
        self.data: Dict[str, Any] = dict(data or {})
        self.method: Optional[str] = method

    def __str__(self) -> str:
        name = _errno.errorcode.get(self.errno or 0, str(self.errno))
        where = f"{self.method}: " if self.method else ""
        return f"{where}{name}: {self.strerror}"

    def __reduce__(self):  # keep pickling (multiprocessing) working with the extra arguments
        return (type(self), (self.errno, self.strerror, self.code, self.data, self.method))


class ProtocolError(UtraceError):
    """A JSON-RPC error (code -32700 .. -32600): a malformed line, an unknown method (-32601),
    a missing or bad parameter (-32602: :attr:`parameter` names it) or a daemon bug (-32603)."""

    def __str__(self) -> str:
        where = f"{self.method}: " if self.method else ""
        return f"{where}JSON-RPC error {self.code}: {self.strerror}"

    @property
    def parameter(self) -> Optional[str]:
        """The parameter a -32602 names (``data.parameter``), if any."""
        p = self.data.get("parameter")
        return p if isinstance(p, str) else None


class NoSuchThreadError(UtraceError, ProcessLookupError):
    """``ESRCH``: no such thread (or a zombie), or the engine is detached, unknown or not
    yours."""


class NotPermittedError(UtraceError, PermissionError):
    """``EPERM``: not allowed to trace that thread (``data.reason`` says which rule, or
    ``data.tracer_pid`` names another tracer)."""


class NoMatchingEngineError(UtraceError, FileNotFoundError):
    """``ENOENT``: an ``attach`` with ``create=False`` found no matching engine."""


class EngineExistsError(UtraceError, FileExistsError):
    """``EEXIST``: an exclusive attach clashes with an existing engine."""


class LimitReachedError(UtraceError):
    """``EAGAIN``: a daemon limit was reached (``data.limit`` names it, ``data.value`` is the
    bound)."""

    @property
    def limit(self) -> Optional[str]:
        """The name of the limit (``data.limit``)."""
        v = self.data.get("limit")
        return v if isinstance(v, str) else None


class InvalidStateError(UtraceError):
    """``EINVAL``: e.g. examining a thread this engine does not hold, an action that needs the
    ``quiesce`` event, or a ``hold_at_exec`` target that is not a fresh single-threaded
    child."""


class FaultError(UtraceError):
    """``EFAULT``: ``read_memory``/``write_memory`` at an unmapped address."""


class WaitTimeoutError(UtraceError, TimeoutError):
    """``ETIMEDOUT``: a ``barrier`` or ``wait`` (or a reply) did not come in time."""


class InProgressError(UtraceError):
    """``EINPROGRESS``: accepted; the effect follows at the thread's next stop. Methods such
    as :meth:`utrace.Engine.control` turn it into a return value instead of raising it."""


class AlreadyError(UtraceError):
    """``EALREADY``: the thread's death is being reported."""


class ShuttingDownError(UtraceError):
    """``ESHUTDOWN``: the daemon is shutting down."""


class DisconnectedError(UtraceError, ConnectionError):
    """The connection to utraced is closed (the daemon went away, or :meth:`close` was
    called). ``errno`` is ``ECONNRESET``."""

    def __init__(self, message: str = "the connection to utraced is closed",
                 code: Optional[int] = None, data: Optional[Dict[str, Any]] = None,
                 method: Optional[str] = None) -> None:
        super().__init__(_errno.ECONNRESET, message, code, data, method)

    def __reduce__(self):
        return (type(self), (self.strerror, self.code, self.data, self.method))


class SpawnError(UtraceError):
    """A program could not be started traced (:meth:`utrace.Client.spawn`). Nothing is left
    behind: the child is reaped.

    Attributes:
        step: what failed: ``"attach"`` or ``"wait"`` (the daemon's error is in
            :attr:`cause`), or, in the child, ``"stdio"``, ``"chdir"``, ``"preexec"``,
            ``"exec"`` (``errno`` is the child's, e.g. ``ENOENT`` for a missing program).
        cause: the daemon's error for ``attach``/``wait``, else ``None``.
    """

    def __init__(self, step: str, err: int, message: Optional[str] = None,
                 cause: Optional[UtraceError] = None) -> None:
        name = _errno.errorcode.get(err, str(err))
        why = message or (cause.strerror if cause is not None else None) or os.strerror(err)
        super().__init__(err, f"cannot start the program: {step} failed: {name}: {why}",
                         getattr(cause, "code", err), getattr(cause, "data", None), "spawn")
        self.step: str = step
        self.cause: Optional[UtraceError] = cause

    def __str__(self) -> str:
        return str(self.strerror)

    def __reduce__(self):
        return (_rebuild_spawn_error, (self.step, self.errno, self.strerror, self.cause))


def _rebuild_spawn_error(step: str, err: int, text: str, cause: Optional[UtraceError]) -> SpawnError:
    e = SpawnError(step, err, cause=cause)
    e.strerror = text
    return e


_BY_ERRNO: Dict[int, Type[UtraceError]] = {
    _errno.ESRCH: NoSuchThreadError,
    _errno.EPERM: NotPermittedError,
    _errno.ENOENT: NoMatchingEngineError,
    _errno.EEXIST: EngineExistsError,
    _errno.EAGAIN: LimitReachedError,
    _errno.EINVAL: InvalidStateError,
    _errno.EFAULT: FaultError,
    _errno.ETIMEDOUT: WaitTimeoutError,
    _errno.EINPROGRESS: InProgressError,
    _errno.EALREADY: AlreadyError,
    _errno.ESHUTDOWN: ShuttingDownError,
}


def error_from_reply(error: Any, method: Optional[str] = None) -> UtraceError:
    """The exception for a JSON-RPC ``error`` object from the daemon.

    A positive ``code`` is an errno (``data.errno`` names it); it maps to the subclasses
    above. A negative one is a :class:`ProtocolError`.
    """
    if not isinstance(error, dict):
        return ProtocolError(_errno.EPROTO, f"malformed error reply: {error!r}", -32603, {},
                             method)
    code = error.get("code")
    message = str(error.get("message") or "")
    data = error.get("data") if isinstance(error.get("data"), dict) else {}
    if not isinstance(code, int) or isinstance(code, bool):
        return ProtocolError(_errno.EPROTO, message or f"malformed error reply: {error!r}",
                             -32603, data, method)
    if code < 0:
        err = _errno.ENOSYS if code == -32601 else _errno.EINVAL if code in (-32602, -32600) \
            else _errno.EPROTO
        return ProtocolError(err, message or f"JSON-RPC error {code}", code, data, method)
    name = data.get("errno")
    err = getattr(_errno, name, code) if isinstance(name, str) and name.isupper() else code
    cls = _BY_ERRNO.get(err, UtraceError)
    return cls(err, message or os.strerror(err), code, data, method)
