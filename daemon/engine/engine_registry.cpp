#include "engine/engine_registry.hpp"

#include <algorithm>
#include <cerrno>

namespace utraced {

EngineSetPtr EngineRegistry::create(ClientLink& client, pid_t pid, EngineScope scope,
                                    bool follow) {
  auto set = std::make_shared<EngineSet>();
  set->id = next_id_++;
  set->client = &client;
  set->pid = pid;
  set->scope = scope;
  set->follow = follow;
  sets_.emplace(set->id, set);
  return set;
}

EngineSetPtr EngineRegistry::find(const ClientLink& client, std::uint64_t id) const {
  auto it = sets_.find(id);
  if (it == sets_.end() || it->second->client != &client) return nullptr;
  return it->second;
}

EnginePtr EngineRegistry::find(const ClientLink& client, std::uint64_t id, pid_t tid) const {
  auto set = find(client, id);
  if (!set) return nullptr;
  if (tid == 0) return set->members.size() == 1 ? set->members.begin()->second : nullptr;
  auto it = set->members.find(tid);
  return it == set->members.end() ? nullptr : it->second;
}

std::vector<EngineSetPtr> EngineRegistry::of(const ClientLink& client) const {
  std::vector<EngineSetPtr> v;
  for (auto& [id, set] : sets_)
    if (set->client == &client) v.push_back(set);
  std::sort(v.begin(), v.end(),
            [](const EngineSetPtr& a, const EngineSetPtr& b) { return a->id < b->id; });
  return v;
}

std::vector<EngineSetPtr> EngineRegistry::all() const {
  std::vector<EngineSetPtr> v;
  v.reserve(sets_.size());
  for (auto& [id, set] : sets_) v.push_back(set);
  return v;
}

void EngineRegistry::uncount_member(const ClientLink& client) {
  auto it = members_.find(client.client_id());
  if (it != members_.end() && --it->second == 0) members_.erase(it);
}

bool EngineRegistry::client_full(const ClientLink& client) const {
  auto it = members_.find(client.client_id());
  return it != members_.end() && it->second >= limits_.threads_per_client;
}

utrace::proto::RpcError EngineRegistry::client_full_error() const {
  return utrace::proto::errno_error(EAGAIN, "the engines of this connection cover too many threads",
                                    {{"limit", "threads_per_client"},
                                     {"value", limits_.threads_per_client}});
}

}  // namespace utraced
