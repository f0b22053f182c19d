#!/usr/bin/env bash
# Proof that utraced installs like a system tool (issue 16). Installs the build into a
# temporary DESTDIR, then, using only what was installed:
#   - builds a C and a C++ hello-world with nothing but `pkg-config --cflags --libs`
#     (utrace-client-c, utrace-client) and runs them against a private daemon on a temp socket;
#   - checks the shared library's soname and version links, and that it exports only utrace
#     symbols;
#   - renders every man page with `man -l` (and groff -ww) without a warning;
#   - loads the bash completion and checks `complete -p utracectl`;
#   - checks that no file went outside the prefix, and --version of both programs;
#   - imports the Python package from the installed location, when the build installs one.
#   test_install.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=$1 src=$2
# Only what was installed: not the build tree's libraries meson test points the loader at.
unset LD_LIBRARY_PATH
here=$src/tests/install
tmp=$(mktemp -d /tmp/utraced-install-XXXXXX)
daemon=
cleanup() {
  [[ -n $daemon ]] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  if ((failures == 0)); then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
failures=0
trap cleanup EXIT
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

dest=$tmp/dest
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log"; fail "meson install"; exit 1; }

opt() {
  python3 - "$build/meson-info/intro-buildoptions.json" "$1" <<'PY'
import json, sys
for o in json.load(open(sys.argv[1])):
    if o["name"] == sys.argv[2]:
        print(o["value"])
PY
}
prefix=$(opt prefix) libdir=$(opt libdir) mandir=$(opt mandir) datadir=$(opt datadir)
sbindir=$(opt sbindir) bindir=$(opt bindir)
[[ $libdir = /* ]] || libdir=$prefix/$libdir
[[ $mandir = /* ]] || mandir=$prefix/$mandir
[[ $datadir = /* ]] || datadir=$prefix/$datadir
[[ $sbindir = /* ]] || sbindir=$prefix/$sbindir
[[ $bindir = /* ]] || bindir=$prefix/$bindir
root=$dest$prefix
echo "prefix $prefix, libdir $libdir"

# Nothing outside the prefix (units, tmpfiles, completion included).
outside=$(cd "$dest" && find . \( -type f -o -type l \) | sed 's|^\.||' | grep -v "^$prefix/" || true)
if [[ -n $outside ]]; then fail "installed outside $prefix: $outside"; else ok "all under $prefix"; fi
for f in lib/systemd/system/utraced.service lib/systemd/system/utraced.socket \
         lib/tmpfiles.d/utraced.conf; do
  [[ -f $root/$f ]] || fail "missing $prefix/$f"
done

# --version from the installed programs.
v=$("$dest$sbindir/utraced" --version) && [[ $v == "utraced "* ]] && ok "$v" || fail "utraced --version: $v"
v=$("$dest$bindir/utracectl" --version) && [[ $v == "utracectl "* ]] && ok "$v" || fail "utracectl --version: $v"

# The shared library: soname, version links, exported symbols.
so=$dest$libdir/libutrace-client.so
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ $soname == libutrace-client.so.0 ]] && ok "soname $soname" || fail "soname '$soname'"
[[ $(readlink "$so") == libutrace-client.so.0 && -f $dest$libdir/libutrace-client.so.0.2.0 ]] \
  || [[ -f $(readlink -f "$so") ]] || fail "version links"
[[ -f $dest$libdir/libutrace-client.a ]] || fail "no static library"
foreign=$(nm -DC --defined-only "$so" | awk '{ $1 = ""; $2 = ""; print }' \
  | grep -v -E '^ *(utrace_|utrace::|typeinfo (name )?for utrace::|vtable for utrace::|UTRACE_CLIENT_0)' | head -5)
[[ -z $foreign ]] && ok "exports only utrace symbols" || fail "exports $foreign"

# Hello-worlds with only pkg-config's flags.
export PKG_CONFIG_PATH=$dest$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
for pc in utrace-client utrace-client-c; do
  flags=$(pkg-config --cflags --libs "$pc") || { fail "pkg-config $pc"; continue; }
  echo "$pc: $flags"
  [[ " $flags " == *" -I/usr/include "* ]] && fail "$pc leaks -I/usr/include"
  [[ $flags == *spdlog* ]] && fail "$pc leaks spdlog"
done
[[ $(pkg-config --cflags utrace-client-c) == *c++* ]] && fail "utrace-client-c has C++ flags"
rpath=-Wl,-rpath,$dest$libdir
cc -Wall -Werror "$here/hello.c" $(pkg-config --cflags --libs utrace-client-c) "$rpath" \
  -o "$tmp/hello_c" || fail "C hello-world does not build"
c++ -Wall -Werror "$here/hello.cpp" $(pkg-config --cflags --libs utrace-client) "$rpath" \
  -o "$tmp/hello_cpp" || fail "C++ hello-world does not build"

sock=$tmp/utraced.sock
"$dest$sbindir/utraced" --socket "$sock" --log-level warn 2>"$tmp/daemon.log" &
daemon=$!
for _ in $(seq 400); do [[ -S $sock ]] && break; sleep 0.025; done
sleep 0.1
for h in hello_c hello_cpp; do
  [[ -x $tmp/$h ]] || continue
  out=$("$tmp/$h" "$sock" 2>&1)
  linked=$(ldd "$tmp/$h")
  [[ $linked == *"=> $dest$libdir/libutrace-client.so.0 "* ]] || fail "$h does not use the installed .so: $linked"
  [[ $out == "utraced "* ]] && ok "$h: $out" || fail "$h: $out"
done

# Man pages render without a warning.
for page in man1/utracectl.1 man8/utraced.8 man7/utraced-protocol.7; do
  f=$dest$mandir/$page
  [[ -f $f ]] || { fail "missing $page"; continue; }
  if command -v man >/dev/null; then
    warn=$(MANWIDTH=80 man -l "$f" 2>&1 >/dev/null)
    [[ -z $warn ]] || fail "man -l $page: $warn"
  fi
  warn=$(groff -man -ww -z -Tutf8 "$f" 2>&1; LC_ALL=C groff -man -ww -z -Tascii "$f" 2>&1)
  [[ -z $warn ]] && ok "$page renders" || fail "groff $page: $warn"
  MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q "^NAME" || fail "$page has no NAME"
done

# Completion loads in bash; zsh's file is there.
bc=$dest$datadir/bash-completion/completions/utracectl
out=$(bash -c 'source "$1" && complete -p utracectl' _ "$bc" 2>&1)
[[ $out == "complete -F _utracectl utracectl" ]] && ok "bash completion: $out" || fail "bash completion: $out"
[[ -f $dest$datadir/zsh/vendor-completions/_utracectl ]] || fail "no zsh completion"
if command -v zsh >/dev/null; then zsh -n "$dest$datadir/zsh/vendor-completions/_utracectl" || fail "zsh -n"; fi

# The Python package, from the installed location, when the build installs it.
# The Python package from the installed location, and an installed example run against the
# private daemon (its socket from $UTRACED_SOCKET).
init=$(find "$dest" -path '*/utrace/__init__.py' | head -1)
if [[ -n $init ]]; then
  site=$(dirname "$(dirname "$init")")
  where=$(cd / && PYTHONPATH=$site python3 -c 'import utrace; print(utrace.__file__)' 2>&1)
  [[ $where == "$site/"* ]] && ok "python: import utrace from $where" || fail "python import: $where"
  example=$(find "$dest" -path '*/examples/python/count_syscalls.py' | head -1)
  if [[ -n $example ]]; then
    out=$(cd / && PYTHONPATH=$site UTRACED_SOCKET=$sock python3 "$example" -- /bin/true 2>&1)
    rc=$?
    if [[ $rc == 0 && $out == *exit_group* && $out == *total* ]]; then
      ok "python: the installed count_syscalls.py example counts /bin/true's syscalls"
    else
      fail "python example (exit $rc): $out"
    fi
  else
    fail "the Python examples are not installed"
  fi
else
  fail "the Python package utrace is not installed"
fi

echo "install: $failures failures"
((failures == 0))
