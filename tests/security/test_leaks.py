#!/usr/bin/env python3
"""Attack 7 of issue 12 (case 8 of the suite): what a client learns about others.

stats: a root client does work first (an engine, events); the attacker's `stats` then shows only
  its own activity (every counter 0: it has done nothing).
attach-errors: `attach` to a root process traced by strace, to a process of another throw-away
  user, and to a pid that does not exist: the error's message and data contain none of the
  target's uids, gids, owner name, comm or tracer pid (data keys only errno/tid/reason).
no-launch-oracle: the daemon looks up no program for anyone any more (issue 13). `launch` of a
  program inside a root 0700 directory the attacker cannot search, and of a path that does not
  exist there, by absolute path and by PATH lookup, gets the same -32601 and starts no process;
  started by the attacker itself (the recipe, spawn_traced), the lookup is the attacker's own:
  EACCES at exec for both, the daemon not asked. Positive control: the attacker starts its own
  program traced and reaps its exit 0.

Usage: test_leaks.py UTRACED
"""
import errno
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seclib as S  # noqa: E402


def numbers(obj, path=""):
    if isinstance(obj, bool):
        return []
    if isinstance(obj, (int, float)):
        return [(path, obj)]
    if isinstance(obj, dict):
        return [x for k, v in obj.items() for x in numbers(v, f"{path}.{k}")]
    if isinstance(obj, list):
        return [x for i, v in enumerate(obj) for x in numbers(v, f"{path}[{i}]")]
    return []


def attacker_stats(sock):
    c = S.Conn(sock)
    r = c.call("stats")
    lst = c.call("list")
    c.close()
    return {"stats": r, "list": lst}


