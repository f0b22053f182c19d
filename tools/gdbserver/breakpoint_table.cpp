#include "breakpoint_table.hpp"

#include "utrace/proto/errors.hpp"
#include "utrace/proto/wide_values.hpp"

namespace utracectl::gdbserver {

namespace client = utrace::client;

namespace {

nlohmann::json params_of(client::EngineId engine, std::uint64_t addr, int tid) {
  return {{"engine", engine}, {"addr", utrace::proto::hex_u64(addr)}, {"tid", tid}};
}

}  // namespace

bool BreakpointTable::insert(std::uint64_t addr, int tid) {
  if (table_.count(addr)) return true;
  if (!fallback_) {
    const client::Reply r = client_.request("insert_breakpoint", params_of(engine_, addr, tid));
    if (r.ok()) {
      table_[addr] = 0;
      return true;
    }
    if (r.error->code != -32601) return false;
    fallback_ = true;  // a daemon from before breakpoints: write the int3 ourselves
  }
  try {
    const std::string old = client_.read_memory(engine_, addr, 1, tid);
    if (old.size() != 1) return false;
    if (client_.write_memory(engine_, addr, std::string(1, '\xcc'), tid) != 1) return false;
    table_[addr] = old[0];
    return true;
  } catch (const client::ClientError&) {
    return false;
  }
}

bool BreakpointTable::remove(std::uint64_t addr, int tid) {
  auto it = table_.find(addr);
  if (it == table_.end()) return true;  // gdb removes what it thinks is there: fine
  const char original = it->second;
  table_.erase(it);
  if (!fallback_) {
    const client::Reply r = client_.request("remove_breakpoint", params_of(engine_, addr, tid));
    return r.ok();
  }
  try {
    return client_.write_memory(engine_, addr, std::string(1, original), tid) == 1;
  } catch (const client::ClientError&) {
    return false;
  }
}

void BreakpointTable::remove_all(int tid) {
  while (!table_.empty()) remove(table_.begin()->first, tid);
}

void BreakpointTable::hide(std::uint64_t addr, std::string& bytes) const {
  if (!fallback_) return;
  for (auto it = table_.lower_bound(addr); it != table_.end() && it->first < addr + bytes.size();
       ++it)
    bytes[it->first - addr] = it->second;
}

void BreakpointTable::shield(std::uint64_t addr, std::string& bytes) {
  if (!fallback_) return;
  for (auto it = table_.lower_bound(addr); it != table_.end() && it->first < addr + bytes.size();
       ++it) {
    it->second = bytes[it->first - addr];
    bytes[it->first - addr] = '\xcc';
  }
}

}  // namespace utracectl::gdbserver
