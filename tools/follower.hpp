// Follows a thread, a process or a launched program through one engine until it is reaped (all
// of it: `engine_gone`) or the user interrupts: the common core of `utracectl attach`, `trace`,
// `count` and `run` (which drives it through ProgramRun).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/streambuf.hpp>

#include "utrace/client_sync.hpp"

namespace utracectl {

struct FollowSpec {
  int tid = 0;
  bool process = false; // the whole process of `tid` ("scope": "process"): every thread
  bool follow = false;  // children too (their clone events add them)
  std::vector<std::string> syscalls;  // only these syscalls (empty: all)
  bool seccomp = false;               // run: only those stop the program
  utrace::proto::EventMask events;
  utrace::client::Mode mode = utrace::client::Mode::Async;
  bool concurrent = false;  // sync: asked without waiting for the engines before it
  nlohmann::json capture;   // the attach option `capture` (null: none)
};

class Follower {
 public:
  using Sink = std::function<void(const utrace::client::ReportMessage&)>;

  // Every report and event goes to `sink`, and every report is answered "resume". With
  // detach_on_signal, SIGINT and SIGTERM are caught from now on and make run() detach.
  Follower(utrace::client::Client& client, Sink sink, bool detach_on_signal = true);

  // Attaches an engine (may be called again for more: run() then follows them all). Returns
  // the threads attached. Throws ClientError (e.g. ESRCH, EPERM).
  std::vector<int> attach(const FollowSpec& spec);
  // Follows the engine `engine`, attached (with spec's events) to the process `pid` by
  // Client::launch.
  void adopt(utrace::client::EngineId engine, int pid, const FollowSpec& spec);
  // Every thread it covered was reaped: nothing more will be reported.
  bool finished() const { return gone_ || (attached_ && alive_.empty()); }
  // Reads commands for the engine from stdin, one per line: a resume action (stop, resume,
  // detach, interrupt, report, singlestep, blockstep) for `control`, or barrier, wait, regs.
  // Each result is printed as one JSON line: {"command":..., "result":...} or {"command":...,
  // "errno":...}.
  void enable_commands();
  // Dispatches until every attached thread is reaped (returns true), or until SIGINT/SIGTERM,
  // which detaches the engine and returns false. Throws ClientError on connection loss.
  bool run();

 private:
  void deliver(const utrace::client::ReportMessage& message);
  void wait_signal();
  void read_command();
  void run_command(const std::string& line);

  utrace::client::Client& client_;
  Sink sink_;
  std::optional<boost::asio::signal_set> signals_;
  bool interrupted_ = false;
  bool attached_ = false;
  utrace::client::EngineId engine_ = 0;   // the last attached (commands act on it)
  std::set<utrace::client::EngineId> engines_;  // attached and not gone
  std::set<utrace::client::EngineId> gone_engines_;  // reaps said engine_gone
  std::set<int> alive_;   // attached threads not reaped yet
  std::set<int> reaped_;  // reaps seen, possibly before the attach reply
  std::unique_ptr<boost::asio::posix::stream_descriptor> input_;
  boost::asio::streambuf input_buf_;
  std::deque<std::string> commands_;
  bool detached_ = false;
  bool gone_ = false;     // every engine is gone (reaps said engine_gone)
  bool follow_ = false;
};

}  // namespace utracectl
