// Daemon: owns the io_context (run on this one thread, which makes every ptrace call), the
// Reaper, the EngineHub, the Dispatcher and the Listener; SIGTERM/SIGINT shut it down cleanly.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "engine/engine_hub.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/limits.hpp"
#include "rpc/listener.hpp"
#include "rpc/write_batch.hpp"
#include "trace/reaper.hpp"

namespace utraced {

struct DaemonConfig {
  std::string socket_path = "/run/utraced/utraced.sock";
  bool socket_given = false;  // --socket: never use an inherited socket
  std::optional<int> cpu;      // --cpu N: the daemon and its tracees on CPU N (AffinityPolicy)
  long spin_us = 0;            // --spin-us U: poll for sync replies this long (EventLoop)
  Limits limits;
};

class Daemon {
 public:
  explicit Daemon(const DaemonConfig& config);
  // Runs until SIGTERM/SIGINT; returns the exit code.
  int run();

 private:
  void shutdown(int signo);

  DaemonConfig config_;
  boost::asio::io_context io_{1};
  boost::asio::signal_set stop_signals_;
  // Brackets each batch of ptrace stops the reaper drains: clients are written once, after it.
  WriteBatch write_batch_;
  EngineHub hub_;
  Reaper reaper_;
  Dispatcher dispatcher_;
  std::unique_ptr<Listener> listener_;
  bool stopping_ = false;
};

}  // namespace utraced
