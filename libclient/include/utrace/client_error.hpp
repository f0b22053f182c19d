// Errors seen by utrace clients: the daemon's JSON-RPC error objects, plus the client-side
// failures (connect, connection loss, timeout, malformed reply) expressed the same way.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

#include "utrace/proto/errors.hpp"

namespace utrace::client {

// Codes of errors made by the client library itself. They never appear on the wire and lie
// outside both the errno range (> 0) and the JSON-RPC reserved range (-32768..-32000).
namespace client_code {
inline constexpr int kConnectFailed = -33001;     // the socket could not be connected
inline constexpr int kConnectionClosed = -33002;  // the connection ended before the reply came
inline constexpr int kTimeout = -33003;           // no reply within the call timeout
inline constexpr int kBadReply = -33004;          // the reply's result has an unexpected shape
inline constexpr bool is_client_code(int code) {
  return code <= kConnectFailed && code >= kBadReply;
}
}  // namespace client_code

// Builds a client-side RpcError; data carries {"system_error": what} when `sys` is set.
proto::RpcError make_client_error(int code, std::string message, std::error_code sys = {});

// Thrown by the blocking Client for protocol errors, transport failures and, where a call has
// no errno-returning form, application errors.
class ClientError : public std::runtime_error {
 public:
  // `method` names the call that failed ("" when not a call, e.g. connect).
  explicit ClientError(proto::RpcError error, std::string method = {}, std::error_code sys = {});

  const proto::RpcError& error() const { return error_; }
  const std::string& method() const { return method_; }
  int code() const { return error_.code; }
  // True for an application error: code is an errno value and data.errno names it.
  bool is_application_error() const { return error_.code > 0; }
  // The errno value of an application error, else 0.
  int errno_value() const { return is_application_error() ? error_.code : 0; }
  // "ESRCH", ... for application errors, "" otherwise.
  std::string errno_name() const { return error_.errno_name(); }
  // The operating-system error behind a transport failure (connect, read, write), if any.
  std::error_code system_error() const { return sys_; }

 private:
  proto::RpcError error_;
  std::string method_;
  std::error_code sys_;
};

}  // namespace utrace::client
