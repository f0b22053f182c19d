#include "gdb_signals.hpp"

#include <csignal>

namespace utracectl::gdbserver {

namespace {

constexpr int kUnknown = 143;

// Linux 1..31 -> gdb.
constexpr int kToGdb[32] = {
    0,
    1,         // SIGHUP
    2,         // SIGINT
    3,         // SIGQUIT
    4,         // SIGILL
    5,         // SIGTRAP
    6,         // SIGABRT
    10,        // SIGBUS
    8,         // SIGFPE
    9,         // SIGKILL
    30,        // SIGUSR1
    11,        // SIGSEGV
    31,        // SIGUSR2
    13,        // SIGPIPE
    14,        // SIGALRM
    15,        // SIGTERM
    kUnknown,  // SIGSTKFLT
    20,        // SIGCHLD
    19,        // SIGCONT
    17,        // SIGSTOP
    18,        // SIGTSTP
    21,        // SIGTTIN
    22,        // SIGTTOU
    16,        // SIGURG
    24,        // SIGXCPU
    25,        // SIGXFSZ
    26,        // SIGVTALRM
    27,        // SIGPROF
    28,        // SIGWINCH
    23,        // SIGIO
    32,        // SIGPWR
    12,        // SIGSYS
};

}  // namespace

int gdb_signal_from_host(int s) {
  if (s == 0) return 0;
  if (s > 0 && s < 32) return kToGdb[s];
  if (s == 32) return 77;                        // GDB_SIGNAL_REALTIME_32
  if (s >= 33 && s <= 63) return 45 + (s - 33);  // GDB_SIGNAL_REALTIME_33..63
  if (s == 64) return 78;                        // GDB_SIGNAL_REALTIME_64
  return kUnknown;
}

int host_signal_from_gdb(int g) {
  if (g <= 0) return 0;
  for (int s = 1; s < 32; ++s)
    if (kToGdb[s] == g) return s;
  if (g == 33) return SIGIO;  // GDB_SIGNAL_POLL
  if (g == 77) return 32;
  if (g >= 45 && g <= 75) return 33 + (g - 45);
  if (g == 78) return 64;
  return 0;
}

}  // namespace utracectl::gdbserver
