// The benchmark's event generator (bench/event_gen.h) with extra real messages: off leaves the
// stream unchanged, on is deterministic and gives the configured share, and the
// re-randomisation keeps each message's shape. Also the Loghub message loader
// (bench/loghub_loader.h) on the samples in ../shared/data/loghub.
#include "bench/event_gen.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <regex.h>
#include <set>
#include <string>
#include <vector>

#include "bench/loghub_loader.h"
#include "tools/event_json.h"

namespace trove::bench {
namespace {

std::vector<std::string> JsonLines(const EventGenOptions& options, size_t n) {
  EventGenerator gen(options);
  std::vector<std::string> lines;
  lines.reserve(n);
  for (size_t i = 0; i < n; ++i) lines.push_back(ingest::ToJsonLine(gen.Next()));
  return lines;
}

std::shared_ptr<const std::vector<std::string>> Messages(std::vector<std::string> m) {
  return std::make_shared<const std::vector<std::string>>(std::move(m));
}

TEST(EventGenTest, OffLeavesTheStreamUnchanged) {
  const std::vector<std::string> plain = JsonLines(EventGenOptions{}, 20000);
  EventGenOptions empty;
  empty.extra_messages = Messages({});
  empty.extra_message_percent = 50;
  EXPECT_EQ(JsonLines(empty, 20000), plain);
  EventGenOptions zero;
  zero.extra_messages = Messages({"zqx marker 1234"});
  zero.extra_message_percent = 0;
  EXPECT_EQ(JsonLines(zero, 20000), plain);
  // The first event as it was before extra messages existed (trove-gen-events --events 1).
  EXPECT_EQ(plain[0],
            "{\"_time\":\"2024-01-01T00:00:00.000780246Z\",\"service\":\"api-gateway\",\"level\":"
            "\"INFO\",\"host\":\"api-gateway-16266d3251-4hbrr\",\"_msg\":\"incoming request GET /"
            "api/v1/products/76383 from 104.219.4.141 request_id=43d7c72879aa6c50\",\"trace_id\":"
            "\"43d7c72879aa6c5014d7882cf6c9799b\",\"span_id\":\"4fccc6ad6c299afb\",\"client.ip\":"
            "\"104.219.4.141\",\"http.route\":\"/api/v1/products/{id}\",\"user.id\":\"u31634\"}");
}

TEST(EventGenTest, ExtraMessagesAreDeterministicAndTakeTheirShare) {
  EventGenOptions options;
  options.seed = 7;
  options.extra_messages = Messages({"zqx one request 12345 from 10.1.2.3 took 250 ms",
                                     "zqx two block blk_-4875138366845786590 at 14:44:35",
                                     "zqx three id 113d3a99c3da401fbd62cc2caa5b96d2 slot 6"});
  options.extra_message_percent = 10;
  constexpr size_t kEvents = 100000;
  const std::vector<std::string> a = JsonLines(options, kEvents);
  EXPECT_EQ(JsonLines(options, kEvents), a);

  size_t extra = 0;
  std::set<std::string> distinct;
  std::set<std::string> services;
  for (const std::string& line : a) {
    const size_t at = line.find("\"_msg\":\"zqx ");
    if (at == std::string::npos) continue;
    ++extra;
    distinct.insert(line.substr(at, line.find('"', at + 8) - at));
    const size_t s = line.find("\"service\":\"");
    services.insert(line.substr(s, line.find('"', s + 11) - s));
  }
  // 10% ± 1% of 100000 (binomial standard deviation ~95).
  EXPECT_GT(extra, kEvents * 9 / 100);
  EXPECT_LT(extra, kEvents * 11 / 100);
  EXPECT_GT(distinct.size(), extra * 9 / 10) << "numbers are re-randomised per event";
  EXPECT_GE(services.size(), 15u) << "extra messages keep the generator's services";

  // Another seed, another stream.
  EventGenOptions other = options;
  other.seed = 8;
  EXPECT_NE(JsonLines(other, 1000), std::vector<std::string>(a.begin(), a.begin() + 1000));
}

// POSIX extended regular expressions: GCC 12 warns inside std::regex under the sanitizers,
// and the build treats warnings as errors.
class Ere {
 public:
  explicit Ere(const std::string& pattern) {
    ok_ = regcomp(&re_, pattern.c_str(), REG_EXTENDED | REG_NOSUB) == 0;
    EXPECT_TRUE(ok_) << "bad pattern " << pattern;
  }
  ~Ere() {
    if (ok_) regfree(&re_);
  }
  Ere(const Ere&) = delete;
  Ere& operator=(const Ere&) = delete;
  bool Search(const std::string& text) const {
    return ok_ && regexec(&re_, text.c_str(), 0, nullptr, 0) == 0;
  }

