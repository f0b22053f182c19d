#include "register_file.hpp"

#include <cstdint>
#include <stdexcept>

#include "utrace/proto/base64.hpp"
#include "utrace/proto/wide_values.hpp"

namespace utracectl::gdbserver {

namespace proto = utrace::proto;

namespace {

constexpr std::size_t kXstateBv = 512;  // XSAVE header: which components are in use
constexpr std::uint8_t kAvxBit = 1 << 2;

std::string le_bytes(std::uint64_t v, std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n && i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::uint64_t le_value(std::string_view s) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < s.size() && i < 8; ++i)
    v |= std::uint64_t(static_cast<unsigned char>(s[i])) << (8 * i);
  return v;
}

// gdb's full x87 tag word from FXSAVE's abridged one (as gdbserver's i387_ftag).
unsigned full_ftag(const std::string& fx) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(fx[i]); };
  const unsigned top = (le_value(std::string_view(fx).substr(2, 2)) >> 11) & 7;
  unsigned ret = 0;
  for (int reg = 7; reg >= 0; --reg) {
    unsigned tag = 3;
    if (b(4) & (1u << reg)) {
      const std::size_t raw = 32 + ((reg - top) & 7) * 16;
      const unsigned exponent = ((b(raw + 9) & 0x7f) << 8) | b(raw + 8);
      const bool integer = b(raw + 7) & 0x80;
      bool fraction_zero = (b(raw + 7) & 0x7f) == 0;
      for (std::size_t k = 0; k < 7; ++k) fraction_zero = fraction_zero && b(raw + k) == 0;
      if (exponent == 0x7fff)
        tag = 2;
      else if (exponent == 0)
        tag = (fraction_zero && !integer) ? 1 : 2;
      else
        tag = integer ? 0 : 2;
    }
    ret |= tag << (2 * reg);
  }
  return ret;
}

}  // namespace

std::string RegisterFile::get_regset(int tid, const char* set) {
  const nlohmann::json r =
      client_.call("get_regset", {{"engine", engine_}, {"tid", tid}, {"set", set}});
  auto bytes = proto::base64_decode(r.value("data", ""));
  if (!bytes) throw std::runtime_error("get_regset: bad base64");
  return *bytes;
}

const std::string& RegisterFile::fp(ThreadState& t) {
  if (!t.fp) t.fp = get_regset(t.tid, "fp");
  return *t.fp;
}

const std::string& RegisterFile::xstate(ThreadState& t) {
  if (!t.xstate) t.xstate = get_regset(t.tid, "xstate");
  return *t.xstate;
}

std::string RegisterFile::value(ThreadState& t, const RegisterInfo& r) {
  switch (r.source) {
    case RegSource::Gpr: {
      if (!t.regs) t.regs = client_.get_regs(engine_, t.tid);
      return le_bytes(proto::read_u64((*t.regs)[r.name]).value_or(0), r.size);
    }
    case RegSource::Fxsave: {
      std::string v = fp(t).substr(r.offset, r.width);
      v.resize(r.size, '\0');
      return v;
    }
    case RegSource::Ftag:
      return le_bytes(full_ftag(fp(t)), r.size);
    case RegSource::Xstate: {
      const std::string& x = xstate(t);
      if (x.size() < r.offset + r.size || !(static_cast<unsigned char>(x[kXstateBv]) & kAvxBit))
        return std::string(r.size, '\0');  // in its initial state: zeros
      return x.substr(r.offset, r.size);
    }
  }
  return std::string(r.size, '\0');
}

std::string RegisterFile::read_all(ThreadState& t) {
  std::string out;
  for (const RegisterInfo& r : tdesc_.registers()) out += value(t, r);
  return out;
}

std::optional<std::string> RegisterFile::read_one(ThreadState& t, int regno) {
  if (regno < 0 || regno >= static_cast<int>(tdesc_.registers().size())) return std::nullopt;
  return value(t, tdesc_.registers()[regno]);
}

void RegisterFile::store(ThreadState& t, const RegisterInfo& r, std::string_view bytes) {
  if (value(t, r) == bytes) return;  // unchanged (G sends everything)
  switch (r.source) {
    case RegSource::Gpr: {
      const std::uint64_t v = le_value(bytes);
      gpr_changes_[r.name] = proto::hex_u64(v);
      (*t.regs)[r.name] = proto::hex_u64(v);
      break;
    }
    case RegSource::Fxsave:
      fp(t);
      t.fp->replace(r.offset, r.width, bytes.substr(0, r.width));
      fp_dirty_ = true;
      break;
    case RegSource::Ftag: {
      fp(t);
      const std::uint64_t full = le_value(bytes);
      unsigned abridged = 0;
      for (int reg = 0; reg < 8; ++reg)
        if (((full >> (2 * reg)) & 3) != 3) abridged |= 1u << reg;
      (*t.fp)[4] = static_cast<char>(abridged);
      fp_dirty_ = true;
      break;
    }
    case RegSource::Xstate:
      xstate(t);
      if (t.xstate->size() < r.offset + r.size) break;
      t.xstate->replace(r.offset, r.size, bytes);
      (*t.xstate)[kXstateBv] = static_cast<char>((*t.xstate)[kXstateBv] | kAvxBit);
      xstate_dirty_ = true;
      break;
  }
}

void RegisterFile::flush(ThreadState& t) {
  if (!gpr_changes_.empty()) client_.set_regs(engine_, gpr_changes_, t.tid);
  gpr_changes_ = nlohmann::json::object();
  if (fp_dirty_ && xstate_dirty_ && t.xstate->size() >= 520) {
    // One write: the XSAVE area starts with the FXSAVE one, and x87/SSE are then in use.
    t.xstate->replace(0, 512, *t.fp);
    (*t.xstate)[kXstateBv] = static_cast<char>((*t.xstate)[kXstateBv] | 3);
    fp_dirty_ = false;
  }
  if (fp_dirty_) {
    client_.call("set_regset", {{"engine", engine_},
                                {"tid", t.tid},
                                {"set", "fp"},
                                {"data", proto::base64_encode(*t.fp)}});
    t.xstate.reset();  // its FXSAVE part changed under it
  }
  if (xstate_dirty_) {
    client_.call("set_regset", {{"engine", engine_},
                                {"tid", t.tid},
                                {"set", "xstate"},
                                {"data", proto::base64_encode(*t.xstate)}});
    t.fp.reset();
  }
  fp_dirty_ = xstate_dirty_ = false;
}

void RegisterFile::write_all(ThreadState& t, std::string_view bytes) {
  std::size_t at = 0;
  for (const RegisterInfo& r : tdesc_.registers()) {
    if (at + r.size > bytes.size()) break;
    store(t, r, bytes.substr(at, r.size));
    at += r.size;
  }
  flush(t);
}

bool RegisterFile::write_one(ThreadState& t, int regno, std::string_view bytes) {
  if (regno < 0 || regno >= static_cast<int>(tdesc_.registers().size())) return false;
  const RegisterInfo& r = tdesc_.registers()[regno];
  if (bytes.size() != r.size) return false;
  store(t, r, bytes);
  flush(t);
  return true;
}

}  // namespace utracectl::gdbserver
