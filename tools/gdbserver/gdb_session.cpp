#include "gdb_session.hpp"

#include <sys/wait.h>

#include <csignal>
#include <iostream>
#include <set>

#include "gdb_signals.hpp"

namespace utracectl::gdbserver {

namespace client = utrace::client;
using std::chrono::milliseconds;

namespace {

bool starts(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string hex2(int v) {
  static constexpr char kHex[] = "0123456789abcdef";
  return {kHex[(v >> 4) & 15], kHex[v & 15]};
}

// A thread id of a packet: "p<pid>.<tid>", "p<pid>", "<tid>", "-1" (all), "0" (any).
// Returns the tid: -1 for all, 0 for any.
int parse_thread(std::string_view s) {
  if (starts(s, "p")) {
    const std::size_t dot = s.find('.');
    if (dot == std::string_view::npos) return -1;  // the whole process
    s.remove_prefix(dot + 1);
  }
  if (s == "-1") return -1;
  return static_cast<int>(parse_hex(s).value_or(0));
}

// "ADDR,LEN" and what follows the ':' (if any).
bool parse_addr_len(std::string_view args, std::uint64_t& addr, std::uint64_t& len,
                    std::string_view* data = nullptr) {
  const std::size_t comma = args.find(',');
  if (comma == std::string_view::npos) return false;
  std::size_t colon = args.find(':', comma);
  const auto a = parse_hex(args.substr(0, comma));
  const auto l = parse_hex(
      args.substr(comma + 1, colon == std::string_view::npos ? colon : colon - comma - 1));
  if (!a || !l) return false;
  addr = *a;
  len = *l;
  if (data) *data = colon == std::string_view::npos ? std::string_view() : args.substr(colon + 1);
  return true;
}

}  // namespace

GdbSession::GdbSession(RspConnection& conn, Inferior& inferior, const TargetDescription& tdesc)
    : conn_(conn),
      inferior_(inferior),
      regs_(inferior.client(), inferior.engine(), tdesc),
      queries_(inferior, tdesc),
      nonstop_(conn, inferior, [this](const StopEvent& e) { return stop_reply(e); }) {}

int GdbSession::run() {
  last_stop_ = StopEvent{StopKind::Initial, inferior_.pid()};
  general_tid_ = inferior_.pid();
  for (;;) {
    if (non_stop_ && !finished_ && nonstop_.collect()) finished_ = true;
    if (running_) {
      if (auto e = inferior_.take_stop()) {
        report_stop(*e);
        continue;
      }
      if (conn_.take_interrupt()) {
        inferior_.stop_all();
        report_stop(StopEvent{StopKind::Interrupt, thread_for(general_tid_), SIGINT});
        continue;
      }
      if (conn_.closed()) {
        abandon();
        return 0;
      }
      if (inferior_.wait_io(conn_.input_fd(), milliseconds(200))) conn_.read_available();
      continue;
    }
    if (auto p = conn_.next_packet()) {
      const bool go_on = handle(*p);
      if (borrowed_) inferior_.give_back(borrowed_);  // a thread held for a memory access
      borrowed_ = 0;
      if (!go_on) return 0;
      continue;
    }
    while (conn_.take_interrupt())
      if (non_stop_) interrupt();
    if (conn_.closed()) {
      abandon();
      return 0;
    }
    if (inferior_.wait_io(conn_.input_fd(), milliseconds(1000))) conn_.read_available();
  }
}

void GdbSession::abandon() {
  if (finished_) return;
  finished_ = true;
  if (inferior_.launched()) {
    inferior_.kill();
    return;
  }
  if (running_) inferior_.stop_all();
  inferior_.detach();
}

int GdbSession::thread_for(int selected) {
  ThreadRegistry& threads = inferior_.threads();
  for (int tid : {selected, last_stop_.tid, general_tid_}) {
    if (tid <= 0) continue;
    if (ThreadState* t = threads.find(tid); t && !t->dead) return tid;
  }
  const auto live = threads.live();
  return live.empty() ? inferior_.pid() : live.front();
}

void GdbSession::report_stop(const StopEvent& e) {
  if (e.kind != StopKind::Exited) inferior_.stop_all();
  running_ = false;
  if (e.kind == StopKind::Exited)
    finished_ = true;
  else
    general_tid_ = e.tid;
  last_stop_ = e;
  conn_.send(stop_reply(e));
}

std::string GdbSession::stop_reply(const StopEvent& e) const {
  const int pid = inferior_.pid();
  if (e.kind == StopKind::Exited) {
    const std::string process = ";process:" + hex_u64(pid);
    if (WIFSIGNALED(e.status))
      return "X" + hex2(gdb_signal_from_host(WTERMSIG(e.status))) + process;
    return "W" + hex2(WIFEXITED(e.status) ? WEXITSTATUS(e.status) : 0) + process;
  }
  const std::string thread = "thread:" + thread_id(pid, e.tid) + ";";
  switch (e.kind) {
    case StopKind::Breakpoint:
      return "T05swbreak:;" + thread;
    case StopKind::Step:
      return "T05" + thread;
    case StopKind::SyscallEntry:
      return "T05syscall_entry:" + hex_u64(e.sysno) + ";" + thread;
    case StopKind::SyscallReturn:
      return "T05syscall_return:" + hex_u64(e.sysno) + ";" + thread;
    case StopKind::Interrupt:
      return "T02" + thread;
    case StopKind::Exec:
      return "T05exec:" + to_hex(e.path) + ";" + thread;
    case StopKind::Fork:
      return "T05fork:" + thread_id(e.child_pid, e.child_tid) + ";" + thread;
    case StopKind::Initial:
      return (inferior_.launched() ? "T05" : "T00") + thread;
    default:
      return "T" + hex2(gdb_signal_from_host(e.signo)) + thread;
  }
}

void GdbSession::start(const std::vector<Inferior::Action>& actions) {
  if (finished_) {
    conn_.send(stop_reply(last_stop_));
    return;
  }
  running_ = true;
  if (auto e = inferior_.resume(actions)) report_stop(*e);
}

bool GdbSession::resume_vcont(std::string_view args) {
  struct Item {
    char kind;
    int signo;
    int tid;
  };
  std::vector<Item> items;
  while (!args.empty()) {
    const std::size_t semi = args.find(';');
    std::string_view a = args.substr(0, semi);
    args = semi == std::string_view::npos ? std::string_view() : args.substr(semi + 1);
    if (a.empty()) continue;
    const std::size_t colon = a.find(':');
    const int tid = colon == std::string_view::npos ? -1 : parse_thread(a.substr(colon + 1));
    int signo = 0;
    if (a[0] == 'C' || a[0] == 'S')
      signo = host_signal_from_gdb(static_cast<int>(parse_hex(a.substr(1, 2)).value_or(0)));
    items.push_back({a[0], signo, tid});
  }
  std::vector<Inferior::Action> actions;
  std::set<int> stop;  // vCont;t (non-stop)
  for (int tid : inferior_.threads().live()) {
    for (const Item& it : items) {
      if (it.tid != -1 && it.tid != 0 && it.tid != tid) continue;
      if (it.kind == 't') {
        stop.insert(tid);
        break;
      }
      const bool step = it.kind == 's' || it.kind == 'S' || it.kind == 'r';
      actions.push_back({tid, step, it.signo});
      break;
    }
  }
  if (non_stop_) {  // only the threads named; the reply comes at once, their stops later
    if (!stop.empty()) inferior_.stop_threads(stop, StopKind::Signal, 0);
    inferior_.resume(actions, true);
    conn_.send("OK");
    return true;
  }
  start(actions);
  return true;
}

void GdbSession::resume_legacy(char kind, std::string_view args) {
  int signo = 0;
  if (kind == 'C' || kind == 'S')
    signo = host_signal_from_gdb(static_cast<int>(parse_hex(args.substr(0, 2)).value_or(0)));
  const bool step = kind == 's' || kind == 'S';
  const int current = thread_for(continue_tid_ > 0 ? continue_tid_ : general_tid_);
  std::vector<Inferior::Action> actions;
  for (int tid : inferior_.threads().live()) {
    if (tid == current)
      actions.push_back({tid, step, signo});
    else if (continue_tid_ <= 0)
      actions.push_back({tid, false, 0});
  }
  start(actions);
}

std::string GdbSession::read_memory(std::string_view args) {
  std::uint64_t addr = 0, len = 0;
  if (!parse_addr_len(args, addr, len)) return "E00";
  const int tid = examine_thread();
  if (!tid) return "E01";
  try {
    const std::string data = inferior_.read_memory(addr, std::min<std::uint64_t>(len, 0x2000), tid);
    return data.empty() ? "E0e" : to_hex(data);
  } catch (const client::ClientError&) {
    return "E0e";
  }
}

std::string GdbSession::write_memory(std::string_view args, bool binary) {
  std::uint64_t addr = 0, len = 0;
  std::string_view data;
  if (!parse_addr_len(args, addr, len, &data)) return "E00";
  if (len == 0) return "OK";
  const std::string bytes = binary ? std::string(data) : from_hex(data);
  if (bytes.size() != len) return "E00";
  const int tid = examine_thread();
  if (!tid) return "E01";
  try {
    return inferior_.write_memory(addr, bytes, tid) == len ? "OK" : "E0e";
  } catch (const client::ClientError&) {
    return "E0e";
  }
}

std::string GdbSession::breakpoint(std::string_view args, bool insert) {
  // TYPE,ADDR,KIND: software breakpoints (type 0) only.
  if (!starts(args, "0,")) return "";
  std::uint64_t addr = 0, kind = 0;
  if (!parse_addr_len(args.substr(2), addr, kind)) return "E00";
  const int tid = examine_thread();
  if (!tid) return "E01";
  // A forked child's copy: the daemon already gave it the original bytes.
  if (const ThreadState* t = inferior_.threads().find(tid); t && t->pid != inferior_.pid())
    return "OK";
  BreakpointTable& b = inferior_.breakpoints();
  return (insert ? b.insert(addr, tid) : b.remove(addr, tid)) ? "OK" : "E01";
}

int GdbSession::examine_thread() {
  if (const int tid = inferior_.examine_tid(general_tid_)) return tid;
  if (non_stop_ && !borrowed_) borrowed_ = inferior_.borrow_thread();  // all of them run
  return borrowed_;
}

void GdbSession::interrupt() {
  const auto live = inferior_.threads().live(inferior_.pid());
  if (!live.empty()) inferior_.stop_threads({live.front()}, StopKind::Interrupt, SIGINT);
}

bool GdbSession::handle(const std::string& packet) {
  const std::string_view p = packet;
  if (p.empty()) {
    conn_.send("");
    return true;
  }
  if (p == "QStartNoAckMode") {
    conn_.send("OK");
    conn_.set_no_ack();
    return true;
  }
  if (starts(p, "QNonStop:")) {
    non_stop_ = p == "QNonStop:1";
    if (non_stop_) {
      // Non-stop leaves threads as they are; we let all but the leader run on, since gdb 13
      // asserts (remote.c, wait) when it connects to more than one stopped thread.
      std::vector<Inferior::Action> others;
      for (int tid : inferior_.threads().live())
        if (tid != inferior_.pid()) others.push_back({tid, false, 0});
      inferior_.resume(others, true);
    }
    conn_.send("OK");
    return true;
  }
  if (non_stop_ && (p == "?" || p == "vStopped")) {
    conn_.send(p == "?" ? nonstop_.question() : nonstop_.next());
    return true;
  }
  if (p == "vCtrlC") {
    interrupt();
    conn_.send("OK");
    return true;
  }
  if (auto r = queries_.handle(p, thread_for(general_tid_))) {
    conn_.send(*r);
    return true;
  }
  const std::string_view args = p.substr(1);
  try {
    switch (p[0]) {
      case '?':
        conn_.send(stop_reply(last_stop_));
        return true;
      case 'g':
      case 'G':
      case 'p':
      case 'P': {
        ThreadState* t = inferior_.threads().find(thread_for(general_tid_));
        if (finished_ || !t || !t->stopped()) {
          conn_.send("E01");
        } else if (p[0] == 'g') {
          conn_.send(to_hex(regs_.read_all(*t)));
        } else if (p[0] == 'G') {
          regs_.write_all(*t, from_hex(args));
          conn_.send("OK");
        } else if (p[0] == 'p') {
          auto v = regs_.read_one(*t, static_cast<int>(parse_hex(args).value_or(~0u)));
          conn_.send(v ? to_hex(*v) : "E00");
        } else {
          const std::size_t eq = args.find('=');
          const auto n = parse_hex(args.substr(0, eq));
          const bool ok = eq != std::string_view::npos && n &&
                          regs_.write_one(*t, static_cast<int>(*n), from_hex(args.substr(eq + 1)));
          conn_.send(ok ? "OK" : "E00");
        }
        return true;
      }
      case 'm':
        conn_.send(read_memory(args));
        return true;
      case 'M':
        conn_.send(write_memory(args, false));
        return true;
      case 'X':
        conn_.send(write_memory(args, true));
        return true;
      case 'Z':
        conn_.send(breakpoint(args, true));
        return true;
      case 'z':
        conn_.send(breakpoint(args, false));
        return true;
      case 'c':
      case 'C':
      case 's':
      case 'S':
        resume_legacy(p[0], args);
        return true;
      case 'H':
        if (!args.empty() && args[0] == 'g')
          general_tid_ = parse_thread(args.substr(1));
        else if (!args.empty())
          continue_tid_ = parse_thread(args.substr(1));
        conn_.send("OK");
        return true;
      case 'T': {
        ThreadState* t = inferior_.threads().find(parse_thread(args));
        conn_.send(t && !t->dead ? "OK" : "E01");
        return true;
      }
      case 'D':
        if (const auto pid = parse_hex(args.substr(args.empty() ? 0 : 1));
            !finished_ && pid && static_cast<int>(*pid) != inferior_.pid()) {
          inferior_.detach_process(static_cast<int>(*pid));  // a forked child gdb lets go
          conn_.send("OK");
          return true;
        }
        if (!finished_) inferior_.detach();
        finished_ = true;
        conn_.send("OK");
        return false;
      case 'k':
        if (!finished_) inferior_.kill();
        finished_ = true;
        return false;
      default:
        break;
    }
    if (p == "vCont?") {
      conn_.send("vCont;c;C;s;S;t");
      return true;
    }
    if (starts(p, "vCont;")) return resume_vcont(p.substr(6));
    if (starts(p, "vKill")) {
      if (!finished_) inferior_.kill();
      finished_ = true;
      conn_.send("OK");
      return true;
    }
  } catch (const client::ClientError& e) {
    if (e.code() == client::client_code::kConnectionClosed) throw;
    std::cerr << "utracectl gdbserver: " << e.what() << '\n';
    conn_.send("E01");
    return true;
  }
  conn_.send("");  // not supported
  return true;
}

}  // namespace utracectl::gdbserver
