// TargetDescription: the x86-64 GNU/Linux target description gdb reads with
// qXfer:features:read:target.xml (gdb's own i386/64bit-core, -sse, -linux, -segments and -avx
// features, inline in one document), and the layout of the `g` packet it implies: each
// register's number, size and where its value comes from (user_regs_struct, the FXSAVE area
// or the XSAVE area).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace utracectl::gdbserver {

enum class RegSource {
  Gpr,     // user_regs_struct field `name` (get_regs), truncated to `size` bytes
  Fxsave,  // `size` bytes at `offset` in the 512-byte FXSAVE area (get_regset "fp")
  Ftag,    // the x87 tag word, rebuilt from FXSAVE's abridged one
  Xstate,  // `size` bytes at `offset` in the XSAVE area (get_regset "xstate"), AVX upper halves
};

struct RegisterInfo {
  std::string name;
  std::size_t size = 0;  // bytes in the g packet
  RegSource source = RegSource::Gpr;
  std::size_t offset = 0;  // Fxsave / Xstate
  std::size_t width = 0;   // Fxsave: bytes in the area (zero-extended to `size`); 0: `size`
};

class TargetDescription {
 public:
  // with_avx: describe (and serve) ymm0h-ymm15h; the XSAVE area must hold them.
  explicit TargetDescription(bool with_avx);

  const std::string& xml() const { return xml_; }
  const std::vector<RegisterInfo>& registers() const { return regs_; }
  int number_of(std::string_view name) const;  // -1 if unknown
  bool with_avx() const { return with_avx_; }

 private:
  bool with_avx_;
  std::string xml_;
  std::vector<RegisterInfo> regs_;
};

}  // namespace utracectl::gdbserver
