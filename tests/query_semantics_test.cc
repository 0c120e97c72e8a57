// The search semantics of DESIGN.md §2, table-driven through the real engine (STYLE.md habit 9):
// each row is an event, a query and whether the query must match that event. A table's events
// go into one Store; every query runs twice, once while the events are buffered (the scan of
// recent events) and once after Flush (segment indexes, block pruning, verification), since the
// two take different code paths. Also: traces of unknown IDs, invalid regexes, parse errors and
// stats over nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "query/ast.h"
#include "query/engine.h"
#include "query/parser.h"
#include "storage/format.h"
#include "storage/store.h"
#include "tests/store_test_util.h"

namespace trove::query {
namespace {

using trove::testing::TempDir;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kNow = int64_t{1'767'225'600} * kSecond + 12 * kHour;  // 2026-01-01T12:00:00Z
constexpr int64_t kClock = kNow + kHour;
constexpr int64_t kDefaultTimes = kNow - 6 * kHour;  // rows without a time of their own

// An event for a table row: a message, with fields set by chained calls.
struct Ev {
  Event e;
  explicit Ev(std::string msg) {
    e.message = std::move(msg);
    e.level = Level::kInfo;
  }
  Ev& Service(std::string s) {
    e.service = std::move(s);
    return *this;
  }
  Ev& Host(std::string h) {
    e.host = std::move(h);
    return *this;
  }
  Ev& Lvl(Level l) {
    e.level = l;
    return *this;
  }
  Ev& Trace(std::string t) {
    e.trace_id = std::move(t);
    return *this;
  }
  Ev& Span(std::string s, std::string parent = "") {
    e.span_id = std::move(s);
    e.parent_span_id = std::move(parent);
    return *this;
  }
  Ev& Time(int64_t t) {
    e.time_ns = t;
    return *this;
  }
  Ev& Attr(std::string key, AttrValue v) {
    e.attributes.push_back({std::move(key), std::move(v)});
    return *this;
  }
};

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20) {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string Describe(const Event& e) {
  std::string s = "{_msg=\"" + Printable(e.message) + "\" level=" + std::string(LevelName(e.level));
  if (!e.service.empty()) s += " service=" + e.service;
  if (!e.host.empty()) s += " host=" + e.host;
  if (!e.trace_id.empty()) s += " trace_id=" + e.trace_id;
  for (const Attribute& a : e.attributes) s += " " + a.key + "=" + ValueToString(a.value);
  return s + " _time=" + std::to_string(e.time_ns) + "}";
}

StoreOptions Options() {
  StoreOptions o;
  o.background = false;
  o.partition_ns = kHour;
  o.segment.block_rows = 4;  // many blocks, so block pruning is on the path
  o.segment.term_block_bytes = 256;
  o.clock = [] { return kClock; };
  return o;
}

// Rows of (event, query, want). Run() stores every event, then checks every row buffered and
// flushed; a row's event is recognised in the results by its unique _time.
class SemanticsTable {
 public:
  void Add(Event event, std::string_view query, bool want, std::source_location at) {
    rows_.push_back({std::move(event), std::string(query), want, static_cast<int>(at.line())});
  }

  void Run() {
    ASSERT_FALSE(rows_.empty());
    std::set<int64_t> times;
    for (size_t i = 0; i < rows_.size(); ++i) {
      Event& e = rows_[i].event;
      if (e.time_ns == 0) e.time_ns = kDefaultTimes + static_cast<int64_t>(i) * kSecond;
      ASSERT_TRUE(times.insert(e.time_ns).second) << "two rows share _time " << e.time_ns;
    }
    TempDir dir("qsem");
    auto store = Store::Open(Options(), dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::vector<Event> events;
    for (const Row& r : rows_) events.push_back(r.event);
    auto appended = (*store)->Append(std::move(events));
    ASSERT_TRUE(appended.ok()) << appended.status().ToString();
    ASSERT_EQ(appended->accepted, rows_.size());
    QueryEngine engine;
    for (const char* state : {"buffered", "flushed"}) {
      if (std::string_view(state) == "flushed") {
        ASSERT_TRUE((*store)->Flush().ok());
        ASSERT_GT((*store)->GetStats().segments, 0u);
        ASSERT_EQ((*store)->GetStats().buffered_events, 0u);
      }
      auto snap = (*store)->GetSnapshot();
      for (const Row& r : rows_) {
        std::string where = std::string("line ") + std::to_string(r.line) + " [" + state +
                            "] query: " + r.query + "\n  event: " + Describe(r.event);
        auto query = ParseQuery(r.query, kNow);
        if (!query.ok()) {
          ADD_FAILURE() << where << "\n  ParseQuery: " << query.status().ToString();
          continue;
        }
        QueryOptions options;
        options.max_result_rows = 1'000'000;
        auto result = engine.Run(*snap, *query, options);
        if (!result.ok()) {
          ADD_FAILURE() << where << "\n  Run: " << result.status().ToString();
          continue;
        }
        bool matched = false;
        for (const Event& e : result->events) matched |= e.time_ns == r.event.time_ns;
        EXPECT_EQ(matched, r.want) << where << "\n  want " << (r.want ? "match" : "no match");
      }
    }
  }

 private:
  struct Row {
    Event event;
    std::string query;
    bool want;
    int line;
  };
  std::vector<Row> rows_;
};

using Here = std::source_location;

// The usual checker: an event with just this message.
auto MessageChecker(SemanticsTable* t) {
  return [t](std::string_view msg, std::string_view q, bool want, Here at = Here::current()) {
    t->Add(Ev(std::string(msg)).e, q, want, at);
  };
}
// For rows about other fields: a whole event.
auto EventChecker(SemanticsTable* t) {
  return [t](const Ev& ev, std::string_view q, bool want, Here at = Here::current()) {
    t->Add(ev.e, q, want, at);
  };
}

TEST(QuerySemanticsTest, WordsMatchWholeTokensIgnoringAsciiCase) {
  SemanticsTable t;
  auto check = MessageChecker(&t);
  check("ERROR: disk full", "error", true);
  check("errors happened", "error", false);
  check("an error.", "error", true);
  check("xerror", "error", false);
  check("error_code=5", "error", false);  // '_' is a token byte
  check("error-code=5", "error", true);
  check("Error", "ERROR", true);
  check("eRrOr", "error", true);
  check("disk full", "full disk", true);  // implicit AND, in any order
  check("disk", "disk full", false);
  check("disk full", "disk AND full", true);
  check("42 apples", "42", true);
  check("4242", "42", false);
  check("v4.2", "4", false);
  check("code=42", "42", true);
  check("", "error", false);
  check("", "*", true);
  check("anything at all", "*", true);
  t.Run();
}

TEST(QuerySemanticsTest, PhrasesSpanSeparatorsOnTokenBoundaries) {
  SemanticsTable t;
  auto check = MessageChecker(&t);
  const char* blk = "\"blk_-8775602795571523802\"";
  check("Receiving block blk_-8775602795571523802 src: /10.250.19.102:54106", blk, true);
  check("Deleting block blk_-87756027955715238021 file", blk, false);
  check("blk_8775602795571523802 served", blk, false);
  check("xblk_-8775602795571523802", blk, false);
  check("BLK_-8775602795571523802", blk, true);
  check("[blk_-8775602795571523802]", blk, true);
  check("blk_-8775602795571523802.", blk, true);
  check("blk_-8775602795571523802", "\"-8775602795571523802\"", true);  // may start on a separator
  check("payment declined for user 7", "\"payment declined\"", true);
  check("Payment DECLINED", "\"payment declined\"", true);
  check("payment  declined", "\"payment declined\"", false);  // separators compared too
  check("payment-declined", "\"payment declined\"", false);
  check("declined payment", "\"payment declined\"", false);
  check("payment declinedx", "\"payment declined\"", false);
  check("foo bar-baz qux", "\"foo bar-baz\"", true);
  check("foo bar-bazz", "\"foo bar-baz\"", false);
  check("foo bar baz", "\"foo bar-baz\"", false);
  check("xfoo bar-baz", "\"foo bar-baz\"", false);
  check("connect to 10.0.0.1:8080 failed", "\"10.0.0.1:8080\"", true);
  check("connect to 10.0.0.1:80801", "\"10.0.0.1:8080\"", false);
  check("connect to 110.0.0.1:8080", "\"10.0.0.1:8080\"", false);
  check("GET /api/v1/cart 200", "\"/api/v1/cart\"", true);
  check("GET /API/V1/CART 200", "\"/api/v1/cart\"", true);
  check("GET /api/v1/carts", "\"/api/v1/cart\"", false);
  check("host:8080", "\":8080\"", true);
  check("a.b.c", "\"a.b\"", true);
  check("a.bc", "\"a.b\"", false);
  check("the disk is full", "\"disk full\"", false);
  t.Run();
}

TEST(QuerySemanticsTest, PrefixesStartOnTokenBoundaries) {
  SemanticsTable t;
  auto check = MessageChecker(&t);
  auto check_event = EventChecker(&t);
  check("Connection refused", "conn*", true);
  check("CONNECTED", "conn*", true);
  check("reconnect", "conn*", false);
  check("con", "conn*", false);
  check("errors", "error*", true);
  check("ERROR:", "error*", true);
  check("xerror", "error*", false);
  check("404 not found", "4*", true);
  check("x404", "4*", false);
  check("blk_42 done", "blk*", true);
  check("blk_-8775602795571523802", "blk_-87*", true);
  check("BLK_-87", "blk_-87*", true);
  check("id=blk_-87x", "blk_-87*", true);  // may end inside a token
  check("blk_-8875602795571523802", "blk_-87*", false);
  check("blk_8775602795571523802", "blk_-87*", false);
  check("xblk_-87", "blk_-87*", false);
  check("日本語のログ", "日本*", true);
  check("ログ日本", "日本*", false);
  check_event(Ev("m").Service("cart-api"), "service:cart*", true);
  check_event(Ev("m").Service("cart-api"), "service:api*", true);
  check_event(Ev("m").Service("cart-api"), "service:art*", false);
  check_event(Ev("m").Host("web-1.example.com"), "host:web-1.ex*", true);
  check_event(Ev("m").Host("web-1.example.com"), "host:eb*", false);
  check_event(Ev("cart").Service("auth"), "service:cart*", false);
  t.Run();
}

TEST(QuerySemanticsTest, Utf8BytesAreTokenBytesAndOnlyAsciiFolds) {
  SemanticsTable t;
  auto check = MessageChecker(&t);
  check("café au lait", "café", true);
  check("cafés", "café", false);
  check("Café", "café", true);
  check("CAFÉ", "café", false);  // É and é differ: only ASCII is case-folded
  check("Café au lait", "\"café au\"", true);
  check("日本語のログ", "日本語", false);  // one token: the word ends inside it
  check("日本語 ログ", "日本語", true);
  check("日本語-ログ", "日本語", true);
  check("naïve approach", "NAïVE", true);
  check("naïve approach", "NAÏVE", false);
  // Invalid UTF-8 is stored with U+FFFD, and the replacement is a token like any other.
  check("bad \xff byte", "bad", true);
  check("bad \xff byte", "\"bad \xEF\xBF\xBD byte\"", true);
  t.Run();
}

TEST(QuerySemanticsTest, FieldValueSearchesOneField) {
  SemanticsTable t;
  auto check = EventChecker(&t);
  Ev ev = Ev("payment declined")
              .Service("checkout")
              .Host("web-1.example.com")
              .Attr("user.id", std::string("u-17"))
              .Attr("http.status", int64_t{500})
              .Attr("duration", 1.5)
              .Attr("cached", true)
              .Trace("4bf92f3577b34da6a3ce929d0e0e4736");
  check(ev, "checkout", false);  // a bare word searches _msg only
  check(ev, "service:checkout", true);
  check(ev, "service:CHECKOUT", true);
  check(ev, "service:check", false);
  check(ev, "service:payment", false);
  check(ev, "_msg:payment", true);
  check(ev, "_msg:checkout", false);
  check(ev, "_msg:\"payment declined\"", true);
  check(ev, "host:example", true);
  check(ev, "host:web", true);
  check(ev, "host:\"web-1\"", true);
  check(ev, "host:\"example.com\"", true);
  check(ev, "host:exam", false);
  check(ev, "user.id:17", true);
  check(ev, "user.id:u", true);
  check(ev, "user.id:\"u-17\"", true);
  check(ev, "user.id:\"u-1\"", false);
  check(ev, "http.status:500", true);
  check(ev, "http.status:50", false);
  check(ev, "duration:\"1.5\"", true);
  check(ev, "duration:1", true);  // the text form "1.5" holds the token "1"
  check(ev, "duration:15", false);
  check(ev, "cached:true", true);
  check(ev, "cached:TRUE", true);
  check(ev, "cached:false", false);
  check(ev, "trace_id:4bf92f3577b34da6a3ce929d0e0e4736", true);
  check(ev, "4bf92f3577b34da6a3ce929d0e0e4736", false);
  check(ev, "payment service:checkout", true);
  check(ev, "payment service:auth", false);
  check(ev, "no.such.field:payment", false);
  check(Ev("m").Service("cart-api"), "service:cart", true);
  check(Ev("m").Attr("category", std::string("日本語")), "category:日本語", true);
  t.Run();
}

TEST(QuerySemanticsTest, ExactIsCaseSensitiveWholeValueEquality) {
  SemanticsTable t;
  auto check = EventChecker(&t);
  check(Ev("m").Service("cart-api"), "service:=\"cart-api\"", true);
  check(Ev("m").Service("cart-api"), "service:=\"cart\"", false);
  check(Ev("m").Service("cart-api"), "service:=\"Cart-api\"", false);
  check(Ev("m").Attr("user.id", std::string("u-17")), "user.id:=\"u-17\"", true);
  check(Ev("m").Attr("user.id", std::string("u-17x")), "user.id:=\"u-17\"", false);
  check(Ev("m").Attr("http.status", int64_t{500}), "http.status:=\"500\"", true);
  check(Ev("m").Attr("http.status", int64_t{500}), "http.status:=\"500.0\"", false);
  check(Ev("m").Attr("http.status", std::string("500")), "http.status:=\"500\"", true);
  check(Ev("m").Attr("duration", 1.5), "duration:=\"1.5\"", true);
  check(Ev("m").Attr("cached", true), "cached:=\"true\"", true);
  check(Ev("m").Attr("cached", true), "cached:=\"True\"", false);
  check(Ev("disk full"), "_msg:=\"disk full\"", true);
  check(Ev("disk full now"), "_msg:=\"disk full\"", false);
  check(Ev("Disk full"), "_msg:=\"disk full\"", false);
  check(Ev("m").Trace("4bf92f3577b34da6a3ce929d0e0e4736"),
        "trace_id:=\"4bf92f3577b34da6a3ce929d0e0e4736\"", true);
  check(Ev("m").Trace("4bf92f3577b34da6a3ce929d0e0e4736"),
        "trace_id:=\"4BF92F3577B34DA6A3CE929D0E0E4736\"", false);
  check(Ev("m").Trace("req-17"), "trace_id:=\"req-17\"", true);
  check(Ev("m").Trace("req-17"), "trace_id:=\"req-1\"", false);
  // level's text form is its name: "WARN".
  check(Ev("m").Lvl(Level::kWarn), "level:=\"WARN\"", true);
  // Level words are canonicalised by the parser (query/ast.h), in exact values too.
  check(Ev("m").Lvl(Level::kWarn), "level:=\"warn\"", true);
  check(Ev("m").Lvl(Level::kWarn), "level:=\"warning\"", true);
  check(Ev("m").Lvl(Level::kWarn), "level:=\"ERROR\"", false);
  t.Run();
}

TEST(QuerySemanticsTest, NumericRangesOnlyMatchNumbers) {
  SemanticsTable t;
  auto check = EventChecker(&t);
  Ev status = Ev("m").Attr("http.status", int64_t{500});
  check(status, "http.status:>=500", true);
  check(status, "http.status:>500", false);
  check(status, "http.status:<500", false);
  check(status, "http.status:<=500", true);
  check(status, "http.status:>499.5", true);
  check(status, "http.status:[400 TO 500]", true);
  check(status, "http.status:{400 TO 500}", false);
  check(status, "http.status:{499 TO 501}", true);
  check(status, "http.status:[501 TO 600]", false);
  Ev duration = Ev("m").Attr("duration", 1.5);
  check(duration, "duration:>1", true);
  check(duration, "duration:>=1.5", true);
  check(duration, "duration:>1.5", false);
  check(duration, "duration:<1.5", false);
  check(duration, "duration:<=1.5", true);
  check(duration, "duration:[1 TO 2]", true);
  check(duration, "duration:{1.5 TO 2}", false);
  check(duration, "duration:>-1", true);
  Ev delta = Ev("m").Attr("delta", int64_t{-3});
  check(delta, "delta:<0", true);
  check(delta, "delta:[-5 TO -1]", true);
  check(delta, "delta:>=-3", true);
  check(delta, "delta:>-3", false);
  // Strings and bools never match a range, even when they look like numbers.
  check(Ev("m").Attr("user.id", std::string("500")), "user.id:>=100", false);
  check(Ev("m").Attr("user.id", std::string("500")), "user.id:[0 TO 1000]", false);
  check(Ev("m").Attr("user.id", std::string("500")), "user.id:500", true);
  check(Ev("m").Attr("cached", true), "cached:>=0", false);
  check(Ev("m").Attr("cached", true), "cached:[0 TO 1]", false);
  check(Ev("500"), "_msg:>=100", false);
  check(Ev("m").Service("500"), "service:>=100", false);
  // An absent field is not in any range, so NOT makes the row match.
  check(Ev("m"), "http.status:>=0", false);
  check(Ev("m"), "-http.status:>=0", true);
  check(Ev("m").Attr("http.status", int64_t{200}), "-http.status:>=500", true);
  t.Run();
}

TEST(QuerySemanticsTest, LevelsByNameAliasAndOrder) {
  SemanticsTable t;
  auto check = EventChecker(&t);
  Ev warn = Ev("m").Lvl(Level::kWarn);
  check(warn, "level:warn", true);
  check(warn, "level:WARN", true);
  check(warn, "level:warning", true);
  check(warn, "level:error", false);
  check(warn, "level:>=WARN", true);
  check(warn, "level:>WARN", false);
  check(warn, "level:<=WARN", true);
  check(warn, "level:<WARN", false);
  check(warn, "level:>=4", true);
  check(warn, "level:[4 TO 5]", true);
  check(warn, "level:*", true);
  check(Ev("m").Lvl(Level::kError), "level:>=WARN", true);
  check(Ev("m").Lvl(Level::kError), "level:error", true);
  check(Ev("m").Lvl(Level::kError), "level:[4 TO 5]", true);
  check(Ev("m").Lvl(Level::kFatal), "level:>=WARN", true);
  check(Ev("m").Lvl(Level::kFatal), "level:[4 TO 5]", false);
  check(Ev("m").Lvl(Level::kInfo), "level:>=WARN", false);
  check(Ev("m").Lvl(Level::kInfo), "level:warning", false);
  check(Ev("m").Lvl(Level::kUnknown), "level:<INFO", true);  // UNKNOWN is 0
  check(Ev("m").Lvl(Level::kUnknown), "level:>=WARN", false);
  check(Ev("m").Lvl(Level::kUnknown), "level:unknown", true);
  check(Ev("m").Lvl(Level::kUnknown), "level:*", true);
  t.Run();
}

TEST(QuerySemanticsTest, FieldExistsWhenPresent) {
  SemanticsTable t;
  auto check = EventChecker(&t);
  check(Ev("m").Host("h1"), "host:*", true);
  check(Ev("m"), "host:*", false);
  check(Ev("m"), "-host:*", true);
  check(Ev("m").Host("h1"), "-host:*", false);
  check(Ev("m").Service("s"), "service:*", true);
  check(Ev("m").Attr("user.id", std::string("u1")), "user.id:*", true);
  check(Ev("m").Attr("user.ids", std::string("u1")), "user.id:*", false);
  check(Ev("m").Attr("cached", false), "cached:*", true);
  check(Ev("m").Attr("http.status", int64_t{0}), "http.status:*", true);
  check(Ev("m").Attr("category", std::string("")), "category:*", true);  // present, empty
  check(Ev(""), "_msg:*", false);
  check(Ev("x"), "_msg:*", true);
  check(Ev("m").Trace("req-1"), "trace_id:*", true);
  check(Ev("m"), "trace_id:*", false);
  check(Ev("m").Trace("req-1").Span("s1"), "span_id:*", true);
  check(Ev("m").Trace("req-1").Span("s1"), "parent_span_id:*", false);
  check(Ev("m").Trace("req-1").Span("s2", "s1"), "parent_span_id:*", true);
  check(Ev("m"), "level:*", true);
  check(Ev("m"), "no.such.field:*", false);
  t.Run();
}

TEST(QuerySemanticsTest, BooleanOperatorsAndPrecedence) {
  SemanticsTable t;
  auto check = MessageChecker(&t);
  check("disk full", "-error", true);
  check("error disk", "-error", false);
  check("error disk", "NOT error", false);
  check("", "-error", true);  // absent _msg: the word is false, NOT makes it true
  check("error disk", "disk -full", true);
  check("disk full", "disk -full", false);
  check("disk full", "disk NOT full", false);
  check("warn only", "error OR warn", true);
  check("nothing", "error OR warn", false);
  // AND binds tighter than OR, NOT tighter than AND.
  check("error", "error OR warn disk", true);
  check("warn", "error OR warn disk", false);
  check("warn disk", "error OR warn disk", true);
  check("error", "(error OR warn) disk", false);
  check("warn disk", "(error OR warn) disk", true);
  check("disk", "-(error OR warn) disk", true);
  check("error disk", "-(error OR warn) disk", false);
  check("error", "NOT error OR warn", false);
  check("other", "NOT error OR warn", true);
  check("error warn", "NOT error OR warn", true);
  check("a b", "(a AND (b OR c)) AND NOT (d OR e)", true);
  check("a b e", "(a AND (b OR c)) AND NOT (d OR e)", false);
  check("a c", "((a) (b OR c))", true);
  t.Run();
}

std::string Rfc3339(int64_t ns, int offset_minutes = 0) {
  int64_t local = ns + int64_t{offset_minutes} * kMinute;
  time_t secs = static_cast<time_t>(local / kSecond);
  int64_t frac = local % kSecond;
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string s = buf;
  if (frac) {
    snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(frac));
    s += buf;
  }
  if (offset_minutes == 0) return s + "Z";
  int m = std::abs(offset_minutes);
  snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', m / 60, m % 60);
  return s + buf;
}

TEST(QuerySemanticsTest, TimeRangesAreHalfOpen) {
  SemanticsTable t;
  auto check = EventChecker(&t);
  const int64_t t0 = kNow - 30 * kMinute + 123;  // 11:30:00.000000123Z
  auto event_at = [](int64_t when) { return Ev("m").Time(when); };
  auto range = [](int64_t a, int64_t b) {
    return "_time:[" + Rfc3339(a) + ", " + Rfc3339(b) + ")";
  };
  check(event_at(t0), range(t0, t0 + kSecond), true);
  check(event_at(t0 + 1), range(t0 - kSecond, t0 + 1), false);  // the end is exclusive
  check(event_at(t0 + 2), range(t0 + 3, t0 + kSecond), false);
  check(event_at(t0 + 4), "_time:>=" + Rfc3339(t0 + 4), true);
  check(event_at(t0 + 5), "_time:>=" + Rfc3339(t0 + 6), false);
  check(event_at(t0 + 7), "_time:1h", true);
  check(event_at(t0 + 8), "_time:10m", false);
  check(event_at(kNow - 4 * kMinute), "_time:5m", true);
  check(event_at(kNow - 5 * kMinute - 1), "_time:5m", false);
  check(event_at(t0 + 9),
        "_time:[" + Rfc3339(t0 - kSecond, 120) + ", " + Rfc3339(t0 + kSecond, -330) + ")", true);
  check(event_at(t0 + 10), "_time:[2026-01-01T11:00:00+02:00, 2026-01-01T12:00:00+02:00)", false);
  check(event_at(t0 + 11), "_time:[2026-01-01, 2026-01-02)", true);
  check(event_at(t0 + 12), "_time:[2026-01-02, 2026-01-03)", false);
  check(event_at(t0 + 13), "-_time:5m", true);
  t.Run();
}

TEST(QuerySemanticsTest, RegexesAreUnanchoredRe2) {
  SemanticsTable t;
  auto check = EventChecker(&t);
  check(Ev("block blk_-8775602795571523802 served"), "~\"blk_-[0-9]+\"", true);
  check(Ev("block blk_8775 served"), "~\"blk_-[0-9]+\"", false);
  check(Ev("Receiving block"), "~\"^Receiving\"", true);
  check(Ev("now Receiving"), "~\"^Receiving\"", false);
  check(Ev("ERROR: x"), "~\"error\"", false);  // case-sensitive unless asked
  check(Ev("ERROR: x"), "~\"(?i)error\"", true);
  check(Ev("xerrorx"), "~\"error\"", true);  // no token boundaries for regexes
  check(Ev("日本語のログ"), "~\"本語の\"", true);
  check(Ev("m").Service("checkout"), "service:~\"^check\"", true);
  check(Ev("m").Service("checkout"), "service:~\"^out\"", false);
  check(Ev("m"), "host:~\".\"", false);  // absent field
  check(Ev("m"), "-host:~\".\"", true);
  check(Ev("m").Attr("http.status", int64_t{503}), "http.status:~\"^5\"", true);
  check(Ev("m").Attr("http.status", int64_t{403}), "http.status:~\"^5\"", false);
  check(Ev("m").Lvl(Level::kError), "level:~\"^ERR\"", true);
  t.Run();
}

// ---------------------------------------------------------------------------------------------

class QueryEngineErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(Options(), dir_.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    std::vector<Event> events = {
        Ev("first")
            .Time(kNow - 3 * kMinute)
            .Service("a")
            .Trace("4bf92f3577b34da6a3ce929d0e0e4736")
            .e,
        Ev("second")
            .Time(kNow - 2 * kMinute)
            .Service("b")
            .Trace("4bf92f3577b34da6a3ce929d0e0e4736")
            .e,
        Ev("third")
            .Time(kNow - kMinute)
            .Service("a")
            .Trace("req-1")
            .Attr("latency_ms", int64_t{7})
            .e,
    };
    auto r = store_->Append(std::move(events));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->accepted, 3u);
  }

