#include "connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

namespace utrace::client::detail {

namespace asio = boost::asio;
using Protocol = asio::local::stream_protocol;

Connection::Connection(asio::io_context& io, LineHandler on_line, CloseHandler on_close)
    : socket_(io), on_line_(std::move(on_line)), on_close_(std::move(on_close)) {}

void Connection::connect(const std::string& path, ConnectHandler on_connected) {
  state_ = State::Connecting;
  Protocol::endpoint endpoint;
  try {
    endpoint = Protocol::endpoint(path);
  } catch (const boost::system::system_error& e) {
    // The path does not fit in sockaddr_un: report it like any other connect failure.
    state_ = State::Closed;
    asio::post(socket_.get_executor(), [h = std::move(on_connected), ec = e.code()] { h(ec); });
    return;
  }
  // Close-on-exec from the start: a program started by Client::launch (or any other exec of
  // this process) must not inherit the connection and speak for this client.
  ErrorCode ec;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ec = ErrorCode(errno, boost::system::system_category());
  } else {
    socket_.assign(Protocol(), fd, ec);
    if (ec) ::close(fd);
  }
  if (ec) {
    state_ = State::Closed;
    asio::post(socket_.get_executor(), [h = std::move(on_connected), ec] { h(ec); });
    return;
  }
  socket_.async_connect(
      endpoint, [self = shared_from_this(), h = std::move(on_connected)](const ErrorCode& ec) {
        if (self->state_ == State::Closed) return;
        if (ec) {
          self->state_ = State::Closed;
          ErrorCode ignored;
          self->socket_.close(ignored);
          h(ec);
          return;
        }
        self->state_ = State::Open;
        ErrorCode ignored;
        self->socket_.non_blocking(true, ignored);  // send()'s direct write must not block
        self->start_read();
        self->start_write();
        h(ec);
      });
}

void Connection::send(std::string line) {
  if (state_ == State::Closed) return;
  if (state_ == State::Open && !writing_ && out_.empty()) {
    // Nothing ahead of it: one non-blocking send, no handler (a reply to a report is on the
    // traced thread's critical path). Whatever does not fit is written asynchronously.
    ErrorCode ec;
    std::size_t n = socket_.send(asio::buffer(line), 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      n = 0;
      ec = {};
    }
    if (ec) {
      // Reported from a handler of its own, as an asynchronous write's failure would be: the
      // caller (say, inside a report handler) is not re-entered.
      asio::post(socket_.get_executor(), [self = shared_from_this(), ec] { self->fail(ec); });
      return;
    }
    if (n == line.size()) return;
    line.erase(0, n);
  }
  out_.push_back(std::move(line));
  start_write();
}

void Connection::close() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  ErrorCode ignored;
  socket_.close(ignored);
}

void Connection::start_read() {
  socket_.async_read_some(
      asio::buffer(read_buf_),
      [self = shared_from_this()](const ErrorCode& ec, std::size_t n) { self->on_read(ec, n); });
}

void Connection::on_read(const ErrorCode& ec, std::size_t n) {
  if (state_ != State::Open) return;
  if (ec) {
    fail(ec);
    return;
  }
  std::vector<std::string> lines;
  bool oversize = false;
  framer_.feed(
      std::string_view(read_buf_.data(), n),
      [&](std::string_view line) { lines.emplace_back(line); },
      [&](std::size_t bytes) {
        spdlog::debug("utrace client: incoming line of {}+ bytes exceeds the limit", bytes);
        oversize = true;
      });
  if (oversize) {
    fail(asio::error::make_error_code(asio::error::message_size));
    return;
  }
  // Re-arm before delivering, so a handler that waits for more input can be served.
  start_read();
  for (auto& line : lines) {
    if (state_ != State::Open) return;
    on_line_(std::move(line));
  }
}

void Connection::start_write() {
  if (writing_ || out_.empty() || state_ != State::Open) return;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(out_.front()),
                    [self = shared_from_this()](const ErrorCode& ec, std::size_t) {
                      self->writing_ = false;
                      if (self->state_ != State::Open) return;
                      if (ec) {
                        self->fail(ec);
                        return;
                      }
                      self->out_.pop_front();
                      self->start_write();
                    });
}

void Connection::fail(const ErrorCode& ec) {
  if (state_ == State::Closed) return;
  spdlog::debug("utrace client: connection ended: {}", ec.message());
  state_ = State::Closed;
  ErrorCode ignored;
  socket_.close(ignored);
  on_close_(ec);
}

}  // namespace utrace::client::detail
