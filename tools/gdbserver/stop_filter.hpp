// StopFilter: what a report of our engine means to gdb. A stop gdb must hear of (a breakpoint
// of ours, a finished single-step, a signal gdb does not pass, a caught syscall) or one that
// goes on at once (with its signal delivered, for QPassSignals and signals gdb sent itself).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "breakpoint_table.hpp"
#include "thread_registry.hpp"
#include "utrace/proto/report.hpp"

namespace utracectl::gdbserver {

struct Verdict {
  std::optional<StopEvent> stop;  // tell gdb; the thread stays stopped
  bool deliver = false;           // otherwise: a signal report whose signal goes to the program
};

class StopFilter {
 public:
  explicit StopFilter(const BreakpointTable& breakpoints) : breakpoints_(breakpoints) {}

  void set_pass_signals(std::set<int> signals) { pass_ = std::move(signals); }
  void set_syscall_catch(bool on, std::set<std::int64_t> nrs) {
    catch_syscalls_ = on;
    catch_nrs_ = std::move(nrs);
  }
  bool catching_syscalls() const { return catch_syscalls_; }

  // event: the report's event name; step: its "step" flag; addr: a breakpoint's address.
  // Clears t.inject_signal when the report is that signal.
  Verdict sort(ThreadState& t, const std::string& event, const utrace::proto::Report& r, bool step,
               std::uint64_t addr) const;

 private:
  const BreakpointTable& breakpoints_;
  std::set<int> pass_;
  bool catch_syscalls_ = false;
  std::set<std::int64_t> catch_nrs_;
};

}  // namespace utracectl::gdbserver