  // Runs body once buffered and once flushed.
  void InBothStates(const std::function<void(const Snapshot&, const char*)>& body) {
    body(*store_->GetSnapshot(), "buffered");
    ASSERT_TRUE(store_->Flush().ok());
    body(*store_->GetSnapshot(), "flushed");
  }

  TempDir dir_{"qsem-errors"};
  std::unique_ptr<Store> store_;
  QueryEngine engine_;
};

TEST_F(QueryEngineErrorsTest, UnknownTraceIdGivesAnEmptyTrace) {
  InBothStates([&](const Snapshot& snap, const char* state) {
    SCOPED_TRACE(state);
    for (const char* id :
         {"4bf92f3577b34da6a3ce929d0e0e4737", "4BF92F3577B34DA6A3CE929D0E0E4736", "req-2", "req"}) {
      auto trace = engine_.GetTrace(snap, id);
      ASSERT_TRUE(trace.ok()) << id << ": " << trace.status().ToString();
      EXPECT_TRUE(trace->events.empty()) << id;
      EXPECT_TRUE(trace->spans.empty()) << id;
      EXPECT_TRUE(trace->services.empty()) << id;
      EXPECT_EQ(trace->start_ns, 0) << id;
      EXPECT_EQ(trace->end_ns, 0) << id;
    }
    // And a known one is found, so an engine that finds nothing fails here.
    auto known = engine_.GetTrace(snap, "4bf92f3577b34da6a3ce929d0e0e4736");
    ASSERT_TRUE(known.ok()) << known.status().ToString();
    ASSERT_EQ(known->events.size(), 2u);
    EXPECT_EQ(known->events[0].message, "first");
    EXPECT_EQ(known->events[1].message, "second");
    EXPECT_EQ(known->duration_ns(), kMinute);
    auto req = engine_.GetTrace(snap, "req-1");
    ASSERT_TRUE(req.ok()) << req.status().ToString();
    ASSERT_EQ(req->events.size(), 1u);
  });
}

TEST_F(QueryEngineErrorsTest, CancelAndDeadlineStopQueriesWithAborted) {
  InBothStates([&](const Snapshot& snap, const char* state) {
    SCOPED_TRACE(state);
    auto query = ParseQuery("* | stats by (service) count()", kNow);
    ASSERT_TRUE(query.ok());
    auto search = ParseQuery("first OR third", kNow);
    ASSERT_TRUE(search.ok());
    std::atomic<bool> cancel{true};
    QueryOptions cancelled;
    cancelled.cancel = &cancel;
    QueryOptions late;
    late.deadline = std::chrono::steady_clock::now() - std::chrono::milliseconds(1);
    for (const QueryOptions* o : {&cancelled, &late}) {
      const char* want = o == &cancelled ? "cancelled" : "deadline";
      auto r = engine_.Run(snap, *query, *o);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), Status::Code::kAborted) << r.status().ToString();
      EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().ToString();
      auto s = engine_.Run(snap, *search, *o);
      EXPECT_FALSE(s.ok());
      auto t = engine_.GetTrace(snap, "req-1", *o);
      EXPECT_FALSE(t.ok());
    }
    // The same queries with the flag down and a deadline ahead answer.
    cancel = false;
    QueryOptions fine;
    fine.cancel = &cancel;
    fine.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto r = engine_.Run(snap, *search, fine);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->events.size(), 2u);
  });
}

