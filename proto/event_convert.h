// Stored events in their wire form (trove.v1.Event): one conversion for troved's answers, the
// trove CLI's ingest requests and the benchmark driver's.
#pragma once

#include "proto/trove.pb.h"
#include "storage/event.h"

namespace trove {

// Fills *out from an event. Text that is not valid UTF-8 (IDs are stored as sent) goes out with
// U+FFFD replacements (DESIGN.md §1), because a proto3 `string` holding it would fail the
// receiver's parse.
void EventToProto(const Event& in, v1::Event* out);
// The same, moving the strings out of *in (left valid but unspecified).
void EventToProto(Event&& in, v1::Event* out);

// storage/event.h and trove.proto number the levels alike; an unknown number maps to
// LEVEL_UNKNOWN.
v1::Level LevelToProto(Level level);

}  // namespace trove
