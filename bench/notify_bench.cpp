// Notification throughput: what the full receive path costs per Handle Value
// Notification compared with the cheapest possible reader of the same socket.
//
// A producer thread floods N notifications `1b <handle LE> <20 value bytes>`
// (23 bytes, the largest PDU at the default ATT_MTU) over a
// socketpair(AF_UNIX, SOCK_SEQPACKET). The consumer thread is measured with
// CLOCK_THREAD_CPUTIME_ID, so the producer's speed does not decide the figure:
//
//   bare  a blocking recv() loop on the socket (the floor);
//   full  socket -> att::bearer -> gatt::client dispatch -> user callback
//         registered with client::listen().
//
// Both run in the same process, alternating, several rounds each; the median
// round is reported. Heap allocations are counted on the consumer thread only,
// after a warm-up, by replacing the global operator new.
//
//   notify_bench [--count N] [--rounds R] [--warmup W] [--only bare|full]
//
// --only runs one side (for profiling, e.g. under valgrind --tool=callgrind).
//
// Targets: full/bare <= 1.3, 0 allocations per notification. Not a meson
// test: it is run by hand, on a release build.
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "att/bearer.hpp"
#include "common/asio.hpp"
#include "gatt/client.hpp"

// ---- allocation counting (consumer thread only) ----
//
// The benchmark's own mutable state: a per-thread switch and counter read by
// the replaced operator new. Other threads (the producer) never count.
namespace {
thread_local bool counting = false;
thread_local std::uint64_t allocations = 0;

void* allocate(std::size_t n) {
  if (counting) ++allocations;
  if (n == 0) n = 1;
  if (void* p = std::malloc(n)) return p;
  throw std::bad_alloc();
}
void* allocate_aligned(std::size_t n, std::align_val_t al) {
  if (counting) ++allocations;
  const std::size_t a = static_cast<std::size_t>(al);
  n = (std::max<std::size_t>(n, 1) + a - 1) / a * a;  // aligned_alloc wants a multiple
  if (void* p = std::aligned_alloc(a, n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t a) { return allocate_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate_aligned(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using namespace bandwire;

constexpr std::uint16_t value_handle = 0x002a;
constexpr std::size_t pdu_size = 23;  // 1b + handle + 20 value bytes = ATT_MTU 23

struct config {
  std::uint64_t count = 1'000'000;
  std::uint64_t warmup = 10'000;
  int rounds = 3;
  bool bare = true, full = true;
};

// Voluntary context switches of this thread: how often the consumer found the
// socket empty and slept.
std::uint64_t thread_sleeps() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return static_cast<std::uint64_t>(ru.ru_nvcsw);
}

std::uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "notify_bench: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

// The consumer's measurement window: from the end of the warm-up to the last
// notification. Both loops call tick() once per notification.
struct window {
  std::uint64_t warmup, count;
  std::uint64_t seen = 0;
  std::uint64_t t0 = 0, t1 = 0;
  std::uint64_t alloc0 = 0, alloc1 = 0;
  std::uint64_t sleeps0 = 0, sleeps1 = 0;

  // Returns true after the last notification.
  bool tick() {
    ++seen;
    if (seen == warmup) {
      alloc0 = allocations;
      counting = true;
      sleeps0 = thread_sleeps();
      t0 = thread_cpu_ns();
    } else if (seen == count) {
      t1 = thread_cpu_ns();
      counting = false;
      alloc1 = allocations;
      sleeps1 = thread_sleeps();
      return true;
    }
    return false;
  }
  double ns_per() const { return double(t1 - t0) / double(count - warmup); }
  double allocs_per() const { return double(alloc1 - alloc0) / double(count - warmup); }
  double sleeps_per_k() const { return 1000.0 * double(sleeps1 - sleeps0) / double(count - warmup); }
};

void enlarge_buffers(int fd) {
  // Big enough that the producer rarely blocks. SO_*BUFFORCE passes the
  // net.core.[wr]mem_max limit when we may; otherwise the plain option.
  const int size = 8 << 20;
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

// Floods `count` notifications, then closes its end (the consumer sees EOF).
void produce(int fd, std::uint64_t count) {
  std::uint8_t pdu[pdu_size] = {0x1b, value_handle & 0xff, value_handle >> 8};
  for (std::uint64_t i = 0; i < count; ++i) {
    for (std::size_t k = 3; k < pdu_size; ++k) pdu[k] = static_cast<std::uint8_t>(i + k);
    if (::send(fd, pdu, sizeof pdu, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof pdu)) {
      if (errno == EPIPE || errno == ECONNRESET) break;  // consumer stopped early
      die("producer send");
    }
  }
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

struct result {
  double ns = 0;
  double allocs = 0;
  double sleeps_per_k = 0;
  std::uint64_t checksum = 0;
};

// Runs `consume(fd)` on a fresh thread against a producer thread.
template <class Consume> result run_pair(const config& cfg, Consume consume) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) != 0) die("socketpair");
  enlarge_buffers(fds[0]);
  enlarge_buffers(fds[1]);
  result r;
  std::thread consumer([&] { r = consume(fds[0]); });
  std::thread producer(produce, fds[1], cfg.count);
  producer.join();
  consumer.join();
  return r;
}

result bare_round(const config& cfg) {
  return run_pair(cfg, [&](int fd) {
    window w{cfg.warmup, cfg.count};
    std::uint64_t sum = 0;
    std::uint8_t buf[1024];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      // The same minimal user work as the full stack's callback.
      if (n >= 3 && buf[0] == 0x1b) sum += buf[3 + (w.seen % 20)];
      if (w.tick()) break;
    }
    ::close(fd);
    if (w.seen != cfg.count) {
      std::fprintf(stderr, "notify_bench: bare loop saw %llu of %llu\n", (unsigned long long)w.seen,
                   (unsigned long long)cfg.count);
      std::exit(1);
    }
    return result{w.ns_per(), w.allocs_per(), w.sleeps_per_k(), sum};
  });
}

result full_round(const config& cfg) {
  return run_pair(cfg, [&](int fd) {
    window w{cfg.warmup, cfg.count};
    std::uint64_t sum = 0;
    asio::io_context io(1);
    {
      att::bearer bearer(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fd));
      gatt::client client(bearer);
      auto listener = client.listen(value_handle, [&](std::uint16_t, bytes_view v, bool) {
        sum += v[w.seen % v.size()];
        if (w.tick()) io.stop();
      });
      bearer.start();
      io.run();
      if (w.seen != cfg.count) {
        std::fprintf(stderr, "notify_bench: full stack saw %llu of %llu (bearer %s)\n", (unsigned long long)w.seen,
                     (unsigned long long)cfg.count, bearer.close_reason().message().c_str());
        std::exit(1);
      }
    }
    return result{w.ns_per(), w.allocs_per(), w.sleeps_per_k(), sum};
  });
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

bool parse_u64(const char* s, std::uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-') return false;
  out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    std::uint64_t v = 0;
    if ((a == "--count" || a == "--rounds" || a == "--warmup") && i + 1 < argc && parse_u64(argv[i + 1], v)) {
      ++i;
      if (a == "--count") cfg.count = v;
      else if (a == "--warmup") cfg.warmup = v;
      else cfg.rounds = static_cast<int>(std::clamp<std::uint64_t>(v, 1, 100));
    } else if (a == "--only" && i + 1 < argc && (argv[i + 1] == std::string("bare") || argv[i + 1] == std::string("full"))) {
      cfg.bare = argv[++i] == std::string("bare");
      cfg.full = !cfg.bare;
    } else {
      std::fprintf(stderr, "usage: notify_bench [--count N] [--rounds R] [--warmup W] [--only bare|full]\n");
      return a == "--help" || a == "-h" ? 0 : 2;
    }
  }
  if (cfg.warmup < 1 || cfg.count <= cfg.warmup) {
    std::fprintf(stderr, "notify_bench: --count must exceed --warmup (%llu)\n", (unsigned long long)cfg.warmup);
    return 2;
  }

  std::printf("notify_bench: %llu notifications of %zu bytes, warm-up %llu, %d rounds each\n",
              (unsigned long long)cfg.count, pdu_size, (unsigned long long)cfg.warmup, cfg.rounds);
  std::vector<double> bare_ns, full_ns, bare_alloc, full_alloc;
  for (int r = 0; r < cfg.rounds; ++r) {
    const result b = cfg.bare ? bare_round(cfg) : result{};
    const result f = cfg.full ? full_round(cfg) : result{};
    if (cfg.bare && cfg.full && b.checksum != f.checksum) {
      std::fprintf(stderr, "notify_bench: checksums differ (bare %llu, full %llu)\n", (unsigned long long)b.checksum,
                   (unsigned long long)f.checksum);
      return 1;
    }
    std::printf("round %d: bare %.1f ns (%.3f alloc, %.1f sleeps/1000), full %.1f ns (%.3f alloc, %.1f sleeps/1000)\n",
                r + 1, b.ns, b.allocs, b.sleeps_per_k, f.ns, f.allocs, f.sleeps_per_k);
    std::fflush(stdout);
    bare_ns.push_back(b.ns);
    full_ns.push_back(f.ns);
    bare_alloc.push_back(b.allocs);
    full_alloc.push_back(f.allocs);
  }
  const double bare = median(bare_ns), full = median(full_ns);
  const double allocs = *std::max_element(full_alloc.begin(), full_alloc.end());
  if (cfg.bare) std::printf("bare recv loop:  %.0f ns/notification (median of %d)\n", bare, cfg.rounds);
  if (cfg.full) std::printf("full stack:      %.0f ns/notification (median of %d)\n", full, cfg.rounds);
  if (cfg.bare && cfg.full)
    std::printf("ratio %.2f (full %.0f ns, bare %.0f ns), allocations/notification %.3f\n", full / bare, full, bare,
                allocs);
  return 0;
}
