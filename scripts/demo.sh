#!/usr/bin/env bash
# The main job: build utraced, start a private daemon, and trace one real program with two
# engines from two separate client connections at once:
#   engine 1 (`utracectl trace`) prints every syscall with its name, arguments and result;
#   engine 2 (`utracectl count`) counts syscalls and prints a summary when the program exits.
# Then it stops the daemon and leaves nothing running.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${UTRACED_BUILD_DIR:-build}

bash scripts/install-deps.sh
if [[ -f "$build/meson-private/coredata.dat" ]]; then
  meson setup --reconfigure "$build" >/dev/null
else
  meson setup "$build" >/dev/null
fi
meson compile -C "$build" >/dev/null

tmp=$(mktemp -d /tmp/utraced-demo-XXXXXX)
daemon_pid= target_pid=
cleanup() {
  [[ -n "$target_pid" ]] && kill -KILL "$target_pid" 2>/dev/null || true
  if [[ -n "$daemon_pid" ]] && kill -TERM "$daemon_pid" 2>/dev/null; then
    wait "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

export UTRACED_SOCKET="$tmp/utraced.sock"
"$build/daemon/utraced" --socket "$UTRACED_SOCKET" --log-level warn &
daemon_pid=$!
for _ in $(seq 500); do [[ -S "$UTRACED_SOCKET" ]] && break; sleep 0.01; done
[[ -S "$UTRACED_SOCKET" ]] || { echo "demo: utraced did not start" >&2; exit 1; }

# The program: a shell that waits for a go signal, then becomes `ls` (same thread, via exec).
mkfifo "$tmp/go"
sh -c 'read _ < "$1"; exec ls -l /etc/hostname /etc/os-release /no/such/file' sh "$tmp/go" \
  > "$tmp/program.out" 2>&1 &
target_pid=$!

echo "== utraced $("$build/tools/utracectl" hello | sed -n 's/.*"version":"\([^"]*\)".*/\1/p'), tracing pid $target_pid with two engines"
"$build/tools/utracectl" trace -p "$target_pid" 2> "$tmp/trace.out" &
trace_pid=$!
"$build/tools/utracectl" count "$target_pid" > "$tmp/count.out" &
count_pid=$!

# Both engines are attached once the daemon lists two traced engines on the program.
for _ in $(seq 500); do
  n=$("$build/tools/utracectl" stats | sed -n 's/.*"engines_total":\([0-9]*\).*/\1/p')
  [[ "${n:-0}" -ge 2 ]] && break
  sleep 0.01
done

echo go > "$tmp/go"
wait "$trace_pid" "$count_pid"
target_pid=

echo
echo "== engine 1 (utracectl trace): every syscall of the program"
cat "$tmp/trace.out"
echo
echo "== engine 2 (utracectl count): syscall summary"
cat "$tmp/count.out"
echo
echo "== the program's own output"
cat "$tmp/program.out"
echo
echo "== done: daemon stopped, nothing left traced"
