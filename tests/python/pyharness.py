"""Shared by the Python package's tests: a private utraced on a temporary socket (as
tests/scripts/utraced_harness.py's Daemon starts it), a check() that counts failures, and
the paths of the package and its examples in the source tree."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import List

SOURCE_ROOT = os.environ.get("UTRACED_SOURCE_ROOT") or \
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PY_DIR = os.path.join(SOURCE_ROOT, "python")
EXAMPLES = os.path.join(PY_DIR, "examples")
if PY_DIR not in sys.path:
    sys.path.insert(0, PY_DIR)

failures: List[str] = []


def check(cond: object, what: str) -> bool:
    """Records one assertion: prints "ok"/"FAIL" and what it checked."""
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return bool(cond)


def finish() -> None:
    """Exit status for meson: 0 when every check passed."""
    if failures:
        print(f"{len(failures)} check(s) failed:", *failures, sep="\n  ")
        sys.exit(1)
    print("all checks passed")


class Daemon:
    """utraced on a temporary socket; UTRACED_SOCKET points at it while it runs."""

    def __init__(self, binary: str, *args: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="utraced-py-")
        self.socket = os.path.join(self.dir, "utraced.sock")
        self.log_path = os.path.join(self.dir, "daemon.log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([binary, "--socket", self.socket, "--log-level",
                                          "info", *args], stderr=log)
        deadline = time.time() + 10
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("utraced did not start:\n" + self.log())
            time.sleep(0.01)
        os.environ["UTRACED_SOCKET"] = self.socket

    def log(self) -> str:
        with open(self.log_path) as f:
            return f.read()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


def proc_status(pid: int) -> dict:
    """/proc/PID/status as a dict ({} when gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return {k: v.strip() for k, v in (line.split(":", 1) for line in f if ":" in line)}
    except OSError:
        return {}


def wait_for(pred, timeout: float = 5.0, step: float = 0.01):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def env_with_package() -> dict:
    """Our environment with PYTHONPATH naming the source tree's package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PY_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                  else "")
    return env
