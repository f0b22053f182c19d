// Reaper: the only caller of waitpid. On SIGCHLD it drains every status with
// waitpid(-1, __WALL|WNOHANG), then dispatches them one by one in the order received.
#pragma once

#include <sys/types.h>

#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "trace/wait_status.hpp"

namespace utraced {

class Reaper {
 public:
  using Handler = std::function<void(pid_t, WaitStatus)>;

  Reaper(boost::asio::io_context& io, Handler handler);
  void start();
  // Collects and dispatches everything waitable now. Safe to call at any time.
  void drain();

 private:
  void arm();

  boost::asio::signal_set sigchld_;
  Handler handler_;
};

}  // namespace utraced
