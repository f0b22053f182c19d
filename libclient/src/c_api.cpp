// The C API (utrace/client.h): connection, errors, raw calls and names.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "c_api_internal.hpp"
#include "utrace/proto/actions.hpp"
#include "utrace/proto/events.hpp"

#ifndef UTRACE_VERSION
#error "UTRACE_VERSION is defined by meson (version_arg)"
#endif

namespace utrace::client::capi {

namespace {
void copy_truncated(char* dst, std::size_t cap, const std::string& src) {
  const std::size_t n = src.size() < cap - 1 ? src.size() : cap - 1;
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}
}  // namespace

void fill_error(utrace_error* err, int errnum, int code, const std::string& method,
                const std::string& message) {
  if (!err) return;
  err->errnum = errnum;
  err->code = code;
  copy_truncated(err->method, sizeof err->method, method);
  copy_truncated(err->message, sizeof err->message, message);
}

int fail(utrace_client* c, int errnum, const std::string& method, const std::string& message,
         int code) {
  fill_error(&c->last, errnum, code == 0 ? errnum : code, method, message);
  return -errnum;
}

int errno_of(const ClientError& e) {
  const int code = e.code();
  if (code > 0) return code;
  switch (code) {
    case proto::rpc_code::kInvalidParams: return EINVAL;
    case proto::rpc_code::kMethodNotFound: return ENOSYS;
    case proto::rpc_code::kInternalError: return EIO;
    case client_code::kConnectFailed: {
      const int sys = e.system_error().value();
      return sys > 0 ? sys : ECONNREFUSED;
    }
    case client_code::kConnectionClosed: return ECONNRESET;
    case client_code::kTimeout: return ETIMEDOUT;
    case client_code::kBadReply: return EBADMSG;
    default: return EPROTO;  // -32700, -32600, anything unexpected
  }
}

bool to_u64(const nlohmann::json& j, std::uint64_t& out) {
  if (j.is_number_unsigned()) {
    out = j.get<std::uint64_t>();
    return true;
  }
  if (j.is_number_integer()) {  // a negative value: its two's complement
    out = static_cast<std::uint64_t>(j.get<std::int64_t>());
    return true;
  }
  if (!j.is_string()) return false;
  const std::string& s = j.get_ref<const std::string&>();
  if (s.size() < 3 || s.size() > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
  std::uint64_t v = 0;
  for (std::size_t i = 2; i < s.size(); ++i) {
    const char ch = s[i];
    int d;
    if (ch >= '0' && ch <= '9') d = ch - '0';
    else if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
    else if (ch >= 'A' && ch <= 'F') d = ch - 'A' + 10;
    else return false;
    v = v << 4 | static_cast<std::uint64_t>(d);
  }
  out = v;
  return true;
}

std::vector<std::string> split_names(const char* list) {
  std::vector<std::string> out;
  if (!list) return out;
  std::string cur;
  for (const char* p = list;; ++p) {
    if (*p == ',' || *p == '\0') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      if (*p == '\0') break;
    } else if (*p != ' ') {
      cur.push_back(*p);
    }
  }
  return out;
}

bool add_event_names(const char* list, std::uint32_t& mask, std::string* bad) {
  for (const auto& name : split_names(list)) {
    auto kind = proto::parse_event(name);
    if (!kind) {
      if (bad) *bad = name;
      return false;
    }
    mask |= proto::EventMask::of(*kind).bits();
  }
  return true;
}

}  // namespace utrace::client::capi

using namespace utrace::client;
using utrace::client::capi::guarded;

