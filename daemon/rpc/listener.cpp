#include "rpc/listener.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "rpc/session.hpp"
#include "util/log.hpp"

namespace utraced {

Listener::Listener(boost::asio::io_context& io, const std::string& path, Dispatcher& dispatcher,
                   EngineHub& hub, std::size_t max_line)
    : io_(io), path_(path), acceptor_(io), dispatcher_(dispatcher), hub_(hub), max_line_(max_line) {
  // Bind under a temporary name and rename once listening, so that the socket path never
  // exists without accepting connections (a client starting with us would get ECONNREFUSED).
  const std::string tmp = path + ".new." + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  try {
    boost::asio::local::stream_protocol::endpoint ep(tmp);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot listen on " + path + ": " + e.code().message());
  }
  // Any local user may connect; every call is authorized against the caller's credentials.
  ::chmod(tmp.c_str(), 0666);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {  // replaces a stale socket of an earlier run
    int err = errno;
    ::unlink(tmp.c_str());
    throw std::system_error(err, std::generic_category(), "cannot create socket " + path);
  }
}

Listener::Listener(boost::asio::io_context& io, int listening_fd, const std::string& path,
                   Dispatcher& dispatcher, EngineHub& hub, std::size_t max_line)
    : io_(io), path_(path), owns_path_(false), acceptor_(io), dispatcher_(dispatcher), hub_(hub),
      max_line_(max_line) {
  acceptor_.assign(boost::asio::local::stream_protocol(), listening_fd);
}

Listener::~Listener() {
  if (owns_path_) ::unlink(path_.c_str());
}

void Listener::start() {
  log::rpc().info("listening on {}", path_);
  do_accept();
}

void Listener::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  auto sessions = sessions_;
  for (auto& [id, s] : sessions) s->stop();
  sessions_.clear();
}

void Listener::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec,
                                boost::asio::local::stream_protocol::socket socket) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (!ec) {
      auto creds = PeerCreds::of_socket(socket.native_handle());
      if (!creds) {
        log::rpc().warn("cannot read peer credentials, closing connection");
      } else {
        const auto id = next_session_id_++;
        auto s = std::make_shared<Session>(std::move(socket), id, *creds, dispatcher_, hub_,
                                           max_line_, [this](Session& closed) {
                                             sessions_.erase(closed.client_id());
                                           });
        sessions_.emplace(id, s);
        s->start();
      }
    } else {
      log::rpc().warn("accept failed: {}", ec.message());
    }
    if (acceptor_.is_open()) do_accept();
  });
}

}  // namespace utraced
