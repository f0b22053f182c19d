#include "util/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace utraced::log {
namespace {

std::shared_ptr<spdlog::logger> make(const std::string& name) {
  if (auto l = spdlog::get(name)) return l;
  return spdlog::stderr_color_mt(name);
}

spdlog::logger& get(const char* name) {
  auto l = spdlog::get(name);
  if (!l) l = make(name);
  return *l;
}

}  // namespace

bool init(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") return false;
  for (const char* n : {"main", "rpc", "engine", "trace"}) make(n)->set_level(lvl);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v");
  spdlog::flush_on(spdlog::level::info);
  return true;
}

spdlog::logger& rpc() { return get("rpc"); }
spdlog::logger& engine() { return get("engine"); }
spdlog::logger& trace() { return get("trace"); }
spdlog::logger& main() { return get("main"); }

}  // namespace utraced::log
