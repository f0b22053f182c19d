"""The asyncio client: the same model as :mod:`utrace.client`, with coroutines.

::

    import asyncio
    from utrace import aio

    async def main():
        client = await aio.Client.connect()
        engine, program = await client.spawn(["ls"], events=["syscall_entry", "death", "reap"])
        await engine.resume()
        async for ev in engine.events(timeout=10):
            print(ev.event, ev.syscall and ev.syscall.name)
        print("exit", await program.wait())
        await client.close()

    asyncio.run(main())

A task reads the connection. Replies complete their calls; reports, events and notices of an
engine with a handler (:meth:`Engine.on_report`: a function or a coroutine function) go to
it, one at a time per engine, in order; the others are kept for :meth:`Client.events` /
:meth:`Engine.events`. Calls from handlers (``await engine.get_regs()``...) work while the
report is in flight.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import errno as _errno
import inspect
import json
import os
import sys
import time
from typing import (Any, AsyncIterator, Awaitable, Callable, Deque, Dict, Iterable, List,
                    Mapping, Optional, Sequence, Tuple, Union)

from . import spawn as _spawn
from .client import MAX_CHUNK
from .errors import (AlreadyError, DisconnectedError, InProgressError, NoSuchThreadError,
                     SpawnError, UtraceError, WaitTimeoutError, error_from_reply)
from .model import (Action, Event, HandlerResult, Message, Notice, Report, Reply, WaitResult,
                    action_name, as_reply, attach_params, decode_regs, default_socket_path,
                    encode_address, encode_line, encode_regs, event_names, ms, request)

__all__ = ["Client", "Engine", "Program", "connect"]

AsyncReportHandler = Callable[[Report], Union[HandlerResult, Awaitable[HandlerResult]]]

_SLACK = 10.0


async def connect(socket_path: Optional[str] = None, *, name: Optional[str] = None,
                  timeout: Optional[float] = None) -> "Client":
    """Same as :meth:`Client.connect`."""
    return await Client.connect(socket_path, name=name, timeout=timeout)


class Program(_spawn.ProgramBase):
    """A program started by :meth:`Client.spawn` (see :class:`utrace.ProgramBase`), with an
    awaitable :meth:`wait`."""

    async def wait(self, timeout: Optional[float] = None) -> int:
        """Waits for it to end (without blocking the event loop) and reaps it; its
        ``returncode``. Raises ``TimeoutError`` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.001
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"program {self.pid} still runs after {timeout} s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.02)
        assert self.returncode is not None
        return self.returncode


