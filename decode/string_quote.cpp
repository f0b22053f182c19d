#include "string_quote.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace utrace::decode {

namespace {
constexpr std::size_t kPathMax = 4096;
}

std::string format_addr(std::uint64_t addr) {
  return addr == 0 ? std::string("NULL") : fmt::format("{:#x}", addr);
}

std::string StringQuoter::quote(std::string_view bytes, bool force_hex) const {
  bool use_hex = force_hex || options_.hex > 1;
  if (!use_hex && options_.hex == 1) {
    // -x: hex for the whole string as soon as one byte is neither printable nor whitespace.
    for (unsigned char c : bytes) {
      if (c > 0x7e || (c < ' ' && (c < 9 || c > 13))) {
        use_hex = true;
        break;
      }
    }
  }
  std::string out = "\"";
  out.reserve(bytes.size() * 2 + 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (use_hex) {
      out += fmt::format("\\x{:02x}", c);
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c >= ' ' && c <= 0x7e) {
          out += static_cast<char>(c);
        } else {
          // \octal, as short as it can be unless an octal digit follows.
          out += '\\';
          const bool digit_next = i + 1 < bytes.size() && bytes[i + 1] >= '0' && bytes[i + 1] <= '7';
          if (digit_next) {
            out += static_cast<char>('0' + (c >> 6));
            out += static_cast<char>('0' + ((c >> 3) & 7));
          } else if ((c >> 3) != 0) {
            if ((c >> 6) != 0) out += static_cast<char>('0' + (c >> 6));
            out += static_cast<char>('0' + ((c >> 3) & 7));
          }
          out += static_cast<char>('0' + (c & 7));
        }
    }
  }
  out += '"';
  return out;
}

std::string StringQuoter::buffer(MemorySource& mem, std::uint64_t addr, std::uint64_t len,
                                 bool force_hex) const {
  if (addr == 0) return "NULL";
  const std::size_t shown = len > options_.max_strlen ? options_.max_strlen : len;
  auto bytes = mem.read(addr, shown);
  if (!bytes) return format_addr(addr);
  return quote(*bytes, force_hex) + (len > shown ? "..." : "");
}

std::string StringQuoter::c_string_limited(MemorySource& mem, std::uint64_t addr,
                                           std::size_t limit) const {
  if (addr == 0) return "NULL";
  auto bytes = mem.read_string(addr, limit + 1);
  if (!bytes) return format_addr(addr);
  if (bytes->size() > limit) return quote(std::string_view(*bytes).substr(0, limit)) + "...";
  return quote(*bytes);
}

std::string StringQuoter::c_string(MemorySource& mem, std::uint64_t addr) const {
  return c_string_limited(mem, addr, options_.max_strlen);
}

std::string StringQuoter::fd_path(std::string_view path) const {
  DecodeOptions plain = options_;
  plain.hex = 0;
  const StringQuoter q(plain);
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find_first_of("<>", start), path.size());
    const std::string piece = q.quote(path.substr(start, end - start));
    out += piece.substr(1, piece.size() - 2);
    if (end == path.size()) break;
    const bool digit_next = end + 1 < path.size() && path[end + 1] >= '0' && path[end + 1] <= '7';
    out += path[end] == '<' ? (digit_next ? "\\074" : "\\74") : (digit_next ? "\\076" : "\\76");
    start = end + 1;
  }
  return out;
}

std::string StringQuoter::path(MemorySource& mem, std::uint64_t addr) const {
  return c_string_limited(mem, addr, kPathMax - 1);
}

}  // namespace utrace::decode
