#include "rpc/listener.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <boost/asio/write.hpp>

#include "rpc/session.hpp"
#include "utrace/proto/message.hpp"
#include "util/log.hpp"

namespace utraced {

Listener::Listener(boost::asio::io_context& io, const std::string& path, Dispatcher& dispatcher,
                   EngineHub& hub, const Limits& limits, WriteBatch& write_batch)
    : io_(io), path_(path), acceptor_(io), dispatcher_(dispatcher), hub_(hub), limits_(limits),
      write_batch_(write_batch), accept_timer_(io) {
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
                   Dispatcher& dispatcher, EngineHub& hub, const Limits& limits,
                   WriteBatch& write_batch)
    : io_(io), path_(path), owns_path_(false), acceptor_(io), dispatcher_(dispatcher), hub_(hub),
      limits_(limits), write_batch_(write_batch), accept_timer_(io) {
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
  accept_timer_.cancel();
  acceptor_.close(ignored);
  auto sessions = sessions_;
  for (auto& [id, s] : sessions) s->stop();
  sessions_.clear();
}

void Listener::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec,
                                boost::asio::local::stream_protocol::socket socket) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (ec) return accept_failed(ec);
    backoff_ = std::chrono::milliseconds(0);
    {
      auto creds = PeerCreds::of_socket(socket.native_handle());
      if (!creds) {
        if (std::uint64_t suppressed = 0; refuse_log_.allow(&suppressed))
          log::rpc().warn("cannot read peer credentials, closing connection ({} more refusals "
                          "not logged in the last second)", suppressed);
      } else if (per_uid_[creds->uid] >= limits_.connections_per_uid) {
        if (std::uint64_t suppressed = 0; refuse_log_.allow(&suppressed))
          log::rpc().warn("uid {} has {} connections already, refusing one more ({} more refusals "
                          "not logged in the last second)",
                          creds->uid, per_uid_[creds->uid], suppressed);
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
                                           },
                                           &write_batch_);
        sessions_.emplace(id, s);
        s->start();
      }
    }
    if (acceptor_.is_open()) do_accept();
  });
}

void Listener::accept_failed(const boost::system::error_code& ec) {
  const int e = ec.value();
  const bool resources = ec.category() == boost::system::system_category() &&
                         (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM);
  if (resources)
    backoff_ = backoff_.count() == 0 ? kAcceptBackoffMin : std::min(backoff_ * 2, kAcceptBackoffMax);
  if (std::uint64_t suppressed = 0; accept_log_.allow(&suppressed))
    log::rpc().warn("accept failed: {} ({} more failures not logged in the last second){}",
                    ec.message(), suppressed,
                    resources ? "; retrying in " + std::to_string(backoff_.count()) + " ms" : "");
  if (!acceptor_.is_open()) return;
  if (!resources) return do_accept();
  // Re-arming at once would spin: the same accept fails again until an fd is freed.
  accept_timer_.expires_after(backoff_);
  accept_timer_.async_wait([this](const boost::system::error_code& tec) {
    if (!tec && acceptor_.is_open()) do_accept();
  });
}

bool RateLimitedLog::allow(std::uint64_t* suppressed) {
  const auto now = std::chrono::steady_clock::now();
  if (logged_ && now - last_ < std::chrono::seconds(1)) {
    ++suppressed_;
    return false;
  }
  logged_ = true;
  last_ = now;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace utraced
