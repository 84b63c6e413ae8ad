// What must hold on every target bandwire is built for (amd64, arm64 and
// 32-bit armhf; README "Raspberry Pi / ARM"): the same assertions run under
// qemu-user for the ARM builds, so a 32-bit size_t or time_t that changes a
// result fails here.
#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <bluetooth/l2cap.h>

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <vector>

#include "hci/btsnoop.hpp"
#include "miband/time.hpp"
#include "tests/support/hex.hpp"

using namespace bandwire;
using bandwire::test::hx;
namespace chr = std::chrono;

namespace {
// 2040-02-29 23:30:15.750 UTC: after time_t's 32-bit end (2038-01-19) and a leap day.
constexpr std::int64_t after_2038_s = 2214171015;
constexpr std::int64_t after_2038_us = after_2038_s * 1000000 + 750000;
// 2106-02-07 06:28:16 UTC: the first second an unsigned 32-bit count cannot hold.
constexpr std::int64_t after_u32_s = 4294967296;
}  // namespace

TEST_CASE("portability: kernel structs passed to bind/ioctl have the kernel's layout on every target") {
  // The kernel's definitions use fixed-width fields only, so a 32-bit
  // process on a 64-bit kernel and a 64-bit one pass the same bytes.
  CHECK(sizeof(sockaddr_l2) == 14);
  CHECK(offsetof(sockaddr_l2, l2_bdaddr) == 4);
  CHECK(offsetof(sockaddr_l2, l2_cid) == 10);
  CHECK(offsetof(sockaddr_l2, l2_bdaddr_type) == 12);
  CHECK(sizeof(sockaddr_hci) == 6);
  CHECK(sizeof(hci_filter) == 16);
  CHECK(sizeof(hci_dev_info) == 92);
  CHECK(offsetof(hci_dev_info, stat) == 52);
  CHECK(sizeof(hci_dev_req) == 8);
  CHECK(offsetof(hci_dev_list_req, dev_req) == 4);
  CHECK(sizeof(hci_conn_info) == 16);
  CHECK(offsetof(hci_conn_list_req, conn_info) == 4);
  CHECK(sizeof(bt_security) == 2);
  CHECK(sizeof(bdaddr_t) == 6);
  CHECK(alignof(bdaddr_t) == 1);
}

TEST_CASE("portability: a btsnoop length that wraps a 32-bit size_t is still rejected") {
  // 24 + 0xffffffe8 is 0 in 32-bit arithmetic: a check written as a sum
  // would accept the record on armhf and read far past the buffer.
  hci::btsnoop_record r;
  std::size_t consumed = 0;
  CHECK(hci::decode_btsnoop_record(hx("ffffffe8 ffffffe8 00000000 00000000 0000000000000000 00"), r, consumed) ==
        hci::errc::truncated_record);
  CHECK(consumed == 0);
}

TEST_CASE("portability: time_t is 64-bit, so dates after January 2038 work on 32-bit targets too") {
  // meson.build builds 32-bit glibc targets with _TIME_BITS=64.
  CHECK(sizeof(std::time_t) == 8);
  const std::time_t t = static_cast<std::time_t>(after_2038_s);
  std::tm tm{};
  REQUIRE(::gmtime_r(&t, &tm) != nullptr);
  CHECK(tm.tm_year + 1900 == 2040);
  CHECK(tm.tm_mon + 1 == 2);
  CHECK(tm.tm_mday == 29);
  CHECK(tm.tm_hour == 23);
  CHECK(tm.tm_min == 30);
  CHECK(tm.tm_sec == 15);
  CHECK(::timegm(&tm) == t);
  // The libc's local-time path (what the CLI and the virtual band use for
  // the UTC offset) also accepts such a date.
  std::tm local{};
  CHECK(::localtime_r(&t, &local) != nullptr);
}

TEST_CASE("portability: the band's clock after 2038 and after 2106") {
  const chr::system_clock::time_point now{chr::microseconds{after_2038_us}};
  const miband::current_time ct = miband::make_current_time(now, chr::minutes{60});
  // Local 2040-03-01 00:30:15, a Thursday (4), UTC+1 = 4 quarter hours (§8).
  CHECK(to_hex(miband::encode_current_time(ct).bytes()) == "f8070301001e0f04000004");
  const auto utc = miband::to_utc(ct);
  REQUIRE(utc.has_value());
  CHECK(utc->time_since_epoch().count() == after_2038_s);

  const miband::date_time d2106{2106, 2, 7, 6, 28, 16};
  const auto u2106 = miband::to_utc(d2106, 0);
  REQUIRE(u2106.has_value());
  CHECK(u2106->time_since_epoch().count() == after_u32_s);
  CHECK(miband::to_local(*u2106, chr::minutes{0}) == d2106);
}

TEST_CASE("portability: btsnoop's 64-bit timestamps after 2038 and after 2106, written and read back") {
  std::vector<std::uint8_t> file;
  hci::write_btsnoop_header(file);
  REQUIRE_FALSE(hci::write_att_pdu(file, hci::direction::controller_to_host, after_2038_us, hx("1b0e00aabb")));
  REQUIRE_FALSE(hci::write_att_pdu(file, hci::direction::host_to_controller, after_u32_s * 1000000, hx("0a0300")));
  // Header; then each record: lengths, flags (1 = received ACL, 0 = sent),
  // drops, the timestamp (Unix µs + 0x00dcddb30f2f8000), H4 ACL (handle
  // 0x040; PB 10 received, 00 sent by the host) + L2CAP + ATT.
  CHECK(to_hex(file) ==
        to_hex(hx("6274736e6f6f7000 00000001 000003ea"
                  "0000000e 0000000e 00000001 00000000 00e4bb79ec0d2170 02 4020 0900 0500 0400 1b0e00aabb"
                  "0000000c 0000000c 00000000 00000000 00ec1ff30f2f8000 02 4000 0700 0300 0400 0a0300")));
  std::vector<hci::att_record> pdus;
  REQUIRE_FALSE(hci::extract_att(file, pdus));
  REQUIRE(pdus.size() == 2);
  CHECK(pdus[0].timestamp_us == after_2038_us);
  CHECK(pdus[1].timestamp_us == after_u32_s * 1000000);
  CHECK(to_hex(pdus[1].pdu) == "0a0300");
}
