#include "strace_options.hpp"

#include <signal.h>
#include <string.h>
#include <strings.h>

#include <charconv>
#include <cstdlib>
#include <string_view>

#include "command_line.hpp"

namespace utracectl {

namespace {

using Opts = StraceOptions;

std::vector<std::string_view> split(std::string_view s, std::string_view seps) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find_first_of(seps, start);
    if (end == std::string_view::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool parse_int(std::string_view s, long& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// "[!]all|none|NAME[,NAME...]" over a bit set of `n` values; `value` maps a token (or -1).
template <std::size_t N, typename F>
std::bitset<N> parse_set(std::string_view expr, F value, const char* what) {
  std::bitset<N> set;
  bool invert = false;
  while (!expr.empty() && expr[0] == '!') {
    invert = !invert;
    expr.remove_prefix(1);
  }
  if (expr == "all") {
    set.set();
  } else if (expr != "none") {
    for (auto token : split(expr, ",")) {
      const int v = value(token);
      if (v < 0) throw UsageError(std::string("invalid ") + what + " '" + std::string(token) + "'");
      set.set(static_cast<std::size_t>(v));
    }
    if (split(expr, ",").empty()) throw UsageError(std::string("invalid ") + what + " ''");
  }
  if (invert) set.flip();
  return set;
}

int signal_value(std::string_view token) {
  long n = 0;
  if (parse_int(token, n)) return n >= 1 && n <= 64 ? static_cast<int>(n) : -1;
  std::string name(token);
  if (name.size() > 3 && strncasecmp(name.c_str(), "SIG", 3) == 0) name.erase(0, 3);
  for (int s = 1; s < 65; ++s) {
    const char* abbrev = sigabbrev_np(s);
    if (abbrev && strcasecmp(abbrev, name.c_str()) == 0) return s;
  }
  return -1;
}

int status_value(std::string_view token) {
  static constexpr std::string_view kNames[] = {"successful", "failed", "unfinished",
                                                "unavailable", "detached"};
  for (int i = 0; i < 5; ++i)
    if (token == kNames[i]) return i;
  return -1;
}

SortBy parse_sortby(std::string_view s) {
  if (s == "time" || s == "time-total" || s == "total-time") return SortBy::Time;
  if (s == "avg-time" || s == "time-avg") return SortBy::AvgTime;
  if (s == "min-time" || s == "shortest" || s == "time-min") return SortBy::MinTime;
  if (s == "max-time" || s == "longest" || s == "time-max") return SortBy::MaxTime;
  if (s == "calls" || s == "count") return SortBy::Calls;
  if (s == "errors" || s == "error") return SortBy::Errors;
  if (s == "name" || s == "syscall" || s == "syscall-name") return SortBy::Name;
  if (s == "nothing" || s == "none") return SortBy::Nothing;
  throw UsageError("invalid sortby: '" + std::string(s) + "'");
}

void add_pids(Opts& o, std::string_view text) {
  auto words = split(text, ", \t");
  if (words.empty()) throw UsageError("Invalid process id: '" + std::string(text) + "'");
  for (auto w : words) {
    long pid = 0;
    if (!parse_int(w, pid) || pid <= 0 || pid > 0x7fffffff)
      throw UsageError("Invalid process id: '" + std::string(w) + "'");
    o.pids.push_back(static_cast<int>(pid));
  }
}

// -e EXPR: "trace=...", "signal=...", "status=...", "decode-fds=..." or a trace set alone.
void qualify(Opts& o, std::string_view expr) {
  std::string_view name = "trace", value = expr;
  if (auto eq = expr.find('='); eq != std::string_view::npos) {
    const std::string_view n = expr.substr(0, eq);
    static constexpr std::string_view kKnown[] = {
        "trace", "t", "signal", "signals", "s", "status", "decode-fds", "decode-fd",
        "abbrev", "a", "verbose", "v", "raw", "x", "read", "reads", "r", "write", "writes",
        "w", "fault", "inject", "quiet", "silent", "silence", "q", "kvm"};
    for (auto k : kKnown) {
      if (k == n) {
        name = n;
        value = expr.substr(eq + 1);
      }
    }
  }
  if (name == "trace" || name == "t") {
    o.trace = SyscallFilter::parse(value);
  } else if (name == "signal" || name == "signals" || name == "s") {
    o.signals = parse_set<65>(value, signal_value, "signal");
  } else if (name == "status") {
    o.status = static_cast<unsigned>(parse_set<5>(value, status_value, "status").to_ulong());
  } else if (name == "decode-fds" || name == "decode-fd") {
    o.fd_paths = value != "none" && !value.empty();
  } else {
    throw UsageError("-e " + std::string(name) + "= is not supported by utracectl");
  }
}

// Applies one option; `arg` is its value for options that take one.
void apply(Opts& o, std::string_view opt, const std::string& arg) {
  if (opt == "p" || opt == "attach") return add_pids(o, arg);
  if (opt == "o" || opt == "output") { o.output = arg; return; }
  if (opt == "e") return qualify(o, arg);
  if (opt == "trace" || opt == "signal" || opt == "status" || opt == "decode-fds")
    return qualify(o, std::string(opt) + "=" + arg);
  if (opt == "syscalls") {  // run's older option: exact names
    std::string names = arg;
    if (split(names, ",").empty()) throw UsageError("--syscalls names no syscall");
    o.trace = SyscallFilter::parse(names);
    return;
  }
  if (opt == "events") {
    for (auto e : split(arg, ",")) o.events.emplace_back(e);
    if (o.events.empty()) throw UsageError("--events names no event");
    return;
  }
  if (opt == "socket") { o.socket = arg; return; }
  if (opt == "s" || opt == "string-limit") {
    long n = 0;
    if (!parse_int(arg, n) || n < 0 || n > 65536)
      throw UsageError("invalid -s argument: '" + arg + "'");
    o.strsize = static_cast<std::size_t>(n);
    return;
  }
  if (opt == "S" || opt == "summary-sort-by") { o.sortby = parse_sortby(arg); return; }
  if (opt == "f" || opt == "follow" || opt == "follow-forks") { ++o.follow; return; }
  if (opt == "output-separately") { o.follow = 2; return; }
  if (opt == "c" || opt == "count" || opt == "summary-only") { o.summary = 1; return; }
  if (opt == "C" || opt == "summary") { o.summary = 2; return; }
  if (opt == "w" || opt == "summary-wall-clock") { o.wallclock = true; return; }
  if (opt == "x") { o.hex = std::min(o.hex + 1, 2); return; }
  if (opt == "y") { o.fd_paths = true; return; }
  if (opt == "T" || opt == "syscall-times") { o.syscall_times = true; return; }
  if (opt == "t") { o.absolute = std::min(o.absolute + 1, 3); return; }
  if (opt == "r" || opt == "relative-timestamps") { o.relative = true; return; }
  if (opt == "z" || opt == "successful-only") { o.status = kStatusSuccessful; return; }
  if (opt == "Z" || opt == "failed-only") { o.status = kStatusFailed; return; }
  if (opt == "q" || opt == "quiet") { ++o.quiet; return; }
  if (opt == "A" || opt == "output-append-mode") { o.append = true; return; }
  if (opt == "seccomp-bpf" || opt == "seccomp") { o.seccomp_bpf = true; return; }
  if (opt == "h" || opt == "help") { o.help = true; return; }
  if (opt == "V" || opt == "version") { o.version = true; return; }
  throw UsageError("invalid option -- '" + std::string(opt) + "'");
}

constexpr std::string_view kShortWithArg = "poesS";
constexpr std::string_view kShortFlags = "fcCwxyTtrzZqAhV";
// strace letters utracectl does not implement (with an argument: the second set).
constexpr std::string_view kUnsupportedFlags = "bdDFiknvY";
constexpr std::string_view kUnsupportedWithArg = "aIOPUXEu";
constexpr std::string_view kLongWithArg[] = {"attach", "output", "trace", "signal", "status",
                                             "string-limit", "summary-sort-by", "socket",
                                             "events", "syscalls"};

bool long_takes_arg(std::string_view name) {
  for (auto n : kLongWithArg)
    if (n == name) return true;
  return false;
}

bool is_number(std::string_view s) {
  long n = 0;
  return parse_int(s, n);
}

}  // namespace

StraceOptions parse_strace_options(StraceOptions::Command command,
                                   const std::vector<std::string>& args) {
  Opts o;
  o.command = command;
  std::size_t i = 0;
  auto next_value = [&](std::string_view opt) -> std::string {
    if (i + 1 >= args.size())
      throw UsageError(opt.size() == 1 ? "option requires an argument -- '" + std::string(opt) + "'"
                                       : "option '--" + std::string(opt) + "' requires an argument");
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      o.program.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      // trace/count PID: the older positional form; anything else starts the command.
      if (command != Opts::Command::Run && is_number(a)) {
        add_pids(o, a);
        continue;
      }
      o.program.assign(args.begin() + static_cast<long>(i), args.end());
      break;
    }
    if (a[1] == '-') {
      std::string name = a.substr(2), value;
      const auto eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
      if (long_takes_arg(name)) {
        apply(o, name, eq != std::string::npos ? value : next_value(name));
      } else if (name == "decode-fds") {
        apply(o, name, eq != std::string::npos ? value : "path");
      } else {
        if (eq != std::string::npos && name != "relative-timestamps")
          throw UsageError("option '--" + name + "' doesn't allow an argument");
        try {
          apply(o, name, {});
        } catch (const UsageError&) {
          throw UsageError("unrecognized option '--" + name + "'");
        }
      }
      continue;
    }
    for (std::size_t k = 1; k < a.size(); ++k) {
      const char c = a[k];
      const std::string letter(1, c);
      if (kShortWithArg.find(c) != std::string_view::npos ||
          kUnsupportedWithArg.find(c) != std::string_view::npos) {
        std::string value = k + 1 < a.size() ? a.substr(k + 1) : next_value(letter);
        if (kUnsupportedWithArg.find(c) != std::string_view::npos)
          throw UsageError("option -" + letter + " is not supported by utracectl");
        apply(o, letter, value);
        break;
      }
      if (kUnsupportedFlags.find(c) != std::string_view::npos)
        throw UsageError("option -" + letter + " is not supported by utracectl");
      if (kShortFlags.find(c) == std::string_view::npos)
        throw UsageError("invalid option -- '" + letter + "'");
      apply(o, letter, {});
    }
  }
  if (o.help || o.version) return o;
  if (o.summary && o.follow >= 2)
    throw UsageError("(-c/--summary-only or -C/--summary) and -ff/--output-separately are "
                     "mutually exclusive");
  if (o.pids.empty() && o.program.empty()) {
    if (command == Opts::Command::Run) throw UsageError("must have PROG [ARGS]");
    throw UsageError("must have PROG [ARGS] or -p PID");
  }
  if (!o.pids.empty() && !o.program.empty())
    throw UsageError("-p PID and PROG [ARGS] cannot be combined (start PROG with 'utracectl run')");
  return o;
}

const char* const kStraceUsage =
    R"(usage: utracectl trace [OPTIONS] -p PID [-p PID...]    attach to running threads/processes
       utracectl trace [OPTIONS] PID                    (the same, one thread)
       utracectl run [OPTIONS] [--] PROG [ARGS]         start PROG traced
       utracectl count PID                              trace -c -p PID, the table on stdout

)";

const char* const kStraceOptionsHelp =
    R"(strace options:
  -p PID, --attach=PID  trace thread PID (with -f: its whole process, every thread, and its
                        children); may be repeated
  -f, --follow-forks    follow forks, vforks and clones
  -ff                   with -o FILE: one file per thread, FILE.TID
  -o FILE, --output=FILE
                        write the trace (and the -c table) to FILE instead of stderr
  -A                    append to FILE
  -e trace=SET          only these syscalls: NAME, NR, %CLASS (%file %desc %process %network
                        %signal %ipc %memory %creds %clock %stat %lstat %fstat %%stat
                        %statfs %fstatfs %%statfs %pure), /REGEX, all, none, !SET; -e SET
                        alone means the same. The daemon filters them (the engine's syscalls
                        filter): other syscalls are not even reported
  -e status=SET         only syscalls that ended so: successful, failed, unfinished,
                        unavailable, detached (whole lines, printed at the exit)
  -z, -Z                only successful syscalls; only failed ones
  -e signal=SET         only print these signals (names, numbers, !SET)
  -s N, --string-limit=N
                        print strings up to N bytes (default 32)
  -x, -xx               non-ASCII strings in hex; all strings in hex
  -y                    print the paths of file descriptors
  -t, -tt, -ttt         the time of day; with microseconds; seconds since the epoch
  -r                    the time since the previous line
  -T                    the time spent in each syscall
  -c                    only a table of time, calls and errors per syscall, at the end
  -C                    the trace and the table
  -S SORTBY             sort the table by time (default), avg-time, min-time, max-time,
                        calls, errors, name or nothing
  -w                    wall-clock time in the table: always so here (strace's default is
                        system CPU time, which a client of utraced cannot know per call)
  -q, -qq               no attach/detach messages; no exit lines either
  --seccomp-bpf         run: only the -e trace= syscalls even stop PROG (a seccomp filter
                        installed before its exec; PROG then dies if utraced does)
  -h, --help            this help
  -V, --version         the version

The trace goes to stderr unless -o FILE, as strace's. All times are the daemon's, taken at each
stop (events carry them), so batched events still print right. run's older options still
work: --follow (-f), --count (-c), --output FILE (-o), --syscalls A,B (-e trace=A,B),
--seccomp (--seccomp-bpf), --events E1,E2 (the engine's events).
)";

}  // namespace utracectl
