// The ingest mappings of DESIGN.md §1, table-driven (STYLE.md habit 9): JSON lines (every key
// alias, number-magnitude times, flattening, value types, malformed and hostile input) and
// plain text (each timestamp format, level words, multi-line joining), plus the line reader
// and the JSON-lines output that `trove search --json` prints.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "tools/event_json.h"
#include "tools/json_lines.h"
#include "tools/line_reader.h"
#include "tools/log_time.h"
#include "tools/text_lines.h"

namespace trove::ingest {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
// 2024-05-01T12:34:56Z
constexpr int64_t kT = int64_t{1714566896} * kSecond;

std::string Where(const std::source_location& loc) {
  return std::string("called from line ") + std::to_string(loc.line());
}

// A string literal with its embedded NULs.
template <size_t N>
std::string Bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

const Attribute* FindAttr(const Event& e, std::string_view key) {
  for (const Attribute& a : e.attributes) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

Event ParseOk(std::string_view line, JsonParseOptions options = {},
              std::source_location loc = std::source_location::current()) {
  JsonLineParser parser(options);
  Event e;
  Status st = parser.Parse(line, &e);
  EXPECT_TRUE(st.ok()) << Where(loc) << ": " << line << " -> " << st.ToString();
  return e;
}

// ---- JSON: recognised keys --------------------------------------------------------------------

TEST(JsonLines, EveryAliasFillsItsField) {
  enum Field { kMsg, kService, kHost, kTrace, kSpan, kParent };
  auto field = [](const Event& e, Field f) -> const std::string& {
    switch (f) {
      case kMsg:
        return e.message;
      case kService:
        return e.service;
      case kHost:
        return e.host;
      case kTrace:
        return e.trace_id;
      case kSpan:
        return e.span_id;
      default:
        return e.parent_span_id;
    }
  };
  auto check = [&](std::string_view key, Field f,
                   std::source_location loc = std::source_location::current()) {
    std::string line = "{\"" + std::string(key) + "\":\"v\",\"other\":1}";
    Event e = ParseOk(line);
    EXPECT_EQ(field(e, f), "v") << Where(loc) << " key " << key;
    EXPECT_EQ(FindAttr(e, key), nullptr) << Where(loc) << " key " << key << " left as attribute";
    ASSERT_NE(FindAttr(e, "other"), nullptr) << Where(loc);
  };
  for (auto k : {"_msg", "message", "msg", "body", "log"}) check(k, kMsg);
  for (auto k : {"service", "service.name", "app"}) check(k, kService);
  for (auto k : {"host", "hostname", "host.name"}) check(k, kHost);
  for (auto k : {"trace_id", "traceId", "correlation_id", "request_id"}) check(k, kTrace);
  for (auto k : {"span_id", "spanId"}) check(k, kSpan);
  for (auto k : {"parent_span_id", "parentSpanId"}) check(k, kParent);

  for (auto k : {"level", "severity", "log.level", "severity_text"}) {
    Event e = ParseOk("{\"" + std::string(k) + "\":\"warn\"}");
    EXPECT_EQ(e.level, Level::kWarn) << k;
    EXPECT_TRUE(e.attributes.empty()) << k;
  }
  for (auto k : {"_time", "@timestamp", "timestamp", "ts", "time"}) {
    Event e = ParseOk("{\"" + std::string(k) + "\":\"2024-05-01T12:34:56Z\"}");
    EXPECT_EQ(e.time_ns, kT) << k;
    EXPECT_TRUE(e.attributes.empty()) << k;
  }
}

TEST(JsonLines, FirstAliasWinsAndLosersStayAttributes) {
  // Priority follows the alias list, not the order in the line.
  Event e = ParseOk(R"({"msg":"second","message":"first","log":"fifth"})");
  EXPECT_EQ(e.message, "first");
  ASSERT_NE(FindAttr(e, "msg"), nullptr);
  EXPECT_EQ(std::get<std::string>(FindAttr(e, "msg")->value), "second");
  ASSERT_NE(FindAttr(e, "log"), nullptr);

  e = ParseOk(R"({"time":1,"ts":"2024-05-01T12:34:56Z","_time":"garbage"})");
  EXPECT_EQ(e.time_ns, kT) << "an unusable _time gives way to the next alias";
  ASSERT_NE(FindAttr(e, "_time_raw"), nullptr) << "built-in names are kept with _raw";
  EXPECT_EQ(std::get<std::string>(FindAttr(e, "_time_raw")->value), "garbage");
  ASSERT_NE(FindAttr(e, "time"), nullptr);

  e = ParseOk(R"({"level":"chatty","severity":"error"})");
  EXPECT_EQ(e.level, Level::kError);
  ASSERT_NE(FindAttr(e, "level_raw"), nullptr);

  e = ParseOk(R"({"service":"a","service":"b"})");  // duplicate key: the first one
  EXPECT_EQ(e.service, "a");
  ASSERT_NE(FindAttr(e, "service_raw"), nullptr);

  e = ParseOk(R"({"app":"billing","service":{"name":"checkout"}})");
  EXPECT_EQ(e.service, "checkout") << "service.name (flattened) outranks app";
}

TEST(JsonLines, TimeNumbersByMagnitude) {
  auto check = [](std::string_view value, int64_t want,
                  std::source_location loc = std::source_location::current()) {
    Event e = ParseOk("{\"ts\":" + std::string(value) + "}");
    EXPECT_EQ(e.time_ns, want) << Where(loc) << " ts=" << value;
  };
  check("1714566896", kT);                         // seconds
  check("1714566896.5", kT + kSecond / 2);         // fractional seconds
  check("1714566896123", kT + 123'000'000);        // ms
  check("1714566896123456", kT + 123'456'000);     // µs
  check("1714566896123456789", kT + 123'456'789);  // ns
  check("\"1714566896123\"", kT + 123'000'000);    // numeric string
  check("\"1714566896.25\"", kT + kSecond / 4);
  check("\"2024-05-01T12:34:56.123456789Z\"", kT + 123'456'789);
  check("\"2024-05-01T14:34:56+02:00\"", kT);
  check("\"2024-05-01 12:34:56,5\"", kT + kSecond / 2);
  check("\" 2024-05-01T12:34:56Z \"", kT);
  check("946684800", int64_t{946684800} * kSecond);  // 2000-01-01: the earliest epoch number
  check("\"1999-12-31T23:59:59Z\"", int64_t{946684799} * kSecond);  // strings say what they mean
  // Unusable: the time stays 0 (the server stamps arrival) and the value an attribute.
  for (std::string_view bad : {"0", "-5", "35", "35.5", "\"35\"", "946684799", "\"yesterday\"",
                               "\"2024-05-01T12:34:56Z extra\"", "true", "[1]",
                               "18446744073709551615", "1e300", "\"2024-13-01T00:00:00Z\""}) {
    Event e = ParseOk("{\"ts\":" + std::string(bad) + "}");
    EXPECT_EQ(e.time_ns, 0) << bad;
    EXPECT_NE(FindAttr(e, "ts"), nullptr) << bad;
  }
}

TEST(JsonLines, LevelValues) {
  auto check = [](std::string_view value, Level want,
                  std::source_location loc = std::source_location::current()) {
    Event e = ParseOk("{\"level\":" + std::string(value) + "}");
    EXPECT_EQ(e.level, want) << Where(loc) << " level=" << value;
  };
  check("\"INFO\"", Level::kInfo);
  check("\"warning\"", Level::kWarn);
  check("\"Err\"", Level::kError);
  check("\"critical\"", Level::kFatal);
  check("\"ERROR3\"", Level::kError);  // OpenTelemetry short name
  check("30", Level::kInfo);           // pino
  check("50", Level::kError);
  check("10", Level::kTrace);
  check("9", Level::kInfo);  // OpenTelemetry severity number
  check("17", Level::kError);
  check("24", Level::kFatal);
  check("99", Level::kUnknown);
  check("\"loud\"", Level::kUnknown);
  check("true", Level::kUnknown);
}

TEST(JsonLines, NestedObjectsFlattenWithDots) {
  Event e =
      ParseOk(R"({"msg":"m","http":{"status":503,"route":"/pay","req":{"bytes":12}},)"
              R"("log":{"level":"error"},"host":{"name":"h1"},"empty":{},"":"blank","a":{"":1}})");
  EXPECT_EQ(e.level, Level::kError) << "log.level from a nested object";
  EXPECT_EQ(e.host, "h1");
  ASSERT_NE(FindAttr(e, "http.status"), nullptr);
  EXPECT_EQ(std::get<int64_t>(FindAttr(e, "http.status")->value), 503);
  EXPECT_EQ(std::get<std::string>(FindAttr(e, "http.route")->value), "/pay");
  EXPECT_EQ(std::get<int64_t>(FindAttr(e, "http.req.bytes")->value), 12);
  EXPECT_EQ(FindAttr(e, "empty"), nullptr) << "empty objects are skipped";
  EXPECT_NE(FindAttr(e, "_"), nullptr) << "an empty key is named _";
  EXPECT_NE(FindAttr(e, "a._"), nullptr);
}

TEST(JsonLines, AttributeTypes) {
  Event e = ParseOk(
      R"({"s":"x","i":-42,"big":9223372036854775807,"huge":18446744073709551615,"d":1.5,)"
      R"("e":2e3,"t":true,"f":false,"n":null,"arr":[1,"two",{"three":3},null],"esc":"a\"b\\c\u00e9"})");
  auto attr = [&](std::string_view k) -> const AttrValue& {
    const Attribute* a = FindAttr(e, k);
    EXPECT_NE(a, nullptr) << k;
    static const AttrValue kNone;
    return a ? a->value : kNone;
  };
  EXPECT_EQ(std::get<std::string>(attr("s")), "x");
  EXPECT_EQ(std::get<int64_t>(attr("i")), -42);
  EXPECT_EQ(std::get<int64_t>(attr("big")), INT64_MAX);
  EXPECT_EQ(std::get<std::string>(attr("huge")), "18446744073709551615");
  EXPECT_EQ(std::get<double>(attr("d")), 1.5);
  EXPECT_EQ(std::get<double>(attr("e")), 2000.0);
  EXPECT_EQ(std::get<bool>(attr("t")), true);
  EXPECT_EQ(std::get<bool>(attr("f")), false);
  EXPECT_EQ(FindAttr(e, "n"), nullptr) << "null is skipped";
  EXPECT_EQ(std::get<std::string>(attr("arr")), R"([1,"two",{"three":3},null])");
  EXPECT_EQ(std::get<std::string>(attr("esc")), "a\"b\\c\xc3\xa9");
  EXPECT_EQ(e.message, "");
}

TEST(JsonLines, ScalarsInStringFields) {
  Event e = ParseOk(R"({"msg":404,"service":true,"request_id":12345,"host":1.25})");
  EXPECT_EQ(e.message, "404");
  EXPECT_EQ(e.service, "true");
  EXPECT_EQ(e.trace_id, "12345");
  EXPECT_EQ(e.host, "1.25");
  e = ParseOk(R"({"msg":null,"message":"real"})");
  EXPECT_EQ(e.message, "real") << "null is not a usable message";
}

TEST(JsonLines, DefaultServiceOnlyWhenTheLineHasNone) {
  JsonParseOptions options;
  options.service = "cli";
  EXPECT_EQ(ParseOk(R"({"msg":"x"})", options).service, "cli");
  EXPECT_EQ(ParseOk(R"({"msg":"x","app":"mine"})", options).service, "mine");
}

TEST(JsonLines, MalformedLinesAreClearErrors) {
  auto check = [](std::string_view line, std::string_view want_in_message,
                  std::source_location loc = std::source_location::current()) {
    JsonLineParser parser;
    Event e;
    Status st = parser.Parse(line, &e);
    ASSERT_TRUE(st.IsInvalidArgument()) << Where(loc) << ": " << line << " -> " << st.ToString();
    EXPECT_NE(st.message().find(want_in_message), std::string::npos)
        << Where(loc) << ": " << st.message();
  };
  check(R"({"msg":"x")", "truncated");
  check(R"({"msg":"x)", "never closed");
  check(R"({"msg" "x"})", "malformed");
  check(R"({"a":1,})", "malformed");
  check(R"({"a":1} {"b":2})", "malformed");
  check(R"({"a":tru})", "literal");
  check(R"({"a":01})", "number");
  check(R"({"a":"\q"})", "escape");
  check(R"([1,2,3])", "expected a JSON object, found an array");
  check(R"("just a string")", "found a string");
  check("42", "found a number");
  check("", "empty");
  check("   \r", "empty");
  check("not json at all", "invalid JSON");
}

TEST(JsonLines, ParserRecoversAfterAnError) {
  JsonLineParser parser;
  Event e;
  EXPECT_FALSE(parser.Parse(R"({"msg":)", &e).ok());
  ASSERT_TRUE(parser.Parse(R"({"msg":"after"})", &e).ok());
  EXPECT_EQ(e.message, "after");
}

TEST(JsonLines, DeepNestingIsAnErrorNotACrash) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 100000; ++i) deep += "}";
  JsonLineParser parser;
  Event e;
  Status st = parser.Parse(deep, &e);
  ASSERT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("nested deeper than 64 levels"), std::string::npos) << st.message();
  std::string arrays = "{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
  EXPECT_TRUE(parser.Parse(arrays, &e).IsInvalidArgument());

  // Within the limit: flattened into one long dotted key.
  std::string ok;
  for (int i = 0; i < 20; ++i) ok += "{\"k\":";
  ok += "7";
  for (int i = 0; i < 20; ++i) ok += "}";
  e = ParseOk(ok);
  ASSERT_EQ(e.attributes.size(), 1u);
  EXPECT_EQ(e.attributes[0].key.size(), 20u * 2 - 1);
}

