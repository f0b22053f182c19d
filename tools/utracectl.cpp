// utracectl: the command-line client of utraced.
#include <sys/wait.h>

#include <cerrno>
#include <fstream>
#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "command_line.hpp"
#include "follower.hpp"
#include "gdbserver_command.hpp"
#include "program_run.hpp"
#include "strace_command.hpp"
#include "strace_options.hpp"
#include "utrace/client_sync.hpp"
#include "utrace/proto/message.hpp"

namespace {

namespace client = utrace::client;
namespace proto = utrace::proto;
using utracectl::CommandLine;
using utracectl::UsageError;

constexpr std::string_view kUsage = R"(usage: utracectl [--socket PATH] COMMAND [ARGS]

commands:
  hello                 print the daemon's identity (JSON)
  list                  print this connection's engines (JSON)
  stats                 print the daemon's counters (JSON)
  call METHOD [PARAMS]  call any method with PARAMS (a JSON object); print the result
  attach TID [--events E1,E2,...] [--mode sync|async|concurrent] [--commands]
                        print every report and event of a new engine on thread TID, one JSON
                        object per line, until the thread is reaped; sync reports are
                        answered "resume" (concurrent: a sync engine that is asked
                        without waiting for the other engines' replies)
                        (default events: syscall_entry,syscall_exit,exit,death,reap)
                        --commands: also read commands for the engine from stdin, one per
                        line: stop, resume, detach, interrupt, report, singlestep,
                        blockstep (control), barrier, wait, regs; each answer is printed
                        as a JSON line {"command":..., "result"|"errno":...}
  trace [OPTIONS] -p PID [-p PID...]
                        trace running threads as strace -p does, with strace's options and
                        output (-f: their whole processes and children; -e trace=, -o,
                        -ff, -s, -x, -y, -t, -tt, -ttt, -r, -T, -c, -C, -S, -w, -z, -Z...);
                        `trace PID` is the same for one thread (strace options: below)
  count PID             trace -c -p PID with the table on stdout
  regs TID              stop TID for a moment and print its registers (JSON)
  who PID               which clients of utraced trace process PID (pid, uid, command,
                        engines), or which other tracer does: the answer when gdb -p or
                        strace -p says "Operation not permitted" (root or PID's owner)
  run [OPTIONS] [--] CMD [ARGS...]
                        start CMD traced from its first instruction, as strace CMD does
                        (same options as trace; --seccomp-bpf: only the -e trace= syscalls
                        even stop CMD), in this directory and environment, with this
                        terminal's stdin/stdout/stderr. CMD is utracectl's child, in its
                        process group, with its terminal: Ctrl-C and Ctrl-\ go to CMD,
                        Ctrl-Z stops both, SIGTERM is passed on. Exits with CMD's exit
                        status, or dies of CMD's signal; if utraced goes away, CMD runs on
                        untraced (a --seccomp-bpf CMD dies with it). The older options
                        --follow, --count, --output FILE, --syscalls S1,..., --seccomp and
                        --events E1,... still work

options:
  --socket PATH         the daemon's socket (default: $UTRACED_SOCKET, else
                        /run/utraced/utraced.sock)
  -h, --help            print this help
  --version             print the version

SIGINT or SIGTERM detaches the engine and exits 0 (run: see above).
)";

constexpr const char* kDefaultEvents = "syscall_entry,syscall_exit,exit,death,reap";

// "a,b,,c" -> {"a", "b", "c"}
std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

proto::EventMask parse_events(const std::string& list) {
  proto::EventMask mask;
  for (const auto& name : split_list(list)) {
    auto kind = proto::parse_event(name);
    if (!kind) throw UsageError("unknown event '" + name + "'");
    mask.set(*kind);
  }
  if (mask.empty()) throw UsageError("--events names no event");
  return mask;
}

client::Mode parse_mode(const std::string& text) {
  if (text == "sync" || text == "concurrent") return client::Mode::Sync;
  if (text == "async") return client::Mode::Async;
  throw UsageError("--mode must be sync, async or concurrent, not '" + text + "'");
}

void print_json(const nlohmann::json& value) { std::cout << proto::dump_line(value) << std::flush; }

int cmd_simple(const CommandLine& cl, const std::string& method) {
  cl.allow_options({});
  cl.expect_positionals(0, 0);
  auto c = client::Client::connect(cl.socket());
  print_json(method == "hello" ? c.hello("utracectl") : c.call(method));
  return 0;
}

int cmd_call(const CommandLine& cl) {
  cl.allow_options({});
  cl.expect_positionals(1, 2);
  nlohmann::json params = nlohmann::json::object();
  if (cl.positional().size() == 2) {
    params = nlohmann::json::parse(cl.positional()[1], nullptr, false);
    if (!params.is_object()) throw UsageError("PARAMS must be a JSON object");
  }
  auto c = client::Client::connect(cl.socket());
  print_json(c.call(cl.positional()[0], params));
  return 0;
}

int cmd_attach(const CommandLine& cl) {
  cl.allow_options({"events", "mode", "commands"});
  cl.expect_positionals(1, 1);
  utracectl::FollowSpec spec;
  spec.tid = utracectl::parse_tid(cl.positional()[0]);
  spec.events = parse_events(cl.option("events").value_or(kDefaultEvents));
  spec.mode = parse_mode(cl.option("mode").value_or("async"));
  spec.concurrent = cl.option("mode") == "concurrent";
  auto c = client::Client::connect(cl.socket());
  utracectl::Follower follower(c, [](const client::ReportMessage& m) { print_json(m.params()); });
  follower.attach(spec);
  if (cl.option("commands")) follower.enable_commands();
  follower.run();
  return 0;
}

// Stops TID with an engine of its own, prints its registers, and lets it go again.
int cmd_regs(const CommandLine& cl) {
  cl.allow_options({});
  cl.expect_positionals(1, 1);
  client::AttachOptions o;
  o.tid = utracectl::parse_tid(cl.positional()[0]);
  auto c = client::Client::connect(cl.socket());
  auto engine = c.attach(o).engine;
  int rc = c.control(engine, proto::ResumeAction::Stop);
  if (rc == EINPROGRESS) rc = c.wait(engine, std::chrono::seconds(10));
  if (rc != 0) {
    c.detach(engine);
    throw client::ClientError(proto::errno_error(rc, "cannot stop the thread"), "regs");
  }
  nlohmann::json regs;
  try {
    regs = c.get_regs(engine);
  } catch (...) {
    c.detach(engine);
    throw;
  }
  c.detach(engine);  // never leaves the thread stopped
  print_json(regs);
  return 0;
}

std::string comm_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm.empty() ? "?" : comm;
}

