// strace's text of the structs syscalls pass (abbreviated as strace prints them without -v),
// from the raw bytes of the x86-64 layout.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "string_quote.hpp"

namespace utrace::decode {

class StructPrinter {
 public:
  explicit StructPrinter(const StringQuoter& quoter) : quoter_(quoter) {}

  static std::string stat(std::string_view b);        // {st_mode=S_IFREG|0644, st_size=…, ...}
  static std::string statx(std::string_view b);
  static std::string statfs(std::string_view b);
  static std::string timespec(std::string_view b);    // {tv_sec=0, tv_nsec=1000000}
  static std::string timeval(std::string_view b);     // {tv_sec=0, tv_usec=1000}
  static std::string timezone(std::string_view b);
  static std::string itimerspec(std::string_view b);  // {it_interval={…}, it_value={…}}
  static std::string itimerval(std::string_view b);
  static std::string sigaction(std::string_view b);   // {sa_handler=…, sa_mask=[], sa_flags=…}
  static std::string rlimit(std::string_view b);      // {rlim_cur=8192*1024, rlim_max=…}
  static std::string utsname(std::string_view b);     // {sysname="Linux", nodename="vm", ...}
  static std::string sysinfo(std::string_view b);
  static std::string tms(std::string_view b);
  static std::string rusage(std::string_view b);
  static std::string stack(std::string_view b);       // {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}
  static std::string epoll_event(std::string_view b); // {events=EPOLLIN, data={u32=3, u64=3}}
  // A sigset of `bytes` bytes: [], [USR2], ~[KILL STOP RTMIN RT_1] when more than half is set.
  static std::string sigset(std::string_view b);
  // Wait status as wait4 prints it: [{WIFEXITED(s) && WEXITSTATUS(s) == 0}].
  static std::string wait_status(int status);
  // S_IFREG|0644 (st_mode) and 0644 (a mode_t argument).
  static std::string file_mode(std::uint32_t mode);
  static std::string mode_arg(std::uint32_t mode);
  // A sockaddr of any family, as strace prints it.
  std::string sockaddr(std::string_view b) const;

 private:
  const StringQuoter& quoter_;
};

// Little-endian field readers on a byte view (0 when out of range).
std::uint64_t field_u64(std::string_view b, std::size_t off);
std::uint32_t field_u32(std::string_view b, std::size_t off);
std::uint16_t field_u16(std::string_view b, std::size_t off);

}  // namespace utrace::decode
