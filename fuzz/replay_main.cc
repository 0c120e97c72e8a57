// Replays inputs through a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so that
// every corpus file and every crash once found is a plain regression test in the normal build
// (ctest FuzzReplay.<target>) under gcc, Release and ASan alike.
//
// Usage: <target>_replay PATH...
// A directory stands for the regular files directly inside it, in name order; subdirectories
// (such as known-failures/) are not entered. A missing directory is skipped (regressions/<target>
// exists only once something was found). Exit status 0 once every input has run; a bug aborts.
// Fails when no input at all was found, so that a mistyped path cannot pass vacuously.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> files;
      for (const fs::directory_entry& e : fs::directory_iterator(arg)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      printf("%s: %zu inputs\n", arg.c_str(), files.size());
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else if (fs::is_regular_file(arg, ec)) {
      inputs.push_back(arg);
    } else {
      printf("%s: absent, skipped\n", arg.c_str());
    }
  }
  if (inputs.empty()) {
    fprintf(stderr, "replay: no inputs found\n");
    return 1;
  }
  for (const fs::path& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      fprintf(stderr, "replay: cannot read %s\n", p.c_str());
      return 1;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // A copy in its own allocation, so that ASan catches reads past the end as libFuzzer does.
    std::vector<uint8_t> data(bytes.begin(), bytes.end());
    fprintf(stderr, "replay: %s (%zu bytes)\n", p.c_str(), data.size());
    LLVMFuzzerTestOneInput(data.data(), data.size());
  }
  printf("replayed %zu inputs\n", inputs.size());
  return 0;
}