extern "C" {

const char* utrace_library_version(void) { return UTRACE_VERSION; }

const char* utrace_default_socket(void) {
  const char* env = std::getenv("UTRACED_SOCKET");
  return env && *env ? env : kDefaultSocketPath;
}

utrace_client* utrace_connect(const char* socket_path, utrace_error* err) {
  const std::string path = socket_path && *socket_path ? socket_path : utrace_default_socket();
  try {
    auto* c = new utrace_client(Client::connect(path));
    capi::install_routing(c);
    return c;
  } catch (const ClientError& e) {
    capi::fill_error(err, capi::errno_of(e), e.code(), "connect", e.what());
  } catch (const std::bad_alloc&) {
    capi::fill_error(err, ENOMEM, ENOMEM, "connect", "out of memory");
  } catch (const std::exception& e) {
    capi::fill_error(err, EIO, EIO, "connect", e.what());
  } catch (...) {
    capi::fill_error(err, EIO, EIO, "connect", "unknown error");
  }
  return nullptr;
}

void utrace_close(utrace_client* c) {
  if (!c) return;
  try {
    c->client.close();
  } catch (...) {
  }
  delete c;
}

const utrace_error* utrace_last_error(const utrace_client* c) {
  // Never NULL: a program that did not check utrace_connect gets a message, not a crash.
  static const utrace_error kNoClient = {EINVAL, EINVAL, "", "no client (utrace_connect failed?)"};
  return c ? &c->last : &kNoClient;
}

void utrace_set_call_timeout(utrace_client* c, int timeout_ms) {
  if (!c) return;
  c->client.set_call_timeout(timeout_ms > 0
                                 ? std::chrono::duration_cast<Client::Duration>(
                                       std::chrono::milliseconds(timeout_ms))
                                 : Client::kForever);
}

int utrace_hello(utrace_client* c, const char* client_name, utrace_hello_info* info) {
  return guarded(c, "hello", [&] {
    auto r = c->client.hello(client_name ? client_name : "");
    if (info) {
      *info = utrace_hello_info{};
      const std::string server = r.value("server", std::string());
      const std::string version = r.value("version", std::string());
      std::snprintf(info->server, sizeof info->server, "%s", server.c_str());
      std::snprintf(info->version, sizeof info->version, "%s", version.c_str());
      info->protocol = r.value("protocol", 0);
      info->pid = r.value("pid", 0);
      info->uid = r.value("uid", 0u);
      info->client = r.value("client", std::uint64_t{0});
    }
    return 0;
  });
}

int utrace_call(utrace_client* c, const char* method, const char* params_json,
                char** result_json) {
  if (result_json) *result_json = nullptr;
  return guarded(c, "call", [&] {
    if (!method || !*method) return capi::fail(c, EINVAL, "call", "no method");
    nlohmann::json params = nlohmann::json::object();
    if (params_json && *params_json) {
      params = nlohmann::json::parse(params_json, nullptr, /*allow_exceptions=*/false);
      if (!params.is_object())
        return capi::fail(c, EINVAL, method, "params must be a JSON object");
    }
    Reply reply = c->client.request(method, params);
    if (reply.error) {
      ClientError e(*reply.error, method);
      return capi::fail(c, capi::errno_of(e), method, e.what(), e.code());
    }
    if (result_json) {
      const std::string text = reply.result.dump();
      char* out = static_cast<char*>(std::malloc(text.size() + 1));
      if (!out) return capi::fail(c, ENOMEM, method, "out of memory");
      std::memcpy(out, text.c_str(), text.size() + 1);
      *result_json = out;
    }
    return 0;
  });
}

void utrace_free(void* p) { std::free(p); }

const char* utrace_event_name(utrace_event kind) {
  if (static_cast<int>(kind) < 0 || static_cast<int>(kind) >= utrace::proto::kEventKindCount)
    return nullptr;
  // to_string gives views of string literals: NUL-terminated.
  return utrace::proto::to_string(static_cast<utrace::proto::EventKind>(kind)).data();
}

const char* utrace_action_name(utrace_action action) {
  if (static_cast<int>(action) < 0 ||
      static_cast<int>(action) >= utrace::proto::kResumeActionCount)
    return nullptr;
  return utrace::proto::to_string(static_cast<utrace::proto::ResumeAction>(action)).data();
}

int utrace_parse_events(const char* names, uint32_t* mask) {
  if (!names || !mask) return -EINVAL;
  std::uint32_t bits = 0;
  try {
    if (!capi::add_event_names(names, bits, nullptr) || bits == 0) return -EINVAL;
  } catch (...) {
    return -ENOMEM;
  }
  *mask = bits;
  return 0;
}

int utrace_parse_action(const char* name, utrace_action* action) {
  if (!name || !action) return -EINVAL;
  auto a = utrace::proto::parse_action(name);
  if (!a) return -EINVAL;
  *action = static_cast<utrace_action>(*a);
  return 0;
}

}  // extern "C"