TEST(JsonLines, InvalidUtf8IsRepairedNotRejected) {
  JsonLineParser parser;
  Event e;
  const std::string line = "{\"msg\":\"bad \xff\xfe byte\",\"k\xc3\":\"v\xe2\x82\"}";
  ASSERT_TRUE(parser.Parse(line, &e).ok());
  EXPECT_TRUE(parser.repaired());
  EXPECT_EQ(e.message, "bad \xef\xbf\xbd\xef\xbf\xbd byte");
  ASSERT_EQ(e.attributes.size(), 1u);
  EXPECT_EQ(e.attributes[0].key, "k\xef\xbf\xbd");
  EXPECT_EQ(std::get<std::string>(e.attributes[0].value), "v\xef\xbf\xbd\xef\xbf\xbd");
  ASSERT_TRUE(parser.Parse(R"({"msg":"fine"})", &e).ok());
  EXPECT_FALSE(parser.repaired());
  // Invalid UTF-8 in a line that is also malformed: still an error, no crash.
  EXPECT_TRUE(parser.Parse("{\"msg\":\"\xff", &e).IsInvalidArgument());
}

TEST(JsonLines, NulAndControlBytes) {
  JsonLineParser parser;
  Event e;
  // Raw control bytes inside strings are strictly invalid JSON; they are taken as escaped.
  ASSERT_TRUE(parser.Parse(Bytes("{\"msg\":\"a\tb\0c\x01\"}"), &e).ok());
  EXPECT_EQ(e.message, Bytes("a\tb\0c\x01"));
  EXPECT_TRUE(parser.repaired());
  ASSERT_TRUE(parser.Parse(R"({"msg":"x\u0000y"})", &e).ok());
  EXPECT_EQ(e.message, Bytes("x\0y"));
  // A NUL outside any string is garbage.
  EXPECT_TRUE(parser.Parse(Bytes("{\"a\":1}\0"), &e).IsInvalidArgument());
  EXPECT_TRUE(parser.Parse(Bytes("{\0\"a\":1}"), &e).IsInvalidArgument());
}

