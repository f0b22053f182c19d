#include "syscall_counter.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "syscall_format.hpp"

namespace utracectl {

using utrace::proto::EventKind;

void SyscallCounter::on_report(const utrace::proto::Report& report) {
  if (!report.syscall) return;
  const std::string name = syscall_name(*report.syscall);
  if (report.event == EventKind::SyscallEntry) {
    ++rows_[name].calls;
    in_syscall_.insert(report.tid);
  } else if (report.event == EventKind::SyscallExit) {
    // An exit without its entry: attached in the middle of the syscall; count it anyway.
    if (in_syscall_.erase(report.tid) == 0) ++rows_[name].calls;
    if (report.retval && is_error_retval(*report.retval)) ++rows_[name].errors;
  }
}

void SyscallCounter::print(std::ostream& out) const {
  std::vector<std::pair<std::string, Row>> sorted(rows_.begin(), rows_.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second.calls > b.second.calls; });
  const std::string rule = "--------- --------- ----------------\n";
  out << fmt::format("{:>9} {:>9} {}\n", "calls", "errors", "syscall") << rule;
  Row total;
  for (const auto& [name, row] : sorted) {
    out << fmt::format("{:>9} {:>9} {}\n", row.calls, row.errors ? std::to_string(row.errors) : "",
                       name);
    total.calls += row.calls;
    total.errors += row.errors;
  }
  out << rule
      << fmt::format("{:>9} {:>9} {}\n", total.calls,
                     total.errors ? std::to_string(total.errors) : "", "total")
      << std::flush;
}

}  // namespace utracectl
