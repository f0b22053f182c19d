#!/usr/bin/env python3
"""Summarizes a Meson testlog.json (one JSON object per line).

Usage: testlog-summary.py BUILD_DIR/meson-logs/testlog.json [--extra-failure WHAT]... [--meson-rc N]

--extra-failure WHAT  counts one more failure (e.g. "build failed") and names it.
--meson-rc N          the exit status of `meson test`: if non-zero while the log shows no failed
                      test, counts one failure, so a broken run never looks green.

Prints the failed tests by name (and, for GoogleTest binaries, the failed cases inside them),
the skipped ones (and skipped GoogleTest cases) by name, then, as the very last line, exactly
"N passed, N failed" plus ", N skipped" when anything was skipped.
Exit status: 0 if at least one test passed and none failed, 1 otherwise (also when every
test was skipped: then nothing was verified).

A Meson test counts once, whatever number of GoogleTest cases it holds, with two exceptions
so that a skip is never hidden behind a pass:
- a GoogleTest binary that exits 0 with every case it ran skipped (GTEST_SKIP) counts as
  skipped, not passed (Meson itself reports it OK);
- a GoogleTest binary that passed but skipped some of its cases counts as passed, and each
  skipped case counts one more in "N skipped"; likewise each "SKIP what" line a passing
  script test printed (a check it could not make).
A test Meson reports as SKIP (exit status 77) counts as skipped.
"""
import json
import re
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}
# Everything else (FAIL, TIMEOUT, UNEXPECTEDPASS, ERROR, INTERRUPT, unknown) is a failure.

GTEST_FAILED_CASE = re.compile(r"^\[  FAILED  \] (\S+\.\S+?)(,| \(|$)")
GTEST_SKIPPED_CASE = re.compile(r"^\[  SKIPPED \] (\S+\.\S+?)( \(|$)")
GTEST_RAN = re.compile(r"^\[==========\] (\d+) tests? from \d+ test suites? ran\.")
# A script test (tests/scripts, tests/security) that could not check something prints
# "SKIP what" on a line of its own, next to its "ok   what" / "FAIL what" lines.
SCRIPT_SKIPPED_CHECK = re.compile(r"^SKIP (.+)$")


def gtest_failures(text):
    """Names of failed GoogleTest cases in a test's output (deduplicated, in order)."""
    names = []
    for line in (text or "").splitlines():
        m = GTEST_FAILED_CASE.match(line)
        if m and m.group(1) not in names:
            names.append(m.group(1))
    return names


def skipped_cases(text):
    """(cases run, names of skipped cases) from a test's output. For a GoogleTest binary: the
    cases it ran and those that GTEST_SKIP()ped; for a script: (None, its "SKIP what" lines)."""
    ran = None
    names = []
    script = []
    for line in (text or "").splitlines():
        m = GTEST_RAN.match(line)
        if m:
            ran = int(m.group(1))
            continue
        m = GTEST_SKIPPED_CASE.match(line)
        if m and m.group(1) not in names:
            names.append(m.group(1))
            continue
        m = SCRIPT_SKIPPED_CHECK.match(line)
        if m:
            script.append(m.group(1).strip())
    return (ran, names) if ran is not None else (None, script)


def main(argv):
    args = argv[1:]
    extra = []
    path = None
    meson_rc = 0
    while args:
        a = args.pop(0)
        if a == "--extra-failure":
            extra.append(args.pop(0))
        elif a == "--meson-rc":
            meson_rc = int(args.pop(0))
        elif path is None:
            path = a
        else:
            print(f"testlog-summary: unexpected argument {a!r}", file=sys.stderr)
            return 2

    passed = failed = skipped = 0
    failures = []  # (name, result, [cases])
    skips = []  # (name, [cases])
    if path is not None:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for lineno, line in enumerate(f, 1):
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        t = json.loads(line)
                    except json.JSONDecodeError as e:
                        print(f"testlog-summary: {path}:{lineno}: bad JSON: {e}")
                        continue
                    result = str(t.get("result", "ERROR")).upper()
                    suites = t.get("suite") or []
                    name = t.get("name", "?")
                    label = f"{suites[0]}/{name}" if suites else name
                    out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
                    if result in PASSED:
                        ran, cases = skipped_cases(out)
                        if ran is not None and ran > 0 and len(cases) >= ran:
                            skipped += 1  # every case skipped: nothing was verified
                            skips.append((label, cases))
                        else:
                            passed += 1
                            skipped += len(cases)
                            if cases:
                                skips.append((label, cases))
                    elif result in SKIPPED:
                        skipped += 1
                        skips.append((label, []))
                    else:
                        failed += 1
                        failures.append((label, result, gtest_failures(out)))
        except FileNotFoundError:
            print(f"testlog-summary: {path} not found (did any test run?)")

    if meson_rc != 0 and failed == 0:
        extra.append(f"meson test exited with status {meson_rc}")
    for name in extra:
        failed += 1
        failures.append((name, "ERROR", []))

    if skips:
        print("Skipped:")
        for label, cases in skips:
            print(f"  {label}" + ("" if cases else " (the whole test)"))
            for c in cases:
                print(f"      case {c}")
    if failures:
        print("Failed tests:")
        for label, result, cases in failures:
            print(f"  {result:<14} {label}")
            for c in cases:
                print(f"      case {c}")
    if passed == 0 and failed == 0:
        print("No tests ran." if skipped == 0 else "Every test was skipped.")

    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    sys.stdout.flush()
    print(summary, flush=True)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
