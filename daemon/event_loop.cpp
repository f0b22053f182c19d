#include "event_loop.hpp"

#include <sched.h>

namespace utraced {

void EventLoop::run() {
  if (spin_.count() <= 0) {
    io_.run();
    return;
  }
  while (!io_.stopped()) {
    if (io_.run_one() == 0) break;
    if (hub_.stats().reports_sent != reports_seen_) spin();
  }
}

void EventLoop::spin() {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + spin_;
  reports_seen_ = hub_.stats().reports_sent;
  while (hub_.reports_awaited() > 0 && !io_.stopped()) {
    if (io_.poll() == 0) ::sched_yield();
    const auto now = Clock::now();
    if (hub_.stats().reports_sent != reports_seen_) {
      // A reply led to the next report (the next engine of a pass, the next stop): poll on.
      reports_seen_ = hub_.stats().reports_sent;
      deadline = now + spin_;
    } else if (now >= deadline) {
      break;
    }
  }
}

}  // namespace utraced
