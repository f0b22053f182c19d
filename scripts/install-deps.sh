#!/usr/bin/env bash
# Installs the Debian 12 packages utraced needs to build and test, only the missing ones.
#
#   scripts/install-deps.sh                 install what is missing (apt-get update only if needed)
#   scripts/install-deps.sh --force-update  always run apt-get update once, then apt-get install -y the
#                                           whole list (CI: also pulls in Debian point updates)
#   scripts/install-deps.sh --check         only report what is missing; exit 1 if anything is
#   scripts/install-deps.sh --list          print the package list, one per line
#
# This is the one place the package list lives; .ci/run and scripts/test.sh call it.
set -euo pipefail

PACKAGES=(
  meson ninja-build g++ pkg-config
  libboost-dev libspdlog-dev nlohmann-json3-dev libseccomp-dev libsystemd-dev
  libfmt-dev  # used directly by tools/ (dependency('fmt')); also pulled in by libspdlog-dev
  libgtest-dev libgmock-dev
  python3 strace socat
  gdb  # tests/scripts/test_gdbserver.py: a real gdb against utracectl gdbserver
  jq  # tests/scripts/test_wide_values.py: 64-bit values through jq
  man-db  # tests/install: man -l renders the installed man pages (pulls in groff-base)
  libcap2-bin  # setcap: tests/security builds file-capability victims
  clang libclang-rt-14-dev  # tests/fuzz: clang++ -fsanitize=fuzzer
)

force_update=0
check_only=0
for arg in "$@"; do
  case "$arg" in
    --force-update) force_update=1 ;;
    --check) check_only=1 ;;
    --list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [[ "$status" == "install ok installed" ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done

if (( check_only )); then
  if (( ${#missing[@]} )); then
    echo "install-deps.sh: missing: ${missing[*]}" >&2
    exit 1
  fi
  exit 0
fi

if (( ${#missing[@]} == 0 && force_update == 0 )); then
  echo "install-deps.sh: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps.sh: not root and no sudo; please install: ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=()
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps.sh: apt-get update"
"${SUDO[@]}" apt-get update
if (( force_update )); then
  to_install=("${PACKAGES[@]}")
else
  to_install=("${missing[@]}")
fi
echo "install-deps.sh: installing: ${to_install[*]}"
"${SUDO[@]}" apt-get install -y --no-install-recommends "${to_install[@]}"

still=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || still+=("$p")
done
if (( ${#still[@]} )); then
  echo "install-deps.sh: still missing after install: ${still[*]}" >&2
  exit 1
fi
