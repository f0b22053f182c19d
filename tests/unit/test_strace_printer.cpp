// utracectl's strace layer without a daemon: option parsing (strace's letters and errors), the
// -e trace= set, the printer's lines from hand-made reports (prefixes, unfinished/resumed,
// timestamps, -T, status filters, exit lines) and the -c table. Expected text from strace 6.1.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <sstream>

#include "command_line.hpp"
#include "strace_options.hpp"
#include "strace_printer.hpp"
#include "strace_summary.hpp"
#include "syscall_filter.hpp"
#include "utrace/proto/syscall_table.hpp"

namespace {

using namespace utracectl;
using utrace::proto::EventKind;
using utrace::proto::Report;
using Command = StraceOptions::Command;

StraceOptions parse(std::vector<std::string> args, Command c = Command::Trace) {
  return parse_strace_options(c, args);
}

std::string usage_error(std::vector<std::string> args, Command c = Command::Trace) {
  try {
    parse_strace_options(c, args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

std::int64_t nr(const char* name) { return utrace::proto::sys::find_syscall(name)->nr; }

Report entry(int tid, const char* name, std::array<std::uint64_t, 6> args, std::uint64_t us) {
  Report r;
  r.tid = r.pid = tid;
  r.event = EventKind::SyscallEntry;
  r.syscall = utrace::proto::SyscallInfo{nr(name), name, args};
  r.time_us = 1700000000000000 + us;
  r.mono_us = 5000000 + us;
  return r;
}

Report exit_of(int tid, const char* name, std::int64_t ret, std::uint64_t us) {
  Report r = entry(tid, name, {}, us);
  r.event = EventKind::SyscallExit;
  r.retval = ret;
  return r;
}

Report death(int tid, int status, std::uint64_t us) {
  Report r = entry(tid, "exit_group", {}, us);
  r.event = EventKind::Death;
  r.syscall.reset();
  r.status = status;
  return r;
}

TEST(StraceOptions, LettersAsStraceTakesThem) {
  auto o = parse({"-fTtt", "-s64", "-etrace=%file", "-o", "/tmp/x", "-p", "12", "-p13,14"});
  EXPECT_EQ(o.follow, 1);
  EXPECT_TRUE(o.syscall_times);
  EXPECT_EQ(o.absolute, 2);
  EXPECT_EQ(o.strsize, 64u);
  EXPECT_EQ(o.output, "/tmp/x");
  EXPECT_EQ(o.pids, (std::vector<int>{12, 13, 14}));
  EXPECT_TRUE(o.trace.matches(nr("openat")));
  EXPECT_FALSE(o.trace.matches(nr("read")));
  o = parse({"-ff", "-xx", "-y", "-S", "calls", "-Z", "--", "ls", "-l"}, Command::Run);
  EXPECT_EQ(o.follow, 2);
  EXPECT_EQ(o.hex, 2);
  EXPECT_TRUE(o.fd_paths);
  EXPECT_EQ(o.sortby, SortBy::Calls);
  EXPECT_EQ(parse({"-c", "true"}, Command::Run).summary, 1);
  EXPECT_EQ(parse({"-C", "true"}, Command::Run).summary, 2);
  EXPECT_EQ(o.status, kStatusFailed);
  EXPECT_EQ(o.program, (std::vector<std::string>{"ls", "-l"}));
  // run stops at the program: its options are its own.
  o = parse({"-f", "ls", "-l", "-s"}, Command::Run);
  EXPECT_EQ(o.program, (std::vector<std::string>{"ls", "-l", "-s"}));
  // trace's positional PID, and run's older long options.
  EXPECT_EQ(parse({"1234"}).pids, std::vector<int>{1234});
  o = parse({"--follow", "--count", "--output", "f", "--syscalls", "read,close", "--seccomp", "--", "x"},
            Command::Run);
  EXPECT_TRUE(o.follow == 1 && o.summary == 1 && o.output == "f" && o.seccomp_bpf);
  EXPECT_TRUE(o.trace.matches(nr("close")) && !o.trace.matches(nr("openat")));
  o = parse({"-e", "status=!failed", "-e", "signal=!SIGCHLD,10", "-p", "1"});
  EXPECT_EQ(o.status, kStatusAll & ~kStatusFailed);
  EXPECT_FALSE(o.signals.test(17));
  EXPECT_FALSE(o.signals.test(10));
  EXPECT_TRUE(o.signals.test(15));
}

TEST(StraceOptions, UsageErrorsInStracesWords) {
  EXPECT_EQ(usage_error({}), "must have PROG [ARGS] or -p PID");
  EXPECT_EQ(usage_error({"-Q"}), "invalid option -- 'Q'");
  EXPECT_EQ(usage_error({"-s"}), "option requires an argument -- 's'");
  EXPECT_EQ(usage_error({"-s", "x", "-p", "1"}), "invalid -s argument: 'x'");
  EXPECT_EQ(usage_error({"-e", "trace=foo", "-p", "1"}), "invalid system call 'foo'");
  EXPECT_EQ(usage_error({"-e", "trace=", "-p", "1"}), "invalid system call ''");
  EXPECT_EQ(usage_error({"-e", "trace=creds", "-p", "1"}), "invalid system call 'creds'");
  EXPECT_EQ(usage_error({"-e", "status=bad", "-p", "1"}), "invalid status 'bad'");
  EXPECT_EQ(usage_error({"-S", "foo", "-p", "1"}), "invalid sortby: 'foo'");
  EXPECT_EQ(usage_error({"-p", "x"}), "Invalid process id: 'x'");
  EXPECT_EQ(usage_error({"-c", "-ff", "-p", "1"}),
            "(-c/--summary-only or -C/--summary) and -ff/--output-separately are mutually exclusive");
  EXPECT_EQ(usage_error({"--bogus", "-p", "1"}), "unrecognized option '--bogus'");
}

TEST(SyscallFilter, NamesClassesRegexNegation) {
  auto f = SyscallFilter::parse("!%desc,/^get");
  EXPECT_FALSE(f.matches(nr("read")));
  EXPECT_FALSE(f.matches(nr("getpid")));
  EXPECT_TRUE(f.matches(nr("mprotect")));
  f = SyscallFilter::parse("file,2,?nosuch");  // the old class name, a number, an optional name
  EXPECT_TRUE(f.matches(nr("openat")) && f.matches(2) && !f.matches(nr("read")));
  EXPECT_TRUE(SyscallFilter::parse("all").all());
  EXPECT_TRUE(SyscallFilter::parse("none").none());
  EXPECT_TRUE(SyscallFilter::parse("!none").all());
  EXPECT_TRUE(SyscallFilter().engine_names().empty());  // everything: no filter at all
  EXPECT_EQ(SyscallFilter::parse("close,read").engine_names(),
            (std::vector<std::string>{"read", "close"}));
}

// The printer writes as to stderr (no -o) unless told otherwise.
struct Printed {
  explicit Printed(std::vector<std::string> args) : o(parse(std::move(args))), out(text) {}
  StraceOptions o;
  std::ostringstream text;
  StraceOutput out;
};

TEST(StracePrinter, UnfinishedAndResumedWithPrefixes) {
  Printed p({"-p", "101", "-f"});
  StracePrinter printer(p.o, p.out, nullptr);
  printer.add_thread(101);
  printer.on_report(entry(101, "close", {3}, 0));
  printer.on_report(exit_of(101, "close", 0, 5));
  EXPECT_EQ(p.text.str(), "close(3)                                = 0\n");  // one thread: no prefix
  p.text.str("");
  printer.add_thread(102);
  printer.on_report(entry(101, "kill", {11375, 10}, 10));
  EXPECT_EQ(p.text.str(), "[pid   101] kill(11375, SIGUSR1");  // out at once, line left open
  printer.on_report(entry(102, "getpid", {}, 11));
  printer.on_report(exit_of(102, "getpid", 102, 12));
  printer.on_report(exit_of(101, "kill", 0, 20));
  printer.on_report(entry(102, "exit_group", {0}, 21));
  printer.on_report(death(102, 0, 22));
  printer.on_report(entry(101, "close", {4}, 30));
  printer.on_report(exit_of(101, "close", -9, 31));
  EXPECT_EQ(p.text.str(),
            "[pid   101] kill(11375, SIGUSR1 <unfinished ...>\n"
            "[pid   102] getpid()                    = 102\n"
            "[pid   101] <... kill resumed>)         = 0\n"
            "[pid   102] exit_group(0)               = ?\n"
            "[pid   102] +++ exited with 0 +++\n"
            "close(4)                                = -1 EBADF (Bad file descriptor)\n");
}

TEST(StracePrinter, TimesFromTheReports) {
  ::setenv("TZ", "UTC0", 1);
  ::tzset();
  Printed p({"-p", "7", "-tt", "-T"});
  StracePrinter printer(p.o, p.out, nullptr);
  printer.add_thread(7);
  printer.on_report(entry(7, "close", {3}, 123));
  printer.on_report(exit_of(7, "close", 0, 168));
  EXPECT_EQ(p.text.str(), "22:13:20.000123 close(3)                = 0 <0.000045>\n");
  Printed r({"-p", "7", "-r", "-ttt"});
  StracePrinter rel(r.o, r.out, nullptr);
  rel.add_thread(7);
  for (std::uint64_t t : {100u, 1350u}) {
    rel.on_report(entry(7, "close", {3}, t));
    rel.on_report(exit_of(7, "close", 0, t + 1));
  }
  EXPECT_EQ(r.text.str(),
            "1700000000.000100 (+     0.000000) close(3) = 0\n"
            "1700000000.001350 (+     0.001250) close(3) = 0\n");
}

TEST(StracePrinter, StatusFiltersPrintWholeLines) {
  Printed p({"-p", "7", "-p", "8", "-Z"});
  StracePrinter printer(p.o, p.out, nullptr);
  printer.add_thread(7);
  printer.add_thread(8);
  printer.on_report(entry(7, "close", {3}, 0));
  printer.on_report(entry(8, "close", {4}, 1));
  printer.on_report(exit_of(8, "close", 0, 2));
  printer.on_report(exit_of(7, "close", -9, 3));
  printer.on_report(entry(8, "exit_group", {0}, 4));
  printer.on_report(death(8, 0, 5));
  EXPECT_EQ(p.text.str(),
            "[pid     7] close(3)                    = -1 EBADF (Bad file descriptor)\n"
            "[pid     8] +++ exited with 0 +++\n");
}

TEST(StraceSummary, StracesColumns) {
  StraceSummary s(SortBy::Time);
  for (int i = 0; i < 34; ++i) s.add(nr("openat"), i < 30 ? 10 : 11, i < 13);
  for (int i = 0; i < 30; ++i) s.add(nr("mmap"), 11, false);
  s.add(nr("execve"), 329, false);
  std::ostringstream out;
  s.print(out);
  EXPECT_EQ(out.str(),
            "% time     seconds  usecs/call     calls    errors syscall\n"
            "------ ----------- ----------- --------- --------- ----------------\n"
            " 34.30    0.000344          10        34        13 openat\n"
            " 32.90    0.000330          11        30           mmap\n"
            " 32.80    0.000329         329         1           execve\n"
            "------ ----------- ----------- --------- --------- ----------------\n"
            "100.00    0.001003          15        65        13 total\n");
}

}  // namespace
