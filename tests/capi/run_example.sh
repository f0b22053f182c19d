#!/usr/bin/env bash
# Runs libclient/examples/count_syscalls (the C API's example) on a real program against a
# private utraced: it must exit with the program's status and print a table with a total.
#   run_example.sh UTRACED COUNT_SYSCALLS
set -uo pipefail
utraced=$1 example=$2
dir=$(mktemp -d /tmp/utraced-example-XXXXXX)
sock=$dir/utraced.sock
"$utraced" --socket "$sock" --log-level warn 2>"$dir/daemon.log" &
daemon=$!
cleanup() { kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 400); do [[ -S $sock ]] && break; sleep 0.025; done
sleep 0.1

"$example" -s "$sock" sh -c 'echo hello >/dev/null; exit 3' 2>"$dir/table"
rc=$?
cat "$dir/table"
if [[ $rc -ne 3 ]]; then echo "FAIL: exit status $rc, expected 3"; exit 1; fi
total=$(awk '$3 == "total" { print $1 }' "$dir/table")
if [[ -z $total || $total -lt 5 ]]; then echo "FAIL: no total, or too few syscalls"; exit 1; fi
grep -q ' exit_group$' "$dir/table" || { echo "FAIL: exit_group not counted"; exit 1; }
"$example" -s "$sock" /nonexistent/program 2>"$dir/err"
rc=$?
if [[ $rc -ne 127 ]] || ! grep -q 'cannot start' "$dir/err"; then
  echo "FAIL: a missing program: exit $rc, $(cat "$dir/err")"; exit 1
fi
echo "example: ok ($total syscalls)"
