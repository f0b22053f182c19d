// utrace::client::Engine: a handle on one engine of a blocking Client, so that code reads like
// utrace's engine API: engine.stop(), engine.barrier(), engine.on_report(...). It does not own
// the engine: destroying the handle leaves the engine attached; call detach() for that.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "utrace/client_sync.hpp"

namespace utrace::client {

class Engine {
 public:
  Engine(Client& client, AttachResult attached) : client_(&client), attached_(std::move(attached)) {}

  EngineId id() const { return attached_.engine; }
  const std::vector<int>& tids() const { return attached_.tids; }
  bool created() const { return attached_.created; }

  // control(): 0 or a positive errno (EINPROGRESS, ESRCH, EINVAL, EALREADY).
  int control(proto::ResumeAction action) { return client_->control(id(), action); }
  int stop() { return control(proto::ResumeAction::Stop); }
  int resume() { return control(proto::ResumeAction::Resume); }
  int interrupt() { return control(proto::ResumeAction::Interrupt); }
  int detach() { return control(proto::ResumeAction::Detach); }
  int set_events(proto::EventMask events) { return client_->set_events(id(), events); }
  int barrier(std::chrono::milliseconds timeout = {}) { return client_->barrier(id(), timeout); }
  int wait(std::chrono::milliseconds timeout = {}, std::string* reason = nullptr) {
    return client_->wait(id(), timeout, reason);
  }

  // Examine (the engine must hold the thread, or be answering a report); errors throw.
  nlohmann::json regs() { return client_->get_regs(id()); }
  void set_regs(const nlohmann::json& regs) { client_->set_regs(id(), regs); }
  std::string read_memory(std::uint64_t addr, std::size_t size) {
    return client_->read_memory(id(), addr, size);
  }
  std::size_t write_memory(std::uint64_t addr, std::string_view bytes) {
    return client_->write_memory(id(), addr, bytes);
  }

  // Handlers for this engine's reports (sync) and events (async).
  void on_report(AsyncClient::ActionHandler handler) { client_->on_report(id(), std::move(handler)); }
  void on_report(AsyncClient::ReportHandler handler) { client_->on_report(id(), std::move(handler)); }
  void on_event(AsyncClient::EventHandler handler) { client_->on_event(id(), std::move(handler)); }

 private:
  Client* client_;
  AttachResult attached_;
};

// Attaches and returns the engine's handle. Throws ClientError as Client::attach does.
inline Engine attach_engine(Client& client, const AttachOptions& options) {
  return Engine(client, client.attach(options));
}

}  // namespace utrace::client
