#include "strace_command.hpp"

#include <iostream>

#include "command_line.hpp"
#include "follower.hpp"
#include "launched_exec.hpp"
#include "program_run.hpp"
#include "strace_output.hpp"
#include "strace_printer.hpp"
#include "strace_summary.hpp"
#include "utrace/client_sync.hpp"

namespace utracectl {

namespace client = utrace::client;
namespace proto = utrace::proto;
using Command = StraceOptions::Command;

namespace {

proto::EventMask events_of(const StraceOptions& o) {
  if (o.events.empty()) return StracePrinter::events(o);
  proto::EventMask mask;
  for (const auto& name : o.events) {
    auto kind = proto::parse_event(name);
    if (!kind) throw UsageError("unknown event '" + name + "'");
    mask.set(*kind);
  }
  mask.set(proto::EventKind::Reap);  // to know when it is over
  return mask;
}

// What every engine is attached with: the events, and -e trace= as the daemon's filter.
FollowSpec spec_of(const StraceOptions& o) {
  FollowSpec spec;
  spec.follow = o.follow > 0;
  spec.process = o.follow > 0;
  spec.events = events_of(o);
  spec.syscalls = o.trace.engine_names();
  // The argument memory the decoder reads, captured by the daemon at each stop (not needed for
  // the -c table alone). The same strsize and fd_paths as the client decodes with.
  if (o.trace_lines()) spec.capture = {{"strsize", o.strsize}, {"fd_paths", o.fd_paths}};
  return spec;
}

void message(const StraceOptions& o, const std::string& text) {
  if (!o.quiet) std::cerr << "utracectl: " << text << '\n' << std::flush;
}

int trace_pids(const StraceOptions& o, const std::string& socket) {
  StraceOutput out(o.command == Command::Count ? "-" : o.output, o.follow >= 2, o.append);
  StraceSummary summary(o.sortby);
  StracePrinter printer(o, out, o.summary ? &summary : nullptr);
  auto c = client::Client::connect(socket);
  Follower follower(c, [&](const client::ReportMessage& m) { printer.on_report(m.report); });
  for (int pid : o.pids) {
    FollowSpec spec = spec_of(o);
    spec.tid = pid;
    printer.add_thread(pid);
    const std::vector<int> tids = follower.attach(spec);
    for (int tid : tids) printer.add_thread(tid);
    message(o, "Process " + std::to_string(pid) + " attached" +
                   (tids.size() > 1 ? " with " + std::to_string(tids.size()) + " threads" : ""));
  }
  bool finished = false;
  try {
    finished = follower.run();
  } catch (const client::ClientError&) {
    if (o.summary) summary.print(*out.stream(0).out);  // what was counted before
    throw;
  }
  if (!finished) {
    for (int tid : printer.detach_all()) message(o, "Process " + std::to_string(tid) + " detached");
  }
  if (o.summary) summary.print(*out.stream(0).out);
  out.flush();
  return 0;
}

// Like strace with a command: the program is our child, in our session and process group,
// with our terminal; we exit as it did (exit_like), after the trace or the table.
int run_program(const StraceOptions& o, const std::string& socket) {
  FollowSpec spec = spec_of(o);
  spec.process = false;  // launch attaches its engine to the whole process anyway
  spec.seccomp = o.seccomp_bpf && !spec.syscalls.empty();
  StraceOutput out(o.output, o.follow >= 2, o.append);
  StraceSummary summary(o.sortby);
  StracePrinter printer(o, out, o.summary ? &summary : nullptr);
  int status = 0;
  int pid = 0;
  bool death_printed = false;  // the trace's own "+++ killed by ... +++" line for the program
  {
    auto c = client::Client::connect(socket);
    const ProgramRun* run = nullptr;
    Follower follower(c, [&](const client::ReportMessage& m) {
      printer.on_report(m.report);
      if (m.report.event == proto::EventKind::Death && run && m.report.tid == run->pid())
        death_printed = true;
    }, false);
    ProgramRun program(c, follower);
    run = &program;
    printer.expect_execve(0, launched_execve(printer.decoder(), o.program));
    program.start(spec, o.program);
    pid = program.pid();
    if (!o.follow) printer.restrict_to(pid);
    status = program.wait();
    if (o.summary) summary.print(*out.stream(pid).out);
  }
  if (!death_printed && o.trace_lines() && o.quiet < 2) {
    if (auto line = killed_line(status); !line.empty()) *out.stream(pid).out << line << '\n';
  }
  out.flush();
  exit_like(status);
}

}  // namespace

int strace_command(std::string socket, Command command, const std::vector<std::string>& args) {
  StraceOptions o = parse_strace_options(command, args);
  if (o.help) {
    std::cout << kStraceUsage << kStraceOptionsHelp;
    return 0;
  }
  if (o.version) {
    std::cout << "utracectl " UTRACE_VERSION "\n";
    return 0;
  }
  if (command == Command::Count) o.summary = 1;
  if (o.socket) socket = *o.socket;
  if (socket.empty()) socket = client::default_socket_path();
  if (!o.program.empty()) return run_program(o, socket);
  return trace_pids(o, socket);
}

}  // namespace utracectl
