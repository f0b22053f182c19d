"""The blocking client: :class:`Client` (one connection to utraced) and :class:`Engine` (one
engine attached through it).

Everything runs in the calling thread. Messages the daemon sends on its own (reports, events,
notices) are read whenever the client reads from its socket; those of an engine with a handler
(:meth:`Engine.on_report`) are handed to it at once (also while a call such as
:meth:`Engine.wait` waits for its reply, never from inside a handler), the others are kept, in
order, for :meth:`Client.events`. A Client is not thread-safe: use it from one thread.
"""

from __future__ import annotations

import base64
import collections
import errno as _errno
import json
import os
import select
import socket
import sys
import time
from typing import (Any, Callable, Deque, Dict, Iterable, Iterator, List, Mapping, Optional,
                    Sequence, Tuple, Union)

from . import spawn as _spawn
from .errors import (DisconnectedError, InProgressError, NoSuchThreadError, SpawnError,
                     UtraceError, WaitTimeoutError, error_from_reply, AlreadyError)
from .model import (Action, Event, HandlerResult, Message, Notice, Report, Reply, WaitResult,
                    action_name, as_reply, attach_params, decode_regs, default_socket_path,
                    encode_address, encode_line, encode_regs, event_names, ms, request)

__all__ = ["Client", "Engine", "connect", "MAX_CHUNK"]

MAX_CHUNK = 1 << 20  # read_memory/write_memory: bytes per call (the daemon's bound)

ReportHandler = Callable[[Report], HandlerResult]
NoticeHandler = Callable[[Notice], None]

_GONE_EVENTS_SLACK = 10.0  # seconds a reply to wait/barrier may take beyond their own timeout


def connect(socket_path: Optional[str] = None, *, name: Optional[str] = None,
            timeout: Optional[float] = None) -> "Client":
    """Same as :meth:`Client.connect`."""
    return Client.connect(socket_path, name=name, timeout=timeout)


