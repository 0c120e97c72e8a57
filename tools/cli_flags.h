// Command-line flags of one `trove` command: "--name VALUE", "--name=VALUE", switches, and
// positional arguments. Plain data; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace trove::cli {

class FlagParser {
 public:
  // value_flags take a value ("--since"), switches do not ("--json"); names without dashes.
  FlagParser(std::vector<std::string> value_flags, std::vector<std::string> switches);

  // Parses args. "--" ends the flags (everything after it is positional); "-" alone is
  // positional (stdin). Returns InvalidArgument naming the flag on an unknown flag, a missing
  // value, or a value given to a switch.
  Status Parse(const std::vector<std::string>& args);

  bool Has(std::string_view name) const { return values_.count(std::string(name)) > 0; }
  // The value of a value flag (the last one given), or fallback when absent.
  std::string Value(std::string_view name, std::string fallback = "") const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::vector<std::string> value_flags_;
  std::vector<std::string> switches_;
  std::map<std::string, std::string> values_;  // switches map to ""
  std::vector<std::string> positional_;
};

// A whole decimal number >= min ("1000"); false on anything else or overflow.
bool ParseCount(std::string_view text, uint64_t min, uint64_t* out);

}  // namespace trove::cli
