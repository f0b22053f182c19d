#!/usr/bin/env bash
# The utraced benchmark: one command, every configuration measured in the same run.
#
#   bench/run.sh [--runs R] [--n N] [--threads T] [--placement pinned|unpinned|both]
#                [--quick] [--build-dir DIR] [--no-build]
#
# Workload: bench/workload N (N getppid() calls plus one uname()). µs/stop is the workload's
# own elapsed loop time divided by 2N (two stops, entry and exit, per syscall), so untraced and
# filtered runs are on the same scale. Every configuration runs R times, interleaved (run 1 of
# every configuration, then run 2, ...), pinned (everything under `taskset -c 0`) and unpinned;
# the table shows the median, min–max, and the ratio to the raw floor of the same placement.
# Memory: daemon VmRSS before/after attaching to T sleeping threads (one engine each) and after
# T more engines on one thread.
#
# --quick is the smoke run the test suite does (`meson test --suite bench`): tiny N, one run,
# unpinned only, T=50; it checks that everything runs and asserts nothing about timing. The exit
# status is non-zero only if some configuration failed to run.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build="$repo/build"
runs=5
n=20000
threads=1000
placement=both
quick=0
do_build=1

while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --n) n=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --placement) placement=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --build-dir) build=$2; shift 2 ;;
    --no-build) do_build=0; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$quick" = 1 ]; then
  runs=1; n=1000; threads=20; placement=unpinned
fi
case "$placement" in
  both) placements="pinned unpinned" ;;
  pinned|unpinned) placements=$placement ;;
  *) echo "run.sh: bad --placement $placement" >&2; exit 2 ;;
esac

if [ "$do_build" = 1 ]; then
  if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$repo" -Dtests=false >&2 || exit 1
  fi
  ninja -C "$build" -j1 bench/workload bench/floor_tracer bench/bench_utraced daemon/utraced >&2 || exit 1
fi

W="$build/bench/workload"
F="$build/bench/floor_tracer"
B="$build/bench/bench_utraced"
U="$build/daemon/utraced"
for f in "$W" "$F" "$B" "$U"; do
  [ -x "$f" ] || { echo "run.sh: $f is missing (build first, or drop --no-build)" >&2; exit 1; }
done
have_strace=0
command -v strace >/dev/null 2>&1 && have_strace=1

configs="untraced floor floor+hop-oneway floor+hop-roundtrip"
[ "$have_strace" = 1 ] && configs="$configs strace"
configs="$configs utraced-async-1 utraced-async-4 utraced-sync-1 utraced-sync-4 utraced-4-attached-1-interested utraced-filtered-4"
configs="$configs utraced-async-1-nobatch utraced-async-4-nobatch utraced-async-1-cpu0 utraced-async-4-cpu0"
configs="$configs utraced-sync-4-concurrent utraced-sync-1-cpu0 utraced-sync-4-cpu0 utraced-sync-4-concurrent-cpu0"
configs="$configs utraced-sync-1-cpu0-spin utraced-sync-4-concurrent-cpu0-spin"
configs="$configs utraced-sync-1-cpu0-spin-poll utraced-sync-4-concurrent-cpu0-spin-poll"
configs="$configs seccomp-filter-alone utraced-launch-seccomp"
# The decoding workload (workload --files: openat/read/close with a path, a buffer and an fd):
# plain events, the daemon's argument capture, and capture plus utracectl's decoder, against
# strace's own decoding, each as a ratio to the floor on the same workload.
files_configs="files-floor"
[ "$have_strace" = 1 ] && files_configs="$files_configs files-strace"
files_configs="$files_configs files-utraced-async-1 files-utraced-async-1-capture files-utraced-async-1-decode"
configs="$configs $files_configs"

