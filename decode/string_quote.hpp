// strace's quoting of strings and buffers: "...", \n \t escapes, \octal, \x hex under -x/-xx,
// and the "..." that marks a string cut at -s.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "memory_source.hpp"

namespace utrace::decode {

class StringQuoter {
 public:
  explicit StringQuoter(const DecodeOptions& options) : options_(options) {}

  // The quoted text of `bytes` ("abc\n"), no truncation. force_hex: getrandom-style \x for all.
  std::string quote(std::string_view bytes, bool force_hex = false) const;
  // A buffer of `len` bytes at addr (printstrn): at most -s bytes, then "..." if len was more.
  // NULL, or the address in hex when the memory is not there.
  std::string buffer(MemorySource& mem, std::uint64_t addr, std::uint64_t len,
                     bool force_hex = false) const;
  // A NUL-terminated string at addr (printstr): cut at -s with "...".
  std::string c_string(MemorySource& mem, std::uint64_t addr) const;
  // A path (printpath): NUL-terminated, up to PATH_MAX, not cut by -s.
  std::string path(MemorySource& mem, std::uint64_t addr) const;
  // A NUL-terminated string of at most `limit` bytes ("..." when longer).
  std::string c_string_limited(MemorySource& mem, std::uint64_t addr, std::size_t limit) const;

  // An fd's path as -y prints it between < and >: quoted without the quotes, '<' and '>' as
  // octal escapes ("/tmp/a\\74b").
  std::string fd_path(std::string_view path) const;

  std::size_t max_strlen() const { return options_.max_strlen; }

 private:
  const DecodeOptions& options_;
};

// NULL for 0, else 0x… (strace's printaddr).
std::string format_addr(std::uint64_t addr);

}  // namespace utrace::decode
