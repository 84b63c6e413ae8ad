// Notification throughput: what the full receive path costs per Handle Value
// Notification compared with the cheapest possible reader of the same socket.
//
// A producer thread floods N notifications `1b <handle LE> <20 value bytes>`
// (23 bytes, the largest PDU at the default ATT_MTU) over a
// socketpair(AF_UNIX, SOCK_SEQPACKET). The consumer thread is measured with
// CLOCK_THREAD_CPUTIME_ID, so the producer's speed does not decide the figure:
//
//   bare    a blocking recv() loop on the socket (the anchor);
//   full    socket -> att::bearer -> gatt::client dispatch -> user callback
//           registered with client::listen();
//   stream  what `bandwire stream` does with a raw sensor notification:
//           full, then miband::band's parser and counter tracking, then
//           stream's record sink and writer (tools/records.hpp): JSON lines
//           to a file on tmpfs (/dev/shm), written out and flushed before
//           the consumer waits for more (once per batch of PDUs read). The producer first
//           answers the stream's start (CCCD writes, `10 01 01`), then
//           floods Mi Band 2 sensor packets (3 accelerometer : 1 PPG, as at
//           25 Hz each, fact sheet §6.3).
//   floor   the kernel's part of the stream path alone: recvmmsg(2) in
//           batches of 16 as the bearer reads, and a write(2) of as many
//           bytes as stream wrote per packet (its median; 610 without it)
//           once per 64 packets read, with no parsing and no formatting.
//           No reader of the socket that writes those records can cost less.
//
// The sides run in the same process, alternating, several rounds each; the median
// round is reported. Heap allocations are counted on the consumer thread only,
// after a warm-up, by replacing the global operator new.
//
//   notify_bench [--count N] [--rounds R] [--warmup W] [--only bare|full|stream|floor]
//                [--burst K] [--sockbuf BYTES] [--pin CONSUMER_CPU PRODUCER_CPU]
//
// --only runs one side (for profiling, e.g. under valgrind --tool=callgrind
// or perf record). --burst K paces the producer as a band's link does: K
// notifications, then it waits until the consumer has read them all, so the
// consumer sleeps between bursts (a Mi Band 2 streaming raw data sends about
// 11 packets a second, at most one or two per 50 ms connection event: K = 1 is
// its regime, where each notification costs a wake-up). Without it the
// producer floods, and a consumer slower than the producer reads from a
// queue up to --sockbuf deep (default 8 MiB; 0 keeps the kernel's default),
// whose packets have left the CPU's caches by the time they are read.
// --pin keeps each thread on one CPU.
//
// Targets (issue 11): full/bare <= 1.2, stream/bare <= 1.5, 0 allocations
// per notification. Not a meson test: bench/run.sh runs it on a release
// build, or run it by hand.
#include <fcntl.h>
#include <linux/sockios.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
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
#include "miband/band.hpp"
#include "miband/virtual_band.hpp"
#include "tools/records.hpp"

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
  bool bare = true, full = true, stream = true, floor = true;
  // The stream path writes ~610 bytes of JSON lines per packet to /dev/shm:
  // fewer packets, so the file stays a few hundred MB at most.
  std::uint64_t stream_count = 200'000;
  int sockbuf = 8 << 20;
  int pin_consumer = -1, pin_producer = -1;
  std::uint64_t burst = 0;  // 0: flood
};

int usage(int rc) {
  std::fprintf(rc ? stderr : stdout,
               "usage: notify_bench [--count N] [--stream-count N] [--rounds R] [--warmup W] "
               "[--only bare|full|stream|floor] [--burst K] [--sockbuf BYTES] [--pin CONSUMER_CPU PRODUCER_CPU]\n");
  return rc;
}

// The raw sensor data characteristic's value handle on the virtual band
// (fact sheet §3.1), and its control characteristic.
constexpr std::uint16_t sensor_data_handle = miband::virtual_band::sensor_data_handle;
constexpr std::uint16_t sensor_control_handle = miband::virtual_band::sensor_control_handle;

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

