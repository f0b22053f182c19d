// `utracectl trace`: strace-like text, one line per syscall, printed at its exit.
#pragma once

#include <map>
#include <ostream>
#include <string>

#include "utrace/proto/report.hpp"

namespace utracectl {

class TracePrinter {
 public:
  explicit TracePrinter(std::ostream& out) : out_(out) {}

  // Feed every report/event of the traced engine, in order.
  void on_report(const utrace::proto::Report& report);

 private:
  // Prints "[tid] name(args) = ?" for a syscall that never returned (exit_group, execve in
  // another thread, death).
  void finish_unreturned(int tid);
  // "[tid] name(arg0, ..., arg5)", or "[tid] name(...)" without the arguments.
  static std::string call_text(int tid, const utrace::proto::SyscallInfo& call, bool with_args);

  std::ostream& out_;
  std::map<int, utrace::proto::SyscallInfo> entered_;  // per tid: the syscall being run
};

}  // namespace utracectl