TEST(JsonLines, HugeLinesParse) {
  std::string big(3 << 20, 'x');
  Event e = ParseOk("{\"msg\":\"" + big + "\",\"n\":1}");
  EXPECT_EQ(e.message.size(), big.size());
  std::string many = "{\"msg\":\"m\"";
  for (int i = 0; i < 20000; ++i) many += ",\"k" + std::to_string(i) + "\":" + std::to_string(i);
  many += "}";
  e = ParseOk(many);
  EXPECT_EQ(e.attributes.size(), 20000u);
  e = ParseOk(R"({"msg":"small again"})");  // the parser shrinks back to normal use
  EXPECT_EQ(e.message, "small again");
}

TEST(JsonLines, ByteOrderMarkAndCarriageReturn) {
  Event e = ParseOk("\xEF\xBB\xBF{\"msg\":\"bom\"}\r");
  EXPECT_EQ(e.message, "bom");
  EXPECT_TRUE(LooksLikeJsonLine("\xEF\xBB\xBF  {\"a\":1}"));
  EXPECT_TRUE(LooksLikeJsonLine("{"));
  EXPECT_FALSE(LooksLikeJsonLine("2024-01-01 {\"a\":1}"));
  EXPECT_FALSE(LooksLikeJsonLine("[1,2]"));
}