class Engine:
    """One engine of an asyncio :class:`Client`; the same methods as
    :class:`utrace.Engine`, as coroutines. ``async with engine:`` detaches it at the end."""

    def __init__(self, client: "Client", engine_id: int, tids: Sequence[int] = (),
                 mode: str = "async") -> None:
        self.client = client
        self.id: int = engine_id
        self.tids: List[int] = list(tids)
        self.mode: str = mode
        self.gone: bool = False
        self.handler: Optional[AsyncReportHandler] = None
        self._hq: Optional[asyncio.Queue] = None
        self._worker: Optional[asyncio.Task] = None

    def __repr__(self) -> str:
        return f"<aio.Engine {self.id} {self.mode} tids={self.tids}" \
               f"{' gone' if self.gone else ''}>"

    async def __aenter__(self) -> "Engine":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if not self.client.closed:
            await self.detach()

    def _p(self, tid: Optional[int], **kw: Any) -> Dict[str, Any]:
        p: Dict[str, Any] = {"engine": self.id}
        if tid is not None:
            p["tid"] = int(tid)
        p.update({k: v for k, v in kw.items() if v is not None})
        return p

    def on_report(self, fn: Optional[AsyncReportHandler]) -> Optional[AsyncReportHandler]:
        """Sets the handler of this engine's reports and events: a function or a coroutine
        function of the report, whose result is the reply to a sync report (as for
        :meth:`utrace.Engine.on_report`). Reports are handed to it one at a time, in order;
        one that raises gets ``resume`` answered, and the exception is raised by the next
        :meth:`Client.run` or :meth:`Client.events`. Returns ``fn`` (a decorator)."""
        self.handler = fn
        if fn is not None:
            self.client._adopt(self)
        return fn

    def events(self, timeout: Optional[float] = None) -> AsyncIterator[Message]:
        """This engine's reports, events and notices (``async for``), as
        :meth:`Client.events` gives them; ends once the engine is gone."""
        return self.client.events(timeout, engine=self)

    async def set_events(self, events: Iterable[Union[str, Event]]) -> bool:
        """Replaces the event list; False for ``EINPROGRESS`` (see
        :meth:`utrace.Engine.set_events`)."""
        try:
            await self.client.call("set_events", self._p(None, events=event_names(events)))
            return True
        except InProgressError:
            return False

    async def control(self, action: Union[str, Action], tid: Optional[int] = None) -> bool:
        """``control``: True when done, False for ``EINPROGRESS``."""
        try:
            await self.client.call("control", self._p(tid, action=action_name(action)))
            return True
        except InProgressError:
            return False

    async def stop(self, tid: Optional[int] = None, *, wait: bool = False,
                   timeout: float = 10.0) -> bool:
        """``control stop``; with ``wait=True`` returns once the thread is stopped."""
        done = await self.control(Action.STOP, tid)
        if done or not wait:
            return done
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WaitTimeoutError(_errno.ETIMEDOUT, f"engine {self.id}: not stopped "
                                       f"after {timeout} s", method="control")
            if (await self.wait(tid, timeout=left)).reason == "stopped":
                return True

    async def resume(self, tid: Optional[int] = None) -> None:
        """``control resume``: releases this engine's hold."""
        await self.control(Action.RESUME, tid)

    async def detach(self, tid: Optional[int] = None) -> None:
        """Detaches (never leaves a thread stopped); an engine already gone is fine."""
        try:
            await self.client.call("control", self._p(tid, action="detach"))
        except (NoSuchThreadError, InProgressError, AlreadyError):
            pass
        if tid is None:
            self.client._forget(self, "detach")

    async def barrier(self, tid: Optional[int] = None, timeout: float = 10.0) -> None:
        """``barrier`` (an engine gone counts as done)."""
        try:
            await self.client.call("barrier", self._p(tid, timeout_ms=ms(timeout, "timeout")),
                                   timeout=timeout + _SLACK)
        except NoSuchThreadError:
            pass

    async def wait(self, tid: Optional[int] = None, timeout: float = 10.0) -> WaitResult:
        """``wait``: ``reason`` ``"stopped"`` or ``"report"``; ``TimeoutError``,
        ``ProcessLookupError`` when gone."""
        r = await self.client.call("wait", self._p(tid, timeout_ms=ms(timeout, "timeout")),
                                   timeout=timeout + _SLACK)
        return WaitResult(str(r.get("reason")), r.get("tid"))

    async def get_regs(self, tid: Optional[int] = None) -> Dict[str, int]:
        """The registers as unsigned ints (while held or a report is in flight)."""
        return decode_regs((await self.client.call("get_regs", self._p(tid))).get("regs"))

    async def set_regs(self, regs: Optional[Mapping[str, int]] = None,
                       tid: Optional[int] = None, **kw: int) -> None:
        """Changes registers (others are left alone)."""
        values = dict(regs or {})
        values.update(kw)
        await self.client.call("set_regs", self._p(tid, regs=encode_regs(
            values, self.client.hex_values)))

    async def read_memory(self, addr: int, size: int, tid: Optional[int] = None) -> bytes:
        """Reads ``size`` bytes at ``addr`` (fewer where unmapped memory begins)."""
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"size: a non-negative int, not {size!r}")
        out = bytearray()
        while len(out) < size:
            n = min(size - len(out), MAX_CHUNK)
            r = await self.client.call("read_memory", self._p(tid, addr=encode_address(
                addr + len(out), self.client.hex_values), size=n))
            chunk = base64.b64decode(r.get("data") or "")
            out += chunk
            if len(chunk) < n:
                break
        return bytes(out)

    async def read_string(self, addr: int, max_size: int = 4096,
                          tid: Optional[int] = None) -> bytes:
        """The NUL-terminated string at ``addr`` (without the NUL)."""
        out = bytearray()
        while len(out) < max_size:
            a = addr + len(out)
            n = min(max_size - len(out), 4096 - a % 4096)
            chunk = await self.read_memory(a, n, tid)
            nul = chunk.find(b"\0")
            if nul >= 0:
                return bytes(out + chunk[:nul])
            out += chunk
            if len(chunk) < n:
                break
        return bytes(out)

    async def write_memory(self, addr: int, data: bytes, tid: Optional[int] = None) -> int:
        """Writes ``data`` at ``addr``; the number of bytes written."""
        data = bytes(data)
        if not data:
            raise ValueError("write_memory: no data")
        done = 0
        while done < len(data):
            part = data[done:done + MAX_CHUNK]
            r = await self.client.call("write_memory", self._p(tid, addr=encode_address(
                addr + done, self.client.hex_values), data=base64.b64encode(part).decode()))
            n = int(r.get("written", 0))
            done += n
            if n < len(part):
                break
        return done

    async def insert_breakpoint(self, addr: int, tid: Optional[int] = None) -> None:
        """As :meth:`utrace.Engine.insert_breakpoint`."""
        await self.client.call("insert_breakpoint",
                               self._p(tid, addr=encode_address(addr, self.client.hex_values)))

    async def remove_breakpoint(self, addr: int, tid: Optional[int] = None) -> None:
        """As :meth:`utrace.Engine.remove_breakpoint`."""
        await self.client.call("remove_breakpoint",
                               self._p(tid, addr=encode_address(addr, self.client.hex_values)))


