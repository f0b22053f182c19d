// Listener: accepts clients on the Unix socket and owns the live Sessions.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rpc/limits.hpp"

namespace utraced {

class Dispatcher;
class EngineHub;
class Session;
class WriteBatch;

// A log line that may repeat in a flood: written at most once per second, with how many
// were left out since the last one.
class RateLimitedLog {
 public:
  // True when this occurrence should be logged; *suppressed is how many were not since.
  bool allow(std::uint64_t* suppressed);

 private:
  std::chrono::steady_clock::time_point last_{};
  bool logged_ = false;
  std::uint64_t suppressed_ = 0;
};

class Listener {
 public:
  // accept failing for want of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM) is retried after
  // kAcceptBackoffMin, doubling up to kAcceptBackoffMax while it keeps failing; the pending
  // connections wait in the socket's backlog meanwhile. Any success resets it.
  static constexpr std::chrono::milliseconds kAcceptBackoffMin{10};
  static constexpr std::chrono::milliseconds kAcceptBackoffMax{1000};

  // Binds path (replacing a stale socket file). Throws std::system_error on failure. Every
  // session writes through write_batch (the daemon's).
  Listener(boost::asio::io_context& io, const std::string& path, Dispatcher& dispatcher,
           EngineHub& hub, const Limits& limits, WriteBatch& write_batch);
  // Adopts an already listening socket (systemd socket activation); path is only for logs.
  Listener(boost::asio::io_context& io, int listening_fd, const std::string& path,
           Dispatcher& dispatcher, EngineHub& hub, const Limits& limits, WriteBatch& write_batch);
  ~Listener();

  void start();
  // Stops accepting and closes every session (detaching their engines).
  void stop();
  std::size_t session_count() const { return sessions_.size(); }

 private:
  void do_accept();
  // After a failed accept: at once, or after the backoff for resource errors.
  void accept_failed(const boost::system::error_code& ec);

  boost::asio::io_context& io_;
  std::string path_;
  bool owns_path_ = true;  // created the socket file, so removes it at exit
  boost::asio::local::stream_protocol::acceptor acceptor_;
  Dispatcher& dispatcher_;
  EngineHub& hub_;
  const Limits& limits_;
  WriteBatch& write_batch_;
  std::unordered_map<uid_t, std::size_t> per_uid_;  // open connections by uid
  std::uint64_t next_session_id_ = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<Session>> sessions_;
  boost::asio::steady_timer accept_timer_;
  std::chrono::milliseconds backoff_{0};  // 0: the last accept succeeded
  RateLimitedLog accept_log_;
  RateLimitedLog refuse_log_;
};

}  // namespace utraced
