// `utracectl count`: counts syscalls and failed syscalls by name, like `strace -c`.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>

#include "utrace/proto/report.hpp"

namespace utracectl {

class SyscallCounter {
 public:
  // Feed every report/event of the traced engine, in order.
  void on_report(const utrace::proto::Report& report);
  // The table: calls and errors per syscall, most calls first, then a total line.
  void print(std::ostream& out) const;

 private:
  struct Row {
    std::uint64_t calls = 0;
    std::uint64_t errors = 0;
  };
  std::map<std::string, Row> rows_;
  std::set<int> in_syscall_;  // tids whose syscall entry was counted and exit not yet seen
};

}  // namespace utracectl
