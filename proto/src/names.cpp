#include <array>
#include <cerrno>
#include <cstring>

#include "utrace/proto/actions.hpp"
#include "utrace/proto/errors.hpp"
#include "utrace/proto/events.hpp"

namespace utrace::proto {
namespace {

constexpr std::array<std::string_view, kResumeActionCount> kActionNames = {
    "stop", "interrupt", "report", "singlestep", "blockstep", "resume", "detach"};

constexpr std::array<std::string_view, kEventKindCount> kEventNames = {
    "quiesce",       "reap",          "clone",       "exec",        "exit",
    "death",         "syscall_entry", "syscall_exit", "signal",     "signal_ign",
    "signal_stop",   "signal_term",   "signal_core", "jctl",
    "breakpoint"};

}  // namespace

std::string_view to_string(ResumeAction action) {
  return kActionNames.at(static_cast<std::size_t>(action));
}

std::optional<ResumeAction> parse_action(std::string_view name) {
  for (std::size_t i = 0; i < kActionNames.size(); ++i)
    if (kActionNames[i] == name) return static_cast<ResumeAction>(i);
  return std::nullopt;
}

std::string_view to_string(EventKind kind) {
  return kEventNames.at(static_cast<std::size_t>(kind));
}

std::optional<EventKind> parse_event(std::string_view name) {
  for (std::size_t i = 0; i < kEventNames.size(); ++i)
    if (kEventNames[i] == name) return static_cast<EventKind>(i);
  return std::nullopt;
}

std::vector<std::string> EventMask::names() const {
  std::vector<std::string> out;
  for (int i = 0; i < kEventKindCount; ++i)
    if (has(static_cast<EventKind>(i))) out.emplace_back(kEventNames[i]);
  return out;
}

std::string errno_name(int err) {
  const char* n = strerrorname_np(err);
  return n ? n : "E?";
}

}  // namespace utrace::proto
