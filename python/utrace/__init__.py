"""utrace: a Python client for utraced, the daemon that offers the utrace engine model (many
tracers on one thread) over JSON-RPC on a Unix socket. Standard library only.

Blocking API::

    import utrace

    with utrace.connect() as client:                     # $UTRACED_SOCKET or /run/utraced/...
        engine, program = client.spawn(["ls", "/"], events=["syscall_entry", "death", "reap"])
        engine.resume()                                  # held at its first instruction
        for ev in engine.events():
            if ev.event == "syscall_entry":
                print(ev.syscall.name, [hex(a) for a in ev.args])
        program.wait()

Sync engines answer each report from a handler::

    engine = client.attach(pid, ["syscall_entry"], mode="sync", syscalls=["unlink"],
                           handler=lambda r: "stop")   # hold the thread at unlink()

asyncio: :mod:`utrace.aio`. Errors: :mod:`utrace.errors` (``UtraceError`` is an ``OSError``
with the daemon's ``errno``). Values (registers, syscall arguments, addresses) are Python
ints whether the daemon sends numbers (protocol 1) or ``"0x…"`` strings (protocol 2).
"""

from .client import Client, Engine, connect
from .errors import (AlreadyError, DisconnectedError, EngineExistsError, FaultError,
                     InProgressError, InvalidStateError, LimitReachedError,
                     NoMatchingEngineError, NoSuchThreadError, NotPermittedError,
                     ProtocolError, ShuttingDownError, SpawnError, UtraceError,
                     WaitTimeoutError, error_from_reply)
from .model import (Action, Event, Message, Notice, Reply, Report, Syscall, WaitResult,
                    default_socket_path, to_int, to_signed)
from .spawn import HeldChild, Program, ProgramBase, seccomp_filter, syscall_number

__version__ = "0.2.0"

__all__ = [
    "Client", "Engine", "connect", "Action", "Event", "Message", "Notice", "Reply", "Report",
    "Syscall", "WaitResult", "Program", "ProgramBase", "HeldChild", "seccomp_filter",
    "syscall_number", "default_socket_path", "to_int", "to_signed", "UtraceError",
    "ProtocolError", "NoSuchThreadError", "NotPermittedError", "NoMatchingEngineError",
    "EngineExistsError", "LimitReachedError", "InvalidStateError", "FaultError",
    "WaitTimeoutError", "InProgressError", "AlreadyError", "ShuttingDownError",
    "DisconnectedError", "SpawnError", "error_from_reply", "__version__",
]
