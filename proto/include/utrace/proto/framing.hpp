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
  // Asked before each line (and each oversize report); true pauses framing there.
  using PauseCheck = std::function<bool()>;

  explicit LineFramer(std::size_t max_line = kDefaultMaxLine) : max_line_(max_line) {}

  // Feeds received bytes. Complete lines (without '\n' and a trailing '\r') are passed to
  // on_line; empty lines are skipped. Partial data is kept until the rest arrives.
  void feed(std::string_view data, const LineHandler& on_line, const OversizeHandler& on_oversize);
  // The same, but `paused` is asked before each line: once it says true, that line and all the
  // bytes after it are held, in order and unframed, until resume() (or the next feed(), whose
  // data is appended after them). Nothing is lost or reordered; a consumer that stops reading
  // while paused holds at most one read's worth of bytes here.
  void feed(std::string_view data, const LineHandler& on_line, const OversizeHandler& on_oversize,
            const PauseCheck& paused);
  // Frames the held bytes (asking `paused` again). Does nothing when nothing is held.
  void resume(const LineHandler& on_line, const OversizeHandler& on_oversize,
              const PauseCheck& paused);

  std::size_t buffered() const { return buf_.size(); }
  // Bytes held by a pause, not yet framed.
  std::size_t held() const { return held_.size(); }
  std::size_t max_line() const { return max_line_; }

 private:
  void run(std::string_view data, const LineHandler& on_line, const OversizeHandler& on_oversize,
           const PauseCheck* paused);

  std::size_t max_line_;
  std::string buf_;
  std::string held_;  // bytes after a pause, not yet looked at
  bool discarding_ = false;
};

}  // namespace utrace::proto
