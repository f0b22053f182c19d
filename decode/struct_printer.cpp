#include "struct_printer.hpp"

#include <arpa/inet.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "xlat.hpp"

namespace utrace::decode {

std::uint64_t field_u64(std::string_view b, std::size_t off) {
  std::uint64_t v = 0;
  if (off + 8 <= b.size()) std::memcpy(&v, b.data() + off, 8);
  return v;
}
std::uint32_t field_u32(std::string_view b, std::size_t off) {
  std::uint32_t v = 0;
  if (off + 4 <= b.size()) std::memcpy(&v, b.data() + off, 4);
  return v;
}
std::uint16_t field_u16(std::string_view b, std::size_t off) {
  std::uint16_t v = 0;
  if (off + 2 <= b.size()) std::memcpy(&v, b.data() + off, 2);
  return v;
}

namespace {
std::int64_t s64(std::string_view b, std::size_t off) {
  return static_cast<std::int64_t>(field_u64(b, off));
}
std::string makedev(std::uint64_t dev) {
  const std::uint64_t major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffULL);
  const std::uint64_t minor = (dev & 0xff) | ((dev >> 12) & ~0xffULL);
  return fmt::format("makedev({:#x}, {:#x})", major, minor);
}
std::string ts_at(std::string_view b, std::size_t off) {
  return fmt::format("{{tv_sec={}, tv_nsec={}}}", s64(b, off), s64(b, off + 8));
}
std::string tv_at(std::string_view b, std::size_t off) {
  return fmt::format("{{tv_sec={}, tv_usec={}}}", s64(b, off), s64(b, off + 8));
}
std::string rlim(std::uint64_t v) {
  if (v == ~0ULL) return "RLIM64_INFINITY";
  if (v > 1024 && v % 1024 == 0) return fmt::format("{}*1024", v / 1024);
  return fmt::format("{}", v);
}
// strace's fixed-size char array: the string up to its NUL.
std::string char_array(std::string_view b, std::size_t off, std::size_t len) {
  std::string_view f = b.substr(std::min(off, b.size()), len);
  return std::string(f.substr(0, f.find('\0')));
}
}  // namespace

std::string StructPrinter::mode_arg(std::uint32_t mode) {
  // strace's "%#03o": 0644, 027, 000.
  char buf[16];
  std::snprintf(buf, sizeof buf, "%#03o", mode);
  return buf;
}

std::string StructPrinter::file_mode(std::uint32_t mode) {
  std::string out;
  if (const char* type = find_name(tables::kModeType, mode & 0170000)) out = type;
  else out = fmt::format("{:#o}", mode & 0170000);
  if (mode & 04000) out += "|S_ISUID";
  if (mode & 02000) out += "|S_ISGID";
  if (mode & 01000) out += "|S_ISVTX";
  return out + fmt::format("|0{:03o}", mode & 0777);
}

std::string StructPrinter::stat(std::string_view b) {
  const std::uint32_t mode = field_u32(b, 24);
  const std::uint32_t type = mode & 0170000;
  std::string out = "{st_mode=" + file_mode(mode);
  if (type == 020000 || type == 060000) out += ", st_rdev=" + makedev(field_u64(b, 40));
  else out += fmt::format(", st_size={}", s64(b, 48));
  return out + ", ...}";
}

std::string StructPrinter::statx(std::string_view b) {
  std::string out = "{stx_mask=" + format_flags(table(utrace::proto::sys::Xlat::StatxMask),
                                                field_u32(b, 0));
  out += ", stx_attributes=" + format_flags(tables::kStatxAttrs, field_u64(b, 8));
  out += ", stx_mode=" + file_mode(field_u16(b, 28));
  out += fmt::format(", stx_size={}, ...}}", field_u64(b, 40));
  return out;
}

// printf's %#x: "0" for zero.
static std::string c_hex(std::uint64_t v) { return v ? fmt::format("{:#x}", v) : std::string("0"); }