class Engine:
    """One engine of a :class:`Client` (made by :meth:`Client.attach` or
    :meth:`Client.spawn`).

    Attributes:
        client: its client.
        id: the daemon's engine id (daemon-wide, never reused).
        tids: the threads it covered when attached.
        mode: ``"sync"`` or ``"async"``.
        gone: True once the engine no longer exists (detached, its last thread reaped with the
            ``reap`` event asked for, taken away by a ``credentials`` notice, or the connection
            closed).

    Calls that take ``tid`` need it when the engine covers several threads (process scope).
    Used as a context manager, the engine is detached on leaving the block.
    """

    def __init__(self, client: "Client", engine_id: int, tids: Sequence[int] = (),
                 mode: str = "async") -> None:
        self.client = client
        self.id: int = engine_id
        self.tids: List[int] = list(tids)
        self.mode: str = mode
        self.gone: bool = False
        self.handler: Optional[ReportHandler] = None

    def __repr__(self) -> str:
        state = " gone" if self.gone else ""
        return f"<Engine {self.id} {self.mode} tids={self.tids}{state}>"

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: Any) -> None:
        if not self.client.closed:
            self.detach()

    def _p(self, tid: Optional[int], **kw: Any) -> Dict[str, Any]:
        p: Dict[str, Any] = {"engine": self.id}
        if tid is not None:
            p["tid"] = int(tid)
        p.update({k: v for k, v in kw.items() if v is not None})
        return p

    # --- handlers and events ---------------------------------------------------------------

    def on_report(self, fn: Optional[ReportHandler]) -> Optional[ReportHandler]:
        """Sets the handler called with each report and event of this engine (``None``
        removes it). For a sync report its return value is the reply: ``None`` or
        ``"resume"``, any action name or :class:`~utrace.Action`, a :class:`~utrace.Reply`
        (signal, syscall abort, retval), or a dict like ``{"action": "stop"}``; a handler
        that raises gets ``resume`` answered for it (the thread is never left waiting) and
        the exception goes on to the caller of the client method that was dispatching. For
        an async event the return value is ignored. Returns ``fn``, so it works as a
        decorator. Reports that came before it was set are handed to it next time the
        client dispatches."""
        self.handler = fn
        return fn

    def events(self, timeout: Optional[float] = None) -> Iterator[Message]:
        """This engine's reports, events and notices, as :meth:`Client.events` gives them;
        the iteration ends once the engine is gone and nothing of it is left to read."""
        return self.client.events(timeout, engine=self)

    def set_events(self, events: Iterable[Union[str, Event]]) -> bool:
        """Replaces the event list. True when done; False for ``EINPROGRESS`` (events were
        cleared while a report to this engine is in flight: :meth:`barrier` then makes sure
        none of them follows)."""
        try:
            self.client.call("set_events", self._p(None, events=event_names(events)))
            return True
        except InProgressError:
            return False

    # --- control ---------------------------------------------------------------------------

    def control(self, action: Union[str, Action], tid: Optional[int] = None) -> bool:
        """Sends ``control``. True when the effect is complete; False for ``EINPROGRESS``
        (accepted: e.g. ``stop`` on a running thread, which stops at its next chance; use
        :meth:`wait` for it). Other errors raise (``ProcessLookupError`` when the engine or
        thread is gone)."""
        try:
            self.client.call("control", self._p(tid, action=action_name(action)))
            return True
        except InProgressError:
            return False

    def stop(self, tid: Optional[int] = None, *, wait: bool = False,
             timeout: float = 10.0) -> bool:
        """``control stop``: holds the thread stopped. With ``wait=True`` returns once it is
        stopped (or raises ``TimeoutError``); otherwise True when already stopped, False
        when it stops at its next chance."""
        done = self.control(Action.STOP, tid)
        if done or not wait:
            return done
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WaitTimeoutError(_errno.ETIMEDOUT, f"engine {self.id}: not stopped "
                                       f"after {timeout} s", method="control")
            if self.wait(tid, timeout=left).reason == "stopped":
                return True

    def resume(self, tid: Optional[int] = None) -> None:
        """``control resume``: releases this engine's hold; the thread runs if no other
        engine holds it."""
        self.control(Action.RESUME, tid)

    def interrupt(self, tid: Optional[int] = None) -> bool:
        """``control interrupt`` (needs the ``quiesce`` event)."""
        return self.control(Action.INTERRUPT, tid)

    def request_report(self, tid: Optional[int] = None) -> bool:
        """``control report`` (needs the ``quiesce`` event)."""
        return self.control(Action.REPORT, tid)

    def singlestep(self, tid: Optional[int] = None) -> bool:
        """``control singlestep`` (needs the ``quiesce`` event)."""
        return self.control(Action.SINGLESTEP, tid)

    def blockstep(self, tid: Optional[int] = None) -> bool:
        """``control blockstep`` (needs the ``quiesce`` event)."""
        return self.control(Action.BLOCKSTEP, tid)

    def detach(self, tid: Optional[int] = None) -> None:
        """Detaches the engine (or, with ``tid``, only that thread). Never leaves a thread
        stopped. An engine already gone is not an error. Sync reports of this engine still
        waiting for a reply are answered ``detach``."""
        try:
            self.client.call("control", self._p(tid, action="detach"))
        except (NoSuchThreadError, InProgressError):
            pass
        except AlreadyError:
            pass  # its death is being reported: the reply below does the clean-up
        if tid is None:
            self.client._forget(self, "detach")

    # --- barrier and wait ------------------------------------------------------------------

    def barrier(self, tid: Optional[int] = None, timeout: float = 10.0) -> None:
        """Returns once no report to this engine is in flight and its last reply has been
        applied. An engine gone counts as done. Raises ``TimeoutError`` (``ETIMEDOUT``)."""
        try:
            self.client.call("barrier", self._p(tid, timeout_ms=ms(timeout, "timeout")),
                             timeout=timeout + _GONE_EVENTS_SLACK)
        except NoSuchThreadError:
            pass

    def wait(self, tid: Optional[int] = None, timeout: float = 10.0) -> WaitResult:
        """Waits until this engine holds a thread stopped (``reason == "stopped"``) or the next
        report or event is sent to it (``"report"``). Raises ``TimeoutError``
        (``ETIMEDOUT``) when the time is up and ``ProcessLookupError`` (``ESRCH``) when the
        engine or its thread is gone. Handlers run meanwhile."""
        r = self.client.call("wait", self._p(tid, timeout_ms=ms(timeout, "timeout")),
                             timeout=timeout + _GONE_EVENTS_SLACK)
        return WaitResult(str(r.get("reason")), r.get("tid"))

    # --- examine ---------------------------------------------------------------------------

    def get_regs(self, tid: Optional[int] = None) -> Dict[str, int]:
        """The thread's registers (x86-64 ``user_regs_struct`` names) as unsigned ints. Only
        while this engine holds it stopped or a report to it is in flight (``EINVAL``
        otherwise)."""
        return decode_regs(self.client.call("get_regs", self._p(tid)).get("regs"))

    def set_regs(self, regs: Optional[Mapping[str, int]] = None, tid: Optional[int] = None,
                 **kw: int) -> None:
        """Changes registers: ``set_regs({"rax": 0})`` or ``set_regs(rax=0)``; others are left
        alone. Negative ints are taken as two's complement."""
        values = dict(regs or {})
        values.update(kw)
        self.client.call("set_regs", self._p(tid, regs=encode_regs(values,
                                                                  self.client.hex_values)))

    def read_memory(self, addr: int, size: int, tid: Optional[int] = None) -> bytes:
        """Reads ``size`` bytes at ``addr`` (more than 1 MiB in several calls). Fewer bytes
        come back when the range runs into unmapped memory; an unmapped ``addr`` raises
        ``FaultError`` (``EFAULT``)."""
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"size: a non-negative int, not {size!r}")
        out = bytearray()
        while len(out) < size:
            n = min(size - len(out), MAX_CHUNK)
            r = self.client.call("read_memory", self._p(tid, addr=encode_address(
                addr + len(out), self.client.hex_values), size=n))
            chunk = base64.b64decode(r.get("data") or "")
            out += chunk
            if len(chunk) < n:
                break
        return bytes(out)

    def read_string(self, addr: int, max_size: int = 4096, tid: Optional[int] = None) -> bytes:
        """The NUL-terminated string at ``addr`` (without the NUL), at most ``max_size``
        bytes; read a page at a time, so a string that ends just before unmapped memory is
        read whole."""
        out = bytearray()
        while len(out) < max_size:
            a = addr + len(out)
            n = min(max_size - len(out), 4096 - a % 4096)
            chunk = self.read_memory(a, n, tid)
            nul = chunk.find(b"\0")
            if nul >= 0:
                return bytes(out + chunk[:nul])
            out += chunk
            if len(chunk) < n:
                break
        return bytes(out)

    def write_memory(self, addr: int, data: bytes, tid: Optional[int] = None) -> int:
        """Writes ``data`` at ``addr`` (read-only code too, as a debugger's breakpoints);
        returns the bytes written (fewer when the range runs into unmapped memory)."""
        data = bytes(data)
        if not data:
            raise ValueError("write_memory: no data")
        done = 0
        while done < len(data):
            part = data[done:done + MAX_CHUNK]
            r = self.client.call("write_memory", self._p(tid, addr=encode_address(
                addr + done, self.client.hex_values), data=base64.b64encode(part).decode()))
            n = int(r.get("written", 0))
            done += n
            if n < len(part):
                break
        return done

    def insert_breakpoint(self, addr: int, tid: Optional[int] = None) -> None:
        """An int3 at ``addr`` kept by the daemon for this (process) engine: its traps come
        as ``breakpoint`` reports to this engine only, with rip set back to ``addr``
        (PROTOCOL.md, insert_breakpoint)."""
        self.client.call("insert_breakpoint",
                         self._p(tid, addr=encode_address(addr, self.client.hex_values)))

    def remove_breakpoint(self, addr: int, tid: Optional[int] = None) -> None:
        """Takes this engine's breakpoint at ``addr`` away (``FileNotFoundError`` if none)."""
        self.client.call("remove_breakpoint",
                         self._p(tid, addr=encode_address(addr, self.client.hex_values)))


