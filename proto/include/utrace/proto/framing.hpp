// Newline-delimited framing with a maximum line size. Pure, no I/O.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace utrace::proto {

inline constexpr std::size_t kDefaultMaxLine = 1024 * 1024;  // 1 MiB, without the '\n'

class LineFramer {
 public:
  using LineHandler = std::function<void(std::string_view line)>;
  // Called once per oversize line, with the number of bytes seen so far for it; the rest of that
  // line (up to its '\n') is discarded without being buffered.
  using OversizeHandler = std::function<void(std::size_t bytes)>;

  explicit LineFramer(std::size_t max_line = kDefaultMaxLine) : max_line_(max_line) {}

  // Feeds received bytes. Complete lines (without '\n' and a trailing '\r') are passed to
  // on_line; empty lines are skipped. Partial data is kept until the rest arrives.
  void feed(std::string_view data, const LineHandler& on_line, const OversizeHandler& on_oversize);

  std::size_t buffered() const { return buf_.size(); }
  std::size_t max_line() const { return max_line_; }

 private:
  std::size_t max_line_;
  std::string buf_;
  bool discarding_ = false;
};

}  // namespace utrace::proto
