#!/usr/bin/env python3
"""Replays every ```jsonl example of proto/PROTOCOL.md against a real utraced and a real tracee.

Usage: replay_protocol.py UTRACED TRACEE PROTOCOL.md

Example lines:
  > {...}      sent to the daemon as one line ("${NAME}" strings are replaced by bound values)
  < {...}      the next message that matches this pattern must arrive; reports and events that
               do not match are skipped (reports answered with resume). In a pattern, "*"
               matches anything and "${NAME}" binds NAME on first use, then must be equal.
               "${ID}" always binds afresh: the id of the last matched report request.
  ! tracee X   writes the line X to the tracee's stdin (the tracee runs `tracee on-input`)
  ! state S    the tracee's /proc state letter must become S (e.g. t, S)
  ! tracer N   its TracerPid must become N ("daemon" or 0)
  ! raw TEXT   TEXT is sent as-is (for malformed-input examples)
  ! signal SIG the tracee is sent signal SIG (e.g. USR1)
Other lines (comments, blank) are ignored. Each example runs on a new connection, a new
tracee and the same daemon; TID is bound to the tracee's pid.
"""
import json
import os
import re
import signal
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from utraced_harness import Client, Daemon, Tracee, wait_for  # noqa: E402

PLACEHOLDER = re.compile(r'"\$\{([A-Z_]+)\}"')


def substitute(text, env):
    def rep(m):
        name = m.group(1)
        if name not in env:
            raise KeyError(f"unbound placeholder {name}")
        return json.dumps(env[name])
    return PLACEHOLDER.sub(rep, text)


def match(pattern, value, env, binds):
    if isinstance(pattern, str):
        if pattern == "*":
            return True
        m = re.fullmatch(r"\$\{([A-Z_]+)\}", pattern)
        if m:
            name = m.group(1)
            if name in env and name != "ID":
                return env[name] == value
            binds[name] = value
            return True
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and match(v, value[k], env, binds) for k, v in pattern.items())
    if isinstance(pattern, list):
        return isinstance(value, list) and len(pattern) == len(value) and all(
            match(p, v, env, binds) for p, v in zip(pattern, value))
    return pattern == value


def run_example(daemon, tracee_bin, lines, name):
    tracee = Tracee(tracee_bin, "on-input")
    client = Client(daemon.socket)
    env = {"TID": tracee.pid}
    try:
        for line in lines:
            if line.startswith("> "):
                client.send_line(substitute(line[2:], env))
            elif line.startswith("< "):
                pattern = json.loads(line[2:])
                skipped = []
                while True:
                    msg = client.recv()
                    binds = {}
                    if match(pattern, msg, env, binds):
                        env.update(binds)
                        if "method" in msg and "id" in msg:
                            env["ID"] = msg["id"]
                        break
                    skipped.append(msg)
                    if msg.get("method") == "report":
                        client.send({"jsonrpc": "2.0", "id": msg["id"], "result": {"action": "resume"}})
                    elif msg.get("method") != "event":
                        raise AssertionError(f"{name}: expected {line[2:]}\n got {json.dumps(msg)}")
                    if len(skipped) > 10000:
                        raise AssertionError(f"{name}: never received {line[2:]}")
            elif line.startswith("! tracee "):
                tracee.write(line[len("! tracee "):])
            elif line.startswith("! state "):
                want = line[len("! state "):].strip()
                got = wait_for(lambda: (tracee.status() or ("?", 0))[0] == want and want)
                if not got:
                    raise AssertionError(f"{name}: tracee state {tracee.status()} != {want}")
            elif line.startswith("! tracer "):
                want = line[len("! tracer "):].strip()
                want_pid = daemon.proc.pid if want == "daemon" else int(want)
                if not wait_for(lambda: (tracee.status() or ("?", -1))[1] == want_pid):
                    raise AssertionError(f"{name}: TracerPid {tracee.status()} != {want_pid}")
            elif line.startswith("! signal "):
                os.kill(tracee.pid, getattr(signal, "SIG" + line[len("! signal "):].strip()))
            elif line.startswith("! alive"):
                if tracee.proc.poll() is not None:
                    raise AssertionError(f"{name}: the tracee died ({tracee.proc.returncode})")
            elif line.startswith("! raw "):
                client.send_line(line[len("! raw "):])
    finally:
        client.close()
        released = wait_for(lambda: tracee_released(tracee))
        tracee.stop()
    # Whatever an example did, closing its connection must leave the tracee running untraced.
    if not released:
        raise AssertionError(f"{name}: tracee left traced or stopped after the client closed")


def tracee_released(tracee):
    s = tracee.status()
    if s is None or s[0] in "ZX":
        return "gone"
    return "free" if s[1] == 0 and s[0] not in "tT" else None


def examples(path):
    blocks, current, title = [], None, "?"
    for raw in open(path):
        line = raw.rstrip("\n")
        if line.startswith("#"):
            title = line.lstrip("# ").strip()
        if current is None and line.strip() == "```jsonl":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append((title, current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def main():
    utraced, tracee_bin, protocol = sys.argv[1:4]
    blocks = examples(protocol)
    if not blocks:
        print("no examples found")
        return 1
    daemon = Daemon(utraced)
    failed = 0
    try:
        for i, (title, lines) in enumerate(blocks):
            name = f"example {i + 1} ({title})"
            try:
                run_example(daemon, tracee_bin, lines, name)
                print(f"ok   {name}")
            except Exception as e:  # report every example, then fail
                failed += 1
                print(f"FAIL {name}: {e}")
    finally:
        rc = daemon.stop(keep_dir=failed > 0)
        if failed:
            print("daemon log kept in", daemon.dir)
    print(f"{len(blocks) - failed} examples passed, {failed} failed; daemon exit {rc}")
    return 1 if failed or rc != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
