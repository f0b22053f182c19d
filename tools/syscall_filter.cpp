#include "syscall_filter.hpp"

#include <seccomp.h>

#include <charconv>
#include <regex>

#include "command_line.hpp"
#include "utrace/proto/syscall_table.hpp"

namespace utracectl {

namespace sys = utrace::proto::sys;

namespace {

// The class names strace 6.1 still takes without the '%'.
constexpr std::string_view kOldClassNames[] = {"desc", "file", "memory", "process",
                                               "signal", "ipc", "network"};

bool old_class_name(std::string_view token) {
  for (auto n : kOldClassNames)
    if (n == token) return true;
  return false;
}

// Adds the syscalls `token` names; false when it names none.
bool add_token(std::string_view token, std::bitset<SyscallFilter::kMaxNr>& set) {
  if (token.empty()) return false;
  if (token[0] == '/') {
    std::regex re;
    try {
      re = std::regex(std::string(token.substr(1)), std::regex::extended | std::regex::nosubs);
    } catch (const std::regex_error& e) {
      throw UsageError("regcomp: " + std::string(token.substr(1)) + ": " + e.what());
    }
    bool any = false;
    for (const auto& s : sys::all_syscalls()) {
      if (std::regex_search(std::string(s.name), re)) {
        set.set(static_cast<std::size_t>(s.nr));
        any = true;
      }
    }
    return any;
  }
  if (token[0] == '%' || old_class_name(token)) {
    auto bits = sys::class_from_name(token);
    if (!bits) return false;
    for (const auto& s : sys::all_syscalls())
      if (s.classes & *bits) set.set(static_cast<std::size_t>(s.nr));
    return true;
  }
  int nr = -1;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), nr);
  if (ec == std::errc() && end == token.data() + token.size()) {
    if (nr < 0 || !sys::find_syscall(nr)) return false;
    set.set(static_cast<std::size_t>(nr));
    return true;
  }
  if (token.size() > 3 && token.substr(token.size() - 3) == "@64") token.remove_suffix(3);
  const auto* spec = sys::find_syscall(token);
  if (!spec) return false;
  set.set(static_cast<std::size_t>(spec->nr));
  return true;
}

}  // namespace

SyscallFilter SyscallFilter::parse(std::string_view expr) {
  SyscallFilter f;
  f.set_.reset();
  bool invert = false;
  while (!expr.empty() && expr[0] == '!') {
    invert = !invert;
    expr.remove_prefix(1);
  }
  if (expr == "all") {
    f.set_.set();
  } else if (expr != "none") {
    std::size_t start = 0;
    for (;;) {
      std::size_t comma = expr.find(',', start);
      std::string_view token = expr.substr(start, comma == std::string_view::npos ? expr.npos : comma - start);
      bool optional = false;
      while (!token.empty() && token[0] == '?') {
        optional = true;
        token.remove_prefix(1);
      }
      if (!add_token(token, f.set_) && !optional)
        throw UsageError("invalid system call '" + std::string(token) + "'");
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  if (invert) f.set_.flip();
  return f;
}

std::vector<std::string> SyscallFilter::engine_names() const {
  std::vector<std::string> out;
  if (all()) return out;
  for (const auto& s : sys::all_syscalls()) {
    if (!set_.test(static_cast<std::size_t>(s.nr))) continue;
    std::string name(s.name);
    if (seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name.c_str()) != s.nr) continue;
    out.push_back(std::move(name));
  }
  return out;
}

}  // namespace utracectl
