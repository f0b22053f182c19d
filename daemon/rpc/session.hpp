// Session: one client connection. Reads newline-framed JSON-RPC, hands requests to the
// Dispatcher, matches replies to the daemon's `report` requests, and writes through a queue
// with one writer (WriteState). stop() is idempotent and detaches every engine of the client.
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
class WriteBatch;

// What one connection caused, for `stats` (a client that is not root sees only these).
struct ClientStats {
  std::uint64_t reports_sent = 0;      // sync `report` requests sent to it
  std::uint64_t events_sent = 0;       // async `event` notifications sent to it
  std::uint64_t notices_sent = 0;      // `notice` notifications sent to it
  std::uint64_t engines_attached = 0;  // engines its `attach` calls created
};

// Where the writer is. Lines are queued in out_ in every state but Closed; set_write_state()
// is the only way to change it.
enum class WriteState {
  Idle,     // nothing queued
  Delayed,  // only async events queued: written when batch_timer_ fires or a line that cannot
            // wait is queued (Limits::event_batch / event_delay_us)
  Posted,   // a handler is posted that writes, after the current one (the tracee restarts first)
  Batched,  // joined the open WriteBatch: written with one non-blocking send at its end
  Writing,  // an async_write is in flight; lines queued meanwhile follow at its completion
  Closed,   // stopped: nothing is written any more
};
std::string_view to_string(WriteState state);

class Session : public ClientLink, public std::enable_shared_from_this<Session> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;
  using CloseHandler = std::function<void(Session&)>;

  // write_batch: the daemon's (null: every write is posted, as outside a batch).
  Session(Socket socket, std::uint64_t id, PeerCreds creds, Dispatcher& dispatcher, EngineHub& hub,
          const Limits& limits, CloseHandler on_close, WriteBatch* write_batch = nullptr);

  void start();
  void stop();
  bool closed() const { return write_state_ == WriteState::Closed; }
  WriteState write_state() const { return write_state_; }

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

  // For WriteBatch::end() only: writes what waited for the batch (Batched -> Idle or Writing).
  void write_batched();

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
  // Queues a line and has the writer write it; `event`: an async event, which may wait for
  // more (Limits::event_batch / event_delay_us).
  void send(std::string line, bool event = false);
  // The writer, after a line was queued: what to do in each state (the one place that decides).
  void schedule_write(bool can_wait);
  // The only setter of write_state_; logs the change and refuses (logs) an illegal one.
  void set_write_state(WriteState next);
  // Posted or Delayed -> Writing: everything queued in one async write.
  void write_async_all();
  // Batched -> Idle, or Writing for what did not fit: a direct non-blocking send first.
  void write_now();
  // Moves out_ into wbuf_ (one buffer for one write).
  void gather();
  void write_async();
  // After a write that ended with nothing in flight: Idle, or on to the next write.
  void wrote();
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
  WriteState write_state_ = WriteState::Idle;
  WriteBatch* write_batch_;
  boost::asio::steady_timer batch_timer_;  // armed in Delayed only
  std::size_t batched_ = 0;  // event lines in out_ waiting for their batch
  std::int64_t next_request_id_ = 1;
  std::unordered_map<std::int64_t, ReplyHandler> pending_;
};

}  // namespace utraced
