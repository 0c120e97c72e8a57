#include "bench/loghub_loader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "tools/log_time.h"
#include "tools/text_lines.h"

namespace trove::bench {

std::vector<Event> LoadTextLog(const std::string& path, const std::string& service,
                               Status* status) {
  if (status) *status = Status::OK();
  std::vector<Event> events;
  std::string text;
  int err = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    err = errno;
  } else {
    char chunk[1 << 16];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) text.append(chunk, n);
    if (std::ferror(f)) err = errno ? errno : EIO;  // a directory fails here with EISDIR
    std::fclose(f);
  }
  if (err != 0) {
    if (status) *status = Status::IOError("cannot read " + path + ": " + std::strerror(err));
    return events;
  }
  int64_t last_time = kDefaultStartNs - kFallbackStepNs;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    Event e;
    if (!ingest::ParseLogTimestamp(line, &e.time_ns)) e.time_ns = last_time + kFallbackStepNs;
    last_time = e.time_ns;
    e.service = service;
    e.level = ingest::FindLevelWord(line);
    e.message.assign(line);
    events.push_back(std::move(e));
  }
  return events;
}

std::string FindLoghub(const std::string& given) {
  if (!given.empty()) return given;
  for (const std::string& candidate :
       {std::string("../shared/data/loghub"), std::string("../../shared/data/loghub"),
        std::string(TROVE_SOURCE_DIR "/../shared/data/loghub")}) {
    if (std::filesystem::is_directory(candidate)) return candidate;
  }
  return "../shared/data/loghub";
}

}  // namespace trove::bench
