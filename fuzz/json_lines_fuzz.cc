// libFuzzer target: the JSON-lines ingest parser (tools/json_lines.h). The input is a file's
// content, split into lines as LineReader does; every line must parse or return
// InvalidArgument, and a parsed event's strings must be valid UTF-8, as the header promises.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "storage/event.h"
#include "tools/json_lines.h"

namespace {

bool IsValidUtf8(const std::string& s) {
  std::string copy = s;
  return !trove::SanitizeUtf8(&copy);
}

void CheckUtf8(const trove::Event& e) {
  bool ok = IsValidUtf8(e.service) && IsValidUtf8(e.host) && IsValidUtf8(e.message) &&
            IsValidUtf8(e.trace_id) && IsValidUtf8(e.span_id) && IsValidUtf8(e.parent_span_id);
  for (const trove::Attribute& a : e.attributes) {
    ok = ok && IsValidUtf8(a.key);
    if (const auto* s = std::get_if<std::string>(&a.value)) ok = ok && IsValidUtf8(*s);
  }
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One parser for the whole input, as `trove ingest` uses one per file: buffer reuse across
  // lines is part of what is tested.
  trove::ingest::JsonParseOptions options;
  options.service = "fuzz";
  options.max_depth = 16;  // small, so that the depth limit is reached often
  trove::ingest::JsonLineParser parser(options);
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  trove::Event event;
  bool first = true;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (first) {
      (void)trove::ingest::LooksLikeJsonLine(line);
      first = false;
    }
    const trove::Status st = parser.Parse(line, &event);
    if (st.ok()) {
      CheckUtf8(event);
      trove::EventLimits limits;
      (void)trove::NormalizeEvent(limits, /*now_ns=*/1'767'268'800'000'000'000, &event);
    } else if (!st.IsInvalidArgument()) {
      __builtin_trap();  // json_lines.h: errors are InvalidArgument
    }
  }
  return 0;
}
