// Syscall reports carry the right names, arguments and return values for a known sequence.
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "common.hpp"

namespace utrace::test {
namespace {

struct Seen {
  EventKind event;
  std::string name;
  std::int64_t nr;
  std::array<std::uint64_t, 6> args;
  std::int64_t retval;
};

std::vector<Seen> run_known_sequence(client::Mode mode) {
  TestDaemon d;
  Tracee t("on-input");
  Client c = connect(d);
  std::vector<Seen> seen;
  bool done = false;
  auto record = [&](const ReportMessage& m) {
    const auto& r = m.report;
    if (!r.syscall || done) return;  // later syscalls (the next read) are not part of it
    seen.push_back({r.event, r.syscall->name, r.syscall->nr, r.syscall->args, r.retval.value_or(0)});
    if (r.event == EventKind::SyscallExit && r.syscall->name == "kill") done = true;
  };
  auto r = c.attach(attach_opts(t.pid(), mask({EventKind::SyscallEntry, EventKind::SyscallExit}),
                                mode));
  if (mode == client::Mode::Sync)
    c.on_report(r.engine, [&](const ReportMessage& m) {
      record(m);
      return ResumeAction::Resume;
    });
  else
    c.on_event(r.engine, record);
  t.send("s");
  EXPECT_TRUE(c.run_until([&] { return done; }, 5s));
  // A sync report for the next read may be in flight: then detach says EINPROGRESS.
  int rc = c.detach(r.engine);
  EXPECT_TRUE(rc == 0 || (rc == EINPROGRESS && mode == client::Mode::Sync)) << rc;
  EXPECT_TRUE(eventually([&] { return released(t); }));
  // Keep only the known sequence: from close's entry to kill's exit.
  auto first = std::find_if(seen.begin(), seen.end(), [](const Seen& s) {
    return s.name == "close" && s.event == EventKind::SyscallEntry;
  });
  return std::vector<Seen>(first, seen.end());
}

void check_sequence(const std::vector<Seen>& s) {
  ASSERT_EQ(s.size(), 8u);
  const char* names[] = {"close", "lseek", "getppid", "kill"};
  const long nrs[] = {SYS_close, SYS_lseek, SYS_getppid, SYS_kill};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(s[2 * i].event, EventKind::SyscallEntry) << i;
    EXPECT_EQ(s[2 * i + 1].event, EventKind::SyscallExit) << i;
    EXPECT_EQ(s[2 * i].name, names[i]);
    EXPECT_EQ(s[2 * i + 1].name, names[i]);
    EXPECT_EQ(s[2 * i].nr, nrs[i]);
  }
  EXPECT_EQ(static_cast<int>(s[0].args[0]), -1);  // close(-1)
  EXPECT_EQ(s[1].retval, -EBADF);
  EXPECT_EQ(static_cast<int>(s[2].args[0]), -1);  // lseek(-1, 4242, SEEK_CUR)
  EXPECT_EQ(s[2].args[1], 4242u);
  EXPECT_EQ(s[2].args[2], static_cast<std::uint64_t>(SEEK_CUR));
  EXPECT_EQ(s[3].retval, -EBADF);
  EXPECT_EQ(s[5].retval, ::getpid());  // the tracee's parent is this test
  EXPECT_EQ(s[6].args[0], 0u);         // kill(0, 0)
  EXPECT_EQ(s[6].args[1], 0u);
  EXPECT_EQ(s[7].retval, 0);
}

TEST(SyscallReports, KnownSequenceAsync) { check_sequence(run_known_sequence(client::Mode::Async)); }
TEST(SyscallReports, KnownSequenceSync) { check_sequence(run_known_sequence(client::Mode::Sync)); }

}  // namespace
}  // namespace utrace::test
