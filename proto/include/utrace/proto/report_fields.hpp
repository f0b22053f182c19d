// The fields of the `report` / `event` params and of the reply to a report, declared once
// (record_fields.hpp). Adding a member to one of these records means adding it here, in the
// order the decoder should check it; report.cpp's generic codec follows by itself, and
// tests/unit/test_report_line.cpp fails until the hot path (report_line.cpp,
// report_line_decoder.cpp) writes and reads it too.
#pragma once

#include <tuple>

#include "utrace/proto/record_fields.hpp"
#include "utrace/proto/report.hpp"

namespace utrace::proto::fields {

template <>
struct RecordFields<SyscallInfo> {
  static constexpr bool closed = false;
  static constexpr auto list = std::tuple{
      required("nr", &SyscallInfo::nr, Kind::Integer).range(-1, kInt32Max),
      defaulted("name", &SyscallInfo::name, Kind::Text),
      defaulted("args", &SyscallInfo::args, Kind::Args).only_at_syscall_entry(),
  };
};

template <>
struct RecordFields<SignalInfo> {
  static constexpr bool closed = false;
  static constexpr auto list = std::tuple{
      required("signo", &SignalInfo::signo, Kind::Integer).range(0, 128),
      defaulted("name", &SignalInfo::name, Kind::Text),
      defaulted("code", &SignalInfo::code, Kind::Integer).range(kInt32Min, kInt32Max),
  };
};

template <>
struct RecordFields<Report> {
  static constexpr bool closed = false;
  static constexpr auto list = std::tuple{
      required("engine", &Report::engine, Kind::Unsigned),
      required("tid", &Report::tid, Kind::Integer).range(0, kInt32Max),
      required("pid", &Report::pid, Kind::Integer).range(0, kInt32Max),
      required("event", &Report::event, Kind::Event),
      required("action", &Report::action, Kind::Action),
      defaulted("seq", &Report::seq, Kind::Unsigned),
      optional("syscall", &Report::syscall, Kind::Object),
      optional("retval", &Report::retval, Kind::Integer).range(kInt64Min, kInt64Max),
      optional("status", &Report::status, Kind::Integer).range(kInt32Min, kInt32Max),
      optional("exit_code", &Report::exit_code, Kind::Integer).range(0, 255),
      optional("signal", &Report::signal, Kind::Object),
      optional("child", &Report::child, Kind::Integer).range(0, kInt32Max),
      optional("child_pid", &Report::child_pid, Kind::Integer).range(0, kInt32Max),
      optional("clone", &Report::clone, Kind::Text),
      optional("former_tid", &Report::former_tid, Kind::Integer).range(0, kInt32Max),
      optional("path", &Report::path, Kind::Text),
      optional("engine_gone", &Report::engine_gone, Kind::Flag),
      optional("resumed", &Report::resumed, Kind::Flag),
      optional("for_event", &Report::for_event, Kind::Event),
      optional("jctl", &Report::jctl, Kind::Choice).one_of("stopped", "continued"),
      optional("time_us", &Report::time_us, Kind::Unsigned),
      optional("mono_us", &Report::mono_us, Kind::Unsigned),
      optional("capture", &Report::capture, Kind::Capture),
      optional("addr", &Report::addr, Kind::Address),
      optional("step", &Report::step, Kind::Flag),
  };
};

template <>
struct RecordFields<ReportReply> {
  static constexpr bool closed = true;  // a misspelt choice must not pass as "resume"
  static constexpr auto list = std::tuple{
      defaulted("action", &ReportReply::action, Kind::Action),
      optional("syscall", &ReportReply::abort, Kind::Choice).one_of("run", "abort"),
      optional("retval", &ReportReply::retval, Kind::Integer).range(kInt64Min, kInt64Max),
      optional("signal", &ReportReply::signal, Kind::Signal),
  };
};

// Every data member is declared (the default operator== compares them all; the codecs would
// silently drop an undeclared one).
static_assert(field_count<SyscallInfo>() == aggregate_member_count<SyscallInfo>);
static_assert(field_count<SignalInfo>() == aggregate_member_count<SignalInfo>);
static_assert(field_count<Report>() == aggregate_member_count<Report>);
static_assert(field_count<ReportReply>() == aggregate_member_count<ReportReply>);

}  // namespace utrace::proto::fields