void enlarge_buffers(int fd, int size) {
  if (size <= 0) return;
  // SO_*BUFFORCE passes the net.core.[wr]mem_max limit when we may;
  // otherwise the plain option.
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

// Waits until the consumer has read everything sent (the bytes the
// socket still holds for it drop to 0), as a band's link delivers a
// few notifications per connection event and the reader catches up.
void wait_drained(int fd) {
  for (;;) {
    int queued = 0;
    if (::ioctl(fd, SIOCOUTQ, &queued) != 0 || queued == 0) return;
    timespec ts{0, 20'000};
    ::nanosleep(&ts, nullptr);
  }
}

// Sends packet i; with --burst K, waits after every K-th until it was read.
// False once the consumer has stopped reading (it closed its end early).
bool send_paced(int fd, const std::uint8_t (&pdu)[pdu_size], std::uint64_t i, std::uint64_t burst) {
  if (::send(fd, pdu, sizeof pdu, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof pdu)) {
    if (errno == EPIPE || errno == ECONNRESET) return false;
    die("producer send");
  }
  if (burst && (i + 1) % burst == 0) wait_drained(fd);
  return true;
}

// Floods `count` notifications, then closes its end (the consumer sees EOF).
void produce(int fd, std::uint64_t count, std::uint64_t burst) {
  std::uint8_t pdu[pdu_size] = {0x1b, value_handle & 0xff, value_handle >> 8};
  for (std::uint64_t i = 0; i < count; ++i) {
    for (std::size_t k = 3; k < pdu_size; ++k) pdu[k] = static_cast<std::uint8_t>(i + k);
    if (!send_paced(fd, pdu, i, burst)) break;
  }
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

// Packet i of the flood: 3 accelerometer packets (3 samples) to 1 PPG
// packet (9 samples), 20 bytes each (§6.3), the counter shared.
void sensor_pdu(std::uint8_t (&pdu)[pdu_size], std::uint64_t i) {
  pdu[0] = 0x1b;
  pdu[1] = sensor_data_handle & 0xff, pdu[2] = sensor_data_handle >> 8;
  pdu[3] = i % 4 == 3 ? 0x02 : 0x01;
  pdu[4] = static_cast<std::uint8_t>(i);
  for (std::size_t k = 5; k < pdu_size; ++k) pdu[k] = static_cast<std::uint8_t>(i * 7 + k);
}

// Answers the stream's start as a band would (Write Responses, the
// configure reply `10 01 01`), then floods `count` sensor packets after `02`.
void produce_stream(int fd, std::uint64_t count, std::uint64_t burst) {
  std::uint8_t in[64];
  for (;;) {
    const ssize_t n = ::recv(fd, in, sizeof in, 0);
    if (n <= 0) return;
    if (in[0] == 0x12) {
      const std::uint8_t rsp = 0x13;
      ::send(fd, &rsp, 1, MSG_NOSIGNAL);
    } else if (in[0] == 0x52 && n >= 4 && get_le16(in + 1) == sensor_control_handle && in[3] == 0x01) {
      const std::uint8_t reply[] = {0x1b, sensor_control_handle & 0xff, sensor_control_handle >> 8, 0x10, 0x01, 0x01};
      ::send(fd, reply, sizeof reply, MSG_NOSIGNAL);
    } else if (in[0] == 0x52 && n == 4 && get_le16(in + 1) == sensor_control_handle && in[3] == 0x02) {
      break;
    }
  }
  std::uint8_t pdu[pdu_size];
  for (std::uint64_t i = 0; i < count; ++i) {
    sensor_pdu(pdu, i);
    if (!send_paced(fd, pdu, i, burst)) break;
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

// Keeps the calling thread on one CPU (-1: wherever the scheduler puts it).
void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::pthread_setaffinity_np(::pthread_self(), sizeof set, &set) != 0)
    std::fprintf(stderr, "notify_bench: cannot pin to CPU %d\n", cpu);
}

// Runs `consume(fd)` on a fresh thread against a producer thread.
using producer_fn_t = void (*)(int fd, std::uint64_t count, std::uint64_t burst);
template <class Consume> result run_pair(const config& cfg, Consume consume, producer_fn_t producer_fn = produce) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) != 0) die("socketpair");
  enlarge_buffers(fds[0], cfg.sockbuf);
  enlarge_buffers(fds[1], cfg.sockbuf);
  result r;
  std::thread consumer([&] {
    pin(cfg.pin_consumer);
    r = consume(fds[0]);
  });
  std::thread producer([&] {
    pin(cfg.pin_producer);
    producer_fn(fds[1], cfg.count, cfg.burst);
  });
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

result stream_round(const config& cfg) {
  return run_pair(
      cfg,
      [&](int fd) {
        window w{cfg.warmup, cfg.count};
        asio::io_context io(1);
        const std::string path = "/dev/shm/bandwire-notify-bench-" + std::to_string(::getpid()) + ".jsonl";
        std::FILE* out = std::fopen(path.c_str(), "w");
        if (!out) die("cannot write /dev/shm");
        std::uint64_t records_bytes = 0;
        {
          att::bearer bearer(seqpacket_socket(io, asio::generic::seq_packet_protocol(AF_UNIX, 0), fd));
          gatt::client client(bearer);
          // The virtual band's database, as discovery would have found it.
          scaled_clock clock;
          miband::virtual_band layout(io.get_executor(), clock, miband::sim_options{});
          client.set_services(layout.database().services());
          miband::band band(client, clock);
          tools::record_writer writer(out, tools::record_format::jsonl);
          tools::record_sink sink(writer, miband::miband2_counts_per_g, io.get_executor());
          bearer.start();
          band.start_stream(
              miband::stream_options{},
              [&](const miband::stream_event& e) {
                sink(e);
                if (e.what == miband::stream_event::kind::sensor && w.tick()) io.stop();
              },
              [&](error_code ec) {
                if (ec) {
                  std::fprintf(stderr, "notify_bench: stream start failed: %s\n", ec.message().c_str());
                  std::exit(1);
                }
              });
          io.run();
          if (w.seen != cfg.count || writer.failed()) {
            std::fprintf(stderr, "notify_bench: stream path saw %llu of %llu%s\n", (unsigned long long)w.seen,
                         (unsigned long long)cfg.count, writer.failed() ? " (write failed)" : "");
            std::exit(1);
          }
          records_bytes = static_cast<std::uint64_t>(std::ftell(out));
        }
        std::fclose(out);
        ::unlink(path.c_str());
        return result{w.ns_per(), w.allocs_per(), w.sleeps_per_k(), records_bytes};
      },
      produce_stream);
}

// The kernel floor of the stream path (see the top of this file): the same
// system calls on packets of the same size, and the same bytes into tmpfs.
result floor_round(const config& cfg, std::size_t bytes_per_packet) {
  return run_pair(cfg, [&](int fd) {
    window w{cfg.warmup, cfg.count};
    const std::string path = "/dev/shm/bandwire-notify-floor-" + std::to_string(::getpid()) + ".jsonl";
    const int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) die("cannot write /dev/shm");
    constexpr std::size_t batch = 16, per_write = 64, rx_size = 1024;
    const std::vector<char> records(bytes_per_packet * per_write, 'x');
    std::vector<std::uint8_t> rx(batch * rx_size);
    std::uint64_t sum = 0;
    std::size_t pending = 0;
    bool done = false;
    while (!done) {
      std::array<mmsghdr, batch> msgs{};
      std::array<iovec, batch> iov{};
      for (std::size_t i = 0; i < batch; ++i) {
        iov[i].iov_base = rx.data() + i * rx_size, iov[i].iov_len = rx_size;
        msgs[i].msg_hdr.msg_iov = &iov[i], msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int got = ::recvmmsg(fd, msgs.data(), batch, MSG_WAITFORONE, nullptr);
      if (got <= 0) break;
      for (int k = 0; k < got && !done; ++k) {
        if (msgs[k].msg_len == 0) done = true;
        else sum += rx[static_cast<std::size_t>(k) * rx_size + 3], ++pending, done = w.tick();
      }
      if (pending >= per_write || static_cast<std::size_t>(got) < batch || done) {
        if (::write(out, records.data(), pending * bytes_per_packet) < 0) die("floor write");
        pending = 0;
      }
    }
    ::close(fd);
    ::close(out);
    ::unlink(path.c_str());
    if (w.seen != cfg.count) {
      std::fprintf(stderr, "notify_bench: floor loop saw %llu of %llu\n", (unsigned long long)w.seen,
                   (unsigned long long)cfg.count);
      std::exit(1);
    }
    return result{w.ns_per(), 0, w.sleeps_per_k(), sum};
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
    const bool numeric = a == "--count" || a == "--rounds" || a == "--warmup" || a == "--stream-count" ||
                         a == "--sockbuf" || a == "--burst";
    if (numeric && i + 1 < argc && parse_u64(argv[i + 1], v)) {
      ++i;
      if (a == "--count") cfg.count = v;
      else if (a == "--stream-count") cfg.stream_count = v;
      else if (a == "--warmup") cfg.warmup = v;
      else if (a == "--burst") cfg.burst = v;
      else if (a == "--sockbuf") cfg.sockbuf = static_cast<int>(std::min<std::uint64_t>(v, 64u << 20));
      else cfg.rounds = static_cast<int>(std::clamp<std::uint64_t>(v, 1, 100));
    } else if (a == "--pin" && i + 2 < argc) {
      std::uint64_t c = 0, p = 0;
      if (!parse_u64(argv[i + 1], c) || !parse_u64(argv[i + 2], p) || c >= CPU_SETSIZE || p >= CPU_SETSIZE)
        return usage(2);
      cfg.pin_consumer = static_cast<int>(c), cfg.pin_producer = static_cast<int>(p);
      i += 2;
    } else if (a == "--only" && i + 1 < argc) {
      const std::string which = argv[++i];
      if (which != "bare" && which != "full" && which != "stream" && which != "floor") return usage(2);
      cfg.bare = which == "bare", cfg.full = which == "full", cfg.stream = which == "stream";
      cfg.floor = which == "floor";
    } else {
      return usage(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  if (cfg.warmup < 1 || cfg.count <= cfg.warmup || cfg.stream_count <= cfg.warmup) {
    std::fprintf(stderr, "notify_bench: --count and --stream-count must exceed --warmup (%llu)\n",
                 (unsigned long long)cfg.warmup);
    return 2;
  }

  std::printf("notify_bench: %llu notifications of %zu bytes (stream path: %llu), warm-up %llu, %d rounds each\n",
              (unsigned long long)cfg.count, pdu_size, (unsigned long long)cfg.stream_count,
              (unsigned long long)cfg.warmup, cfg.rounds);
  std::vector<double> bare_ns, full_ns, stream_ns, floor_ns, allocs{0};
  std::vector<double> stream_bytes;  // per packet, each round
  for (int r = 0; r < cfg.rounds; ++r) {
    const result b = cfg.bare ? bare_round(cfg) : result{};
    const result f = cfg.full ? full_round(cfg) : result{};
    config sc = cfg;
    sc.count = cfg.stream_count;
    const result st = cfg.stream ? stream_round(sc) : result{};
    if (cfg.stream) stream_bytes.push_back(static_cast<double>(st.checksum) / static_cast<double>(sc.count));
    const std::size_t bytes = stream_bytes.empty() ? 610 : static_cast<std::size_t>(median(stream_bytes) + 0.5);
    const result fl = cfg.floor ? floor_round(sc, bytes) : result{};
    if (cfg.bare && cfg.full && b.checksum != f.checksum) {
      std::fprintf(stderr, "notify_bench: checksums differ (bare %llu, full %llu)\n", (unsigned long long)b.checksum,
                   (unsigned long long)f.checksum);
      return 1;
    }
    std::printf("round %d: bare %.1f ns, full %.1f ns (%.3f alloc), stream %.1f ns (%.3f alloc, %.1f MB written), "
                "floor %.1f ns (%zu bytes a packet)\n",
                r + 1, b.ns, f.ns, f.allocs, st.ns, st.allocs, static_cast<double>(st.checksum) / 1e6, fl.ns, bytes);
    std::fflush(stdout);
    bare_ns.push_back(b.ns), full_ns.push_back(f.ns), stream_ns.push_back(st.ns), floor_ns.push_back(fl.ns);
    allocs.push_back(f.allocs), allocs.push_back(st.allocs);
  }
  const double bare = median(bare_ns), full = median(full_ns), stream = median(stream_ns), floor = median(floor_ns);
  const double worst_allocs = *std::max_element(allocs.begin(), allocs.end());
  if (cfg.bare) std::printf("bare recv loop:  %.0f ns/notification (median of %d)\n", bare, cfg.rounds);
  if (cfg.full) std::printf("full stack:      %.0f ns/notification (median of %d)\n", full, cfg.rounds);
  if (cfg.stream) std::printf("stream path:     %.0f ns/notification (median of %d)\n", stream, cfg.rounds);
  if (cfg.floor) std::printf("kernel floor:    %.0f ns/notification (median of %d)\n", floor, cfg.rounds);
  if (cfg.bare && cfg.full)
    std::printf("ratio %.2f (full %.0f ns, bare %.0f ns), allocations/notification %.3f\n", full / bare, full, bare,
                worst_allocs);
  if (cfg.bare && cfg.stream)
    std::printf("stream ratio %.2f (stream %.0f ns, bare %.0f ns)\n", stream / bare, stream, bare);
  if (cfg.bare && cfg.floor)
    std::printf("floor ratio %.2f (floor %.0f ns, bare %.0f ns)\n", floor / bare, floor, bare);
  return 0;
}
