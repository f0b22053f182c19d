// What the engine layer needs from a client connection: send an `event` notification, send a
// `report` request and get its reply, and who the client is. Implemented by rpc::Session.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sys/peer_creds.hpp"
#include "utrace/proto/report.hpp"

namespace utrace::proto {
class EventLineCache;
}

namespace utraced {

class ClientLink {
 public:
  // nullopt when the client answered with an error or garbage; the reply callback is dropped
  // (never called) if the connection closes first.
  using ReplyHandler = std::function<void(std::optional<utrace::proto::ReportReply>)>;

  virtual ~ClientLink() = default;
  // The report's encoding is the client link's business (rpc::Session writes it straight to a
  // line, no JSON document on the hot path). `lines`: the report pass's cache, for reports
  // that differ from the pass's others only as EventLineCache allows (null: no cache).
  virtual void send_event(const utrace::proto::Report& report,
                          utrace::proto::EventLineCache* lines = nullptr) = 0;
  // A `notice` notification: something the daemon did to an engine on its own (a hold it had
  // to release, a child it could not follow).
  virtual void send_notice(const nlohmann::json& params) = 0;
  virtual void send_report(const utrace::proto::Report& report, ReplyHandler on_reply) = 0;
  // True while the client's unsent output is over its limit: an async pass then waits for
  // on_drained instead of queueing more (a slow reader slows only the threads it traces).
  virtual bool backlogged() const = 0;
  virtual void on_drained(std::function<void()> callback) = 0;
  virtual const PeerCreds& creds() const = 0;
  virtual std::uint64_t client_id() const = 0;
};

}  // namespace utraced
