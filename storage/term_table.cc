#include "storage/term_table.h"

#include <algorithm>

#include "storage/block_cache.h"

namespace trove {

void TermTableMeta::EncodeTo(std::string* dst) const {
  PutVarint64(dst, num_keys);
  PutVarint64(dst, blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    PutLengthPrefixed(dst, first_keys[i]);
    blocks[i].EncodeTo(dst);
  }
}

bool TermTableMeta::DecodeFrom(Decoder* d) {
  uint64_t n;
  if (!d->GetVarint64(&num_keys) || !d->GetVarint64(&n) || n > d->remaining()) return false;
  first_keys.resize(n);
  blocks.resize(n);
  for (size_t i = 0; i < n; ++i) {
    std::string_view k;
    if (!d->GetLengthPrefixed(&k) || !blocks[i].DecodeFrom(d)) return false;
    if (i > 0 && !(first_keys[i - 1] < k)) return false;
    first_keys[i].assign(k);
  }
  return true;
}

Status TermTableBuilder::Add(std::string_view key, std::string_view value) {
  if (!block_open_) {
    meta_.first_keys.emplace_back(key);
    block_open_ = true;
    last_key_.clear();
  }
  size_t shared = 0;
  const size_t limit = std::min(last_key_.size(), key.size());
  while (shared < limit && last_key_[shared] == key[shared]) ++shared;
  PutVarint64(&block_, shared);
  PutLengthPrefixed(&block_, key.substr(shared));
  PutLengthPrefixed(&block_, value);
  last_key_.assign(key);
  ++meta_.num_keys;
  if (block_.size() >= block_bytes_) return FlushBlock();
  return Status::OK();
}

Status TermTableBuilder::FlushBlock() {
  if (!block_open_) return Status::OK();
  BlockHandle h;
  TROVE_RETURN_IF_ERROR(writer_->Add(block_, &h));
  meta_.blocks.push_back(h);
  block_.clear();
  block_open_ = false;
  return Status::OK();
}

Status TermTableBuilder::Finish(TermTableMeta* meta) {
  TROVE_RETURN_IF_ERROR(FlushBlock());
  *meta = std::move(meta_);
  return Status::OK();
}

namespace {

// Walks the entries of one decoded block; fn returns false to stop. Returns false on corruption.
template <typename Fn>
bool ForEachEntry(std::string_view raw, Fn&& fn) {
  Decoder d(raw);
  std::string key;
  while (!d.done()) {
    uint64_t shared;
    std::string_view suffix, value;
    if (!d.GetVarint64(&shared) || shared > key.size() || !d.GetLengthPrefixed(&suffix) ||
        !d.GetLengthPrefixed(&value)) {
      return false;
    }
    key.resize(shared);
    key.append(suffix);
    if (!fn(std::string_view(key), value)) return true;
  }
  return true;
}

// Finds key in one decoded block without rebuilding the keys it passes over. Keys ascend and
// each shares `shared` bytes (the most it can) with the one before, so `matched`, the length
// of the common prefix of the previous key and the sought one, decides most entries without
// reading their suffix. 1: found (*value set); 0: absent; -1: malformed block.
int SeekInBlock(std::string_view raw, std::string_view key, std::string_view* value) {
  Decoder d(raw);
  size_t matched = 0;   // common prefix of the previous key and key
  size_t prev_len = 0;  // length of the previous key
  while (!d.done()) {
    uint64_t shared;
    std::string_view suffix, v;
    if (!d.GetVarint64(&shared) || shared > prev_len || !d.GetLengthPrefixed(&suffix) ||
        !d.GetLengthPrefixed(&v)) {
      return -1;
    }
    prev_len = shared + suffix.size();
    if (shared > matched) continue;  // equal to the previous key where it was below key: below
    if (shared < matched) return 0;  // above the previous key where it agreed with key: above
    // The entry agrees with key on [0, matched); compare the rest.
    const std::string_view rest = key.substr(matched);
    size_t t = 0;
    while (t < suffix.size() && t < rest.size() && suffix[t] == rest[t]) ++t;
    if (t == suffix.size() && t == rest.size()) {
      *value = v;
      return 1;
    }
    if (t == rest.size()) return 0;  // key is a proper prefix of the entry: above
    if (t < suffix.size() && static_cast<uint8_t>(suffix[t]) > static_cast<uint8_t>(rest[t])) {
      return 0;
    }
    matched += t;  // the entry is below key
  }
  return 0;
}

Status BadBlock(const RandomAccessFile& file, const BlockHandle& h) {
  return Status::Corruption(file.path() + " at offset " + std::to_string(h.offset) +
                            ": malformed term block");
}

}  // namespace

Result<std::optional<std::string>> TermTableReader::Get(std::string_view key) const {
  const auto& firsts = meta_->first_keys;
  auto it = std::upper_bound(firsts.begin(), firsts.end(), key,
                             [](std::string_view k, const std::string& f) { return k < f; });
  if (it == firsts.begin()) return std::optional<std::string>();
  size_t b = static_cast<size_t>(it - firsts.begin()) - 1;
  TROVE_ASSIGN_OR_RETURN(std::shared_ptr<const std::string> raw, LoadBlock(b, true));
  std::string_view value;
  switch (SeekInBlock(*raw, key, &value)) {
    case 1: return std::optional<std::string>(std::string(value));
    case 0: return std::optional<std::string>();
    default: return BadBlock(*file_, meta_->blocks[b]);
  }
}

Result<std::shared_ptr<const std::string>> TermTableReader::LoadBlock(size_t b,
                                                                      bool fill_cache) const {
  const BlockHandle& h = meta_->blocks[b];
  TermBlockCache* cache = TermBlockCache::Default();
  if (cache_id_ != 0) {
    if (auto hit = cache->Lookup(cache_id_, h.offset)) return hit;
  }
  auto raw = std::make_shared<std::string>();
  TROVE_RETURN_IF_ERROR(ReadBlock(*file_, h, raw.get()));
  std::shared_ptr<const std::string> out = std::move(raw);
  if (cache_id_ != 0 && fill_cache) cache->Insert(cache_id_, h.offset, out);
  return out;
}

Status TermTableReader::Scan(
    std::string_view prefix,
    const std::function<bool(std::string_view, std::string_view)>& fn, bool fill_cache) const {
  const auto& firsts = meta_->first_keys;
  // The first block that may hold a key ≥ prefix is the last whose first key ≤ prefix.
  auto it = std::upper_bound(firsts.begin(), firsts.end(), prefix,
                             [](std::string_view k, const std::string& f) { return k < f; });
  size_t b = it == firsts.begin() ? 0 : static_cast<size_t>(it - firsts.begin()) - 1;
  for (; b < firsts.size(); ++b) {
    std::string_view first = firsts[b];
    if (first > prefix && first.substr(0, prefix.size()) != prefix) break;  // past the range
    TROVE_ASSIGN_OR_RETURN(std::shared_ptr<const std::string> raw, LoadBlock(b, fill_cache));
    bool stop = false;
    bool ok = ForEachEntry(*raw, [&](std::string_view k, std::string_view v) {
      if (k.substr(0, prefix.size()) == prefix) {
        if (!fn(k, v)) {
          stop = true;
          return false;
        }
      } else if (k > prefix) {
        stop = true;
        return false;
      }
      return true;
    });
    if (!ok) return BadBlock(*file_, meta_->blocks[b]);
    if (stop) break;
  }
  return Status::OK();
}

}  // namespace trove