TEST(JsonLines, RoundTripThroughJsonOutput) {
  Event in;
  in.time_ns = kT + 123'456'789;
  in.service = "checkout";
  in.level = Level::kWarn;
  in.host = "h1";
  in.message = "quote \" backslash \\ newline \n tab \t ctl \x01 utf8 \xc3\xa9";
  in.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  in.span_id = "00f067aa0ba902b7";
  in.parent_span_id = "00f067aa0ba902b6";
  in.attributes = {{"http.status", int64_t{503}},
                   {"latency_ms", 12.5},
                   {"retry", true},
                   {"user.id", std::string("u-1")}};
  const std::string json = ToJsonLine(in);
  EXPECT_NE(json.find("\"_time\":\"2024-05-01T12:34:56.123456789Z\""), std::string::npos) << json;
  Event out = ParseOk(json);
  EXPECT_EQ(out, in) << json;

  EXPECT_EQ(ToJsonLine(in, {"_msg", "user.id"}),
            R"({"_msg":"quote \" backslash \\ newline \n tab \t ctl \u0001 utf8 )"
            "\xc3\xa9"
            R"(","user.id":"u-1"})");
}

// ---- plain text ------------------------------------------------------------------------------

TEST(TextLines, TimestampFormats) {
  auto check = [](std::string_view line, int64_t want,
                  std::source_location loc = std::source_location::current()) {
    int64_t t = -1;
    EXPECT_TRUE(FindLogTimestamp(line, &t)) << Where(loc) << ": " << line;
    EXPECT_EQ(t, want) << Where(loc) << ": " << line << " -> " << FormatRfc3339(t);
  };
  check("2024-05-01T12:34:56Z INFO started", kT);
  check("2024-05-01T12:34:56.123456789Z x", kT + 123'456'789);
  check("2024-05-01T14:34:56.5+02:00 x", kT + kSecond / 2);
  check("2024-05-01T07:34:56-0500 x", kT);
  check("2024-05-01 12:34:56,789 INFO x", kT + 789'000'000);
  check("2024-05-01 12:34:56.789 INFO x", kT + 789'000'000);
  check("[2024-05-01 12:34:56,789] INFO [Controller 0]: x", kT + 789'000'000);
  check("240501 123456 148 INFO dfs.DataNode: x", kT);  // HDFS
  check("24/05/01 12:34:56 INFO spark: x", kT);         // Spark
  check("May  1 12:34:56 combo sshd[1]: x", kT);        // syslog
  check("May 01 12:34:56 combo sshd[1]: x", kT);
  check("<34>May  1 12:34:56 host su: x", kT);                                   // syslog priority
  check("[Wed May 01 12:34:56 2024] [error] x", kT);                             // Apache error log
  check("1.2.3.4 - - [01/May/2024:14:34:56 +0200] \"GET / HTTP/1.1\" 200", kT);  // access log
  check("1714566896 node-1 x", kT);                                              // epoch seconds
  check("1714566896.25 x", kT + kSecond / 4);
  check("- 1714566896 2024.05.01 R02-M1 RAS KERNEL INFO x", kT);  // BGL: near the start
  check("nova-api.log.1 2024-05-01 12:34:56.000 25746 INFO x", kT);
  check("  2024-05-01T12:34:56Z indented", kT);

  for (std::string_view none :
       {"no time here", "2024-05-01", "12:34:56 only a clock", "2024-05-01 12:34:567 run-on digits",
        "171456689 nine digits", "17145668961 eleven digits", "1714566896abc id",
        "2024-02-30T00:00:00Z bad day", "a b c d 2024-05-01T12:34:56Z",
        "1969-12-31T23:59:59Z before the epoch", "9999-01-01T00:00:00Z beyond int64 ns", ""}) {
    int64_t t = -1;
    EXPECT_FALSE(FindLogTimestamp(none, &t)) << none << " -> " << FormatRfc3339(t);
    EXPECT_EQ(t, -1) << none;
  }
  int64_t t = 0;
  EXPECT_FALSE(ParseLogTimestamp("- 1714566896 x", &t)) << "only at the very start";
  EXPECT_EQ(ParseTimestampPrefix("2024-05-01T12:34:56Z rest", &t), 20u);
}

