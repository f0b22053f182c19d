#include "strace_printer.hpp"

#include <ctime>
#include <iostream>

#include <fmt/format.h>

#include "report_memory.hpp"
#include "signal_line.hpp"
#include "syscall_format.hpp"

namespace utracectl {

namespace decode = utrace::decode;
namespace proto = utrace::proto;
using proto::EventKind;

namespace {

bool is_error(std::int64_t r) { return r < 0 && r >= -4095; }

std::string seconds(std::uint64_t usecs) {
  return fmt::format("{}.{:06}", usecs / 1000000, usecs % 1000000);
}

decode::DecodeOptions decode_options(const StraceOptions& o) {
  decode::DecodeOptions d;
  d.max_strlen = o.strsize;
  d.hex = o.hex;
  d.fd_paths = o.fd_paths;
  return d;
}

bool is_signal_event(EventKind e) {
  return e == EventKind::Signal || e == EventKind::SignalIgn || e == EventKind::SignalStop ||
         e == EventKind::SignalTerm || e == EventKind::SignalCore;
}

}  // namespace

StracePrinter::StracePrinter(const StraceOptions& options, StraceOutput& out,
                             StraceSummary* summary)
    : o_(options), out_(out), summary_(summary), decoder_(decode_options(options)) {
  fixed_prefix_ = !o_.output.empty() && o_.follow < 2 && (o_.follow == 1 || o_.pids.size() > 1);
}

proto::EventMask StracePrinter::events(const StraceOptions& o) {
  proto::EventMask m;
  if (!o.trace.none()) {
    m.set(EventKind::SyscallEntry);
    m.set(EventKind::SyscallExit);
  }
  for (auto e : {EventKind::Signal, EventKind::SignalIgn, EventKind::SignalStop,
                 EventKind::SignalTerm, EventKind::SignalCore, EventKind::Jctl, EventKind::Clone,
                 EventKind::Exec, EventKind::Exit, EventKind::Death, EventKind::Reap})
    m.set(e);
  return m;
}

void StracePrinter::add_thread(int tid) {
  dead_.erase(tid);
  threads_.try_emplace(tid);
}

std::string StracePrinter::leader(int tid, std::uint64_t time_us, std::uint64_t mono_us) {
  std::string s;
  if (fixed_prefix_) s = fmt::format("{:<5} ", tid);
  else if (!out_.to_file() && threads_.size() > 1) s = fmt::format("[pid {:>5}] ", tid);
  if (o_.absolute) {
    const auto sec = static_cast<std::time_t>(time_us / 1000000);
    const auto usec = time_us % 1000000;
    if (o_.absolute == 3) {
      s += fmt::format("{}.{:06} ", sec, usec);
    } else {
      std::tm tm{};
      ::localtime_r(&sec, &tm);
      char buf[16];
      std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
      s += o_.absolute == 2 ? fmt::format("{}.{:06} ", buf, usec) : fmt::format("{} ", buf);
    }
  }
  if (o_.relative) {
    const std::uint64_t d = last_mono_ && mono_us >= *last_mono_ ? mono_us - *last_mono_ : 0;
    last_mono_ = mono_us;
    const std::string v = fmt::format("{:>6}.{:06}", d / 1000000, d % 1000000);
    s += o_.absolute ? "(+" + v + ") " : v + " ";
  }
  return s;
}

void StracePrinter::interrupt_open(StraceOutput::Stream& s) {
  if (s.open_tid == 0) return;
  *s.out << " <unfinished ...>\n";
  s.open_tid = 0;
}

void StracePrinter::write(StraceOutput::Stream& s, const std::string& text, int open_tid) {
  *s.out << text;
  if (!open_tid) *s.out << '\n';
  s.out->flush();
  s.open_tid = open_tid;
}

void StracePrinter::print_line(int tid, const std::string& text, std::uint64_t time_us,
                               std::uint64_t mono_us) {
  auto& s = out_.stream(tid);
  interrupt_open(s);
  write(s, leader(tid, time_us, mono_us) + text);
}

void StracePrinter::on_report(const proto::Report& r) {
  auto it = threads_.find(r.tid);
  if (r.event == EventKind::Exec && r.former_tid && *r.former_tid != r.tid) {
    // A thread other than the leader exec'd: it now has the leader's tid.
    auto former = threads_.find(*r.former_tid);
    if (former != threads_.end()) {
      Thread moved = std::move(former->second);
      threads_.erase(former);
      dead_.erase(r.tid);  // the old leader's death may have come first
      threads_[r.tid] = std::move(moved);
      return;
    }
  }
  if (it == threads_.end()) {
    // A thread an engine reports before we knew of it (a new thread of a process engine).
    if (r.event == EventKind::Reap || dead_.count(r.tid) || (only_ && r.tid != *only_)) return;
    it = threads_.try_emplace(r.tid).first;
  }
  Thread& t = it->second;
  // strace -o FILE PROG is quiet about attaching (--quiet=attach), as it is with -q.
  const bool quiet_attach = o_.quiet || (!o_.program.empty() && !o_.output.empty());
  if (announce_.erase(r.tid) && !quiet_attach)
    std::cerr << "utracectl: Process " << r.tid << " attached\n" << std::flush;
  switch (r.event) {
    case EventKind::SyscallEntry: return on_entry(r, t);
    case EventKind::SyscallExit: return on_exit(r, t);
    case EventKind::Exit: return finish_unreturned(r.tid, t, r);
    case EventKind::Death: return on_death(r, t);
    case EventKind::Clone:
      if (r.child && o_.follow) {
        add_thread(*r.child);
        announce_.insert(*r.child);  // said at its first report, as strace does
      }
      return;
    case EventKind::Jctl:
      if (r.jctl == "stopped" && o_.trace_lines() && r.signal)
        print_line(r.tid, "--- stopped by " + r.signal->name + " ---", r.time_us.value_or(0),
                   r.mono_us.value_or(0));
      return;
    default:
      if (is_signal_event(r.event)) on_signal(r);
      return;
  }
}

void StracePrinter::on_entry(const proto::Report& r, Thread& t) {
  if (!r.syscall) return;
  if (r.resumed.value_or(false) && t.call) return;  // the same entry reported again
  t.call.reset();
  t.printed = false;
  if (!o_.trace.matches(r.syscall->nr)) return;
  auto mem = memory_of(r);
  t.call = decoder_.enter(r.syscall->nr, r.syscall->args, *mem);
  if (t.call->name == "restart_syscall") {  // strace names the call it restarts
    t.call->entry_text = "restart_syscall(<... resuming interrupted " +
                         (t.prev_name.empty() ? std::string("system call") : t.prev_name) + " ...>";
    t.call->exit_pending = false;
  }
  t.prev_name = t.call->name;
  t.entry_time = r.time_us.value_or(0);
  t.entry_mono = r.mono_us.value_or(0);
  if (!o_.trace_lines() || o_.whole_lines()) return;  // printed at the exit
  auto& s = out_.stream(r.tid);
  interrupt_open(s);
  t.lead = leader(r.tid, t.entry_time, t.entry_mono);
  write(s, t.lead + t.call->entry_text, r.tid);
  t.printed = true;
}

void StracePrinter::on_exit(const proto::Report& r, Thread& t) {
  if (!r.syscall || !o_.trace.matches(r.syscall->nr)) return;
  bool seen_entry = t.call && t.call->nr == r.syscall->nr;
  decode::NoMemory none;
  auto mem = memory_of(r);
  decode::PendingCall call =
      seen_entry ? *t.call : decoder_.enter(r.syscall->nr, r.syscall->args, none);
  auto l = launched_.find(r.tid);
  if (l == launched_.end()) l = launched_.find(0);
  if (l != launched_.end()) {
    if (!seen_entry && l->second.nr == r.syscall->nr) {
      call = std::move(l->second);  // printed whole, at the exit's time
      seen_entry = true;
      t.printed = false;
      t.entry_time = r.time_us.value_or(0);
      t.entry_mono = r.mono_us.value_or(0);
    }
    launched_.erase(l);
  }
  const bool printed = seen_entry && t.printed;
  t.call.reset();
  t.printed = false;
  const std::int64_t ret = r.retval.value_or(0);
  const decode::ExitText exit = decoder_.exit(call, ret, *mem);
  const std::uint64_t mono = r.mono_us.value_or(0);
  const std::uint64_t usecs = seen_entry && mono >= t.entry_mono ? mono - t.entry_mono : 0;
  const bool failed = r.retval && is_error(ret);
  if (summary_) summary_->add(call.nr, usecs, failed);
  if (!o_.trace_lines()) return;
  if (!(o_.status & (failed ? kStatusFailed : kStatusSuccessful))) return;
  const std::string tail = o_.syscall_times ? " <" + seconds(usecs) + ">" : "";
  auto& s = out_.stream(r.tid);
  if (printed && s.open_tid == r.tid) {
    const std::string head = t.lead + call.entry_text;
    write(s, decode::SyscallDecoder::line(call, exit, t.lead).substr(head.size()) + tail);
    return;
  }
  interrupt_open(s);
  if (!seen_entry || printed) {
    // Another line came between (or the entry was before we attached): strace's resumed line.
    const std::string lead = leader(r.tid, r.time_us.value_or(0), mono);
    write(s, decode::SyscallDecoder::resumed(call, exit, lead) + tail);
    return;
  }
  const std::string lead = leader(r.tid, t.entry_time, t.entry_mono);  // a whole line at exit
  write(s, decode::SyscallDecoder::line(call, exit, lead) + tail);
}

void StracePrinter::finish_unreturned(int tid, Thread& t, const proto::Report& r) {
  if (!t.call) return;
  const decode::PendingCall call = *t.call;
  const bool printed = t.printed;
  t.call.reset();
  t.printed = false;
  if (!o_.trace_lines() || !(o_.status & kStatusUnfinished)) return;
  const decode::ExitText exit = decode::SyscallDecoder::no_return(call);
  auto& s = out_.stream(tid);
  if (printed && s.open_tid == tid) {
    const std::string head = t.lead + call.entry_text;
    write(s, decode::SyscallDecoder::line(call, exit, t.lead).substr(head.size()));
    return;
  }
  interrupt_open(s);
  if (printed) {
    write(s, decode::SyscallDecoder::resumed(call, exit,
                                             leader(tid, r.time_us.value_or(0), r.mono_us.value_or(0))));
    return;
  }
  write(s, decode::SyscallDecoder::line(call, exit, leader(tid, t.entry_time, t.entry_mono)));
}

void StracePrinter::on_signal(const proto::Report& r) {
  if (!r.signal || !o_.trace_lines()) return;
  if (r.step.value_or(false)) return;  // the daemon's own step trap, not the program's signal
  const int signo = r.signal->signo;
  if (signo > 0 && signo < 65 && !o_.signals.test(static_cast<std::size_t>(signo))) return;
  decode::SignalDetails d;
  if (r.capture && r.capture->siginfo.size() >= 128) {
    d = decode::signal_details_from_siginfo(r.capture->siginfo);  // si_pid, si_status, ...
  } else {
    d.signo = signo;
    d.code = r.signal->code;
  }
  print_line(r.tid, decode::signal_line(d), r.time_us.value_or(0), r.mono_us.value_or(0));
}

void StracePrinter::on_death(const proto::Report& r, Thread& t) {
  finish_unreturned(r.tid, t, r);
  if (o_.trace_lines() && o_.quiet < 2) {
    std::string text;
    if (r.status) text = decode::death_line(*r.status);
    else text = "+++ " + format_death(r) + " +++";
    print_line(r.tid, text, r.time_us.value_or(0), r.mono_us.value_or(0));
  }
  threads_.erase(r.tid);
  dead_.insert(r.tid);
}

std::set<int> StracePrinter::detach_all() {
  std::set<int> tids;
  out_.for_each([](StraceOutput::Stream& s) {
    if (s.open_tid == 0) return;
    *s.out << " <detached ...>\n" << std::flush;
    s.open_tid = 0;
  });
  for (const auto& [tid, t] : threads_) tids.insert(tid);
  threads_.clear();
  return tids;
}

}  // namespace utracectl
