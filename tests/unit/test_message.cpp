// JSON-RPC 2.0 message parsing, classification and encoding (proto/message.hpp, errors.hpp).
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include <nlohmann/json.hpp>

#include "utrace/proto/errors.hpp"
#include "utrace/proto/message.hpp"

using namespace utrace::proto;
using nlohmann::json;

namespace {

void expect_invalid(const Message& m, int code, const std::string& what) {
  EXPECT_EQ(m.kind, MessageKind::Invalid) << what;
  ASSERT_TRUE(m.error.has_value()) << what;
  EXPECT_EQ(m.error->code, code) << what;
  EXPECT_FALSE(m.error->message.empty()) << what;
}

// An encoded line ends with exactly one '\n' and has no other newline.
void expect_one_line(const std::string& s) {
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s.back(), '\n');
  EXPECT_EQ(s.find('\n'), s.size() - 1) << s;
}

}  // namespace

// ---- classification ----

TEST(Message, Request) {
  auto m = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"attach","params":{"tid":42}})");
  ASSERT_EQ(m.kind, MessageKind::Request);
  EXPECT_EQ(m.id, json(7));
  EXPECT_EQ(m.method, "attach");
  EXPECT_EQ(m.params, json({{"tid", 42}}));
  EXPECT_FALSE(m.error.has_value());
}

TEST(Message, RequestWithStringIdAndNoParams) {
  auto m = parse_message(R"({"jsonrpc":"2.0","id":"abc","method":"hello"})");
  ASSERT_EQ(m.kind, MessageKind::Request);
  EXPECT_EQ(m.id, json("abc"));
  EXPECT_EQ(m.method, "hello");
  EXPECT_TRUE(m.params.is_object());
  EXPECT_TRUE(m.params.empty());
}

TEST(Message, RequestWithNullParamsGivesEmptyObject) {
  auto m = parse_message(R"({"jsonrpc":"2.0","id":1,"method":"list","params":null})");
  ASSERT_EQ(m.kind, MessageKind::Request);
  EXPECT_EQ(m.params, json::object());
}

TEST(Message, RequestWithLargeUnsignedId) {
  auto m = parse_message(R"({"jsonrpc":"2.0","id":18446744073709551615,"method":"list"})");
  ASSERT_EQ(m.kind, MessageKind::Request);
  EXPECT_EQ(m.id.get<std::uint64_t>(), UINT64_MAX);
}

TEST(Message, RequestWithNegativeId) {
  auto m = parse_message(R"({"jsonrpc":"2.0","id":-3,"method":"list"})");
  ASSERT_EQ(m.kind, MessageKind::Request);
  EXPECT_EQ(m.id, json(-3));
}

TEST(Message, Notification) {
  auto m = parse_message(R"({"jsonrpc":"2.0","method":"event","params":{"engine":1}})");
  ASSERT_EQ(m.kind, MessageKind::Notification);
  EXPECT_TRUE(m.id.is_null());
  EXPECT_EQ(m.method, "event");
  EXPECT_EQ(m.params, json({{"engine", 1}}));
  EXPECT_FALSE(m.error.has_value());
}

TEST(Message, ResponseWithResult) {
  auto m = parse_message(R"({"jsonrpc":"2.0","id":3,"result":{"engine":5,"tids":[1,2]}})");
  ASSERT_EQ(m.kind, MessageKind::Response);
  EXPECT_EQ(m.id, json(3));
  EXPECT_EQ(m.result, json({{"engine", 5}, {"tids", {1, 2}}}));
  EXPECT_FALSE(m.error.has_value());
  EXPECT_TRUE(m.method.empty());
}

TEST(Message, ResponseWithNullResultIsStillAResult) {
  auto m = parse_message(R"({"jsonrpc":"2.0","id":3,"result":null})");
  ASSERT_EQ(m.kind, MessageKind::Response);
  EXPECT_TRUE(m.result.is_null());
  EXPECT_FALSE(m.error.has_value());
}

TEST(Message, ResponseWithError) {
  auto m = parse_message(
      R"({"jsonrpc":"2.0","id":"x","error":{"code":3,"message":"no such thread","data":{"errno":"ESRCH","tid":9}}})");
  ASSERT_EQ(m.kind, MessageKind::Response);
  EXPECT_EQ(m.id, json("x"));
  ASSERT_TRUE(m.error.has_value());
  EXPECT_EQ(m.error->code, 3);
  EXPECT_EQ(m.error->message, "no such thread");
  EXPECT_EQ(m.error->errno_name(), "ESRCH");
  EXPECT_EQ(m.error->data["tid"], 9);
}