TEST_F(QueryEngineErrorsTest, InvalidRegexIsInvalidArgument) {
  InBothStates([&](const Snapshot& snap, const char* state) {
    for (const char* q : {"~\"(\"", "service:~\"[a-\"", "~\"a{2,1}\"", "first ~\"(?P<x\""}) {
      auto query = ParseQuery(q, kNow);
      if (!query.ok()) {  // rejected by the parser: fine, if it says why
        EXPECT_TRUE(query.status().IsInvalidArgument()) << q << ": " << query.status().ToString();
        continue;
      }
      auto result = engine_.Run(snap, *query);
      ASSERT_FALSE(result.ok()) << state << ": " << q << " ran with an invalid regex";
      EXPECT_TRUE(result.status().IsInvalidArgument()) << q << ": " << result.status().ToString();
    }
    // A valid regex runs.
    auto query = ParseQuery("~\"^fir\"", kNow);
    ASSERT_TRUE(query.ok()) << query.status().ToString();
    auto result = engine_.Run(snap, *query);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(result->events.size(), 1u) << state;
  });
}

TEST(QueryParseErrorTest, ParseErrorsAreInvalidArgumentNamingAPosition) {
  auto check = [](std::string_view q) {
    auto query = ParseQuery(q, kNow);
    ASSERT_FALSE(query.ok()) << "parsed: " << q;
    EXPECT_TRUE(query.status().IsInvalidArgument()) << q << ": " << query.status().ToString();
    const std::string& msg = query.status().message();
    // "position N" (std::regex is avoided: GCC 12 warns inside it under sanitizers).
    size_t at = msg.find("position ");
    ASSERT_NE(at, std::string::npos) << q << ": the error names no position: " << msg;
    at += 9;
    ASSERT_TRUE(at < msg.size() && msg[at] >= '0' && msg[at] <= '9')
        << q << ": the error names no position: " << msg;
    long pos = std::strtol(msg.c_str() + at, nullptr, 10);
    EXPECT_GE(pos, 1) << q << ": " << msg;
    EXPECT_LE(pos, static_cast<long>(q.size()) + 1) << q << ": " << msg;
  };
  check("(error");
  check("error OR");
  check("error AND");
  check(")");
  check("service:");
  check("http.status:>");
  check("http.status:[1 TO");
  check("\"unterminated");
  check("error | limit");
  check("error | limit x");
  check("error | stats by (service");
  check("* | sort by");
  check("error | nosuchpipe");
  check("_time:[2026-01-01T00:00:00Z");
  check("_time:[not-a-time, 2026-01-01T00:00:00Z)");
  check("* | stats quantile(x, latency_ms)");
  // The position is the offending token's: in "(error OR", the end of the query.
  auto query = ParseQuery("(error OR", kNow);
  ASSERT_FALSE(query.ok());
  EXPECT_NE(query.status().message().find("position 10"), std::string::npos)
      << query.status().message();
}

