// strace's `-e trace=` set: which syscalls are traced. Parsed on the client from names,
// numbers, `!` negation, `/regex`, `%class` (and the old class names without `%`), `all` and
// `none`, against the shared syscall table; handed to the daemon as the engine's `syscalls`
// attach filter (names), so that unwanted syscalls are not even reported.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace utracectl {

class SyscallFilter {
 public:
  static constexpr std::size_t kMaxNr = 512;

  // Everything traced (strace's default).
  SyscallFilter() { set_.set(); }

  // strace's syntax: "[!]...{NAME|NR|%CLASS|/REGEX|all|none}[,...]", '?' before a token
  // ignores it when it matches nothing. Throws UsageError ("invalid system call 'x'",
  // "regcomp: ...") as strace words it.
  static SyscallFilter parse(std::string_view expr);

  bool all() const { return set_.all(); }
  bool none() const { return set_.none(); }
  bool matches(std::int64_t nr) const {
    return nr >= 0 && static_cast<std::size_t>(nr) < kMaxNr ? set_.test(static_cast<std::size_t>(nr))
                                                           : all();
  }
  // The attach `syscalls` list: the traced syscalls' names (empty: all of them, no filter).
  // Names the daemon's libseccomp does not know are left out.
  std::vector<std::string> engine_names() const;

 private:
  std::bitset<kMaxNr> set_;
};

}  // namespace utracectl