TEST(Message, ErrorResponseWithNullIdIsAResponse) {
  // The reply to an unparsable request has id null (JSON-RPC 2.0 section 5).
  auto m = parse_message(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}})");
  ASSERT_EQ(m.kind, MessageKind::Response);
  ASSERT_TRUE(m.error.has_value());
  EXPECT_EQ(m.error->code, rpc_code::kParseError);
  EXPECT_EQ(m.error->errno_name(), "");
}

TEST(Message, InvalidJsonIsParseError) {
  for (const char* line : {"", "{", "{\"jsonrpc\":\"2.0\",", "not json", "{'a':1}", "[1,2",
                           "{\"a\":1}}", "{\"a\":1} trailing", "\xff\xfe"}) {
    auto m = parse_message(line);
    expect_invalid(m, rpc_code::kParseError, line);
    EXPECT_TRUE(m.id.is_null());
  }
}

TEST(Message, InvalidUtf8InsideStringIsParseError) {
  auto m = parse_message("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\xc3\x28\"}");
  expect_invalid(m, rpc_code::kParseError, "bad utf-8");
}

TEST(Message, NumberOverflowIsParseErrorNotCrash) {
  auto m = parse_message(R"({"jsonrpc":"2.0","id":1,"method":"x","params":{"n":1e400}})");
  EXPECT_EQ(m.kind, MessageKind::Invalid);
}

TEST(Message, NonObjectIsInvalidRequest) {
  for (const char* line : {"[]", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}]", "1", "\"s\"",
                           "null", "true"}) {
    expect_invalid(parse_message(line), rpc_code::kInvalidRequest, line);
  }
}

TEST(Message, MissingOrWrongJsonrpcIsInvalidRequest) {
  for (const char* line : {R"({"id":1,"method":"hello"})", R"({"jsonrpc":"1.0","id":1,"method":"x"})",
                           R"({"jsonrpc":2.0,"id":1,"method":"x"})",
                           R"({"jsonrpc":null,"id":1,"method":"x"})", R"({"jsonrpc":"2.0 ","id":1,"method":"x"})"}) {
    auto m = parse_message(line);
    expect_invalid(m, rpc_code::kInvalidRequest, line);
  }
  // The id is kept when it is valid, so the error reply can name it.
  auto m = parse_message(R"({"id":5,"method":"hello"})");
  EXPECT_EQ(m.id, json(5));
}

TEST(Message, BadIdTypeIsInvalidRequest) {
  for (const char* line : {R"({"jsonrpc":"2.0","id":1.5,"method":"x"})",
                           R"({"jsonrpc":"2.0","id":true,"method":"x"})",
                           R"({"jsonrpc":"2.0","id":[1],"method":"x"})",
                           R"({"jsonrpc":"2.0","id":{"a":1},"method":"x"})",
                           R"({"jsonrpc":"2.0","id":2.0,"result":1})"}) {
    auto m = parse_message(line);
    expect_invalid(m, rpc_code::kInvalidRequest, line);
    EXPECT_TRUE(m.id.is_null()) << "an invalid id must not be echoed: " << line;
  }
}

TEST(Message, MethodMustBeAString) {
  auto m = parse_message(R"({"jsonrpc":"2.0","id":4,"method":12})");
  expect_invalid(m, rpc_code::kInvalidRequest, "method 12");
  EXPECT_EQ(m.id, json(4));
}

TEST(Message, ParamsMustBeAnObject) {
  for (const char* line : {R"({"jsonrpc":"2.0","id":4,"method":"x","params":[1,2]})",
                           R"({"jsonrpc":"2.0","id":4,"method":"x","params":"p"})",
                           R"({"jsonrpc":"2.0","method":"x","params":3})"}) {
    expect_invalid(parse_message(line), rpc_code::kInvalidRequest, line);
  }
}

TEST(Message, BothResultAndErrorIsInvalid) {
  auto m = parse_message(
      R"({"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"m"}})");
  expect_invalid(m, rpc_code::kInvalidRequest, "both");
  EXPECT_EQ(m.id, json(1));
}

TEST(Message, NeitherResultNorErrorIsInvalid) {
  expect_invalid(parse_message(R"({"jsonrpc":"2.0","id":1})"), rpc_code::kInvalidRequest,
                 "neither");
  expect_invalid(parse_message(R"({"jsonrpc":"2.0"})"), rpc_code::kInvalidRequest, "empty");
}