TEST_F(QueryEngineErrorsTest, StatsWithoutByIsOneRowEvenOverNoEvents) {
  InBothStates([&](const Snapshot& snap, const char* state) {
    SCOPED_TRACE(state);
    auto run = [&](std::string_view text) -> Result<QueryResult> {
      auto query = ParseQuery(text, kNow);
      if (!query.ok()) return query.status();
      return engine_.Run(snap, *query);
    };
    auto none = run("nomatchzzz | stats count() n, sum(latency_ms) s");
    ASSERT_TRUE(none.ok()) << none.status().ToString();
    ASSERT_TRUE(none->is_table);
    EXPECT_EQ(none->table.columns, (std::vector<std::string>{"n", "s"}));
    ASSERT_EQ(none->table.rows.size(), 1u);
    ASSERT_EQ(none->table.rows[0].size(), 2u);
    EXPECT_EQ(none->table.rows[0][0], Cell(int64_t{0}));
    EXPECT_EQ(none->table.rows[0][1], Cell(std::monostate{}));
    auto grouped = run("nomatchzzz | stats by (service) count()");
    ASSERT_TRUE(grouped.ok()) << grouped.status().ToString();
    ASSERT_TRUE(grouped->is_table);
    EXPECT_TRUE(grouped->table.rows.empty());
    auto all = run("* | stats count() n, sum(latency_ms) s");
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->table.rows.size(), 1u);
    EXPECT_EQ(all->table.rows[0][0], Cell(int64_t{3}));
    EXPECT_EQ(all->table.rows[0][1], Cell(7.0));
    auto unknown = run("* | stats count() n | sort by (nosuch)");
    ASSERT_FALSE(unknown.ok()) << "sorted by an unknown column";
    EXPECT_TRUE(unknown.status().IsInvalidArgument()) << unknown.status().ToString();
  });
}