TEST(TextLines, LevelWords) {
  auto check = [](std::string_view line, Level want,
                  std::source_location loc = std::source_location::current()) {
    EXPECT_EQ(FindLevelWord(line), want) << Where(loc) << ": " << line;
  };
  check("2024-05-01 12:34:56 INFO started", Level::kInfo);
  check("[warn] disk almost full", Level::kWarn);
  check("x WARNING: y", Level::kWarn);
  check("ERROR: payment declined", Level::kError);
  check("level=error msg=x", Level::kError);
  check("FATAL boom", Level::kFatal);
  check("Debug details", Level::kDebug);
  check("TRACE enter", Level::kTrace);
  check("[notice] workerEnv.init() ok", Level::kInfo);
  check("SEVERE: x", Level::kError);
  check("critical section", Level::kFatal);
  check("INFO then ERROR", Level::kInfo);  // the first one
  check("errors happened", Level::kUnknown);
  check("information", Level::kUnknown);
  check("03-17 16:13:38.811 1702 2395 D WindowManager: x", Level::kUnknown);
  check("", Level::kUnknown);
}

std::vector<LineEvent> ParseText(const std::vector<std::string>& lines, TextParseOptions options) {
  TextLineParser parser(std::move(options));
  std::vector<LineEvent> out;
  uint64_t n = 0;
  for (const std::string& line : lines) parser.AddLine(line, ++n, &out);
  parser.Finish(&out);
  return out;
}