TEST(Message, ResultWithoutIdIsInvalid) {
  expect_invalid(parse_message(R"({"jsonrpc":"2.0","result":1})"), rpc_code::kInvalidRequest,
                 "result without id");
}

TEST(Message, ClassifyAlreadyParsedValue) {
  json j = {{"jsonrpc", "2.0"}, {"id", 9}, {"method", "wait"}};
  auto m = classify_message(j);
  EXPECT_EQ(m.kind, MessageKind::Request);
  EXPECT_EQ(m.method, "wait");
  expect_invalid(classify_message(json::array()), rpc_code::kInvalidRequest, "array");
  expect_invalid(classify_message(json()), rpc_code::kInvalidRequest, "null");
}

// ---- encoding ----

TEST(Encode, RequestRoundTrip) {
  json params = {{"tid", 1234}, {"events", {"exec", "exit"}}, {"mode", "sync"}};
  std::string line = encode_request(17, "attach", params);
  expect_one_line(line);
  auto m = parse_message(line);
  ASSERT_EQ(m.kind, MessageKind::Request);
  EXPECT_EQ(m.id, json(17));
  EXPECT_EQ(m.method, "attach");
  EXPECT_EQ(m.params, params);
  EXPECT_EQ(json::parse(line)["jsonrpc"], "2.0");
}

TEST(Encode, RequestWithStringId) {
  auto m = parse_message(encode_request("req-1", "hello", json::object()));
  ASSERT_EQ(m.kind, MessageKind::Request);
  EXPECT_EQ(m.id, json("req-1"));
}

TEST(Encode, NotificationRoundTrip) {
  json params = {{"engine", 3}, {"tid", 9}, {"event", "exec"}};
  std::string line = encode_notification("event", params);
  expect_one_line(line);
  EXPECT_FALSE(json::parse(line).contains("id"));
  auto m = parse_message(line);
  ASSERT_EQ(m.kind, MessageKind::Notification);
  EXPECT_EQ(m.method, "event");
  EXPECT_EQ(m.params, params);
}

TEST(Encode, ResultRoundTrip) {
  json result = {{"engine", 1}, {"tids", {100, 101}}};
  std::string line = encode_result(5, result);
  expect_one_line(line);
  auto m = parse_message(line);
  ASSERT_EQ(m.kind, MessageKind::Response);
  EXPECT_EQ(m.id, json(5));
  EXPECT_EQ(m.result, result);
  EXPECT_FALSE(m.error.has_value());
}

TEST(Encode, ErrnoErrorRoundTrip) {
  RpcError e = errno_error(EPERM, "already traced", {{"tracer", 4321}});
  EXPECT_EQ(e.code, EPERM);
  EXPECT_EQ(e.errno_name(), "EPERM");
  std::string line = encode_error("q", e);
  expect_one_line(line);
  auto m = parse_message(line);
  ASSERT_EQ(m.kind, MessageKind::Response);
  EXPECT_EQ(m.id, json("q"));
  ASSERT_TRUE(m.error.has_value());
  EXPECT_EQ(m.error->code, EPERM);
  EXPECT_EQ(m.error->message, "already traced");
  EXPECT_EQ(m.error->errno_name(), "EPERM");
  EXPECT_EQ(m.error->data, json({{"errno", "EPERM"}, {"tracer", 4321}}));
}

TEST(Encode, ProtocolErrorWithoutDataOmitsData) {
  RpcError e;
  e.code = rpc_code::kMethodNotFound;
  e.message = "unknown method";
  json wire = json::parse(encode_error(nullptr, e));
  EXPECT_TRUE(wire["id"].is_null());
  EXPECT_FALSE(wire["error"].contains("data"));
  auto m = parse_message(encode_error(nullptr, e));
  ASSERT_EQ(m.kind, MessageKind::Response);
  EXPECT_EQ(m.error->code, rpc_code::kMethodNotFound);
  EXPECT_TRUE(m.error->data.is_null());
  EXPECT_EQ(m.error->errno_name(), "");
}

TEST(Encode, StringsWithNewlinesStayOnOneLine) {
  std::string line = encode_result(1, {{"text", "a\nb\r\nc"}});
  expect_one_line(line);
  auto m = parse_message(line.substr(0, line.size() - 1));
  EXPECT_EQ(m.result["text"], "a\nb\r\nc");
}

