// Internal: what stands behind the C API's opaque utrace_client, and the guard every
// extern "C" function runs its body in (no C++ exception crosses into C).
#pragma once

#include <cerrno>
#include <cstdint>
#include <deque>
#include <map>
#include <new>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "utrace/client.h"
#include "utrace/client_sync.hpp"

namespace utrace::client::capi {

// A report, event or notice as kept for the C side; its strings back a utrace_message.
struct Held {
  utrace_message_kind kind = UTRACE_MSG_EVENT;
  ReportMessage message;   // reports and events
  nlohmann::json notice;   // notices: the params
  std::string reason, text, json;
  std::uint64_t token = 0;  // reports: the key in Handle::unanswered
};

struct Callback {
  utrace_report_fn report = nullptr;
  utrace_event_fn event = nullptr;
  void* user = nullptr;
};

}  // namespace utrace::client::capi

struct utrace_client {
  explicit utrace_client(utrace::client::Client c) : client(std::move(c)) {}

  utrace::client::Client client;
  utrace_error last{};
  // Messages no callback took, for utrace_next_message; the one it returned last.
  std::deque<utrace::client::capi::Held> queue;
  utrace::client::capi::Held current;
  // Reports handed out by utrace_next_message and not answered yet, by token.
  std::map<std::uint64_t, utrace::client::ReportMessage> unanswered;
  std::uint64_t next_token = 1;
  std::map<utrace::client::EngineId, utrace::client::capi::Callback> report_callbacks;
  std::map<utrace::client::EngineId, utrace::client::capi::Callback> event_callbacks;
  utrace::client::capi::Callback notice_callback;
};

namespace utrace::client::capi {

// Records the error on c and returns -errnum.
int fail(utrace_client* c, int errnum, const std::string& method, const std::string& message,
         int code = 0);
// The errno equivalent of a ClientError (application errors: their errno).
int errno_of(const ClientError& e);
// Fills *err from e (err may be null).
void fill_error(utrace_error* err, int errnum, int code, const std::string& method,
                const std::string& message);

// Runs body() (returning int, or a negative errno) and turns every exception into a
// negative errno recorded on c.
template <class F>
auto guarded(utrace_client* c, const char* method, F&& body) -> decltype(body()) {
  if (!c) return -EINVAL;
  try {
    return body();
  } catch (const ClientError& e) {
    const std::string m = e.method().empty() ? std::string(method) : e.method();
    return fail(c, errno_of(e), m, e.what(), e.code());
  } catch (const std::bad_alloc&) {
    return fail(c, ENOMEM, method, "out of memory");
  } catch (const nlohmann::json::exception& e) {
    return fail(c, EBADMSG, method, std::string("unexpected reply: ") + e.what());
  } catch (const std::exception& e) {
    return fail(c, EIO, method, e.what());
  } catch (...) {
    return fail(c, EIO, method, "unknown error");
  }
}

// A uint64 from a JSON number or a "0x..." string (protocol 2); false for anything else.
bool to_u64(const nlohmann::json& j, std::uint64_t& out);
// Names split at commas ("a,,b" -> {"a","b"}).
std::vector<std::string> split_names(const char* list);
// "syscall_entry,exit" ORed into mask; false (with the bad name) for an unknown one.
bool add_event_names(const char* list, std::uint32_t& mask, std::string* bad);

// Points *out's fields at h's storage.
void fill_message(const Held& h, utrace_message* out);
// Installs the C++ handlers that route messages to the C callbacks or the queue.
void install_routing(utrace_client* c);

}  // namespace utrace::client::capi
