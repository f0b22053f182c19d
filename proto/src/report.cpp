// The generic codec of Report and ReportReply: both walk the one declaration of their fields
// (utrace/proto/report_fields.hpp).
#include "utrace/proto/report.hpp"

#include "record_codec.hpp"
#include "utrace/proto/report_fields.hpp"

namespace utrace::proto {

nlohmann::json to_json(const Report& r) { return fields::detail::encode_record(r, r.event); }

Report report_from_json(const nlohmann::json& j) {
  return fields::detail::decode_record<Report>(j);
}

nlohmann::json to_json(const ReportReply& r) {
  // No event: a reply has no field written only at syscall entry.
  return fields::detail::encode_record(r, EventKind::SyscallEntry);
}

ReportReply reply_from_json(const nlohmann::json& j) {
  if (j.is_null()) return ReportReply{};
  return fields::detail::decode_record<ReportReply>(j);
}

}  // namespace utrace::proto
