// Named constants as strace prints them: flag sets ("O_RDONLY|O_CLOEXEC"), enums ("SEEK_SET",
// unknown ones as "0x3001 /* ARCH_??? */"), signal names and errno names.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "utrace/proto/syscall_table.hpp"

namespace utrace::decode {

struct XlatEntry {
  std::uint64_t value;
  const char* name;
};

// A value set: its entries in strace's print order, and the prefix used for unknown values.
struct XlatTable {
  std::span<const XlatEntry> entries;
  const char* unknown_prefix;  // "ARCH_" → "0x3001 /* ARCH_??? */"
};

// Tables of the shared syscall table's Xlat ids, and a few more the decoder uses on its own.
const XlatTable& table(utrace::proto::sys::Xlat id);
namespace tables {
extern const XlatTable kOpenAccess, kFdFlags, kSigactFlags, kPollEvents, kEpollEvents, kStatxAttrs,
    kSsFlags, kFutexCmd, kPrctl, kIoctl, kIpProto, kSockoptSocket, kSockoptTcp, kSockoptIp,
    kSockoptIpv6, kModeType, kFaccessatFlags, kUnlinkatFlags, kStatxFlags, kFsMagic, kStatfsFlags,
    kCap;
}

// Bits by name, in table order, remaining bits as "|0x…", "0" when nothing is set.
std::string format_flags(const XlatTable& t, std::uint64_t value);
// One value by name, else "0x… /* PREFIX??? */" (decimal for small values as strace does).
std::string format_enum(const XlatTable& t, std::uint64_t value);
// The name alone, or nullptr.
const char* find_name(const XlatTable& t, std::uint64_t value);
// O_RDONLY|O_CLOEXEC: the access mode, then the other open flags.
std::string format_open_flags(std::uint64_t value);

// "SIGCHLD", "SIGRTMIN", "SIGRT_1"; an unknown number in decimal.
std::string signal_name(int signo);
// The name without "SIG" as in a sigset ("CHLD", "RT_1").
std::string signal_short_name(int signo);
// "ENOENT"; internal ones too ("ERESTARTSYS"); nullptr if unknown.
const char* errno_name(int err);
// strerror text ("No such file or directory"), internal ones as strace describes them.
std::string errno_text(int err);

}  // namespace utrace::decode
