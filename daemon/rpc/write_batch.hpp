// WriteBatch: one write per client for a batch of ptrace stops. The daemon owns one and brackets
// each batch of statuses the reaper drains with begin()/end() (they nest); meanwhile a session
// with lines to write joins the batch instead of posting a write, and end() has each write all
// its lines with one non-blocking send. So every tracee of the batch is restarted before any
// client is written to (and woken), and a stop costs no asio handler and no extra epoll_wait
// for its event's write.
#pragma once

#include <memory>
#include <vector>

namespace utraced {

class Session;

class WriteBatch {
 public:
  void begin() { ++depth_; }
  // At the outermost end: Session::write_batched() for each session that joined.
  void end();
  bool open() const { return depth_ > 0; }
  // A session with lines queued and no write scheduled; written at the outermost end().
  void join(std::weak_ptr<Session> session) { sessions_.push_back(std::move(session)); }

 private:
  int depth_ = 0;
  std::vector<std::weak_ptr<Session>> sessions_;
};

}  // namespace utraced