class Client:
    """One connection to utraced (blocking). Make it with :meth:`connect`; use it as a
    context manager or :meth:`close` it: closing detaches every engine it has (the daemon
    never leaves a thread stopped for a client that is gone).

    Attributes:
        server: the ``hello`` result (``server``, ``version``, ``protocol``, ``pid``, ``uid``,
            ``client``).
        protocol: the daemon's protocol number (1 or 2).
        hex_values: True when values are sent as ``"0x…"`` strings (protocol 2).
        timeout: how long a call waits for its reply (seconds; ``None``: for ever), unless it
            says otherwise.
    """

    def __init__(self, sock: socket.socket, timeout: Optional[float] = None) -> None:
        """Wraps a connected socket; :meth:`connect` is the usual way."""
        self._sock = sock
        self._rbuf = bytearray()
        self._next_id = 0
        self._replies: Dict[Any, Dict[str, Any]] = {}
        self._queue: Deque[Message] = collections.deque()
        self._engines: Dict[int, Engine] = {}
        self._discarded: set = set()
        self._in_handler = False
        self._notice_handler: Optional[NoticeHandler] = None
        self.closed = False
        self.timeout = timeout
        self.server: Dict[str, Any] = {}
        self.protocol = 1
        self.hex_values = False
        _spawn.register_connection(self)

    @classmethod
    def connect(cls, socket_path: Optional[str] = None, *, name: Optional[str] = None,
                timeout: Optional[float] = None) -> "Client":
        """Connects to utraced at ``socket_path`` (default ``$UTRACED_SOCKET``, else
        ``/run/utraced/utraced.sock``) and says ``hello`` (``name`` defaults to the script's
        name). Raises ``OSError`` (``FileNotFoundError``, ``ConnectionRefusedError``...)
        naming the path when there is no daemon there."""
        path = socket_path or default_socket_path()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        try:
            sock.connect(path)
        except OSError as e:
            sock.close()
            raise type(e)(e.errno, f"cannot connect to utraced at {path}: {e.strerror}") \
                from None
        c = cls(sock, timeout)
        try:
            c.hello(name)
        except BaseException:
            c.close()
            raise
        return c

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<utrace.Client client={self.server.get('client')} " \
               f"protocol={self.protocol}{' closed' if self.closed else ''}>"

    def fileno(self) -> int:
        """The socket's fd (-1 once closed)."""
        return -1 if self.closed else self._sock.fileno()

    def close(self) -> None:
        """Closes the connection; the daemon detaches every engine of it."""
        if not self.closed:
            self.closed = True
            self._sock.close()
            for e in self._engines.values():
                e.gone = True

    # --- the wire --------------------------------------------------------------------------

    def _send(self, line: bytes) -> None:
        if self.closed:
            raise DisconnectedError()
        try:
            self._sock.sendall(line)
        except OSError as e:
            self._lost()
            raise DisconnectedError(f"the connection to utraced is lost: {e}") from None

    def _lost(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self._sock.close()
            except OSError:
                pass
        for e in self._engines.values():
            e.gone = True

    def _read_line(self, deadline: Optional[float]) -> Optional[bytes]:
        """The next line, or None when the deadline passes first. Raises DisconnectedError
        at EOF."""
        while True:
            nl = self._rbuf.find(b"\n")
            if nl >= 0:
                line = bytes(self._rbuf[:nl])
                del self._rbuf[:nl + 1]
                return line
            if self.closed:
                raise DisconnectedError()
            wait_ms = -1
            if deadline is not None:
                wait_ms = max(0, int((deadline - time.monotonic()) * 1000 + 0.999))
            p = select.poll()
            p.register(self._sock, select.POLLIN)
            if not p.poll(wait_ms):
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                continue
            try:
                chunk = self._sock.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                self._lost()
                raise DisconnectedError(f"the connection to utraced is lost: {e}") from None
            if not chunk:
                self._lost()
                raise DisconnectedError("utraced closed the connection")
            self._rbuf += chunk

    def _read_one(self, deadline: Optional[float]) -> bool:
        """Reads and routes one message; False when the deadline passed first."""
        line = self._read_line(deadline)
        if line is None:
            return False
        line = line.strip()
        if not line:
            return True
        try:
            msg = json.loads(line)
        except ValueError:
            print(f"utrace: ignoring a line that is not JSON: {line[:200]!r}", file=sys.stderr)
            return True
        if isinstance(msg, dict):
            self._route(msg)
        return True

    def _route(self, msg: Dict[str, Any]) -> None:
        method = msg.get("method")
        if method is None:
            if "id" in msg:
                self._replies[msg["id"]] = msg
            return
        params = msg.get("params") if isinstance(msg.get("params"), dict) else {}
        m: Message
        if method == "report":
            m = Report(params, msg.get("id"), self._send_reply)
        elif method == "event":
            m = Report(params)
        elif method == "notice":
            m = Notice(params)
        else:
            if "id" in msg:  # a request we do not know: say so, never leave it unanswered
                self._send(encode_line({"jsonrpc": "2.0", "id": msg["id"], "error": {
                    "code": -32601, "message": f"unknown method {method}"}}))
            return
        eid = m.engine
        if eid in self._discarded:
            if isinstance(m, Report) and m.sync:
                m.reply("detach")
            return
        engine = self._engines.get(eid) if isinstance(eid, int) else None
        if engine is not None:
            if isinstance(m, Report) and m.engine_gone:
                engine.gone = True
            elif isinstance(m, Notice) and m.reason == "credentials" and \
                    len(engine.tids) <= 1:
                engine.gone = True
        self._queue.append(m)

    def _send_reply(self, report: Report, reply: Reply) -> None:
        if self.closed:
            return  # the daemon already let the thread go with the connection
        self._send(encode_line({"jsonrpc": "2.0", "id": report.id,
                                "result": reply.to_result(self.hex_values)}))

    def _handler_of(self, m: Message) -> Optional[Callable[[Any], Any]]:
        if isinstance(m, Notice):
            return self._notice_handler
        e = self._engines.get(m.engine) if isinstance(m.engine, int) else None
        return e.handler if e is not None else None

    def _dispatch(self) -> None:
        """Hands queued messages that have a handler to it, in order (never from inside a
        handler)."""
        if self._in_handler or not self._queue:
            return
        kept: Deque[Message] = collections.deque()
        self._in_handler = True
        try:
            while self._queue:
                m = self._queue.popleft()
                h = self._handler_of(m)
                if h is None:
                    kept.append(m)
                    continue
                self._invoke(h, m)
        finally:
            self._in_handler = False
            kept.extend(self._queue)
            self._queue = kept

    def _invoke(self, handler: Callable[[Any], Any], m: Message) -> None:
        try:
            result = handler(m)
        except BaseException:
            if isinstance(m, Report) and m.sync and m.answered is None and not self.closed:
                m.reply(Action.RESUME)
            raise
        if isinstance(m, Report) and m.sync and m.answered is None:
            m.reply(as_reply(result))

    def call(self, method: str, params: Optional[Dict[str, Any]] = None,
             timeout: Optional[float] = None) -> Dict[str, Any]:
        """Sends a request and returns its ``result``; an error reply raises the matching
        :class:`~utrace.UtraceError`. Reports and events that come meanwhile are kept (or
        handed to their handlers). ``timeout`` (default :attr:`timeout`) bounds the wait for
        the reply: ``TimeoutError`` then (the request may still be carried out)."""
        self._next_id += 1
        i = self._next_id
        self._send(request(i, method, params))
        t = self.timeout if timeout is None else timeout
        deadline = None if t is None else time.monotonic() + t
        while i not in self._replies:
            self._dispatch()
            if not self._read_one(deadline):
                raise WaitTimeoutError(_errno.ETIMEDOUT, f"no reply from utraced in {t} s",
                                       method=method)
        msg = self._replies.pop(i)
        self._dispatch()
        if "error" in msg:
            raise error_from_reply(msg["error"], method)
        result = msg.get("result")
        return result if isinstance(result, dict) else {}

    # --- methods ---------------------------------------------------------------------------

    def hello(self, name: Optional[str] = None) -> Dict[str, Any]:
        """Says ``hello`` (done by :meth:`connect`); the result, also kept in
        :attr:`server`."""
        if name is None:
            name = os.path.basename(sys.argv[0] or "") or "python"
        r = self.call("hello", {"client": str(name)})
        self.server = r
        proto = r.get("protocol")
        self.protocol = proto if isinstance(proto, int) else 1
        self.hex_values = self.protocol >= 2
        return r

    def attach(self, tid: int, events: Iterable[Union[str, Event]] = (), *,
               mode: str = "async", scope: str = "thread", follow: bool = False,
               syscalls: Optional[Sequence[Union[str, int]]] = None,
               handler: Optional[ReportHandler] = None, **options: Any) -> Engine:
        """Attaches an engine to thread ``tid`` (``scope="process"``: every thread of its
        process; ``follow=True``: its later children too) and returns it.

        Args:
            events: event names (str or :class:`~utrace.Event`) to be told about.
            mode: ``"sync"`` (reports hold the thread until answered) or ``"async"``.
            syscalls: syscall names or numbers: syscall reports only for these.
            handler: set as :meth:`Engine.on_report` before any report can be dispatched.
            options: other attach parameters as PROTOCOL.md names them: ``exitkill``,
                ``concurrent``, ``create``, ``exclusive``, ``type``, ``data``, ``match``,
                ``report_timeout`` (seconds), ``hold_at_exec``, ``seccomp``, ``capture``
                (``True`` or ``{"strsize": N, "fd_paths": bool}``: reports then carry
                ``Report.capture``, the argument memory read at the stop).

        Raises ``ProcessLookupError`` (no such thread), ``PermissionError`` (not yours to
        trace), ``ProtocolError`` (a bad parameter)...
        """
        p = attach_params(tid, events, mode, scope, follow, syscalls, options)
        r = self.call("attach", p)
        return self._engine_from(r, mode, handler)

    def _engine_from(self, r: Dict[str, Any], mode: str,
                     handler: Optional[ReportHandler]) -> Engine:
        eid = int(r["engine"])
        e = self._engines.get(eid)
        if e is None:
            e = Engine(self, eid, r.get("tids") or (), mode)
            self._engines[eid] = e
        if handler is not None:
            e.handler = handler
        self._dispatch()
        return e

    def engine(self, engine_id: int, mode: str = "async") -> Engine:
        """The :class:`Engine` object for an engine id of this client (e.g. from
        :meth:`list`)."""
        e = self._engines.get(engine_id)
        if e is None:
            e = self._engines[engine_id] = Engine(self, engine_id, (), mode)
        return e

    def _forget(self, engine: Engine, answer: str) -> None:
        """The engine is gone: answer its waiting sync reports and drop its queued ones."""
        engine.gone = True
        kept: Deque[Message] = collections.deque()
        for m in self._queue:
            if m.engine == engine.id:
                if isinstance(m, Report) and m.sync and m.answered is None and not self.closed:
                    m.reply(answer)
                continue
            kept.append(m)
        self._queue = kept

    def list(self) -> List[Dict[str, Any]]:
        """Every engine of this client (all pages of ``list``), as the daemon describes
        them."""
        out: List[Dict[str, Any]] = []
        start = 0
        while True:
            r = self.call("list", {"from": start})
            out.extend(r.get("engines") or [])
            if r.get("next") is None:
                return out
            start = int(r["next"])

    def stats(self) -> Dict[str, Any]:
        """``stats``: this client's counters (and the daemon's, for a root client with
        ``CAP_SYS_PTRACE``)."""
        return self.call("stats")

    def who(self, pid: int) -> Dict[str, Any]:
        """``who``: which clients hold engines on process ``pid`` (root or its owner only)."""
        return self.call("who", {"pid": int(pid)})

    def on_notice(self, fn: Optional[NoticeHandler]) -> Optional[NoticeHandler]:
        """Sets a handler for notices (instead of getting them from :meth:`events`)."""
        self._notice_handler = fn
        return fn

    # --- receiving -------------------------------------------------------------------------

    def _live(self) -> bool:
        return not self.closed and any(not e.gone for e in self._engines.values())

    def events(self, timeout: Optional[float] = None, *,
               engine: Optional[Engine] = None) -> Iterator[Message]:
        """Yields reports, events and notices (of ``engine`` only, if given) as they come,
        for ``timeout`` seconds in all (``None``: no limit). Engines with a handler get
        theirs there instead. A sync report the loop body has not answered (``report.reply``)
        is answered ``resume`` when the next one is fetched, so a thread is never left
        waiting. The iteration ends when the time is up, when the connection closes, or when
        the engine (without ``engine``: every engine of this client) is gone and nothing of
        it is left to read.

        Example::

            for ev in client.events(timeout=5):
                print(ev.event, ev.syscall)
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._dispatch()
            m = self._take(engine)
            if m is not None:
                try:
                    yield m
                finally:
                    if isinstance(m, Report) and m.sync and m.answered is None \
                            and not self.closed:
                        m.reply(Action.RESUME)
                continue
            if engine is not None and engine.gone:
                return
            if engine is None and not self._live():
                return
            try:
                if not self._read_one(deadline):
                    return
            except DisconnectedError:
                return

    def _take(self, engine: Optional[Engine]) -> Optional[Message]:
        for k, m in enumerate(self._queue):
            if engine is None or m.engine == engine.id:
                del self._queue[k]
                return m
        return None

    def next_message(self, timeout: Optional[float] = None) -> Optional[Message]:
        """The next report, event or notice without a handler (``None`` if none comes within
        ``timeout`` seconds). Unlike :meth:`events`, a sync report is left for you to
        answer."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._dispatch()
            m = self._take(None)
            if m is not None:
                return m
            if not self._read_one(deadline):
                return None

    def run(self, until: Optional[Callable[[], bool]] = None,
            timeout: Optional[float] = None) -> bool:
        """Dispatches messages to their handlers until ``until()`` is true (checked after
        each message), ``timeout`` seconds pass, the connection closes, or no engine of this
        client is left. Messages without a handler are dropped here; a sync report without
        one is answered ``resume``. True when ``until()`` ended it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._dispatch()
            while self._queue:
                m = self._queue.popleft()
                if isinstance(m, Report) and m.sync and m.answered is None and not self.closed:
                    m.reply(Action.RESUME)
            if until is not None and until():
                return True
            if not self._live():
                return False
            try:
                if not self._read_one(deadline):
                    return False
            except DisconnectedError:
                return False

    def read_for(self, seconds: float) -> None:
        """Reads (and dispatches) whatever comes within ``seconds``."""
        deadline = time.monotonic() + seconds
        try:
            while self._read_one(deadline):
                self._dispatch()
        except DisconnectedError:
            pass

    # --- starting a program ----------------------------------------------------------------

    def spawn(self, argv: Sequence[Union[str, bytes, "os.PathLike[str]"]],
              events: Iterable[Union[str, Event]] = (), *, follow: bool = False,
              mode: str = "async", syscalls: Optional[Sequence[Union[str, int]]] = None,
              seccomp_syscalls: Optional[Sequence[Union[str, int]]] = None,
              env: Optional[Mapping[str, str]] = None,
              cwd: Union[str, bytes, "os.PathLike[str]", None] = None,
              stdin: _spawn.FileArg = None, stdout: _spawn.FileArg = None,
              stderr: _spawn.FileArg = None, handler: Optional[ReportHandler] = None,
              resume: bool = False, timeout: float = 10.0,
              **options: Any) -> Tuple[Engine, _spawn.Program]:
        """Starts ``argv`` traced from its first instruction (PROTOCOL.md's recipe): forks a
        child that waits, attaches it with ``hold_at_exec`` (scope process), lets it exec and
        waits until the engine holds it at its exec stop.

        Returns ``(engine, program)``: the program is held before its first instruction
        unless ``resume=True``; attach more engines now if wanted, then
        ``engine.resume()``. It is your child (your session, terminal, cwd, environment,
        fds, credentials): reap it with ``program.wait()``. A sync engine's ``exec`` report
        is answered ``stop`` here (that keeps the hold) and still delivered, answered.

        Args:
            argv: the program (looked up in ``PATH`` like ``execvp``) and its arguments.
            events, follow, mode, syscalls, handler, options: as for :meth:`attach`.
            seccomp_syscalls: run it under a seccomp filter that stops it only at these
                syscalls (names or numbers; the engine's ``syscalls``): the other syscalls
                run at full speed. Such a program is killed if the daemon goes away.
            env: its whole environment (default: ours); cwd: its working directory;
            stdin, stdout, stderr: fds or files for its fds 0-2 (default: ours).
            timeout: seconds to wait for the hold.

        Raises :class:`~utrace.SpawnError` (``step`` and ``errno``: ``exec``/``ENOENT`` for
        a missing program, ``chdir``, ``attach`` with the daemon's error...) and leaves no
        child behind. A set-uid program the caller may not trace comes back running,
        untraced (``program.untraced``; the engine is gone).
        """
        params, preexec = _spawn.spawn_attach_params(events, follow, mode, seccomp_syscalls,
                                                     syscalls, options)
        child = _spawn.HeldChild(argv, env=env, cwd=cwd, stdin=stdin, stdout=stdout,
                                 stderr=stderr, preexec=preexec, close=(self.fileno(),))
        engine: Optional[Engine] = None
        try:
            try:
                r = self.call("attach", {**params, "pid": child.pid, "hold_at_exec": True})
            except UtraceError as e:
                raise SpawnError("attach", e.errno or _errno.EINVAL, cause=e) from e
            engine = self._engine_from(r, mode, None)
            child.go()
            untraced = self._await_hold(child, engine, timeout)
        except BaseException:
            child.give_up()
            if engine is not None:
                self._discard(engine)
            raise
        child.close()
        program = _spawn.Program(child.pid, argv, untraced)
        if handler is not None:
            engine.on_report(handler)
        if resume and not untraced:
            engine.resume()
        self._dispatch()
        return engine, program

    def _discard(self, engine: Engine) -> None:
        self._forget(engine, "detach")
        self._engines.pop(engine.id, None)
        self._discarded.add(engine.id)

    def _await_hold(self, child: _spawn.HeldChild, engine: Engine, timeout: float) -> bool:
        """Steps 4-5: reads the error pipe while waiting for the hold. True when the program
        runs untraced (its engine taken away at a set-uid exec)."""
        deadline = time.monotonic() + timeout
        exec_done = False
        while True:
            if not exec_done:
                st = child.poll_exec(0)
                if isinstance(st, tuple):
                    child.wait()  # it exits 127 by itself; the engine goes with its reap
                    raise SpawnError(st[0], st[1])
                exec_done = st is True
            left = deadline - time.monotonic()
            if left <= 0:
                raise SpawnError("wait", _errno.ETIMEDOUT,
                                 f"the program was not held at its exec within {timeout} s")
            gone: Optional[UtraceError] = None
            w: Optional[WaitResult] = None
            try:
                w = engine.wait(timeout=min(left, 0.5 if exec_done else 0.05))
            except WaitTimeoutError:
                pass
            except NoSuchThreadError as e:
                gone = e
            if w is not None and w.reason == "report" or gone is not None:
                # the wait's reply may come just before the report that ended it
                self.read_for(0.05)
            state, what = _spawn.hold_state(self._queue, engine.id)
            if state == "credentials":
                self._forget(engine, "resume")
                return True
            if state == "died" or (w is not None and _spawn.proc_state(child.pid) in "ZX"):
                if not exec_done and isinstance(st := child.poll_exec(0.05), tuple):
                    child.wait()
                    raise SpawnError(st[0], st[1])
                raise SpawnError("wait", _errno.ESRCH, "the program died before its exec",
                                 cause=gone)
            if state == "exec":
                if isinstance(what, Report) and what.sync and what.answered is None:
                    what.reply(Action.STOP)  # keeps the hold
                return False
            if w is not None and w.reason == "stopped":
                return False
            if gone is not None:
                if not exec_done and isinstance(st := child.poll_exec(0.05), tuple):
                    child.wait()
                    raise SpawnError(st[0], st[1])
                raise SpawnError("wait", gone.errno or _errno.ESRCH, cause=gone)
