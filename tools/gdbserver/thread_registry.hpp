// ThreadRegistry: what the gdbserver knows of each thread of the debugged process: whether it
// runs or is held (by our `control stop` hold, or by a report to our engine left in flight),
// the stop gdb has not been told about yet, and the registers read at this stop.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "utrace/client.hpp"

namespace utracectl::gdbserver {

enum class StopKind {
  Signal,        // the program got a signal (signo)
  Breakpoint,    // one of our int3s (addr; rip is at it)
  Step,          // a single-step we asked for is done
  SyscallEntry,  // catch syscall (sysno)
  SyscallReturn,
  Interrupt,  // Ctrl-C: stopped on gdb's request (SIGINT in the reply)
  Initial,    // attached / held at its exec (signal 0 / SIGTRAP)
  Exited,     // the process is gone (status: its wait status)
  Exec,       // a new program (path), at its first instruction
  Fork,       // it forked: child_pid/child_tid, held until gdb lets it go
};

struct StopEvent {
  StopEvent() = default;
  StopEvent(StopKind k, int t, int sig = 0, std::int64_t nr = -1, std::uint64_t a = 0)
      : kind(k), tid(t), signo(sig), sysno(nr), addr(a) {}

  StopKind kind = StopKind::Signal;
  int tid = 0;
  int signo = 0;  // Linux numbering
  std::int64_t sysno = -1;
  std::uint64_t addr = 0;
  int status = 0;     // Exited
  std::string path;   // Exec
  int child_pid = 0;  // Fork
  int child_tid = 0;
};

struct ThreadState {
  int tid = 0;
  int pid = 0;            // its process: the debugged one, or a forked child gdb has not let go yet
  bool running = true;    // not held by this engine
  bool stopping = false;  // `control stop` sent (EINPROGRESS); its stop not seen yet
  bool held = false;      // our control-stop hold is in place
  std::optional<utrace::client::ReportMessage> report;  // in flight: the thread waits for us
  std::optional<StopEvent> pending;                     // a stop gdb has not been told about
  bool stepping = false;                                // resumed with a single-step
  bool resumed = false;       // gdb resumed it since its last stop reply (its pending stop is due)
  int inject_signal = 0;      // queued with tgkill for gdb's C/S: deliver, do not stop
  bool deliver_kept = false;  // the kept report's signal is one to pass on
  bool dead = false;
  // Registers at this stop, read once (get_regs / get_regset "fp" / "xstate").
  std::optional<nlohmann::json> regs;
  std::optional<std::string> fp;
  std::optional<std::string> xstate;

  bool stopped() const { return !dead && (report.has_value() || held); }
  void forget_registers() {
    regs.reset();
    fp.reset();
    xstate.reset();
  }
};

class ThreadRegistry {
 public:
  ThreadState& add(int tid, int pid);  // the existing entry if known
  ThreadState* find(int tid);
  void remove(int tid) { threads_.erase(tid); }
  // Live threads in tid order (of one process, or all with pid 0).
  std::vector<int> live(int pid = 0) const;
  std::map<int, ThreadState>& all() { return threads_; }
  bool empty(int pid = 0) const { return live(pid).empty(); }

  // /proc/PID/task/TID/comm without its newline ("" if gone).
  static std::string name(int pid, int tid);
  // The tids /proc/PID/task lists now.
  static std::vector<int> list_tasks(int pid);

 private:
  std::map<int, ThreadState> threads_;
};

}  // namespace utracectl::gdbserver
