// libFuzzer target: the query language (query/parser.h). Any text must parse or return
// InvalidArgument; nothing may crash. Parsed filters are rendered with ToString as well.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "query/ast.h"
#include "query/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // 2026-01-01T12:00:00Z, as in tests/query_parser_test.cc.
  constexpr int64_t kNow = 1'767'268'800'000'000'000;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto query = trove::query::ParseQuery(text, kNow);
  if (query.ok()) {
    (void)trove::query::ToString(query->filter);
  } else if (!query.status().IsInvalidArgument()) {
    __builtin_trap();  // parser.h: errors are InvalidArgument
  }
  int64_t ns = 0;
  (void)trove::query::ParseDuration(text, &ns);
  (void)trove::query::ParseTimestamp(text, &ns);
  return 0;
}
