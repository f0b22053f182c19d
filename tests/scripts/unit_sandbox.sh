#!/bin/sh
# unit_sandbox.sh DAEMON [ARGS...]: runs the daemon the way systemd/utraced.service.in runs it,
# as closely as a machine without systemd as PID 1 allows (tests/scripts/test_service_sandbox.py):
#   a private mount namespace where every mount but /proc, /sys and /dev is read-only
#   (ProtectSystem=strict, ProtectHome=read-only), fresh /tmp and /var/tmp (PrivateTmp=yes),
#   UMask=0077, LimitNOFILE=65536 (or this machine's hard limit), CapabilityBoundingSet=CAP_SYS_PTRACE and NoNewPrivileges=yes.
# The directory of the --socket argument stays the outside one (systemd hands the service its
# socket; here the daemon binds it), so clients outside the namespace reach it.
set -eu
daemon=$1
shift
sock=""
prev=""
for a in "$@"; do
  [ "$prev" = "--socket" ] && sock=$a
  prev=$a
done
[ -n "$sock" ] || { echo "unit_sandbox.sh: needs --socket PATH" >&2; exit 2; }
sockdir=$(dirname "$sock")
exec unshare -m --propagation private sh -euc '
  sockdir=$1
  shift
  exec 9<"$sockdir"
  for m in $(awk "{print \$2}" /proc/self/mounts | sort -u); do
    case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue ;; esac
    mount -o remount,bind,ro "$m" 2>/dev/null || true
  done
  mount -t tmpfs -o mode=1777 tmpfs /tmp
  mount -t tmpfs -o mode=1777 tmpfs /var/tmp
  mkdir -p "$sockdir"
  mount --no-canonicalize --bind /proc/self/fd/9 "$sockdir"
  mount -o remount,bind,rw "$sockdir"
  exec 9<&-
  umask 0077
  # LimitNOFILE=65536, or the hard limit this machine allows when it is lower.
  n=$(ulimit -Hn)
  [ "$n" = unlimited ] || [ "$n" -gt 65536 ] && n=65536
  exec prlimit --nofile="$n:$n" setpriv --bounding-set=-all,+sys_ptrace --inh-caps=-all \
    --no-new-privs -- "$@"
' unit_sandbox "$sockdir" "$daemon" "$@"
