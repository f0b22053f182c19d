// Dispatcher: method name -> handler. Validates params before any ptrace work and turns every
// failure into a JSON-RPC error reply; knows nothing about sockets beyond Session's reply calls.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>

#include "utrace/proto/message.hpp"
#include "utrace/proto/params.hpp"

namespace utraced {

class EngineHub;
struct AttachRequest;
class Session;

class Dispatcher {
 public:
  // `list` pages: at most kListMaxEngines engines (the default `limit`) and about
  // kListPageBytes of JSON per reply (PROTOCOL.md, list).
  static constexpr std::size_t kListMaxEngines = 1000;
  static constexpr std::size_t kListPageBytes = 256 * 1024;

  explicit Dispatcher(EngineHub& hub);

  // Handles a Request or Notification. Notifications never get a reply, not even an error.
  void handle(Session& session, const utrace::proto::Message& m);

 private:
  // A handler either returns a result (sent at once) or returns null after arranging a
  // deferred reply itself (barrier). Errors are thrown as RpcException.
  using Handler = std::function<nlohmann::json(Session&, const nlohmann::json& id,
                                               const utrace::proto::Params&)>;

  nlohmann::json hello(Session&, const utrace::proto::Params&);
  nlohmann::json attach(Session&, const utrace::proto::Params&);
  nlohmann::json set_events(Session&, const utrace::proto::Params&);
  nlohmann::json control(Session&, const utrace::proto::Params&);
  nlohmann::json barrier(Session&, const nlohmann::json& id, const utrace::proto::Params&);
  nlohmann::json wait(Session&, const nlohmann::json& id, const utrace::proto::Params&);
  nlohmann::json get_regs(Session&, const utrace::proto::Params&);
  nlohmann::json set_regs(Session&, const utrace::proto::Params&);
  nlohmann::json read_memory(Session&, const utrace::proto::Params&);
  nlohmann::json write_memory(Session&, const utrace::proto::Params&);
  nlohmann::json get_regset(Session&, const utrace::proto::Params&);
  nlohmann::json insert_breakpoint(Session&, const utrace::proto::Params&);
  nlohmann::json remove_breakpoint(Session&, const utrace::proto::Params&);
  nlohmann::json breakpoint(Session&, const utrace::proto::Params&, bool insert);
  nlohmann::json set_regset(Session&, const utrace::proto::Params&);
  nlohmann::json list(Session&, const utrace::proto::Params&);
  // scope, follow, events, mode, concurrent, type, data, report_timeout_ms (attach).
  static void parse_engine_options(const utrace::proto::Params&, AttachRequest* req);
  nlohmann::json stats(Session&, const utrace::proto::Params&);
  // dispatcher_who.cpp
  nlohmann::json who(Session&, const utrace::proto::Params&);

  EngineHub& hub_;
  std::map<std::string, Handler, std::less<>> methods_;
};

}  // namespace utraced
