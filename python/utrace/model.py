"""Values shared by the blocking and the asyncio clients: actions, events, reports, notices,
and the conversions between Python ints and the wire's numbers and ``"0x…"`` strings.

Protocol 2 carries registers, syscall arguments and addresses as ``"0x…"`` strings (protocol 1
as JSON numbers); everything here turns both into Python ints, so callers only ever see ints.
"""

from __future__ import annotations

import enum
import json
import os
from typing import (Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional,
                    Sequence, Tuple, Union)

__all__ = [
    "Action", "Event", "Report", "Notice", "Message", "Syscall", "Reply", "WaitResult",
    "default_socket_path", "to_int", "to_signed", "EVENT_NAMES", "ACTION_NAMES",
]

U64 = 1 << 64


def default_socket_path() -> str:
    """``$UTRACED_SOCKET`` if set, else ``/run/utraced/utraced.sock``."""
    return os.environ.get("UTRACED_SOCKET") or "/run/utraced/utraced.sock"


class Action(str, enum.Enum):
    """What a report's reply (or :meth:`~utrace.Engine.control`) asks for, most restrictive
    first: the daemon applies the minimum of every engine's answer."""

    STOP = "stop"
    INTERRUPT = "interrupt"
    REPORT = "report"
    SINGLESTEP = "singlestep"
    BLOCKSTEP = "blockstep"
    RESUME = "resume"
    DETACH = "detach"

    def __str__(self) -> str:
        return self.value


class Event(str, enum.Enum):
    """The event names an engine may ask for (PROTOCOL.md section 4)."""

    QUIESCE = "quiesce"
    REAP = "reap"
    CLONE = "clone"
    EXEC = "exec"
    EXIT = "exit"
    DEATH = "death"
    SYSCALL_ENTRY = "syscall_entry"
    SYSCALL_EXIT = "syscall_exit"
    SIGNAL = "signal"
    SIGNAL_IGN = "signal_ign"
    SIGNAL_STOP = "signal_stop"
    SIGNAL_TERM = "signal_term"
    SIGNAL_CORE = "signal_core"
    JCTL = "jctl"
    BREAKPOINT = "breakpoint"

    def __str__(self) -> str:
        return self.value


ACTION_NAMES = frozenset(a.value for a in Action)
EVENT_NAMES = frozenset(e.value for e in Event)


