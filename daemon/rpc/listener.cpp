#include "rpc/listener.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <boost/asio/write.hpp>

#include "rpc/session.hpp"
#include "utrace/proto/message.hpp"
#include "util/log.hpp"

namespace utraced {

Listener::Listener(boost::asio::io_context& io, const std::string& path, Dispatcher& dispatcher,
                   EngineHub& hub, const Limits& limits)
    : io_(io), path_(path), acceptor_(io), dispatcher_(dispatcher), hub_(hub), limits_(limits) {
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
                   Dispatcher& dispatcher, EngineHub& hub, const Limits& limits)
    : io_(io), path_(path), owns_path_(false), acceptor_(io), dispatcher_(dispatcher), hub_(hub),
      limits_(limits) {
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
      } else if (per_uid_[creds->uid] >= limits_.connections_per_uid) {
        log::rpc().warn("uid {} has {} connections already, refusing one more", creds->uid,
                        per_uid_[creds->uid]);
        auto err = utrace::proto::errno_error(
            EAGAIN, "too many connections for uid " + std::to_string(creds->uid),
            {{"limit", "connections_per_uid"}, {"value", limits_.connections_per_uid}});
        auto line = utrace::proto::encode_error(nullptr, err);
        boost::system::error_code ignored;
        boost::asio::write(socket, boost::asio::buffer(line), ignored);
      } else {
        const auto id = next_session_id_++;
        const uid_t uid = creds->uid;
        ++per_uid_[uid];
        auto s = std::make_shared<Session>(std::move(socket), id, *creds, dispatcher_, hub_,
                                           limits_, [this, uid](Session& closed) {
                                             sessions_.erase(closed.client_id());
                                             if (--per_uid_[uid] == 0) per_uid_.erase(uid);
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
