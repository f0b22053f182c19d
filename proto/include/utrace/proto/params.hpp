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

struct ParamSpec;

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

  // The same, by a method's parameter table (method_params.hpp): the name, range, choices and
  // bounds come from the spec, and a required one that is absent is named ("is required").
  // Each accessor serves one ParamType (another is a bug: std::logic_error).
  void allow_only(std::span<const ParamSpec> table) const;
  std::optional<std::int64_t> opt_integer(const ParamSpec& spec) const;   // Integer
  std::int64_t integer(const ParamSpec& spec) const;                      // Integer, required
  std::optional<std::uint64_t> opt_unsigned(const ParamSpec& spec) const; // Unsigned
  std::optional<bool> opt_bool(const ParamSpec& spec) const;              // Boolean
  std::optional<std::string> opt_string(const ParamSpec& spec) const;     // String (max bytes)
  std::string string(const ParamSpec& spec) const;                        // String, required
  std::optional<std::string_view> opt_choice(const ParamSpec& spec) const;  // Choice
  ResumeAction action(const ParamSpec& spec) const;                       // Action
  EventMask events(const ParamSpec& spec) const;                          // Events
  const nlohmann::json* opt_json(const ParamSpec& spec) const;  // any other type (max bytes)

 private:
  const nlohmann::json& json_;
  static const nlohmann::json kEmpty;
};

}  // namespace utrace::proto
