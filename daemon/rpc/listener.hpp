// Listener: accepts clients on the Unix socket and owns the live Sessions.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "rpc/limits.hpp"

namespace utraced {

class Dispatcher;
class EngineHub;
class Session;

class Listener {
 public:
  // Binds path (replacing a stale socket file). Throws std::system_error on failure.
  Listener(boost::asio::io_context& io, const std::string& path, Dispatcher& dispatcher,
           EngineHub& hub, const Limits& limits);
  // Adopts an already listening socket (systemd socket activation); path is only for logs.
  Listener(boost::asio::io_context& io, int listening_fd, const std::string& path,
           Dispatcher& dispatcher, EngineHub& hub, const Limits& limits);
  ~Listener();

  void start();
  // Stops accepting and closes every session (detaching their engines).
  void stop();
  std::size_t session_count() const { return sessions_.size(); }

 private:
  void do_accept();

  boost::asio::io_context& io_;
  std::string path_;
  bool owns_path_ = true;  // created the socket file, so removes it at exit
  boost::asio::local::stream_protocol::acceptor acceptor_;
  Dispatcher& dispatcher_;
  EngineHub& hub_;
  const Limits& limits_;
  std::unordered_map<uid_t, std::size_t> per_uid_;  // open connections by uid
  std::uint64_t next_session_id_ = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<Session>> sessions_;
};

}  // namespace utraced
