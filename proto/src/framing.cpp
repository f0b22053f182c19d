#include "utrace/proto/framing.hpp"

namespace utrace::proto {

void LineFramer::feed(std::string_view data, const LineHandler& on_line,
                      const OversizeHandler& on_oversize) {
  if (!held_.empty()) {
    held_.append(data);
    return resume(on_line, on_oversize, PauseCheck());
  }
  run(data, on_line, on_oversize, nullptr);
}

void LineFramer::feed(std::string_view data, const LineHandler& on_line,
                      const OversizeHandler& on_oversize, const PauseCheck& paused) {
  if (!held_.empty()) {
    held_.append(data);
    return resume(on_line, on_oversize, paused);
  }
  run(data, on_line, on_oversize, &paused);
}

void LineFramer::resume(const LineHandler& on_line, const OversizeHandler& on_oversize,
                        const PauseCheck& paused) {
  if (held_.empty()) return;
  std::string pending = std::move(held_);
  held_.clear();
  run(pending, on_line, on_oversize, paused ? &paused : nullptr);
}

void LineFramer::run(std::string_view data, const LineHandler& on_line,
                     const OversizeHandler& on_oversize, const PauseCheck* paused) {
  while (!data.empty()) {
    std::size_t nl = data.find('\n');
    std::string_view chunk = data.substr(0, nl);
    if (discarding_) {
      // Still inside an oversize line: drop bytes until its end.
      if (nl == std::string_view::npos) return;
      discarding_ = false;
      data.remove_prefix(nl + 1);
      continue;
    }
    // Pause only where a line (or an oversize report) is about to be handed over; a partial
    // line goes to buf_ as usual.
    if (paused && (nl != std::string_view::npos || buf_.size() + chunk.size() > max_line_) &&
        (*paused)()) {
      held_.append(data);
      return;
    }
    if (buf_.size() + chunk.size() > max_line_) {
      std::size_t seen = buf_.size() + chunk.size();
      buf_.clear();
      discarding_ = (nl == std::string_view::npos);
      on_oversize(seen);
      if (nl == std::string_view::npos) return;
      data.remove_prefix(nl + 1);
      continue;
    }
    if (nl == std::string_view::npos) {
      buf_.append(chunk);
      return;
    }
    // Consume the line before calling on_line, so that a throwing handler cannot leave it
    // in the buffer to corrupt the next one.
    std::string joined;
    std::string_view line = chunk;
    if (!buf_.empty()) {
      joined = std::move(buf_);
      buf_.clear();
      joined.append(chunk);
      line = joined;
    }
    data.remove_prefix(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) on_line(line);
  }
}

}  // namespace utrace::proto
