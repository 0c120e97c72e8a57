// Loads plain-text log files (the Loghub samples in ../shared/data/loghub) as events for the
// benchmark. Their JSON-lines form (tools/event_json.h ToJsonLine) is the "raw JSON-equivalent"
// bytes that the compression and throughput figures of DESIGN.md §6 are measured against.
//
// Simpler than the text ingest parser (tools/text_lines.h) on purpose, so that benchmark
// figures stay comparable across runs: the timestamp only at the very start of a line
// (ParseLogTimestamp), never inherited unchanged. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/event.h"
#include "storage/status.h"

namespace trove::bench {

// First event time of a file whose first line has no recognisable timestamp:
// 2024-01-01T00:00:00Z.
inline constexpr int64_t kDefaultStartNs = int64_t{1704067200} * 1'000'000'000;
// Gap given to a line without a timestamp after the previous event.
inline constexpr int64_t kFallbackStepNs = 1'000'000;

// One line = one event: message = the line without "\n" / "\r\n", service = `service`,
// level = ingest::FindLevelWord(line), time = ingest::ParseLogTimestamp(line), else the
// previous event's time + kFallbackStepNs (kDefaultStartNs for the first line). Empty lines
// are skipped; a last line without "\n" is an event. Bytes are kept as read: the store
// replaces invalid UTF-8.
// On an unreadable file returns no events and, when status is given, sets *status to IOError
// naming the file (otherwise OK).
// The Loghub sample directory: `given` when not empty, else ../shared/data/loghub relative to
// the working directory, its parent, or this source tree (so drivers also work when run from
// a build directory).
std::string FindLoghub(const std::string& given);

std::vector<Event> LoadTextLog(const std::string& path, const std::string& service,
                               Status* status = nullptr);

// The message part of the Loghub lines, for EventGenOptions::extra_messages: from each known
// sample in dir (the 2k samples of the 16 Loghub systems and three elastic/examples logs; the
// full Linux.log and Proxifier.log are left out, their 2k samples stand for them) the first
// max_per_file usable lines, in a fixed file order, with the per-format header (timestamp,
// level, pid, …) cut off: "dfs.DataNode$PacketResponder: Received block blk_… of size …",
// "sshd[24275]: Invalid user admin from 187.141.143.180". A line is skipped when it is a
// continuation (no header), leaves an empty message, is longer than max_message_bytes or is
// not valid UTF-8. Files not in the list are ignored and missing ones skipped, so the result
// depends only on the bytes of the known files.
// Returns the messages; when none could be read, returns none and, when status is given, sets
// *status to NotFound naming dir (otherwise OK).
std::vector<std::string> LoadLoghubMessages(const std::string& dir, size_t max_per_file = 2000,
                                            size_t max_message_bytes = 512,
                                            Status* status = nullptr);

}  // namespace trove::bench
