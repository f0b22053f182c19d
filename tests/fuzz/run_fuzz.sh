#!/bin/sh
# run_fuzz.sh FUZZER CORPUS SECONDS: runs a libFuzzer binary for SECONDS over a scratch copy of
# CORPUS (new inputs never land in the source tree). Exit 77 (skip) when there is no fuzzer
# (clang's fuzzer runtime missing at configure time). Crash inputs are kept in
# $UTRACED_BUILD_ROOT/fuzz-artifacts/ (or the scratch directory) and the test fails.
fuzzer=$1 corpus=$2 secs=${3:-20}
if [ -z "$fuzzer" ] || [ ! -x "$fuzzer" ]; then
  echo "run_fuzz.sh: no fuzzer binary (clang++ -fsanitize=fuzzer unavailable): skipping"
  exit 77
fi
work=$(mktemp -d /tmp/utraced-fuzz-XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
artifacts=${UTRACED_BUILD_ROOT:-$work}/fuzz-artifacts
mkdir -p "$work/corpus" "$artifacts"
cp "$corpus"/* "$work/corpus/"
# Large generated seeds (deep nesting, long request batches): see gen_seeds.py.
if command -v python3 >/dev/null 2>&1; then
  python3 "$(dirname "$0")/gen_seeds.py" "$work/corpus" || exit 1
fi
"$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$work/corpus"