# One run of one configuration; prints the workload's elapsed ns on stdout.
run_one() {
  local cfg=$1 pin=$2
  local bu=("$B" --utraced "$U" --workload "$W" --n "$n")
  local cpu0=(--daemon-arg --cpu --daemon-arg 0)
  case "$cfg" in
    untraced) printf g | $pin "$W" "$n" ;;
    floor) $pin "$F" -- "$W" "$n" 2>/dev/null ;;
    floor+hop-oneway) $pin "$F" --hop oneway -- "$W" "$n" 2>/dev/null ;;
    floor+hop-roundtrip) $pin "$F" --hop roundtrip -- "$W" "$n" 2>/dev/null ;;
    strace) printf g | $pin strace -f -o /dev/null "$W" "$n" ;;
    utraced-async-1) $pin "${bu[@]}" --engines 1 --mode async --interest all ;;
    utraced-async-4) $pin "${bu[@]}" --engines 4 --mode async --interest all ;;
    utraced-sync-1) $pin "${bu[@]}" --engines 1 --mode sync --interest all ;;
    utraced-sync-4) $pin "${bu[@]}" --engines 4 --mode sync --interest all ;;
    utraced-4-attached-1-interested) $pin "${bu[@]}" --engines 4 --mode async --interest one ;;
    utraced-filtered-4) $pin "${bu[@]}" --engines 4 --mode async --interest none ;;
    # utraced --event-batch 1: every async event written at once (the default batches 16).
    utraced-async-1-nobatch) $pin "${bu[@]}" --engines 1 --mode async --interest all \
      --daemon-arg --event-batch --daemon-arg 1 ;;
    utraced-async-4-nobatch) $pin "${bu[@]}" --engines 4 --mode async --interest all \
      --daemon-arg --event-batch --daemon-arg 1 ;;
    # utraced --cpu 0: the daemon and the workload on CPU 0, the clients wherever they run.
    utraced-async-1-cpu0) $pin "${bu[@]}" --engines 1 --mode async --interest all \
      --daemon-arg --cpu --daemon-arg 0 ;;
    utraced-async-4-cpu0) $pin "${bu[@]}" --engines 4 --mode async --interest all \
      --daemon-arg --cpu --daemon-arg 0 ;;
    # Sync engines attached with "concurrent": true: asked together, replies applied in order.
    utraced-sync-4-concurrent) $pin "${bu[@]}" --engines 4 --mode concurrent --interest all ;;
    utraced-sync-1-cpu0) $pin "${bu[@]}" --engines 1 --mode sync --interest all "${cpu0[@]}" ;;
    utraced-sync-4-cpu0) $pin "${bu[@]}" --engines 4 --mode sync --interest all "${cpu0[@]}" ;;
    utraced-sync-4-concurrent-cpu0) $pin "${bu[@]}" --engines 4 --mode concurrent --interest all \
      "${cpu0[@]}" ;;
    # utraced --spin-us 50: the daemon polls 50 µs for sync replies before it sleeps.
    utraced-sync-1-cpu0-spin) $pin "${bu[@]}" --engines 1 --mode sync --interest all "${cpu0[@]}" \
      --daemon-arg --spin-us --daemon-arg 50 ;;
    utraced-sync-4-concurrent-cpu0-spin) $pin "${bu[@]}" --engines 4 --mode concurrent \
      --interest all "${cpu0[@]}" --daemon-arg --spin-us --daemon-arg 50 ;;
    # ... and the clients poll 50 µs for the next report before they sleep (Client::set_poll).
    utraced-sync-1-cpu0-spin-poll) $pin "${bu[@]}" --engines 1 --mode sync --interest all \
      "${cpu0[@]}" --daemon-arg --spin-us --daemon-arg 50 --client-poll-us 50 ;;
    utraced-sync-4-concurrent-cpu0-spin-poll) $pin "${bu[@]}" --engines 4 --mode concurrent \
      --interest all "${cpu0[@]}" --daemon-arg --spin-us --daemon-arg 50 --client-poll-us 50 ;;
    seccomp-filter-alone) $pin "${bu[@]}" --filter-alone ;;
    files-floor) $pin "$F" -- "$W" --files "$n" 2>/dev/null ;;
    files-strace) printf g | $pin strace -f -o /dev/null "$W" --files "$n" ;;
    files-utraced-async-1) $pin "${bu[@]}" --files --engines 1 --mode async --interest all ;;
    files-utraced-async-1-capture) $pin "${bu[@]}" --files --capture --engines 1 --mode async \
      --interest all ;;
    files-utraced-async-1-decode) $pin "${bu[@]}" --files --decode --engines 1 --mode async \
      --interest all ;;
    utraced-launch-seccomp) $pin "${bu[@]}" --launch-seccomp ;;
  esac
}

