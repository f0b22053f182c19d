#include "utrace/proto/params.hpp"

#include <algorithm>

#include "utrace/proto/errors.hpp"
#include "utrace/proto/method_params.hpp"
#include "utrace/proto/wide_values.hpp"

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
  // wide_values.hpp: addresses may come as "0x…" strings (exact in every JSON parser).
  if (v->is_string())
    if (auto x = parse_hex_u64(v->get_ref<const std::string&>())) return x;
  bad(key, "must be an integer or a \"0x…\" string");
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

// ---- by parameter table ----

namespace {
void expect(const ParamSpec& spec, ParamType type) {
  if (spec.type != type)
    throw std::logic_error("parameter '" + std::string(spec.name) + "' read as the wrong type");
}
}  // namespace

void Params::allow_only(std::span<const ParamSpec> table) const {
  for (const auto& item : json_.items()) {
    const std::string& k = item.key();
    if (std::none_of(table.begin(), table.end(), [&k](const ParamSpec& s) { return s.name == k; }))
      bad(k, "unknown parameter");
  }
}

std::optional<std::int64_t> Params::opt_integer(const ParamSpec& spec) const {
  expect(spec, ParamType::Integer);
  auto v = opt_integer(spec.name, spec.min, spec.max);
  if (!v && spec.required) bad(spec.name, "is required");
  return v;
}

std::int64_t Params::integer(const ParamSpec& spec) const {
  auto v = opt_integer(spec);
  if (!v) bad(spec.name, "is required");
  return *v;
}

std::optional<std::uint64_t> Params::opt_unsigned(const ParamSpec& spec) const {
  expect(spec, ParamType::Unsigned);
  auto v = opt_unsigned(spec.name);
  if (!v && spec.required) bad(spec.name, "is required");
  return v;
}

std::optional<bool> Params::opt_bool(const ParamSpec& spec) const {
  expect(spec, ParamType::Boolean);
  auto v = opt_bool(spec.name);
  if (!v && spec.required) bad(spec.name, "is required");
  return v;
}

std::optional<std::string> Params::opt_string(const ParamSpec& spec) const {
  expect(spec, ParamType::String);
  auto v = opt_string(spec.name);
  if (!v && spec.required) bad(spec.name, "is required");
  if (v && spec.max > 0 && v->size() > static_cast<std::size_t>(spec.max))
    bad(spec.name, "is longer than " + std::to_string(spec.max) + " bytes");
  return v;
}

std::string Params::string(const ParamSpec& spec) const {
  auto v = opt_string(spec);
  if (!v) bad(spec.name, "is required");
  return *v;
}

std::optional<std::string_view> Params::opt_choice(const ParamSpec& spec) const {
  expect(spec, ParamType::Choice);
  auto v = opt_string(spec.name);
  if (!v) {
    if (spec.required) bad(spec.name, "is required");
    return std::nullopt;
  }
  for (std::string_view c : spec.choices)
    if (*v == c) return c;
  bad(spec.name, "must be \"" + std::string(spec.choices[0]) + "\" or \"" +
                     std::string(spec.choices[1]) + "\"");
}

ResumeAction Params::action(const ParamSpec& spec) const {
  expect(spec, ParamType::Action);
  return action(spec.name);
}

EventMask Params::events(const ParamSpec& spec) const {
  expect(spec, ParamType::Events);
  if (spec.required && !has(spec.name)) bad(spec.name, "is required");
  return events(spec.name);
}

const nlohmann::json* Params::opt_json(const ParamSpec& spec) const {
  if (spec.type == ParamType::Integer || spec.type == ParamType::Unsigned ||
      spec.type == ParamType::Boolean || spec.type == ParamType::String ||
      spec.type == ParamType::Choice || spec.type == ParamType::Action ||
      spec.type == ParamType::Events)
    expect(spec, ParamType::Json);  // these have their own accessors
  const auto* v = raw(spec.name);
  if ((!v || v->is_null()) && spec.required) bad(spec.name, "is required");
  if (v && spec.max > 0 && v->dump().size() > static_cast<std::size_t>(spec.max))
    bad(spec.name, "is over " + std::to_string(spec.max) + " bytes as JSON");
  return v;
}

}  // namespace utrace::proto
