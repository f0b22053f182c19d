#include "utrace/proto/wide_values.hpp"

#include <charconv>

namespace utrace::proto {

std::string hex_u64(std::uint64_t v) {
  char buf[2 + 16];
  buf[0] = '0', buf[1] = 'x';
  auto [end, ec] = std::to_chars(buf + 2, buf + sizeof buf, v, 16);
  (void)ec;  // 16 hex digits always fit
  return std::string(buf, end);
}

nlohmann::json wide_i64(std::int64_t v) {
  if (v >= -kExactInDouble && v <= kExactInDouble) return v;
  return hex_u64(static_cast<std::uint64_t>(v));
}

std::optional<std::uint64_t> parse_hex_u64(std::string_view s) {
  if (s.size() < 3 || s.size() > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    return std::nullopt;
  std::uint64_t v = 0;
  const char* first = s.data() + 2;
  const char* last = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(first, last, v, 16);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> read_u64(const nlohmann::json& j) {
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  if (j.is_number_integer()) return static_cast<std::uint64_t>(j.get<std::int64_t>());
  if (j.is_string()) return parse_hex_u64(j.get_ref<const std::string&>());
  return std::nullopt;
}

std::optional<std::int64_t> read_i64(const nlohmann::json& j) {
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_string())
    if (auto u = parse_hex_u64(j.get_ref<const std::string&>())) return static_cast<std::int64_t>(*u);
  return std::nullopt;
}

}  // namespace utrace::proto
