#include "sys/proc.hpp"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace utraced::proc {

std::optional<TaskStatus> read_status(pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/status");
  if (!in) return std::nullopt;
  TaskStatus st;
  std::string line;
  bool uid = false, gid = false, prm = false, eff = false;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    std::istringstream val(line.substr(colon + 1));
    if (key == "State") val >> st.state;
    else if (key == "Tgid") val >> st.tgid;
    else if (key == "PPid") val >> st.ppid;
    else if (key == "TracerPid") val >> st.tracer_pid;
    else if (key == "Uid") uid = static_cast<bool>(val >> st.uids[0] >> st.uids[1] >> st.uids[2] >> st.uids[3]);
    else if (key == "Gid") gid = static_cast<bool>(val >> st.gids[0] >> st.gids[1] >> st.gids[2] >> st.gids[3]);
    else if (key == "SigPnd") {
      std::string hex;
      val >> hex;
      st.sig_pending = std::strtoull(hex.c_str(), nullptr, 16);
    } else if (key == "CapPrm" || key == "CapEff") {
      std::string hex;
      val >> hex;
      char* end = nullptr;
      std::uint64_t v = std::strtoull(hex.c_str(), &end, 16);
      if (hex.empty() || *end != '\0') continue;
      if (key == "CapPrm") st.cap_prm = v, prm = true;
      else st.cap_eff = v, eff = true;
    }
  }
  if (!uid || !gid) return std::nullopt;
  st.has_caps = prm && eff;
  return st;
}

std::optional<unsigned long> read_flags(pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(tid) + "/stat");
  std::string s;
  if (!in || !std::getline(in, s)) return std::nullopt;
  // comm may contain spaces and parentheses: fields start after the last ')'.
  auto rp = s.rfind(')');
  if (rp == std::string::npos) return std::nullopt;
  std::istringstream rest(s.substr(rp + 1));
  std::string field;
  // After ')': state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9).
  for (int i = 3; i <= 9; ++i)
    if (!(rest >> field)) return std::nullopt;
  return std::strtoul(field.c_str(), nullptr, 10);
}

std::vector<pid_t> list_tasks(pid_t pid) {
  std::vector<pid_t> out;
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (!d) return out;
  while (auto* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    out.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
  }
  ::closedir(d);
  return out;
}

std::string exe_path(pid_t pid) {
  char buf[4096];
  ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::string wchan(pid_t pid, pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/wchan");
  std::string s;
  if (!in || !std::getline(in, s)) return "0";
  return s;
}

bool sibling_waits_in_exec(pid_t pid, pid_t except) {
  constexpr std::uint64_t kSigkill = 1ull << (SIGKILL - 1);
  for (pid_t tid : list_tasks(pid)) {
    if (tid == except) continue;
    auto st = read_status(tid);
    if (!st || st->state != 'D' || (st->sig_pending & kSigkill)) continue;
    auto flags = read_flags(tid);
    if (!flags || (*flags & kPfExiting)) continue;
    // Where the kernel names the function it sleeps in (CONFIG_KALLSYMS), that decides:
    // de_thread, or begin_new_exec where de_thread is inlined. Elsewhere the shape above.
    const std::string where = wchan(pid, tid);
    if (where == "0") return true;
    if (where == "de_thread" || where == "begin_new_exec") return true;
  }
  return false;
}

}  // namespace utraced::proc
