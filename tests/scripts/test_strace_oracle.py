#!/usr/bin/env python3
"""strace 6.1 as the oracle for `utracectl run` (issue 14's proof).

Each program runs twice, under `strace -f -o A OPTS PROG` and `utracectl run -f -o B OPTS --
PROG`, in the same directory with the same environment (PYTHONHASHSEED=0: python hashes strings
with a random seed, and its allocations follow), stdin and stdout on /dev/null. Both
files are parsed into whole calls (`<unfinished ...>` joined with its `<... NAME resumed>`, and
the column-40 padding before ` = ` dropped, since it depends on where a line was split), then
normalised for what legitimately differs between two runs of the same program:

- pids and tids (in the calls that take or return one, and si_pid: every number there equal to
  a traced pid or to getppid()'s result, the tracer) -> PID;
- addresses and other hex values (0x...) -> 0xX (ASLR: mmap, brk, stacks, handlers, futexes);
- getrandom's bytes, the environment count of execve (`/* N vars */`);
- timings: si_utime/si_stime of SIGCHLD, getrusage's ru_utime/ru_stime, nanosleep remainders and
  clock_nanosleep's absolute deadlines,
  select's time left;
  statfs's free blocks and inodes;
- gcc's random temporary names (/tmp/ccXXXXXX.s); with -y, pipe and socket inode numbers;
- a thread's malloc arena: glibc reserves 64 MiB at a hint, or 128 MiB trimmed by one or two
  munmaps (depends on the address space layout): the mmap is compared as one token, the trims
  are left out of the rate;
- the values that depend on how two concurrent processes were scheduled: the byte counts of
  read()/write() on pipes (how a reader's reads fall, and so head's lseek back), the results of futex and wait4 (which
  thread or child came first), and `= ? ERESTART...` vs a result (where a signal fell).
  For those calls only the name and the arguments that do not depend on it are compared (the
  call's text up to its first argument for futex; the fd for reads and writes of pipes).

A pipeline's writer may or may not die of SIGPIPE (its write racing the reader's exit): runs are
repeated until both took the same branch (run_agreeing).

Lines are then compared per syscall as multisets (over all processes: the interleaving of
concurrent processes and threads differs from run to run, and so does which pid is which).
Each process the two runs have in common (told apart by its execve lines) must also show its
lines in the same order (signals, futex, getrandom, brk/mmap/munmap aside; calls whose result
races by name only, a run of them as one). Pipe reads and writes are compared but not counted
in the rate (how many there are is the scheduler's).
The match rate counts, for the syscalls the table marks decoded (SyscallSpec::decoded), the
strace lines found identically in utracectl's output; it is printed per program and overall and
must reach THRESHOLD. Non-decoded syscalls and signal/exit lines are compared and printed too.

The programs run with no option, and some again with -y, -s N and -x.

Also: `-c` (the same syscalls with the same call and error counts on deterministic programs, the
same header, rule and total lines), `-e trace=%file -e status=failed` (exactly the same lines),
`-ff -o P` (as many files, each with strace's lines for its process: gcc, cc1, as), and
`utracectl run -ff -tt -o P` read by strace's own strace-log-merge.
Usage: test_strace_oracle.py UTRACED UTRACECTL"""
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from utraced_harness import Daemon  # noqa: E402

# Compared and printed, but not in the rate, since how many there are differs between runs:
# futex (how often threads wait and wake each other depends on the scheduling), getrandom
# (glibc's mkstemp draws again when a draw falls in the biased top of the range, about one
# time in 22: gcc's temporary files).
# rt_sigreturn: one per signal handled, and a shell may get one SIGCHLD for two children.
RACY_COUNT = {"futex", "getrandom", "rt_sigreturn"}
# Decoded in the table, but not yet printed as strace does, for a reason outside the decoder:
# counted in the rate, left out of the threshold (named in the output).
# None left: rt_sigreturn({mask=[...]}) was one until the capture carried the stack pointer
# (capture.sp: the decoder reads the frame's uc_sigmask at sp + 296, in the daemon at the stop).
KNOWN_GAPS: set = set()
THRESHOLD = 1.0  # of the decoded syscalls' lines, per program
failures = []
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def decoded_syscalls():
    """name -> decoded, from proto/src/syscall_table.cpp (the table utracectl decodes with)."""
    table = {}
    with open(os.path.join(REPO, "proto", "src", "syscall_table.cpp")) as f:
        for line in f:
            m = re.match(r'\s*\{(\d+), "(\w+)", \d+,.*?(false)?\},\s*$', line)
            if m:
                table[m.group(2)] = m.group(3) is None
    return table


