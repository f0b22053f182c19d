#include "syscall_decoder.hpp"

#include <vector>

#include <fmt/format.h>

#include "arg_printer.hpp"
#include "struct_printer.hpp"
#include "xlat.hpp"

namespace utrace::decode {

using utrace::proto::sys::Arg;
using utrace::proto::sys::ArgSpec;
using utrace::proto::sys::Ret;
using utrace::proto::sys::SyscallSpec;
using utrace::proto::sys::StructType;

namespace {

constexpr std::int64_t kMaxErrno = 4095;
constexpr std::uint64_t kUcSigmaskOffset = 296;  // offsetof(struct ucontext, uc_sigmask), x86-64
constexpr std::uint64_t kCloneParentSettid = 0x100000, kCloneChildSettid = 0x1000000,
                        kCloneChildCleartid = 0x200000, kCloneSettls = 0x80000,
                        kClonePidfd = 0x1000;

bool is_error(std::int64_t r) { return r < 0 && r >= -kMaxErrno; }

// One printed argument: its index, the spec used to print it, and when.
struct Slot {
  std::size_t index;
  ArgSpec spec;
  bool at_exit;
};

std::string fcntl_arg_text(const ArgPrinter& p, const PendingCall& c, bool at_exit, bool& printed) {
  const auto cmd = static_cast<std::uint32_t>(c.args[1]);
  const std::uint64_t v = c.args[2];
  printed = true;
  switch (cmd) {
    case 1: case 3: case 9: case 11: case 1025: case 1032: case 1034:  // F_GET*: no argument
      printed = false;
      return {};
    case 2: return format_flags(tables::kFdFlags, v);                  // F_SETFD
    case 4: return format_open_flags(v);                               // F_SETFL
    case 5: case 6: case 7: case 36: case 37: case 38: {               // F_*LK: struct flock
      if (v == 0) return "NULL";
      if ((cmd == 5 || cmd == 36) && !at_exit) return {};
      auto b = p.mem().read(v, 32);
      if (!b) return format_addr(v);
      static constexpr const char* kTypes[] = {"F_RDLCK", "F_WRLCK", "F_UNLCK"};
      const auto type = static_cast<std::int16_t>(field_u16(*b, 0));
      std::string out = fmt::format(
          "{{l_type={}, l_whence={}, l_start={}, l_len={}", type >= 0 && type < 3 ? kTypes[type] : std::to_string(type),
          format_enum(table(utrace::proto::sys::Xlat::Whence), field_u16(*b, 2)),
          static_cast<std::int64_t>(field_u64(*b, 8)), static_cast<std::int64_t>(field_u64(*b, 16)));
      if (cmd == 5 || cmd == 36) out += fmt::format(", l_pid={}", static_cast<std::int32_t>(field_u32(*b, 24)));
      return out + "}";
    }
    default: return fmt::format("{}", static_cast<std::int32_t>(static_cast<std::uint32_t>(v)));
  }
}

std::string futex_text(const PendingCall& c, MemorySource& mem) {
  const auto op = static_cast<std::uint32_t>(c.args[1]);
  const std::uint32_t cmd = op & 127;
  std::string opname = format_enum(tables::kFutexCmd, cmd);
  if (op & 128) opname += "_PRIVATE";
  if (op & 256) opname += "|FUTEX_CLOCK_REALTIME";
  if (op & ~0x1ffu) opname += fmt::format("|{:#x}", op & ~0x1ffu);
  std::string out = format_addr(c.args[0]) + ", " + opname;
  const auto val = static_cast<std::uint32_t>(c.args[2]);
  const auto val3 = static_cast<std::uint32_t>(c.args[5]);
  auto timeout = [&] {
    if (c.args[3] == 0) return std::string("NULL");
    auto b = mem.read(c.args[3], 16);
    return b ? StructPrinter::timespec(*b) : format_addr(c.args[3]);
  };
  auto bitset = [&] { return val3 == 0xffffffffu ? std::string("FUTEX_BITSET_MATCH_ANY") : fmt::format("{:#x}", val3); };
  switch (cmd) {
    case 0: return out + fmt::format(", {}, ", val) + timeout();                          // WAIT
    case 9: return out + fmt::format(", {}, ", val) + timeout() + ", " + bitset();       // WAIT_BITSET
    case 1: case 2: return out + fmt::format(", {}", val);                               // WAKE, FD
    case 10: return out + fmt::format(", {}, ", val) + bitset();                         // WAKE_BITSET
    case 3: return out + fmt::format(", {}, {}, {}", val, static_cast<std::uint32_t>(c.args[3]), format_addr(c.args[4]));
    case 4: case 12:
      return out + fmt::format(", {}, {}, {}, {}", val, static_cast<std::uint32_t>(c.args[3]), format_addr(c.args[4]), val3);
    case 5:
      return out + fmt::format(", {}, {}, {}, {:#x}", val, static_cast<std::uint32_t>(c.args[3]), format_addr(c.args[4]), val3);
    case 6: case 13: return out + ", " + timeout();                                      // LOCK_PI
    case 7: case 8: return out;                                                          // UNLOCK/TRYLOCK_PI
    case 11: return out + fmt::format(", {}, ", val) + timeout() + ", " + format_addr(c.args[4]);
    default:
      return out + fmt::format(", {}, {:#x}, {:#x}, {:#x}", val, c.args[3], c.args[4], c.args[5]);
  }
}

// select/pselect6 (strace's decode_select): the bytes of an fd set for nfds.
std::size_t fd_set_bytes(std::uint64_t nfds_arg) {
  const auto n = static_cast<std::int32_t>(nfds_arg);
  const std::size_t nfds =
      n < 0 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(n), 1024 * 1024);
  return ((nfds + 7) / 8 + 7) & ~std::size_t{7};
}

// The fds set below nfds, separated by spaces ("3 4"); nullopt when unreadable.
// With -y the arguments' fds carry their paths; the result's ("in [3]") never do, as in strace.
std::optional<std::string> fd_set_fds(const ArgPrinter& p, MemorySource& mem, std::uint64_t addr,
                                      std::uint64_t nfds_arg, bool paths = true) {
  const std::size_t bytes = fd_set_bytes(nfds_arg);
  std::string b;
  if (bytes) {
    auto r = mem.read(addr, bytes);
    if (!r) return std::nullopt;
    b = std::move(*r);
  }
  const auto nfds = static_cast<std::int32_t>(nfds_arg);
  std::string out;
  for (std::int32_t fd = 0; fd < nfds && static_cast<std::size_t>(fd) < b.size() * 8; ++fd) {
    if ((static_cast<unsigned char>(b[static_cast<std::size_t>(fd) / 8]) >> (fd % 8)) & 1)
      out += (out.empty() ? "" : " ") +
             (paths ? p.fd(static_cast<std::uint64_t>(fd)) : std::to_string(fd));
  }
  return out;
}

std::string select_entry(const PendingCall& c, const ArgPrinter& p, MemorySource& mem) {
  const bool pselect = c.name == "pselect6";
  std::string out = fmt::format("{}", static_cast<std::int32_t>(c.args[0]));
  for (int i = 1; i <= 3; ++i) {
    const std::uint64_t a = c.args[static_cast<std::size_t>(i)];
    if (!a) {
      out += ", NULL";
      continue;
    }
    auto fds = fd_set_fds(p, mem, a, c.args[0]);
    out += ", " + (fds ? "[" + *fds + "]" : format_addr(a));
  }
  const std::uint64_t t = c.args[4];
  auto tb = t ? mem.read(t, 16) : std::nullopt;
  out += ", " + (!t        ? std::string("NULL")
                 : !tb     ? format_addr(t)
                 : pselect ? StructPrinter::timespec(*tb)
                           : StructPrinter::timeval(*tb));
  if (pselect) {  // {sigmask, its size}
    const std::uint64_t s = c.args[5];
    auto sb = s ? mem.read(s, 16) : std::nullopt;
    if (!s) {
      out += ", NULL";
    } else if (!sb) {
      out += ", " + format_addr(s);
    } else {
      const std::uint64_t set = field_u64(*sb, 0), len = field_u64(*sb, 8);
      std::string set_text = "NULL";
      if (set) {
        auto bytes = len > 0 && len <= 128 ? mem.read(set, len) : std::nullopt;
        set_text = bytes ? StructPrinter::sigset(*bytes) : format_addr(set);
      }
      out += fmt::format(", {{{}, {}}}", set_text, len);
    }
  }
  return out;
}

// " (in [3], out [4], left {…})" or " (Timeout)" after a successful select.
std::string select_result(const PendingCall& c, const ArgPrinter& p, MemorySource& mem,
                          std::int64_t retval) {
  if (retval == 0) return " (Timeout)";
  std::string out;
  static constexpr const char* kNames[] = {"in", "out", "except"};
  for (int i = 1; i <= 3; ++i) {
    const std::uint64_t a = c.args[static_cast<std::size_t>(i)];
    if (!a) continue;
    auto fds = fd_set_fds(p, mem, a, c.args[0], false);
    if (!fds || fds->empty()) continue;
    out += (out.empty() ? "" : ", ") + std::string(kNames[i - 1]) + " [" + *fds + "]";
  }
  if (const std::uint64_t t = c.args[4]) {
    if (auto tb = mem.read(t, 16)) {
      out += (out.empty() ? "" : ", ") + std::string("left ") +
             (c.name == "pselect6" ? StructPrinter::timespec(*tb) : StructPrinter::timeval(*tb));
    }
  }
  return out.empty() ? out : " (" + out + ")";
}

// prctl: which arguments follow the option. `at_exit` only PR_GET_NAME has an out-argument.
std::string prctl_entry(const PendingCall& c, const StringQuoter& q, MemorySource& mem, bool& exit_arg) {
  const auto option = static_cast<std::uint32_t>(c.args[0]);
  std::string out = format_enum(tables::kPrctl, option);
  exit_arg = false;
  switch (option) {
    case 15: return out + ", " + q.c_string_limited(mem, c.args[1], 15);  // PR_SET_NAME
    case 16: exit_arg = true; return out + ", ";                          // PR_GET_NAME
    case 1: return out + ", " + signal_name(static_cast<int>(c.args[1]));  // PR_SET_PDEATHSIG
    case 2: exit_arg = true; return out + ", ";                           // PR_GET_PDEATHSIG
    case 3: case 7: case 21: case 30: case 37: case 39: case 40: case 42:  // getters, no argument
      return out;
    case 4: case 8: case 29: case 36:                                      // one number
      return out + fmt::format(", {}", c.args[1]);
    case 23:
    case 24:  // PR_CAPBSET_READ/DROP
      return out + ", " + format_enum(tables::kCap, c.args[1]);
    case 38:                                                               // PR_SET_NO_NEW_PRIVS
      return out + fmt::format(", {}, {}, {}, {}", c.args[1], c.args[2], c.args[3], c.args[4]);
    default:
      return out + fmt::format(", {:#x}, {:#x}, {:#x}, {:#x}", c.args[1], c.args[2], c.args[3], c.args[4]);
  }
}

std::string clone3_struct(const PendingCall& c, MemorySource& mem) {
  auto b = c.args[0] ? mem.read(c.args[0], std::min<std::uint64_t>(c.args[1], 88)) : std::nullopt;
  if (!b) return format_addr(c.args[0]);
  const std::uint64_t flags = field_u64(*b, 0);
  std::string out = "{flags=" + format_flags(table(utrace::proto::sys::Xlat::Clone), flags);
  if (flags & kClonePidfd) out += fmt::format(", pidfd={:#x}", field_u64(*b, 8));
  if (flags & (kCloneChildSettid | kCloneChildCleartid)) out += fmt::format(", child_tid={:#x}", field_u64(*b, 16));
  if (flags & kCloneParentSettid) out += fmt::format(", parent_tid={:#x}", field_u64(*b, 24));
  const std::uint64_t sig = field_u64(*b, 32);
  out += ", exit_signal=" + (sig ? signal_name(static_cast<int>(sig)) : std::string("0"));
  out += fmt::format(", stack={}, stack_size={:#x}", format_addr(field_u64(*b, 40)), field_u64(*b, 48));
  if (flags & kCloneSettls) out += fmt::format(", tls={:#x}", field_u64(*b, 56));
  if (field_u64(*b, 72)) out += fmt::format(", set_tid={:#x}, set_tid_size={}", field_u64(*b, 64), field_u64(*b, 72));
  return out + "}";
}

// The argument slots of a syscall, generic from the table or per syscall.
std::vector<Slot> slots_of(const PendingCall& c, const ArgPrinter& p) {
  std::vector<Slot> out;
  if (!c.spec) {
    for (std::size_t i = 0; i < 6; ++i) out.push_back({i, {Arg::Hex, 0}, false});
    return out;
  }
  for (std::size_t i = 0; i < c.spec->nargs; ++i) {
    const ArgSpec s = c.spec->args[i];
    if (!p.printed(i, s)) continue;
    if (c.name == "mremap" && i == 4 && !(c.args[3] & 2)) continue;  // new_address: MREMAP_FIXED only
    out.push_back({i, s, ArgPrinter::printed_at_exit(s.kind)});
  }
  // Everything after the first exit-time argument is printed at exit too (strace's order).
  bool exit_seen = false;
  for (auto& s : out) {
    exit_seen = exit_seen || s.at_exit;
    s.at_exit = exit_seen;
  }
  return out;
}

std::string join_args(const PendingCall& c, const ArgPrinter& p, const std::vector<Slot>& slots, bool at_exit) {
  std::string out;
  bool first = true;
  for (const auto& s : slots) {
    if (s.at_exit != at_exit) continue;
    if (!first) out += ", ";
    first = false;
    if (s.spec.kind == Arg::Hex && !c.spec) out += s.index < 6 ? fmt::format("{:#x}", c.args[s.index]) : "";
    else out += p.print(s.index, s.spec);
  }
  return out;
}

// Syscalls whose return value is a new file descriptor (strace's RVAL_FD): -y prints its path.
bool returns_fd(const PendingCall& c) {
  static constexpr std::string_view kNames[] = {
      "open", "openat", "creat", "dup", "dup2", "dup3", "socket", "accept", "accept4",
      "epoll_create", "epoll_create1", "eventfd", "eventfd2", "signalfd", "signalfd4",
      "timerfd_create", "inotify_init", "inotify_init1", "memfd_create", "pidfd_open",
      "pidfd_getfd", "userfaultfd", "perf_event_open", "fanotify_init", "open_by_handle_at",
      "openat2", "io_uring_setup", "fsopen", "fsmount", "fspick", "open_tree", "mq_open",
      "memfd_secret", "landlock_create_ruleset"};
  for (auto n : kNames)
    if (c.name == n) return true;
  if (c.name == "fcntl") {
    const auto cmd = static_cast<std::uint32_t>(c.args[1]);
    return cmd == 0 || cmd == 1030;  // F_DUPFD, F_DUPFD_CLOEXEC
  }
  return false;
}

bool has_exit_slot(const std::vector<Slot>& slots) {
  for (const auto& s : slots)
    if (s.at_exit) return true;
  return false;
}
bool has_entry_slot(const std::vector<Slot>& slots) {
  for (const auto& s : slots)
    if (!s.at_exit) return true;
  return false;
}

}  // namespace

