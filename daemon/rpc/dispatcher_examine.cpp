// The examine methods (get_regs, set_regs, get_regset, set_regset, read_memory, write_memory):
// allowed while the engine holds its thread stopped or a report to it is in flight (PROTOCOL.md).
#include <elf.h>

#include <cerrno>

#include "engine/engine_hub.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/dispatcher_helpers.hpp"
#include "rpc/session.hpp"
#include "trace/examine.hpp"
#include "utrace/proto/base64.hpp"
#include "utrace/proto/method_params.hpp"
#include "utrace/proto/wide_values.hpp"

namespace utraced {

namespace proto = utrace::proto;
using proto::Params;
using proto::RpcException;
namespace params = proto::params;
using namespace dispatch;

static_assert(static_cast<std::size_t>(params::kMaxMemoryIo) == examine::kMaxMemoryIo);

namespace {

ThreadPtr examined(EngineHub& hub, Session& s, std::uint64_t engine, const Params& p) {
  ThreadPtr t;
  int err = hub.examinable(s, engine, opt_tid(p), &t);
  if (err == EngineHub::kStopComing) throw ExamineLater{engine, opt_tid(p)};
  if (err == EDOM)
    throw RpcException(proto::invalid_params("tid", "is required: the engine covers several threads"));
  if (err)
    throw RpcException(proto::errno_error(
        err, err == EINVAL ? "the engine does not hold its thread stopped" : errno_text(err, engine),
        {{"engine", engine}}));
  return t;
}
void throw_examine(int err, std::uint64_t engine) {
  // ESRCH from ptrace here: the thread was killed out of its stop.
  if (err) throw RpcException(proto::errno_error(err, errno_text(err, engine), {{"engine", engine}}));
}
}  // namespace

nlohmann::json Dispatcher::get_regs(Session& s, const Params& p) {
  p.allow_only(params::get_regs::table);
  auto engine = engine_param(p);
  auto t = examined(hub_, s, engine, p);
  nlohmann::json regs;
  throw_examine(examine::get_regs(t->tid, &regs), engine);
  return {{"regs", regs}};
}

nlohmann::json Dispatcher::set_regs(Session& s, const Params& p) {
  p.allow_only(params::set_regs::table);
  auto engine = engine_param(p);
  const auto* regs = p.raw(params::set_regs::regs.name);
  if (!regs || !regs->is_object()) bad(params::set_regs::regs, "must be an object of register names");
  auto t = examined(hub_, s, engine, p);
  std::string bad_reg;
  int err = examine::set_regs(t->tid, *regs, &bad_reg);
  if (err == EINVAL && !bad_reg.empty())
    bad(params::set_regs::regs, "unknown register or bad value: " + bad_reg);
  throw_examine(err, engine);
  return nlohmann::json::object();
}

nlohmann::json Dispatcher::read_memory(Session& s, const Params& p) {
  namespace rp = params::read_memory;
  p.allow_only(rp::table);
  auto engine = engine_param(p);
  auto addr = *p.opt_unsigned(rp::addr);  // required
  auto size = static_cast<std::size_t>(p.integer(rp::size));
  auto t = examined(hub_, s, engine, p);
  std::string bytes;
  throw_examine(examine::read_memory(t->tid, addr, size, &bytes), engine);
  hub_.show_original(t->tgid, addr, bytes);  // engines' int3s read as the program's code
  return {{"data", proto::base64_encode(bytes)}, {"size", bytes.size()}};
}

nlohmann::json Dispatcher::write_memory(Session& s, const Params& p) {
  namespace wp = params::write_memory;
  p.allow_only(wp::table);
  auto engine = engine_param(p);
  auto addr = *p.opt_unsigned(wp::addr);  // required
  auto bytes = proto::base64_decode(p.string(wp::data));
  if (!bytes) bad(wp::data, "must be padded base64");
  if (bytes->empty() || bytes->size() > examine::kMaxMemoryIo)
    bad(wp::data, "must hold 1 to " + std::to_string(params::kMaxMemoryIo) + " bytes");
  auto t = examined(hub_, s, engine, p);
  hub_.write_through(t->tgid, addr, *bytes);  // an int3 stays; the new byte goes under it
  std::size_t written = 0;
  throw_examine(examine::write_memory(t->tid, addr, *bytes, &written), engine);
  return {{"written", written}};
}

namespace {
// The ELF note type of a register set's name (method_params.hpp, get_regset).
unsigned regset_note(std::string_view name) { return name == "fp" ? NT_PRFPREG : NT_X86_XSTATE; }
}  // namespace

nlohmann::json Dispatcher::get_regset(Session& s, const Params& p) {
  namespace gp = params::get_regset;
  p.allow_only(gp::table);
  auto engine = engine_param(p);
  const auto set = *p.opt_choice(gp::set);  // required
  auto t = examined(hub_, s, engine, p);
  std::string bytes;
  throw_examine(examine::get_regset(t->tid, regset_note(set), &bytes), engine);
  return {{"set", set}, {"data", proto::base64_encode(bytes)}, {"size", bytes.size()}};
}

nlohmann::json Dispatcher::set_regset(Session& s, const Params& p) {
  namespace sp = params::set_regset;
  p.allow_only(sp::table);
  auto engine = engine_param(p);
  const auto set = *p.opt_choice(sp::set);  // required
  auto bytes = proto::base64_decode(p.string(sp::data));
  if (!bytes) bad(sp::data, "must be padded base64");
  auto t = examined(hub_, s, engine, p);
  int err = examine::set_regset(t->tid, regset_note(set), *bytes);
  if (err == EINVAL)
    bad(sp::data, "must be the whole \"" + std::string(set) +
                      "\" set as get_regset gave it (its size, a valid XSAVE header)");
  throw_examine(err, engine);
  return nlohmann::json::object();
}

nlohmann::json Dispatcher::insert_breakpoint(Session& s, const Params& p) {
  return breakpoint(s, p, true);
}

nlohmann::json Dispatcher::remove_breakpoint(Session& s, const Params& p) {
  return breakpoint(s, p, false);
}

nlohmann::json Dispatcher::breakpoint(Session& s, const Params& p, bool insert) {
  namespace bp = params::breakpoint;
  p.allow_only(bp::table);
  auto engine = engine_param(p);
  auto addr = *p.opt_unsigned(bp::addr);  // required
  auto t = examined(hub_, s, engine, p);
  int err = insert ? hub_.insert_breakpoint(s, engine, t, addr)
                   : hub_.remove_breakpoint(s, engine, t, addr);
  if (err == EINVAL)
    throw RpcException(proto::errno_error(
        EINVAL, "breakpoints belong to process engines (attach with \"scope\": \"process\")",
        {{"engine", engine}}));
  if (err == EAGAIN)
    throw RpcException(proto::errno_error(
        EAGAIN, "the engine has as many breakpoints as it may keep",
        {{"engine", engine}, {"limit", "breakpoints_per_engine"}}));
  if (err == ENOENT)
    throw RpcException(proto::errno_error(ENOENT, "no breakpoint of this engine there",
                                          {{"engine", engine}, {"addr", proto::hex_u64(addr)}}));
  throw_examine(err, engine);
  return nlohmann::json::object();
}

}  // namespace utraced
