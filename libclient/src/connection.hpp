// Internal: one Unix stream socket carrying newline-delimited messages. Reads go through
// proto::LineFramer; writes are queued and sent one async_write at a time.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "utrace/proto/framing.hpp"

namespace utrace::client::detail {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using ErrorCode = boost::system::error_code;
  // Called once per complete incoming line.
  using LineHandler = std::function<void(std::string line)>;
  // Called once when the connection ends for any reason other than close(): EOF, a read or
  // write error, or an oversize incoming line (errc::message_size).
  using CloseHandler = std::function<void(ErrorCode)>;
  using ConnectHandler = std::function<void(ErrorCode)>;

  Connection(boost::asio::io_context& io, LineHandler on_line, CloseHandler on_close);

  // Lines sent before the connection is established are queued and written after it.
  void connect(const std::string& path, ConnectHandler on_connected);
  void send(std::string line);
  // Closes the socket. No handler is called afterwards, not even the close handler.
  void close();

  bool is_open() const { return state_ == State::Connecting || state_ == State::Open; }
  bool is_connected() const { return state_ == State::Open; }
  // The socket's descriptor (close-on-exec), -1 when closed.
  int native_handle() { return state_ == State::Closed ? -1 : socket_.native_handle(); }

 private:
  enum class State {
    Idle,        // constructed, connect() not called yet
    Connecting,  // async_connect in flight; sends are queued
    Open,        // reading; sends are written in order
    Closed,      // finished; every handler dropped
  };

  void start_read();
  void on_read(const ErrorCode& ec, std::size_t n);
  void start_write();
  void fail(const ErrorCode& ec);

  boost::asio::local::stream_protocol::socket socket_;
  proto::LineFramer framer_;
  std::array<char, 64 * 1024> read_buf_{};
  std::deque<std::string> out_;
  bool writing_ = false;
  State state_ = State::Idle;
  LineHandler on_line_;
  CloseHandler on_close_;
};

}  // namespace utrace::client::detail
