// The query language (query/parser.h, query/README.md): every construct through ToString() of
// the parsed filter and a compact rendering of the pipes, every error with its exact position,
// and the duration and timestamp parsers.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "query/ast.h"
#include "query/parser.h"

namespace trove::query {
namespace {

// 2026-01-01T12:00:00Z: anchors relative times, so `_time:5m` renders deterministically.
constexpr int64_t kNow = 1'767'268'800'000'000'000;
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Pipes in one line: "| fields a b | sort a b:desc | stats by(_time/60s service)
// count()=errors quantile(latency_ms,q=0.99)=p99 | top 10 by(route) | limit 5".
std::string Render(const std::vector<Pipe>& pipes) {
  static const char* kFn[] = {"count", "count_uniq", "sum",    "avg",
                              "min",   "max",        "median", "quantile"};
  auto keys = [](const std::vector<GroupKey>& by) {
    std::string s = "by(";
    for (size_t i = 0; i < by.size(); ++i) {
      if (i > 0) s += ' ';
      s += by[i].field;
      if (by[i].bucket_ns != 0) s += "/" + std::to_string(by[i].bucket_ns / kSecond) + "s";
      if (by[i].name != by[i].field) s += "=" + by[i].name;
    }
    return s + ")";
  };
  std::string out;
  for (const Pipe& p : pipes) {
    out += out.empty() ? "| " : " | ";
    switch (p.kind) {
      case Pipe::Kind::kFields:
        out += "fields";
        for (const std::string& f : p.fields) out += " " + f;
        break;
      case Pipe::Kind::kLimit:
        out += "limit " + std::to_string(p.limit);
        break;
      case Pipe::Kind::kSortBy:
        out += "sort";
        for (const SortKey& k : p.sort) out += " " + k.field + (k.desc ? ":desc" : "");
        break;
      case Pipe::Kind::kStats:
        out += "stats";
        if (!p.by.empty()) out += " " + keys(p.by);
        for (const Aggregate& a : p.aggregates) {
          out += " ";
          out += kFn[static_cast<int>(a.fn)];
          out += "(" + a.field;
          if (a.fn == Aggregate::Fn::kQuantile || a.fn == Aggregate::Fn::kMedian) {
            char q[32];
            snprintf(q, sizeof q, ",q=%g", a.q);
            out += q;
          }
          out += ")=" + a.name;
        }
        break;
      case Pipe::Kind::kTop:
        out += "top " + std::to_string(p.limit) + " " + keys(p.by);
        break;
    }
  }
  return out;
}

TEST(QueryParser, Filters) {
  auto check = [](std::string_view q, std::string_view want) {
    Result<Query> r = ParseQuery(q, kNow);
    ASSERT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    EXPECT_EQ(ToString(r->filter), want) << q;
    EXPECT_TRUE(r->pipes.empty()) << q;
  };
  // Words and phrases.
  check("error", R"(_msg:"error")");
  check("  error  ", R"(_msg:"error")");
  check(R"("foo bar-baz")", R"(_msg:"foo bar-baz")");
  check("'single quoted'", R"(_msg:"single quoted")");
  check(R"("say \"hi\" \\ ok")", R"(_msg:"say \"hi\" \\ ok")");
  check(R"('it\'s')", R"(_msg:"it's")");
  check(R"("keep \d and \n")", R"(_msg:"keep \\d and \\n")");
  check("blk_-8775602795571523802", R"(_msg:"blk_-8775602795571523802")");
  check("10.0.0.1", R"(_msg:"10.0.0.1")");
  check("a,b=c/d", R"(_msg:"a,b=c/d")");
  check("don't", R"(_msg:"don't")");
  check(R"(ab"cd")", R"(AND(_msg:"ab", _msg:"cd"))");  // a word ends at a quote
  check("and or not", R"(AND(_msg:"and", _msg:"or", _msg:"not"))");
  // Fields.
  check("service:api", R"(service:"api")");
  check(R"(service:"check out")", R"(service:"check out")");
  check("service:'check out'", R"(service:"check out")");
  check(R"(user.id:u-42 @host:x)", R"(AND(user.id:"u-42", @host:"x"))");
  check("url:http://x/y?a=b", R"(url:"http://x/y?a=b")");
  check("http://x", R"(http:"//x")");  // documented: quote such words
  check(R"(trace_id:="4bf92f3577b34da6a3ce929d0e0e4736")",
        R"(trace_id:="4bf92f3577b34da6a3ce929d0e0e4736")");
  check("service:=api", R"(service:="api")");
  check(R"(service:="")", R"(service:="")");
  // Prefix, exists, all.
  check("foo*", R"(_msg:"foo"*)");
  check("blk_-87*", R"(_msg:"blk_-87"*)");
  check("service:chk*", R"(service:"chk"*)");
  check(R"("foo*")", R"(_msg:"foo*")");
  check(R"(service:"chk*")", R"(service:"chk*")");
  check("*", "*");
  check("user.id:*", "user.id:*");
  // Regexes keep backslashes other than \" and \\.
  check(R"(~"\d+ms")", R"(_msg:~"\\d+ms")");
  check(R"(service:~"^api-(a|b)$")", R"(service:~"^api-(a|b)$")");
  check(R"(~'a\'b')", R"(_msg:~"a'b")");
  // Numeric ranges.
  check("http.status:>=500", "http.status:>=500");
  check("http.status:>500", "http.status:>500");
  check("latency:<5", "latency:<5");
  check("latency:<=5.5", "latency:<=5.5");
  check("x:>=-3", "x:>=-3");
  check("x:>1e3", "x:>1000");
  check("x:>-2.5E-1", "x:>-0.25");
  check("latency:[1 TO 5]", "latency:[1, 5]");
  check("latency:{1 TO 5}", "latency:(1, 5)");
  check("latency:[1, 5)", "latency:[1, 5)");
  check("latency:(1,5]", "latency:(1, 5]");
  check("latency:{1, 5]", "latency:(1, 5]");
  check("latency:[ -1.5e3 ,  2.25 ]", "latency:[-1500, 2.25]");
  check("latency:[5 TO *]", "latency:>=5");
  check("latency:[* TO 5)", "latency:<5");
  check("latency:[* TO *]", "latency:[-inf, inf]");
  check(R"(latency:["1", "2"])", "latency:[1, 2]");
  // Levels: words become level names; comparisons use the enum numbers.
  check("level:warning", R"(level:"WARN")");
  check("level:WARN", R"(level:"WARN")");
  check("level:e", R"(level:"ERROR")");
  check("level:unknown", R"(level:"UNKNOWN")");
  check(R"(level:"critical")", R"(level:"FATAL")");
  check("level:loud", R"(level:"loud")");
  check(R"(level:="warning")", R"(level:="WARN")");
  check("level:=Unknown", R"(level:="UNKNOWN")");
  check(R"(level:="nope")", R"(level:="nope")");
  check("level:>=warn", "level:>=4");
  check("level:>=4", "level:>=4");
  check("level:<err", "level:<5");
  check("level:[info TO error]", "level:[3, 5]");
  check("level:>unknown", "level:>0");
  // Time: everything becomes half-open [from, to).
  check("_time:5m", "_time:[2026-01-01T11:55:00Z, inf)");
  check("_time:1h30m", "_time:[2026-01-01T10:30:00Z, inf)");
  check(R"(_time:"1d")", "_time:[2025-12-31T12:00:00Z, inf)");
  check("_time:[2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z)",
        "_time:[2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z)");
  check("_time:[2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z]",
        "_time:[2026-01-01T00:00:00Z, 2026-01-02T00:00:00.000000001Z)");
  check("_time:(2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z]",
        "_time:[2026-01-01T00:00:00.000000001Z, 2026-01-02T00:00:00.000000001Z)");
  check("_time:(2026-01-01,2026-01-02)",
        "_time:[2026-01-01T00:00:00.000000001Z, 2026-01-02T00:00:00Z)");
  check(R"(_time:["2026-01-01 10:00:00", now))",
        "_time:[2026-01-01T10:00:00Z, 2026-01-01T12:00:00Z)");
  check("_time:[2026-01-01 10:00:00, now-1h)",
        "_time:[2026-01-01T10:00:00Z, 2026-01-01T11:00:00Z)");
  check("_time:[2026-01-01T02:00:00+02:00 TO *]", "_time:[2026-01-01T00:00:00Z, inf)");
  check("_time:[* TO now+30m]", "_time:[-inf, 2026-01-01T12:30:00.000000001Z)");
  check("_time:>=2026-01-01", "_time:[2026-01-01T00:00:00Z, inf)");
  check("_time:>2026-01-01T00:00:00.5Z", "_time:[2026-01-01T00:00:00.500000001Z, inf)");
  check("_time:<now", "_time:[-inf, 2026-01-01T12:00:00Z)");
  check("_time:<=2026-01-01 10:00", "_time:[-inf, 2026-01-01T10:00:00.000000001Z)");
  check("_time:<'2026-01-01T10:00:00-01:00'", "_time:[-inf, 2026-01-01T11:00:00Z)");
  // Boolean structure: precedence NOT > AND > OR, flattening, collapsing.
  check("a b", R"(AND(_msg:"a", _msg:"b"))");
  check("a AND b", R"(AND(_msg:"a", _msg:"b"))");
  check("a OR b", R"(OR(_msg:"a", _msg:"b"))");
  check("a OR b c", R"(OR(_msg:"a", AND(_msg:"b", _msg:"c")))");
  check("a b OR c", R"(OR(AND(_msg:"a", _msg:"b"), _msg:"c"))");
  check("NOT a b", R"(AND(NOT(_msg:"a"), _msg:"b"))");
  check("a AND NOT b OR c", R"(OR(AND(_msg:"a", NOT(_msg:"b")), _msg:"c"))");
  check("NOT (a OR b)", R"(NOT(OR(_msg:"a", _msg:"b")))");
  check("NOT NOT a", R"(NOT(NOT(_msg:"a")))");
  check("-a", R"(NOT(_msg:"a"))");
  check("a -b", R"(AND(_msg:"a", NOT(_msg:"b")))");
  check("-(a OR b)", R"(NOT(OR(_msg:"a", _msg:"b")))");
  check("-service:x", R"(NOT(service:"x"))");
  check(R"(-"a b")", R"(NOT(_msg:"a b"))");
  check("--a", R"(NOT(NOT(_msg:"a")))");
  check("(a b) (c AND d)", R"(AND(_msg:"a", _msg:"b", _msg:"c", _msg:"d"))");
  check("a OR (b OR c) OR d", R"(OR(_msg:"a", _msg:"b", _msg:"c", _msg:"d"))");
  check("(a OR b) c", R"(AND(OR(_msg:"a", _msg:"b"), _msg:"c"))");
  check("((a))", R"(_msg:"a")");
  check("(a)(b)", R"(AND(_msg:"a", _msg:"b"))");
  check("* foo", R"(_msg:"foo")");  // `*` is the identity of AND...
  check("foo OR *", "*");           // ...and absorbs OR
  check("NOT *", "NOT(*)");
  check("NOT:x", R"(NOT:"x")");  // a field named NOT, not the keyword
  // The examples of DESIGN.md §3 and the AST comment.
  check(R"(service:checkout level:error "payment declined" _time:1h)",
        R"(AND(service:"checkout", level:"ERROR", _msg:"payment declined", )"
        R"(_time:[2026-01-01T11:00:00Z, inf)))");
  check(R"(error service:="api" -level:>=warn)",
        R"(AND(_msg:"error", service:="api", NOT(level:>=4)))");
}

TEST(QueryParser, Pipes) {
  auto check = [](std::string_view q, std::string_view want_filter, std::string_view want) {
    Result<Query> r = ParseQuery(q, kNow);
    ASSERT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    EXPECT_EQ(ToString(r->filter), want_filter) << q;
    EXPECT_EQ(Render(r->pipes), want) << q;
  };
  check("* | fields a, b,c", "*", "| fields a b c");
  check(R"(* | fields _time, "odd name")", "*", "| fields _time odd name");
  check("* | limit 20", "*", "| limit 20");
  check("* | head 5", "*", "| limit 5");
  check("* | limit 0", "*", "| limit 0");
  check("* | limit 18446744073709551615", "*", "| limit 18446744073709551615");
  check("* | sort by (a, b desc, c asc)", "*", "| sort a b:desc c");
  check("* | sort by a desc", "*", "| sort a:desc");
  check("* | sort by a, b", "*", "| sort a b");
  check("* | sort by (a, b desc) desc", "*", "| sort a:desc b");
  check("* | sort by (desc)", "*", "| sort desc");
  check("* | stats count() | sort by (count() desc)", "*",
        "| stats count()=count() | sort count():desc");
  check("* | stats quantile(0.5,x) | sort by quantile( 0.5 , x )", "*",
        "| stats quantile(x,q=0.5)=quantile(0.5, x) | sort quantile(0.5, x)");
  check("* | stats count()", "*", "| stats count()=count()");
  check("level:error | stats by (service) count() errors | sort by (errors desc)",
        R"(level:"ERROR")", "| stats by(service) count()=errors | sort errors:desc");
  check("_time:1d | stats by (_time:1m, service) count()", "_time:[2025-12-31T12:00:00Z, inf)",
        "| stats by(_time/60s service) count()=count()");
  check(
      "service:api | stats quantile(0.99, latency_ms) p99, avg(latency_ms), "
      "count_uniq(user.id) users",
      R"(service:"api")",
      "| stats quantile(latency_ms,q=0.99)=p99 avg(latency_ms)=avg(latency_ms) "
      "count_uniq(user.id)=users");
  check("* | stats count() as n, sum(x) as 'total x'", "*", "| stats count()=n sum(x)=total x");
  check("* | stats count() by (service, host)", "*", "| stats by(service host) count()=count()");
  check("* | stats count() n by service", "*", "| stats by(service) count()=n");
  check("* | stats by service, host count()", "*", "| stats by(service host) count()=count()");
  check("* | stats sum(x), min(x), max(x), median(x), quantile(1, x), quantile(0, x)", "*",
        "| stats sum(x)=sum(x) min(x)=min(x) max(x)=max(x) median(x,q=0.5)=median(x) "
        "quantile(x,q=1)=quantile(1, x) quantile(x,q=0)=quantile(0, x)");
  check("* | stats by (_time:1h) avg(_time)", "*", "| stats by(_time/3600s) avg(_time)=avg(_time)");
  check("http.status:>=500 | top 10 by (http.route)", "http.status:>=500",
        "| top 10 by(http.route)");
  check("* | top by (a, b)", "*", "| top 10 by(a b)");
  check("* | top 3 by a", "*", "| top 3 by(a)");
  check("level:error | fields _time, service, _msg | limit 20", R"(level:"ERROR")",
        "| fields _time service _msg | limit 20");
  check("a|limit 1|limit 2", R"(_msg:"a")", "| limit 1 | limit 2");
  // After the first '|' the words follow pipe rules: AND is just a name there.
  check("* | fields AND, OR", "*", "| fields AND OR");
}

TEST(QueryParser, Errors) {
  auto check = [](std::string_view q, std::string_view want) {
    Result<Query> r = ParseQuery(q, kNow);
    ASSERT_FALSE(r.ok()) << q << " parsed as " << ToString(r->filter);
    EXPECT_TRUE(r.status().IsInvalidArgument()) << q;
    EXPECT_EQ(r.status().message(), want) << q;
  };
  // Empty and structural.
  check("", "position 1: expected a filter, found 'end of query'");
  check("   ", "position 4: expected a filter, found 'end of query'");
  check("| stats count()", "position 1: expected a filter, found '|'");
  check("(a b", "position 5: expected ')' to close '(' at position 1, found 'end of query'");
  check("((a) b", "position 7: expected ')' to close '(' at position 1, found 'end of query'");
  check("a b)", "position 4: expected '|' or end of query, found ')' with no matching '('");
  check("()", "position 2: expected a filter after '(' at position 1, found ')'");
  check("(a | b)", "position 4: expected ')' to close '(' at position 1, found '|'");
  check("a AND", "position 6: expected a term after 'AND' at position 3, found 'end of query'");
  check("a AND OR b", "position 7: expected a term after 'AND' at position 3, found 'OR'");
  check("a OR", "position 5: expected a term after 'OR' at position 3, found 'end of query'");
  check("a OR ) b", "position 6: expected a term after 'OR' at position 3, found ')'");
  check("OR a", "position 1: expected a filter, found 'OR'");
  check("NOT", "position 4: expected a term after 'NOT' at position 1, found 'end of query'");
  check("a NOT | limit 1", "position 7: expected a term after 'NOT' at position 3, found '|'");
  check("a - b", "position 4: expected a term right after '-', found ' '");
  check("a -", "position 4: expected a term right after '-', found 'end of query'");
  check(std::string(300, '(') + "a" + std::string(300, ')'),
        "position 257: expected at most 256 nested terms, found deeper nesting");
  // Quotes, values, regexes.
  check(R"(foo "bar)",
        "position 9: expected a closing \" for the quote at position 5, "
        "found 'end of query'");
  check("service:'api",
        "position 13: expected a closing ' for the quote at position 9, "
        "found 'end of query'");
  check(R"(a | fields "x)",
        "position 14: expected a closing \" for the quote at position 12, "
        "found 'end of query'");
  check(R"("")", R"(position 1: expected a non-empty phrase, found '""')");
  check(R"(service:"")", R"(position 9: expected a non-empty phrase, found '""')");
  check("service: api", "position 9: expected a value after 'service:', found ' '");
  check("service:", "position 9: expected a value after 'service:', found 'end of query'");
  check("(service:)", "position 10: expected a value after 'service:', found ')'");
  check("service:= x", "position 10: expected a value after 'service:=', found ' '");
  check("~foo", "position 2: expected a quoted regular expression after '~', found 'foo'");
  check("x:~foo", "position 4: expected a quoted regular expression after 'x:~', found 'foo'");
  check(R"(~"")", R"(position 1: expected a non-empty regular expression, found '~""')");
  check(R"(x:~"")", R"(position 4: expected a non-empty regular expression, found '""')");
  // Numbers and ranges.
  check("http.status:>=abc", "position 15: expected a number, found 'abc'");
  check("x:>", "position 4: expected a value after 'x:>', found 'end of query'");
  check("x:>=1.2.3", "position 5: expected a number, found '1.2.3'");
  check("x:>inf", "position 4: expected a number, found 'inf'");
  check("x:>1e999", "position 4: expected a number, found '1e999'");
  check("latency:[1 TO abc]", "position 15: expected a number, found 'abc'");
  check("latency:[1 5]", "position 12: expected ',' or 'TO' between the range bounds, found '5'");
  check("latency:[1, 5",
        "position 14: expected ']' or ')' to close the range at position 9, "
        "found 'end of query'");
  check("latency:[, 5]", "position 10: expected a range bound, found ','");
  check("level:>=loud",
        "position 9: expected a level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, "
        "UNKNOWN) or a number, found 'loud'");
  // _time misuse.
  check("_time:foo", "position 7: expected a duration (5m, 1h30m) or a time range, found 'foo'");
  check("_time:5x", "position 7: expected a duration (5m, 1h30m) or a time range, found '5x'");
  check("_time:-5m", "position 7: expected a duration (5m, 1h30m) or a time range, found '-5m'");
  check(R"(_time:~"x")", R"(position 7: _time takes a duration or a time range, found '~"x"')");
  check("_time:=5m", "position 7: _time takes a duration or a time range, found '=5m'");
  check("_time:*", "position 7: _time takes a duration or a time range, found '*'");
  check("_time:[2026-13-01T00:00:00Z, now)",
        "position 8: expected a timestamp (RFC 3339), 'now' or 'now-DURATION', "
        "found '2026-13-01T00:00:00Z'");
  check("_time:>=yesterday",
        "position 9: expected a timestamp (RFC 3339), 'now' or "
        "'now-DURATION', found 'yesterday'");
  check("_time:[now-1x, now)",
        "position 8: expected a timestamp (RFC 3339), 'now' or "
        "'now-DURATION', found 'now-1x'");
  // Pipes.
  check("a |",
        "position 4: expected a pipe (fields, limit, head, sort, stats, top), "
        "found 'end of query'");
  check("a | | limit 1",
        "position 5: expected a pipe (fields, limit, head, sort, stats, top), "
        "found '|'");
  check("a | grep x",
        "position 5: expected a pipe (fields, limit, head, sort, stats, top), "
        "found 'grep'");
  check("a | limit -1", "position 11: expected a non-negative integer, found '-1'");
  check("a | limit 1.5", "position 11: expected a non-negative integer, found '1.5'");
  check("a | limit", "position 10: expected a non-negative integer, found 'end of query'");
  check("a | limit 99999999999999999999",
        "position 11: expected a non-negative integer, found '99999999999999999999'");
  check("a | limit 5 6", "position 13: expected '|' or end of query, found '6'");
  check("a | fields", "position 11: expected a field name, found 'end of query'");
  check("a | fields a b", "position 14: expected ',', '|' or end of query, found 'b'");
  check("a | fields a,", "position 14: expected a field name, found 'end of query'");
  check("a | sort (x)", "position 10: expected 'by' after 'sort', found '('");
  check("a | sort by (x",
        "position 15: expected ',' or ')' to close '(' at position 13, "
        "found 'end of query'");
  check("a | sort by ()", "position 14: expected a field name, found ')'");
  check("a | stats",
        "position 10: expected an aggregate function (count, count_uniq, sum, avg, "
        "min, max, median, quantile), found 'end of query'");
  check("a | stats cnt()",
        "position 11: expected an aggregate function (count, count_uniq, sum, "
        "avg, min, max, median, quantile), found 'cnt'");
  check("a | stats count", "position 16: expected '(' after 'count', found 'end of query'");
  check("a | stats count(x)", "position 17: expected ')' to close '(' at position 16, found 'x'");
  check("a | stats sum()", "position 15: expected a field name, found ')'");
  check("a | stats quantile(0.5)",
        "position 23: expected ',' and the field after the quantile, found ')'");
  check("a | stats quantile(1.5, x)",
        "position 20: expected a quantile between 0 and 1, found '1.5'");
  check("a | stats quantile(-0.1, x)",
        "position 20: expected a quantile between 0 and 1, found '-0.1'");
  check("a | stats quantile(p99, x)",
        "position 20: expected a number (the quantile, 0 to 1), found 'p99'");
  check("a | stats count() as", "position 21: expected an output name, found 'end of query'");
  check("a | stats count() n m", "position 21: expected ',', 'by', '|' or end of query, found 'm'");
  check("a | stats by (s) count() by (t)",
        "position 26: expected ',', '|' or end of query, found 'by'");
  check("a | stats count() n, sum(x) n",
        "position 29: expected a unique output column name, found a second 'n' "
        "(the first is at position 19)");
  check("a | stats count(), count()",
        "position 20: expected a unique output column name, found a second 'count()' "
        "(the first is at position 11)");
  check("a | stats by (service) count() service",
        "position 32: expected a unique output column name, found a second 'service' "
        "(the first is at position 15)");
  check("a | stats by (_time) count()",
        "position 15: _time needs a bucket, e.g. _time:1m, found '_time'");
  check("a | stats by (_time:0s) count()",
        "position 21: expected a positive bucket duration such as 1m, found '0s'");
  check("a | stats by (_time:) count()",
        "position 21: expected a positive bucket duration such as 1m, found ')'");
  check("a | stats by (host:1m) count()",
        "position 15: expected a field name or _time:BUCKET, found 'host:1m'");
  check("a | stats count() | stats count()",
        "position 21: expected at most one stats or top pipe per query, found a second 'stats'");
  check("a | top by (x) | stats count()",
        "position 18: expected at most one stats or top pipe per query, found a second 'stats'");
  check("a | top 5", "position 10: expected 'by' and the fields to rank, found 'end of query'");
  check("a | top x by (y)", "position 9: expected a non-negative integer, found 'x'");
}

TEST(QueryParser, ParseDuration) {
  auto check = [](std::string_view text, bool want_ok, int64_t want_ns) {
    int64_t ns = -7;
    EXPECT_EQ(ParseDuration(text, &ns), want_ok) << text;
    if (want_ok) {
      EXPECT_EQ(ns, want_ns) << text;
    }
  };
  constexpr int64_t kMinute = 60 * kSecond, kHour = 60 * kMinute, kDay = 24 * kHour;
  check("250ms", true, 250'000'000);
  check("5m", true, 5 * kMinute);
  check("1h30m", true, kHour + 30 * kMinute);
  check("30m1h", true, kHour + 30 * kMinute);
  check("2d", true, 2 * kDay);
  check("1w", true, 7 * kDay);
  check("10s", true, 10 * kSecond);
  check("500us", true, 500'000);
  check("3\xC2\xB5s", true, 3'000);  // µs
  check("100ns", true, 100);
  check("1.5h", true, kHour + 30 * kMinute);
  check("0.001s", true, 1'000'000);
  check("1.0000000001s", true, kSecond);  // below a nanosecond is dropped
  check("0s", true, 0);
  check("9223372036854775807ns", true, kMax);
  check("106751d", true, 106751 * kDay);
  check("", false, 0);
  check("-5m", false, 0);
  check("+5m", false, 0);
  check("5", false, 0);
  check("m", false, 0);
  check("5x", false, 0);
  check("5M", false, 0);
  check("5 m", false, 0);
  check("5m ", false, 0);
  check("1.h", false, 0);
  check(".5h", false, 0);
  check("1h-5m", false, 0);
  check("9223372036854775808ns", false, 0);
  check("106752d", false, 0);
  check("9223372036854775807ns1ns", false, 0);
}

TEST(QueryParser, ParseTimestamp) {
  auto check = [](std::string_view text, bool want_ok, int64_t want_ns) {
    int64_t ns = -7;
    EXPECT_EQ(ParseTimestamp(text, &ns), want_ok) << text;
    if (want_ok) {
      EXPECT_EQ(ns, want_ns) << text;
    }
  };
  constexpr int64_t k2026 = 1'767'225'600 * kSecond;  // 2026-01-01T00:00:00Z
  constexpr int64_t kDay = 86'400 * kSecond;
  check("1970-01-01T00:00:00Z", true, 0);
  check("1969-12-31T23:59:59Z", true, -kSecond);
  check("2026-01-01T00:00:00Z", true, k2026);
  check("2026-01-01t00:00:00z", true, k2026);
  check("2026-01-01", true, k2026);
  check("2026-01-01T10:00", true, k2026 + 36'000 * kSecond);
  check("2026-01-01 10:00:00", true, k2026 + 36'000 * kSecond);
  check("2026-01-01T00:00:00.5Z", true, k2026 + 500'000'000);
  check("2026-01-01T00:00:00.123456789Z", true, k2026 + 123'456'789);
  check("2026-01-01T00:00:00.000000001", true, k2026 + 1);
  check("2026-01-01T02:00:00+02:00", true, k2026);
  check("2025-12-31T19:00:00-05:00", true, k2026);
  check("2026-01-01T05:30+05:30", true, k2026);
  check("2026-03-01", true, k2026 + 59 * kDay);
  // Leap years: divisible by 4, except centuries not divisible by 400.
  check("2024-02-29", true, 1'709'164'800 * kSecond);
  check("2024-03-01", true, 1'709'251'200 * kSecond);
  check("2000-02-29", true, 951'782'400 * kSecond);
  check("1900-02-28", true, -2'203'977'600 * kSecond);
  check("1900-02-29", false, 0);
  check("2023-02-29", false, 0);
  check("2026-02-30", false, 0);
  check("2026-04-31", false, 0);
  check("2262-04-11T23:47:16.854775807Z", true, kMax);
  check("2262-04-11T23:47:16.854775808Z", false, 0);
  check("1677-09-21T00:12:43.145224192Z", true, std::numeric_limits<int64_t>::min());
  check("1677-09-21T00:12:43.145224191Z", false, 0);
  check("2026-13-01", false, 0);
  check("2026-00-01", false, 0);
  check("2026-01-32", false, 0);
  check("2026-01-00", false, 0);
  check("2026-01-01T24:00:00Z", false, 0);
  check("2026-01-01T23:60:00Z", false, 0);
  check("2026-01-01T23:59:60Z", false, 0);
  check("2026-01-01T00:00:00+24:00", false, 0);
  check("2026-01-01T00:00:00+02:60", false, 0);
  check("2026-01-01T00:00:00+2:00", false, 0);
  check("2026-01-01T00:00:00+0200", false, 0);
  check("2026-01-01T00:00:00.1234567890Z", false, 0);
  check("2026-01-01T00:00:00.Z", false, 0);
  check("2026-01-01T00:00:00Zx", false, 0);
  check("2026-01-01T", false, 0);
  check("2026-01-01Z", false, 0);
  check("2026-01-01T10", false, 0);
  check("2026-1-01", false, 0);
  check("26-01-01", false, 0);
  check("", false, 0);
  check("now", false, 0);
}

TEST(QueryParser, ToStringOfBuiltFilters) {
  auto check = [](const Predicate& p, std::string_view want) {
    Filter f;
    f.op = Filter::Op::kLeaf;
    f.leaf = p;
    EXPECT_EQ(ToString(f), want);
  };
  Predicate p;
  p.kind = Predicate::Kind::kRange;
  p.field = "x";
  p.lo = 1e20;
  check(p, "x:>=1e+20");
  p.lo = 0.1;
  check(p, "x:>=0.1");
  p.lo = 1'000'000;
  check(p, "x:>=1000000");
  p.hi = 2'000'000;
  p.lo_inclusive = false;
  check(p, "x:(1000000, 2000000]");
  Predicate t;
  t.kind = Predicate::Kind::kTimeRange;
  t.field = "_time";
  check(t, "_time:[-inf, inf)");
  t.from_ns = -1;
  t.to_ns = 0;
  check(t, "_time:[1969-12-31T23:59:59.999999999Z, 1970-01-01T00:00:00Z)");
  t.from_ns = 951'782'400 * kSecond + 250'000'000;
  check(t, "_time:[2000-02-29T00:00:00.25Z, 1970-01-01T00:00:00Z)");
}

}  // namespace
}  // namespace trove::query
