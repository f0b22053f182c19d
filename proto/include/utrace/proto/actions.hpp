// Resume actions, ordered from most to least restrictive (utrace's enum utrace_resume_action).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace utrace::proto {

enum class ResumeAction : std::uint8_t {
  Stop = 0,        // keep the thread stopped; sticky per engine until that engine says otherwise
  Interrupt = 1,   // make sure a report pass happens soon, breaking interruptible sleeps
  Report = 2,      // make sure a report pass happens soon
  SingleStep = 3,  // run one instruction, then report
  BlockStep = 4,   // run to the next branch, then report
  Resume = 5,      // no special request; releases this engine's stop hold
  Detach = 6,      // detach this engine (implies Resume for it)
};

inline constexpr int kResumeActionCount = 7;

// The combined action of a report pass is the minimum: the most restrictive wins.
constexpr ResumeAction combine(ResumeAction a, ResumeAction b) { return a < b ? a : b; }

std::string_view to_string(ResumeAction action);
// Accepts the lower-case wire names ("stop", "resume", ...). nullopt for anything else.
std::optional<ResumeAction> parse_action(std::string_view name);

}  // namespace utrace::proto
