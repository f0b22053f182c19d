// Microseconds of a clock, for the time of a stop in reports (PROTOCOL.md, time_us/mono_us).
#pragma once

#include <time.h>

#include <cstdint>

namespace utraced {

inline std::uint64_t clock_us(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace utraced
