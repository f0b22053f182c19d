#include "utrace/proto/params.hpp"

#include <algorithm>

#include "utrace/proto/errors.hpp"

namespace utrace::proto {

const nlohmann::json Params::kEmpty = nlohmann::json::object();

namespace {
[[noreturn]] void bad(std::string_view key, const std::string& why) {
  throw RpcException(invalid_params(std::string(key), why));
}
}  // namespace

Params::Params(const nlohmann::json& j) : json_(j.is_null() ? kEmpty : j) {
  if (!json_.is_object()) bad("", "params must be an object");
}

void Params::allow_only(std::initializer_list<std::string_view> known) const {
  allow_only(std::span<const std::string_view>(known.begin(), known.size()));
}

void Params::allow_only(std::span<const std::string_view> known) const {
  for (auto& [k, v] : json_.items())
    if (std::find(known.begin(), known.end(), k) == known.end()) bad(k, "unknown parameter");
}

bool Params::has(std::string_view key) const { return json_.contains(key); }

const nlohmann::json* Params::raw(std::string_view key) const {
  auto it = json_.find(key);
  return it == json_.end() ? nullptr : &*it;
}

std::optional<std::int64_t> Params::opt_integer(std::string_view key, std::int64_t min,
                                                std::int64_t max) const {
  const auto* v = raw(key);
  if (!v || v->is_null()) return std::nullopt;
  std::int64_t n = 0;
  if (v->is_number_unsigned()) {
    auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) bad(key, "number out of range");
    n = static_cast<std::int64_t>(u);
  } else if (v->is_number_integer()) {
    n = v->get<std::int64_t>();
  } else {
    bad(key, "must be an integer");
  }
  if (n < min || n > max)
    bad(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return n;
}

std::optional<std::uint64_t> Params::opt_unsigned(std::string_view key) const {
  const auto* v = raw(key);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_number_unsigned()) return v->get<std::uint64_t>();
  if (v->is_number_integer()) bad(key, "must not be negative");
  bad(key, "must be an integer");
}

std::int64_t Params::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
  auto v = opt_integer(key, min, max);
  if (!v) bad(key, "is required");
  return *v;
}

std::optional<std::string> Params::opt_string(std::string_view key) const {
  const auto* v = raw(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) bad(key, "must be a string");
  return v->get<std::string>();
}

std::string Params::string(std::string_view key) const {
  auto v = opt_string(key);
  if (!v) bad(key, "is required");
  return *v;
}

std::optional<bool> Params::opt_bool(std::string_view key) const {
  const auto* v = raw(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_boolean()) bad(key, "must be true or false");
  return v->get<bool>();
}

ResumeAction Params::action(std::string_view key) const {
  auto name = string(key);
  auto a = parse_action(name);
  if (!a)
    bad(key, "unknown action '" + name +
                 "' (expected stop, interrupt, report, singlestep, blockstep, resume or detach)");
  return *a;
}

EventMask Params::events(std::string_view key) const {
  const auto* v = raw(key);
  if (!v || v->is_null()) return EventMask{};
  if (!v->is_array()) bad(key, "must be a list of event names");
  EventMask m;
  for (const auto& e : *v) {
    if (!e.is_string()) bad(key, "must be a list of event names");
    auto k = parse_event(e.get<std::string>());
    if (!k) bad(key, "unknown event '" + e.get<std::string>() + "'");
    m.set(*k);
  }
  return m;
}

}  // namespace utrace::proto
