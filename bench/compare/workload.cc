#include "bench/compare/workload.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "query/sketch.h"

namespace trove::bench::compare {

const std::vector<Workload>& Workloads() {
  static const std::vector<Workload> kWorkloads = {
      {WorkloadId::kRareTerm, "rare", "rare term (needle)", "NEEDLE", AnswerCheck::kExact,
       Variant::kNeedle, true},
      {WorkloadId::kFrequentTerm, "frequent", "frequent term", "cache", AnswerCheck::kExact,
       Variant::kNone, true},
      {WorkloadId::kPhrase, "phrase", "phrase", "\"payment declined\"", AnswerCheck::kExact,
       Variant::kNone, true},
      {WorkloadId::kFieldTerm, "field_term", "field + term", "service:payment declined",
       AnswerCheck::kExact, Variant::kNone, true},
      {WorkloadId::kBoolean, "boolean", "boolean",
       "(level:error OR level:warn) -service:api-gateway", AnswerCheck::kExact, Variant::kNone,
       true},
      {WorkloadId::kTraceLookup, "trace", "trace lookup by ID", "GetTrace(ID)", AnswerCheck::kExact,
       Variant::kTrace, true},
      {WorkloadId::kCountByService, "by_service", "count() by (service)",
       "* | stats by (service) count()", AnswerCheck::kExact, Variant::kNone, false},
      {WorkloadId::kCountByMinute, "by_minute", "count() by (_time:1m)",
       "* | stats by (_time:1m) count()", AnswerCheck::kExact, Variant::kNone, false},
      {WorkloadId::kP99ByRoute, "p99_route", "p99 latency by route",
       "* | stats by (http.route) quantile(0.99, latency_ms)", AnswerCheck::kQuantile,
       Variant::kNone, false},
      {WorkloadId::kDistinctUsers, "uniq_users", "count_uniq(user.id)",
       "* | stats count_uniq(user.id)", AnswerCheck::kDistinct, Variant::kNone, false},
  };
  return kWorkloads;
}

std::string ValueText(const std::optional<double>& v) {
  if (!v) return "null";
  char buf[64];
  if (*v == std::floor(*v) && std::fabs(*v) < 1e15) {
    snprintf(buf, sizeof buf, "%.0f", *v);
  } else {
    snprintf(buf, sizeof buf, "%.6g", *v);
  }
  return buf;
}

namespace {

bool Agree(AnswerCheck check, const std::optional<double>& t, const std::optional<double>& p) {
  if (!t || !p) return !t && !p;
  const double diff = std::fabs(*t - *p);
  switch (check) {
    case AnswerCheck::kExact:
      return diff <= 1e-9 * std::max(1.0, std::fabs(*p));
    case AnswerCheck::kQuantile:
      return diff <= query::QuantileSketch::kRelativeAccuracy * std::fabs(*p) + 1e-9;
    case AnswerCheck::kDistinct:
      if (*t <= static_cast<double>(query::DistinctCounter::kExactLimit)) return diff == 0;
      return diff <= query::DistinctCounter::kRelativeErrorBound * std::fabs(*p);
  }
  return false;
}

}  // namespace

std::string CompareAnswers(AnswerCheck check, const Answer& trove, const Answer& peer) {
  std::set<std::string> keys;
  for (const auto& [k, v] : trove) keys.insert(k);
  for (const auto& [k, v] : peer) keys.insert(k);
  size_t differ = 0;
  std::string out;
  for (const std::string& k : keys) {
    auto t = trove.find(k);
    auto p = peer.find(k);
    const std::optional<double> tv = t == trove.end() ? std::nullopt : t->second;
    const std::optional<double> pv = p == peer.end() ? std::nullopt : p->second;
    if (Agree(check, tv, pv)) continue;
    if (++differ <= 3) {
      if (!out.empty()) out += "; ";
      out += (k.empty() ? std::string("count") : "'" + k + "'") + ": Trove " + ValueText(tv) +
             ", peer " + ValueText(pv);
    }
  }
  if (differ > 3) out += "; … " + std::to_string(differ) + " keys differ";
  return out;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p * static_cast<double>(values.size()));  // 1-based
  const size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return values[std::min(i, values.size() - 1)];
}

}  // namespace trove::bench::compare