std::string format_return(const SyscallSpec* spec, std::int64_t retval) {
  if (spec && spec->ret == Ret::None) return "?";
  if (is_error(retval)) {
    const int err = static_cast<int>(-retval);
    const char* name = errno_name(err);
    const std::string text = errno_text(err);
    if (err >= 512 && err <= 530) return fmt::format("? {} ({})", name ? name : "E?", text);
    return name ? fmt::format("-1 {} ({})", name, text) : fmt::format("-1 {} ({})", err, text);
  }
  if (spec && spec->ret == Ret::Hex) return fmt::format("{:#x}", static_cast<std::uint64_t>(retval));
  if (spec && spec->ret == Ret::Octal) return StructPrinter::mode_arg(static_cast<std::uint32_t>(retval));
  if (!spec) return retval < 0 ? fmt::format("{:#x}", static_cast<std::uint64_t>(retval)) : fmt::format("{}", retval);
  return fmt::format("{}", retval);
}

PendingCall SyscallDecoder::enter(std::int64_t nr, const std::array<std::uint64_t, 6>& args,
                                  MemorySource& mem) const {
  PendingCall c;
  c.nr = nr;
  c.args = args;
  c.spec = utrace::proto::sys::find_syscall(nr);
  c.name = c.spec ? std::string(c.spec->name) : fmt::format("syscall_{:#x}", static_cast<std::uint64_t>(nr));
  ArgPrinter p(options_, mem, c, std::nullopt);
  std::string text = c.name + "(";
  const std::string_view name = c.name;
  c.exit_pending = true;  // the special cases below print something at exit
  if (name == "clone") {
    text += "child_stack=" + format_addr(args[1]) + ", flags=" +
            p.print(0, {Arg::Flags, static_cast<std::uint8_t>(utrace::proto::sys::Xlat::Clone)});
  } else if (name == "clone3") {
    text += clone3_struct(c, mem);
  } else if (name == "futex") {
    text += futex_text(c, mem);
    c.exit_pending = false;
  } else if (name == "rt_sigreturn") {
    // The signal mask the frame restores: uc_sigmask of the ucontext at the stack pointer
    // (the handler's return popped pretcode), as strace prints it.
    if (auto sp = mem.stack_pointer())
      if (auto b = mem.read(*sp + kUcSigmaskOffset, 8)) text += "{mask=" + StructPrinter::sigset(*b) + "}";
    c.exit_pending = false;
  } else if (name == "select" || name == "pselect6") {
    text += select_entry(c, p, mem);
    c.exit_pending = false;
  } else if (name == "prctl") {
    bool exit_arg = false;
    text += prctl_entry(c, p.quoter(), mem, exit_arg);
    c.exit_pending = exit_arg;
  } else if (name == "fcntl") {
    bool printed = false;
    text += fmt::format("{}, {}", p.fd(args[0]), format_enum(table(utrace::proto::sys::Xlat::Fcntl), static_cast<std::uint32_t>(args[1])));
    const std::string third = fcntl_arg_text(p, c, false, printed);
    if (printed) text += ", " + (third.empty() ? std::string() : third);
    const auto cmd = static_cast<std::uint32_t>(args[1]);
    c.exit_pending = cmd == 5 || cmd == 36;
  } else if (name == "ioctl") {
    text += fmt::format("{}, {}", p.fd(args[0]), p.print(1, {Arg::IoctlCmd, 0}));
    const auto req = static_cast<std::uint32_t>(args[1]);
    if (req != 0x5450 && req != 0x5451 && req != 0x5422) text += ", ";
    else c.exit_pending = false;
  } else {
    const auto slots = slots_of(c, p);
    text += join_args(c, p, slots, false);
    if (has_entry_slot(slots) && has_exit_slot(slots)) text += ", ";
    c.exit_pending = has_exit_slot(slots);
  }
  // In-out values the exit needs: socklen_t read at entry.
  if (c.spec) {
    for (std::size_t i = 0; i < c.spec->nargs; ++i) {
      if (c.spec->args[i].kind == Arg::SocklenInOut && args[i]) {
        if (auto b = mem.read(args[i], 4)) c.entry_values[i] = static_cast<std::int32_t>(field_u32(*b, 0));
      }
    }
  }
  c.entry_text = std::move(text);
  return c;
}