// count_uniq over dictionary-encoded columns (each value hashed once a segment, each (group,
// value) pair added once) against brute force: large dictionaries, many groups (by host: past
// the seen-bits cap, where groups add every row's hash), a filter, over a segment plus buffered
// events and over two segments.
TEST(QueryStatsTest, CountUniqMatchesBruteForceOverLargeDictionaries) {
  TempDir dir("qsem-uniq");
  StoreOptions options = Options();
  options.segment.block_rows = 8192;
  auto store = Store::Open(options, dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::mt19937_64 rng(20261125);
  std::vector<Event> all;
  for (int part = 0; part < 2; ++part) {
    std::vector<Event> events;
    for (int i = 0; i < 24000; ++i) {
      const uint64_t u = rng() % 5000, skewed = u * u / 5000;  // many rows share few users
      Ev ev = Ev("m " + std::to_string(i % 7))
                  .Time(kNow - kHour / 2 + part * kMinute + i)
                  .Service("svc-" + std::to_string(rng() % 6))
                  .Host("host-" + std::to_string(rng() % 1500))
                  .Attr("user.id", "user-" + std::to_string(skewed))
                  .Attr("client.ip", "10.0." + std::to_string(rng() % 16) + "." +
                                         std::to_string(rng() % 250));
      // A field on a third of the events, and one that is text on some and a number on
      // others (two columns of one name: the rows are read).
      if (i % 3 == 0) ev.Attr("plan", "plan-" + std::to_string(rng() % 40));
      const int64_t code = static_cast<int64_t>(rng() % 300);
      if (i % 2 == 0) {
        ev.Attr("code", "c" + std::to_string(code % 100));
      } else {
        ev.Attr("code", code);
      }
      events.push_back(ev.e);
    }
    all.insert(all.end(), events.begin(), events.end());
    auto r = (*store)->Append(std::move(events));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (part == 0) {
      ASSERT_TRUE((*store)->Flush().ok());
    }
  }
  auto attr = [](const Event& e, std::string_view key) -> std::optional<std::string> {
    for (const Attribute& a : e.attributes) {
      if (a.key != key) continue;
      if (const auto* n = std::get_if<int64_t>(&a.value)) return std::to_string(*n);
      return std::get<std::string>(a.value);
    }
    return std::nullopt;
  };
  // Brute force: distinct values per group key.
  auto brute = [&](const std::function<std::string(const Event&)>& key,
                   const std::function<bool(const Event&)>& keep, std::string_view field) {
    std::map<std::string, std::set<std::string>> out;
    for (const Event& e : all) {
      if (!keep(e)) continue;
      auto& values = out[key(e)];
      if (auto v = attr(e, field)) values.insert(*v);
    }
    return out;
  };
  auto any = [](const Event&) { return true; };
  struct Case {
    std::string query;
    std::map<std::string, std::set<std::string>> want;
  };
  const std::vector<Case> cases = {
      {"* | stats count_uniq(user.id)", brute([](const Event&) { return ""; }, any, "user.id")},
      {"* | stats by (service) count_uniq(user.id)",
       brute([](const Event& e) { return e.service; }, any, "user.id")},
      {"* | stats by (host) count_uniq(client.ip)",
       brute([](const Event& e) { return e.host; }, any, "client.ip")},
      {"service:svc-3 | stats by (host) count_uniq(user.id)",
       brute([](const Event& e) { return e.host; },
             [](const Event& e) { return e.service == "svc-3"; }, "user.id")},
      // No keys: a whole segment is counted from its dictionary, a filtered one from rows.
      {"* | stats count_uniq(client.ip)", brute([](const Event&) { return ""; }, any, "client.ip")},
      {"* | stats count_uniq(plan)", brute([](const Event&) { return ""; }, any, "plan")},
      {"* | stats count_uniq(code)", brute([](const Event&) { return ""; }, any, "code")},
      {"service:svc-3 | stats count_uniq(user.id)",
       brute([](const Event&) { return ""; },
             [](const Event& e) { return e.service == "svc-3"; }, "user.id")},
  };
  auto check = [&](const Snapshot& snap, const char* state) {
    QueryEngine engine;
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(state) + ": " + c.query);
      auto query = ParseQuery(c.query, kNow);
      ASSERT_TRUE(query.ok()) << query.status().ToString();
      auto got = engine.Run(snap, *query);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_EQ(got->table.rows.size(), c.want.size());
      for (const auto& row : got->table.rows) {
        const std::string key = row.size() == 2 ? std::get<std::string>(row[0]) : "";
        auto it = c.want.find(key);
        ASSERT_NE(it, c.want.end()) << key;
        EXPECT_EQ(std::get<int64_t>(row.back()), static_cast<int64_t>(it->second.size())) << key;
      }
    }
  };
  // Several aggregates at once, count() among them.
  auto check_together = [&](const Snapshot& snap, const char* state) {
    SCOPED_TRACE(state);
    auto query = ParseQuery("* | stats count() n, count_uniq(plan) p, count_uniq(user.id) u", kNow);
    ASSERT_TRUE(query.ok()) << query.status().ToString();
    auto got = QueryEngine().Run(snap, *query);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->table.rows.size(), 1u);
    const auto& row = got->table.rows[0];
    ASSERT_EQ(row.size(), 3u);
    auto one = [&](std::string_view field) {
      return static_cast<int64_t>(brute([](const Event&) { return ""; }, any, field)[""].size());
    };
    EXPECT_EQ(std::get<int64_t>(row[0]), static_cast<int64_t>(all.size()));
    EXPECT_EQ(std::get<int64_t>(row[1]), one("plan"));
    EXPECT_EQ(std::get<int64_t>(row[2]), one("user.id"));
  };
  check(*(*store)->GetSnapshot(), "one segment and buffered events");
  check_together(*(*store)->GetSnapshot(), "one segment and buffered events");
  ASSERT_TRUE((*store)->Flush().ok());
  auto snap = (*store)->GetSnapshot();
  ASSERT_EQ(snap->segments().size(), 2u);
  for (const auto& seg : snap->segments()) {
    for (const char* field : {"user.id", "client.ip"}) {
      const ColumnMeta* c = seg->FindColumn(field, ValueType::kString);
      ASSERT_NE(c, nullptr) << field;
      EXPECT_EQ(c->encoding, format::kEncodingStringDict) << field << " should be a dictionary";
    }
    // Verify holds every dictionary value to be some row's.
    EXPECT_TRUE(seg->Verify().ok());
  }
  check(*snap, "flushed");
  check_together(*snap, "flushed");
}

