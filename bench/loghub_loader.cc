#include "bench/loghub_loader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

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

namespace {

// Where the message starts in a line of one Loghub file.
struct LoghubFormat {
  const char* file;
  // Header fields before the message: separated by runs of blanks, or by one '|' when pipe.
  int header_fields;
  bool pipe = false;
  // The line must start with a timestamp (ParseLogTimestamp); lines without are continuations
  // (stack traces) or debris. Only for formats ParseTimestampPrefix knows.
  bool timestamped = false;
  // The access log's message is the whole line but for its " [17/May/2015:10:05:03 +0000]":
  // the generator dates events itself, and re-randomised dates would read oddly.
  bool drop_bracketed_time = false;
};

// The order is part of the output: LoadLoghubMessages concatenates in this order.
constexpr LoghubFormat kLoghubFormats[] = {
    {"Android_2k.log", 5},              // 03-17 16:13:46.144  1702  2105 D | Tag: msg
    {"Apache_2k.log", 6, false, true},  // [Sun Dec 04 04:47:44 2005] [notice] | msg
    {"BGL_2k.log", 9},  // - epoch date node 2005-06-09-14.54.30.103580 node RAS KERNEL INFO |
    {"HDFS_2k.log", 4, false, true},     // 081109 203615 148 INFO | dfs.DataNode: msg
    {"HPC_2k.log", 6},                   // 437261 node-10 action start 1096995263 1 | msg
    {"Hadoop_2k.log", 3, false, true},   // 2015-10-18 18:01:53,885 INFO | [thread] class: msg
    {"HealthApp_2k.log", 3, true},       // 20171223-22:15:36:356|Step_LSC|30002312| msg
    {"Linux_2k.log", 4, false, true},    // Jun 17 20:55:07 combo | ftpd[30759]: msg
    {"Mac_2k.log", 4, false, true},      // Jul  1 11:39:48 host | networkd[195]: msg
    {"OpenSSH_2k.log", 4, false, true},  // Dec 10 07:28:37 LabSZ | sshd[24275]: msg
    {"OpenStack_2k.log", 5},             // file 2017-05-16 00:00:46.634 25746 INFO | module msg
    {"Proxifier_2k.log", 2},             // [10.30 16:49:08] | chrome.exe - host:port msg
    {"Spark_2k.log", 3, false, true},    // 17/06/09 20:10:52 INFO | executor.Executor: msg
    {"Thunderbird_2k.log", 8},           // - 1131566491 2005.11.09 node Nov 9 12:01:31 local@node |
    {"Windows_2k.log", 3, false, true},  // 2016-09-28 04:30:31, Info | CBS    msg
    {"Zookeeper_2k.log", 4, false, true},  // 2015-07-29 19:22:46,680 - WARN | [thread] - msg
    {"elastic_apache_access.log", 0, false, false, true},
    {"elastic_auth.log", 4, false, true},               // Mar 27 15:17:01 host | CRON[2980]: msg
    {"elastic_kafka0_controller.log", 3, false, true},  // [2016-12-19 16:31:49,117] INFO | msg
    {"elastic_kafka0_server.log", 3, false, true},
};

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The message of line under format f, or empty when the line has none.
std::string_view MessageOf(const LoghubFormat& f, std::string_view line) {
  size_t pos = 0;
  for (int i = 0; i < f.header_fields; ++i) {
    if (f.pipe) {
      pos = line.find('|', pos);
      if (pos == std::string_view::npos) return {};
      ++pos;
    } else {
      while (pos < line.size() && IsBlank(line[pos])) ++pos;
      if (pos == line.size()) return {};
      while (pos < line.size() && !IsBlank(line[pos])) ++pos;
    }
  }
  while (pos < line.size() && IsBlank(line[pos])) ++pos;
  size_t end = line.size();
  while (end > pos && IsBlank(line[end - 1])) --end;
  return line.substr(pos, end - pos);
}

}  // namespace

std::vector<std::string> LoadLoghubMessages(const std::string& dir, size_t max_per_file,
                                            size_t max_message_bytes, Status* status) {
  if (status) *status = Status::OK();
  std::vector<std::string> messages;
  for (const LoghubFormat& f : kLoghubFormats) {
    const std::string path = dir + "/" + f.file;
    if (!std::filesystem::is_regular_file(path)) continue;
    Status read;
    // LoadTextLog splits lines (and cuts "\r") the same way for every caller.
    const std::vector<Event> lines = LoadTextLog(path, "", &read);
    size_t taken = 0;
    for (const Event& e : lines) {
      if (taken == max_per_file) break;
      int64_t ignored;
      if (f.timestamped && !ingest::ParseLogTimestamp(e.message, &ignored)) continue;
      std::string msg(MessageOf(f, e.message));
      if (f.drop_bracketed_time) {
        const size_t open = msg.find(" [");
        const size_t close = open == std::string::npos ? open : msg.find("] ", open);
        if (close == std::string::npos) continue;
        msg.erase(open, close + 1 - open);
      }
      if (msg.empty() || msg.size() > max_message_bytes) continue;
      std::string checked = msg;
      if (SanitizeUtf8(&checked)) continue;  // invalid UTF-8: not a message to imitate
      messages.push_back(std::move(msg));
      ++taken;
    }
  }
  if (messages.empty() && status) {
    *status = Status::NotFound("no Loghub samples found in " + dir);
  }
  return messages;
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
