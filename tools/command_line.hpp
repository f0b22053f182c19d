// utracectl's command line: global options, the command, its options and positionals.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace utracectl {

// Bad usage: main prints the message and the usage text, and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CommandLine {
 public:
  // Options take a value (--name VALUE or --name=VALUE) and may appear anywhere, before or
  // after the command; "--" ends option parsing. Throws UsageError.
  static CommandLine parse(int argc, char** argv);

  const std::string& socket() const { return socket_; }
  const std::string& command() const { return command_; }
  const std::vector<std::string>& positional() const { return positional_; }
  bool help() const { return help_; }
  bool version() const { return version_; }
  std::optional<std::string> option(std::string_view name) const;

  // Throws UsageError naming the first option the command does not take.
  void allow_options(std::initializer_list<std::string_view> names) const;
  // Throws UsageError unless there are between min and max positionals after the command.
  void expect_positionals(std::size_t min, std::size_t max) const;

 private:
  std::string socket_;
  std::string command_;
  std::vector<std::string> positional_;
  std::map<std::string, std::string, std::less<>> options_;
  bool help_ = false;
  bool version_ = false;
};

// Parses a positive thread id, or throws UsageError.
int parse_tid(const std::string& text);

}  // namespace utracectl
