// strace -c's table: per syscall the share of the time, seconds, usecs/call, calls and errors,
// sorted as -S says, with strace 6.1's columns. A syscall is counted at its exit (as strace
// does: exit_group never is); its time is the daemon's CLOCK_MONOTONIC at the exit stop minus at
// the entry stop (wall clock, strace's -w; strace's default, system CPU time from wait4's
// rusage, is not known to a client of the daemon).
#pragma once

#include <cstdint>
#include <map>
#include <ostream>

#include "strace_options.hpp"

namespace utracectl {

class StraceSummary {
 public:
  explicit StraceSummary(SortBy sortby) : sortby_(sortby) {}

  // One finished syscall: its number, the microseconds it took, whether it failed.
  void add(std::int64_t nr, std::uint64_t usecs, bool failed);
  void print(std::ostream& out) const;

 private:
  struct Row {
    std::uint64_t calls = 0, errors = 0, usecs = 0;
    std::uint64_t min_usecs = UINT64_MAX, max_usecs = 0;
  };
  SortBy sortby_;
  std::map<std::int64_t, Row> rows_;  // by syscall number
};

}  // namespace utracectl
