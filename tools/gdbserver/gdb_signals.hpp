// Signal numbers between Linux and gdb's remote protocol (gdb's enum gdb_signal, as in
// gdb/signals.def: SIGUSR1 is 30 there, SIGBUS 10, SIGCHLD 20, ...).
#pragma once

namespace utracectl::gdbserver {

int gdb_signal_from_host(int linux_signo);  // 143 (GDB_SIGNAL_UNKNOWN) for none
int host_signal_from_gdb(int gdb_signo);    // 0 for none

}  // namespace utracectl::gdbserver
