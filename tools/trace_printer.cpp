#include "trace_printer.hpp"

#include "syscall_format.hpp"

namespace utracectl {

using utrace::proto::EventKind;

void TracePrinter::on_report(const utrace::proto::Report& report) {
  switch (report.event) {
    case EventKind::SyscallEntry:
      finish_unreturned(report.tid);
      if (report.syscall) entered_[report.tid] = *report.syscall;
      return;
    case EventKind::SyscallExit: {
      std::string text;
      if (auto it = entered_.find(report.tid); it != entered_.end()) {
        text = call_text(report.tid, it->second, true);
        entered_.erase(it);
      } else {
        // Attached in the middle of this syscall: its arguments were never seen.
        text = call_text(report.tid, report.syscall.value_or(utrace::proto::SyscallInfo{}), false);
      }
      text += " = " + (report.retval ? format_retval(*report.retval) : std::string("?"));
      out_ << text << '\n' << std::flush;
      return;
    }
    case EventKind::Exit:
      finish_unreturned(report.tid);
      return;
    case EventKind::Clone:
      if (report.child)
        out_ << "[" << report.tid << "] +++ " << report.clone.value_or("clone") << " "
             << *report.child << " +++\n" << std::flush;
      return;
    case EventKind::Exec:
      if (report.former_tid) finish_unreturned(*report.former_tid);
      out_ << "[" << report.tid << "] +++ exec " << report.path.value_or("?") << " +++\n"
           << std::flush;
      return;
    case EventKind::Death:
      finish_unreturned(report.tid);
      out_ << "[" << report.tid << "] +++ " << format_death(report) << " +++\n" << std::flush;
      return;
    default:
      return;
  }
}

void TracePrinter::finish_unreturned(int tid) {
  auto it = entered_.find(tid);
  if (it == entered_.end()) return;
  out_ << call_text(tid, it->second, true) << " = ?\n" << std::flush;
  entered_.erase(it);
}

std::string TracePrinter::call_text(int tid, const utrace::proto::SyscallInfo& call,
                                    bool with_args) {
  std::string text = "[" + std::to_string(tid) + "] " + syscall_name(call) + "(";
  if (with_args) {
    for (std::size_t i = 0; i < call.args.size(); ++i)
      text += (i ? ", " : "") + format_arg(call.args[i]);
  } else {
    text += "...";
  }
  return text + ")";
}

}  // namespace utracectl