# Three threads at once. What glibc does for threads depends on the order they start and end
# in (a finished thread's stack and malloc arena are reused by the next one): all three are
# started before any ends (the barrier), and their work is done one at a time (the lock), so
# both runs make the same calls; only their futex waits and wakes differ.
PY_THREADS = r"""
import threading, os, time
lock = threading.Lock()
started = threading.Barrier(4)
def work(n):
    started.wait()
    with lock:
        with open('/etc/hostname') as f:
            f.read()
        os.stat('/etc/passwd')
ts = [threading.Thread(target=work, args=(i,)) for i in range(3)]
for t in ts: t.start()
started.wait()
for t in ts: t.join()
time.sleep(0.2)  # join returns before a thread's last calls (madvise, exit): let them end first
"""

PY_SIGNALS = r"""
import os, select, signal, subprocess
r, w = os.pipe()
os.write(w, b'a')
select.select([r], [w], [], 1)
select.select([r], [], [], 0)
r2, w2 = os.pipe()
select.select([r2], [], [], 0.001)
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
signal.signal(signal.SIGCHLD, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
pid = os.fork()
if pid == 0:
    os._exit(3)
os.waitpid(pid, 0)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
os.kill(os.getpid(), signal.SIGTERM)
"""

SH_TRAP = "trap 'echo got USR1' USR1; kill -USR1 $$; /bin/true; echo done"


# The interpreter itself (not a wrapper such as pyenv's shim script, which would be traced too).
PYTHON = os.path.realpath(sys.executable)


def programs(tmp):
    src = os.path.join(tmp, "tree")
    return [
        ("pipeline", ["sh", "-c", "ls -l /etc | sort | head -3"]),
        ("python-threads", [PYTHON, "-S", "-c", PY_THREADS]),
        ("tar-create", ["tar", "-cf", os.path.join(tmp, "t.tar"), "-C", src, "."]),
        ("tar-extract", ["tar", "-xf", os.path.join(tmp, "t.tar"), "-C", os.path.join(tmp, "out")]),
        ("gcc", ["gcc", "-c", "-o", os.path.join(tmp, "hello.o"), os.path.join(tmp, "hello.c")]),
        ("sh-trap", ["sh", "-c", SH_TRAP]),
        ("python-signals", [PYTHON, "-S", "-c", PY_SIGNALS]),
        ("coreutils", ["sh", "-c", f"cp -r {src} {tmp}/copy && rm -r {tmp}/copy; stat {src}/a.txt; "
                                   f"find {src} -name '*.txt'; du -s {src}; df {src}"]),
    ]


def make_tree(tmp):
    src = os.path.join(tmp, "tree")
    os.makedirs(os.path.join(src, "sub", "deeper"))
    for i, rel in enumerate(["a.txt", "sub/b.txt", "sub/deeper/c.bin"]):
        with open(os.path.join(src, rel), "wb") as f:
            f.write(bytes(range(256)) * (i + 1))
        os.utime(os.path.join(src, rel), (1700000000, 1700000000))
    os.symlink("a.txt", os.path.join(src, "link"))
    for d in ["sub/deeper", "sub", ""]:
        os.utime(os.path.join(src, d), (1700000000, 1700000000))
    os.makedirs(os.path.join(tmp, "work"))  # the programs' cwd: nothing else is written there
    with open(os.path.join(tmp, "hello.c"), "w") as f:
        f.write("int add(int a, int b) { return a + b; }\n")


LINE = re.compile(r"^(\d+) +(.*)$")
UNFINISHED = " <unfinished ...>"
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")


def whole_calls(path):
    """[(pid, text)] with unfinished/resumed pairs joined, in file order of completion."""
    out = []
    pending = {}
    with open(path, errors="replace") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            m = LINE.match(raw)
            if not m:
                out.append((0, raw))
                continue
            pid, text = int(m.group(1)), m.group(2)
            if text.endswith(UNFINISHED) and not text.startswith("<..."):
                pending[pid] = text[: -len(UNFINISHED)]
                continue
            r = RESUMED.match(text)
            if r and pid in pending:
                text = pending.pop(pid) + r.group(2)
            out.append((pid, text))
    for pid, text in pending.items():
        out.append((pid, text + UNFINISHED))
    return out


