#include "tools/cli_flags.h"

#include <algorithm>
#include <charconv>

namespace trove::cli {

FlagParser::FlagParser(std::vector<std::string> value_flags, std::vector<std::string> switches)
    : value_flags_(std::move(value_flags)), switches_(std::move(switches)) {}

Status FlagParser::Parse(const std::vector<std::string>& args) {
  auto known = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional_.insert(positional_.end(), args.begin() + static_cast<ptrdiff_t>(i) + 1,
                         args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional_.push_back(arg);  // words, and "-" for stdin
      continue;
    }
    if (arg[1] != '-') {
      // Queries may start with '-' (negation: "-level:debug"); only "-h" is a flag.
      if (arg == "-h") {
        values_["help"] = "";
      } else {
        positional_.push_back(arg);
      }
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (known(switches_, name)) {
      if (inline_value) return Status::InvalidArgument("--" + name + " takes no value");
      values_[name] = "";
    } else if (known(value_flags_, name)) {
      if (!inline_value) {
        if (i + 1 >= args.size()) return Status::InvalidArgument("--" + name + " needs a value");
        value = args[++i];
      }
      values_[name] = value;
    } else {
      return Status::InvalidArgument("unknown flag --" + name);
    }
  }
  return Status::OK();
}

std::string FlagParser::Value(std::string_view name, std::string fallback) const {
  auto it = values_.find(std::string(name));
  return it == values_.end() ? fallback : it->second;
}

bool ParseCount(std::string_view text, uint64_t min, uint64_t* out) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || v < min) {
    return false;
  }
  *out = v;
  return true;
}

}  // namespace trove::cli
