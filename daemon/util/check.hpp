// UT_ASSERT: invariants checked in every build (rr's habit: assertions stay on in release
// builds, because the states they guard are the ones tests do not reach). A failed assertion
// logs what broke, where, and aborts: a daemon that continued from an impossible state could
// leave a traced thread stopped forever or act on a thread it no longer traces.
#pragma once

#include <string>

#include <fmt/format.h>

namespace utraced::check {

[[noreturn]] void fail(const char* expr, const char* file, int line, const std::string& what);

}  // namespace utraced::check

// UT_ASSERT(cond, "format {}", args...): the message says what the state was.
#define UT_ASSERT(cond, ...)                                                          \
  do {                                                                                \
    if (__builtin_expect(!(cond), 0))                                                 \
      ::utraced::check::fail(#cond, __FILE__, __LINE__, ::fmt::format(__VA_ARGS__)); \
  } while (0)
