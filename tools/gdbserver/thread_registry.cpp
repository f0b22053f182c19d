#include "thread_registry.hpp"

#include <dirent.h>

#include <algorithm>
#include <fstream>

namespace utracectl::gdbserver {

ThreadState& ThreadRegistry::add(int tid, int pid) {
  auto [it, created] = threads_.try_emplace(tid);
  if (created) {
    it->second.tid = tid;
    it->second.pid = pid;
  }
  return it->second;
}

ThreadState* ThreadRegistry::find(int tid) {
  auto it = threads_.find(tid);
  return it == threads_.end() ? nullptr : &it->second;
}

std::vector<int> ThreadRegistry::live(int pid) const {
  std::vector<int> out;
  for (const auto& [tid, t] : threads_)
    if (!t.dead && (pid == 0 || t.pid == pid)) out.push_back(tid);
  return out;
}

std::string ThreadRegistry::name(int pid, int tid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/comm");
  std::string s;
  std::getline(f, s);
  return s;
}

std::vector<int> ThreadRegistry::list_tasks(int pid) {
  std::vector<int> out;
  const std::string path = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(path.c_str());
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    const int tid = std::atoi(e->d_name);
    if (tid > 0) out.push_back(tid);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace utracectl::gdbserver
