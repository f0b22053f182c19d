// EngineRegistry: every engine set by id (ids are never reused), which client owns it, and how
// many threads each client's engines cover (Limits::threads_per_client). Lookups see only the
// asking client's engines: other clients' engines are invisible to it.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "engine/client_link.hpp"
#include "engine/engine_set.hpp"
#include "rpc/limits.hpp"
#include "utrace/proto/errors.hpp"

namespace utraced {

class EngineRegistry {
 public:
  explicit EngineRegistry(const Limits& limits) : limits_(limits) {}

  // A new, empty set of the client's with the next id.
  EngineSetPtr create(ClientLink& client, pid_t pid, EngineScope scope, bool follow);
  // Forgets the set's id (its members are dropped by the caller).
  void erase(const EngineSet& set) { sets_.erase(set.id); }

  EngineSetPtr find(const ClientLink& client, std::uint64_t id) const;
  // The member on tid; with tid 0, the only member. nullptr when there is none.
  EnginePtr find(const ClientLink& client, std::uint64_t id, pid_t tid) const;
  std::vector<EngineSetPtr> of(const ClientLink& client) const;  // sorted by id
  std::vector<EngineSetPtr> all() const;
  std::size_t size() const { return sets_.size(); }

  // Members (threads covered) of each client: counted when added, uncounted when dropped.
  void count_member(const ClientLink& client) { ++members_[client.client_id()]; }
  void uncount_member(const ClientLink& client);
  // The client covers Limits::threads_per_client threads already.
  bool client_full(const ClientLink& client) const;
  utrace::proto::RpcError client_full_error() const;

 private:
  const Limits& limits_;
  std::unordered_map<std::uint64_t, EngineSetPtr> sets_;
  std::unordered_map<std::uint64_t, std::size_t> members_;  // by client id
  std::uint64_t next_id_ = 1;
};

}  // namespace utraced
