// Helpers shared by the engine-model tests (test_engine_model.cpp, test_engine_races.cpp) and
// the race suite: raw requests, several clients pumped from one thread, per-thread /proc state.
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "common.hpp"

namespace utrace::test {

using client::EngineId;
using client::Reply;
using nlohmann::json;
using proto::ReportReply;

// 0 for a result, else the daemon's error code (an errno, or a JSON-RPC code).
inline int code_of(const Reply& r) { return r.error ? r.error->code : 0; }
inline std::string errno_of(const Reply& r) { return r.error ? r.error->errno_name() : ""; }

// A field of /proc/PID/task/TID/status ("" when the thread is gone).
inline std::string task_status_field(pid_t pid, pid_t tid, const std::string& key) {
  return status_file_field(
      "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status", key);
}
inline char task_state(pid_t pid, pid_t tid) {
  auto v = task_status_field(pid, tid, "State");
  return v.empty() ? '?' : v[0];
}
inline bool task_released(pid_t pid, pid_t tid) {
  auto tracer = task_status_field(pid, tid, "TracerPid");
  char s = task_state(pid, tid);
  return tracer == "0" && s != 't' && s != '?';
}
inline std::vector<pid_t> task_ids(pid_t pid) {
  std::vector<pid_t> v;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* ent = ::readdir(d))
      if (ent->d_name[0] != '.') v.push_back(std::stoi(ent->d_name));
    ::closedir(d);
  }
  return v;
}

// Dispatches the reports and events of several clients from one thread until pred holds.
// Each client is given at most 1 ms per round, so a sync report to any of them is answered
// promptly; handlers record what they see.
inline bool pump(std::initializer_list<Client*> clients, const std::function<bool()>& pred,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    for (Client* c : clients) c->run_one(1ms);
  }
  return true;
}
inline void pump_for(std::initializer_list<Client*> clients, std::chrono::milliseconds d) {
  pump(clients, [] { return false; }, d);
}

// `wait` for the engine's thread to be held stopped (or reported to); the reply.
inline Reply wait_engine(Client& c, EngineId e, int timeout_ms = 5000) {
  return c.request("wait", {{"engine", e}, {"timeout_ms", timeout_ms}});
}

// Holds the engine's (running) thread stopped with `control stop`, for an engine without
// quiesce: EINPROGRESS, then the hold applies at the stop; `wait` says "stopped".
inline void hold_silently(Client& c, EngineId e) {
  int rc = c.control(e, ResumeAction::Stop);
  ASSERT_TRUE(rc == EINPROGRESS || rc == 0) << rc;
  auto w = wait_engine(c, e);
  ASSERT_TRUE(w.ok()) << w.error->message;
  ASSERT_EQ(w.result.value("reason", ""), "stopped");
  ASSERT_EQ(c.control(e, ResumeAction::Stop), 0);
}

inline bool is_getppid(const ReportMessage& m) {
  return m.report.syscall && m.report.syscall->name == "getppid";
}

inline json attach_params(pid_t tid, std::vector<std::string> events, const char* mode = "async") {
  return {{"tid", tid}, {"events", events}, {"mode", mode}};
}

}  // namespace utrace::test
