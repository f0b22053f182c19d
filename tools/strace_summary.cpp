#include "strace_summary.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "utrace/proto/syscall_table.hpp"

namespace utracectl {

namespace {

std::string name_of(std::int64_t nr) {
  if (const auto* s = utrace::proto::sys::find_syscall(nr)) return std::string(s->name);
  return fmt::format("syscall_{:#x}", static_cast<std::uint64_t>(nr));
}

std::string seconds(std::uint64_t usecs) {
  return fmt::format("{}.{:06}", usecs / 1000000, usecs % 1000000);
}

}  // namespace

void StraceSummary::add(std::int64_t nr, std::uint64_t usecs, bool failed) {
  Row& r = rows_[nr];
  ++r.calls;
  if (failed) ++r.errors;
  r.usecs += usecs;
  r.min_usecs = std::min(r.min_usecs, usecs);
  r.max_usecs = std::max(r.max_usecs, usecs);
}

void StraceSummary::print(std::ostream& out) const {
  struct Line {
    std::string pct, secs, per_call, calls, errors, name;
  };
  std::vector<std::pair<std::int64_t, Row>> rows(rows_.begin(), rows_.end());
  auto avg = [](const Row& r) { return r.calls ? r.usecs / r.calls : 0; };
  std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
    switch (sortby_) {
      case SortBy::Time: return a.second.usecs > b.second.usecs;
      case SortBy::AvgTime: return avg(a.second) > avg(b.second);
      case SortBy::MinTime: return a.second.min_usecs > b.second.min_usecs;
      case SortBy::MaxTime: return a.second.max_usecs > b.second.max_usecs;
      case SortBy::Calls: return a.second.calls > b.second.calls;
      case SortBy::Errors: return a.second.errors > b.second.errors;
      case SortBy::Name: return name_of(a.first) < name_of(b.first);
      case SortBy::Nothing: return false;
    }
    return false;
  });
  Row total;
  for (const auto& [nr, r] : rows) {
    total.calls += r.calls;
    total.errors += r.errors;
    total.usecs += r.usecs;
  }
  auto count = [](std::uint64_t n) { return n ? std::to_string(n) : std::string(); };
  std::vector<Line> lines;
  for (const auto& [nr, r] : rows) {
    const double pct = total.usecs ? 100.0 * static_cast<double>(r.usecs) / static_cast<double>(total.usecs) : 0.0;
    lines.push_back({fmt::format("{:.2f}", pct), seconds(r.usecs), std::to_string(avg(r)),
                     std::to_string(r.calls), count(r.errors), name_of(nr)});
  }
  const Line sum{"100.00", seconds(total.usecs), std::to_string(avg(total)),
                 std::to_string(total.calls), count(total.errors), "total"};
  // strace's widths, wider when a value needs it.
  std::size_t w[6] = {6, 11, 11, 9, 9, 15};
  auto widen = [&](const Line& l) {
    const std::string* f[6] = {&l.pct, &l.secs, &l.per_call, &l.calls, &l.errors, &l.name};
    for (int i = 0; i < 6; ++i) w[i] = std::max(w[i], f[i]->size());
  };
  for (const auto& l : lines) widen(l);
  widen(sum);
  std::string dashes;
  for (int i = 0; i < 6; ++i)
    dashes += std::string(i == 5 ? w[i] + 1 : w[i], '-') + (i == 5 ? "\n" : " ");
  auto row = [&](const Line& l) {
    return fmt::format("{:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {}\n", l.pct, w[0], l.secs, w[1],
                       l.per_call, w[2], l.calls, w[3], l.errors, w[4], l.name);
  };
  out << fmt::format("{:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {}\n", "% time", w[0], "seconds", w[1],
                     "usecs/call", w[2], "calls", w[3], "errors", w[4], "syscall")
      << dashes;
  for (const auto& l : lines) out << row(l);
  out << dashes << row(sum) << std::flush;
}

}  // namespace utracectl