 private:
  regex_t re_;
  bool ok_ = false;
};

TEST(EventGenTest, ReRandomiseKeepsTheShape) {
  Rng rng(42);
  auto check = [&](const std::string& in, const std::string& pattern) {
    const Ere re("^(" + pattern + ")$");
    for (int i = 0; i < 50; ++i) {
      const std::string out = ReRandomiseNumbers(in, &rng);
      EXPECT_TRUE(re.Search(out)) << in << " -> " << out;
    }
  };
  constexpr const char* kOctet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  const std::string ip = std::string(kOctet) + "\\." + kOctet + "\\." + kOctet + "\\." + kOctet;
  check("no numbers here", "no numbers here");
  check("GET /index.html HTTP/1.1 slot 6", "GET /index\\.html HTTP/1\\.1 slot 6");
  check("Found child 8765 in scoreboard slot 11",
        "Found child [1-9][0-9]{3} in scoreboard slot [1-9][0-9]");
  check("Received block blk_-4875138366845786590 of size 67108864",
        "Received block blk_-[1-9][0-9]{18} of size [1-9][0-9]{7}");
  check(
      "connection from 82.252.162.81 (x) at Fri Jun 17 20:55:07 2005",
      "connection from " + ip +
          " \\(x\\) at Fri Jun [1-9][0-9] ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] [1-9][0-9]{3}");
  check("/10.250.7.244:50010 is added", "/" + ip + ":[1-9][0-9]{4} is added");
  check("attempt_1445144423722_0020_m_000005_0", "attempt_[1-9][0-9]{12}_0[0-9]{3}_m_0[0-9]{5}_0");
  check("[req-60c3da91-bd1c-4693 113d3a99c3da401fbd62cc2caa5b96d2]",
        "\\[req-[0-9a-f]{8}-[0-9a-f]{4}-[1-9][0-9]{3} [0-9a-f]{32}\\]");
  check("route = 0x0 port = 11 ABCD12EF", "route = 0x[0-9a-f] port = [1-9][0-9] [0-9A-F]{8}");
  check("x86_64 log4j R02-M1 version 1.2.3.4.5",
        "x86_[1-9][0-9] log4j R02-M1 version 1\\.2\\.3\\.4\\.5");
}

TEST(EventGenTest, LoghubMessagesLoseTheirHeaders) {
  const std::string dir = std::string(TROVE_SHARED_DATA) + "/loghub";
  if (!std::filesystem::exists(dir + "/HDFS_2k.log")) GTEST_SKIP() << dir << " is absent";
  Status status;
  const std::vector<std::string> messages = LoadLoghubMessages(dir, 2000, 512, &status);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_GT(messages.size(), 30000u);
  EXPECT_EQ(LoadLoghubMessages(dir, 2000, 512), messages);
  std::set<std::string> set(messages.begin(), messages.end());
  auto has = [&](const std::string& m) { return set.count(m) == 1; };
  // The first lines of a few samples, header cut.
  EXPECT_TRUE(
      has("dfs.DataNode$PacketResponder: PacketResponder 1 for block "
          "blk_38865049064139660 terminating"));
  EXPECT_TRUE(has("workerEnv.init() ok /etc/httpd/conf/workers2.properties"));
  EXPECT_TRUE(
      has("sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com "
          "[173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!"));
  size_t with_leading_digit_date = 0;
  const Ere leading_date("^(20[0-9]{2}-|[0-9]{6} [0-9]{6} )");
  for (const std::string& m : messages) {
    EXPECT_FALSE(m.empty());
    EXPECT_LE(m.size(), 512u);
    if (leading_date.Search(m)) ++with_leading_digit_date;
  }
  EXPECT_LT(with_leading_digit_date, messages.size() / 100);
  Status missing;
  EXPECT_TRUE(LoadLoghubMessages("/nonexistent-loghub", 2000, 512, &missing).empty());
  EXPECT_FALSE(missing.ok());
}

TEST(EventGenTest, LoghubEventsAreValidJson) {
  const std::string dir = std::string(TROVE_SHARED_DATA) + "/loghub";
  if (!std::filesystem::exists(dir + "/HDFS_2k.log")) GTEST_SKIP() << dir << " is absent";
  EventGenOptions options;
  options.extra_messages = Messages(LoadLoghubMessages(dir));
  options.extra_message_percent = 30;
  const std::vector<std::string> lines = JsonLines(options, 20000);
  EXPECT_EQ(JsonLines(options, 20000), lines);
  size_t loghubish = 0;
  for (const std::string& line : lines) {
    ASSERT_EQ(line.front(), '{');
    ASSERT_EQ(line.back(), '}');
    if (line.find("blk_") != std::string::npos || line.find("sshd[") != std::string::npos) {
      ++loghubish;
    }
  }
  EXPECT_GT(loghubish, 100u);
}

}  // namespace
}  // namespace trove::bench