ExitText SyscallDecoder::exit(const PendingCall& c, std::int64_t retval, MemorySource& mem) const {
  ArgPrinter p(options_, mem, c, retval);
  ExitText out;
  out.ret = format_return(c.spec, retval);
  const std::string_view name = c.name;
  const bool failed = is_error(retval);
  if (name == "clone") {
    const std::uint64_t flags = c.args[0];
    if (flags & kCloneParentSettid) out.args += ", parent_tid=" + (failed ? format_addr(c.args[2]) : p.int_in_brackets(c.args[2]));
    if (flags & kCloneSettls) out.args += fmt::format(", tls={:#x}", c.args[4]);
    if (flags & (kCloneChildSettid | kCloneChildCleartid)) out.args += fmt::format(", child_tidptr={:#x}", c.args[3]);
  } else if (name == "clone3") {
    auto b = c.args[0] ? mem.read(c.args[0], 32) : std::nullopt;
    if (!failed && b && (field_u64(*b, 0) & kCloneParentSettid))
      out.args += " => {parent_tid=" + p.int_in_brackets(field_u64(*b, 24)) + "}";
    out.args += fmt::format(", {}", c.args[1]);
  } else if (name == "prctl") {
    const auto option = static_cast<std::uint32_t>(c.args[0]);
    if (option == 16) out.args += failed ? format_addr(c.args[1]) : p.quoter().c_string_limited(mem, c.args[1], 15);
    if (option == 2) out.args += failed ? format_addr(c.args[1]) : p.int_in_brackets(c.args[1]);
  } else if (name == "fcntl") {
    const auto cmd = static_cast<std::uint32_t>(c.args[1]);
    bool printed = false;
    if (cmd == 5 || cmd == 36) out.args += ", " + fcntl_arg_text(p, c, true, printed);
    if (!failed && cmd == 3) out.ret = fmt::format("{:#x} (flags {})", retval, format_open_flags(static_cast<std::uint64_t>(retval)));
    if (!failed && cmd == 1 && retval != 0) out.ret = fmt::format("{:#x} (flags {})", retval, format_flags(tables::kFdFlags, static_cast<std::uint64_t>(retval)));
  } else if (name == "select" || name == "pselect6") {
    if (!failed) out.ret += select_result(c, p, mem, retval);
  } else if (name == "ioctl") {
    const auto req = static_cast<std::uint32_t>(c.args[1]);
    const std::uint64_t a = c.args[2];
    if (req == 0x5450 || req == 0x5451 || req == 0x5422) {
      // no argument
    } else if (req == 0x40049409) {
      out.args += p.fd(a);  // FICLONE: the source fd (cp tries it on every file)
    } else if (failed) {
      out.args += format_addr(a);
    } else if (req == 0x541B || req == 0x540F || req == 0x5429 || req == 0x80045430) {
      out.args += p.int_in_brackets(a);  // FIONREAD, TIOCGPGRP, TIOCGSID, TIOCGPTN
    } else if (req == 0x5421 || req == 0x5410 || req == 0x40045431 || req == 0x5452) {
      out.args += p.int_in_brackets(a);  // FIONBIO, TIOCSPGRP, TIOCSPTLCK, FIOASYNC
    } else if (req == 0x5413 || req == 0x5414) {
      auto b = a ? mem.read(a, 8) : std::nullopt;
      out.args += b ? fmt::format("{{ws_row={}, ws_col={}, ws_xpixel={}, ws_ypixel={}}}", field_u16(*b, 0),
                                  field_u16(*b, 2), field_u16(*b, 4), field_u16(*b, 6))
                    : format_addr(a);
    } else {
      out.args += format_addr(a);
    }
  } else if (name != "futex" && c.spec) {
    const auto slots = slots_of(c, p);
    out.args += join_args(c, p, slots, true);
  }
  out.args += ")";
  if (!failed && options_.fd_paths && returns_fd(c)) {
    if (auto path = mem.fd_path(static_cast<int>(retval))) out.ret += "<" + p.quoter().fd_path(*path) + ">";
  }
  if (!failed) {
    // Return value annotations strace adds.
    if ((name == "poll" || name == "ppoll") && retval == 0) out.ret += " (Timeout)";
    if ((name == "poll" || name == "ppoll") && retval > 0) {
      const std::uint64_t n = c.args[1];
      auto b = n <= 1024 ? mem.read(c.args[0], n * 8) : std::nullopt;
      if (b) {
        std::string list;
        for (std::uint64_t k = 0; k < n; ++k) {
          const std::uint16_t rev = field_u16(*b, k * 8 + 6);
          if (!rev) continue;
          list += (list.empty() ? "" : ", ") + fmt::format("{{fd={}, revents={}}}", static_cast<std::int32_t>(field_u32(*b, k * 8)),
                                                         format_flags(tables::kPollEvents, rev));
        }
        out.ret += " ([" + list + "])";
      }
    }
  }
  return out;
}

ExitText SyscallDecoder::no_return(const PendingCall& call) {
  // strace: a call whose decoder still had something to print at exit gets " <unfinished ...>".
  return {call.exit_pending ? " <unfinished ...>)" : ")", "?"};
}

std::string SyscallDecoder::line(const PendingCall& call, const ExitText& exit, std::string_view prefix) {
  return align_return(std::string(prefix) + call.entry_text + exit.args, exit.ret);
}

std::string SyscallDecoder::unfinished(const PendingCall& call) { return call.entry_text + " <unfinished ...>"; }

std::string SyscallDecoder::resumed(const PendingCall& call, const ExitText& exit, std::string_view prefix) {
  return align_return(std::string(prefix) + "<... " + call.name + " resumed>" + exit.args, exit.ret);
}

std::string SyscallDecoder::align_return(std::string before, const std::string& ret) {
  constexpr std::size_t kColumn = 39;
  if (before.size() < kColumn) before.append(kColumn - before.size(), ' ');
  return before + " = " + ret;
}

}  // namespace utrace::decode
