// Base64 (RFC 4648, with padding) for memory contents on the wire.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace utrace::proto {

std::string base64_encode(std::string_view bytes);
// nullopt for anything that is not canonical padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace utrace::proto
