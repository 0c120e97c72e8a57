#include "bench/event_gen.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <iterator>

namespace trove::bench {

// ---------------------------------------------------------------------------------------------
// Rng

namespace {
uint64_t SplitMix64(uint64_t* x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& s : s_) s = SplitMix64(&seed);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Rng::Uniform(uint64_t n) {
  // Lemire's multiply-shift; the tiny bias is irrelevant for test data.
  return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
}

int64_t Rng::Range(int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(Uniform(static_cast<uint64_t>(hi - lo) + 1));
}

// ---------------------------------------------------------------------------------------------
// The shop: services, routes, message templates

namespace {

enum Svc : uint8_t {
  kGateway,
  kFrontend,
  kAuth,
  kUser,
  kCatalog,
  kSearch,
  kRecommendation,
  kCart,
  kCheckout,
  kPayment,
  kShipping,
  kInventory,
  kPricing,
  kNotification,
  kEmail,
  kOrder,
  kFraud,
  kAd,
  kCurrency,
  kReview,
  kNumServices
};

constexpr std::string_view kServiceNames[kNumServices] = {
    "api-gateway", "frontend", "auth",    "user",     "catalog",   "search",  "recommendation",
    "cart",        "checkout", "payment", "shipping", "inventory", "pricing", "notification",
    "email",       "order",    "fraud",   "ad",       "currency",  "review"};
// Java-style class stems for stack traces.
constexpr const char* kClassNames[kNumServices] = {
    "ApiGateway", "Frontend", "Auth",    "User",     "Catalog",   "Search",  "Recommendation",
    "Cart",       "Checkout", "Payment", "Shipping", "Inventory", "Pricing", "Notification",
    "Email",      "Order",    "Fraud",   "Ad",       "Currency",  "Review"};
// The table each service mostly queries.
constexpr const char* kTables[kNumServices] = {
    "routes", "sessions",  "sessions",    "users",     "products",  "products", "user_vectors",
    "carts",  "checkouts", "payments",    "shipments", "inventory", "prices",   "notifications",
    "emails", "orders",    "risk_scores", "campaigns", "fx_rates",  "reviews"};

struct Route {
  const char* method;
  const char* route;  // http.route
  uint32_t weight;    // relative frequency
  Svc entry;
  std::vector<Svc> downstream;
};

const std::vector<Route>& Routes() {
  static const std::vector<Route> kRoutes = {
      {"GET",
       "/api/v1/products/{id}",
       30,
       kFrontend,
       {kCatalog, kPricing, kInventory, kReview, kRecommendation, kCurrency}},
      {"GET", "/api/v1/search", 20, kFrontend, {kSearch, kCatalog, kAd}},
      {"GET", "/api/v1/cart", 10, kCart, {kAuth, kPricing, kCurrency}},
      {"POST", "/api/v1/cart/items", 10, kCart, {kAuth, kInventory, kPricing}},
      {"POST",
       "/api/v1/checkout",
       6,
       kCheckout,
       {kAuth, kCart, kPricing, kCurrency, kFraud, kPayment, kInventory, kOrder, kShipping,
        kNotification, kEmail}},
      {"POST", "/api/v1/login", 8, kAuth, {kUser}},
      {"GET", "/api/v1/orders/{id}", 6, kOrder, {kAuth, kShipping}},
      {"GET", "/api/v1/recommendations", 5, kRecommendation, {kCatalog, kAd}},
      {"GET", "/api/v1/users/{id}/profile", 3, kUser, {kAuth}},
      {"POST", "/api/v1/reviews", 2, kReview, {kAuth, kUser, kNotification}},
  };
  return kRoutes;
}

constexpr const char* kUserAgents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 Version/17.3 Safari/605.1",
    "shop-android/5.12.1 (Pixel 8; Android 14)",
    "shop-ios/5.12.0 (iPhone15,2; iOS 17.4)",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
};
constexpr const char* kSearchTerms[] = {
    "wireless headphones", "running shoes", "usb-c cable",
    "coffee grinder",      "desk lamp",     "yoga mat",
    "phone case",          "backpack",      "water bottle",
    "mechanical keyboard",
};
constexpr const char* kCurrencies[] = {"EUR", "GBP", "JPY", "CHF", "SEK"};
constexpr const char* kCarriers[] = {"ups", "dhl", "fedex", "usps"};
constexpr const char* kDeclineReasons[] = {"card_declined (insufficient_funds)",
                                           "card_declined (do_not_honor)", "expired_card",
                                           "incorrect_cvc", "card_declined (fraudulent)"};
constexpr const char* kCardBrands[] = {"visa", "mastercard", "amex"};
constexpr const char* kPodAlphabet = "bcdfghjklmnpqrstvwxz2456789";

[[gnu::format(printf, 1, 2)]] std::string Fmt(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return std::string();
  return std::string(buf,
                     static_cast<size_t>(n) < sizeof buf ? static_cast<size_t>(n) : sizeof buf - 1);
}

std::string Hex(Rng* rng, size_t bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  uint64_t word = 0;
  for (size_t i = 0; i < bytes; ++i) {
    if (i % 8 == 0) word = rng->Next();
    const auto b = static_cast<uint8_t>(word >> (8 * (i % 8)));
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

// Three pods per service, named like Kubernetes pods: "cart-7d9f8c6b5f-x2k4p".
const std::vector<std::string>& Pods(Svc svc) {
  static const std::vector<std::vector<std::string>> kPods = [] {
    std::vector<std::vector<std::string>> pods(kNumServices);
    Rng rng(0x90d5);
    for (int s = 0; s < kNumServices; ++s) {
      const std::string replica_set = Hex(&rng, 5);
      for (int p = 0; p < 3; ++p) {
        std::string name = std::string(kServiceNames[s]) + "-" + replica_set + "-";
        for (int i = 0; i < 5; ++i) name.push_back(kPodAlphabet[rng.Uniform(27)]);
        pods[static_cast<size_t>(s)].push_back(std::move(name));
      }
    }
    return pods;
  }();
  return kPods[svc];
}

// "12.34" from cents.
std::string Money(int64_t cents) {
  return Fmt("%lld.%02lld", static_cast<long long>(cents / 100),
             static_cast<long long>(cents % 100));
}
// "12.3" ms from microseconds.
std::string Millis(int64_t us) {
  return Fmt("%lld.%lld", static_cast<long long>(us / 1000),
             static_cast<long long>(us % 1000 / 100));
}

// What every event of one request shares.
struct RequestContext {
  const Route* route;
  std::string path;  // concrete path
  uint32_t user;
  std::string user_id;
  std::string client_ip;
  std::string trace_id;
  const char* user_agent;
  int64_t product;
  int64_t order;
  int64_t amount_cents;
  int items;
  std::string sku;
};

// A failure recorded while writing a span's events; decides the HTTP status.
enum class Failure { kNone, kDeclined, kTimeout, kUnavailable, kInternal };

int StatusFor(Failure f, Rng* rng) {
  switch (f) {
    case Failure::kDeclined:
      return 402;
    case Failure::kTimeout:
      return 504;
    case Failure::kUnavailable:
      return 503;
    case Failure::kInternal:
      return rng->Percent(80) ? 500 : 502;
    case Failure::kNone:
      break;
  }
  return 200;
}

// Errors cluster in failing requests (as in real traffic), so this percentage of requests
// fails: one span ends in errors and the request returns 4xx/5xx. Tuned with the level mix
// below to give ~85% INFO, 8% DEBUG, 5% WARN, 2% ERROR overall.
constexpr uint32_t kFailingRequestPercent = 10;

// The level of an event of a span that is not failing.
Level DrawLevel(Rng* rng) {
  const uint64_t r = rng->Uniform(1000);
  if (r < 107) return Level::kDebug;
  if (r < 170) return Level::kWarn;
  return Level::kInfo;
}

std::string SqlQuery(Svc svc, const RequestContext& c, Rng* rng, int64_t* latency_us) {
  const char* table = kTables[svc];
  *latency_us += rng->Range(300, 6000);
  const int64_t rows = rng->Range(0, 3) == 0 ? rng->Range(2, 40) : 1;
  switch (rng->Uniform(4)) {
    case 0:
      return Fmt(
          "SELECT id, created_at, updated_at, payload FROM %s WHERE id = %lld (%lld rows, "
          "%s ms)",
          table, static_cast<long long>(c.product + svc), static_cast<long long>(rows),
          Millis(*latency_us).c_str());
    case 1:
      return Fmt(
          "SELECT * FROM %s WHERE user_id = %u ORDER BY created_at DESC LIMIT 20 "
          "(%lld rows, %s ms)",
          table, c.user, static_cast<long long>(rows), Millis(*latency_us).c_str());
    case 2:
      return Fmt(
          "UPDATE %s SET updated_at = now(), version = version + 1 WHERE id = %lld "
          "(1 row, %s ms)",
          table, static_cast<long long>(c.order), Millis(*latency_us).c_str());
    default:
      return Fmt(
          "INSERT INTO %s (user_id, trace_id, created_at) VALUES (%u, '%.16s', now()) "
          "(1 row, %s ms)",
          table, c.user, c.trace_id.c_str(), Millis(*latency_us).c_str());
  }
}

std::string DebugMessage(Svc svc, const RequestContext& c, Rng* rng, int64_t* latency_us) {
  switch (rng->Uniform(6)) {
    case 0:
      return Fmt("cache hit key=%s:%lld ttl=%llds", kTables[svc], static_cast<long long>(c.product),
                 static_cast<long long>(rng->Range(5, 600)));
    case 1:
      *latency_us += rng->Range(800, 9000);
      return Fmt("cache miss key=%s:%s, loading from postgres", kTables[svc], c.user_id.c_str());
    case 2:
      return Fmt("db pool stats active=%lld idle=%lld waiting=%lld max=32",
                 static_cast<long long>(rng->Range(1, 20)),
                 static_cast<long long>(rng->Range(0, 12)),
                 static_cast<long long>(rng->Range(0, 2)));
    case 3:
      return Fmt("feature flag %s=%s for %s (rollout %lld%%)",
                 rng->Percent(50) ? "new_checkout_flow" : "ranking_v2",
                 rng->Percent(30) ? "on" : "off", c.user_id.c_str(),
                 static_cast<long long>(rng->Range(1, 100)));
    default:
      return SqlQuery(svc, c, rng, latency_us);
  }
}

std::string WarnMessage(Svc svc, const RequestContext& c, Rng* rng, int64_t* latency_us) {
  if (svc == kInventory && rng->Percent(40)) {
    return Fmt("low stock %s remaining=%lld threshold=5 warehouse=fra-%lld", c.sku.c_str(),
               static_cast<long long>(rng->Range(0, 4)), static_cast<long long>(rng->Range(1, 3)));
  }
  if (svc == kAuth && rng->Percent(40)) {
    return Fmt("token for %s expires in %llds, refresh advised", c.user_id.c_str(),
               static_cast<long long>(rng->Range(5, 60)));
  }
  switch (rng->Uniform(4)) {
    case 0: {
      *latency_us += rng->Range(1'000'000, 2'500'000);
      return Fmt("slow query %s ms (threshold 1000 ms): SELECT * FROM %s WHERE user_id = %u",
                 Millis(*latency_us).c_str(), kTables[svc], c.user);
    }
    case 1: {
      *latency_us += rng->Range(50'000, 400'000);
      const auto& routes = Routes();
      const Route& other = routes[rng->Uniform(routes.size())];
      return Fmt("retrying call to %.*s:8080 after HTTP 503 (attempt %lld/3, backoff %lld ms)",
                 static_cast<int>(kServiceNames[other.entry].size()),
                 kServiceNames[other.entry].data(), static_cast<long long>(rng->Range(2, 3)),
                 static_cast<long long>(rng->Range(50, 400)));
    }
    case 2:
      return Fmt("circuit breaker for %s-db half-open after %lld consecutive failures",
                 kTables[svc], static_cast<long long>(rng->Range(3, 10)));
    default:
      return Fmt("request from %s uses deprecated header X-Client-Version=%lld.%lld",
                 c.client_ip.c_str(), static_cast<long long>(rng->Range(3, 4)),
                 static_cast<long long>(rng->Range(0, 9)));
  }
}

std::string ErrorMessage(Svc svc, const RequestContext& c, Rng* rng, int64_t* latency_us,
                         Failure* failure) {
  if (svc == kPayment && rng->Percent(60)) {
    *failure = Failure::kDeclined;
    return Fmt("payment declined for order ord-%lld: %s amount=%s USD card=%s ****%04lld",
               static_cast<long long>(c.order), rng->Pick(kDeclineReasons),
               Money(c.amount_cents).c_str(), rng->Pick(kCardBrands),
               static_cast<long long>(rng->Range(0, 9999)));
  }
  const char* cls = kClassNames[svc];
  const std::string pkg = [&] {
    std::string p;
    for (char ch : kServiceNames[svc]) {
      if (ch != '-') p.push_back(ch);
    }
    return p;
  }();
  switch (rng->Uniform(4)) {
    case 0: {
      *failure = Failure::kTimeout;
      *latency_us += 3'000'000;
      const Route& other = Routes()[rng->Uniform(Routes().size())];
      return Fmt("upstream request timeout after 3000 ms calling %.*s:8080%s (attempt 3/3)",
                 static_cast<int>(kServiceNames[other.entry].size()),
                 kServiceNames[other.entry].data(), other.route);
    }
    case 1:
      *failure = Failure::kInternal;
      return Fmt(
          "java.net.SocketTimeoutException: Read timed out\n"
          "\tat com.shop.%s.client.HttpClient.execute(HttpClient.java:%lld)\n"
          "\tat com.shop.%s.%sService.handle(%sService.java:%lld)",
          pkg.c_str(), static_cast<long long>(rng->Range(100, 400)), pkg.c_str(), cls, cls,
          static_cast<long long>(rng->Range(40, 300)));
    case 2:
      *failure = Failure::kUnavailable;
      return Fmt(
          "dial tcp 10.%lld.%lld.%lld:5432: connect: connection refused (%s-db, pool "
          "exhausted after %lld retries)",
          static_cast<long long>(rng->Range(0, 3)), static_cast<long long>(rng->Range(0, 255)),
          static_cast<long long>(rng->Range(1, 254)), kTables[svc],
          static_cast<long long>(rng->Range(3, 5)));
    default:
      *failure = Failure::kInternal;
      return Fmt(
          "java.lang.NullPointerException: Cannot invoke \"%s.getId()\" because \"%s\" is "
          "null\n\tat com.shop.%s.%sController.get(%sController.java:%lld)",
          cls, rng->Percent(50) ? "entity" : "session", pkg.c_str(), cls, cls,
          static_cast<long long>(rng->Range(30, 250)));
  }
}

std::string InfoMessage(Svc svc, const RequestContext& c, Rng* rng, int64_t* latency_us) {
  *latency_us += rng->Range(200, 8000);
  const auto ll = [](int64_t v) { return static_cast<long long>(v); };
  switch (svc) {
    case kGateway:
      return Fmt("route matched %s -> %.*s:8080", c.route->route,
                 static_cast<int>(kServiceNames[c.route->entry].size()),
                 kServiceNames[c.route->entry].data());
    case kFrontend:
      return Fmt("rendered %s for %s in %s ms (template=%s, locale=%s)", c.path.c_str(),
                 c.user_id.c_str(), Millis(*latency_us).c_str(),
                 rng->Percent(70) ? "product_page" : "listing",
                 rng->Percent(60) ? "en_US" : "de_DE");
    case kAuth:
      return Fmt("token validated for %s scopes=[cart:write orders:read] expires_in=%llds",
                 c.user_id.c_str(), ll(rng->Range(60, 3600)));
    case kUser:
      return Fmt("loaded profile for %s (tier=%s, locale=%s, orders=%lld)", c.user_id.c_str(),
                 rng->Percent(20) ? "gold" : "standard", rng->Percent(60) ? "en_US" : "fr_FR",
                 ll(rng->Range(0, 80)));
    case kCatalog:
      return Fmt("product %lld fetched sku=%s variants=%lld in %s ms", ll(c.product), c.sku.c_str(),
                 ll(rng->Range(1, 8)), Millis(*latency_us).c_str());
    case kSearch:
      return Fmt("search query=\"%s\" hits=%lld took %s ms shard=%lld", rng->Pick(kSearchTerms),
                 ll(rng->Range(0, 2000)), Millis(*latency_us).c_str(), ll(rng->Range(0, 7)));
    case kRecommendation:
      return Fmt("served %lld recommendations for %s model=als-v7 candidates=%lld",
                 ll(rng->Range(4, 24)), c.user_id.c_str(), ll(rng->Range(100, 900)));
    case kCart:
      return Fmt("added %s x%d to cart of %s (%d items, subtotal %s USD)", c.sku.c_str(),
                 1 + static_cast<int>(rng->Uniform(3)), c.user_id.c_str(), c.items,
                 Money(c.amount_cents).c_str());
    case kCheckout:
      return Fmt("checkout started for %s: %d items total=%s USD shipping=%s", c.user_id.c_str(),
                 c.items, Money(c.amount_cents).c_str(), rng->Pick(kCarriers));
    case kPayment:
      return Fmt("payment authorized for order ord-%lld amount=%s USD via stripe auth_code=%s",
                 ll(c.order), Money(c.amount_cents).c_str(), Hex(rng, 3).c_str());
    case kShipping:
      return Fmt("shipping quote carrier=%s service=ground cost=%s USD eta=%lldd zip=%05lld",
                 rng->Pick(kCarriers), Money(rng->Range(399, 2499)).c_str(), ll(rng->Range(1, 7)),
                 ll(rng->Range(1000, 99999)));
    case kInventory:
      return Fmt("reserved %s x%d warehouse=fra-%lld remaining=%lld", c.sku.c_str(), c.items,
                 ll(rng->Range(1, 3)), ll(rng->Range(5, 900)));
    case kPricing:
      return Fmt("price computed for %s: base=%s discount=%lld%% rule=%s", c.sku.c_str(),
                 Money(c.amount_cents / c.items).c_str(), ll(rng->Range(0, 4) * 5),
                 rng->Percent(50) ? "spring-sale" : "none");
    case kNotification:
      return Fmt("queued push notification order_confirmed for %s device=%s", c.user_id.c_str(),
                 rng->Percent(50) ? "ios" : "android");
    case kEmail:
      return Fmt("sent email template=order_confirmation to %s@example.com via ses message_id=%s",
                 c.user_id.c_str(), Hex(rng, 12).c_str());
    case kOrder:
      return Fmt("order ord-%lld status %s -> %s", ll(c.order),
                 rng->Percent(50) ? "pending" : "paid", rng->Percent(50) ? "confirmed" : "shipped");
    case kFraud:
      return Fmt("fraud score 0.%02lld for %s order ord-%lld decision=allow model=gbm-v3",
                 ll(rng->Range(0, 40)), c.user_id.c_str(), ll(c.order));
    case kAd:
      return Fmt("served ad campaign=cmp-%lld slot=%s ctr_pred=0.%03lld",
                 ll(rng->Range(1000, 1200)), rng->Percent(50) ? "sidebar" : "banner",
                 ll(rng->Range(5, 90)));
    case kCurrency:
      return Fmt("converted %s USD -> %s rate=0.%04lld source=ecb", Money(c.amount_cents).c_str(),
                 rng->Pick(kCurrencies), ll(rng->Range(7000, 9999)));
    case kReview:
      return Fmt("review rv-%lld by %s for product %lld rating=%lld stored",
                 ll(rng->Range(1, 900000)), c.user_id.c_str(), ll(c.product), ll(rng->Range(1, 5)));
    case kNumServices:
      break;
  }
  return "ok";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Extra (real) messages

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool IsAlnum(char c) { return IsDigit(c) || IsAsciiLetter(c); }
bool IsHexDigit(char c) { return IsDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }

// The value of the 1..max_digits digits at s[*pos], advancing *pos; -1 when there are none or
// more.
int DigitsAt(std::string_view s, size_t* pos, size_t max_digits) {
  const size_t start = *pos;
  int value = 0;
  while (*pos < s.size() && IsDigit(s[*pos])) {
    if (*pos - start == max_digits) return -1;
    value = value * 10 + (s[(*pos)++] - '0');
  }
  return *pos == start ? -1 : value;
}

// Whether the text at s[pos] continues a token or a dotted number ("1.2.3.4.5", "10:11:12a").
bool ContinuesAt(std::string_view s, size_t pos) {
  return pos < s.size() &&
         (IsAlnum(s[pos]) || (s[pos] == '.' && pos + 1 < s.size() && IsDigit(s[pos + 1])));
}

// The length of the IPv4 address at s[i] ("10.251.73.220"), or 0.
size_t Ipv4At(std::string_view s, size_t i) {
  size_t p = i;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (p >= s.size() || s[p] != '.') return 0;
      ++p;
    }
    const int octet = DigitsAt(s, &p, 3);
    if (octet < 0 || octet > 255) return 0;
  }
  return ContinuesAt(s, p) ? 0 : p - i;
}

// The length of the time of day "H:MM:SS" or "HH:MM:SS" at s[i], or 0.
size_t TimeOfDayAt(std::string_view s, size_t i) {
  size_t p = i;
  const int h = DigitsAt(s, &p, 2);
  if (h < 0 || h > 23 || p >= s.size() || s[p] != ':') return 0;
  ++p;
  const size_t m_start = p;
  const int m = DigitsAt(s, &p, 2);
  if (m < 0 || m > 59 || p - m_start != 2 || p >= s.size() || s[p] != ':') return 0;
  ++p;
  const size_t s_start = p;
  const int sec = DigitsAt(s, &p, 2);
  if (sec < 0 || sec > 60 || p - s_start != 2) return 0;
  return ContinuesAt(s, p) ? 0 : p - i;
}

void AppendRandomDigits(std::string_view original, Rng* rng, std::string* out) {
  for (size_t k = 0; k < original.size(); ++k) {
    if (k == 0 && original.size() > 1) {
      // Keeps zero padding ("0020") and keeps other numbers from gaining one.
      out->push_back(original[0] == '0' ? '0' : static_cast<char>('1' + rng->Uniform(9)));
    } else {
      out->push_back(static_cast<char>('0' + rng->Uniform(10)));
    }
  }
}

// body is all hex digits.
void AppendRandomHex(std::string_view body, Rng* rng, std::string* out) {
  const bool upper =
      std::any_of(body.begin(), body.end(), [](char c) { return c >= 'A' && c <= 'F'; });
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (size_t k = 0; k < body.size(); ++k) out->push_back(digits[rng->Uniform(16)]);
}

}  // namespace

std::string ReRandomiseNumbers(std::string_view s, Rng* rng) {
  std::string out;
  out.reserve(s.size() + 8);
  size_t i = 0;
  while (i < s.size()) {
    if (!IsAlnum(s[i])) {
      out.push_back(s[i++]);
      continue;
    }
    // At the start of a run of letters and digits.
    size_t end = i;
    while (end < s.size() && IsAlnum(s[end])) ++end;
    const std::string_view run = s.substr(i, end - i);
    const bool after_dot = i > 0 && s[i - 1] == '.';  // inside a version or dotted number
    if (IsDigit(s[i]) && !after_dot) {
      if (const size_t len = Ipv4At(s, i)) {
        out += Fmt("%d.%d.%d.%d", static_cast<int>(1 + rng->Uniform(223)),
                   static_cast<int>(rng->Uniform(256)), static_cast<int>(rng->Uniform(256)),
                   static_cast<int>(1 + rng->Uniform(254)));
        i += len;
        continue;
      }
      if (const size_t len = TimeOfDayAt(s, i)) {
        const int h = static_cast<int>(rng->Uniform(24));
        out += Fmt(s[i + 1] == ':' && h < 10 ? "%d:%02d:%02d" : "%02d:%02d:%02d", h,
                   static_cast<int>(rng->Uniform(60)), static_cast<int>(rng->Uniform(60)));
        i += len;
        continue;
      }
    }
    i = end;
    if (std::all_of(run.begin(), run.end(), IsDigit)) {
      if (run.size() >= 2) {
        AppendRandomDigits(run, rng, &out);
      } else {
        out += run;
      }
      continue;
    }
    std::string_view body = run;
    const bool hex_prefix = run.size() > 2 && run[0] == '0' && (run[1] | 0x20) == 'x';
    if (hex_prefix) {
      out += run.substr(0, 2);
      body.remove_prefix(2);
    }
    const bool all_hex = std::all_of(body.begin(), body.end(), IsHexDigit);
    const bool looks_hex =
        all_hex &&
        (hex_prefix || (body.size() >= 4 && std::any_of(body.begin(), body.end(), IsDigit) &&
                        !std::all_of(body.begin(), body.end(), IsDigit)));
    if (looks_hex) {
      AppendRandomHex(body, rng, &out);
    } else {
      out += body;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// EventGenerator

struct EventGenerator::Request {
  std::vector<Event> events;  // planned in order; times are set when emitted
  size_t next = 0;
};

EventGenerator::EventGenerator(const EventGenOptions& options)
    : options_(options), rng_(options.seed), now_ns_(options.start_ns) {
  if (options_.users == 0) options_.users = 1;
  if (options_.concurrent_requests == 0) options_.concurrent_requests = 1;
}

EventGenerator::~EventGenerator() = default;

std::vector<std::string_view> EventGenerator::Services() {
  return std::vector<std::string_view>(std::begin(kServiceNames), std::end(kServiceNames));
}

std::unique_ptr<EventGenerator::Request> EventGenerator::NewRequest() {
  Rng* rng = &rng_;
  const auto& routes = Routes();
  uint32_t total_weight = 0;
  for (const Route& r : routes) total_weight += r.weight;
  uint64_t pick = rng->Uniform(total_weight);
  const Route* route = &routes.front();
  for (const Route& r : routes) {
    if (pick < r.weight) {
      route = &r;
      break;
    }
    pick -= r.weight;
  }

  RequestContext c;
  c.route = route;
  // Half the traffic comes from the most active 5% of users.
  c.user = static_cast<uint32_t>(rng->Percent(50) ? rng->Uniform(options_.users)
                                                  : rng->Uniform(options_.users / 20 + 1));
  c.user_id = "u" + std::to_string(c.user);
  uint64_t h = c.user ^ 0x5eed1234abcdull;
  const uint64_t ip = SplitMix64(&h);
  static constexpr int kFirstOctets[] = {24, 31, 46, 62, 77, 81, 89, 93, 104, 109, 176, 185, 212};
  c.client_ip = Fmt("%d.%d.%d.%d", kFirstOctets[ip % 13], static_cast<int>((ip >> 8) & 255),
                    static_cast<int>((ip >> 16) & 255), static_cast<int>(1 + (ip >> 24) % 254));
  c.user_agent = kUserAgents[(ip >> 32) % (sizeof kUserAgents / sizeof kUserAgents[0])];
  c.trace_id = Hex(rng, 16);
  c.product = rng->Range(10000, 99999);
  c.order = static_cast<int64_t>(next_order_++);
  c.items = static_cast<int>(rng->Range(1, 6));
  c.amount_cents = c.items * rng->Range(499, 14999);
  c.sku = Fmt("SKU-%05lld", static_cast<long long>(c.product % 40000));
  c.path = route->route;
  if (size_t at = c.path.find("{id}"); at != std::string::npos) {
    const int64_t id = c.path.find("orders") != std::string::npos  ? c.order
                       : c.path.find("users") != std::string::npos ? c.user
                                                                   : c.product;
    c.path.replace(at, 4, std::to_string(id));
  }

  auto req = std::make_unique<Request>();
  std::vector<Event>& out = req->events;
  // Null when off: then nothing more is drawn from rng, so the stream stays exactly the one
  // without the option.
  const bool with_extra = options_.extra_messages && !options_.extra_messages->empty() &&
                          options_.extra_message_percent > 0;
  const std::vector<std::string>* extra = with_extra ? options_.extra_messages.get() : nullptr;
  auto new_event = [&](Svc svc, const std::string& span, const std::string& parent, Level level,
                       std::string message) {
    Event e;
    e.service = std::string(kServiceNames[svc]);
    e.level = level;
    e.host = Pods(svc)[static_cast<unsigned char>(span[0]) % 3];  // one pod serves a span
    e.message = std::move(message);
    if (extra != nullptr && rng->Uniform(100) < options_.extra_message_percent) {
      e.message = ReRandomiseNumbers((*extra)[rng->Uniform(extra->size())], rng);
    }
    e.trace_id = c.trace_id;
    e.span_id = span;
    e.parent_span_id = parent;
    e.attributes = {{"client.ip", c.client_ip}, {"http.route", std::string(route->route)}};
    e.attributes.push_back({"user.id", c.user_id});
    out.push_back(std::move(e));
    return out.size() - 1;
  };
  // The span's last event carries its outcome, as OpenTelemetry span-end logs do. Keeps the
  // attributes sorted by key.
  auto finish_span = [&](size_t index, int status, int64_t latency_us) {
    auto& attrs = out[index].attributes;
    attrs.insert(attrs.begin() + 2, {"http.status", int64_t{status}});
    attrs.insert(attrs.begin() + 3, {"latency_ms", static_cast<double>(latency_us) / 1000.0});
  };
  // Writes n events of one service's span; a failing span ends in 1–2 errors.
  auto run_span = [&](Svc svc, const std::string& span, const std::string& parent, int n, bool fail,
                      Failure* failure, int64_t* latency_us) -> size_t {
    const int errors = fail ? static_cast<int>(rng->Range(1, 2)) : 0;
    size_t last = 0;
    for (int i = 0; i < n + errors; ++i) {
      const Level level = i >= n ? Level::kError : DrawLevel(rng);
      std::string msg;
      switch (level) {
        case Level::kDebug:
          msg = DebugMessage(svc, c, rng, latency_us);
          break;
        case Level::kWarn:
          msg = WarnMessage(svc, c, rng, latency_us);
          break;
        case Level::kError:
          msg = ErrorMessage(svc, c, rng, latency_us, failure);
          break;
        default:
          msg = InfoMessage(svc, c, rng, latency_us);
          break;
      }
      last = new_event(svc, span, parent, level, std::move(msg));
    }
    return last;
  };

  // Which downstream calls happen, and which one (if any) fails.
  std::vector<Svc> calls;
  for (Svc svc : route->downstream) {
    if (!rng->Percent(15)) calls.push_back(svc);  // not every call happens on every request
  }
  const bool failing = rng->Percent(kFailingRequestPercent);
  const size_t failing_call = calls.empty() ? 0 : rng->Uniform(calls.size());

  const std::string root_span = Hex(rng, 8);
  new_event(kGateway, root_span, "", Level::kInfo,
            Fmt("incoming request %s %s from %s request_id=%.16s", route->method, c.path.c_str(),
                c.client_ip.c_str(), c.trace_id.c_str()));
  const std::string entry_span = Hex(rng, 8);
  Failure failure = Failure::kNone;
  int64_t latency_us = 0;
  run_span(route->entry, entry_span, root_span, static_cast<int>(rng->Range(1, 3)),
           failing && calls.empty(), &failure, &latency_us);
  for (size_t i = 0; i < calls.size() && out.size() < 43; ++i) {  // ≤ 50 events a request
    int64_t call_us = 0;
    Failure f = Failure::kNone;
    const size_t last =
        run_span(calls[i], Hex(rng, 8), entry_span, static_cast<int>(rng->Range(1, 3)),
                 failing && i == failing_call, &f, &call_us);
    finish_span(last, StatusFor(f, rng), call_us);
    latency_us += call_us;
    if (failure == Failure::kNone) failure = f;
  }
  // Short requests get more events from the entry service: at least 5 a request.
  if (out.size() < 3) {
    run_span(route->entry, entry_span, root_span, static_cast<int>(3 - out.size()), false, &failure,
             &latency_us);
  }
  int status = StatusFor(failure, rng);
  if (status == 200) {
    if (route->method[0] == 'P') status = 201;
    if (rng->Percent(3)) status = rng->Percent(50) ? 404 : 401;
  }
  latency_us += rng->Range(300, 3000);
  const Level entry_level = status >= 500   ? Level::kError
                            : status >= 400 ? Level::kWarn
                                            : Level::kInfo;
  const size_t entry_end =
      new_event(route->entry, entry_span, root_span, entry_level,
                Fmt("handled %s %s for %s status=%d in %s ms", route->method, c.path.c_str(),
                    c.user_id.c_str(), status, Millis(latency_us).c_str()));
  finish_span(entry_end, status, latency_us);
  latency_us += rng->Range(200, 1500);
  const size_t end =
      new_event(kGateway, root_span, "", Level::kInfo,
                Fmt("%s - %s \"%s %s HTTP/1.1\" %d %lld \"-\" \"%s\" %s ms", c.client_ip.c_str(),
                    c.user_id.c_str(), route->method, c.path.c_str(), status,
                    static_cast<long long>(rng->Range(200, 40000)), c.user_agent,
                    Millis(latency_us).c_str()));
  finish_span(end, status, latency_us);
  return req;
}

Event EventGenerator::Next() {
  while (active_.size() < options_.concurrent_requests) active_.push_back(NewRequest());
  const size_t i = rng_.Uniform(active_.size());
  Request& r = *active_[i];
  Event e = std::move(r.events[r.next++]);
  if (r.next == r.events.size()) active_[i] = NewRequest();
  now_ns_ += options_.mean_step_ns / 2 +
             static_cast<int64_t>(rng_.Uniform(static_cast<uint64_t>(options_.mean_step_ns) + 1));
  e.time_ns = now_ns_;
  return e;
}

void EventGenerator::Fill(size_t n, std::vector<Event>* out) {
  out->reserve(out->size() + n);
  for (size_t i = 0; i < n; ++i) out->push_back(Next());
}

}  // namespace trove::bench