def to_int(value: Any, what: str = "value") -> int:
    """A wire value as a Python int: a JSON integer as it is, a ``"0x…"`` string (protocol 2;
    ``"0X"`` and upper-case digits too) parsed as hex. Raises ``ValueError`` for anything
    else."""
    if isinstance(value, bool):
        raise ValueError(f"{what}: expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value[:2] in ("0x", "0X") and len(value) > 2:
        try:
            return int(value[2:], 16)
        except ValueError:
            pass
    raise ValueError(f"{what}: expected an integer or a \"0x...\" string, got {value!r}")


def to_signed(value: Any, what: str = "value") -> int:
    """A signed 64-bit wire value (``retval``): an integer as it is; a ``"0x…"`` string is its
    two's complement, so ``"0xfffffffffffffffe"`` is -2."""
    v = to_int(value, what)
    if isinstance(value, str) and v >= 1 << 63:
        v -= U64
    return v


def encode_u64(value: Any, hex_strings: bool, what: str) -> Union[int, str]:
    """A Python int (or a ``"0x…"`` string) for the wire as an unsigned 64-bit value.
    Negative ints are taken as two's complement (``-1`` is ``0xffffffffffffffff``)."""
    v = to_int(value, what) if not isinstance(value, int) or isinstance(value, bool) else value
    if not -(1 << 63) <= v < U64:
        raise ValueError(f"{what}: {v} does not fit in 64 bits")
    v %= U64
    return f"0x{v:x}" if hex_strings else v


def encode_address(value: Any, hex_strings: bool, what: str = "addr") -> Union[int, str]:
    """An address for the wire; it must be a non-negative int below 2**64."""
    v = to_int(value, what) if not isinstance(value, int) or isinstance(value, bool) else value
    if not 0 <= v < U64:
        raise ValueError(f"{what}: {v:#x} is not an address (0 .. 2**64-1)")
    return f"0x{v:x}" if hex_strings else v


def encode_signed(value: Any, hex_strings: bool, what: str = "retval") -> Union[int, str]:
    """A signed 64-bit value (a reply's ``retval``): a JSON number when it is exact in every
    parser (|v| < 2**53), else, in protocol 2, the ``"0x…"`` of its two's complement."""
    v = to_int(value, what) if not isinstance(value, int) or isinstance(value, bool) else value
    if not -(1 << 63) <= v < U64:
        raise ValueError(f"{what}: {v} does not fit in 64 bits")
    if abs(v) < 1 << 53 or not hex_strings:
        return v if v < 1 << 63 else v - U64
    return f"0x{v % U64:x}"


def event_names(events: Iterable[Union[str, Event]]) -> List[str]:
    """Validates event names (str or :class:`Event`)."""
    if isinstance(events, (str, Event)):
        events = [events]
    out = []
    for e in events:
        name = e.value if isinstance(e, Event) else e
        if name not in EVENT_NAMES:
            raise ValueError(f"unknown event {name!r} (known: {', '.join(sorted(EVENT_NAMES))})")
        out.append(name)
    return out


def action_name(action: Union[str, Action, None]) -> str:
    """Validates an action (str, :class:`Action`, or ``None`` for resume)."""
    if action is None:
        return "resume"
    name = action.value if isinstance(action, Action) else action
    if name not in ACTION_NAMES:
        raise ValueError(f"unknown action {name!r} (known: {', '.join(a.value for a in Action)})")
    return name


class Syscall(NamedTuple):
    """The ``syscall`` of a syscall report: number, name (libseccomp's) and, at entry, the six
    arguments as unsigned ints (empty at exit)."""

    nr: int
    name: str
    args: Tuple[int, ...]


class WaitResult(NamedTuple):
    """What :meth:`~utrace.Engine.wait` returns: ``reason`` is ``"stopped"`` (the engine holds
    the thread) or ``"report"`` (a report or event was sent to it), ``tid`` the thread."""

    reason: str
    tid: Optional[int]


class Reply:
    """A full reply to a sync report, for handlers that need more than an action.

    Args:
        action: the action (default resume).
        signal: at a signal report: ``"deliver"``, ``"ignore"`` or a signal number to deliver
            instead.
        syscall: at syscall entry: ``"abort"`` (skip it; it returns ``retval``, default
            ``-ENOSYS``) or ``"run"``.
        retval: at syscall exit (or with ``syscall="abort"``): the value the program sees.
    """

    __slots__ = ("action", "signal", "syscall", "retval")

    def __init__(self, action: Union[str, Action, None] = Action.RESUME,
                 signal: Union[str, int, None] = None, syscall: Optional[str] = None,
                 retval: Optional[int] = None) -> None:
        self.action = action_name(action)
        if signal is not None and signal not in ("deliver", "ignore") and (
                not isinstance(signal, int) or isinstance(signal, bool) or signal < 0):
            raise ValueError(f"signal: 'deliver', 'ignore' or a signal number, not {signal!r}")
        if syscall is not None and syscall not in ("abort", "run"):
            raise ValueError(f"syscall: 'abort' or 'run', not {syscall!r}")
        self.signal = signal
        self.syscall = syscall
        self.retval = retval

    def to_result(self, hex_strings: bool) -> Dict[str, Any]:
        """The reply's ``result`` object."""
        r: Dict[str, Any] = {"action": self.action}
        if self.signal is not None:
            r["signal"] = self.signal
        if self.syscall is not None:
            r["syscall"] = self.syscall
        if self.retval is not None:
            r["retval"] = encode_signed(self.retval, hex_strings)
        return r

    def __repr__(self) -> str:
        extra = "".join(f", {k}={getattr(self, k)!r}" for k in ("signal", "syscall", "retval")
                        if getattr(self, k) is not None)
        return f"Reply({self.action!r}{extra})"


HandlerResult = Union[None, str, Action, Reply, Mapping[str, Any]]


def as_reply(value: Any) -> Reply:
    """A handler's return value as a :class:`Reply`: ``None`` (resume), an action name or
    :class:`Action`, a :class:`Reply`, or a dict like ``{"action": "stop"}``."""
    if isinstance(value, Reply):
        return value
    if value is None or isinstance(value, (str, Action)):
        return Reply(value)
    if isinstance(value, Mapping):
        return Reply(value.get("action"), value.get("signal"), value.get("syscall"),
                     value.get("retval"))
    raise TypeError(f"a report handler returns an action, a Reply or None, not {value!r}")


class Message:
    """Base of what the daemon sends on its own: :class:`Report` and :class:`Notice`.

    ``params`` is the message's ``params`` object as sent (values not converted)."""

    kind: str = ""

    def __init__(self, params: Dict[str, Any]) -> None:
        self.params: Dict[str, Any] = params
        self.engine: Optional[int] = params.get("engine")
        self.tid: Optional[int] = params.get("tid")
        self.pid: Optional[int] = params.get("pid")

    def get(self, key: str, default: Any = None) -> Any:
        """``params[key]`` as sent, or ``default``."""
        return self.params.get(key, default)


class Report(Message):
    """A report (sync engine: the thread waits for :meth:`reply`) or an event (async engine:
    nothing to answer).

    Attributes (absent fields are ``None``):
        engine, tid, pid: the engine, the thread and its process.
        event: the event name (``"syscall_entry"``, ``"death"``...).
        action: the combined action of the engines asked before this one.
        seq: per-thread event number.
        sync: True for a report that needs a reply.
        syscall: a :class:`Syscall` at syscall entry/exit (args as ints).
        retval: the syscall's return value at exit (an int, ``-errno`` on failure).
        status, exit_code, signal, child, child_pid, clone, path, former_tid, resumed,
        engine_gone, jctl, for_event: as in PROTOCOL.md section 4.
        answered: the :class:`Reply` sent for it, once sent (always ``None`` for events).
    """

    kind = "report"

    def __init__(self, params: Dict[str, Any], request_id: Any = None,
                 replier: Optional[Callable[["Report", Reply], None]] = None) -> None:
        super().__init__(params)
        self.id = request_id
        self.sync: bool = request_id is not None
        self.event: str = str(params.get("event", ""))
        self.action: Optional[str] = params.get("action")
        self.seq: Optional[int] = params.get("seq")
        sc = params.get("syscall")
        self.syscall: Optional[Syscall] = None
        if isinstance(sc, dict):
            args = sc.get("args")
            self.syscall = Syscall(int(sc.get("nr", -1)), str(sc.get("name", "")),
                                   tuple(to_int(a, "args") for a in args)
                                   if isinstance(args, list) else ())
        rv = params.get("retval")
        self.retval: Optional[int] = None if rv is None else to_signed(rv, "retval")
        self.status: Optional[int] = params.get("status")
        self.exit_code: Optional[int] = params.get("exit_code")
        self.signal: Optional[Dict[str, Any]] = params.get("signal")
        self.child: Optional[int] = params.get("child")
        self.child_pid: Optional[int] = params.get("child_pid")
        self.clone: Optional[str] = params.get("clone")
        self.path: Optional[str] = params.get("path")
        self.former_tid: Optional[int] = params.get("former_tid")
        self.resumed: bool = bool(params.get("resumed", False))
        self.engine_gone: bool = bool(params.get("engine_gone", False))
        self.jctl: Optional[str] = params.get("jctl")
        self.for_event: Optional[str] = params.get("for_event")
        addr = params.get("addr")
        self.addr: Optional[int] = int(addr, 16) if isinstance(addr, str) else addr
        self.step: bool = bool(params.get("step", False))
        #: the raw ``capture`` object (attach option ``capture``), or None
        self.capture: Optional[Dict[str, Any]] = params.get("capture")
        self.answered: Optional[Reply] = None
        self._replier = replier

    @property
    def args(self) -> Tuple[int, ...]:
        """The syscall's arguments (ints) at syscall entry, else ``()``."""
        return self.syscall.args if self.syscall else ()

    def reply(self, action: Union[str, Action, Reply, None] = Action.RESUME, *,
              signal: Union[str, int, None] = None, syscall: Optional[str] = None,
              retval: Optional[int] = None) -> None:
        """Answers a sync report (once; a second answer raises ``RuntimeError``). For an async
        event this does nothing. ``action`` may be a :class:`Reply` with everything in it."""
        if not self.sync:
            return
        if self.answered is not None:
            raise RuntimeError(f"report {self.id} ({self.event}) was already answered "
                               f"{self.answered.action!r}")
        r = action if isinstance(action, Reply) else Reply(action, signal, syscall, retval)
        if self._replier is None:
            raise RuntimeError("this report has no connection to answer on")
        self.answered = r
        self._replier(self, r)

    def __repr__(self) -> str:
        what = f" {self.syscall.name}" if self.syscall else ""
        rv = f" = {self.retval}" if self.retval is not None else ""
        kind = "report" if self.sync else "event"
        return (f"<{kind} engine={self.engine} tid={self.tid} {self.event}{what}{rv} "
                f"seq={self.seq}>")


class Notice(Message):
    """Something the daemon did on its own (PROTOCOL.md section 4a): ``reason`` is ``"exec"``,
    ``"follow_limit"`` or ``"credentials"`` (the engine was taken away from ``tid``);
    ``message`` says it in words."""

    kind = "notice"

    def __init__(self, params: Dict[str, Any]) -> None:
        super().__init__(params)
        self.reason: str = str(params.get("reason", ""))
        self.message: str = str(params.get("message", ""))

    def __repr__(self) -> str:
        return f"<notice engine={self.engine} tid={self.tid} {self.reason}: {self.message}>"


def encode_line(obj: Dict[str, Any]) -> bytes:
    """One JSON-RPC message as a line."""
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def request(i: int, method: str, params: Optional[Dict[str, Any]]) -> bytes:
    """A request line."""
    m: Dict[str, Any] = {"jsonrpc": "2.0", "id": i, "method": method}
    if params is not None:
        m["params"] = params
    return encode_line(m)


def ms(seconds: Optional[float], what: str) -> Optional[int]:
    """Seconds (float) as whole milliseconds for the wire."""
    if seconds is None:
        return None
    if seconds < 0:
        raise ValueError(f"{what}: a negative timeout ({seconds})")
    return int(round(seconds * 1000))


def attach_params(tid: int, events: Iterable[Union[str, Event]], mode: str, scope: str,
                  follow: bool, syscalls: Optional[Sequence[Union[str, int]]],
                  extra: Mapping[str, Any]) -> Dict[str, Any]:
    """The ``attach`` params, checked on this side so that bad input fails with a clear
    message before anything is attached."""
    if not isinstance(tid, int) or isinstance(tid, bool) or tid <= 0:
        raise ValueError(f"tid: a positive thread id, not {tid!r}")
    if mode not in ("sync", "async"):
        raise ValueError(f"mode: 'sync' or 'async', not {mode!r}")
    if scope not in ("thread", "process"):
        raise ValueError(f"scope: 'thread' or 'process', not {scope!r}")
    p: Dict[str, Any] = {"tid": tid, "events": event_names(events), "mode": mode,
                         "scope": scope}
    if follow:
        p["follow"] = True
    if syscalls is not None:
        if isinstance(syscalls, (str, int)):
            syscalls = [syscalls]
        p["syscalls"] = list(syscalls)
    for k, v in extra.items():
        if v is None:
            continue
        if k == "report_timeout":
            p["report_timeout_ms"] = ms(v, k)
        else:
            p[k] = v
    return p


def decode_regs(regs: Any) -> Dict[str, int]:
    """``get_regs``' ``regs`` as ``{name: int}``."""
    if not isinstance(regs, dict):
        raise ValueError(f"get_regs: regs is not an object: {regs!r}")
    return {k: to_int(v, k) for k, v in regs.items()}


def encode_regs(regs: Mapping[str, Any], hex_strings: bool) -> Dict[str, Union[int, str]]:
    """``set_regs``' ``regs`` from ``{name: int}`` (negative ints as two's complement)."""
    if not regs:
        raise ValueError("set_regs: no registers given")
    return {str(k): encode_u64(v, hex_strings, str(k)) for k, v in regs.items()}
