// strace's trace lines from an engine's reports: each syscall's entry printed as soon as it is
// reported ("read(3, " for a blocked call), its exit completing the line, "<unfinished ...>" and
// "<... read resumed>" when another thread's line comes between, "[pid N] " (or "N " with -o)
// prefixes by strace's rule, -t/-tt/-ttt/-r from the stop's time_us/mono_us, -T from the entry
// and exit mono_us, signal lines, "+++ exited with N +++". Also feeds the -c table.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "strace_options.hpp"
#include "strace_output.hpp"
#include "strace_summary.hpp"
#include "syscall_decoder.hpp"
#include "utrace/proto/report.hpp"

namespace utracectl {

class StracePrinter {
 public:
  // `summary` (may be null) gets every finished syscall for -c/-C.
  StracePrinter(const StraceOptions& options, StraceOutput& out, StraceSummary* summary);

  // A thread traced from now on (attached, or a followed child): its reports are printed, and
  // it counts for strace's "[pid N] " rule.
  void add_thread(int tid);
  // Only this thread is printed (run without -f: strace traces the program's first thread
  // only, while the launch engine covers its whole process). By default every thread an
  // engine reports is printed.
  void restrict_to(int tid) { only_ = tid; }
  // run: the execve of the launched program, whose entry the daemon never reports (it holds
  // the program at that exec): printed when its exit comes. tid 0: the first thread's.
  void expect_execve(int tid, utrace::decode::PendingCall call) { launched_[tid] = std::move(call); }
  // Feed every report and event of the engines, in order.
  void on_report(const utrace::proto::Report& report);
  // Detaching (Ctrl-C): open lines end in " <detached ...>"; returns the threads still traced.
  std::set<int> detach_all();
  // The entry, exit and signal events these options need (trace set none: no syscalls).
  static utrace::proto::EventMask events(const StraceOptions& options);

 private:
  struct Thread {
    std::optional<utrace::decode::PendingCall> call;
    std::uint64_t entry_time = 0, entry_mono = 0;
    bool printed = false;    // its entry text is out
    std::string lead;        // the prefix the entry was printed with
    std::string prev_name;   // the last syscall entered (restart_syscall names it)
  };

  // "[pid  123] 12:00:00.123456 " for a line of `tid` at these times.
  std::string leader(int tid, std::uint64_t time_us, std::uint64_t mono_us);
  // Ends the stream's open line with " <unfinished ...>" (strace's printleader).
  void interrupt_open(StraceOutput::Stream& s);
  void write(StraceOutput::Stream& s, const std::string& text, int open_tid = 0);
  void on_entry(const utrace::proto::Report& r, Thread& t);
  void on_exit(const utrace::proto::Report& r, Thread& t);
  // A call that will not return (the thread exits or dies in it): "= ?".
  void finish_unreturned(int tid, Thread& t, const utrace::proto::Report& r);
  void on_signal(const utrace::proto::Report& r);
  void on_death(const utrace::proto::Report& r, Thread& t);
  void print_line(int tid, const std::string& text, std::uint64_t time_us, std::uint64_t mono_us);

  const StraceOptions& o_;
  StraceOutput& out_;
  StraceSummary* summary_;
  utrace::decode::SyscallDecoder decoder_;

 public:
  const utrace::decode::SyscallDecoder& decoder() const { return decoder_; }

 private:
  std::map<int, Thread> threads_;  // the traced threads, alive
  bool fixed_prefix_ = false;      // "%-5d " on every line (-o with -f or several -p)
  std::optional<std::uint64_t> last_mono_;  // -r: the previous line's time
  std::optional<int> only_;
  std::set<int> dead_;  // threads whose death was printed (their reap comes later)
  std::map<int, utrace::decode::PendingCall> launched_;
  std::set<int> announce_;  // followed children not heard from yet ("Process N attached")
};

}  // namespace utracectl