int cmd_who(const CommandLine& cl) {
  cl.allow_options({});
  cl.expect_positionals(1, 1);
  const int pid = utracectl::parse_tid(cl.positional()[0]);
  auto c = client::Client::connect(cl.socket());
  auto r = c.call("who", {{"pid", pid}});
  const int tracer = r.value("tracer_pid", 0);
  const auto& clients = r["clients"];
  if (tracer == 0) {
    std::cout << "process " << pid << " is not traced\n";
  } else if (!r.value("utraced", false)) {
    std::cout << "process " << pid << " is traced by pid " << tracer << " (" << comm_of(tracer)
              << "), not by utraced\n";
  } else if (clients.empty()) {
    std::cout << "process " << pid << " is traced by utraced (pid " << tracer
              << ") with no engine on it (it is being let go, or runs under a seccomp filter "
                 "that keeps it traced)\n";
  } else {
    std::cout << "process " << pid << " is traced by utraced (pid " << tracer << ") for "
              << clients.size() << (clients.size() == 1 ? " client" : " clients") << ":\n";
    for (const auto& x : clients) {
      std::cout << "  client " << x.value("client", 0) << ": pid " << x.value("pid", 0)
                << ", uid " << x.value("uid", 0) << ", " << x.value("comm", std::string("?"))
                << ", engine" << (x["engines"].size() == 1 ? " " : "s ");
      bool first = true;
      for (const auto& id : x["engines"]) {
        std::cout << (first ? "" : ", ") << id.get<std::uint64_t>();
        first = false;
      }
      std::cout << '\n';
    }
  }
  return 0;
}

int run(const CommandLine& cl) {
  const std::string& cmd = cl.command();
  if (cmd == "hello" || cmd == "list" || cmd == "stats") return cmd_simple(cl, cmd);
  if (cmd == "call") return cmd_call(cl);
  if (cmd == "attach") return cmd_attach(cl);
  if (cmd == "regs") return cmd_regs(cl);
  if (cmd == "who") return cmd_who(cl);
  throw UsageError("unknown command '" + cmd + "'");
}

void print_error(const client::ClientError& e) {
  std::cerr << "utracectl: ";
  if (e.code() == client::client_code::kConnectFailed) {
    std::cerr << e.what() << '\n';
    return;
  }
  if (!e.method().empty()) std::cerr << e.method() << ": ";
  if (e.is_application_error()) {
    std::string name = e.errno_name();
    std::cerr << (name.empty() ? proto::errno_name(e.errno_value()) : name) << ": " << e.what()
              << '\n';
  } else if (client::client_code::is_client_code(e.code())) {
    std::cerr << e.what() << '\n';
  } else {
    std::cerr << e.what() << " (error " << e.code() << ")\n";
  }
}

// Commands that parse their own command line (gdbserver: gdb's conventions): the words after
// the command word, and the --socket given before it. nullopt for the other commands.
std::optional<int> run_raw_command(int argc, char** argv) {
  std::string socket;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--socket" && i + 1 < argc) {
      socket = argv[++i];
      continue;
    }
    if (arg.rfind("--socket=", 0) == 0) {
      socket = std::string(arg.substr(9));
      continue;
    }
    if (arg.empty() || arg[0] == '-') return std::nullopt;  // -h, --version, CommandLine's
    std::vector<std::string> rest(argv + i + 1, argv + argc);
    if (arg == "gdbserver") return utracectl::gdbserver::gdbserver_command(socket, rest);
    using Strace = utracectl::StraceOptions::Command;
    if (arg == "trace") return utracectl::strace_command(socket, Strace::Trace, rest);
    if (arg == "run") return utracectl::strace_command(socket, Strace::Run, rest);
    if (arg == "count") return utracectl::strace_command(socket, Strace::Count, rest);
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (auto status = run_raw_command(argc, argv)) return *status;
    CommandLine cl = CommandLine::parse(argc, argv);
    if (cl.help()) {
      std::cout << kUsage << '\n' << utracectl::kStraceOptionsHelp;
      return 0;
    }
    if (cl.version()) {
      std::cout << "utracectl " UTRACE_VERSION "\n";
      return 0;
    }
    if (cl.command().empty()) throw UsageError("no command given");
    return run(cl);
  } catch (const UsageError& e) {
    std::cerr << "utracectl: " << e.what() << "\nTry 'utracectl -h' for more information.\n";
    return 2;
  } catch (const client::ClientError& e) {
    print_error(e);
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "utracectl: " << e.what() << '\n';
    return 1;
  }
}
