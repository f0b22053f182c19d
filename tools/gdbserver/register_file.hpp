// RegisterFile: a held thread's registers in gdb's `g` packet layout (TargetDescription),
// read through get_regs / get_regset ("fp": FXSAVE, "xstate": XSAVE for the AVX halves) and
// written back through set_regs / set_regset. Values are cached in the ThreadState until the
// thread runs again.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "target_description.hpp"
#include "thread_registry.hpp"
#include "utrace/client_sync.hpp"

namespace utracectl::gdbserver {

class RegisterFile {
 public:
  RegisterFile(utrace::client::Client& client, utrace::client::EngineId engine,
               const TargetDescription& tdesc)
      : client_(client), engine_(engine), tdesc_(tdesc) {}

  // All registers, raw little-endian bytes in g order. Throws ClientError.
  std::string read_all(ThreadState& t);
  // One register's raw bytes; nullopt for an unknown number.
  std::optional<std::string> read_one(ThreadState& t, int regno);
  // G: the whole g image (shorter: only the registers it covers). P: one register.
  void write_all(ThreadState& t, std::string_view bytes);
  bool write_one(ThreadState& t, int regno, std::string_view bytes);

 private:
  std::string value(ThreadState& t, const RegisterInfo& r);
  // Changes the cached areas / collects the gpr change; flush() sends them.
  void store(ThreadState& t, const RegisterInfo& r, std::string_view bytes);
  void flush(ThreadState& t);
  const std::string& fp(ThreadState& t);
  const std::string& xstate(ThreadState& t);
  std::string get_regset(int tid, const char* set);

  utrace::client::Client& client_;
  utrace::client::EngineId engine_;
  const TargetDescription& tdesc_;
  nlohmann::json gpr_changes_ = nlohmann::json::object();
  bool fp_dirty_ = false;
  bool xstate_dirty_ = false;
};

}  // namespace utracectl::gdbserver
