// The resume policy against an oracle written from utrace's rules, not from the code.
//
// Sources of every rule below (cited as [S x] = utrace-semantics.md section x, [D4.n] =
// DESIGN.md section 4 rule n, [P] = proto/PROTOCOL.md):
//   order   [S5], [D4.3], [P "Model in brief"]: stop < interrupt < report < singlestep <
//           blockstep < resume < detach; a pass starts at RESUME [S4.1 rule 1] and combines
//           with min() [S4.1 rule 3]; BLOCKSTEP with SINGLESTEP gives SINGLESTEP [S5].
//   detach  [S9.1], [S14 DETACH row], [D4.7], [P "A thread with no engines left is detached"]:
//           no engine left -> PTRACE_DETACH, whatever else is asked; the pending signal goes
//           with it from a signal-delivery stop; a group-stop stays stopped.
//   hold    [S4.1 rule 5], [S6 RESUME row], [D4.3]: while any engine holds STOP the thread
//           stays stopped; nothing is restarted, so no signal is passed.
//   report  [S6 REPORT/INTERRUPT rows: "The report comes once every engine has released the
//           thread"], [P control table]: a report asked for runs before the thread goes on.
//   listen  [S14 JCTL row], [S15 rule 4], [P "Job-control stops keep their meaning"]: a
//           released group-stopped thread is restarted with LISTEN, never CONT, and never
//           stepped.
//   step    [S14 per-engine holds row], [S15 rule 4]: SINGLESTEP/SINGLEBLOCK only if the final
//           pass asked for it; a step wins over syscall tracing (one request cannot do both,
//           [S14 SYSCALL row]).
//   syscall [S15 rule 4]: otherwise SYSCALL if some engine wants syscall stops, else CONT.
//   signal  [S15 rule 5], [S14 SIGNAL row]: a signal is passed to a restart only from a
//           signal-delivery stop, never from any other stop.
//   other final actions: STOP without a hold is the reply of an engine that was detached in
//           the meantime: ignored [S4.1 rule 3, S9.1]; REPORT/INTERRUPT left over after the
//           report ran are not sticky and not repeated [S4.1 rule 5, S4.2 "downgraded to
//           RESUME"]; DETACH implies RESUME for that engine [S5]. All of them run the thread.
//
// The oracle is in two parts: a table of rows typed out by hand (each names its rule), and a
// generator that states each rule as a separate predicate over the inputs and checks that for
// every combination exactly the rules that apply agree on the outcome (their precedence is the
// one stated above, in that order).
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "engine/resume_policy.hpp"

