#include "arg_printer.hpp"

#include <fmt/format.h>

#include <ctime>

#include "xlat.hpp"

namespace utrace::decode {

using utrace::proto::sys::Arg;
using utrace::proto::sys::ArgSpec;
using utrace::proto::sys::StructType;
using utrace::proto::sys::Xlat;

namespace {
constexpr std::uint64_t kOCreat = 0100, kOTmpfile = 020000000;
constexpr std::int32_t kAtFdcwd = -100;
constexpr std::size_t kMaxArray = 1024;  // elements read at most from an argv or an array

std::int32_t as_int(std::uint64_t v) { return static_cast<std::int32_t>(static_cast<std::uint32_t>(v)); }
std::string hex(std::uint64_t v) { return v == 0 ? std::string("0") : fmt::format("{:#x}", v); }
}  // namespace

ArgPrinter::ArgPrinter(const DecodeOptions& options, MemorySource& mem, const PendingCall& call,
                       std::optional<std::int64_t> retval)
    : options_(options), mem_(mem), call_(call), retval_(retval), quoter_(options),
      structs_(quoter_) {}

bool ArgPrinter::printed_at_exit(Arg kind) {
  switch (kind) {
    case Arg::BufOut: case Arg::RandOut: case Arg::PathOut: case Arg::StructOut:
    case Arg::Remaining: case Arg::SigsetOut: case Arg::IovecOut: case Arg::SockaddrOut:
    case Arg::SockoptOut: case Arg::FdPairOut: case Arg::IntOut: case Arg::IdOut:
    case Arg::UintOut: case Arg::WaitStatus: case Arg::EpollOut: case Arg::Dirents:
    case Arg::CpuSetOut: case Arg::IoctlArg: case Arg::SocklenInOut:
      return true;
    default:
      return false;
  }
}

bool ArgPrinter::printed(std::size_t i, ArgSpec spec) const {
  if (spec.kind == Arg::Skip) return false;
  if (spec.kind == Arg::OpenMode) return (arg(spec.aux) & (kOCreat | kOTmpfile)) != 0;
  return i < 6;
}

std::string ArgPrinter::flags(std::size_t i, Xlat x) const {
  const std::uint64_t v = arg(i);
  const std::string_view name = call_.name;
  switch (x) {
    case Xlat::Open:
      if (name == "open" || name == "openat" || name == "mq_open") return format_open_flags(v);
      return format_flags(table(x), v);
    case Xlat::At:
      if (name == "faccessat2") return format_flags(tables::kFaccessatFlags, v);
      if (name == "unlinkat") return format_flags(tables::kUnlinkatFlags, v);
      if (name == "statx") {
        const std::uint64_t sync = v & 0x6000;
        std::string out = sync == 0x2000   ? "AT_STATX_FORCE_SYNC"
                          : sync == 0x4000 ? "AT_STATX_DONT_SYNC"
                          : sync == 0      ? "AT_STATX_SYNC_AS_STAT"
                                           : "AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC";
        if (v & ~std::uint64_t{0x6000}) out += "|" + format_flags(tables::kStatxFlags, v & ~std::uint64_t{0x6000});
        return out;
      }
      return format_flags(table(x), v);
    case Xlat::Access:
      return v == 0 ? std::string("F_OK") : format_flags(table(x), v);
    case Xlat::Prot:
      return v == 0 ? std::string("PROT_NONE") : format_flags(table(x), v);
    case Xlat::Map: {
      static constexpr const char* kTypes[] = {nullptr, "MAP_SHARED", "MAP_PRIVATE", "MAP_SHARED_VALIDATE"};
      const std::uint64_t type = v & 0xf;
      std::string out = type < 4 && kTypes[type] ? kTypes[type] : fmt::format("{:#x} /* MAP_??? */", type);
      if (v & ~std::uint64_t{0xf}) out += "|" + format_flags(table(x), v & ~std::uint64_t{0xf});
      return out;
    }
    case Xlat::SockType: {
      static const XlatEntry e[] = {{02000000, "SOCK_CLOEXEC"}, {04000, "SOCK_NONBLOCK"}};
      static const XlatTable sock_flags{e, "SOCK_"};
      if (name == "accept4") return format_flags(sock_flags, v);
      std::string out = format_enum(table(x), v & 0xf);
      if (v & ~std::uint64_t{0xf}) out += "|" + format_flags(sock_flags, v & ~std::uint64_t{0xf});
      return out;
    }
    case Xlat::Clone: {
      const std::uint64_t sig = v & 0xff;
      std::string out = (v & ~std::uint64_t{0xff}) ? format_flags(table(x), v & ~std::uint64_t{0xff}) : "";
      if (sig) out += (out.empty() ? "" : "|") + signal_name(static_cast<int>(sig));
      return out.empty() ? "0" : out;
    }
    default:
      return format_flags(table(x), v);
  }
}

std::string ArgPrinter::int_in_brackets(std::uint64_t addr, bool is_signed) const {
  if (addr == 0) return "NULL";
  auto b = mem_.read(addr, 4);
  if (!b) return format_addr(addr);
  const std::uint32_t v = field_u32(*b, 0);
  return is_signed ? fmt::format("[{}]", static_cast<std::int32_t>(v)) : fmt::format("[{}]", v);
}

std::string ArgPrinter::struct_at(std::uint64_t addr, StructType type) const {
  if (addr == 0) return "NULL";
  auto b = mem_.read(addr, utrace::proto::sys::struct_size(type));
  if (!b) return format_addr(addr);
  switch (type) {
    case StructType::Stat: return StructPrinter::stat(*b);
    case StructType::Statx: return StructPrinter::statx(*b);
    case StructType::Statfs: return StructPrinter::statfs(*b);
    case StructType::Timespec: return StructPrinter::timespec(*b);
    case StructType::Timeval: return StructPrinter::timeval(*b);
    case StructType::Timezone: return StructPrinter::timezone(*b);
    case StructType::Itimerval: return StructPrinter::itimerval(*b);
    case StructType::Itimerspec: return StructPrinter::itimerspec(*b);
    case StructType::Sigaction: return StructPrinter::sigaction(*b);
    case StructType::Rlimit: return StructPrinter::rlimit(*b);
    case StructType::Utsname: return StructPrinter::utsname(*b);
    case StructType::Sysinfo: return StructPrinter::sysinfo(*b);
    case StructType::Tms: return StructPrinter::tms(*b);
    case StructType::Rusage: return StructPrinter::rusage(*b);
    case StructType::Stack: return StructPrinter::stack(*b);
    case StructType::EpollEvent: return StructPrinter::epoll_event(*b);
    case StructType::Loff: return fmt::format("[{}]", static_cast<std::int64_t>(field_u64(*b, 0)));
    case StructType::Msghdr: return msghdr(addr, retval_ && !failed() ? std::optional<std::uint64_t>(*retval_) : std::nullopt);
    default: return format_addr(addr);
  }
}

std::string ArgPrinter::iovec_array(std::uint64_t addr, std::uint64_t count,
                                    std::optional<std::uint64_t> data_limit) const {
  if (addr == 0) return "NULL";
  if (count > kMaxArray) return format_addr(addr);
  auto b = mem_.read(addr, count * 16);
  if (!b) return format_addr(addr);
  std::string out = "[";
  std::uint64_t left = data_limit.value_or(~0ULL);
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::uint64_t base = field_u64(*b, k * 16), len = field_u64(*b, k * 16 + 8);
    const std::uint64_t shown = std::min(len, left);
    left -= shown;
    if (k) out += ", ";
    out += "{iov_base=" + quoter_.buffer(mem_, base, shown) + fmt::format(", iov_len={}}}", len);
  }
  return out + "]";
}