class Client:
    """One connection to utraced for asyncio code. Make it with ``await
    Client.connect()``; ``await client.close()`` (or ``async with``) detaches every engine.
    Attributes as :class:`utrace.Client`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 timeout: Optional[float] = None) -> None:
        self._reader = reader
        self._writer = writer
        self._next_id = 0
        self._pending: Dict[int, "asyncio.Future[Dict[str, Any]]"] = {}
        self._queue: Deque[Message] = collections.deque()
        self._cond = asyncio.Condition()
        self._arrivals = 0
        self._engines: Dict[int, Engine] = {}
        self._discarded: set = set()
        self._handler_errors: List[BaseException] = []
        self.closed = False
        self.timeout = timeout
        self.server: Dict[str, Any] = {}
        self.protocol = 1
        self.hex_values = False
        self._task = asyncio.get_running_loop().create_task(self._read_loop())
        _spawn.register_connection(self)

    @classmethod
    async def connect(cls, socket_path: Optional[str] = None, *, name: Optional[str] = None,
                      timeout: Optional[float] = None) -> "Client":
        """Connects (default ``$UTRACED_SOCKET``, else ``/run/utraced/utraced.sock``) and says
        ``hello``."""
        path = socket_path or default_socket_path()
        try:
            reader, writer = await asyncio.open_unix_connection(path, limit=1 << 22)
        except OSError as e:
            raise type(e)(e.errno, f"cannot connect to utraced at {path}: {e.strerror}") \
                from None
        c = cls(reader, writer, timeout)
        try:
            await c.hello(name)
        except BaseException:
            await c.close()
            raise
        return c

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def fileno(self) -> int:
        """The socket's fd (-1 once closed)."""
        if self.closed:
            return -1
        sock = self._writer.get_extra_info("socket")
        return sock.fileno() if sock is not None else -1

    async def close(self) -> None:
        """Closes the connection (the daemon detaches every engine of it)."""
        if not self.closed:
            self._lost(DisconnectedError())
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass
        self._task.cancel()
        for e in self._engines.values():
            if e._worker is not None:
                e._worker.cancel()

    def _lost(self, exc: BaseException) -> None:
        self.closed = True
        for f in self._pending.values():
            if not f.done():
                f.set_exception(exc)
        self._pending.clear()
        for e in self._engines.values():
            e.gone = True
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._cond:
            self._arrivals += 1
            self._cond.notify_all()

    async def _read_loop(self) -> None:
        try:
            while True:
                line = await self._reader.readline()
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                try:
                    msg = json.loads(line)
                except ValueError:
                    print(f"utrace: ignoring a line that is not JSON: {line[:200]!r}",
                          file=sys.stderr)
                    continue
                if isinstance(msg, dict):
                    self._route(msg)
                    await self._notify()
        except (OSError, asyncio.IncompleteReadError, ValueError):
            pass
        if not self.closed:
            self._lost(DisconnectedError("utraced closed the connection"))
            try:
                self._writer.close()
            except OSError:
                pass

    def _write(self, line: bytes) -> None:
        if self.closed:
            raise DisconnectedError()
        self._writer.write(line)

    def _route(self, msg: Dict[str, Any]) -> None:
        method = msg.get("method")
        if method is None:
            f = self._pending.pop(msg.get("id"), None)  # type: ignore[arg-type]
            if f is not None and not f.done():
                f.set_result(msg)
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
            if "id" in msg:
                self._write(encode_line({"jsonrpc": "2.0", "id": msg["id"], "error": {
                    "code": -32601, "message": f"unknown method {method}"}}))
            return
        if m.engine in self._discarded:
            if isinstance(m, Report) and m.sync:
                m.reply("detach")
            return
        engine = self._engines.get(m.engine) if isinstance(m.engine, int) else None
        if engine is not None:
            if isinstance(m, Report) and m.engine_gone:
                engine.gone = True
            elif isinstance(m, Notice) and m.reason == "credentials" and len(engine.tids) <= 1:
                engine.gone = True
            if engine.handler is not None:
                self._to_handler(engine, m)
                return
        self._queue.append(m)

    def _send_reply(self, report: Report, reply: Reply) -> None:
        if not self.closed:
            self._write(encode_line({"jsonrpc": "2.0", "id": report.id,
                                     "result": reply.to_result(self.hex_values)}))

    def _to_handler(self, engine: Engine, m: Message) -> None:
        if engine._hq is None:
            engine._hq = asyncio.Queue()
            engine._worker = asyncio.get_running_loop().create_task(self._work(engine))
        engine._hq.put_nowait(m)

    async def _work(self, engine: Engine) -> None:
        assert engine._hq is not None
        while True:
            m = await engine._hq.get()
            h = engine.handler
            try:
                if h is None:
                    result: Any = None
                else:
                    result = h(m)  # type: ignore[arg-type]
                    if inspect.isawaitable(result):
                        result = await result
                if isinstance(m, Report) and m.sync and m.answered is None and not self.closed:
                    m.reply(as_reply(result))
            except asyncio.CancelledError:
                if isinstance(m, Report) and m.sync and m.answered is None and not self.closed:
                    m.reply(Action.RESUME)
                raise
            except BaseException as e:  # noqa: B902 - kept for run()/events()
                if isinstance(m, Report) and m.sync and m.answered is None and not self.closed:
                    m.reply(Action.RESUME)
                self._handler_errors.append(e)
                await self._notify()

    def _adopt(self, engine: Engine) -> None:
        """Hands queued messages of a newly handled engine to its handler."""
        kept: Deque[Message] = collections.deque()
        for m in self._queue:
            if m.engine == engine.id:
                self._to_handler(engine, m)
            else:
                kept.append(m)
        self._queue = kept

    def _raise_handler_error(self) -> None:
        if self._handler_errors:
            raise self._handler_errors.pop(0)

    async def call(self, method: str, params: Optional[Dict[str, Any]] = None,
                   timeout: Optional[float] = None) -> Dict[str, Any]:
        """Sends a request and returns its ``result`` (an error reply raises
        :class:`~utrace.UtraceError`)."""
        if self.closed:
            raise DisconnectedError(method=method)
        self._next_id += 1
        i = self._next_id
        fut: "asyncio.Future[Dict[str, Any]]" = asyncio.get_running_loop().create_future()
        self._pending[i] = fut
        self._write(request(i, method, params))
        t = self.timeout if timeout is None else timeout
        try:
            msg = await asyncio.wait_for(fut, t)
        except asyncio.TimeoutError:
            self._pending.pop(i, None)
            raise WaitTimeoutError(_errno.ETIMEDOUT, f"no reply from utraced in {t} s",
                                   method=method) from None
        if "error" in msg:
            raise error_from_reply(msg["error"], method)
        result = msg.get("result")
        return result if isinstance(result, dict) else {}

    async def hello(self, name: Optional[str] = None) -> Dict[str, Any]:
        """``hello`` (done by :meth:`connect`)."""
        if name is None:
            name = os.path.basename(sys.argv[0] or "") or "python"
        r = await self.call("hello", {"client": str(name)})
        self.server = r
        proto = r.get("protocol")
        self.protocol = proto if isinstance(proto, int) else 1
        self.hex_values = self.protocol >= 2
        return r

    async def attach(self, tid: int, events: Iterable[Union[str, Event]] = (), *,
                     mode: str = "async", scope: str = "thread", follow: bool = False,
                     syscalls: Optional[Sequence[Union[str, int]]] = None,
                     handler: Optional[AsyncReportHandler] = None,
                     **options: Any) -> Engine:
        """Attaches an engine (parameters as :meth:`utrace.Client.attach`)."""
        p = attach_params(tid, events, mode, scope, follow, syscalls, options)
        r = await self.call("attach", p)
        return self._engine_from(r, mode, handler)

    def _engine_from(self, r: Dict[str, Any], mode: str,
                     handler: Optional[AsyncReportHandler]) -> Engine:
        eid = int(r["engine"])
        e = self._engines.get(eid)
        if e is None:
            e = self._engines[eid] = Engine(self, eid, r.get("tids") or (), mode)
        if handler is not None:
            e.on_report(handler)
        return e

    def engine(self, engine_id: int, mode: str = "async") -> Engine:
        """The :class:`Engine` object for an engine id of this client."""
        e = self._engines.get(engine_id)
        if e is None:
            e = self._engines[engine_id] = Engine(self, engine_id, (), mode)
        return e

    def _forget(self, engine: Engine, answer: str) -> None:
        engine.gone = True
        kept: Deque[Message] = collections.deque()
        for m in self._queue:
            if m.engine == engine.id:
                if isinstance(m, Report) and m.sync and m.answered is None and not self.closed:
                    m.reply(answer)
                continue
            kept.append(m)
        self._queue = kept

    async def list(self) -> List[Dict[str, Any]]:
        """Every engine of this client (all pages)."""
        out: List[Dict[str, Any]] = []
        start = 0
        while True:
            r = await self.call("list", {"from": start})
            out.extend(r.get("engines") or [])
            if r.get("next") is None:
                return out
            start = int(r["next"])

    async def stats(self) -> Dict[str, Any]:
        """``stats``."""
        return await self.call("stats")

    async def who(self, pid: int) -> Dict[str, Any]:
        """``who``: the clients holding engines on process ``pid``."""
        return await self.call("who", {"pid": int(pid)})

    def _live(self) -> bool:
        return not self.closed and any(not e.gone for e in self._engines.values())

    def _take(self, engine: Optional[Engine]) -> Optional[Message]:
        for k, m in enumerate(self._queue):
            if engine is None or m.engine == engine.id:
                del self._queue[k]
                return m
        return None

    async def _wait_arrival(self, seen: int, deadline: Optional[float]) -> bool:
        """Waits for a message after arrival number ``seen``; False on timeout."""
        async with self._cond:
            try:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                await asyncio.wait_for(self._cond.wait_for(
                    lambda: self._arrivals != seen or self.closed), left)
                return True
            except asyncio.TimeoutError:
                return False

    async def events(self, timeout: Optional[float] = None, *,
                     engine: Optional[Engine] = None) -> AsyncIterator[Message]:
        """``async for`` the reports, events and notices without a handler (of ``engine``
        only, if given), for ``timeout`` seconds in all (``None``: no limit). A sync report
        the loop body did not answer is answered ``resume`` when the next one is fetched.
        Ends on timeout, when the connection closes, or when the engine (or every engine of
        the client) is gone and nothing of it is left."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._raise_handler_error()
            seen = self._arrivals
            m = self._take(engine)
            if m is not None:
                try:
                    yield m
                finally:
                    if isinstance(m, Report) and m.sync and m.answered is None \
                            and not self.closed:
                        m.reply(Action.RESUME)
                continue
            if self.closed or (engine.gone if engine is not None else not self._live()):
                return
            if not await self._wait_arrival(seen, deadline):
                return

    async def next_message(self, timeout: Optional[float] = None) -> Optional[Message]:
        """The next message without a handler, or ``None`` after ``timeout`` seconds; a sync
        report is left for you to answer."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            seen = self._arrivals
            m = self._take(None)
            if m is not None:
                return m
            if self.closed or not await self._wait_arrival(seen, deadline):
                return None

    async def run(self, until: Optional[Callable[[], bool]] = None,
                  timeout: Optional[float] = None) -> bool:
        """Lets handlers work until ``until()`` is true, ``timeout`` passes, the connection
        closes or no engine is left; messages without a handler are dropped (sync reports
        answered ``resume``). Raises what a handler raised. True when ``until()`` ended
        it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._raise_handler_error()
            seen = self._arrivals
            while self._queue:
                m = self._queue.popleft()
                if isinstance(m, Report) and m.sync and m.answered is None and not self.closed:
                    m.reply(Action.RESUME)
            if until is not None and until():
                return True
            if not self._live():
                # let the handlers finish what they were given
                for e in self._engines.values():
                    if e._hq is not None:
                        while not e._hq.empty():
                            await asyncio.sleep(0.001)
                self._raise_handler_error()
                return False
            if not await self._wait_arrival(seen, deadline):
                return False

    async def spawn(self, argv: Sequence[Union[str, bytes, "os.PathLike[str]"]],
                    events: Iterable[Union[str, Event]] = (), *, follow: bool = False,
                    mode: str = "async", syscalls: Optional[Sequence[Union[str, int]]] = None,
                    seccomp_syscalls: Optional[Sequence[Union[str, int]]] = None,
                    env: Optional[Mapping[str, str]] = None,
                    cwd: Union[str, bytes, "os.PathLike[str]", None] = None,
                    stdin: _spawn.FileArg = None, stdout: _spawn.FileArg = None,
                    stderr: _spawn.FileArg = None,
                    handler: Optional[AsyncReportHandler] = None, resume: bool = False,
                    timeout: float = 10.0, **options: Any) -> Tuple[Engine, Program]:
        """Starts ``argv`` traced from its first instruction; as
        :meth:`utrace.Client.spawn`. Returns ``(engine, program)``, the program held at its
        exec unless ``resume=True``; ``await program.wait()`` reaps it."""
        params, preexec = _spawn.spawn_attach_params(events, follow, mode, seccomp_syscalls,
                                                     syscalls, options)
        child = _spawn.HeldChild(argv, env=env, cwd=cwd, stdin=stdin, stdout=stdout,
                                 stderr=stderr, preexec=preexec, close=(self.fileno(),))
        engine: Optional[Engine] = None
        try:
            try:
                r = await self.call("attach", {**params, "pid": child.pid,
                                               "hold_at_exec": True})
            except UtraceError as e:
                raise SpawnError("attach", e.errno or _errno.EINVAL, cause=e) from e
            engine = self._engine_from(r, mode, None)
            child.go()
            untraced = await self._await_hold(child, engine, timeout)
        except BaseException:
            child.give_up()
            if engine is not None:
                self._forget(engine, "detach")
                self._engines.pop(engine.id, None)
                self._discarded.add(engine.id)
            raise
        child.close()
        if handler is not None:
            engine.on_report(handler)
        if resume and not untraced:
            await engine.resume()
        return engine, Program(child.pid, argv, untraced)

    async def _await_hold(self, child: _spawn.HeldChild, engine: Engine,
                          timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        exec_done = False
        st: Any = None
        while True:
            if not exec_done:
                st = child.poll_exec(0)
                if isinstance(st, tuple):
                    await asyncio.get_running_loop().run_in_executor(None, child.wait)
                    raise SpawnError(st[0], st[1])
                exec_done = st is True
            left = deadline - time.monotonic()
            if left <= 0:
                raise SpawnError("wait", _errno.ETIMEDOUT,
                                 f"the program was not held at its exec within {timeout} s")
            gone: Optional[UtraceError] = None
            w: Optional[WaitResult] = None
            try:
                w = await engine.wait(timeout=min(left, 0.5 if exec_done else 0.05))
            except WaitTimeoutError:
                pass
            except NoSuchThreadError as e:
                gone = e
            if (w is not None and w.reason == "report") or gone is not None:
                await asyncio.sleep(0.05)
            state, what = _spawn.hold_state(self._queue, engine.id)
            if state == "credentials":
                self._forget(engine, "resume")
                return True
            if state == "died" or (w is not None and _spawn.proc_state(child.pid) in "ZX"):
                if not exec_done and isinstance(st := child.poll_exec(0.05), tuple):
                    raise SpawnError(st[0], st[1])
                raise SpawnError("wait", _errno.ESRCH, "the program died before its exec",
                                 cause=gone)
            if state == "exec":
                if isinstance(what, Report) and what.sync and what.answered is None:
                    what.reply(Action.STOP)
                return False
            if w is not None and w.reason == "stopped":
                return False
            if gone is not None:
                if not exec_done and isinstance(st := child.poll_exec(0.05), tuple):
                    raise SpawnError(st[0], st[1])
                raise SpawnError("wait", gone.errno or _errno.ESRCH, cause=gone)
