// Prints one argument of a syscall by its kind in the shared table (utrace/proto/syscall_table.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "memory_source.hpp"
#include "string_quote.hpp"
#include "struct_printer.hpp"
#include "syscall_decoder.hpp"

namespace utrace::decode {

class ArgPrinter {
 public:
  // `retval` is set at exit, nullopt at entry.
  ArgPrinter(const DecodeOptions& options, MemorySource& mem, const PendingCall& call,
             std::optional<std::int64_t> retval);

  // Argument i, by the kind of the spec.
  std::string print(std::size_t i, utrace::proto::sys::ArgSpec spec) const;
  // Whether argument i of this kind is printed at exit (true) or at entry.
  static bool printed_at_exit(utrace::proto::sys::Arg kind);
  // Whether argument i is printed at all (OpenMode without O_CREAT, Skip).
  bool printed(std::size_t i, utrace::proto::sys::ArgSpec spec) const;

  // Helpers the decoder's special cases use too.
  std::string iovec_array(std::uint64_t addr, std::uint64_t count,
                          std::optional<std::uint64_t> data_limit) const;
  std::string msghdr(std::uint64_t addr, std::optional<std::uint64_t> data_limit) const;
  // An fd argument: "3", "AT_FDCWD", with -y "3</etc/passwd>" (MemorySource::fd_path).
  std::string fd(std::uint64_t v, bool dirfd = false) const;
  std::string int_in_brackets(std::uint64_t addr, bool is_signed = true) const;
  std::string struct_at(std::uint64_t addr, utrace::proto::sys::StructType type) const;
  bool failed() const { return retval_ && *retval_ < 0 && *retval_ >= -4095; }

  const StringQuoter& quoter() const { return quoter_; }
  MemorySource& mem() const { return mem_; }

 private:
  std::uint64_t arg(std::size_t i) const { return call_.args[i]; }
  std::string flags(std::size_t i, utrace::proto::sys::Xlat x) const;

  const DecodeOptions& options_;
  MemorySource& mem_;
  const PendingCall& call_;
  std::optional<std::int64_t> retval_;
  StringQuoter quoter_;
  StructPrinter structs_;
};

}  // namespace utrace::decode
