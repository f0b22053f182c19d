// Checked access to JSON-RPC params: every failure throws RpcException(-32602) naming the field.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "utrace/proto/actions.hpp"
#include "utrace/proto/events.hpp"

namespace utrace::proto {

class Params {
 public:
  // Throws if j is neither an object nor null (null is treated as {}).
  explicit Params(const nlohmann::json& j);

  // Rejects any field not in `known`, naming it.
  void allow_only(std::initializer_list<std::string_view> known) const;
  void allow_only(std::span<const std::string_view> known) const;

  bool has(std::string_view key) const;
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  std::optional<std::int64_t> opt_integer(std::string_view key, std::int64_t min,
                                          std::int64_t max) const;
  // Any non-negative integer up to 2^64-1.
  std::optional<std::uint64_t> opt_unsigned(std::string_view key) const;
  std::string string(std::string_view key) const;
  std::optional<std::string> opt_string(std::string_view key) const;
  std::optional<bool> opt_bool(std::string_view key) const;
  ResumeAction action(std::string_view key) const;
  // A list of event names; unknown names are rejected by name.
  EventMask events(std::string_view key) const;
  const nlohmann::json* raw(std::string_view key) const;

 private:
  const nlohmann::json& json_;
  static const nlohmann::json kEmpty;
};

}  // namespace utrace::proto
