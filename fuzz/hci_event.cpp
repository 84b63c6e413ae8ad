// libFuzzer target: the HCI event decoder (hci/hci_codec.hpp) and the mgmt
// event decoders (hci/mgmt.hpp) on arbitrary bytes. Besides the raw input, the
// bytes are decoded as the parameters of an LE Advertising Report and an LE
// Extended Advertising Report (so the fuzzer reaches the per-report loops
// without first finding a valid header), and every report's data goes
// through the AD parser. Contract: never crash, and every view lies inside
// the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <variant>
#include <vector>

#include "hci/adv_data.hpp"
#include "hci/hci_codec.hpp"
#include "hci/mgmt.hpp"

namespace {

using namespace bandwire;
using namespace bandwire::hci;

void inside(bytes_view outer, bytes_view inner) {
  if (inner.empty()) return;
  if (inner.data() < outer.data() || inner.data() + inner.size() > outer.data() + outer.size()) std::abort();
}

void check_reports(bytes_view in, const std::vector<adv_report>& reports) {
  for (const auto& r : reports) {
    inside(in, r.data);
    if (r.format == report_format::legacy && r.data.size() > max_legacy_adv_data) std::abort();
    advertising_data ad;
    (void)parse_advertising_data(r.data, ad);
    (void)recognise_miband2(ad, &r.addr);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bytes_view in(data, size);

  event e;
  if (!decode_event(in, e)) {
    if (in.size() != event_header_size + in[1]) std::abort();
    if (const auto* r = std::get_if<le_advertising_reports>(&e)) {
      if (r->reports.empty()) std::abort();
      check_reports(in, r->reports);
    }
    if (const auto* cc = std::get_if<command_complete>(&e)) {
      inside(in, cc->return_params);
      supported_commands sc;
      le_features f;
      (void)decode_read_local_supported_commands(*cc, sc);
      (void)decode_le_read_local_supported_features(*cc, f);
      (void)command_complete_status(*cc);
    }
    if (const auto* o = std::get_if<other_event>(&e)) inside(in, o->params);
    if (const auto* m = std::get_if<le_meta_other>(&e)) inside(in, m->params);
  }

  std::vector<adv_report> reports;
  (void)decode_advertising_reports(in, reports);
  check_reports(in, reports);
  (void)decode_extended_advertising_reports(in, reports);
  check_reports(in, reports);
  le_connection_complete c;
  (void)decode_le_connection_complete(in, false, c);
  (void)decode_le_connection_complete(in, true, c);

  std::uint16_t op = 0;
  bytes_view params;
  if (!decode_command(in, op, params)) inside(in, params);

  mgmt::event me;
  if (!mgmt::decode_event(in, me)) {
    inside(in, me.params);
    mgmt::command_complete mcc;
    mgmt::command_status mcs;
    mgmt::device_found df;
    mgmt::user_confirm_request ucr;
    mgmt::controller_info ci;
    if (!mgmt::decode_command_complete(me, mcc)) {
      inside(in, mcc.return_params);
      (void)mgmt::decode_controller_info(mcc.return_params, ci);
    }
    (void)mgmt::decode_command_status(me, mcs);
    if (!mgmt::decode_device_found(me, df)) inside(in, df.eir);
    (void)mgmt::decode_user_confirm_request(me, ucr);
    std::vector<std::uint8_t> reply;
    if (mgmt::agent_reply(in, reply) && reply.size() != mgmt::header_size + 7) std::abort();
  }
  return 0;
}
