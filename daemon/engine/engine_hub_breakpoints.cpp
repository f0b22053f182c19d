// Breakpoints of the EngineHub (PROTOCOL.md, insert_breakpoint): int3s written for an engine,
// their traps reported to their owners only and never delivered, memory reads that show the
// original bytes, and the clean-up that never leaves an int3 behind in a program: an engine
// gone, an exec, a forked child's copy.
#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include <cerrno>

#include "engine/engine_hub.hpp"
#include "trace/examine.hpp"
#include "util/log.hpp"

namespace utraced {

using utrace::proto::EventKind;

namespace {
constexpr int kSiKernel = 0x80;  // si_code of the SIGTRAP an int3 raises
constexpr std::uint8_t kInt3 = 0xcc;

// Writes one byte into the (stopped) thread's code. 0 or an errno.
int poke_byte(pid_t tid, std::uint64_t addr, std::uint8_t byte) {
  std::size_t written = 0;
  int err = examine::write_memory(tid, addr, std::string(1, static_cast<char>(byte)), &written);
  return err ? err : written == 1 ? 0 : EFAULT;
}

std::optional<std::uint64_t> read_rip(pid_t tid) {
  errno = 0;
  long v = ::ptrace(PTRACE_PEEKUSER, tid, offsetof(struct user_regs_struct, rip), nullptr);
  if (errno) return std::nullopt;
  return static_cast<std::uint64_t>(v);
}
}  // namespace

bool Engine::owns_breakpoint(std::uint64_t addr) const {
  return set && set->breakpoints.count({thread->tgid, addr}) != 0;
}

int EngineHub::insert_breakpoint(ClientLink& client, std::uint64_t id, const ThreadPtr& t,
                                 std::uint64_t addr) {
  auto set = registry_.find(client, id);
  if (!set) return ESRCH;
  if (set->scope != EngineScope::Process) return EINVAL;
  if (set->breakpoints.count({t->tgid, addr})) return 0;
  if (set->breakpoints.size() >= limits_.breakpoints_per_engine) return EAGAIN;
  if (auto* e = breakpoints_.find(t->tgid, addr)) {
    e->owners.insert(set->id);  // another engine's int3 (or an orphan not restored yet)
  } else {
    std::string original;
    int err = examine::read_memory(t->tid, addr, 1, &original);
    if (err || original.size() != 1) return err ? err : EFAULT;
    if (int werr = poke_byte(t->tid, addr, kInt3)) return werr;
    auto& entry = breakpoints_.add(t->tgid, addr);
    entry.original = static_cast<std::uint8_t>(original[0]);
    entry.owners.insert(set->id);
  }
  set->breakpoints.insert({t->tgid, addr});
  log::engine().debug("engine {}: breakpoint at {:#x} in process {}", id, addr, t->tgid);
  return 0;
}

int EngineHub::remove_breakpoint(ClientLink& client, std::uint64_t id, const ThreadPtr& t,
                                 std::uint64_t addr) {
  auto set = registry_.find(client, id);
  if (!set) return ESRCH;
  if (set->scope != EngineScope::Process) return EINVAL;
  if (!set->breakpoints.erase({t->tgid, addr})) return ENOENT;
  auto* e = breakpoints_.find(t->tgid, addr);
  if (!e) return 0;
  e->owners.erase(set->id);
  if (e->owners.empty()) {
    int err = poke_byte(t->tid, addr, e->original);
    if (err) return err;  // the entry stays an orphan: restored at the next stop
    breakpoints_.erase(t->tgid, addr);
  }
  return 0;
}

void EngineHub::show_original(pid_t tgid, std::uint64_t addr, std::string& bytes) const {
  breakpoints_.show_original(tgid, addr, bytes);
}

void EngineHub::write_through(pid_t tgid, std::uint64_t addr, std::string& bytes) {
  breakpoints_.write_through(tgid, addr, bytes);
}

void EngineHub::release_breakpoints(EngineSet& set) {
  if (set.breakpoints.empty()) return;
  std::set<pid_t> procs;
  for (const auto& [tgid, addr] : set.breakpoints) {
    if (auto* e = breakpoints_.find(tgid, addr)) e->owners.erase(set.id);
    procs.insert(tgid);
  }
  set.breakpoints.clear();
  // The bytes go back at once through a stopped thread of the process, else at its next stop
  // (one is brought about: a thread that runs into an orphan is rewound and let go too).
  for (pid_t tgid : procs) {
    ThreadPtr running;
    for (const auto& t : controller_.tracer().threads()) {
      if (t->tgid != tgid || !t->traced()) continue;
      if (t->stopped() && controller_.still_stopped(t)) {
        restore_orphans(t);
        running = nullptr;
        break;
      }
      if (!running) running = t;
    }
    if (running && !breakpoints_.orphans(tgid).empty()) controller_.interrupt(running);
  }
}

void EngineHub::restore_orphans(const ThreadPtr& t) {
  for (std::uint64_t addr : breakpoints_.orphans(t->tgid)) {
    auto* e = breakpoints_.find(t->tgid, addr);
    if (int err = poke_byte(t->tid, addr, e->original); err && err != EFAULT && err != EIO)
      continue;  // this thread could not: the next stop tries again
    breakpoints_.erase(t->tgid, addr);
  }
}

bool EngineHub::breakpoints_at_stop(const ThreadPtr& t) {
  auto& x = thread_engines(*t);
  bool step_trap = false;
  if (x.step_over) {
    // The instruction under the int3 ran: the int3 goes back, if it is still wanted.
    const pid_t mm = x.shares_breakpoints_of ? x.shares_breakpoints_of : t->tgid;
    if (auto* e = breakpoints_.find(mm, x.step_over); e && !e->owners.empty())
      poke_byte(t->tid, x.step_over, kInt3);
    x.step_over = 0;
    step_trap = !x.step_over_asked && t->stop.kind == StopKind::SignalDelivery &&
                t->stop.signo == SIGTRAP && t->stop.after_step;
    if (step_trap) x.deliver_signal = 0;
    x.step_over_asked = false;
  }
  x.at_breakpoint = 0;
  if (t->stop.kind == StopKind::Exec) x.shares_breakpoints_of = 0;  // its own memory now
  if (x.scrub_breakpoints_of) {
    // A forked child's first stop: its memory is a copy of its parent's, int3s included. They
    // are not its engines' (the breakpoints are its parent's): the original bytes go back.
    if (const auto* all = breakpoints_.entries(x.scrub_breakpoints_of))
      for (const auto& [addr, e] : *all) poke_byte(t->tid, addr, e.original);
    x.scrub_breakpoints_of = 0;
  }
  if (breakpoints_.has_process(t->tgid) && t->stop.kind != StopKind::Exec) restore_orphans(t);
  return step_trap;
}

void EngineHub::step_over_breakpoint(const ThreadPtr& t, RestartDecision& d) {
  auto& x = thread_engines(*t);
  if (x.at_breakpoint && !x.step_over) {
    const std::uint64_t addr = x.at_breakpoint;
    x.at_breakpoint = 0;
    const pid_t mm = x.shares_breakpoints_of ? x.shares_breakpoints_of : t->tgid;
    auto* e = breakpoints_.find(mm, addr);
    // Still inserted, and the thread still about to run it (an engine may have moved rip).
    if (e && read_rip(t->tid) == addr && poke_byte(t->tid, addr, e->original) == 0) {
      x.step_over = addr;
      x.step_over_asked = d.kind == RestartKind::SingleStep || d.kind == RestartKind::BlockStep;
    }
  }
  if (x.step_over && (d.kind == RestartKind::Cont || d.kind == RestartKind::Syscall ||
                      d.kind == RestartKind::Detach || d.kind == RestartKind::BlockStep))
    d.kind = RestartKind::SingleStep;  // the int3 goes back at the next stop
}

bool EngineHub::breakpoint_trap(const ThreadPtr& t, PassSpec& p) {
  const StopEvent& s = t->stop;
  auto& x = thread_engines(*t);
  // A vfork child runs in its parent's memory: the int3s there are its parent's.
  const pid_t mm = x.shares_breakpoints_of ? x.shares_breakpoints_of : t->tgid;
  if (s.signo != SIGTRAP || s.si_code != kSiKernel || !breakpoints_.has_process(mm))
    return false;
  auto rip = read_rip(t->tid);
  if (!rip || *rip == 0) return false;
  const std::uint64_t addr = *rip - 1;
  auto* entry = breakpoints_.find(mm, addr);
  if (!entry) return false;  // the program's own int3
  // Ours: back to the breakpoint's address, and the SIGTRAP is never delivered.
  ::ptrace(PTRACE_POKEUSER, t->tid, offsetof(struct user_regs_struct, rip), addr);
  x.deliver_signal = 0;
  bool owner_here = false;
  if (mm == t->tgid)
    for (const auto& e : x.engines)
      owner_here = owner_here || (e->attached() && e->owns_breakpoint(addr));
  if (!owner_here) {
    // No owner hears of this thread (a vfork child in its parent's memory, a thread its owner
    // does not cover, an orphan not restored yet): step it over the int3 (the original byte
    // for one instruction, then the int3 again: breakpoints_at_stop). Nobody is told.
    log::engine().debug("tid={}: steps over the int3 at {:#x} (no owner hears of it)", t->tid,
                        addr);
    if (poke_byte(t->tid, addr, entry->original) == 0) x.step_over = addr;
    return true;  // no pass (p stays a quiesce nobody gets)
  }
  x.at_breakpoint = addr;
  p.event = EventKind::Breakpoint;
  p.base.addr = addr;
  p.signal = 0;
  return true;
}

}  // namespace utraced