std::string ArgPrinter::msghdr(std::uint64_t addr, std::optional<std::uint64_t> data_limit) const {
  if (addr == 0) return "NULL";
  auto b = mem_.read(addr, 56);
  if (!b) return format_addr(addr);
  const std::uint64_t name = field_u64(*b, 0);
  const std::uint32_t namelen = field_u32(*b, 8);
  std::string out = "{msg_name=";
  if (name == 0) {
    out += "NULL";
  } else if (auto sa = mem_.read(name, namelen)) {
    out += structs_.sockaddr(*sa);
  } else {
    out += format_addr(name);
  }
  out += fmt::format(", msg_namelen={}, msg_iov=", namelen);
  out += iovec_array(field_u64(*b, 16), field_u64(*b, 24), data_limit);
  out += fmt::format(", msg_iovlen={}", field_u64(*b, 24));
  const std::uint64_t control = field_u64(*b, 32), controllen = field_u64(*b, 40);
  if (controllen) out += fmt::format(", msg_control={}", format_addr(control));
  out += fmt::format(", msg_controllen={}, msg_flags={}}}", controllen,
                     format_flags(table(Xlat::Msg), field_u32(*b, 48)));
  return out;
}

std::string ArgPrinter::fd(std::uint64_t v, bool dirfd) const {
  const std::int32_t n = as_int(v);
  std::string out = dirfd && n == kAtFdcwd ? std::string("AT_FDCWD") : fmt::format("{}", n);
  if (options_.fd_paths && (n >= 0 || (dirfd && n == kAtFdcwd))) {
    if (auto path = mem_.fd_path(n)) out += "<" + quoter_.fd_path(*path) + ">";
  }
  return out;
}