// Segments whose term filter lacks a term every match needs are skipped before planning;
// negations, prefixes and ORs with a possible branch are not, and answers stay exact.
TEST(QueryPlanTest, TermFiltersSkipSegmentsWithoutTheTerm) {
  TempDir dir("qsem-filter");
  auto store = Store::Open(Options(), dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  constexpr int kSegments = 8, kPerSegment = 300;
  for (int seg = 0; seg < kSegments; ++seg) {
    std::vector<Event> events;
    for (int i = 0; i < kPerSegment; ++i) {
      std::string msg = "common word " + std::to_string(seg * kPerSegment + i);
      if (i == 7) msg += " needle" + std::to_string(seg);
      events.push_back(Ev(msg).Time(kNow - kHour / 2 + seg * kMinute + i).Service("svc").e);
    }
    ASSERT_TRUE((*store)->Append(std::move(events)).ok());
    ASSERT_TRUE((*store)->Flush().ok());
  }
  auto snap = (*store)->GetSnapshot();
  ASSERT_EQ(snap->segments().size(), static_cast<size_t>(kSegments));
  for (const auto& seg : snap->segments()) ASSERT_TRUE(seg->has_term_filter());
  QueryEngine engine;
  struct Case {
    std::string query;
    int64_t count;
    uint64_t searched;     // segments planned and searched
    bool filter_prunes;  // whether the term filters can skip segments at all
  };
  const std::vector<Case> cases = {
      {"needle3", 1, 1, true},
      {"needle3 common", 1, 1, true},
      {"\"word 907 needle3\"", 1, 1, true},
      {"service:svc needle5", 1, 1, true},
      {"needle3 OR needle5", 2, 2, true},
      {"needle3 OR common", kSegments * kPerSegment, kSegments, true},
      {"nosuchterm", 0, 0, true},
      {"-needle3", kSegments * kPerSegment - 1, kSegments, false},
      {"needl*", kSegments, kSegments, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.query);
    auto query = ParseQuery(c.query + " | stats count()", kNow);
    ASSERT_TRUE(query.ok()) << query.status().ToString();
    auto got = engine.Run(*snap, *query);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->table.rows.size(), 1u);
    EXPECT_EQ(std::get<int64_t>(got->table.rows[0].back()), c.count);
    const ExplainStats& x = got->explain;
    EXPECT_EQ(x.segments_searched, c.searched);
    EXPECT_EQ(x.segments_pruned_filter + x.segments_pruned_index + x.segments_searched,
              static_cast<uint64_t>(kSegments));
    if (c.filter_prunes) {
      // A false positive (~1/256 a segment) leaves a segment to the term index instead.
      EXPECT_GE(x.segments_pruned_filter + 1, kSegments - c.searched);
    } else {
      EXPECT_EQ(x.segments_pruned_filter, 0u);
    }
  }
}

