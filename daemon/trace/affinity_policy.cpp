#include "trace/affinity_policy.hpp"

#include <cerrno>
#include <cstring>

#include "util/log.hpp"

namespace utraced {
namespace {

cpu_set_t only(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return set;
}

}  // namespace

std::string AffinityPolicy::pin_self() {
  if (!cpu_) return "";
  if (*cpu_ < 0 || *cpu_ >= CPU_SETSIZE) return "CPU " + std::to_string(*cpu_) + " does not exist";
  auto allowed = std::make_shared<cpu_set_t>();
  if (::sched_getaffinity(0, sizeof *allowed, allowed.get()) != 0 || !CPU_ISSET(*cpu_, allowed.get()))
    return "CPU " + std::to_string(*cpu_) + " is not one this daemon may run on";
  const cpu_set_t set = only(*cpu_);
  if (::sched_setaffinity(0, sizeof set, &set) != 0)
    return std::string("sched_setaffinity: ") + std::strerror(errno);
  original_ = std::move(allowed);
  return "";
}

AffinityPolicy::Mask AffinityPolicy::pin(pid_t tid) const {
  if (!cpu_) return nullptr;
  auto saved = std::make_shared<cpu_set_t>();
  if (::sched_getaffinity(tid, sizeof *saved, saved.get()) != 0) return nullptr;
  const cpu_set_t set = only(*cpu_);
  if (::sched_setaffinity(tid, sizeof set, &set) != 0) {
    // EINVAL: a cpuset that excludes the CPU; ESRCH: gone. It is traced all the same.
    log::trace().warn("tid={}: not pinned to CPU {}: {}", tid, *cpu_, std::strerror(errno));
    return nullptr;
  }
  return saved;
}

void AffinityPolicy::restore(pid_t tid, const Mask& saved) const {
  if (!saved) return;
  if (::sched_setaffinity(tid, sizeof *saved, saved.get()) != 0 && errno != ESRCH)
    log::trace().warn("tid={}: CPU affinity not restored: {}", tid, std::strerror(errno));
}

}  // namespace utraced
