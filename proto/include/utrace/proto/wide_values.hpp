// 64-bit values on the wire (protocol 2, PROTOCOL.md "Numbers"): JSON parsers that keep numbers
// as doubles (jq, JavaScript) lose bits above 2^53, so registers, syscall arguments and
// addresses travel as "0x…" strings, and a signed value (retval) as a number only while it is
// exact in a double. Inputs take either form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace utrace::proto {

// Largest magnitude a double holds exactly: numbers within it are written as JSON numbers.
inline constexpr std::int64_t kExactInDouble = (std::int64_t{1} << 53) - 1;

// "0x" and lowercase hex digits without leading zeros ("0x0" for zero).
std::string hex_u64(std::uint64_t v);
// A signed 64-bit value: a number within ±kExactInDouble, else hex_u64 of its two's complement.
nlohmann::json wide_i64(std::int64_t v);
inline nlohmann::json wide_u64(std::uint64_t v) { return hex_u64(v); }

// "0x…"/"0X…" with 1 to 16 hex digits, else nullopt.
std::optional<std::uint64_t> parse_hex_u64(std::string_view s);
// A JSON integer (a negative one as its two's complement) or a "0x…" string; nullopt otherwise.
std::optional<std::uint64_t> read_u64(const nlohmann::json& j);
// A JSON integer or a "0x…" string (read as two's complement); nullopt otherwise.
std::optional<std::int64_t> read_i64(const nlohmann::json& j);

}  // namespace utrace::proto
