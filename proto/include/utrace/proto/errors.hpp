// JSON-RPC error objects. Application errors carry the errno value as `code` and its name in
// data.errno; protocol errors use the JSON-RPC codes.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace utrace::proto {

namespace rpc_code {
inline constexpr int kParseError = -32700;      // the line is not valid JSON
inline constexpr int kInvalidRequest = -32600;  // valid JSON but not a JSON-RPC 2.0 message
inline constexpr int kMethodNotFound = -32601;  // unknown method
inline constexpr int kInvalidParams = -32602;   // a parameter is missing, mistyped or out of range
inline constexpr int kInternalError = -32603;   // daemon bug; the connection stays usable
}  // namespace rpc_code

struct RpcError {
  int code = rpc_code::kInternalError;
  std::string message;
  nlohmann::json data;  // null or an object

  nlohmann::json to_json() const;
  static RpcError from_json(const nlohmann::json& j);
  // The errno name in data.errno, or "" for protocol errors.
  std::string errno_name() const;
};

// "EPERM", "ESRCH", ... ("E?" for unknown values).
std::string errno_name(int err);

// An application error: code = err, data = {"errno": name} merged with extra.
RpcError errno_error(int err, std::string message, nlohmann::json extra = nlohmann::json::object());
// -32602 naming the offending parameter in data.parameter.
RpcError invalid_params(const std::string& parameter, const std::string& message);

// Thrown by parameter parsing and handlers; the dispatcher turns it into an error reply.
class RpcException : public std::runtime_error {
 public:
  explicit RpcException(RpcError error) : std::runtime_error(error.message), error_(std::move(error)) {}
  const RpcError& error() const { return error_; }

 private:
  RpcError error_;
};

}  // namespace utrace::proto
