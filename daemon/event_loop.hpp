// EventLoop: runs the daemon's io_context on this thread. After a handler sends sync reports, it
// may poll for their replies for a short while (--spin-us) instead of sleeping in epoll_wait:
// a client's reply then finds the daemon awake, and the stopped thread is restarted without a
// wake-up from idle, which on a virtual machine costs more than the poll.
#pragma once

#include <chrono>
#include <cstdint>

#include <boost/asio/io_context.hpp>

#include "engine/engine_hub.hpp"

namespace utraced {

class EventLoop {
 public:
  // spin 0: never poll, just run the io_context.
  EventLoop(boost::asio::io_context& io, const EngineHub& hub, std::chrono::microseconds spin)
      : io_(io), hub_(hub), spin_(spin) {}
  // Returns when the io_context is stopped.
  void run();

 private:
  // Polls while a sync report is awaited, for at most spin_ after the last report sent; yields
  // the CPU whenever nothing was ready (a client on this CPU then gets to answer).
  void spin();

  boost::asio::io_context& io_;
  const EngineHub& hub_;
  const std::chrono::microseconds spin_;
  std::uint64_t reports_seen_ = 0;  // hub_.stats().reports_sent when last looked at
};

}  // namespace utraced
