#include "query_handler.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "gdb_signals.hpp"
#include "rsp_connection.hpp"

namespace utracectl::gdbserver {

namespace {

constexpr const char* kSupported =
    "PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;qXfer:threads:read+;"
    "qXfer:auxv:read+;qXfer:exec-file:read+;QCatchSyscalls+;QPassSignals+;QProgramSignals+;"
    "swbreak+;vContSupported+;multiprocess+;QNonStop+";

bool starts(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

// Hex numbers separated by ';'.
std::vector<std::uint64_t> hex_list(std::string_view s) {
  std::vector<std::uint64_t> out;
  while (!s.empty()) {
    const std::size_t semi = s.find(';');
    if (auto v = parse_hex(s.substr(0, semi))) out.push_back(*v);
    if (semi == std::string_view::npos) break;
    s.remove_prefix(semi + 1);
  }
  return out;
}

}  // namespace

std::string thread_id(int pid, int tid) { return "p" + hex_u64(pid) + "." + hex_u64(tid); }

std::string QueryHandler::id_of(int tid) {
  const ThreadState* t = inferior_.threads().find(tid);
  return thread_id(t && t->pid ? t->pid : inferior_.pid(), tid);
}

std::string QueryHandler::thread_list() {
  std::string out;
  for (int tid : inferior_.threads().live()) {
    out += out.empty() ? "m" : ",";
    out += id_of(tid);
  }
  return out.empty() ? "l" : out;
}

std::string QueryHandler::threads_xml() {
  std::string x = "<?xml version=\"1.0\"?>\n<threads>\n";
  for (int tid : inferior_.threads().live())
    x += "<thread id=\"" + id_of(tid) + "\" name=\"" +
         xml_escape(ThreadRegistry::name(inferior_.threads().find(tid)->pid, tid)) + "\"/>\n";
  return x + "</threads>\n";
}

std::string QueryHandler::xfer(std::string_view object, std::string_view annex, std::size_t offset,
                               std::size_t length) {
  std::string data;
  if (object == "features") {
    if (annex != "target.xml") return "E00";
    data = tdesc_.xml();
  } else if (object == "threads") {
    data = threads_xml();
  } else if (object == "auxv") {
    data = read_file("/proc/" + std::to_string(inferior_.pid()) + "/auxv");
    if (data.empty()) return "E01";
  } else if (object == "exec-file") {
    const auto pid =
        annex.empty() ? std::optional<std::uint64_t>(inferior_.pid()) : parse_hex(annex);
    if (!pid) return "E00";
    char buf[4096];
    const ssize_t n =
        ::readlink(("/proc/" + std::to_string(*pid) + "/exe").c_str(), buf, sizeof buf);
    if (n <= 0) return "E01";
    data.assign(buf, static_cast<std::size_t>(n));
  } else {
    return "";
  }
  if (offset >= data.size()) return "l";
  const std::string chunk = data.substr(offset, length);
  return (offset + chunk.size() >= data.size() ? "l" : "m") + chunk;
}

std::optional<std::string> QueryHandler::handle(std::string_view p, int current_tid) {
  if (starts(p, "qSupported")) {
    const bool exec_events = p.find("exec-events+") != std::string_view::npos;
    const bool fork_events = p.find(";fork-events+") != std::string_view::npos;
    inferior_.set_report_exec(exec_events);
    inferior_.set_report_fork(fork_events);
    return std::string(kSupported) + (exec_events ? ";exec-events+" : "") +
           (fork_events ? ";fork-events+" : "");
  }
  if (p == "vMustReplyEmpty") return std::string();
  if (starts(p, "qXfer:")) {
    // qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH
    std::string_view rest = p.substr(6);
    const std::size_t c1 = rest.find(':');
    if (c1 == std::string_view::npos) return std::string("E00");
    const std::string_view object = rest.substr(0, c1);
    rest.remove_prefix(c1 + 1);
    if (!starts(rest, "read:")) return std::string();
    rest.remove_prefix(5);
    const std::size_t c2 = rest.rfind(':');
    const std::size_t comma = rest.rfind(',');
    if (c2 == std::string_view::npos || comma == std::string_view::npos || comma < c2)
      return std::string("E00");
    const auto offset = parse_hex(rest.substr(c2 + 1, comma - c2 - 1));
    const auto length = parse_hex(rest.substr(comma + 1));
    if (!offset || !length) return std::string("E00");
    return xfer(object, rest.substr(0, c2), *offset, *length);
  }
  if (p == "qfThreadInfo") return thread_list();
  if (p == "qsThreadInfo") return std::string("l");
  if (p == "qC") return "QC" + id_of(current_tid);
  if (starts(p, "qAttached")) return std::string(inferior_.launched() ? "0" : "1");
  if (starts(p, "QPassSignals:")) {
    std::set<int> pass;
    for (std::uint64_t g : hex_list(p.substr(13)))
      if (int s = host_signal_from_gdb(static_cast<int>(g))) pass.insert(s);
    inferior_.set_pass_signals(std::move(pass));
    return std::string("OK");
  }
  if (starts(p, "QProgramSignals:")) return std::string("OK");
  if (starts(p, "QCatchSyscalls:")) {
    std::string_view rest = p.substr(15);
    if (starts(rest, "0")) {
      inferior_.set_syscall_catch(false, {});
      return std::string("OK");
    }
    if (!starts(rest, "1")) return std::string("E00");
    std::set<std::int64_t> nrs;
    if (rest.size() > 2)
      for (std::uint64_t n : hex_list(rest.substr(2))) nrs.insert(static_cast<std::int64_t>(n));
    inferior_.set_syscall_catch(true, std::move(nrs));
    return std::string("OK");
  }
  if (starts(p, "qSymbol")) return std::string("OK");
  if (starts(p, "qThreadExtraInfo,"))
    return to_hex("utraced engine " + std::to_string(inferior_.engine()));
  if (starts(p, "QDisableRandomization") || starts(p, "QEnvironment") ||
      starts(p, "QSetWorkingDir") || starts(p, "QStartupWithShell"))
    return std::string("OK");
  return std::nullopt;
}

}  // namespace utracectl::gdbserver
