// The command line of `utracectl trace` / `run` / `count`: strace's letters and long options
// (plus run's older --follow, --count, --output, --syscalls, --seccomp, --events).
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "syscall_filter.hpp"

namespace utracectl {

// strace's -e status= values, as bits.
enum StatusBits : unsigned {
  kStatusSuccessful = 1u << 0,
  kStatusFailed = 1u << 1,
  kStatusUnfinished = 1u << 2,
  kStatusUnavailable = 1u << 3,
  kStatusDetached = 1u << 4,
  kStatusAll = (1u << 5) - 1,
};

enum class SortBy { Time, AvgTime, MinTime, MaxTime, Calls, Errors, Name, Nothing };

struct StraceOptions {
  enum class Command { Trace, Run, Count };
  Command command = Command::Trace;

  std::vector<int> pids;             // -p (and trace's positional PIDs)
  std::vector<std::string> program;  // CMD ARGS
  int follow = 0;                    // -f: 1; -ff: 2 (one file per thread with -o)
  std::string output;                // -o FILE ("" : stderr)
  bool append = false;               // -A
  SyscallFilter trace;               // -e trace=
  unsigned status = kStatusAll;      // -e status=, -z, -Z
  std::bitset<65> signals;           // -e signal= (bit n: signal n is printed)
  std::size_t strsize = 32;          // -s
  int hex = 0;                       // -x: 1, -xx: 2
  bool fd_paths = false;             // -y
  bool syscall_times = false;        // -T
  int absolute = 0;                  // -t: 1, -tt: 2, -ttt: 3
  bool relative = false;             // -r
  int summary = 0;                   // -c: 1 (table only), -C: 2 (trace and table)
  SortBy sortby = SortBy::Time;      // -S
  bool wallclock = false;            // -w
  bool seccomp_bpf = false;          // --seccomp-bpf (run)
  int quiet = 0;                     // -q, -qq
  bool help = false;
  bool version = false;
  std::vector<std::string> events;   // run --events (the older option); empty: the default
  std::optional<std::string> socket; // --socket after the command word

  StraceOptions() { signals.set(); }
  // The lines are decided at the syscall's exit (a status filter): no "<unfinished ...>".
  bool whole_lines() const { return status != kStatusAll; }
  bool trace_lines() const { return summary != 1; }
};

// Parses the words after the command word. Throws UsageError with strace's wording.
StraceOptions parse_strace_options(StraceOptions::Command command,
                                   const std::vector<std::string>& args);

// "utracectl trace -h": the usage lines, then kStraceOptionsHelp (also in utracectl -h).
extern const char* const kStraceUsage;
extern const char* const kStraceOptionsHelp;

}  // namespace utracectl
