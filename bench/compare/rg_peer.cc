#include "bench/compare/rg_peer.h"

#include <cctype>
#include <cstring>

#include "bench/compare/subprocess.h"
#include "bench/compare/trove_system.h"

namespace trove::bench::compare {

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsTokenByte(unsigned char c) { return isalnum(c) || c == '_' || c >= 0x80; }

// Whether Trove's `service:PHRASE` matches value: PHRASE occurs in it, case-insensitively,
// starting and ending on token boundaries (DESIGN.md §2).
bool PhraseMatches(const std::string& value, const std::string& phrase) {
  const std::string v = Lower(value), p = Lower(phrase);
  for (size_t at = v.find(p); at != std::string::npos; at = v.find(p, at + 1)) {
    const bool starts = at == 0 || !IsTokenByte(static_cast<unsigned char>(v[at - 1])) ||
                        !IsTokenByte(static_cast<unsigned char>(p.front()));
    const size_t end = at + p.size();
    const bool ends = end == v.size() || !IsTokenByte(static_cast<unsigned char>(v[end])) ||
                      !IsTokenByte(static_cast<unsigned char>(p.back()));
    if (starts && ends) return true;
  }
  return false;
}

std::string RegexEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (strchr("\\.+*?()|[]{}^$#&-~", c) != nullptr) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::vector<std::string> RgPeer::Command(const Workload& w, const Dataset& data,
                                         size_t variant) const {
  std::vector<std::string> argv = {rg_, "--no-config", "-c"};
  auto words = [&](const std::string& text) {
    argv.insert(argv.end(), {"-i", "-w", "-F", "--", text});
  };
  switch (w.id) {
    case WorkloadId::kRareTerm:
      words(Lower(NeedleFor(data, variant)));
      break;
    case WorkloadId::kFrequentTerm:
      words(kFrequentWord);
      break;
    case WorkloadId::kPhrase:
      words(kPhrase);
      break;
    case WorkloadId::kFieldTerm:
      // The service column holds the token, the message (after trace=…) the word.
      argv.insert(argv.end(), {"-i", "--",
                               std::string("^\\S+ \\S+ \\S*\\b") + kFieldService +
                                   "\\b\\S* \\S+ trace=\\S+ .*\\b" + kFieldWord + "\\b"});
      break;
    case WorkloadId::kBoolean: {
      // Every service for which `-service:api-gateway` holds, spelled out.
      std::string services;
      for (const std::string& s : data.services) {
        if (PhraseMatches(s, kExcludedService)) continue;
        if (!services.empty()) services += "|";
        services += s.empty() ? "-" : RegexEscape(s);
      }
      argv.insert(argv.end(), {"--", "^\\S+ (?:ERROR|WARN) (?:" + services + ") "});
      break;
    }
    case WorkloadId::kTraceLookup:
      argv.insert(argv.end(), {"-F", "--", TraceFor(data, variant)});
      break;
    default:
      break;
  }
  argv.push_back(data.text_path);
  return argv;
}

Status RgPeer::Run(const Workload& w, const Dataset& data, size_t variant, Answer* answer,
                   double* wall_ms) const {
  auto r = RunProcess(Command(w, data, variant), "");
  if (!r.ok()) return r.status();
  *wall_ms = r->wall_ms;
  if (r->exit_code != 0 && r->exit_code != 1) {  // 1: no line matched
    return Status::IOError("rg exited with status " + std::to_string(r->exit_code));
  }
  const double count = r->out.empty() ? 0 : strtod(r->out.c_str(), nullptr);
  std::string key;
  if (w.id == WorkloadId::kRareTerm) key = NeedleFor(data, variant);
  if (w.id == WorkloadId::kTraceLookup) key = TraceFor(data, variant);
  (*answer)[key] = count;
  return Status::OK();
}

}  // namespace trove::bench::compare
