// JSON-RPC 2.0 message classification and encoding. Pure, no I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "utrace/proto/errors.hpp"

namespace utrace::proto {

enum class MessageKind {
  Request,       // has "method" and "id": the peer expects a reply with the same id
  Notification,  // has "method" and no "id": no reply
  Response,      // has "id" and exactly one of "result"/"error"
  Invalid,       // anything else; `error` says what is wrong
};

struct Message {
  MessageKind kind = MessageKind::Invalid;
  nlohmann::json id;  // null when absent
  std::string method;
  nlohmann::json params;  // object (empty object when absent)
  nlohmann::json result;
  std::optional<RpcError> error;  // a Response's error, or why the message is Invalid
};

// The deepest nesting of arrays and objects a line may have (the message object itself is depth
// 1, so {"params":{"a":[1]}} has depth 3). parse_message refuses deeper lines before nlohmann
// sees them: its copies, dumps and destructors recurse once per level, and ~70,000 levels (a
// 200 KB line) overflow the stack. PROTOCOL.md, "Limits".
inline constexpr std::size_t kMaxDepth = 64;

// True when `text` nests arrays/objects more than max_depth deep. One pass, no allocation, no
// recursion: counts '[' and '{' outside strings (escapes respected); it does not validate JSON.
bool nesting_exceeds(std::string_view text, std::size_t max_depth);

// Parses one line. Never throws: bad JSON gives Invalid with a -32700 error; a line nested more
// than max_depth deep gives Invalid with a -32600 error (data: {"limit": "nesting_depth",
// "value": max_depth}) without being parsed.
Message parse_message(std::string_view line, std::size_t max_depth = kMaxDepth);
// Classifies an already parsed value.
Message classify_message(const nlohmann::json& j);

// Encoders return one line including the trailing '\n'.
std::string encode_request(const nlohmann::json& id, std::string_view method,
                           const nlohmann::json& params);
std::string encode_notification(std::string_view method, const nlohmann::json& params);
std::string encode_result(const nlohmann::json& id, const nlohmann::json& result);
std::string encode_error(const nlohmann::json& id, const RpcError& error);

// Serializes without throwing on invalid UTF-8 in strings (replaced by U+FFFD).
std::string dump_line(const nlohmann::json& j);

}  // namespace utrace::proto