// A stats query that would build more groups than QueryOptions::max_groups fails with
// ResourceExhausted whichever path builds them (one key with counts, other aggregates, two
// keys), over buffered events and over a segment; at the limit it answers.
TEST(QueryStatsTest, MoreGroupsThanTheLimitIsResourceExhausted) {
  TempDir dir("qsem-groups");
  auto store = Store::Open(Options(), dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<Event> events;
  for (int i = 0; i < 400; ++i) {
    events.push_back(Ev("m")
                         .Time(kNow - kHour / 2 + i)
                         .Service("svc-" + std::to_string(i % 4))
                         .Host("host-" + std::to_string(i % 100))
                         .Attr("user.id", "user-" + std::to_string(i % 7))
                         .e);
  }
  ASSERT_TRUE((*store)->Append(std::move(events)).ok());
  QueryEngine engine;
  QueryOptions options;
  options.max_groups = 50;
  auto run = [&](const Snapshot& snap, std::string_view text) -> Result<QueryResult> {
    auto query = ParseQuery(text, kNow);
    if (!query.ok()) return query.status();
    return engine.Run(snap, *query, options);
  };
  for (const char* state : {"buffered", "flushed"}) {
    SCOPED_TRACE(state);
    if (std::string_view(state) == "flushed") {
      ASSERT_TRUE((*store)->Flush().ok());
    }
    auto snap = (*store)->GetSnapshot();
    for (const char* text : {"* | stats by (host) count()",
                             "* | stats by (host) count(), count_uniq(user.id)",
                             "* | stats by (host, service) count()"}) {
      auto got = run(*snap, text);
      ASSERT_FALSE(got.ok()) << text << " built 100 groups past a limit of 50";
      EXPECT_TRUE(got.status().IsResourceExhausted()) << text << ": " << got.status().ToString();
    }
    options.max_groups = 100;
    auto at_limit = run(*snap, "* | stats by (host) count()");
    options.max_groups = 50;
    ASSERT_TRUE(at_limit.ok()) << at_limit.status().ToString();
    EXPECT_EQ(at_limit->table.rows.size(), 100u);
  }
}

// `stats by (key) count()` over a dictionary-encoded key tallies rows by dictionary id
// (StatsAccumulator's fast path). Its groups must equal a count made event by event: over
// every row and over a filter's rows, with rows that lack the key (the empty key), a segment
// where no row has it, a segment where it has two types, and buffered events besides.
TEST(QueryStatsTest, CountByADictionaryKeyMatchesACountOfTheEvents) {
  TempDir dir("qsem-dict-count");
  auto store = Store::Open(Options(), dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<Event> all;
  auto add = [&](int from, int to, bool with_route, bool int_routes = false) {
    std::vector<Event> events;
    for (int i = from; i < to; ++i) {
      Ev ev("m" + std::to_string(i % 3));
      ev.Time(kNow - kHour / 2 + i).Service("svc-" + std::to_string(i % 5));
      if (i % 7 == 0) ev.Lvl(Level::kError);
      if (with_route && i % 4 != 0) ev.Attr("http.route", "/r/" + std::to_string(i % 9));
      if (int_routes && i % 50 == 0) ev.Attr("http.route", int64_t{i});  // another type
      events.push_back(ev.e);
      all.push_back(ev.e);
    }
    return (*store)->Append(std::move(events));
  };
  ASSERT_TRUE(add(0, 9000, true).ok());  // two column blocks
  ASSERT_TRUE((*store)->Flush().ok());
  ASSERT_TRUE(add(9000, 9500, false).ok());
  ASSERT_TRUE((*store)->Flush().ok());
  ASSERT_TRUE(add(9500, 9800, true, true).ok());  // two key columns: the general path
  ASSERT_TRUE((*store)->Flush().ok());
  ASSERT_TRUE(add(9800, 9900, true).ok());  // buffered
  // The key column is dictionary-encoded in the first segment, so the fast path is taken.
  auto snap = (*store)->GetSnapshot();
  ASSERT_EQ(snap->segments().size(), 3u);
  const ColumnMeta* route = snap->segments()[0]->FindColumn("http.route", ValueType::kString);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->encoding, format::kEncodingStringDict);
  struct Case {
    const char* text;
    std::string field;
    bool errors_only;
  };
  QueryEngine engine;
  for (const Case& c : {Case{"* | stats by (http.route) count()", "http.route", false},
                        Case{"level:error | stats by (http.route) count()", "http.route", true},
                        Case{"m1 | stats by (service) count()", "service", false}}) {
    SCOPED_TRACE(c.text);
    std::map<std::string, int64_t> want;  // "" for rows without the key
    for (const Event& e : all) {
      if (c.errors_only && e.level != Level::kError) continue;
      if (c.field == "service" && e.message != "m1") continue;
      std::string key = c.field == "service" ? e.service : "";
      for (const auto& [k, v] : e.attributes) {
        if (k != c.field) continue;
        key = std::holds_alternative<std::string>(v) ? std::get<std::string>(v)
                                                     : std::to_string(std::get<int64_t>(v));
      }
      ++want[key];
    }
    auto query = ParseQuery(c.text, kNow);
    ASSERT_TRUE(query.ok()) << query.status().ToString();
    auto got = engine.Run(*snap, *query);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    std::map<std::string, int64_t> have;
    for (const auto& row : got->table.rows) {
      ASSERT_EQ(row.size(), 2u);
      std::string key;
      if (const auto* text = std::get_if<std::string>(&row[0])) key = *text;
      if (const auto* number = std::get_if<int64_t>(&row[0])) key = std::to_string(*number);
      have[key] += std::get<int64_t>(row[1]);
    }
    EXPECT_EQ(have, want);
    EXPECT_GT(want.size(), 3u);
  }
}

// `stats by (_time:STEP) count()` counts each bucket's rows of a block as one run (rows are
// in time order). Its buckets must equal a count made event by event: for steps that cut
// blocks in many places and not at all, over every row and over a filter's rows, with events
// from the epoch on (time 0 starts a bucket), duplicate times, buckets that span blocks and
// segments, overlapping segments, and buffered events besides.
TEST(QueryStatsTest, CountByTimeBucketsMatchesACountOfTheEvents) {
  TempDir dir("qsem-time-count");
  auto store = Store::Open(Options(), dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<Event> all;
  std::mt19937_64 rng(7);
  auto add = [&](int n, int64_t from, int64_t span) {
    std::vector<Event> events;
    for (int i = 0; i < n; ++i) {
      Ev ev(i % 3 == 0 ? "hit" : "miss");
      int64_t t = from + static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
      if (i % 7 == 0) t -= t % kMinute;  // on bucket edges (a bucket's first instant)
      if (i % 11 == 0) t -= t % kSecond;
      ev.Time(i % 10 == 0 && !events.empty() ? events.back().time_ns : t);
      events.push_back(ev.e);
      all.push_back(ev.e);
    }
    auto appended = (*store)->Append(std::move(events));
    return appended.ok() && appended->rejected.empty();  // every event counts in `all`
  };
  ASSERT_TRUE(add(20000, kNow - kHour, kHour));  // three column blocks
  ASSERT_TRUE((*store)->Flush().ok());
  ASSERT_TRUE(add(3000, kNow - kHour / 2, kHour / 4));  // overlaps the first segment
  ASSERT_TRUE((*store)->Flush().ok());
  ASSERT_TRUE(add(500, 0, 5 * kMinute));  // from 1970-01-01T00:00:00Z (time 0 on)
  ASSERT_TRUE((*store)->Flush().ok());
  ASSERT_TRUE(add(300, kNow - kHour, kHour));  // buffered
  auto snap = (*store)->GetSnapshot();
  ASSERT_GE(snap->segments().size(), 2u);
  QueryEngine engine;
  QueryOptions options;
  for (const char* step : {"1s", "1m", "10m", "1d"}) {
    for (bool hits_only : {false, true}) {
      const std::string text = std::string(hits_only ? "hit" : "*") + " | stats by (_time:" +
                               step + ") count()";
      SCOPED_TRACE(text);
      const int64_t width = std::string_view(step) == "1s"    ? kSecond
                            : std::string_view(step) == "1m"  ? kMinute
                            : std::string_view(step) == "10m" ? 10 * kMinute
                                                              : 24 * kHour;
      std::map<int64_t, int64_t> want;
      for (const Event& e : all) {
        if (hits_only && e.message != "hit") continue;
        int64_t r = e.time_ns % width;
        if (r < 0) r += width;
        ++want[e.time_ns - r];
      }
      auto query = ParseQuery(text, kNow);
      ASSERT_TRUE(query.ok()) << query.status().ToString();
      auto got = engine.Run(*snap, *query, options);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      std::map<int64_t, int64_t> have;
      for (const auto& row : got->table.rows) {
        ASSERT_EQ(row.size(), 2u);
        ASSERT_TRUE(std::holds_alternative<TimeValue>(row[0]));
        have[std::get<TimeValue>(row[0]).ns] += std::get<int64_t>(row[1]);
      }
      EXPECT_EQ(have, want);
      EXPECT_GT(want.size(), 1u);
    }
  }
}

}  // namespace
}  // namespace trove::query
