#include "follower.hpp"

#include <csignal>

namespace utracectl {

namespace client = utrace::client;
using utrace::proto::EventKind;
using utrace::proto::ResumeAction;

Follower::Follower(client::Client& client, Sink sink)
    : client_(client), sink_(std::move(sink)), signals_(client.io_context(), SIGINT, SIGTERM) {
  signals_.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) interrupted_ = true;
  });
  // Installed before attaching, for every engine: a report may come before the attach reply.
  client_.on_event([this](const client::ReportMessage& m) { deliver(m); });
  client_.on_report(client::kAllEngines,
                    client::AsyncClient::ActionHandler([this](const client::ReportMessage& m) {
                      deliver(m);
                      return ResumeAction::Resume;
                    }));
}

void Follower::attach(const FollowSpec& spec) {
  client::AttachOptions options;
  options.tid = spec.tid;
  options.events = spec.events;
  options.mode = spec.mode;
  client::AttachResult result = client_.attach(options);
  engine_ = result.engine;
  if (result.tids.empty()) result.tids.push_back(spec.tid);
  for (int tid : result.tids)
    if (!reaped_.count(tid)) alive_.insert(tid);
  attached_ = true;
}

bool Follower::run() {
  client_.run_until([this] { return (attached_ && alive_.empty()) || interrupted_; });
  if (attached_ && alive_.empty()) return true;
  // Interrupted: detach, so that the thread runs on untraced. ESRCH (already gone) and
  // EALREADY (dying) need nothing more.
  client_.set_call_timeout(std::chrono::seconds(10));
  client_.detach(engine_);
  return false;
}

void Follower::deliver(const client::ReportMessage& message) {
  if (engine_ != 0 && message.report.engine != engine_) return;
  sink_(message);
  if (message.report.event == EventKind::Reap) {
    alive_.erase(message.report.tid);
    reaped_.insert(message.report.tid);
  }
}

}  // namespace utracectl
