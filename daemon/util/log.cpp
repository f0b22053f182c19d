#include "util/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

namespace utraced::log {
namespace {

// %J: the syslog priority of the message's level as journald reads it from a line's start
// ("<4>" for a warning), so `journalctl -p warning` works for the service's stderr.
class JournalPriority : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    int prio = 6;
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: prio = 7; break;
      case spdlog::level::info: prio = 6; break;
      case spdlog::level::warn: prio = 4; break;
      case spdlog::level::err: prio = 3; break;
      case spdlog::level::critical: prio = 2; break;
      default: break;
    }
    const char text[] = {'<', static_cast<char>('0' + prio), '>'};
    dest.append(text, text + sizeof text);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JournalPriority>();
  }
};

// True when stderr is the journal's stream (systemd sets JOURNAL_STREAM to its "dev:ino").
bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (!js) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(2, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

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
  // Under systemd the journal stamps each line itself and reads its priority from the prefix.
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<JournalPriority>('J');
  formatter->set_pattern(stderr_is_journal() ? "%J%l [%n] %v"
                                             : "%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v");
  spdlog::set_formatter(std::move(formatter));
  spdlog::flush_on(spdlog::level::info);
  return true;
}

spdlog::logger& rpc() { return get("rpc"); }
spdlog::logger& engine() { return get("engine"); }
spdlog::logger& trace() { return get("trace"); }
spdlog::logger& main() { return get("main"); }

}  // namespace utraced::log
