// libFuzzer target: the plain-text ingest path (tools/line_reader.h, tools/text_lines.h). The
// input is a file's content after one flags byte: bit 0 selects multi-line mode; bit 1 reads
// the lines through LineReader from an in-memory file (memfd), else they are split here the
// same way (LineReader allocates a 1 MiB buffer per file, which would make every run slow).
// Lines longer than a small limit are skipped, as `trove ingest` does. Events must come out
// with ascending line numbers, each within the input.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tools/line_reader.h"
#include "tools/text_lines.h"

namespace {

// Small, so that inputs of a few KB reach the too-long path.
constexpr size_t kMaxLineBytes = 512;

bool WriteAll(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Feeds every line through LineReader over a memfd holding the input. False if the memfd
// cannot be made (not a finding).
bool ReadWithLineReader(const uint8_t* data, size_t size, trove::ingest::TextLineParser* parser,
                        std::vector<trove::ingest::LineEvent>* events) {
  const int fd = memfd_create("text_lines_fuzz", 0);
  if (fd < 0) return false;
  if (!WriteAll(fd, data, size)) {
    close(fd);
    return false;
  }
  auto reader =
      trove::ingest::LineReader::Open("/proc/self/fd/" + std::to_string(fd), kMaxLineBytes);
  close(fd);  // the reader opened its own descriptor
  if (!reader.ok()) return false;
  trove::ingest::InputLine line;
  uint64_t bytes = 0;
  uint64_t number = 0;
  while ((*reader)->Next(&line)) {
    if (line.text.size() > kMaxLineBytes || (line.too_long && !line.text.empty()) ||
        line.number != ++number) {
      __builtin_trap();  // line_reader.h: bounded lines, no text when too long, numbered 1, 2…
    }
    bytes += line.length;
    if (!line.too_long) parser->AddLine(line.text, line.number, events);
  }
  if (!(*reader)->status().ok() || bytes > size) __builtin_trap();
  return true;
}

void SplitLines(const uint8_t* data, size_t size, trove::ingest::TextLineParser* parser,
                std::vector<trove::ingest::LineEvent>* events) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  uint64_t number = 0;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++number;
    (void)trove::ingest::FindLevelWord(line);
    if (line.size() <= kMaxLineBytes) parser->AddLine(line, number, events);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  trove::ingest::TextParseOptions options;
  options.service = "fuzz";
  options.multiline = (data[0] & 1) != 0;
  options.max_event_bytes = 1024;  // small, so that long multi-line events are cut
  const bool line_reader = (data[0] & 2) != 0;
  ++data;
  --size;

  trove::ingest::TextLineParser parser(options);
  std::vector<trove::ingest::LineEvent> events;
  if (line_reader) {
    if (!ReadWithLineReader(data, size, &parser, &events)) return 0;
  } else {
    SplitLines(data, size, &parser, &events);
  }
  parser.Finish(&events);
  uint64_t last = 0;
  for (const trove::ingest::LineEvent& e : events) {
    if (e.line < last || e.line == 0) __builtin_trap();
    last = e.line;
  }
  return 0;
}
