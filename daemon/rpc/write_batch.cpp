#include "rpc/write_batch.hpp"

#include "rpc/session.hpp"

namespace utraced {

void WriteBatch::end() {
  if (--depth_ > 0) return;
  depth_ = 0;
  // A session's write may stop it, or make a callback send more: work on a detached list.
  auto sessions = std::move(sessions_);
  sessions_.clear();
  for (auto& weak : sessions)
    if (auto s = weak.lock()) s->write_batched();
}

}  // namespace utraced