std::string ArgPrinter::print(std::size_t i, ArgSpec spec) const {
  const std::uint64_t v = arg(i);
  const std::string_view name = call_.name;
  switch (spec.kind) {
    case Arg::Fd: return fd(v);
    case Arg::Int: case Arg::Pid: return fmt::format("{}", as_int(v));
    case Arg::Uint: return fmt::format("{}", static_cast<std::uint32_t>(v));
    case Arg::Long: return fmt::format("{}", static_cast<std::int64_t>(v));
    case Arg::Ulong: return fmt::format("{}", v);
    case Arg::Hex: return hex(v);
    case Arg::Ptr: case Arg::Skip: return format_addr(v);
    case Arg::DirFd: return fd(v, true);
    case Arg::Mode: case Arg::OpenMode:
      if (name == "mknod" || name == "mknodat") return StructPrinter::file_mode(static_cast<std::uint32_t>(v));
      return StructPrinter::mode_arg(static_cast<std::uint32_t>(v));
    case Arg::Id:
      return static_cast<std::uint32_t>(v) == 0xffffffffu ? std::string("-1")
                                                         : fmt::format("{}", static_cast<std::uint32_t>(v));
    case Arg::Signal: return signal_name(as_int(v));
    case Arg::Flags: return flags(i, static_cast<Xlat>(spec.aux));
    case Arg::Enum: {
      const auto x = static_cast<Xlat>(spec.aux);
      if (x == Xlat::Who || x == Xlat::Idtype || x == Xlat::Itimer || x == Xlat::Prio)
        return format_enum(table(x), static_cast<std::uint32_t>(v));
      return format_enum(table(x), v);
    }
    case Arg::Path: return quoter_.path(mem_, v);
    case Arg::String: return quoter_.c_string(mem_, v);
    case Arg::BufIn: return quoter_.buffer(mem_, v, arg(spec.aux));
    case Arg::BufOut: case Arg::RandOut:
      if (failed() || !retval_) return format_addr(v);
      return quoter_.buffer(mem_, v, static_cast<std::uint64_t>(*retval_), spec.kind == Arg::RandOut);
    case Arg::PathOut:
      if (failed()) return format_addr(v);
      return quoter_.path(mem_, v);
    case Arg::StructIn: return struct_at(v, static_cast<StructType>(spec.aux));
    case Arg::StructInOut: return struct_at(v, static_cast<StructType>(spec.aux));
    case Arg::StructOut:
      if (failed()) return format_addr(v);
      return struct_at(v, static_cast<StructType>(spec.aux));
    case Arg::Remaining: {
      const bool restart = retval_ && *retval_ <= -512 && *retval_ >= -516 && *retval_ != -515;
      const bool absolute = name == "clock_nanosleep" && (arg(1) & 1);
      if (restart && !absolute) return struct_at(v, StructType::Timespec);
      return format_addr(v);
    }
    case Arg::SigsetIn: case Arg::SigsetOut: {
      if (spec.kind == Arg::SigsetOut && failed()) return format_addr(v);
      if (v == 0) return "NULL";
      const std::uint64_t size = arg(spec.aux);
      if (size == 0 || size > 128) return format_addr(v);
      auto b = mem_.read(v, size);
      return b ? StructPrinter::sigset(*b) : format_addr(v);
    }
    case Arg::IovecIn: return iovec_array(v, arg(spec.aux), std::nullopt);
    case Arg::IovecOut:
      if (failed()) return format_addr(v);
      return iovec_array(v, arg(spec.aux), static_cast<std::uint64_t>(retval_.value_or(0)));
    case Arg::SockaddrIn: {
      if (v == 0) return "NULL";
      auto b = mem_.read(v, arg(spec.aux));
      return b ? structs_.sockaddr(*b) : format_addr(v);
    }
    case Arg::SockaddrOut: {
      if (v == 0) return "NULL";
      if (failed()) return format_addr(v);
      auto len = mem_.read(arg(spec.aux), 4);
      if (!len) return format_addr(v);
      std::uint64_t n = field_u32(*len, 0);
      if (auto in = call_.entry_values[spec.aux]) n = std::min<std::uint64_t>(n, static_cast<std::uint64_t>(*in));
      auto b = mem_.read(v, n);
      return b ? structs_.sockaddr(*b) : format_addr(v);
    }
    case Arg::SocklenInOut: {
      if (v == 0) return "NULL";
      const auto in = call_.entry_values[i];
      auto out = failed() ? std::nullopt : mem_.read(v, 4);
      if (!out) return in ? fmt::format("[{}]", *in) : format_addr(v);
      const auto n = static_cast<std::int32_t>(field_u32(*out, 0));
      if (!in || *in == n) return fmt::format("[{}]", n);
      return fmt::format("[{} => {}]", *in, n);
    }
    case Arg::SockProto: {
      const auto domain = static_cast<std::uint32_t>(arg(spec.aux));
      if (domain == 2 || domain == 10) return format_enum(tables::kIpProto, static_cast<std::uint32_t>(v));
      return fmt::format("{}", as_int(v));
    }
    case Arg::SockoptName: {
      const auto level = static_cast<std::uint32_t>(arg(spec.aux));
      const XlatTable* t = level == 1 ? &tables::kSockoptSocket : level == 6 ? &tables::kSockoptTcp
                           : level == 0 ? &tables::kSockoptIp : level == 41 ? &tables::kSockoptIpv6
                                        : nullptr;
      if (t) return format_enum(*t, static_cast<std::uint32_t>(v));
      return fmt::format("{}", as_int(v));
    }
    case Arg::SockoptIn:
      if (arg(spec.aux) == 4) return int_in_brackets(v);
      return quoter_.buffer(mem_, v, arg(spec.aux));
    case Arg::SockoptOut: {
      if (failed()) return format_addr(v);
      auto len = mem_.read(arg(spec.aux), 4);
      if (len && field_u32(*len, 0) == 4) return int_in_brackets(v);
      return format_addr(v);
    }
    case Arg::FdPairOut: {
      if (failed()) return format_addr(v);
      auto b = mem_.read(v, 8);
      if (!b) return format_addr(v);
      return fmt::format("[{}, {}]", fd(field_u32(*b, 0)), fd(field_u32(*b, 4)));
    }
    case Arg::IntOut: return failed() ? format_addr(v) : int_in_brackets(v);
    case Arg::UintOut: return failed() ? format_addr(v) : int_in_brackets(v, false);
    case Arg::IdOut: {
      if (failed()) return format_addr(v);
      auto b = v ? mem_.read(v, 4) : std::nullopt;
      if (!b) return format_addr(v);
      const std::uint32_t id = field_u32(*b, 0);
      return id == 0xffffffffu ? std::string("[-1]") : fmt::format("[{}]", id);
    }
    case Arg::WaitStatus: {
      if (v == 0) return "NULL";
      if (failed() || retval_.value_or(0) == 0) return format_addr(v);
      auto b = mem_.read(v, 4);
      return b ? StructPrinter::wait_status(static_cast<int>(field_u32(*b, 0))) : format_addr(v);
    }
    case Arg::Argv: {
      if (v == 0) return "NULL";
      std::string out = "[";
      for (std::size_t k = 0; k < kMaxArray; ++k) {
        auto p = mem_.read(v + 8 * k, 8);
        if (!p) return k == 0 ? format_addr(v) : out + "...]";
        const std::uint64_t s = field_u64(*p, 0);
        if (s == 0) return out + "]";
        if (k == options_.max_strlen) return out + ", ...]";
        if (k) out += ", ";
        out += quoter_.c_string(mem_, s);
      }
      return out + "...]";
    }
    case Arg::Envp: {
      if (v == 0) return "NULL";
      std::size_t n = 0;
      for (; n < 65536; ++n) {
        auto p = mem_.read(v + 8 * n, 8);
        if (!p) return format_addr(v);
        if (field_u64(*p, 0) == 0) break;
      }
      return fmt::format("{:#x} /* {} var{} */", v, n, n == 1 ? "" : "s");
    }
    case Arg::PollFds: {
      const std::uint64_t n = arg(spec.aux);
      if (v == 0) return "NULL";
      auto b = n <= kMaxArray ? mem_.read(v, n * 8) : std::nullopt;
      if (!b) return format_addr(v);
      std::string out = "[";
      for (std::uint64_t k = 0; k < n; ++k) {
        if (k) out += ", ";
        out += fmt::format("{{fd={}, events={}}}", static_cast<std::int32_t>(field_u32(*b, k * 8)),
                           format_flags(tables::kPollEvents, field_u16(*b, k * 8 + 4)));
      }
      return out + "]";
    }
    case Arg::EpollOut: {
      if (failed()) return format_addr(v);
      const auto n = static_cast<std::uint64_t>(retval_.value_or(0));
      auto b = n <= kMaxArray ? mem_.read(v, n * 12) : std::nullopt;
      if (!b) return format_addr(v);
      std::string out = "[";
      for (std::uint64_t k = 0; k < n; ++k)
        out += (k ? ", " : "") + StructPrinter::epoll_event(std::string_view(*b).substr(k * 12, 12));
      return out + "]";
    }
    case Arg::Dirents: {
      if (failed()) return format_addr(v);
      const auto n = static_cast<std::uint64_t>(retval_.value_or(0));
      if (n == 0) return fmt::format("{:#x} /* 0 entries */", v);
      auto b = mem_.read(v, n);
      if (!b) return format_addr(v);
      std::size_t count = 0;
      for (std::uint64_t off = 0; off + 18 <= n; ++count) {
        const std::uint16_t reclen = field_u16(*b, off + 16);
        if (reclen == 0) break;
        off += reclen;
      }
      return fmt::format("{:#x} /* {} entries */", v, count);
    }
    case Arg::CpuSetIn: case Arg::CpuSetOut: {
      if (spec.kind == Arg::CpuSetOut && failed()) return format_addr(v);
      const std::uint64_t n = spec.kind == Arg::CpuSetOut ? static_cast<std::uint64_t>(retval_.value_or(0)) : arg(spec.aux);
      auto b = n <= 8192 ? mem_.read(v, n) : std::nullopt;
      if (!b) return format_addr(v);
      std::string out = "[";
      bool first = true;
      for (std::uint64_t bit = 0; bit < n * 8; ++bit) {
        if ((static_cast<unsigned char>((*b)[bit / 8]) >> (bit % 8)) & 1) {
          out += (first ? "" : " ") + std::to_string(bit);
          first = false;
        }
      }
      return out + "]";
    }
    case Arg::TimespecPair: {
      if (v == 0) return "NULL";
      auto b = mem_.read(v, 32);
      if (!b) return format_addr(v);
      auto one = [&](std::size_t off) {
        const auto nsec = static_cast<std::int64_t>(field_u64(*b, off + 8));
        if (nsec == (1 << 30) - 1) return std::string("UTIME_NOW");
        if (nsec == (1 << 30) - 2) return std::string("UTIME_OMIT");
        // strace's comment: the time in ISO 8601, local time ("2023-11-14T22:13:20+0000").
        const auto sec = static_cast<std::time_t>(field_u64(*b, off));
        std::string text = StructPrinter::timespec(std::string_view(*b).substr(off, 16));
        std::tm tm{};
        if (::localtime_r(&sec, &tm)) {
          char day[64], zone[16];
          std::strftime(day, sizeof day, "%FT%T", &tm);
          std::strftime(zone, sizeof zone, "%z", &tm);
          text += fmt::format(" /* {}{}{} */", day,
                              nsec ? fmt::format(".{:09}", nsec) : std::string(), zone);
        }
        return text;
      };
      return "[" + one(0) + ", " + one(16) + "]";
    }
    case Arg::IoctlCmd: {
      if (const char* n = find_name(tables::kIoctl, static_cast<std::uint32_t>(v))) return n;
      return hex(static_cast<std::uint32_t>(v));
    }
    default:
      return hex(v);
  }
}

}  // namespace utrace::decode
