#include "target_description.hpp"

namespace utracectl::gdbserver {

namespace {

// gdb's features/i386/64bit-core.xml, 64bit-sse.xml, 64bit-linux.xml, 64bit-segments.xml and
// 64bit-avx.xml (the types and flags; the registers are added in the g packet's order).
constexpr const char* kCoreTypes = R"(<feature name="org.gnu.gdb.i386.core">
  <flags id="i386_eflags" size="4">
    <field name="CF" start="0" end="0"/>
    <field name="" start="1" end="1"/>
    <field name="PF" start="2" end="2"/>
    <field name="AF" start="4" end="4"/>
    <field name="ZF" start="6" end="6"/>
    <field name="SF" start="7" end="7"/>
    <field name="TF" start="8" end="8"/>
    <field name="IF" start="9" end="9"/>
    <field name="DF" start="10" end="10"/>
    <field name="OF" start="11" end="11"/>
    <field name="NT" start="14" end="14"/>
    <field name="RF" start="16" end="16"/>
    <field name="VM" start="17" end="17"/>
    <field name="AC" start="18" end="18"/>
    <field name="VIF" start="19" end="19"/>
    <field name="VIP" start="20" end="20"/>
    <field name="ID" start="21" end="21"/>
  </flags>
)";

constexpr const char* kSseTypes = R"(<feature name="org.gnu.gdb.i386.sse">
  <vector id="v8bf16" type="bfloat16" count="8"/>
  <vector id="v4f" type="ieee_single" count="4"/>
  <vector id="v2d" type="ieee_double" count="2"/>
  <vector id="v16i8" type="int8" count="16"/>
  <vector id="v8i16" type="int16" count="8"/>
  <vector id="v4i32" type="int32" count="4"/>
  <vector id="v2i64" type="int64" count="2"/>
  <union id="vec128">
    <field name="v8_bfloat16" type="v8bf16"/>
    <field name="v4_float" type="v4f"/>
    <field name="v2_double" type="v2d"/>
    <field name="v16_int8" type="v16i8"/>
    <field name="v8_int16" type="v8i16"/>
    <field name="v4_int32" type="v4i32"/>
    <field name="v2_int64" type="v2i64"/>
    <field name="uint128" type="uint128"/>
  </union>
  <flags id="i386_mxcsr" size="4">
    <field name="IE" start="0" end="0"/>
    <field name="DE" start="1" end="1"/>
    <field name="ZE" start="2" end="2"/>
    <field name="OE" start="3" end="3"/>
    <field name="UE" start="4" end="4"/>
    <field name="PE" start="5" end="5"/>
    <field name="DAZ" start="6" end="6"/>
    <field name="IM" start="7" end="7"/>
    <field name="DM" start="8" end="8"/>
    <field name="ZM" start="9" end="9"/>
    <field name="OM" start="10" end="10"/>
    <field name="UM" start="11" end="11"/>
    <field name="PM" start="12" end="12"/>
    <field name="FZ" start="15" end="15"/>
  </flags>
)";

std::string reg_xml(const std::string& name, std::size_t bits, const std::string& type,
                    const std::string& group = "") {
  std::string s =
      "  <reg name=\"" + name + "\" bitsize=\"" + std::to_string(bits) + "\" type=\"" + type + "\"";
  if (!group.empty()) s += " group=\"" + group + "\"";
  return s + "/>\n";
}

}  // namespace

TargetDescription::TargetDescription(bool with_avx) : with_avx_(with_avx) {
  auto add = [this](std::string name, std::size_t size, RegSource src, std::size_t offset = 0,
                    std::size_t width = 0) {
    regs_.push_back({std::move(name), size, src, offset, width ? width : size});
  };
  std::string x =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
      "<target>\n<architecture>i386:x86-64</architecture>\n<osabi>GNU/Linux</osabi>\n";
  x += kCoreTypes;
  const char* gprs[] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8",
                        "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip"};
  for (const char* g : gprs) {
    const std::string n = g;
    x += reg_xml(n, 64,
                 n == "rip"                   ? "code_ptr"
                 : (n == "rbp" || n == "rsp") ? "data_ptr"
                                              : "int64");
    add(n, 8, RegSource::Gpr);
  }
  x += reg_xml("eflags", 32, "i386_eflags");
  add("eflags", 4, RegSource::Gpr);
  for (const char* s : {"cs", "ss", "ds", "es", "fs", "gs"}) {
    x += reg_xml(s, 32, "int32");
    add(s, 4, RegSource::Gpr);
  }
  for (int i = 0; i < 8; ++i) {
    x += reg_xml("st" + std::to_string(i), 80, "i387_ext");
    add("st" + std::to_string(i), 10, RegSource::Fxsave, 32 + 16 * i);
  }
  // fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop: 32 bits each in the g packet.
  struct X87 {
    const char* name;
    std::size_t offset, width;
  };
  for (X87 r : {X87{"fctrl", 0, 2},
                {"fstat", 2, 2},
                {"ftag", 4, 1},
                {"fiseg", 12, 2},
                {"fioff", 8, 4},
                {"foseg", 20, 2},
                {"fooff", 16, 4},
                {"fop", 6, 2}}) {
    x += reg_xml(r.name, 32, "int", "float");
    add(r.name, 4, std::string_view(r.name) == "ftag" ? RegSource::Ftag : RegSource::Fxsave,
        r.offset, r.width);
  }
  x += "</feature>\n";
  x += kSseTypes;
  for (int i = 0; i < 16; ++i) {
    x += reg_xml("xmm" + std::to_string(i), 128, "vec128");
    add("xmm" + std::to_string(i), 16, RegSource::Fxsave, 160 + 16 * i);
  }
  x += reg_xml("mxcsr", 32, "i386_mxcsr", "vector");
  add("mxcsr", 4, RegSource::Fxsave, 24);
  x += "</feature>\n<feature name=\"org.gnu.gdb.i386.linux\">\n";
  x += reg_xml("orig_rax", 64, "int");
  add("orig_rax", 8, RegSource::Gpr);
  x += "</feature>\n<feature name=\"org.gnu.gdb.i386.segments\">\n";
  x += reg_xml("fs_base", 64, "int");
  add("fs_base", 8, RegSource::Gpr);
  x += reg_xml("gs_base", 64, "int");
  add("gs_base", 8, RegSource::Gpr);
  x += "</feature>\n";
  if (with_avx_) {
    x += "<feature name=\"org.gnu.gdb.i386.avx\">\n";
    for (int i = 0; i < 16; ++i) {
      x += reg_xml("ymm" + std::to_string(i) + "h", 128, "uint128");
      add("ymm" + std::to_string(i) + "h", 16, RegSource::Xstate, 576 + 16 * i);
    }
    x += "</feature>\n";
  }
  x += "</target>\n";
  xml_ = std::move(x);
}

int TargetDescription::number_of(std::string_view name) const {
  for (std::size_t i = 0; i < regs_.size(); ++i)
    if (regs_[i].name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace utracectl::gdbserver
