#!/usr/bin/env bash
# THE test command: installs missing packages, configures, builds, runs every test suite
# (unit, integration, race, scripts) and prints, as its very last line, exactly
#   N passed, N failed[, N skipped]
# Exit status is non-zero if any test failed, the build failed, or no test passed.
#
#   scripts/test.sh                     the whole suite in ./build
#   scripts/test.sh --suite unit        extra arguments go to `meson test`
#   UTRACED_BUILD_DIR=build-x scripts/test.sh   use another build directory
#   UTRACED_TEST_JOBS=1 scripts/test.sh         compile jobs (default: ninja's choice)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
build=${UTRACED_BUILD_DIR:-build}
summary="$root/scripts/testlog-summary.py"

# The summary line must come last, whatever happened before it.
fail_early() {
  echo "test.sh: $1" >&2
  if command -v python3 >/dev/null 2>&1; then
    python3 "$summary" --extra-failure "$1"
  else
    echo "0 passed, 1 failed"
  fi
  exit 1
}

bash "$root/scripts/install-deps.sh" || fail_early "install-deps.sh failed"

if [[ -f "$build/meson-private/coredata.dat" ]]; then
  meson setup --reconfigure "$build" \
    || fail_early "meson setup (reconfigure) failed"
else
  meson setup "$build" || fail_early "meson setup failed"
fi

jobs=()
[[ -n "${UTRACED_TEST_JOBS:-}" ]] && jobs=(-j "$UTRACED_TEST_JOBS")
meson compile -C "$build" "${jobs[@]}" || fail_early "build failed (meson compile)"

testlog="$build/meson-logs/testlog.json"
rm -f "$testlog"
meson test -C "$build" --print-errorlogs --num-processes 2 "$@"
meson_rc=$?

# A non-zero exit of meson test with no failing test in the log (e.g. an unknown --suite)
# still counts as a failure.
python3 "$summary" "$testlog" --meson-rc "$meson_rc"
