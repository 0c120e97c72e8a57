#include "tests/fault_fs.h"

namespace trove::testing {
namespace {

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectingFileSystem* fs, std::string path,
                    std::unique_ptr<WritableFile> base)
      : fs_(fs), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    uint64_t n;
    Status s = fs_->BeginMutation(FsOp::kAppend, path_, std::to_string(data.size()) + " bytes", &n);
    if (!s.ok()) {
      if (fs_->torn_writes() && data.size() > 1) base_->Append(data.substr(0, data.size() / 2));
      return s;
    }
    s = base_->Append(data);
    fs_->EndMutation(n, FsOp::kAppend, path_);
    return s;
  }
  Status Sync() override {
    return Run(FsOp::kSync, [&] { return base_->Sync(); });
  }
  Status Close() override {
    return Run(FsOp::kClose, [&] { return base_->Close(); });
  }

 private:
  template <typename Perform>
  Status Run(FsOp op, Perform perform) {
    uint64_t n;
    TROVE_RETURN_IF_ERROR(fs_->BeginMutation(op, path_, "", &n));
    Status s = perform();
    fs_->EndMutation(n, op, path_);
    return s;
  }

  FaultInjectingFileSystem* fs_;
  const std::string path_;
  std::unique_ptr<WritableFile> base_;
};

class FaultRandomAccessFile final : public RandomAccessFile {
 public:
  FaultRandomAccessFile(FaultInjectingFileSystem* fs, std::unique_ptr<RandomAccessFile> base)
      : fs_(fs), base_(std::move(base)) {}

  Status Read(uint64_t offset, size_t n, std::string* out) const override {
    bool short_read = false;
    Status s =
        fs_->CheckRead(FsOp::kRead, base_->path(),
                       std::to_string(n) + " bytes at " + std::to_string(offset), &short_read);
    if (!s.ok()) {
      out->clear();
      if (short_read && n > 1 && base_->Read(offset, n / 2, out).ok()) {
        return Status::IOError(base_->path() + ": short read at offset " +
                               std::to_string(offset + n / 2) + " (" + s.message() + ")");
      }
      return s;
    }
    return base_->Read(offset, n, out);
  }
  uint64_t Size() const override { return base_->Size(); }
  const std::string& path() const override { return base_->path(); }

 private:
  FaultInjectingFileSystem* fs_;
  std::unique_ptr<RandomAccessFile> base_;
};

}  // namespace

const char* FsOpName(FsOp op) {
  switch (op) {
    case FsOp::kNewWritableFile:
      return "NewWritableFile";
    case FsOp::kAppend:
      return "Append";
    case FsOp::kSync:
      return "Sync";
    case FsOp::kClose:
      return "Close";
    case FsOp::kRename:
      return "Rename";
    case FsOp::kRemove:
      return "Remove";
    case FsOp::kCreateDirs:
      return "CreateDirs";
    case FsOp::kSyncDir:
      return "SyncDir";
    case FsOp::kNewRandomAccessFile:
      return "NewRandomAccessFile";
    case FsOp::kRead:
      return "Read";
    case FsOp::kListDir:
      return "ListDir";
  }
  return "?";
}

bool IsMutation(FsOp op) { return op <= FsOp::kSyncDir; }

void FaultInjectingFileSystem::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  for (uint64_t& c : counts_) c = 0;
  mutations_ = reads_ = injected_ = 0;
  fail_mutation_at_ = 0;
  fail_later_mutations_ = crash_ = crashed_ = false;
  fail_read_at_ = 0;
  fail_later_reads_ = false;
  read_fault_ = ReadFault::kIOError;
  log_.clear();
}

void FaultInjectingFileSystem::FailMutation(uint64_t n, bool and_later) {
  Reset();
  std::lock_guard<std::mutex> lock(mu_);
  fail_mutation_at_ = n;
  fail_later_mutations_ = and_later;
}

void FaultInjectingFileSystem::CrashAtMutation(uint64_t n) {
  Reset();
  std::lock_guard<std::mutex> lock(mu_);
  fail_mutation_at_ = n;
  fail_later_mutations_ = true;
  crash_ = true;
}

void FaultInjectingFileSystem::FailRead(uint64_t n, bool and_later, ReadFault how) {
  Reset();
  std::lock_guard<std::mutex> lock(mu_);
  fail_read_at_ = n;
  fail_later_reads_ = and_later;
  read_fault_ = how;
}

void FaultInjectingFileSystem::set_disk_full(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  disk_full_ = on;
}

void FaultInjectingFileSystem::set_torn_writes(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  torn_writes_ = on;
}

bool FaultInjectingFileSystem::torn_writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return torn_writes_;
}

void FaultInjectingFileSystem::set_mutation_hook(MutationHook hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = std::move(hook);
}

void FaultInjectingFileSystem::set_path_filter(std::function<bool(std::string_view)> filter) {
  std::lock_guard<std::mutex> lock(mu_);
  filter_ = std::move(filter);
}

uint64_t FaultInjectingFileSystem::mutations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mutations_;
}

