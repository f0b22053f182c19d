#include "rpc/session.hpp"

#include <cerrno>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "engine/engine_hub.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/write_batch.hpp"
#include "util/check.hpp"
#include "util/log.hpp"
#include "utrace/proto/message.hpp"
#include "utrace/proto/report_line.hpp"

namespace utraced {

namespace proto = utrace::proto;

Session::Session(Socket socket, std::uint64_t id, PeerCreds creds, Dispatcher& dispatcher,
                 EngineHub& hub, const Limits& limits, CloseHandler on_close,
                 WriteBatch* write_batch)
    : socket_(std::move(socket)),
      id_(id),
      creds_(creds),
      dispatcher_(dispatcher),
      hub_(hub),
      framer_(limits.max_line),
      on_close_(std::move(on_close)),
      limits_(limits),
      write_batch_(write_batch),
      batch_timer_(socket_.get_executor()) {}

void Session::start() {
  log::rpc().info("client {} connected (pid {}, uid {})", id_, creds_.pid, creds_.uid);
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);  // write_now()'s send must not block
  do_read();
}

void Session::stop() {
  if (closed()) return;
  set_write_state(WriteState::Closed);
  log::rpc().info("client {} disconnected", id_);
  // Detach first: in-flight reports to this client stop being waited for.
  hub_.detach_client(*this);
  pending_.clear();
  drained_.clear();
  boost::system::error_code ignored;
  batch_timer_.cancel();
  socket_.close(ignored);
  if (on_close_) on_close_(*this);
}

void Session::do_read() {
  if (reading_ || closed()) return;
  reading_ = true;
  socket_.async_read_some(
      boost::asio::buffer(rbuf_), [self = shared_from_this()](const boost::system::error_code& ec,
                                                              std::size_t n) {
        self->reading_ = false;
        if (self->closed()) return;
        if (ec) return self->stop();
        self->frame(std::string_view(self->rbuf_.data(), n), false);
        if (self->closed()) return;
        // A client that does not read what it asked for stops being read (bounded memory):
        // the lines it sent meanwhile wait in framer_ (at most one read's worth).
        if (self->backlogged()) self->input_paused_ = true;
        if (!self->input_paused_) self->do_read();
      });
}

void Session::frame(std::string_view data, bool resume) {
  auto on_line = [this](std::string_view line) {
    if (!closed()) this->on_line(line);
  };
  auto on_oversize = [this](std::size_t bytes) {
    reply_error(nullptr, proto::RpcError{proto::rpc_code::kInvalidRequest,
                                         "line too long: over " +
                                             std::to_string(framer_.max_line()) + " bytes",
                                         {{"limit", framer_.max_line()}, {"seen", bytes}}});
  };
  // Asked before each line: the output bound is checked per request, not per read.
  auto paused = [this] {
    if (closed()) return true;
    if (!input_paused_ && backlogged()) input_paused_ = true;
    return input_paused_;
  };
  if (resume) framer_.resume(on_line, on_oversize, paused);
  else framer_.feed(data, on_line, on_oversize, paused);
}

void Session::resume_input() {
  if (closed() || input_paused_) return;
  frame({}, true);
  if (closed()) return;
  if (backlogged()) input_paused_ = true;
  if (!input_paused_) do_read();
}

void Session::on_line(std::string_view line) {
  // The hot path: the reply to a sync report, decoded without a JSON document.
  if (auto reply = proto::decode_reply_line(line)) return on_reply(reply->request_id, reply->reply);
  proto::Message m = proto::parse_message(line, limits_.nesting_depth);
  switch (m.kind) {
    case proto::MessageKind::Invalid:
      return reply_error(m.id, *m.error);
    case proto::MessageKind::Response:
      return on_response(m.id, m.result, m.error);
    case proto::MessageKind::Request:
    case proto::MessageKind::Notification:
      return dispatcher_.handle(*this, m);
  }
}

void Session::on_response(const nlohmann::json& id, const nlohmann::json& result,
                          const std::optional<proto::RpcError>& error) {
  if (!id.is_number_integer()) return;
  if (error) {
    log::rpc().warn("client {}: report {} answered with error {}: {}", id_, id.dump(), error->code,
                    error->message);
    return on_reply(id.get<std::int64_t>(), std::nullopt);
  }
  try {
    on_reply(id.get<std::int64_t>(), proto::reply_from_json(result));
  } catch (const proto::RpcException& ex) {
    log::rpc().warn("client {}: bad report reply: {}", id_, ex.what());
    on_reply(id.get<std::int64_t>(), std::nullopt);
  }
}

void Session::on_reply(std::int64_t id, std::optional<proto::ReportReply> reply) {
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    log::rpc().debug("client {}: reply to unknown request {}, ignoring", id_, id);
    return;
  }
  auto handler = std::move(it->second);
  pending_.erase(it);
  handler(std::move(reply));
}

void Session::reply_result(const nlohmann::json& id, const nlohmann::json& result) {
  send_reply(id, proto::encode_result(id, result));
}

void Session::reply_error(const nlohmann::json& id, const proto::RpcError& error) {
  send_reply(id, proto::encode_error(id, error));
}

void Session::send_reply(const nlohmann::json& id, std::string line) {
  if (line.size() > limits_.queued_bytes) {
    const std::size_t size = line.size();
    line = proto::encode_error(
        id, proto::errno_error(EAGAIN,
                               "the reply (" + std::to_string(size) +
                                   " bytes) is over the unsent output bound of this connection",
                               {{"limit", "queued_bytes"},
                                {"value", limits_.queued_bytes},
                                {"size", size}}));
  }
  send(std::move(line));
}

