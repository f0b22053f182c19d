// RawClient: an AsyncClient on its own io_context, driven from the test thread, for tests that
// must hold reports unanswered and answer them in an order of their choosing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "test_engine_common.hpp"
#include "utrace/client.hpp"

namespace utrace::test {

struct RawClient {
  boost::asio::io_context io;
  client::AsyncClient c{io};
  std::vector<ReportMessage> kept;  // reports held back, unanswered

  explicit RawClient(const TestDaemon& d) {
    std::optional<std::error_code> ec;
    c.async_connect(d.socket(), [&](std::error_code e) { ec = e; });
    run_until([&] { return ec.has_value(); });
    EXPECT_FALSE(*ec);
  }
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return pred();
      if (io.stopped()) io.restart();
      io.run_one_for(5ms);
    }
    return true;
  }
  void run_for(std::chrono::milliseconds t) { run_until([] { return false; }, t); }
  Reply call(const std::string& method, const json& params) {
    std::optional<Reply> r;
    c.call(method, params, [&](Reply x) { r = std::move(x); });
    EXPECT_TRUE(run_until([&] { return r.has_value(); }));
    return r ? *r : Reply{};
  }
  // `attach` with these params; the engine id (0, and a test failure, if refused).
  EngineId attach(const json& params) {
    Reply r = call("attach", params);
    EXPECT_TRUE(r.ok()) << (r.error ? r.error->message : "");
    return r.ok() ? r.result.at("engine").get<EngineId>() : 0;
  }
  // Keeps getppid reports unanswered; answers everything else resume.
  void keep_getppid(EngineId e) {
    c.on_report_deferred(e, [this](const ReportMessage& m) {
      if (is_getppid(m)) kept.push_back(m);
      else c.reply(m, ReportReply{});
    });
  }
};

// Runs several RawClients from this thread, a few ms each in turn, until pred holds.
inline bool run_all(std::initializer_list<RawClient*> clients, const std::function<bool()>& pred,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    for (RawClient* c : clients) {
      if (c->io.stopped()) c->io.restart();
      c->io.run_one_for(1ms);
    }
  }
  return true;
}
inline void run_all_for(std::initializer_list<RawClient*> clients, std::chrono::milliseconds d) {
  run_all(clients, [] { return false; }, d);
}

}  // namespace utrace::test
