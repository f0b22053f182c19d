"""Test harness for script-level tests: a private utraced on a temporary socket, tracee
processes, and a raw JSON-lines client. Standard library only, as a script user would have."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


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

    def send_line(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def send(self, obj):
        self.send_line(json.dumps(obj))

    def recv(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("daemon closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

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