TEST(Encode, DumpLineWithInvalidUtf8DoesNotThrow) {
  json j = {{"name", std::string("ab\xff\xc3(cd")}, {"ok", "fine"}};
  std::string line;
  EXPECT_NO_THROW(line = dump_line(j));
  expect_one_line(line);
  // Replaced with U+FFFD and still valid JSON that parses back.
  EXPECT_NE(line.find("\xef\xbf\xbd"), std::string::npos) << line;
  json back;
  EXPECT_NO_THROW(back = json::parse(line));
  EXPECT_EQ(back["ok"], "fine");
  EXPECT_EQ(back["name"].get<std::string>().substr(0, 2), "ab");
  EXPECT_EQ(back["name"].get<std::string>().substr(back["name"].get<std::string>().size() - 2), "cd");
}

TEST(Encode, EncodersWithInvalidUtf8DoNotThrow) {
  std::string bad = "\x80\x81";
  EXPECT_NO_THROW(encode_request(1, "m", {{"s", bad}}));
  EXPECT_NO_THROW(encode_notification("m", {{"s", bad}}));
  EXPECT_NO_THROW(encode_result(1, bad));
  RpcError e = errno_error(ENOENT, bad);
  std::string line;
  EXPECT_NO_THROW(line = encode_error(1, e));
  auto m = parse_message(line);
  EXPECT_EQ(m.kind, MessageKind::Response);
}

// ---- errors ----

TEST(Errors, ErrnoNames) {
  EXPECT_EQ(errno_name(EPERM), "EPERM");
  EXPECT_EQ(errno_name(ESRCH), "ESRCH");
  EXPECT_EQ(errno_name(EINPROGRESS), "EINPROGRESS");
  EXPECT_EQ(errno_name(EALREADY), "EALREADY");
  EXPECT_EQ(errno_name(EEXIST), "EEXIST");
  EXPECT_EQ(errno_name(ENOENT), "ENOENT");
  EXPECT_EQ(errno_name(EINVAL), "EINVAL");
  EXPECT_EQ(errno_name(EOPNOTSUPP), "EOPNOTSUPP");
  EXPECT_EQ(errno_name(999999), "E?");
  EXPECT_EQ(errno_name(-1), "E?");
}

TEST(Errors, ErrnoErrorMergesExtraIntoData) {
  // extra is merged into data next to the errno name.
  RpcError e = errno_error(ESRCH, "gone", {{"tid", 5}});
  EXPECT_EQ(e.data["errno"], "ESRCH");
  EXPECT_EQ(e.data["tid"], 5);
  RpcError n = errno_error(EEXIST, "dup", json());  // non-object extra is ignored
  EXPECT_EQ(n.data, json({{"errno", "EEXIST"}}));
}

TEST(Errors, InvalidParamsNamesParameter) {
  RpcError e = invalid_params("tid", "is required");
  EXPECT_EQ(e.code, rpc_code::kInvalidParams);
  EXPECT_EQ(e.data["parameter"], "tid");
  EXPECT_NE(e.message.find("tid"), std::string::npos);
  EXPECT_NE(e.message.find("is required"), std::string::npos);
}

TEST(Errors, FromJsonOfMalformedErrorObject) {
  RpcError e = RpcError::from_json(json("oops"));
  EXPECT_EQ(e.code, rpc_code::kInternalError);
  EXPECT_FALSE(e.message.empty());
  RpcError f = RpcError::from_json({{"code", "x"}, {"message", 5}});
  EXPECT_EQ(f.code, rpc_code::kInternalError);
}

TEST(Errors, ToJsonFromJsonRoundTrip) {
  RpcError e = errno_error(EALREADY, "detach during death", {{"engine", 12}});
  RpcError back = RpcError::from_json(e.to_json());
  EXPECT_EQ(back.code, e.code);
  EXPECT_EQ(back.message, e.message);
  EXPECT_EQ(back.data, e.data);
}

TEST(Errors, RpcExceptionCarriesError) {
  try {
    throw RpcException(invalid_params("engine", "must be an integer"));
  } catch (const RpcException& ex) {
    EXPECT_EQ(ex.error().code, rpc_code::kInvalidParams);
    EXPECT_EQ(ex.error().data["parameter"], "engine");
    EXPECT_STREQ(ex.what(), ex.error().message.c_str());
  }
}

// ---- nesting depth limit (issue 12: ~70,000 '[' crashed the daemon in a recursive copy) ----

