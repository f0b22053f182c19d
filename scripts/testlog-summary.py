#!/usr/bin/env python3
"""Summarizes a Meson testlog.json (one JSON object per line).

Usage: testlog-summary.py BUILD_DIR/meson-logs/testlog.json [--extra-failure WHAT]... [--meson-rc N]

--extra-failure WHAT  counts one more failure (e.g. "build failed") and names it.
--meson-rc N          the exit status of `meson test`: if non-zero while the log shows no failed
                      test, counts one failure, so a broken run never looks green.

Prints the failed tests by name (and, for GoogleTest binaries, the failed cases inside them),
then, as the very last line, exactly "N passed, N failed" plus ", N skipped" when any were skipped.
Exit status: 0 if at least one test passed and none failed, 1 otherwise (also when every
test was skipped: then nothing was verified).

A Meson test counts once, whatever number of GoogleTest cases it holds.
"""
import json
import re
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}
# Everything else (FAIL, TIMEOUT, UNEXPECTEDPASS, ERROR, INTERRUPT, unknown) is a failure.

GTEST_FAILED_CASE = re.compile(r"^\[  FAILED  \] (\S+\.\S+?)(,| \(|$)")


def gtest_failures(text):
    """Names of failed GoogleTest cases in a test's output (deduplicated, in order)."""
    names = []
    for line in (text or "").splitlines():
        m = GTEST_FAILED_CASE.match(line)
        if m and m.group(1) not in names:
            names.append(m.group(1))
    return names


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
                    if result in PASSED:
                        passed += 1
                    elif result in SKIPPED:
                        skipped += 1
                    else:
                        failed += 1
                        out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
                        failures.append((label, result, gtest_failures(out)))
        except FileNotFoundError:
            print(f"testlog-summary: {path} not found (did any test run?)")

    if meson_rc != 0 and failed == 0:
        extra.append(f"meson test exited with status {meson_rc}")
    for name in extra:
        failed += 1
        failures.append((name, "ERROR", []))

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
