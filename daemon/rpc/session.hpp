// Session: one client connection. Reads newline-framed JSON-RPC, hands requests to the
// Dispatcher, matches replies to the daemon's `report` requests, and writes through a queue.
// stop() is idempotent and detaches every engine of the client.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "engine/client_link.hpp"
#include "rpc/limits.hpp"
#include "sys/peer_creds.hpp"
#include "utrace/proto/errors.hpp"
#include "utrace/proto/framing.hpp"

namespace utraced {

class Dispatcher;
class EngineHub;

// What one connection caused, for `stats` (a client that is not root sees only these).
struct ClientStats {
  std::uint64_t reports_sent = 0;      // sync `report` requests sent to it
  std::uint64_t events_sent = 0;       // async `event` notifications sent to it
  std::uint64_t notices_sent = 0;      // `notice` notifications sent to it
  std::uint64_t engines_attached = 0;  // engines its `attach` calls created
  std::uint64_t launched = 0;          // programs its `launch` calls started
};

class Session : public ClientLink, public std::enable_shared_from_this<Session> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;
  using CloseHandler = std::function<void(Session&)>;

  Session(Socket socket, std::uint64_t id, PeerCreds creds, Dispatcher& dispatcher, EngineHub& hub,
          const Limits& limits, CloseHandler on_close);

  void start();
  void stop();
  bool closed() const { return closed_; }

  // A reply line longer than Limits::queued_bytes is never queued: the client gets EAGAIN
  // (data.limit "queued_bytes") for that request instead.
  void reply_result(const nlohmann::json& id, const nlohmann::json& result);
  void reply_error(const nlohmann::json& id, const utrace::proto::RpcError& error);

  const ClientStats& stats() const { return stats_; }
  ClientStats& stats() { return stats_; }
  const Limits& limits() const { return limits_; }

  // ClientLink
  void send_event(const utrace::proto::Report& report,
                  utrace::proto::EventLineCache* lines = nullptr) override;
  void send_notice(const nlohmann::json& params) override;
  void send_report(const utrace::proto::Report& report, ReplyHandler on_reply) override;
  bool backlogged() const override { return queued_bytes_ > limits_.queued_bytes; }
  void on_drained(std::function<void()> callback) override;
  const PeerCreds& creds() const override { return creds_; }
  std::uint64_t client_id() const override { return id_; }

  std::string name;  // from hello, for logs and list

  // Between these (they nest), lines queued by any session are not written by a posted
  // handler each: end_write_batch() writes each session's lines with one non-blocking send.
  // The daemon brackets each batch of ptrace stops with them, so every tracee of the batch is
  // restarted before a client is written to (and woken), and a stop costs no asio handler and
  // no extra epoll_wait for its event's write.
  static void begin_write_batch();
  static void end_write_batch();

 private:
  void do_read();
  // Frames received bytes (or, with data empty and resume true, the bytes held by a pause).
  // Stops before the next line once the unsent output is over Limits::queued_bytes: those
  // lines wait, in order, in framer_ until the output has drained to half the bound.
  void frame(std::string_view data, bool resume);
  void resume_input();
  void on_line(std::string_view line);
  // Queues a reply line, or EAGAIN instead when the line alone is over the output bound.
  void send_reply(const nlohmann::json& id, std::string line);
  void on_response(const nlohmann::json& id, const nlohmann::json& result,
                   const std::optional<utrace::proto::RpcError>& error);
  // The reply to report `id`; nullopt when the client answered with an error or garbage.
  void on_reply(std::int64_t id, std::optional<utrace::proto::ReportReply> reply);
  // Queues a line and writes it once the current handler is done; `batch`: an async event,
  // which may wait for more (Limits::event_batch / event_delay_us).
  void send(std::string line, bool batch = false);
  void do_write();
  // do_write() for end_write_batch(): a direct non-blocking send first, then asynchronously
  // whatever did not fit.
  void write_now();
  // Moves out_ into wbuf_ (one buffer for one write).
  void gather();
  void write_async();
  void on_low_water();

  Socket socket_;
  std::uint64_t id_;
  PeerCreds creds_;
  Dispatcher& dispatcher_;
  EngineHub& hub_;
  utrace::proto::LineFramer framer_;
  CloseHandler on_close_;
  std::array<char, 64 * 1024> rbuf_{};
  std::deque<std::string> out_;
  std::string wbuf_;
  const Limits& limits_;
  std::size_t queued_bytes_ = 0;  // in out_ and wbuf_
  bool input_paused_ = false;     // no line is executed and nothing read while backlogged
  bool reading_ = false;          // an async_read_some is outstanding
  bool resume_posted_ = false;    // a resume_input() is scheduled
  ClientStats stats_;
  std::vector<std::function<void()>> drained_;
  bool writing_ = false;
  bool write_posted_ = false;  // a do_write() is scheduled
  boost::asio::steady_timer batch_timer_;
  bool batch_armed_ = false;
  std::size_t batched_ = 0;    // event lines in out_ waiting for their batch
  bool closed_ = false;
  bool in_write_batch_ = false;  // listed in write_batch_sessions_
  static int write_batch_depth_;
  static std::vector<std::weak_ptr<Session>> write_batch_sessions_;
  std::int64_t next_request_id_ = 1;
  std::unordered_map<std::int64_t, ReplyHandler> pending_;
};

}  // namespace utraced