TEST(TextLines, OneLineOneEvent) {
  TextParseOptions options;
  options.service = "web";
  auto events = ParseText({"2024-05-01T12:34:56Z INFO a", "", "   ", "\tat indented\r",
                           "no time WARN b", "2024-05-01T12:35:00Z ERROR c\r"},
                          options);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].line, 1u);
  EXPECT_EQ(events[0].event.message, "2024-05-01T12:34:56Z INFO a");
  EXPECT_EQ(events[0].event.time_ns, kT);
  EXPECT_EQ(events[0].event.level, Level::kInfo);
  EXPECT_EQ(events[0].event.service, "web");
  EXPECT_EQ(events[1].line, 4u);
  EXPECT_EQ(events[1].event.message, "\tat indented");
  EXPECT_EQ(events[1].event.time_ns, kT) << "a line without a time takes the previous one";
  EXPECT_EQ(events[2].event.level, Level::kWarn);
  EXPECT_EQ(events[3].event.time_ns, kT + 4 * kSecond);
  EXPECT_EQ(events[3].event.message, "2024-05-01T12:35:00Z ERROR c");

  events = ParseText({"no timestamp at all"}, {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.time_ns, 0) << "no time: the server stamps the arrival time";
  EXPECT_EQ(events[0].event.service, "");
}

TEST(TextLines, MultilineJoinsContinuations) {
  TextParseOptions options;
  options.multiline = true;
  auto events = ParseText(
      {
          "2024-05-01 12:34:56,000 ERROR [main] request failed",
          "java.lang.IllegalStateException: boom",
          "\tat com.example.Foo.bar(Foo.java:42)",
          "    at com.example.Main.main(Main.java:7)",
          "Caused by: java.io.IOException: closed",
          "\t... 3 more",
          "2024-05-01 12:34:57,000 INFO [main] recovered",
          "",
          "2024-05-01 12:34:58,000 WARN [main] last",
          "  trailing continuation",
      },
      options);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].line, 1u);
  EXPECT_EQ(events[0].event.level, Level::kError);
  EXPECT_EQ(events[0].event.time_ns, kT);
  EXPECT_EQ(events[0].event.message,
            "2024-05-01 12:34:56,000 ERROR [main] request failed\n"
            "java.lang.IllegalStateException: boom\n"
            "\tat com.example.Foo.bar(Foo.java:42)\n"
            "    at com.example.Main.main(Main.java:7)\n"
            "Caused by: java.io.IOException: closed\n"
            "\t... 3 more");
  EXPECT_EQ(events[1].line, 7u);
  EXPECT_EQ(events[1].event.level, Level::kInfo);
  EXPECT_EQ(events[2].line, 9u);
  EXPECT_EQ(events[2].event.message,
            "2024-05-01 12:34:58,000 WARN [main] last\n"
            "  trailing continuation");

  // Without timestamps only indented lines continue.
  events = ParseText({"first", "  more", "second", "third", "\tmore"}, options);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event.message, "first\n  more");
  EXPECT_EQ(events[1].event.message, "second");
  EXPECT_EQ(events[2].event.message, "third\n\tmore");

  // A runaway continuation is cut at max_event_bytes into further events.
  options.max_event_bytes = 100;
  std::vector<std::string> lines = {"2024-05-01T12:34:56Z start"};
  for (int i = 0; i < 20; ++i) lines.push_back("\tat frame " + std::to_string(i));
  events = ParseText(lines, options);
  ASSERT_GT(events.size(), 1u);
  size_t frames = 0;
  for (const LineEvent& le : events) {
    EXPECT_LE(le.event.message.size(), 100u);
    EXPECT_EQ(le.event.time_ns, kT);
    for (size_t p = le.event.message.find("frame"); p != std::string::npos;
         p = le.event.message.find("frame", p + 1)) {
      ++frames;
    }
  }
  EXPECT_EQ(frames, 20u) << "no line lost when cutting";
}