namespace {

// {"jsonrpc":"2.0","id":1,"method":"hello","params":{"client":[[...]]}}: the message object
// and params are 2 levels, so `arrays` '[' make the depth arrays + 2.
std::string nested_request(std::size_t arrays) {
  return R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{"client":)" +
         std::string(arrays, '[') + std::string(arrays, ']') + "}}";
}

void expect_depth_refused(const Message& m, std::size_t limit) {
  expect_invalid(m, rpc_code::kInvalidRequest, "deep nesting");
  ASSERT_TRUE(m.error.has_value());
  EXPECT_NE(m.error->message.find("nesting depth limit"), std::string::npos) << m.error->message;
  EXPECT_EQ(m.error->data.value("limit", ""), "nesting_depth");
  EXPECT_EQ(m.error->data.value("value", std::size_t{0}), limit);
  EXPECT_TRUE(m.id.is_null());
}

}  // namespace

TEST(MessageDepth, SeventyThousandOpenBracketsAreRefusedWithoutParsing) {
  std::string line = R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{"x":)" +
                     std::string(70000, '[');  // never closed, as in the report
  expect_depth_refused(parse_message(line), kMaxDepth);
  expect_depth_refused(parse_message(nested_request(70000)), kMaxDepth);
  expect_depth_refused(parse_message(std::string(70000, '{')), kMaxDepth);
}

TEST(MessageDepth, ExactlyAtTheLimitIsParsedOneOverIsRefused) {
  static_assert(kMaxDepth == 64, "PROTOCOL.md documents 64");
  auto at = parse_message(nested_request(kMaxDepth - 2));
  ASSERT_EQ(at.kind, MessageKind::Request) << (at.error ? at.error->message : "");
  EXPECT_EQ(at.method, "hello");
  EXPECT_FALSE(nesting_exceeds(nested_request(kMaxDepth - 2), kMaxDepth));
  EXPECT_TRUE(nesting_exceeds(nested_request(kMaxDepth - 1), kMaxDepth));
  expect_depth_refused(parse_message(nested_request(kMaxDepth - 1)), kMaxDepth);
}

TEST(MessageDepth, ALimitCanBeGiven) {
  expect_depth_refused(parse_message(nested_request(3), 4), 4);
  EXPECT_EQ(parse_message(nested_request(2), 4).kind, MessageKind::Request);
  EXPECT_EQ(parse_message(R"({"jsonrpc":"2.0","id":1,"method":"hello"})", 1).kind,
            MessageKind::Request);
  expect_depth_refused(parse_message(R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{}})", 1), 1);
}

TEST(MessageDepth, BracketsInsideStringsDoNotCount) {
  const std::string brackets(100000, '[');
  std::string line = R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{"client":")" +
                     brackets + std::string(100, '{') + R"("}})";
  auto m = parse_message(line);
  ASSERT_EQ(m.kind, MessageKind::Request);
  EXPECT_EQ(m.params["client"].get<std::string>().size(), 100100u);
  // An escaped quote does not end the string; an escaped backslash before a quote does.
  std::string esc = R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{"client":"\"[[[[[[\\"}})";
  EXPECT_FALSE(nesting_exceeds(esc, 3));
  EXPECT_EQ(parse_message(esc, 3).kind, MessageKind::Request);
  // After an escaped backslash the quote closes the string: the brackets after it count.
  EXPECT_TRUE(nesting_exceeds(R"(["\\",[[[]]]])", 3));
  EXPECT_FALSE(nesting_exceeds(R"(["\\",[[]]])", 3));
  // Keys count as strings too.
  EXPECT_FALSE(nesting_exceeds(R"({"[[[[{{{{":1})", 1));
}

TEST(MessageDepth, ClosersBringTheDepthBack) {
  // Many siblings at a shallow depth are fine: only the depth counts, not the number.
  std::string wide = R"({"jsonrpc":"2.0","id":1,"method":"hello","params":{"client":[)";
  for (int i = 0; i < 10000; ++i) wide += (i ? ",[[1]]" : "[[1]]");
  wide += "]}}";
  EXPECT_FALSE(nesting_exceeds(wide, 5));
  EXPECT_EQ(parse_message(wide).kind, MessageKind::Request);
  // Stray closers never make the count negative (the JSON is invalid anyway).
  EXPECT_TRUE(nesting_exceeds("]]]]]][[[", 2));
  expect_invalid(parse_message("]]]]"), rpc_code::kParseError, "stray closers");
}