std::string StructPrinter::statfs(std::string_view b) {
  // f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid, f_namelen, f_frsize,
  // f_flags; strace prints them all (f_type by name when known, else in hex).
  const std::uint64_t type = field_u64(b, 0);
  const char* type_name = find_name(tables::kFsMagic, type);
  return fmt::format(
      "{{f_type={}, f_bsize={}, f_blocks={}, f_bfree={}, f_bavail={}, f_files={}, f_ffree={}, "
      "f_fsid={{val=[{}, {}]}}, f_namelen={}, f_frsize={}, f_flags={}}}",
      type_name ? std::string(type_name) : fmt::format("{:#x}", type), field_u64(b, 8),
      field_u64(b, 16), field_u64(b, 24), field_u64(b, 32), field_u64(b, 40), field_u64(b, 48),
      c_hex(field_u32(b, 56)), c_hex(field_u32(b, 60)), field_u64(b, 64), field_u64(b, 72),
      format_flags(tables::kStatfsFlags, field_u64(b, 80)));
}

std::string StructPrinter::timespec(std::string_view b) { return ts_at(b, 0); }
std::string StructPrinter::timeval(std::string_view b) { return tv_at(b, 0); }
std::string StructPrinter::timezone(std::string_view b) {
  return fmt::format("{{tz_minuteswest={}, tz_dsttime={}}}", static_cast<std::int32_t>(field_u32(b, 0)),
                     static_cast<std::int32_t>(field_u32(b, 4)));
}
std::string StructPrinter::itimerspec(std::string_view b) {
  return "{it_interval=" + ts_at(b, 0) + ", it_value=" + ts_at(b, 16) + "}";
}
std::string StructPrinter::itimerval(std::string_view b) {
  return "{it_interval=" + tv_at(b, 0) + ", it_value=" + tv_at(b, 16) + "}";
}

std::string StructPrinter::sigset(std::string_view b) {
  int total = static_cast<int>(b.size() * 8);
  if (total > 64) total = 64;
  int set = 0;
  for (int s = 1; s <= total; ++s)
    if ((static_cast<unsigned char>(b[(s - 1) / 8]) >> ((s - 1) % 8)) & 1) ++set;
  // strace prints the complement when more than half of the signals are in the set.
  const bool invert = set * 2 > total;
  std::string out = invert ? "~[" : "[";
  bool first = true;
  for (int s = 1; s <= total; ++s) {
    const bool in = (static_cast<unsigned char>(b[(s - 1) / 8]) >> ((s - 1) % 8)) & 1;
    if (in == invert) continue;
    if (!first) out += ' ';
    first = false;
    out += signal_short_name(s);
  }
  return out + "]";
}

std::string StructPrinter::sigaction(std::string_view b) {
  const std::uint64_t handler = field_u64(b, 0);
  const std::uint64_t flags = field_u64(b, 8);
  std::string out = "{sa_handler=";
  if (handler == 0) out += "SIG_DFL";
  else if (handler == 1) out += "SIG_IGN";
  else out += fmt::format("{:#x}", handler);
  out += ", sa_mask=" + sigset(b.substr(std::min<std::size_t>(24, b.size()), 8));
  out += ", sa_flags=" + format_flags(tables::kSigactFlags, flags);
  if (flags & 0x04000000) out += fmt::format(", sa_restorer={:#x}", field_u64(b, 16));
  return out + "}";
}

std::string StructPrinter::rlimit(std::string_view b) {
  return "{rlim_cur=" + rlim(field_u64(b, 0)) + ", rlim_max=" + rlim(field_u64(b, 8)) + "}";
}

std::string StructPrinter::utsname(std::string_view b) {
  return fmt::format("{{sysname=\"{}\", nodename=\"{}\", ...}}", char_array(b, 0, 65),
                     char_array(b, 65, 65));
}

std::string StructPrinter::sysinfo(std::string_view b) {
  return fmt::format(
      "{{uptime={}, loads=[{}, {}, {}], totalram={}, freeram={}, sharedram={}, bufferram={}, "
      "totalswap={}, freeswap={}, procs={}, totalhigh={}, freehigh={}, mem_unit={}}}",
      s64(b, 0), field_u64(b, 8), field_u64(b, 16), field_u64(b, 24), field_u64(b, 32),
      field_u64(b, 40), field_u64(b, 48), field_u64(b, 56), field_u64(b, 64), field_u64(b, 72),
      field_u16(b, 80), field_u64(b, 88), field_u64(b, 96), field_u32(b, 104));
}

