#include "util/check.hpp"

#include <cstdlib>

#include "util/log.hpp"

namespace utraced::check {

void fail(const char* expr, const char* file, int line, const std::string& what) {
  // spdlog may not be set up (unit tests): stderr directly as well.
  fmt::print(stderr, "utraced: assertion failed at {}:{}: {} ({})\n", file, line, expr, what);
  if (auto l = spdlog::get("engine")) {
    l->critical("assertion failed at {}:{}: {} ({})", file, line, expr, what);
    l->flush();
  }
  std::abort();
}

}  // namespace utraced::check
