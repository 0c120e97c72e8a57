#include "query/pipes.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "query/field_value.h"

namespace trove::query {

namespace {

SortValue EventSortValue(const Event& e, const std::string& field) {
  SortValue v;
  FieldKind kind = KindOfField(field);
  if (kind == FieldKind::kTime) {
    v.kind = 1;
    v.number = static_cast<long double>(e.time_ns);
    return v;
  }
  if (kind == FieldKind::kLevel) {
    v.kind = 1;
    v.number = static_cast<int>(e.level);
    return v;
  }
  if (kind == FieldKind::kAttribute) {
    if (const Attribute* a = FindAttribute(e, field)) {
      if (const auto* i = std::get_if<int64_t>(&a->value)) {
        v.kind = 1;
        v.number = static_cast<long double>(*i);
        return v;
      }
      if (const auto* d = std::get_if<double>(&a->value)) {
        v.kind = 1;
        v.number = *d;
        return v;
      }
    }
  }
  std::string scratch;
  if (auto text = TextForm(e, field, &scratch)) {
    v.kind = 2;
    v.text = std::string(*text);
  }
  return v;
}

SortValue CellSortValue(const Cell& c) {
  SortValue v;
  if (const auto* s = std::get_if<std::string>(&c)) {
    v.kind = 2;
    v.text = *s;
  } else if (const auto* i = std::get_if<int64_t>(&c)) {
    v.kind = 1;
    v.number = static_cast<long double>(*i);
  } else if (const auto* d = std::get_if<double>(&c)) {
    v.kind = 1;
    v.number = *d;
  } else if (const auto* t = std::get_if<TimeValue>(&c)) {
    v.kind = 1;
    v.number = static_cast<long double>(t->ns);
  }
  return v;
}

}  // namespace

int Compare(const SortValue& a, const SortValue& b) {
  if (a.kind != b.kind) return a.kind < b.kind ? -1 : 1;
  if (a.kind == 1) return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  if (a.kind == 2) return a.text.compare(b.text) < 0 ? -1 : (a.text == b.text ? 0 : 1);
  return 0;
}

void KeepFirstSorted(const std::vector<SortKey>& keys, uint64_t k, std::vector<Event>* events) {
  std::vector<std::pair<std::vector<SortValue>, size_t>> keyed(events->size());
  for (size_t i = 0; i < events->size(); ++i) {
    keyed[i].second = i;
    for (const SortKey& key : keys) {
      keyed[i].first.push_back(EventSortValue((*events)[i], key.field));
    }
  }
  auto less = [&](const auto& a, const auto& b) {
    for (size_t j = 0; j < keys.size(); ++j) {
      int c = Compare(a.first[j], b.first[j]);
      if (c != 0) return keys[j].desc ? c > 0 : c < 0;
    }
    return (*events)[a.second].time_ns > (*events)[b.second].time_ns;
  };
  const size_t keep = static_cast<size_t>(std::min<uint64_t>(k, keyed.size()));
  std::partial_sort(keyed.begin(), keyed.begin() + keep, keyed.end(), less);
  std::vector<Event> out;
  out.reserve(keep);
  for (size_t i = 0; i < keep; ++i) out.push_back(std::move((*events)[keyed[i].second]));
  *events = std::move(out);
}

Status ApplyEventPipes(const std::vector<Pipe>& pipes, std::vector<Event>* events,
                       std::vector<std::string>* fields, bool* cut) {
  for (const Pipe& p : pipes) {
    switch (p.kind) {
      case Pipe::Kind::kLimit:
        if (events->size() > p.limit) {
          events->resize(p.limit);
          *cut = true;
        }
        break;
      case Pipe::Kind::kSortBy: {
        std::vector<std::pair<std::vector<SortValue>, size_t>> keyed(events->size());
        for (size_t i = 0; i < events->size(); ++i) {
          keyed[i].second = i;
          for (const SortKey& k : p.sort) {
            keyed[i].first.push_back(EventSortValue((*events)[i], k.field));
          }
        }
        std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
          for (size_t k = 0; k < p.sort.size(); ++k) {
            int c = Compare(a.first[k], b.first[k]);
            if (c != 0) return p.sort[k].desc ? c > 0 : c < 0;
          }
          return false;
        });
        std::vector<Event> sorted;
        sorted.reserve(events->size());
        for (auto& [key, i] : keyed) sorted.push_back(std::move((*events)[i]));
        *events = std::move(sorted);
        break;
      }
      case Pipe::Kind::kFields: {
        for (Event& e : *events) {
          Event projected;
          projected.time_ns = e.time_ns;
          for (const std::string& f : p.fields) CopyField(e, f, &projected);
          e = std::move(projected);
        }
        *fields = p.fields;
        break;
      }
      default:
        return Status::InvalidArgument("pipe not allowed here");
    }
  }
  return Status::OK();
}

Status ApplyTablePipes(const std::vector<Pipe>& pipes, Table* table) {
  auto column = [&](const std::string& name) -> Result<size_t> {
    for (size_t i = 0; i < table->columns.size(); ++i) {
      if (table->columns[i] == name) return i;
    }
    std::string known;
    for (const auto& c : table->columns) known += (known.empty() ? "" : ", ") + c;
    return Status::InvalidArgument("unknown column '" + name + "' after stats; columns: " + known);
  };
  for (const Pipe& p : pipes) {
    switch (p.kind) {
      case Pipe::Kind::kLimit:
        if (table->rows.size() > p.limit) table->rows.resize(p.limit);
        break;
      case Pipe::Kind::kSortBy: {
        std::vector<std::pair<size_t, bool>> keys;
        for (const SortKey& k : p.sort) {
          TROVE_ASSIGN_OR_RETURN(size_t c, column(k.field));
          keys.emplace_back(c, k.desc);
        }
        std::stable_sort(table->rows.begin(), table->rows.end(),
                         [&](const auto& a, const auto& b) {
                           for (auto [c, desc] : keys) {
                             int r = Compare(CellSortValue(a[c]), CellSortValue(b[c]));
                             if (r != 0) return desc ? r > 0 : r < 0;
                           }
                           return false;
                         });
        break;
      }
      case Pipe::Kind::kFields: {
        std::vector<size_t> keep;
        for (const std::string& f : p.fields) {
          TROVE_ASSIGN_OR_RETURN(size_t c, column(f));
          keep.push_back(c);
        }
        Table out;
        for (size_t c : keep) out.columns.push_back(table->columns[c]);
        for (auto& row : table->rows) {
          std::vector<Cell> r;
          for (size_t c : keep) r.push_back(row[c]);
          out.rows.push_back(std::move(r));
        }
        *table = std::move(out);
        break;
      }
      default:
        return Status::InvalidArgument("only one stats or top pipe per query");
    }
  }
  return Status::OK();
}


namespace {

// Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

}  // namespace

std::string FormatTime(int64_t ns) {
  int64_t secs = ns / 1'000'000'000, frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%09" PRId64 "Z", y, m, d,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60),
                static_cast<int>(rem % 60), frac);
  return buf;
}

std::string CellToString(const Cell& cell) {
  if (const auto* s = std::get_if<std::string>(&cell)) return *s;
  if (const auto* i = std::get_if<int64_t>(&cell)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&cell)) {
    if (std::isfinite(*d) && *d == std::floor(*d) && std::fabs(*d) < 1e15) {
      return std::to_string(static_cast<int64_t>(*d));
    }
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.6g", *d);
    return buf;
  }
  if (const auto* t = std::get_if<TimeValue>(&cell)) return FormatTime(t->ns);
  return "";
}


}  // namespace trove::query