def name_of(text):
    m = re.match(r"^(\w+)\(", text)
    return m.group(1) if m else None


# The calls with a pid or tid among their arguments or as their result (and rt_sigreturn,
# whose result is the interrupted call's); the signal lines' si_pid.
PID_CALLS = {"getpid", "gettid", "getppid", "getpgrp", "getpgid", "getsid", "setsid", "setpgid",
             "kill", "tkill", "tgkill", "wait4", "waitid", "clone", "clone3", "fork", "vfork",
             "set_tid_address", "prlimit64", "sched_getaffinity", "sched_setaffinity",
             "pidfd_open", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "ioctl", "fcntl",
             "rt_sigreturn", "restart_syscall", "ptrace", "process_vm_readv", "getpriority",
             "setpriority", "sched_getscheduler", "sched_getparam"}
STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def outside_strings(text, f):
    """text with f applied to what is not inside a quoted string."""
    out, last = [], 0
    for m in STRING.finditer(text):
        out.append(f(text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(f(text[last:]))
    return "".join(out)


def normalise(calls, pipes=frozenset(), extra_pids=()):
    """The normalised lines (see the docstring), as [(name or None, text)]."""
    pids = {pid for pid, _ in calls if pid} | set(extra_pids)
    for _, text in calls:
        m = re.match(r"^getppid\(\)\s*= (\d+)", text)
        if m:
            pids.add(int(m.group(1)))
        for m in re.finditer(r"(?:clone3?|vfork|fork)\(.*= (\d+)$", text):
            pids.add(int(m.group(1)))
    trims = any(t.startswith("mmap(NULL, 134217728, PROT_NONE, ") for _, t in calls)
    out = []
    for index, (pid, text) in enumerate(calls):
        name = name_of(text)
        t = re.sub(r"\)\s+= ", ") = ", text)
        t = re.sub(r"/tmp/cc\w{6}\.(\w+)", r"/tmp/ccXXXXXX.\1", t)  # before 0x: /tmp/ccC0x4Ab.s
        t = re.sub(r"\b0x[0-9a-f]+", "0xX", t)
        if name in PID_CALLS or name is None:  # only where a pid can be (pids wrap: 755 too)
            t = outside_strings(t, lambda part: re.sub(
                r"\b\d+\b", lambda m: "PID" if int(m.group(0)) in pids else m.group(0), part))
        t = re.sub(r"/\* \d+ vars \*/", "/* N vars */", t)
        t = re.sub(r"<(pipe|socket|anon_inode):\[\d+\]>", r"<\1:[N]>", t)  # -y: inode numbers
        t = re.sub(r"si_([us])time=\d+( /\* [\d.]+ s \*/)?", r"si_\1time=N", t)
        t = re.sub(r"ru_([us])time=\{tv_sec=\d+, tv_usec=\d+\}", r"ru_\1time={...}", t)
        t = re.sub(r"f_bfree=\d+, f_bavail=\d+, f_files=(\d+), f_ffree=\d+",
                   r"f_bfree=N, f_bavail=N, f_files=\1, f_ffree=N", t)  # the disk's free space
        if name == "sysinfo":
            t = re.sub(r"^sysinfo\(\{.*\}\)", "sysinfo({...})", t)  # uptime, free memory
        # A thread's malloc arena: glibc reserves 64 MiB aligned to 64 MiB, either at the hint
        # the previous arena left (one mmap) or as 128 MiB trimmed to the alignment (an mmap
        # and up to two munmaps): which one depends on the address space layout (ASLR).
        if name == "mmap" and re.match(r"^mmap\((0xX, 67108864|NULL, 134217728), PROT_NONE, "
                                       r"MAP_PRIVATE\|MAP_ANONYMOUS\|MAP_NORESERVE, -1, 0\)", t):
            t = "mmap(<a malloc arena's 64 MiB>) = 0xX"
        if name == "munmap" and re.match(r"^munmap\(0xX, (\d+)\)", t):
            size = int(re.match(r"^munmap\(0xX, (\d+)\)", t).group(1))
            if trims and size % 4096 == 0 and size <= (64 << 20):
                name, t = "munmap (arena trim)", "munmap(0xX, <the arena's alignment>) = 0"
        if name == "getrandom":
            t = re.sub(r'^getrandom\("[^"]*"', 'getrandom("..."', t)
        if name in ("futex", "wait4", "waitid"):
            t = re.sub(r" = .*$", " = R", t)  # who came first
            if name == "futex":
                t = re.sub(r"^futex\(0xX, (\w+).*$", r"futex(0xX, \1...", t)
        if re.search(r" = \? ERESTART\w+ .*$", t) or t.endswith(UNFINISHED):
            t = re.sub(r" = \? ERESTART\w+ .*$| <unfinished \.\.\.>$", " = R", t)
        if index in pipes:
            m = re.match(r"^\w+\((\d+)(<[^>]*>)?,", t)
            t = f"{name}({m.group(1)}{m.group(2) or ''}, ...) = R"
            name += " (pipe)"  # how many there are is the scheduler's: not in the rate
        t = re.sub(r"left \{tv_sec=\d+, tv_(n|u)sec=\d+\}", r"left {...}", t)  # select's time left
        if name == "clock_nanosleep":  # an absolute deadline is a time
            t = re.sub(r"TIMER_ABSTIME, \{tv_sec=\d+, tv_nsec=\d+\}", "TIMER_ABSTIME, {...}", t)
        if name == "nanosleep" or name == "clock_nanosleep":
            t = re.sub(r", \{tv_sec=\d+, tv_nsec=\d+\}\) = R", ", {...}) = R", t)
        out.append((name, t))
    return out


FD_RESULT = re.compile(r"= (\d+)(?:<[^>]*>)?$")
NEW_FD_CALLS = {"open", "openat", "creat", "socket", "accept", "accept4", "epoll_create",
                "epoll_create1", "eventfd", "eventfd2", "memfd_create", "signalfd4",
                "timerfd_create", "inotify_init1", "pidfd_open"}


def pipe_lines(calls):
    """The indices of the calls that read, write or seek a pipe end: fds followed through each
    process in file order (pipe/pipe2 make them, close/dup2/dup3/dup/F_DUPFD and new fds change
    them; a child starts with its parent's at the clone/fork/vfork that returned it, or, when its
    first line comes before that (the parent still in the call), with its parent's then)."""
    parent = {}
    for pid, text in calls:
        m = re.match(r"^(?:clone3?|fork|vfork)\(.*= (\d+)$", text)
        if m:
            parent[int(m.group(1))] = pid
    state, out = {}, set()
    for i, (pid, text) in enumerate(calls):
        if pid not in state:
            state[pid] = set(state.get(parent.get(pid), set()))
        fds = state[pid]
        name = name_of(text)
        m = re.match(r"^\w+\((\d+)", text)
        fd = int(m.group(1)) if m else None
        result = FD_RESULT.search(text)
        if name in ("read", "write", "readv", "writev", "lseek") and fd in fds:
            out.add(i)
        mc = re.match(r"^(?:clone3?|fork|vfork)\(.*= (\d+)$", text)
        if mc and int(mc.group(1)) not in state:
            state[int(mc.group(1))] = set(fds)  # the parent's fds at the fork, not later ones
        mp = re.match(r"^pipe2?\(\[(\d+)(?:<[^>]*>)?, (\d+)", text)
        if mp:
            fds.update({int(mp.group(1)), int(mp.group(2))})
        elif name == "close" and fd is not None:
            fds.discard(fd)
        elif name in ("dup2", "dup3"):
            m2 = re.match(r"^dup[23]\((\d+)(?:<[^>]*>)?, (\d+)", text)
            if m2:
                (fds.add if int(m2.group(1)) in fds else fds.discard)(int(m2.group(2)))
        elif (name == "dup" or (name == "fcntl" and "F_DUPFD" in text)) and result:
            (fds.add if fd in fds else fds.discard)(int(result.group(1)))
        elif name in NEW_FD_CALLS and result:
            fds.discard(int(result.group(1)))
    return out


def compare_lines(label, a_calls, b_calls, table, stats):
    a = normalise(a_calls, pipe_lines(a_calls))
    b = normalise(b_calls, pipe_lines(b_calls))
    # rt_sigreturn is not counted (how many follows how signals coalesce), but each of its
    # lines must be one strace prints (the mask read from the frame at the stack pointer).
    a_ret = {t for n, t in a if n == "rt_sigreturn"}
    bad_ret = sorted({t for n, t in b if n == "rt_sigreturn"} - a_ret)
    if a_ret:
        check(not bad_ret, f"{label}: every rt_sigreturn line is one strace printed ({bad_ret[:3]})")
    ca = collections.Counter(a)
    cb = collections.Counter(b)
    dec_total = dec_match = other_total = other_match = gap_total = gap_match = 0
    for (name, text), n in ca.items():
        m = min(n, cb.get((name, text), 0))
        if name is not None and table.get(name, False) and name not in RACY_COUNT:
            dec_total += n
            dec_match += m
            if name in KNOWN_GAPS:
                gap_total += n
                gap_match += m
        else:
            other_total += n
            other_match += m
    missing = ca - cb
    extra = cb - ca
    rate = dec_match / dec_total if dec_total else 1.0
    covered = dec_total - gap_total
    rate_covered = (dec_match - gap_match) / covered if covered else 1.0
    stats[label] = (dec_match, dec_total, dec_match - gap_match, covered)
    print(f"     {label}: decoded syscalls {dec_match}/{dec_total} = {100 * rate:.1f} %, "
          f"without the known gaps ({', '.join(sorted(KNOWN_GAPS))}) {dec_match - gap_match}/"
          f"{covered} = {100 * rate_covered:.1f} %; other lines (raw syscalls, futex, signals, "
          f"exits) {other_match}/{other_total}; strace {len(a)} lines, utracectl {len(b)}")
    shown = 0
    for (name, text), n in sorted(missing.items(), key=lambda kv: str(kv[0])):
        if shown < 12:
            print(f"       only strace    x{n}: {text[:200]}")
            shown += 1
    shown = 0
    for (name, text), n in sorted(extra.items(), key=lambda kv: str(kv[0])):
        if shown < 12:
            print(f"       only utracectl x{n}: {text[:200]}")
            shown += 1
    compare_order(label, a_calls, a, b_calls, b)
    check(rate_covered >= THRESHOLD,
          f"{label}: {100 * rate_covered:.1f} % of the decoded syscalls' lines (known gaps aside) "
          f"match strace (threshold {100 * THRESHOLD:.0f} %)")


def per_process(calls, normalised):
    """{signature: [lines]} for the processes that can be told apart: by their execve lines (a
    process that exec'd nothing, a thread, is left out); lines of signals, rt_sigreturn, futex,
    getrandom and the known gaps left out too (when a signal comes, and how often threads wait, is the
    scheduler's), and brk, mmap, munmap; a call whose result races (= R) is its name alone, and
    a run of them counts as one (a wait4 interrupted by SIGCHLD and restarted, pipe reads)."""
    lines = collections.defaultdict(list)
    for (pid, _), (name, text) in zip(calls, normalised):
        if text.endswith(" = R"):
            # A result that races: the call's name only (an interrupted wait4 and its restart,
            # a pipe read or several are one token once runs are collapsed below).
            text = (name or text).split(" ")[0]
        # brk, mmap, munmap: when an allocator asks for memory follows where the last block
        # fell (ASLR): cc1's heap growth, python's 1 MiB arenas (pools lost to alignment).
        # rt_sigreturn: where a handler returns among the calls is when its signal came.
        if (pid and name not in RACY_COUNT and name not in KNOWN_GAPS
                and name not in ("brk", "mmap", "munmap", "rt_sigreturn")
                and not text.startswith("---")):
            if lines[pid] and lines[pid][-1] == text and "(" not in text:
                continue  # a run of racing calls of one name counts as one
            lines[pid].append(text)
    by_sig = collections.defaultdict(list)
    for pid, seq in lines.items():
        sig = tuple(t for t in seq if t.startswith("execve("))
        if sig:
            by_sig[sig].append(seq)
    return {sig: seqs[0] for sig, seqs in by_sig.items() if len(seqs) == 1}


def compare_order(label, a_calls, a, b_calls, b):
    """Per process that both runs have (the same execve lines), the same lines in the same order."""
    pa, pb = per_process(a_calls, a), per_process(b_calls, b)
    common = [sig for sig in pa if sig in pb]
    differ = []
    for sig in common:
        sa, sb = pa[sig], pb[sig]
        if sa != sb:
            i = next((i for i, (x, y) in enumerate(zip(sa, sb)) if x != y), min(len(sa), len(sb)))
            differ.append(f"{sig[-1][:60]}... line {i}: {sa[i] if i < len(sa) else None!r} / "
                          f"{sb[i] if i < len(sb) else None!r}")
    if not common:
        return
    check(not differ,
          f"{label}: per process ({len(common)} told apart by their execve), the same lines in "
          f"the same order {differ[:2]}")


def run_both(ctl, sock, tmp, label, prog, opts, cwd=None, pre=None):
    a = os.path.join(tmp, f"{label}.strace")
    b = os.path.join(tmp, f"{label}.utracectl")
    # PYTHONHASHSEED: python's random string hashing otherwise changes its allocations per run.
    env = dict(os.environ, LC_ALL="C", PYTHONHASHSEED="0")
    kw = dict(cwd=cwd or os.path.join(tmp, "work"), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
              stderr=subprocess.PIPE, timeout=90)
    if pre:
        pre()
    ra = subprocess.run(["strace", "-f", "-o", a, *opts, *prog], **kw)
    if pre:
        pre()
    rb = subprocess.run([ctl, "--socket", sock, "run", "-f", "-o", b, *opts, "--", *prog], **kw)
    check(ra.returncode == rb.returncode,
          f"{label}: the same exit status ({ra.returncode} / {rb.returncode}; "
          f"utracectl stderr {rb.stderr[-300:]!r})")
    return a, b


def remove_object(tmp):
    def pre():
        if os.path.exists(os.path.join(tmp, "hello.o")):
            os.unlink(os.path.join(tmp, "hello.o"))
    return pre


def run_agreeing(ctl, sock, tmp, label, prog, opts, pre=None, attempts=10):
    """run_both, again while the two runs' pipe writers met different fates: in
    `ls -l /etc | sort | head -3`, whether sort's write comes before or after head has read its
    3 lines and exited (and so whether sort dies of SIGPIPE) is a race of the scheduler, under
    strace as under utracectl. Only runs in which the same processes died of SIGPIPE are
    compared."""
    for attempt in range(1, attempts + 1):
        a, b = run_both(ctl, sock, tmp, label, prog, opts, pre=pre)
        fates = []
        for path in (a, b):
            with open(path) as f:
                fates.append(f.read().count("+++ killed by SIGPIPE +++"))
        if fates[0] == fates[1]:
            print(f"     {label}: the same SIGPIPE deaths ({fates[0]}) in attempt {attempt}")
            return a, b
    check(False, f"{label}: {attempts} attempts, never the same SIGPIPE deaths under both")
    return a, b


def reset_out(tmp):
    def pre():
        out = os.path.join(tmp, "out")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
    return pre


def summary_rows(path):
    rows = {}
    header = rule = total = None
    with open(path) as f:
        lines = f.read().splitlines()
    for line in lines:
        if line.startswith("% time"):
            header = line
        elif line.startswith("------"):
            rule = line
        elif line.rstrip().endswith(" total"):
            total = line
        else:
            parts = line.split()
            if len(parts) in (5, 6) and re.match(r"^\d+\.\d+$", parts[0]):
                calls = int(parts[3])
                errors = int(parts[4]) if len(parts) == 6 else 0
                rows[parts[-1]] = (calls, errors)
    return header, rule, total, rows


def compare_summary(ctl, sock, tmp, label, prog, pre=None):
    a, b = run_both(ctl, sock, tmp, label + "-c", prog, ["-c"], pre=pre)
    ha, ra_, ta, rows_a = summary_rows(a)
    hb, rb_, tb, rows_b = summary_rows(b)
    check(ha == hb and ra_ == rb_, f"{label} -c: the same header and rule ({hb!r})")
    check(tb is not None and len(tb) == len(ta or "") and tb.split()[-1] == "total",
          f"{label} -c: a total line in strace's columns ({tb!r} / {ta!r})")
    # Racy counts (who waits on whom) are left out: futex, wait4, and pipe reads/writes.
    racy = RACY_COUNT | {"wait4", "read", "write", "rt_sigreturn", "restart_syscall"}
    diff = {n: (rows_a.get(n), rows_b.get(n)) for n in set(rows_a) | set(rows_b)
            if n not in racy and rows_a.get(n) != rows_b.get(n)}
    check(not diff, f"{label} -c: {len(rows_a)} syscalls, the same calls and errors "
                    f"(differences: {diff})")
    for path in (a, b):
        with open(path) as f:
            body = [ln for ln in f.read().splitlines() if ln and not ln.startswith(("% time", "-----"))]
        bad = [ln for ln in body if not re.match(
            r"^ *\d+\.\d{2} +\d+\.\d{6} +\d+ +\d+( +\d+)? +\w+$", ln)]
        check(not bad, f"{label} -c: every row in strace's columns ({os.path.basename(path)}: {bad[:2]})")


def compare_failed_files(ctl, sock, tmp, label, prog, table, stats, pre=None):
    opts = ["-e", "trace=%file", "-e", "status=failed"]
    a, b = run_agreeing(ctl, sock, tmp, label + "-failed", prog, opts, pre=pre)
    ca, cb = whole_calls(a), whole_calls(b)
    na = [t for _, t in normalise(ca)]
    nb = [t for _, t in normalise(cb)]
    check(len(na) > 0, f"{label} -e trace=%file -e status=failed: strace printed {len(na)} lines")
    compare_lines(label + " %file failed", ca, cb, table, stats)


def compare_separate(ctl, sock, tmp, label, prog, table, stats, pre=None):
    """-ff -o P: as many files as strace writes, and each (in pid order: the order the
    processes were created in) with strace's lines for that process."""
    env = dict(os.environ, LC_ALL="C")
    kw = dict(cwd=os.path.join(tmp, "work"), env=env, stdin=subprocess.DEVNULL,
              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=90)
    files = {}
    for who, cmd in (("strace", ["strace", "-ff", "-o", os.path.join(tmp, "sep-strace"), *prog]),
                     ("utracectl", [ctl, "--socket", sock, "run", "-ff", "-o",
                                    os.path.join(tmp, "sep-utracectl"), "--", *prog])):
        if pre:
            pre()
        r = subprocess.run(cmd, **kw)
        check(r.returncode == 0, f"{label}: {who} -ff exits 0 ({r.stderr[-200:]!r})")
        names = [f for f in os.listdir(tmp) if f.startswith(f"sep-{who}.")]
        files[who] = sorted(names, key=lambda f: int(f.rsplit(".", 1)[1]))
    check(len(files["strace"]) == len(files["utracectl"]) > 1,
          f"{label}: as many files as strace ({len(files['strace'])} / {len(files['utracectl'])})")
    a_calls, b_calls = [], []
    for who, out in (("strace", a_calls), ("utracectl", b_calls)):
        for name in files[who]:
            pid = int(name.rsplit(".", 1)[1])
            out.extend((pid, text) for _, text in whole_calls(os.path.join(tmp, name)))
    # Each file alone must hold what strace's file for the same process holds.
    for fa, fb in zip(files["strace"], files["utracectl"]):
        pa, pb = int(fa.rsplit(".", 1)[1]), int(fb.rsplit(".", 1)[1])
        la = collections.Counter(normalise([(pa, t) for p, t in a_calls if p == pa],
                                           extra_pids={p for p, _ in a_calls}))
        lb = collections.Counter(normalise([(pb, t) for p, t in b_calls if p == pb],
                                           extra_pids={p for p, _ in b_calls}))
        diff = [t for (_, t) in (la - lb)][:2] + [t for (_, t) in (lb - la)][:2]
        diff = [d for d in diff if name_of(d) not in RACY_COUNT | KNOWN_GAPS]
        check(not diff, f"{label}: {fb} holds what {fa} holds ({diff})")
    compare_lines(label, a_calls, b_calls, table, stats)


def check_log_merge(ctl, sock, tmp):
    prefix = os.path.join(tmp, "ff")
    r = subprocess.run([ctl, "--socket", sock, "run", "-ff", "-tt", "-o", prefix, "--",
                        "sh", "-c", "ls /etc | head -1; /bin/true"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=60)
    files = sorted(f for f in os.listdir(tmp) if f.startswith("ff."))
    check(r.returncode == 0 and len(files) >= 3, f"run -ff -tt -o P: one file per process ({files})")
    lines_in = 0
    for f in files:
        with open(os.path.join(tmp, f)) as fh:
            lines_in += len(fh.read().splitlines())
    m = subprocess.run(["strace-log-merge", prefix], capture_output=True, text=True, timeout=30)
    merged = m.stdout.splitlines()
    check(m.returncode == 0 and len(merged) == lines_in,
          f"strace-log-merge reads them: {len(merged)} lines of {lines_in} ({m.stderr[:200]!r})")
    pids = {int(f.split(".")[1]) for f in files}
    good = all(re.match(r"^(\d+) +\d\d:\d\d:\d\d\.\d{6} ", ln) and int(ln.split()[0]) in pids
               for ln in merged)
    check(good, "every merged line is 'PID HH:MM:SS.ffffff ...' of a traced process")
    stamps = [ln.split()[1] for ln in merged]
    check(stamps == sorted(stamps), "the merged lines are in time order")
    check(any("execve(\"/usr/bin/ls\"" in ln or "execve(\"/bin/ls\"" in ln for ln in merged),
          "the merge holds the children's execve lines")


def main():
    utraced, ctl = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    missing = [p for p in ("strace", "strace-log-merge", "gcc", "tar", "sh") if not shutil.which(p)]
    if os.geteuid() != 0 or missing:
        print(f"SKIP: needs root and {missing}")
        return 77
    table = decoded_syscalls()
    check(len(table) > 300, f"the syscall table read: {len(table)} syscalls, "
                            f"{sum(table.values())} decoded")
    d = Daemon(utraced, log_level="warn")
    tmp = tempfile.mkdtemp(prefix="strace-oracle-")
    stats = {}
    try:
        make_tree(tmp)
        progs = programs(tmp)
        for label, prog in progs:
            pre = {"tar-extract": reset_out(tmp), "gcc": remove_object(tmp)}.get(label)
            if label == "tar-extract":
                subprocess.run(progs[2][1], check=True)
            a, b = run_agreeing(ctl, d.socket, tmp, label, prog, [], pre=pre)
            compare_lines(label, whole_calls(a), whole_calls(b), table, stats)
        # The same programs with other printing options (-y: fd paths; -s; -x).
        for label, index, opts in [("tar-create -y -s 80", 2, ["-y", "-s", "80"]),
                                   ("gcc -y", 4, ["-y"]),
                                   ("pipeline -y -x", 0, ["-y", "-x"]),
                                   ("python-signals -s 64", 6, ["-s", "64"])]:
            prog = progs[index][1]
            pre = remove_object(tmp) if index == 4 else None
            a, b = run_agreeing(ctl, d.socket, tmp, label.replace(" ", "_"), prog, opts, pre=pre)
            compare_lines(label, whole_calls(a), whole_calls(b), table, stats)
        compare_summary(ctl, d.socket, tmp, "tar-create", progs[2][1])
        compare_summary(ctl, d.socket, tmp, "gcc", progs[4][1], pre=remove_object(tmp))
        compare_failed_files(ctl, d.socket, tmp, "gcc", progs[4][1], table, stats,
                             pre=remove_object(tmp))
        compare_failed_files(ctl, d.socket, tmp, "pipeline", progs[0][1], table, stats)
        compare_separate(ctl, d.socket, tmp, "gcc -ff", progs[4][1], table, stats,
                         pre=remove_object(tmp))
        check_log_merge(ctl, d.socket, tmp)
        matched = sum(v[0] for v in stats.values())
        total = sum(v[1] for v in stats.values())
        matched_c = sum(v[2] for v in stats.values())
        total_c = sum(v[3] for v in stats.values())
        print("match rates (lines of decoded syscalls identical to strace 6.1's; "
              "then without the known gaps):")
        for label, (m, t, mc, tc) in stats.items():
            print(f"  {label:24} {m:5}/{t:<5} {100 * m / max(t, 1):6.1f} %   "
                  f"{mc:5}/{tc:<5} {100 * mc / max(tc, 1):6.1f} %")
        print(f"  {'overall':24} {matched:5}/{total:<5} {100 * matched / max(total, 1):6.1f} %   "
              f"{matched_c:5}/{total_c:<5} {100 * matched_c / max(total_c, 1):6.1f} %")
    finally:
        rc = d.stop(keep_dir=bool(failures))
        if failures:
            print(f"files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    check(rc == 0, "daemon exits 0")
    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
