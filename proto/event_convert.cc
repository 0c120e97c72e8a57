#include "proto/event_convert.h"

#include <type_traits>
#include <utility>

namespace trove {
namespace {

template <typename S>
void SetText(S&& value, std::string* field) {
  *field = std::forward<S>(value);
  SanitizeUtf8(field);
}

// A member of an event being converted: moved when the event was passed as an rvalue.
template <typename E, typename T>
decltype(auto) ForwardMember(T& member) {
  if constexpr (std::is_lvalue_reference_v<E>) {
    return static_cast<const T&>(member);
  } else {
    return std::move(member);
  }
}

template <typename E>
void EventToProtoImpl(E&& in, v1::Event* out) {
  // Forwarding each member separately is safe: each is moved from at most once.
  out->set_time_ns(in.time_ns);
  SetText(std::forward<E>(in).service, out->mutable_service());
  out->set_level(LevelToProto(in.level));
  SetText(std::forward<E>(in).host, out->mutable_host());
  SetText(std::forward<E>(in).message, out->mutable_message());
  SetText(std::forward<E>(in).trace_id, out->mutable_trace_id());
  SetText(std::forward<E>(in).span_id, out->mutable_span_id());
  SetText(std::forward<E>(in).parent_span_id, out->mutable_parent_span_id());
  out->mutable_attributes()->Reserve(static_cast<int>(in.attributes.size()));
  for (auto& a : in.attributes) {
    v1::Attribute* pa = out->add_attributes();
    SetText(ForwardMember<E>(a.key), pa->mutable_key());
    v1::Value* v = pa->mutable_value();
    if (auto* s = std::get_if<std::string>(&a.value)) {
      SetText(ForwardMember<E>(*s), v->mutable_string_value());
    } else if (const auto* i = std::get_if<int64_t>(&a.value)) {
      v->set_int_value(*i);
    } else if (const auto* d = std::get_if<double>(&a.value)) {
      v->set_double_value(*d);
    } else {
      v->set_bool_value(std::get<bool>(a.value));
    }
  }
}

}  // namespace

void EventToProto(const Event& in, v1::Event* out) { EventToProtoImpl(in, out); }
void EventToProto(Event&& in, v1::Event* out) { EventToProtoImpl(std::move(in), out); }

v1::Level LevelToProto(Level level) {
  static_assert(static_cast<int>(Level::kFatal) == v1::LEVEL_FATAL);
  static_assert(static_cast<int>(Level::kUnknown) == v1::LEVEL_UNKNOWN);
  const int n = static_cast<int>(level);
  return v1::Level_IsValid(n) ? static_cast<v1::Level>(n) : v1::LEVEL_UNKNOWN;
}

}  // namespace trove