std::string StructPrinter::tms(std::string_view b) {
  return fmt::format("{{tms_utime={}, tms_stime={}, tms_cutime={}, tms_cstime={}}}", s64(b, 0),
                     s64(b, 8), s64(b, 16), s64(b, 24));
}

std::string StructPrinter::rusage(std::string_view b) {
  return "{ru_utime=" + tv_at(b, 0) + ", ru_stime=" + tv_at(b, 16) + ", ...}";
}

std::string StructPrinter::stack(std::string_view b) {
  const std::uint64_t sp = field_u64(b, 0);
  return fmt::format("{{ss_sp={}, ss_flags={}, ss_size={}}}", format_addr(sp),
                     format_flags(tables::kSsFlags, field_u32(b, 8)), field_u64(b, 16));
}

std::string StructPrinter::epoll_event(std::string_view b) {
  const std::uint64_t data = field_u64(b, 4);
  return fmt::format("{{events={}, data={{u32={}, u64={}}}}}",
                     format_flags(tables::kEpollEvents, field_u32(b, 0)),
                     static_cast<std::uint32_t>(data), data);
}

std::string StructPrinter::wait_status(int status) {
  std::string s;
  if (WIFEXITED(status)) {
    s = fmt::format("WIFEXITED(s) && WEXITSTATUS(s) == {}", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    s = fmt::format("WIFSIGNALED(s) && WTERMSIG(s) == {}", signal_name(WTERMSIG(status)));
    if (WCOREDUMP(status)) s += " && WCOREDUMP(s)";
  } else if (WIFSTOPPED(status)) {
    s = fmt::format("WIFSTOPPED(s) && WSTOPSIG(s) == {}", signal_name(WSTOPSIG(status)));
    if (status >> 16) s += fmt::format(" && (s >> 16) == {:#x}", status >> 16);
  } else if (WIFCONTINUED(status)) {
    s = "WIFCONTINUED(s)";
  } else {
    s = fmt::format("{:#x}", status);
  }
  return "[{" + s + "}]";
}

std::string StructPrinter::sockaddr(std::string_view b) const {
  const std::uint16_t family = field_u16(b, 0);
  std::string out = "{sa_family=" + format_enum(table(utrace::proto::sys::Xlat::Domain), family);
  if (family == AF_INET && b.size() >= 8) {
    char ip[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, b.data() + 4, ip, sizeof ip);
    out += fmt::format(", sin_port=htons({}), sin_addr=inet_addr(\"{}\")",
                       ntohs(field_u16(b, 2)), ip);
  } else if (family == AF_INET6 && b.size() >= 24) {
    char ip[INET6_ADDRSTRLEN] = {};
    inet_ntop(AF_INET6, b.data() + 8, ip, sizeof ip);
    out += fmt::format(", sin6_port=htons({}), sin6_flowinfo=htonl({}), inet_pton(AF_INET6, "
                       "\"{}\", &sin6_addr), sin6_scope_id={}",
                       ntohs(field_u16(b, 2)), ntohl(field_u32(b, 4)), ip, field_u32(b, 24));
  } else if (family == AF_UNIX) {
    std::string_view path = b.size() > 2 ? b.substr(2) : std::string_view{};
    if (!path.empty() && path[0] == '\0') {
      // An abstract socket: strace shows it with a leading '@'.
      out += ", sun_path=@" + quoter_.quote(path.substr(1, path.substr(1).find('\0')));
    } else if (!path.empty()) {
      out += ", sun_path=" + quoter_.quote(path.substr(0, path.find('\0')));
    }
  } else if (b.size() > 2) {
    out += ", sa_data=" + quoter_.quote(b.substr(2));
  }
  return out + "}";
}

}  // namespace utrace::decode
