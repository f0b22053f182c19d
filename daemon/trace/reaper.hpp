// Reaper: the only caller of waitpid. When SIGCHLD is pending (read from a signalfd: SIGCHLD
// is blocked in the daemon, so no handler runs per stop) it drains every status with
// waitpid(-1, __WALL|WNOHANG), then dispatches them one by one in the order received.
// Anything the daemon ever forks must unblock SIGCHLD in the child before exec.
#pragma once

#include <sys/types.h>

#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "trace/wait_status.hpp"

namespace utraced {

class Reaper {
 public:
  using Handler = std::function<void(pid_t, WaitStatus)>;

  // Blocks SIGCHLD for the calling thread (the daemon's only thread) and opens the signalfd.
  Reaper(boost::asio::io_context& io, Handler handler);
  void start();
  // Called around each batch of statuses a SIGCHLD wake-up brings (the daemon uses them to
  // write clients' output once per batch, after every stop of it was handled).
  void set_batch_hooks(std::function<void()> begin, std::function<void()> end) {
    batch_begin_ = std::move(begin);
    batch_end_ = std::move(end);
  }

 private:
  void arm();
  // Collects everything waitable now, then dispatches it. Only from the event loop (start and
  // each SIGCHLD wake-up): no client call collects or dispatches stops itself.
  void drain();

  boost::asio::posix::stream_descriptor sigchld_;
  Handler handler_;
  std::function<void()> batch_begin_, batch_end_;
};

}  // namespace utraced
