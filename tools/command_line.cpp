#include "command_line.hpp"

#include <algorithm>
#include <charconv>

#include "utrace/client_sync.hpp"

namespace utracectl {

namespace {

// Every option utracectl knows that takes a value.
constexpr std::string_view kKnownOptions[] = {"socket", "events", "mode", "output", "syscalls"};
// Options that take no value (their value reads as "1").
constexpr std::string_view kKnownFlags[] = {"commands", "follow", "count", "seccomp"};

bool known_option(std::string_view name) {
  return std::find(std::begin(kKnownOptions), std::end(kKnownOptions), name) !=
         std::end(kKnownOptions);
}

bool known_flag(std::string_view name) {
  return std::find(std::begin(kKnownFlags), std::end(kKnownFlags), name) != std::end(kKnownFlags);
}

}  // namespace

CommandLine CommandLine::parse(int argc, char** argv) {
  CommandLine cl;
  bool options_done = false;
  std::vector<std::string> words;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      words.push_back(std::move(arg));
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      cl.help_ = true;
      continue;
    }
    if (arg == "--version") {
      cl.version_ = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) throw UsageError("unknown option '" + arg + "'");
    std::string name = arg.substr(2);
    std::string value;
    const auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (known_flag(name) && eq == std::string::npos) {
      cl.options_[name] = "1";
      continue;
    }
    if (!known_option(name)) throw UsageError("unknown option '--" + name + "'");
    if (eq == std::string::npos) {
      if (i + 1 >= argc) throw UsageError("option '--" + name + "' needs a value");
      value = argv[++i];
    }
    cl.options_[name] = value;
  }
  if (!words.empty()) {
    cl.command_ = words.front();
    cl.positional_.assign(words.begin() + 1, words.end());
  }
  auto socket = cl.options_.find("socket");
  if (socket != cl.options_.end()) {
    cl.socket_ = socket->second;
    cl.options_.erase(socket);
  } else {
    cl.socket_ = utrace::client::default_socket_path();
  }
  return cl;
}

std::optional<std::string> CommandLine::option(std::string_view name) const {
  auto it = options_.find(name);
  if (it == options_.end()) return std::nullopt;
  return it->second;
}

void CommandLine::allow_options(std::initializer_list<std::string_view> names) const {
  for (const auto& [name, value] : options_) {
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw UsageError("'" + command_ + "' takes no option '--" + name + "'");
  }
}

void CommandLine::expect_positionals(std::size_t min, std::size_t max) const {
  if (positional_.size() < min) throw UsageError("'" + command_ + "': missing argument");
  if (positional_.size() > max)
    throw UsageError("'" + command_ + "': unexpected argument '" + positional_[max] + "'");
}

int parse_tid(const std::string& text) {
  int tid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), tid);
  if (ec != std::errc() || end != text.data() + text.size() || tid <= 0)
    throw UsageError("'" + text + "' is not a thread id");
  return tid;
}

}  // namespace utracectl