void Session::send_event(const proto::Report& report, proto::EventLineCache* lines) {
  if (closed()) return;
  ++stats_.events_sent;
  send(lines ? lines->line(report) : proto::encode_report_line(report, std::nullopt), true);
}

void Session::send_notice(const nlohmann::json& params) {
  if (closed()) return;
  ++stats_.notices_sent;
  send(proto::encode_notification("notice", params));
}

void Session::send_report(const proto::Report& report, ReplyHandler on_reply) {
  if (closed()) return;
  ++stats_.reports_sent;
  const std::int64_t id = next_request_id_++;
  pending_.emplace(id, std::move(on_reply));
  send(proto::encode_report_line(report, id));
}

void Session::on_low_water() {
  if (input_paused_) {
    input_paused_ = false;
    // Not from here (a write completion, or end_write_batch() amid a batch of ptrace stops):
    // the held lines are executed by a handler of their own, in order, before any new read.
    if (!resume_posted_) {
      resume_posted_ = true;
      boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->resume_posted_ = false;
        self->resume_input();
      });
    }
  }
  auto callbacks = std::move(drained_);
  drained_.clear();
  for (auto& cb : callbacks) cb();
}

void Session::on_drained(std::function<void()> callback) {
  drained_.push_back(std::move(callback));
}

void Session::send(std::string line, bool event) {
  if (closed()) return;
  queued_bytes_ += line.size();
  out_.push_back(std::move(line));
  // An async event may wait a little for company: one write (and one wake-up of the client)
  // for many events. Anything else flushes them, in order.
  schedule_write(event && ++batched_ < limits_.event_batch);
}

void Session::schedule_write(bool can_wait) {
  switch (write_state_) {
    case WriteState::Posted:
    case WriteState::Batched:
    case WriteState::Writing:
    case WriteState::Closed:
      return;  // the line goes with the write already scheduled
    case WriteState::Delayed:
      if (can_wait) return;
      break;
    case WriteState::Idle:
      if (!can_wait) break;
      set_write_state(WriteState::Delayed);
      batch_timer_.expires_after(std::chrono::microseconds(limits_.event_delay_us));
      batch_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec && self->write_state_ == WriteState::Delayed) self->write_async_all();
      });
      return;
  }
  if (write_batch_ && write_batch_->open()) {
    set_write_state(WriteState::Batched);
    write_batch_->join(weak_from_this());
    return;
  }
  // Write once the current handler is done: a stop's restart then comes before the socket
  // write (the tracee runs sooner), and lines queued meanwhile share one write.
  set_write_state(WriteState::Posted);
  boost::asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->write_state_ == WriteState::Posted) self->write_async_all();
  });
}

void Session::set_write_state(WriteState next) {
  using S = WriteState;
  const S now = write_state_;
  bool legal = next == S::Closed && now != S::Closed;
  switch (now) {
    case S::Idle: legal |= next == S::Delayed || next == S::Posted || next == S::Batched; break;
    case S::Delayed: legal |= next == S::Posted || next == S::Batched || next == S::Writing; break;
    case S::Posted: legal |= next == S::Writing; break;
    case S::Batched: legal |= next == S::Idle || next == S::Writing; break;
    case S::Writing: legal |= next == S::Idle || next == S::Writing; break;
    case S::Closed: break;
  }
  UT_ASSERT(legal, "client {}: writer {} -> {} is not a transition", id_, to_string(now),
            to_string(next));
  write_state_ = next;
}

void Session::gather() {
  batched_ = 0;
  batch_timer_.cancel();  // Delayed ends here, if it was
  wbuf_.clear();
  while (!out_.empty()) {
    wbuf_ += out_.front();
    out_.pop_front();
  }
}

void Session::write_async_all() {
  gather();
  write_async();
}

void Session::write_batched() {
  if (write_state_ == WriteState::Batched) write_now();
}

void Session::write_now() {
  gather();
  boost::system::error_code ec;
  std::size_t n = socket_.send(boost::asio::buffer(wbuf_), 0, ec);
  if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
    n = 0;
    ec = {};
  }
  if (ec) return stop();
  queued_bytes_ -= n;
  if (n < wbuf_.size()) {
    wbuf_.erase(0, n);
    return write_async();
  }
  wbuf_.clear();
  wrote();
}

void Session::write_async() {
  set_write_state(WriteState::Writing);
  boost::asio::async_write(socket_, boost::asio::buffer(wbuf_),
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       std::size_t) {
                             if (self->closed()) return;
                             if (ec) return self->stop();
                             self->queued_bytes_ -= self->wbuf_.size();
                             self->wrote();
                           });
}

void Session::wrote() {
  if (out_.empty()) set_write_state(WriteState::Idle);
  else write_async_all();  // queued while this write was in flight: they cannot wait any more
  if (queued_bytes_ <= limits_.queued_bytes / 2) on_low_water();
}

std::string_view to_string(WriteState state) {
  switch (state) {
    case WriteState::Idle: return "idle";
    case WriteState::Delayed: return "delayed";
    case WriteState::Posted: return "posted";
    case WriteState::Batched: return "batched";
    case WriteState::Writing: return "writing";
    case WriteState::Closed: return "closed";
  }
  return "?";
}

}  // namespace utraced