def run_stats(suite, d, victims, user):
    case = "stats"
    v = subprocess.Popen([victims.plain, "ids"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    root = None
    try:
        v.stdout.readline()
        root = S.Conn(d.socket)
        r = root.call("attach", {"tid": v.pid, "events": ["syscall_entry", "syscall_exit"]})
        suite.check(S.code_of(r) == 0, case, "set-up: a root client traces a root process", r)
        for _ in range(5):
            v.stdin.write(b"o\n")
            v.stdin.flush()
        time.sleep(0.3)
        root.read_some(0.1)
        rs = root.call("stats")
        suite.check(S.code_of(rs) == 0 and any(n > 0 for _, n in numbers(rs.get("result"))),
                    case, "set-up: the root client's stats show its activity", rs)
        res = S.run_as(user, attacker_stats, d.socket, timeout=30)
        st = res["stats"]
        nonzero = [(p, n) for p, n in numbers(st.get("result")) if n != 0]
        suite.check(S.code_of(st) == 0 and not nonzero, case,
                    "the attacker's stats show no other client's activity (all its counters 0)",
                    st)
        suite.check(res["list"].get("result", {}).get("engines") == [], case,
                    "the attacker's list is empty", res["list"])
        v.stdin.write(b"q\n")
        v.stdin.flush()
        outp = v.communicate(timeout=10)[0].decode()
        suite.check(v.returncode == 0 and "bye" in outp, case,
                    "the root client's tracee ran unharmed (exit 0)")
    except S.AttackerError as e:
        suite.fail(case, "the attacker ran to the end", str(e))
    finally:
        if root:
            root.close()
        if v.poll() is None:
            v.kill()
            v.wait()


def attacker_attach(sock, tids):
    c = S.Conn(sock)
    out = {str(t): c.call("attach", {"tid": t, "events": ["death"]}) for t in tids}
    c.close()
    return out


def run_attach_errors(suite, d, victims, user, other):
    case = "attach-errors"
    comm = "sekrit" + user.name[-6:]  # at most 15 characters: the comm
    exe = os.path.join(victims.dir, comm)
    shutil.copyfile(victims.plain, exe)
    os.chmod(exe, 0o755)
    procs = []
    try:
        # a root process traced by strace
        st = subprocess.Popen(["strace", "-qq", "-o", "/dev/null", exe, "ids"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        procs.append(st)
        st.stdout.readline()
        with open(f"/proc/{st.pid}/task/{st.pid}/children") as f:
            root_pid = int(f.read().split()[0])
        # a process of another user
        ob = subprocess.Popen(["setpriv", f"--reuid={other.uid}", f"--regid={other.gid}",
                               "--clear-groups", exe, "ids"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        procs.append(ob)
        ob.stdout.readline()
        other_pid = ob.pid
        rst = S.proc_status(root_pid)
        suite.check(rst and rst.get("TracerPid") == str(st.pid) and rst.get("Name") == comm,
                    case, "set-up: a root process named " + comm + " traced by strace", rst)
        gone = S.unused_pid()
        res = S.run_as(user, attacker_attach, d.socket, [root_pid, other_pid, gone], timeout=30)
        targets = [("root process", root_pid, ["0/0", "uid 0", "uids 0", "gid 0", "gids 0",
                                               "root", "owner", comm, str(st.pid)]),
                   ("another user's process", other_pid,
                    [str(other.uid), str(other.gid), other.name, comm, "owner"]),
                   ("a pid that does not exist", gone, [])]
        for what, pid, secrets in targets:
            r = res[str(pid)]
            err = r.get("error") or {}
            data = err.get("data") or {}
            suite.check(S.code_of(r) in (S.EPERM, S.ESRCH), case,
                        f"attach to {what}: refused (EPERM/ESRCH)", r)
            text = json.dumps(err).replace(str(pid), "<TID>")
            found = [s for s in secrets if re.search(re.escape(s) + r"(?![0-9])", text)]
            suite.check(not found, case, f"attach to {what}: the error reveals none of its "
                        "ids, owner, comm or tracer", {"found": found, "error": err})
            extra = set(data) - {"errno", "tid", "reason"}
            suite.check(not extra, case, f"attach to {what}: data has only errno/tid/reason",
                        data)
        for p in procs:
            p.stdin.write(b"q\n")
            p.stdin.flush()
        ok = all(p.wait(timeout=10) == 0 for p in procs)
        suite.check(ok, case, "the targets ran unharmed (exit 0)", [p.returncode for p in procs])
    except S.AttackerError as e:
        suite.fail(case, "the attacker ran to the end", str(e))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def attacker_oracle(sock, plain, attempts):
    S.set_dumpable()
    c = S.Conn(sock)
    out = {}
    null = os.open(os.devnull, os.O_RDWR)
    try:
        eng, pid = S.spawn_traced(c, [plain, "ids"], {"events": []}, stdin=null, stdout=null)
        c.call("control", {"engine": eng, "action": "resume"})
        out["control"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except S.SpawnError as e:
        out["control"] = str(e)
    for name, argv, env in attempts:
        params = {"argv": argv, "events": []}
        if env:
            params["env"] = [f"PATH={env}"]
        out["launch-" + name] = c.call("launch", params, timeout=15)
        try:
            eng, pid = S.spawn_traced(c, argv, {"events": []}, stdin=null, stdout=null,
                                      env={"PATH": env} if env else None)
            out["spawn-" + name] = "started"
            c.call("control", {"engine": eng, "action": "detach"})
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except S.SpawnError as e:
            out["spawn-" + name] = [e.step, e.errno]
    out["engines"] = c.call("list").get("result", {}).get("engines")
    c.close()
    return out


def run_launch_oracle(suite, d, victims, user):
    case = "no-launch-oracle"
    secret = os.path.join(victims.dir, "secret")
    os.mkdir(secret)
    os.chmod(secret, 0o700)
    shutil.copyfile(victims.plain, os.path.join(secret, "prog"))
    os.chmod(os.path.join(secret, "prog"), 0o755)
    attempts = [("abs-exists", [os.path.join(secret, "prog")], None),
                ("abs-missing", [os.path.join(secret, "nope")], None),
                ("path-exists", ["prog"], secret),
                ("path-missing", ["nope"], secret)]
    kids_before = set(S.daemon_children(d.pid))
    try:
        res = S.run_as(user, attacker_oracle, d.socket, victims.plain, attempts, timeout=60)
    except S.AttackerError as e:
        suite.fail(case, "the attacker ran to the end", str(e))
        return
    suite.check(res["control"] == 0, case, "positive control: the attacker starts its own "
                "program traced and reaps its exit 0", res["control"])

    def norm(r):
        t = json.dumps(r.get("error") or {"result": "ok"}, sort_keys=True)
        t = t.replace(os.path.join(secret, "prog"), "<P>").replace(os.path.join(secret, "nope"),
                                                                  "<P>")
        return re.sub(r'"(prog|nope)"', '"<P>"', re.sub(r"\b(prog|nope)\b", "<P>", t))

    for kind in ("abs", "path"):
        a, b = res[f"launch-{kind}-exists"], res[f"launch-{kind}-missing"]
        suite.check(S.code_of(a) == -32601, case, f"{kind}: `launch` of a program in a "
                    "directory the attacker cannot search: -32601 (no such method)", a)
        suite.check(norm(a) == norm(b), case, f"{kind}: the same answer for an existing program "
                    "and a missing one (no oracle)", {"exists": a, "missing": b})
        a, b = res[f"spawn-{kind}-exists"], res[f"spawn-{kind}-missing"]
        suite.check(a == ["exec", errno.EACCES] and b == a, case, f"{kind}: started by the "
                    "attacker itself, both fail with EACCES at exec (its own lookup)",
                    {"exists": a, "missing": b})
    suite.check(res["engines"] == [], case, "no engine of the attacker's is left",
                res["engines"])
    kids = [k for k in S.daemon_children(d.pid) if k not in kids_before]
    suite.check(not kids, case, "the daemon started no process", kids)


def main():
    with S.Suite("leaks") as suite:
        try:
            user = S.make_user(suite)
            other = S.make_user(suite)
            victims = S.Victims(suite, need_special=False)
            d = S.start_daemon(suite)
        except S.SetupError as e:
            suite.fail("set-up", str(e))
            return suite.exit_code()
        run_stats(suite, d, victims, user)
        run_attach_errors(suite, d, victims, user, other)
        run_launch_oracle(suite, d, victims, user)
        suite.check(S.daemon_alive(d), "leaks", "the daemon is still running")
    return suite.exit_code()


if __name__ == "__main__":
    sys.exit(main())
