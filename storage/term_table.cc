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

// Walks the entries of one decoded block: fn(key, value, offset of the entry in raw) returns
// false to stop. Returns false on corruption.
template <typename Fn>
bool ForEachEntry(std::string_view raw, Fn&& fn) {
  Decoder d(raw);
  std::string key;
  while (!d.done()) {
    const size_t at = raw.size() - d.remaining();
    uint64_t shared;
    std::string_view suffix, value;
    if (!d.GetVarint64(&shared) || shared > key.size() || !d.GetLengthPrefixed(&suffix) ||
        !d.GetLengthPrefixed(&value)) {
      return false;
    }
    key.resize(shared);
    key.append(suffix);
    if (!fn(std::string_view(key), value, at)) return true;
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

// SeekInBlock for an indexed block: from the last restart whose key is at most key, the same
// scan, over at most kTermRestartEvery entries.
int SeekInIndexedBlock(const TermBlock& block, std::string_view key, std::string_view* value) {
  const size_t n = block.restart_offsets.size();
  size_t lo = 0, hi = n;  // the answer is the last restart with key <= sought: in [lo, hi)
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    if (block.RestartKey(mid) <= key) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  const std::string_view start = block.RestartKey(lo);
  if (start > key) return 0;  // below the block's first key
  // The entries from restart lo up to the next restart.
  const size_t from = block.restart_offsets[lo];
  const size_t to = lo + 1 < n ? block.restart_offsets[lo + 1] : block.raw.size();
  Decoder d(std::string_view(block.raw).substr(from, to - from));
  uint64_t shared;
  std::string_view suffix, v;
  if (!d.GetVarint64(&shared) || !d.GetLengthPrefixed(&suffix) || !d.GetLengthPrefixed(&v)) {
    return -1;
  }
  if (start == key) {
    *value = v;
    return 1;
  }
  // The restart entry is below key; go on as SeekInBlock does.
  size_t matched = 0;
  while (matched < start.size() && matched < key.size() && start[matched] == key[matched]) {
    ++matched;
  }
  size_t prev_len = start.size();
  while (!d.done()) {
    if (!d.GetVarint64(&shared) || shared > prev_len || !d.GetLengthPrefixed(&suffix) ||
        !d.GetLengthPrefixed(&v)) {
      return -1;
    }
    prev_len = shared + suffix.size();
    if (shared > matched) continue;
    if (shared < matched) return 0;
    const std::string_view rest = key.substr(matched);
    size_t t = 0;
    while (t < suffix.size() && t < rest.size() && suffix[t] == rest[t]) ++t;
    if (t == suffix.size() && t == rest.size()) {
      *value = v;
      return 1;
    }
    if (t == rest.size()) return 0;
    if (t < suffix.size() && static_cast<uint8_t>(suffix[t]) > static_cast<uint8_t>(rest[t])) {
      return 0;
    }
    matched += t;
  }
  return 0;  // the next restart's key is above key
}

Status BadBlock(const RandomAccessFile& file, const BlockHandle& h) {
  return Status::Corruption(file.path() + " at offset " + std::to_string(h.offset) +
                            ": malformed term block");
}

}  // namespace

Result<std::optional<std::string>> TermTableReader::Get(std::string_view key) const {
  TermValue found;
  TROVE_ASSIGN_OR_RETURN(bool present, Find(key, &found));
  if (!present) return std::optional<std::string>();
  return std::optional<std::string>(std::string(found.value));
}

Result<bool> TermTableReader::Find(std::string_view key, TermValue* out) const {
  const auto& firsts = meta_->first_keys;
  auto it = std::upper_bound(firsts.begin(), firsts.end(), key,
                             [](std::string_view k, const std::string& f) { return k < f; });
  if (it == firsts.begin()) return false;
  size_t b = static_cast<size_t>(it - firsts.begin()) - 1;
  TROVE_ASSIGN_OR_RETURN(out->block, LoadBlock(b, true));
  const TermBlock& block = *out->block;
  const int found = block.restart_offsets.empty() ? SeekInBlock(block.raw, key, &out->value)
                                                  : SeekInIndexedBlock(block, key, &out->value);
  switch (found) {
    case 1:
      out->position = uint64_t{b} << 32 | static_cast<uint64_t>(out->value.data() - block.raw.data());
      return true;
    case 0: return false;
    default: return BadBlock(*file_, meta_->blocks[b]);
  }
}

Result<std::shared_ptr<const TermBlock>> TermTableReader::LoadBlock(size_t b,
                                                                    bool fill_cache) const {
  const BlockHandle& h = meta_->blocks[b];
  TermBlockCache* cache = TermBlockCache::Default();
  if (cache_id_ != 0) {
    if (auto hit = cache->Lookup(cache_id_, h.offset)) return hit;
  }
  auto block = std::make_shared<TermBlock>();
  TROVE_RETURN_IF_ERROR(ReadBlock(*file_, h, &block->raw));
  const bool keep = cache_id_ != 0 && fill_cache;
  if (keep && !block->Index()) return BadBlock(*file_, h);
  std::shared_ptr<const TermBlock> out = std::move(block);
  if (keep) cache->Insert(cache_id_, h.offset, out);
  return out;
}

bool TermBlock::Index() {
  restart_keys.clear();
  restart_ends.clear();
  restart_offsets.clear();
  size_t i = 0;
  bool ascending = true;
  const bool ok = ForEachEntry(raw, [&](std::string_view key, std::string_view, size_t at) {
    if (i++ % kTermRestartEvery != 0) return true;
    // Keys must ascend for the binary search (a damaged block may say otherwise).
    if (!restart_ends.empty() && key <= RestartKey(restart_ends.size() - 1)) {
      ascending = false;
      return false;
    }
    restart_keys += key;
    restart_ends.push_back(static_cast<uint32_t>(restart_keys.size()));
    restart_offsets.push_back(static_cast<uint32_t>(at));
    return true;
  });
  return ok && ascending;
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
    TROVE_ASSIGN_OR_RETURN(std::shared_ptr<const TermBlock> block, LoadBlock(b, fill_cache));
    bool stop = false;
    bool ok = ForEachEntry(block->raw, [&](std::string_view k, std::string_view v, size_t) {
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
