// Decodes one syscall as strace prints it: the text known at entry (for "<unfinished ...>"),
// the rest at exit, and the return value. Pure: memory comes from a MemorySource.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "memory_source.hpp"
#include "utrace/proto/syscall_table.hpp"

namespace utrace::decode {

// A syscall between its entry and its exit.
struct PendingCall {
  std::int64_t nr = -1;
  std::array<std::uint64_t, 6> args{};
  const utrace::proto::sys::SyscallSpec* spec = nullptr;  // nullptr: unknown syscall
  std::string name;        // "openat", "syscall_0x1c8" for an unknown number
  std::string entry_text;  // "read(3, ", "openat(AT_FDCWD, \"/etc/x\", O_RDONLY"
  // Values read at entry that the exit needs (the socklen_t in "[128 => 16]").
  std::array<std::optional<std::int64_t>, 6> entry_values{};
  // exit() prints arguments still (strace's "not RVAL_DECODED" at entry): a call that never
  // returns then ends " <unfinished ...>) = ?".
  bool exit_pending = false;
};

// The part printed at exit.
struct ExitText {
  std::string args;  // the remaining arguments and ")": "\"…\"..., 832)"
  std::string ret;   // after "= ": "832", "-1 ENOENT (No such file or directory)", "?"
};

class SyscallDecoder {
 public:
  explicit SyscallDecoder(DecodeOptions options = {}) : options_(options) {}

  // At syscall entry: reads the in-arguments from `mem` (memory as it is at the entry stop).
  PendingCall enter(std::int64_t nr, const std::array<std::uint64_t, 6>& args,
                    MemorySource& mem) const;
  // At syscall exit: reads the out-arguments from `mem` (memory as it is at the exit stop).
  ExitText exit(const PendingCall& call, std::int64_t retval, MemorySource& mem) const;
  // For a syscall that never returns (exit_group, or the thread died): "= ?", with
  // " <unfinished ...>" first when exit() would have printed arguments.
  static ExitText no_return(const PendingCall& call);

  // prefix + "openat(AT_FDCWD, \"x\", O_RDONLY) = 3", aligned as strace does (the prefix is
  // the "PID " or "[pid N] " the printer puts first; it counts for the column).
  static std::string line(const PendingCall& call, const ExitText& exit, std::string_view prefix = {});
  // "read(3,  <unfinished ...>"
  static std::string unfinished(const PendingCall& call);
  // "<... read resumed>\"…\", 832) = 832"
  static std::string resumed(const PendingCall& call, const ExitText& exit, std::string_view prefix = {});
  // strace's alignment: `before` (including any "[pid N] " prefix) padded to column 39, then
  // " = " and the return value.
  static std::string align_return(std::string before, const std::string& ret);

  const DecodeOptions& options() const { return options_; }

 private:
  DecodeOptions options_;
};

// The return value alone, as strace prints it for a syscall of this spec (errno names, hex for
// mmap, octal for umask). Exposed for the printers of unknown calls.
std::string format_return(const utrace::proto::sys::SyscallSpec* spec, std::int64_t retval);

}  // namespace utrace::decode
