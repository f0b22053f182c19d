#include "utrace/client_sync.hpp"

#include "utrace/proto/base64.hpp"
#include "utrace/proto/method_params.hpp"

#include <cstdlib>

#include "sync_core.hpp"

namespace utrace::client {

namespace params = proto::params;

namespace {

// The key of a parameter in a request's params object (the daemon checks it by the same spec).
std::string key(const proto::ParamSpec& spec) { return std::string(spec.name); }

[[noreturn]] void bad_reply(const std::string& method, const std::string& why) {
  throw ClientError(make_client_error(client_code::kBadReply, why), method);
}

}  // namespace

std::string default_socket_path() {
  const char* env = std::getenv("UTRACED_SOCKET");
  return env && *env ? env : kDefaultSocketPath;
}

std::string_view to_string(Mode mode) { return mode == Mode::Sync ? "sync" : "async"; }

nlohmann::json AttachOptions::to_params() const {
  namespace ap = params::attach;
  nlohmann::json p = nlohmann::json::object();
  if (tid != 0) {
    p[key(ap::tid)] = tid;
  } else {
    p[key(ap::pid)] = pid;
    p[key(ap::scope)] = ap::scope.choices[1];  // "process"
  }
  p[key(ap::events)] = events.names();
  p[key(ap::mode)] = to_string(mode);
  if (concurrent) p[key(ap::concurrent)] = true;
  if (!create) p[key(ap::create)] = false;
  if (exclusive) p[key(ap::exclusive)] = true;
  if (!type.empty()) p[key(ap::type)] = type;
  if (!data.is_null()) p[key(ap::data)] = data;
  if (follow) p[key(ap::follow)] = true;
  if (!syscalls.empty()) p[key(ap::syscalls)] = syscalls;
  if (hold_at_exec) p[key(ap::hold_at_exec)] = true;
  if (seccomp) p[key(ap::seccomp)] = true;
  if (!capture.is_null() && capture != false) p[key(ap::capture)] = capture;
  if (match_type || match_data) {
    nlohmann::json match = nlohmann::json::array();
    if (match_type) match.push_back("type");
    if (match_data) match.push_back("data");
    p[key(ap::match)] = std::move(match);
  }
  return p;
}

Client Client::connect(const std::string& socket_path) {
  auto core = std::make_unique<detail::SyncCore>();
  core->connect(socket_path);
  return Client(std::move(core));
}

Client::Client(std::unique_ptr<detail::SyncCore> core) : core_(std::move(core)) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

nlohmann::json Client::hello(const std::string& client_name) {
  nlohmann::json p = {{key(params::hello::protocol), kProtocolVersion}};
  if (!client_name.empty()) p[key(params::hello::client)] = client_name;
  return call("hello", p);
}

AttachResult Client::attach(const AttachOptions& options) {
  nlohmann::json r = call("attach", options.to_params());
  AttachResult out;
  auto engine = r.find("engine");
  if (!r.is_object() || engine == r.end() || !engine->is_number_integer())
    bad_reply("attach", "result has no integer 'engine'");
  out.engine = engine->get<EngineId>();
  if (auto tids = r.find("tids"); tids != r.end() && tids->is_array()) {
    for (const auto& t : *tids)
      if (t.is_number_integer()) out.tids.push_back(t.get<int>());
  }
  if (auto created = r.find("created"); created != r.end() && created->is_boolean())
    out.created = created->get<bool>();
  return out;
}

int Client::set_events(EngineId engine, proto::EventMask events) {
  return errno_call("set_events", {{key(params::set_events::engine), engine},
                                   {key(params::set_events::events), events.names()}});
}

int Client::control(EngineId engine, proto::ResumeAction action, int tid) {
  nlohmann::json p = {{key(params::control::engine), engine},
                      {key(params::control::action), proto::to_string(action)}};
  if (tid != 0) p[key(params::control::tid)] = tid;
  return errno_call("control", p);
}

namespace {
// barrier and wait
nlohmann::json waiter_params(EngineId engine, std::chrono::milliseconds timeout, int tid) {
  nlohmann::json p = {{key(params::waiter::engine), engine}};
  if (tid != 0) p[key(params::waiter::tid)] = tid;
  if (timeout.count() > 0) p[key(params::waiter::timeout_ms)] = timeout.count();
  return p;
}
}  // namespace

int Client::barrier(EngineId engine, std::chrono::milliseconds timeout, int tid) {
  return errno_call("barrier", waiter_params(engine, timeout, tid));
}

std::vector<EngineInfo> Client::list() {
  nlohmann::json r = call("list", nlohmann::json::object());
  auto engines = r.is_object() ? r.find("engines") : r.end();
  if (!r.is_object() || engines == r.end() || !engines->is_array())
    bad_reply("list", "result has no 'engines' list");
  std::vector<EngineInfo> out;
  for (const auto& e : *engines) {
    if (!e.is_object()) continue;
    EngineInfo info;
    info.engine = e.value("engine", EngineId{0});
    info.tid = e.value("tid", 0);
    info.pid = e.value("pid", 0);
    info.mode = e.value("mode", std::string("async")) == "sync" ? Mode::Sync : Mode::Async;
    info.concurrent = e.value("concurrent", false);
    info.held = e.value("held", false);
    if (auto type = e.find("type"); type != e.end() && type->is_string())
      info.type = type->get<std::string>();
    if (auto ev = e.find("events"); ev != e.end() && ev->is_array()) {
      for (const auto& name : *ev)
        if (name.is_string())
          if (auto k = proto::parse_event(name.get<std::string>())) info.events.set(*k);
    }
    out.push_back(std::move(info));
  }
  return out;
}

nlohmann::json Client::stats() { return call("stats", nlohmann::json::object()); }

int Client::wait(EngineId engine, std::chrono::milliseconds timeout, std::string* reason, int tid,
                 int* woke_tid) {
  Reply reply = core_->request("wait", waiter_params(engine, timeout, tid));
  if (reply.error) {
    if (reply.error->code > 0) return reply.error->code;
    throw ClientError(std::move(*reply.error), "wait");
  }
  if (reason && reply.result.is_object() && reply.result.contains("reason"))
    *reason = reply.result["reason"].get<std::string>();
  if (woke_tid && reply.result.is_object()) *woke_tid = reply.result.value("tid", 0);
  return 0;
}

namespace {
// get_regs, set_regs, read_memory, write_memory: the engine, and the thread of a process engine.
nlohmann::json examine_params(EngineId engine, int tid) {
  nlohmann::json p = {{key(params::engine), engine}};
  if (tid != 0) p[key(params::tid)] = tid;
  return p;
}
}  // namespace

nlohmann::json Client::get_regs(EngineId engine, int tid) {
  return call("get_regs", examine_params(engine, tid)).at("regs");
}

void Client::set_regs(EngineId engine, const nlohmann::json& regs, int tid) {
  auto p = examine_params(engine, tid);
  p[key(params::set_regs::regs)] = regs;
  call("set_regs", p);
}

std::string Client::read_memory(EngineId engine, std::uint64_t addr, std::size_t size, int tid) {
  auto p = examine_params(engine, tid);
  p[key(params::read_memory::addr)] = addr;
  p[key(params::read_memory::size)] = size;
  auto r = call("read_memory", p);
  auto bytes = proto::base64_decode(r.at("data").get<std::string>());
  if (!bytes)
    throw ClientError(make_client_error(client_code::kBadReply, "read_memory: bad base64"),
                      "read_memory");
  return *bytes;
}

std::size_t Client::write_memory(EngineId engine, std::uint64_t addr, std::string_view bytes,
                                 int tid) {
  auto p = examine_params(engine, tid);
  p[key(params::write_memory::addr)] = addr;
  p[key(params::write_memory::data)] = proto::base64_encode(bytes);
  auto r = call("write_memory", p);
  return r.at("written").get<std::size_t>();
}

nlohmann::json Client::call(const std::string& method, const nlohmann::json& params) {
  Reply reply = core_->request(method, params);
  if (reply.error) throw ClientError(std::move(*reply.error), method);
  return std::move(reply.result);
}

Reply Client::request(const std::string& method, const nlohmann::json& params) {
  return core_->request(method, params);
}

int Client::errno_call(const std::string& method, const nlohmann::json& params) {
  Reply reply = core_->request(method, params);
  if (!reply.error) return 0;
  if (reply.error->code > 0) return reply.error->code;
  throw ClientError(std::move(*reply.error), method);
}

void Client::on_report(EngineId engine, AsyncClient::ReportHandler handler) {
  core_->on_report(engine, std::move(handler));
}

void Client::on_report(EngineId engine, AsyncClient::ActionHandler handler) {
  if (!handler) {
    core_->on_report(engine, AsyncClient::ReportHandler{});
    return;
  }
  core_->on_report(engine, [h = std::move(handler)](const ReportMessage& m) {
    proto::ReportReply r;
    r.action = h(m);
    return r;
  });
}

void Client::on_report_deferred(EngineId engine, AsyncClient::DeferredReportHandler handler) {
  core_->on_report_deferred(engine, std::move(handler));
}

void Client::reply(const ReportMessage& message, const proto::ReportReply& reply) {
  core_->reply(message, reply);
}

void Client::on_event(EngineId engine, AsyncClient::EventHandler handler) {
  core_->on_event(engine, std::move(handler));
}

void Client::on_notice(AsyncClient::NoticeHandler handler) {
  core_->on_notice(std::move(handler));
}

void Client::run_for(Duration duration) {
  core_->run_until([] { return false; }, duration);
}

bool Client::run_until(const std::function<bool()>& pred, Duration timeout) {
  return core_->run_until(pred, timeout);
}

bool Client::run_one(Duration timeout) { return core_->run_one(timeout); }

void Client::set_call_timeout(Duration timeout) { core_->set_call_timeout(timeout); }
void Client::set_poll(Duration poll) { core_->set_poll(poll); }
boost::asio::io_context& Client::io_context() { return core_->io_context(); }
int Client::socket_fd() const { return core_->async().socket_fd(); }
void Client::close() { core_->close(); }
bool Client::is_open() const { return core_->is_open(); }

}  // namespace utrace::client
