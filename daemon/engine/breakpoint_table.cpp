#include "engine/breakpoint_table.hpp"

namespace utraced {

BreakpointTable::Entry* BreakpointTable::find(pid_t tgid, std::uint64_t addr) {
  auto p = procs_.find(tgid);
  if (p == procs_.end()) return nullptr;
  auto e = p->second.find(addr);
  return e == p->second.end() ? nullptr : &e->second;
}

void BreakpointTable::erase(pid_t tgid, std::uint64_t addr) {
  auto p = procs_.find(tgid);
  if (p == procs_.end()) return;
  p->second.erase(addr);
  if (p->second.empty()) procs_.erase(p);
}

const std::map<std::uint64_t, BreakpointTable::Entry>* BreakpointTable::entries(pid_t tgid) const {
  auto p = procs_.find(tgid);
  return p == procs_.end() ? nullptr : &p->second;
}

std::vector<std::uint64_t> BreakpointTable::orphans(pid_t tgid) const {
  std::vector<std::uint64_t> out;
  if (const auto* all = entries(tgid))
    for (const auto& [addr, e] : *all)
      if (e.owners.empty()) out.push_back(addr);
  return out;
}

void BreakpointTable::show_original(pid_t tgid, std::uint64_t addr, std::string& bytes) const {
  const auto* all = entries(tgid);
  if (!all || bytes.empty()) return;
  for (auto it = all->lower_bound(addr); it != all->end() && it->first - addr < bytes.size(); ++it)
    bytes[it->first - addr] = static_cast<char>(it->second.original);
}

void BreakpointTable::write_through(pid_t tgid, std::uint64_t addr, std::string& bytes) {
  auto p = procs_.find(tgid);
  if (p == procs_.end() || bytes.empty()) return;
  for (auto it = p->second.lower_bound(addr); it != p->second.end() && it->first - addr < bytes.size();
       ++it) {
    it->second.original = static_cast<std::uint8_t>(bytes[it->first - addr]);
    bytes[it->first - addr] = static_cast<char>(0xcc);
  }
}

}  // namespace utraced