TEST(TextLines, NulAndInvalidBytesAreKept) {
  const std::string line = Bytes("2024-05-01T12:34:56Z ERROR a\0b \xff end");
  auto events = ParseText({line}, {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.message, line) << "bytes are kept; the caller repairs UTF-8";
  EXPECT_EQ(events[0].event.level, Level::kError);
}

// ---- line reader -----------------------------------------------------------------------------

class LineReaderTest : public ::testing::Test {
 protected:
  std::string Write(std::string_view content) {
    // ctest runs tests as parallel processes: the pid keeps two tests' files apart.
    const std::string path = ::testing::TempDir() + "/line_reader_" +
                             std::to_string(getpid()) + "_" + std::to_string(counter_++) + ".txt";
    std::ofstream(path, std::ios::binary) << content;
    paths_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const auto& p : paths_) std::remove(p.c_str());
  }
  std::vector<std::string> paths_;
  int counter_ = 0;
};

TEST_F(LineReaderTest, LinesNumbersAndLimits) {
  const std::string huge(5000, 'h');
  const std::string path = Write("a\n\nbb\r\n" + huge + "\nlast-no-newline");
  auto reader = LineReader::Open(path, 1000);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  struct Want {
    std::string text;
    uint64_t length;
    bool too_long;
  };
  const std::vector<Want> want = {{"a", 1, false},
                                  {"", 0, false},
                                  {"bb\r", 3, false},
                                  {"", 5000, true},
                                  {"last-no-newline", 15, false}};
  InputLine line;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_TRUE((*reader)->Next(&line)) << i;
    EXPECT_EQ(line.number, i + 1);
    EXPECT_EQ(line.text, want[i].text) << i;
    EXPECT_EQ(line.length, want[i].length) << i;
    EXPECT_EQ(line.too_long, want[i].too_long) << i;
  }
  EXPECT_FALSE((*reader)->Next(&line));
  EXPECT_TRUE((*reader)->status().ok());
  EXPECT_EQ((*reader)->bytes_read(), 2 + 1 + 4 + 5001 + 15u);
}

TEST_F(LineReaderTest, LongLinesAcrossChunks) {
  // Lines longer than one read chunk (1 MiB) within the limit come back whole.
  const std::string big(3 << 20, 'b');
  const std::string path = Write("x\n" + big + "\ny\n" + big + big);
  auto reader = LineReader::Open(path, 4 << 20);
  ASSERT_TRUE(reader.ok());
  InputLine line;
  ASSERT_TRUE((*reader)->Next(&line));
  EXPECT_EQ(line.text, "x");
  ASSERT_TRUE((*reader)->Next(&line));
  EXPECT_EQ(line.text.size(), big.size());
  ASSERT_TRUE((*reader)->Next(&line));
  EXPECT_EQ(line.text, "y");
  ASSERT_TRUE((*reader)->Next(&line));
  EXPECT_TRUE(line.too_long);
  EXPECT_EQ(line.length, 2 * big.size());
  EXPECT_FALSE((*reader)->Next(&line));
}

TEST_F(LineReaderTest, EmptyFileAndErrors) {
  auto reader = LineReader::Open(Write(""), 100);
  ASSERT_TRUE(reader.ok());
  InputLine line;
  EXPECT_FALSE((*reader)->Next(&line));
  EXPECT_TRUE((*reader)->status().ok());

  auto missing = LineReader::Open("/nonexistent/file.log", 100);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/file.log"), std::string::npos);
  auto dir = LineReader::Open(::testing::TempDir(), 100);
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.status().message().find("directory"), std::string::npos) << dir.status().message();
}

}  // namespace
}  // namespace trove::ingest
