#include "follower.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/read_until.hpp>
#include <cerrno>
#include <csignal>
#include <iostream>

#include "utrace/proto/errors.hpp"

namespace utracectl {

namespace client = utrace::client;
using utrace::proto::EventKind;
using utrace::proto::ResumeAction;

Follower::Follower(client::Client& client, Sink sink, bool detach_on_signal)
    : client_(client), sink_(std::move(sink)) {
  if (detach_on_signal) {
    signals_.emplace(client.io_context(), SIGINT, SIGTERM);
    wait_signal();
  }
  // Installed before attaching, for every engine: a report may come before the attach reply.
  client_.on_event([this](const client::ReportMessage& m) { deliver(m); });
  client_.on_report(client::kAllEngines,
                    client::AsyncClient::ActionHandler([this](const client::ReportMessage& m) {
                      deliver(m);
                      return ResumeAction::Resume;
                    }));
}

void Follower::wait_signal() {
  signals_->async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) interrupted_ = true;
  });
}

void Follower::adopt(client::EngineId engine, int pid, const FollowSpec& spec) {
  follow_ = spec.follow;
  engine_ = engine;
  if (!gone_engines_.count(engine)) engines_.insert(engine);
  if (!reaped_.count(pid)) alive_.insert(pid);
  attached_ = true;
}

std::vector<int> Follower::attach(const FollowSpec& spec) {
  follow_ = spec.follow;
  client::AttachOptions options;
  options.tid = spec.process ? 0 : spec.tid;
  options.pid = spec.process ? spec.tid : 0;
  options.events = spec.events;
  options.mode = spec.mode;
  options.concurrent = spec.concurrent;
  options.follow = spec.follow;
  options.syscalls = spec.syscalls;
  options.capture = spec.capture;
  client::AttachResult result = client_.attach(options);
  engine_ = result.engine;
  if (!gone_engines_.count(engine_)) engines_.insert(engine_);
  if (result.tids.empty()) result.tids.push_back(spec.tid);
  for (int tid : result.tids)
    if (!reaped_.count(tid)) alive_.insert(tid);
  attached_ = true;
  gone_ = engines_.empty();
  return result.tids;
}

void Follower::enable_commands() {
  input_ = std::make_unique<boost::asio::posix::stream_descriptor>(client_.io_context(),
                                                                   ::fcntl(0, F_DUPFD_CLOEXEC, 0));
  read_command();
}

void Follower::read_command() {
  boost::asio::async_read_until(*input_, input_buf_, '\n',
                                [this](const boost::system::error_code& ec, std::size_t n) {
                                  if (ec) return;  // end of input: keep following
                                  std::string line(
                                      boost::asio::buffers_begin(input_buf_.data()),
                                      boost::asio::buffers_begin(input_buf_.data()) + n - 1);
                                  input_buf_.consume(n);
                                  if (!line.empty()) commands_.push_back(line);
                                  read_command();
                                });
}

void Follower::run_command(const std::string& line) {
  nlohmann::json out = {{"command", line}};
  int rc = 0;
  if (auto action = utrace::proto::parse_action(line)) {
    rc = client_.control(engine_, *action);
    if (*action == ResumeAction::Detach && (rc == 0 || rc == EINPROGRESS)) detached_ = true;
  } else if (line == "barrier") {
    rc = client_.barrier(engine_);
  } else if (line == "wait") {
    std::string reason;
    rc = client_.wait(engine_, {}, &reason);
    if (!rc) out["result"] = reason;
  } else if (line == "regs") {
    try {
      out["result"] = client_.get_regs(engine_);
    } catch (const client::ClientError& e) {
      rc = e.errno_value() ? e.errno_value() : EINVAL;
    }
  } else {
    out["error"] = "unknown command (stop, resume, detach, interrupt, report, singlestep, "
                   "blockstep, barrier, wait, regs)";
  }
  if (rc) out["errno"] = utrace::proto::errno_name(rc);
  else if (!out.contains("result") && !out.contains("error")) out["result"] = 0;
  std::cout << out.dump() << std::endl;
}

bool Follower::run() {
  for (;;) {
    client_.run_until([this] {
      return (attached_ && alive_.empty()) || gone_ || interrupted_ || !commands_.empty() ||
             detached_;
    });
    if (commands_.empty() || interrupted_ || detached_ || gone_ || (attached_ && alive_.empty()))
      break;
    auto line = std::move(commands_.front());
    commands_.pop_front();
    run_command(line);
  }
  if (gone_ || (attached_ && alive_.empty())) return true;
  if (detached_) return false;
  // Interrupted: detach, so that the thread runs on untraced. ESRCH (already gone) and
  // EALREADY (dying) need nothing more.
  client_.set_call_timeout(std::chrono::seconds(10));
  for (auto engine : engines_) client_.detach(engine);
  return false;
}

void Follower::deliver(const client::ReportMessage& message) {
  sink_(message);  // this connection's engines only: all of them are ours
  const auto& r = message.report;
  if (r.event == EventKind::Clone && r.child) {
    // Followed children (or new threads of a process engine) are ours until their reap.
    const bool thread = r.clone.value_or("") == "thread";
    if (follow_ || thread) alive_.insert(*r.child);
  }
  if (r.event == EventKind::Reap) {
    alive_.erase(r.tid);
    reaped_.insert(r.tid);
    if (r.engine_gone.value_or(false)) {
      gone_engines_.insert(r.engine);
      engines_.erase(r.engine);
      gone_ = attached_ && engines_.empty();
    }
  }
}

}  // namespace utracectl