tmp=$(mktemp -d /tmp/utraced-bench-run-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
results="$tmp/results"
: > "$results"
failures=0

started=$(date +%s.%N)
start_date=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
start_load=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$runs"); do
  for pl in $placements; do
    pin=""
    [ "$pl" = pinned ] && pin="taskset -c 0"
    for cfg in $configs; do
      # Pinned, everything is on CPU 0 already: --cpu 0 would measure the same thing again.
      [ "$pl" = pinned ] && [[ "$cfg" == *-cpu0 ]] && continue
      out=$(run_one "$cfg" "$pin" 2>"$tmp/err")
      rc=$?
      ns=$(printf '%s\n' "$out" | tail -n 1)
      if [ "$rc" != 0 ] || ! [[ "$ns" =~ ^[0-9]+$ ]]; then
        echo "run.sh: $cfg ($pl, run $r) failed (exit $rc, output '$out'):" >&2
        sed 's/^/    /' "$tmp/err" >&2
        failures=$((failures + 1))
        continue
      fi
      echo "$pl $cfg $ns" >> "$results"
    done
  done
done

mem_line=""
mem_out=$("$B" --utraced "$U" --workload "$W" --memory "$threads" 2>"$tmp/err")
mem_rc=$?
if [ "$mem_rc" = 0 ] && [[ "$mem_out" =~ ^[0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]]; then
  mem_line=$mem_out
else
  echo "run.sh: memory measurement failed (exit $mem_rc, output '$mem_out'):" >&2
  sed 's/^/    /' "$tmp/err" >&2
  failures=$((failures + 1))
fi
elapsed=$(echo "$(date +%s.%N) - $started" | bc 2>/dev/null || echo "?")

echo "# utraced benchmark: started $start_date, kernel $(uname -r), $(nproc) CPUs, load average at start: $start_load, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# workload: $n getppid() + 1 uname(); µs/stop = elapsed / (2 × $n); files-*: $n rounds of openat+read+close, µs/stop = elapsed / (6 × $n); $runs run(s) per configuration; wall ${elapsed}s"
python3 - "$results" "$n" "$placements" "$configs" "$mem_line" <<'EOF'
import statistics, sys
path, n, placements, configs, mem = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split(), sys.argv[5]
data = {}
for line in open(path):
    pl, cfg, ns = line.split()
    stops = 6 if cfg.startswith("files-") else 2
    data.setdefault((pl, cfg), []).append(int(ns) / 1000.0 / (stops * n))
for pl, group in [(pl, g) for pl in placements for g in ("getppid", "files")]:
    print()
    title = f"## {pl}" + (" (workload, tracer/daemon and clients all on CPU 0)" if pl == "pinned" else "")
    print(title + (", decoding workload (files-*)" if group == "files" else ""))
    print()
    print("| config | µs/stop (median) | min–max | × floor | runs |")
    print("|---|---:|---:|---:|---:|")
    floor = data.get((pl, "files-floor" if group == "files" else "floor"))
    fmed = statistics.median(floor) if floor else None
    for cfg in configs:
        if cfg.startswith("files-") != (group == "files"):
            continue
        v = data.get((pl, cfg))
        if not v and pl == "pinned" and cfg.endswith("-cpu0"):
            print(f"| {cfg} | (same as pinned) | | | 0 |")
            continue
        if not v:
            print(f"| {cfg} | failed | | | 0 |")
            continue
        med = statistics.median(v)
        ratio = f"{med / fmed:.2f}" if fmed else "n/a"
        print(f"| {cfg} | {med:.3f} | {min(v):.3f}–{max(v):.3f} | {ratio} | {len(v)} |")
if mem:
    rss0, rss1, rss2, t = map(int, mem.split())
    print()
    print(f"## daemon memory (VmRSS), {t} threads")
    print()
    print(f"- idle: {rss0} KiB; {t} sleeping threads traced, one engine each: {rss1} KiB; "
          f"plus {t} engines on one thread: {rss2} KiB")
    print(f"- per traced thread (with its one engine): {(rss1 - rss0) / t:.2f} KiB")
    print(f"- per additional engine: {(rss2 - rss1) / t:.2f} KiB")
EOF

if [ "$failures" != 0 ]; then
  echo "run.sh: $failures run(s) failed" >&2
  exit 1
fi
exit 0