namespace utraced {
namespace {

using utrace::proto::ResumeAction;
using utrace::proto::combine;
using K = RestartKind;
using S = StopKind;
using A = ResumeAction;

// Every StopKind there is (SyscallStop included: the policy must not care that it was not
// refined).
constexpr std::array kAllStops = {S::SyscallEntry, S::SyscallExit, S::SyscallStop,
                                  S::SignalDelivery, S::GroupStop, S::Interrupt, S::Clone,
                                  S::VforkDone, S::Exec, S::Exit, S::Seccomp};
constexpr std::array kAllActions = {A::Stop,       A::Interrupt, A::Report, A::SingleStep,
                                    A::BlockStep,  A::Resume,    A::Detach};

// ---- 1. How actions combine: the order as the documents list it, by name. ----

// The documents' order, most restrictive first ([S5], [D4.3], [P]).
const std::vector<std::string> kDocumentedOrder = {"stop",      "interrupt", "report", "singlestep",
                                                   "blockstep", "resume",    "detach"};

int rank_of(ResumeAction a) {
  const std::string name(utrace::proto::to_string(a));
  for (std::size_t i = 0; i < kDocumentedOrder.size(); ++i)
    if (kDocumentedOrder[i] == name) return static_cast<int>(i);
  ADD_FAILURE() << "action " << name << " is not in the documented order";
  return -1;
}

TEST(ResumeCombine, NamesRoundTripAndFollowTheDocumentedOrder) {
  ASSERT_EQ(std::size(kAllActions), static_cast<std::size_t>(utrace::proto::kResumeActionCount));
  for (const auto& name : kDocumentedOrder) {
    auto a = utrace::proto::parse_action(name);
    ASSERT_TRUE(a) << name;
    EXPECT_EQ(utrace::proto::to_string(*a), name);
  }
  EXPECT_FALSE(utrace::proto::parse_action("STOP"));
  EXPECT_FALSE(utrace::proto::parse_action("continue"));
  EXPECT_FALSE(utrace::proto::parse_action(""));
}

// The combined action of two replies is the more restrictive one, whatever the order.
TEST(ResumeCombine, EveryPairGivesTheMoreRestrictive) {
  for (A x : kAllActions)
    for (A y : kAllActions) {
      const A want = rank_of(x) <= rank_of(y) ? x : y;
      EXPECT_EQ(combine(x, y), want) << to_string(x) << " + " << to_string(y);
      EXPECT_EQ(combine(y, x), want) << to_string(y) << " + " << to_string(x);
    }
}

// Hand-written passes: the replies of the engines in turn, from the pass's starting RESUME.
TEST(ResumeCombine, PassesFoldFromResume) {
  struct Row {
    std::vector<A> replies;
    A want;
    const char* why;
  };
  const std::vector<Row> rows = {
      {{}, A::Resume, "an empty pass stays at its start, RESUME [S4.1 rule 1]"},
      {{A::Detach}, A::Resume, "DETACH implies RESUME for the thread [S5]"},
      {{A::Detach, A::Detach}, A::Resume, "every engine detaching still runs the thread"},
      {{A::Resume, A::Stop, A::Resume}, A::Stop, "one STOP anywhere in the pass wins [S4.1]"},
      {{A::Stop, A::Detach}, A::Stop, "a later DETACH does not undo another's STOP"},
      {{A::SingleStep, A::BlockStep}, A::SingleStep, "BLOCKSTEP with SINGLESTEP steps [S5]"},
      {{A::BlockStep, A::Resume}, A::BlockStep, "BLOCKSTEP alone"},
      {{A::Report, A::SingleStep}, A::Report, "REPORT is more restrictive than a step"},
      {{A::Report, A::Interrupt}, A::Interrupt, "INTERRUPT before REPORT"},
      {{A::Interrupt, A::Stop}, A::Stop, "STOP before everything"},
      {{A::Resume, A::Resume, A::Resume}, A::Resume, "nobody asks for anything"},
      {{A::Detach, A::BlockStep, A::Detach}, A::BlockStep, "a step survives others' detach"},
  };
  for (const auto& r : rows) {
    A acc = A::Resume;
    for (A reply : r.replies) acc = combine(acc, reply);
    EXPECT_EQ(acc, r.want) << r.why;
  }
}

// ---- 2. The restart decision: rows typed out by hand. ----

struct Row {
  StopKind stop;
  int signal;
  bool engines, hold, report, syscalls;
  A final_action;
  RestartKind kind;
  int sig;  // the signal passed with the restart
  const char* rule;
};

// clang-format off
const std::vector<Row> kRows = {
  // detach: no engine left, whatever else is asked.
  {S::SignalDelivery, 10, false, false, false, false, A::Resume,     K::Detach,     10, "detach passes the pending signal"},
  {S::SignalDelivery, 10, false, true,  true,  true,  A::SingleStep, K::Detach,     10, "detach beats a stale hold, report and step"},
  {S::SyscallEntry,   10, false, false, false, true,  A::Resume,     K::Detach,      0, "detach from a syscall stop passes no signal"},
  {S::GroupStop,      19, false, false, false, false, A::Resume,     K::Detach,      0, "detach from a group-stop (it stays stopped)"},
  {S::Exit,            0, false, true,  false, false, A::Stop,       K::Detach,      0, "detach at exit"},
  // hold: some engine holds STOP.
  {S::SignalDelivery, 10, true,  true,  false, false, A::Resume,     K::Hold,        0, "a hold keeps the signal for later"},
  {S::SyscallEntry,    0, true,  true,  true,  true,  A::Report,     K::Hold,        0, "a hold beats a report asked for"},
  {S::GroupStop,      19, true,  true,  false, false, A::Resume,     K::Hold,        0, "a hold beats LISTEN"},
  {S::Interrupt,       0, true,  true,  false, false, A::SingleStep, K::Hold,        0, "a hold beats a step"},
  {S::Clone,           0, true,  true,  false, true,  A::Resume,     K::Hold,        0, "a hold at a clone stop"},
  // report first: released, a report asked for.
  {S::SyscallEntry,    0, true,  false, true,  true,  A::Resume,     K::ReportFirst, 0, "report before the syscall runs"},
  {S::SignalDelivery, 12, true,  false, true,  false, A::Resume,     K::ReportFirst, 0, "report first; the signal waits"},
  {S::GroupStop,      19, true,  false, true,  false, A::Resume,     K::ReportFirst, 0, "report even in a group-stop"},
  {S::Exec,            0, true,  false, true,  false, A::SingleStep, K::ReportFirst, 0, "report before a step"},
  // listen: a released group-stopped thread.
  {S::GroupStop,      19, true,  false, false, false, A::Resume,     K::Listen,      0, "group-stop: LISTEN, not CONT"},
  {S::GroupStop,      20, true,  false, false, true,  A::Resume,     K::Listen,      0, "group-stop: LISTEN, not SYSCALL"},
  {S::GroupStop,      19, true,  false, false, false, A::SingleStep, K::Listen,      0, "group-stop: never stepped"},
  {S::GroupStop,      19, true,  false, false, false, A::BlockStep,  K::Listen,      0, "group-stop: never block-stepped"},
  // steps.
  {S::SignalDelivery, 10, true,  false, false, false, A::SingleStep, K::SingleStep, 10, "step into the handler with the signal"},
  {S::SyscallExit,     0, true,  false, false, true,  A::SingleStep, K::SingleStep,  0, "step wins over syscall tracing"},
  {S::Interrupt,       0, true,  false, false, false, A::BlockStep,  K::BlockStep,   0, "block-step"},
  {S::SignalDelivery,  5, true,  false, false, true,  A::BlockStep,  K::BlockStep,   5, "block-step with the signal"},
  {S::Seccomp,        10, true,  false, false, false, A::SingleStep, K::SingleStep,  0, "no signal outside a signal-delivery stop"},
  // syscall / cont.
  {S::SyscallEntry,    0, true,  false, false, true,  A::Resume,     K::Syscall,     0, "syscall engines: SYSCALL"},
  {S::SyscallEntry,    0, true,  false, false, false, A::Resume,     K::Cont,        0, "no syscall engine: CONT"},
  {S::SignalDelivery, 10, true,  false, false, true,  A::Resume,     K::Syscall,    10, "SYSCALL with the signal"},
  {S::SignalDelivery, 10, true,  false, false, false, A::Resume,     K::Cont,       10, "CONT with the signal"},
  {S::SignalDelivery,  0, true,  false, false, false, A::Resume,     K::Cont,        0, "a suppressed signal: CONT 0"},
  {S::Exit,           10, true,  false, false, false, A::Resume,     K::Cont,        0, "no signal from an exit stop"},
  {S::Interrupt,      10, true,  false, false, true,  A::Resume,     K::Syscall,     0, "no signal from an interrupt stop"},
  {S::Clone,           0, true,  false, false, false, A::Detach,     K::Cont,        0, "DETACH as the final action runs it"},
  {S::Exec,            0, true,  false, false, true,  A::Stop,       K::Syscall,     0, "a detached engine's STOP is ignored"},
  {S::VforkDone,       0, true,  false, false, false, A::Report,     K::Cont,        0, "a REPORT already served is not sticky"},
  {S::SyscallStop,     0, true,  false, false, true,  A::Interrupt,  K::Syscall,     0, "an INTERRUPT already served is not sticky"},
};
// clang-format on

TEST(ResumePolicy, HandWrittenRows) {
  for (const Row& r : kRows) {
    RestartInput in;
    in.stop = r.stop;
    in.signal = r.signal;
    in.has_engines = r.engines;
    in.any_hold = r.hold;
    in.report_requested = r.report;
    in.want_syscalls = r.syscalls;
    in.final_action = r.final_action;
    EXPECT_EQ(decide_restart(in), (RestartDecision{r.kind, r.sig}))
        << r.rule << ": got " << to_string(decide_restart(in).kind) << " sig "
        << decide_restart(in).signal;
  }
}

// ---- 3. Every combination, each rule stated on its own. ----

// One rule: if `applies`, the outcome must be `kind` (with `signal_passed`: the input signal
// from a signal-delivery stop, else 0; without: 0). Rules are listed by precedence.
struct Rule {
  const char* name;
  bool (*applies)(const RestartInput&);
  std::optional<RestartKind> (*kind)(const RestartInput&);
  bool signal_passed;
};

bool is_step(A a) { return a == A::SingleStep || a == A::BlockStep; }

const Rule kRules[] = {
    {"no engine left: detach",
     [](const RestartInput& in) { return !in.has_engines; },
     [](const RestartInput&) -> std::optional<RestartKind> { return K::Detach; }, true},
    {"an engine holds it: stay stopped",
     [](const RestartInput& in) { return in.any_hold; },
     [](const RestartInput&) -> std::optional<RestartKind> { return K::Hold; }, false},
    {"a report was asked for: report first",
     [](const RestartInput& in) { return in.report_requested; },
     [](const RestartInput&) -> std::optional<RestartKind> { return K::ReportFirst; }, false},
    {"group-stopped: listen",
     [](const RestartInput& in) { return in.stop == S::GroupStop; },
     [](const RestartInput&) -> std::optional<RestartKind> { return K::Listen; }, false},
    {"the final pass asked for a step: step",
     [](const RestartInput& in) { return is_step(in.final_action); },
     [](const RestartInput& in) -> std::optional<RestartKind> {
       return in.final_action == A::SingleStep ? K::SingleStep : K::BlockStep;
     },
     true},
    {"otherwise: syscall stops if wanted, else cont",
     [](const RestartInput&) { return true; },
     [](const RestartInput& in) -> std::optional<RestartKind> {
       return in.want_syscalls ? K::Syscall : K::Cont;
     },
     true},
};

TEST(ResumePolicy, EveryCombinationFollowsTheFirstRuleThatApplies) {
  int cases = 0;
  for (S stop : kAllStops)
    for (int signal : {0, 10, 19})
      for (int bits = 0; bits < 16; ++bits)
        for (A action : kAllActions) {
          RestartInput in;
          in.stop = stop;
          in.signal = signal;
          in.has_engines = bits & 1;
          in.any_hold = bits & 2;
          in.report_requested = bits & 4;
          in.want_syscalls = bits & 8;
          in.final_action = action;
          const Rule* rule = nullptr;
          for (const Rule& r : kRules)
            if (r.applies(in)) {
              rule = &r;
              break;
            }
          ASSERT_NE(rule, nullptr);
          const int sig = rule->signal_passed && stop == S::SignalDelivery ? signal : 0;
          const RestartDecision want{*rule->kind(in), sig};
          const RestartDecision got = decide_restart(in);
          EXPECT_EQ(got, want) << "rule '" << rule->name << "': stop " << to_string(stop)
                               << " signal " << signal << " engines " << in.has_engines
                               << " hold " << in.any_hold << " report " << in.report_requested
                               << " syscalls " << in.want_syscalls << " final "
                               << to_string(action) << " -> got " << to_string(got.kind)
                               << " sig " << got.signal;
          ++cases;
        }
  EXPECT_EQ(cases, 11 * 3 * 16 * 7);
}

// Properties that hold whatever the precedence, stated once more across every combination:
// the ones a wrong order in the code would break first.
TEST(ResumePolicy, InvariantsOverEveryCombination) {
  for (S stop : kAllStops)
    for (int signal : {0, 10})
      for (int bits = 0; bits < 16; ++bits)
        for (A action : kAllActions) {
          RestartInput in;
          in.stop = stop;
          in.signal = signal;
          in.has_engines = bits & 1;
          in.any_hold = bits & 2;
          in.report_requested = bits & 4;
          in.want_syscalls = bits & 8;
          in.final_action = action;
          const RestartDecision d = decide_restart(in);
          std::ostringstream what;
          what << to_string(stop) << " sig " << signal << " bits " << bits << " final "
               << to_string(action) << " -> " << to_string(d.kind);
          // [S15 rule 5] never a signal from a stop that is not a signal-delivery stop.
          if (stop != S::SignalDelivery) { EXPECT_EQ(d.signal, 0) << what.str(); }
          // [D4.7] a thread with no engines is never kept, stepped or reported on: detached.
          if (!in.has_engines) { EXPECT_EQ(d.kind, K::Detach) << what.str(); }
          // [D4.3] a hold keeps it stopped; only the lack of engines overrides it.
          if (in.has_engines && in.any_hold) { EXPECT_EQ(d.kind, K::Hold) << what.str(); }
          // [P jctl] a group-stopped thread is never continued, stepped or made to run
          // syscalls while it still has engines.
          if (stop == S::GroupStop && in.has_engines) {
            EXPECT_TRUE(d.kind == K::Hold || d.kind == K::ReportFirst || d.kind == K::Listen)
                << what.str();
          }
          // LISTEN only from a group-stop.
          if (d.kind == K::Listen) { EXPECT_EQ(stop, S::GroupStop) << what.str(); }
          // A step only when the final pass asked for that step.
          if (d.kind == K::SingleStep) { EXPECT_EQ(action, A::SingleStep) << what.str(); }
          if (d.kind == K::BlockStep) { EXPECT_EQ(action, A::BlockStep) << what.str(); }
          // Syscall stops only when some engine wants them, or no one would see them.
          if (d.kind == K::Syscall) { EXPECT_TRUE(in.want_syscalls) << what.str(); }
          // Nothing restarts the thread while a report was asked for and not yet run.
          if (in.report_requested && in.has_engines) {
            EXPECT_TRUE(d.kind == K::Hold || d.kind == K::ReportFirst) << what.str();
          }
        }
}

}  // namespace
}  // namespace utraced
