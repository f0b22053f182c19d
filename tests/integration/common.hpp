// Shared helpers for integration tests: a private daemon, tracees, and a libclient Client.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_daemon.hpp"
#include "tracee.hpp"
#include "utrace/client_sync.hpp"

namespace utrace::test {

using namespace std::chrono_literals;
using client::Client;
using client::ClientError;
using client::ReportMessage;
using proto::EventKind;
using proto::EventMask;
using proto::ResumeAction;

inline EventMask mask(std::initializer_list<EventKind> kinds) {
  EventMask m;
  for (auto k : kinds) m.set(k);
  return m;
}

inline client::AttachOptions attach_opts(pid_t tid, EventMask events,
                                         client::Mode mode = client::Mode::Async) {
  client::AttachOptions o;
  o.tid = tid;
  o.events = events;
  o.mode = mode;
  return o;
}

// utime + stime of a process from /proc/PID/stat, in clock ticks; -1 when it is gone.
inline long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 > stat.size()) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string f;
  long utime = -1, stime = -1;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stol(f);
    if (i == 15) stime = std::stol(f);
  }
  return utime < 0 || stime < 0 ? -1 : utime + stime;
}

// A busy tracee (spin, getppid-loop) runs on its own: untraced, in state R or S (never t or T),
// and it makes progress, i.e. its CPU time grows. Waits up to 10 s for each; the failure says
// which part did not hold.
inline ::testing::AssertionResult runs_untraced(const Tracee& t) {
  if (!eventually([&] { return t.tracer() == 0; }, std::chrono::seconds(10)))
    return ::testing::AssertionFailure() << "still traced by " << t.tracer();
  const char s = t.state();
  if (s != 'R' && s != 'S') return ::testing::AssertionFailure() << "untraced but in state " << s;
  const long before = cpu_ticks(t.pid());
  if (!eventually([&] { return cpu_ticks(t.pid()) > before; }, std::chrono::seconds(10)))
    return ::testing::AssertionFailure()
           << "in state " << t.state() << " but used no CPU in 10 s (stuck at " << before
           << " ticks)";
  const char after = t.state();
  if (after != 'R' && after != 'S')
    return ::testing::AssertionFailure() << "ran, then ended up in state " << after;
  return ::testing::AssertionSuccess();
}

// released() (untraced, not in a ptrace stop) and not in a job-control stop either: running
// or sleeping in a syscall, as a thread no one stops is.
inline bool released_running(const Tracee& t) {
  const char s = t.state();
  return released(t) && (s == 'R' || s == 'S');
}

// Whether signo is pending for the process (shared queue) or its main thread.
inline bool signal_pending(pid_t pid, int signo) {
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  const unsigned long long bit = 1ull << (signo - 1);
  for (const char* key : {"ShdPnd", "SigPnd"}) {
    const std::string v = status_file_field(path, key);
    if (!v.empty() && (std::stoull(v, nullptr, 16) & bit)) return true;
  }
  return false;
}

inline Client connect(const TestDaemon& d) {
  Client c = Client::connect(d.socket());
  c.set_call_timeout(10s);
  return c;
}

}  // namespace utrace::test