uint64_t FaultInjectingFileSystem::reads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reads_;
}

uint64_t FaultInjectingFileSystem::count(FsOp op) const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_[static_cast<int>(op)];
}

uint64_t FaultInjectingFileSystem::injected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_;
}

bool FaultInjectingFileSystem::crashed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return crashed_;
}

std::vector<std::string> FaultInjectingFileSystem::mutation_log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

Status FaultInjectingFileSystem::CheckRead(FsOp op, const std::string& path,
                                           const std::string& detail, bool* short_read) {
  uint64_t n;
  return Check(op, path, detail, short_read, &n);
}

Status FaultInjectingFileSystem::BeginMutation(FsOp op, const std::string& path,
                                               const std::string& detail, uint64_t* n) {
  TROVE_RETURN_IF_ERROR(Check(op, path, detail, nullptr, n));
  MutationHook hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = hook_;
  }
  if (hook && *n != 0) hook(*n, op, path, false);
  return Status::OK();
}

void FaultInjectingFileSystem::EndMutation(uint64_t n, FsOp op, const std::string& path) {
  MutationHook hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = hook_;
  }
  if (hook && n != 0) hook(n, op, path, true);
}

template <typename Perform>
auto FaultInjectingFileSystem::Mutate(FsOp op, const std::string& path, const std::string& detail,
                                      Perform perform) -> decltype(perform()) {
  uint64_t n;
  TROVE_RETURN_IF_ERROR(BeginMutation(op, path, detail, &n));
  auto result = perform();
  EndMutation(n, op, path);
  return result;
}

Status FaultInjectingFileSystem::Check(FsOp op, const std::string& path, const std::string& detail,
                                       bool* short_read, uint64_t* n) {
  std::lock_guard<std::mutex> lock(mu_);
  *n = 0;  // not counted
  if (filter_ && !filter_(path)) return Status::OK();
  ++counts_[static_cast<int>(op)];
  bool fail = crashed_;
  if (IsMutation(op)) {
    *n = ++mutations_;
    if (fail_mutation_at_ != 0 && (mutations_ == fail_mutation_at_ ||
                                   (fail_later_mutations_ && mutations_ > fail_mutation_at_))) {
      fail = true;
      if (crash_) crashed_ = true;
    }
    std::string entry = std::string(FsOpName(op)) + " " + path;
    if (!detail.empty()) entry += " " + detail;
    if (fail) entry += " [FAILED]";
    log_.push_back(std::move(entry));
  } else if (op == FsOp::kRead) {
    ++reads_;
    if (fail_read_at_ != 0 &&
        (reads_ == fail_read_at_ || (fail_later_reads_ && reads_ > fail_read_at_))) {
      fail = true;
      if (short_read) *short_read = read_fault_ == ReadFault::kShort;
    }
  }
  if (!fail) return Status::OK();
  ++injected_;
  const std::string message = std::string("injected fault: ") + FsOpName(op) + " " + path +
                              (detail.empty() ? "" : " (" + detail + ")");
  if (disk_full_) return Status::ResourceExhausted(message + ": No space left on device");
  return Status::IOError(message);
}

Result<std::unique_ptr<WritableFile>> FaultInjectingFileSystem::NewWritableFile(
    const std::string& path) {
  TROVE_ASSIGN_OR_RETURN(auto file, Mutate(FsOp::kNewWritableFile, path, "",
                                           [&] { return base_->NewWritableFile(path); }));
  return std::unique_ptr<WritableFile>(new FaultWritableFile(this, path, std::move(file)));
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectingFileSystem::NewRandomAccessFile(
    const std::string& path) {
  TROVE_RETURN_IF_ERROR(CheckRead(FsOp::kNewRandomAccessFile, path));
  TROVE_ASSIGN_OR_RETURN(auto file, base_->NewRandomAccessFile(path));
  return std::unique_ptr<RandomAccessFile>(new FaultRandomAccessFile(this, std::move(file)));
}

Status FaultInjectingFileSystem::RenameFile(const std::string& from, const std::string& to) {
  return Mutate(FsOp::kRename, from, "-> " + to, [&] { return base_->RenameFile(from, to); });
}

Status FaultInjectingFileSystem::RemoveFile(const std::string& path) {
  return Mutate(FsOp::kRemove, path, "", [&] { return base_->RemoveFile(path); });
}

Status FaultInjectingFileSystem::CreateDirs(const std::string& path) {
  return Mutate(FsOp::kCreateDirs, path, "", [&] { return base_->CreateDirs(path); });
}

Status FaultInjectingFileSystem::SyncDir(const std::string& dir) {
  return Mutate(FsOp::kSyncDir, dir, "", [&] { return base_->SyncDir(dir); });
}

Result<std::vector<std::string>> FaultInjectingFileSystem::ListDir(const std::string& dir) {
  TROVE_RETURN_IF_ERROR(CheckRead(FsOp::kListDir, dir));
  return base_->ListDir(dir);
}

bool FaultInjectingFileSystem::FileExists(const std::string& path) {
  return base_->FileExists(path);
}

}  // namespace trove::testing
