#include "hci/adv_data.hpp"

#include <algorithm>

namespace bandwire::hci {

namespace {

using boost::system::error_code;

error_code invalid() noexcept { return make_error_code(errc::ad_invalid_field); }

// A list of UUIDs of `width` octets each (CSS A §1.1).
error_code parse_uuid_list(bytes_view d, std::size_t width, advertising_data& out) {
  if (d.size() % width != 0) return invalid();
  for (std::size_t i = 0; i < d.size(); i += width) {
    auto u = att::uuid::from_le(d.subspan(i, width));
    if (!u) return invalid();
    if (!out.has_service(*u)) out.service_uuids.push_back(*u);
  }
  return {};
}

// Service data: a UUID of `width` octets, then the data (CSS A §1.11).
error_code parse_service_data(bytes_view d, std::size_t width, advertising_data& out) {
  if (d.size() < width) return invalid();
  auto u = att::uuid::from_le(d.first(width));
  if (!u) return invalid();
  out.services.push_back({*u, d.subspan(width)});
  return {};
}

error_code parse_one(const ad_structure& s, advertising_data& out) {
  const bytes_view d = s.data;
  switch (s.type) {
    case ad_type::flags:
      // CSS A §1.3: one octet of flags (further octets are reserved: a
      // longer field is accepted and only its first octet read).
      if (d.empty()) return invalid();
      out.flags = d[0];
      return {};
    case ad_type::uuid16_incomplete:
    case ad_type::uuid16_complete:
    case ad_type::uuid32_incomplete:
    case ad_type::uuid32_complete:
    case ad_type::uuid128_incomplete:
    case ad_type::uuid128_complete: {
      const std::size_t width = s.type <= ad_type::uuid16_complete ? 2 : s.type <= ad_type::uuid32_complete ? 4 : 16;
      if (s.type == ad_type::uuid16_complete || s.type == ad_type::uuid32_complete ||
          s.type == ad_type::uuid128_complete)
        out.service_uuids_complete = true;
      return parse_uuid_list(d, width, out);
    }
    case ad_type::short_name:
    case ad_type::complete_name: {
      const bool complete = s.type == ad_type::complete_name;
      // A complete name wins over a shortened one wherever each came from.
      if (out.name && out.name_complete && !complete) return {};
      out.name = std::string(d.begin(), d.end());
      out.name_complete = complete;
      return {};
    }
    case ad_type::tx_power:
      // CSS A §1.5: one octet, -127..+127 dBm.
      if (d.size() != 1) return invalid();
      out.tx_power = static_cast<std::int8_t>(d[0]);
      return {};
    case ad_type::appearance:
      // CSS A §1.12: two octets.
      if (d.size() != 2) return invalid();
      out.appearance = get_le16(d.data());
      return {};
    case ad_type::manufacturer_specific:
      // CSS A §1.4: the company identifier (2 octets) comes first.
      if (d.size() < 2) return invalid();
      out.manufacturer.push_back({get_le16(d.data()), d.subspan(2)});
      return {};
    case ad_type::service_data16: return parse_service_data(d, 2, out);
    case ad_type::service_data32: return parse_service_data(d, 4, out);
    case ad_type::service_data128: return parse_service_data(d, 16, out);
    default:
      out.other.push_back(s);
      return {};
  }
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

bool advertising_data::has_service(const att::uuid& u) const noexcept {
  return std::find(service_uuids.begin(), service_uuids.end(), u) != service_uuids.end();
}

const manufacturer_data* advertising_data::manufacturer_for(std::uint16_t company) const noexcept {
  for (const auto& m : manufacturer)
    if (m.company == company) return &m;
  return nullptr;
}

const service_data* advertising_data::service_data_for(const att::uuid& u) const noexcept {
  for (const auto& s : services)
    if (s.uuid == u) return &s;
  return nullptr;
}

error_code split_ad(bytes_view data, std::vector<ad_structure>& out) {
  out.clear();
  std::size_t i = 0;
  while (i < data.size()) {
    const std::size_t len = data[i];
    // Vol 3 Part C §11: a zero length ends the significant part.
    if (len == 0) break;
    if (len > data.size() - i - 1) return make_error_code(errc::ad_truncated);
    out.push_back({data[i + 1], data.subspan(i + 2, len - 1)});
    i += 1 + len;
  }
  return {};
}

error_code parse_advertising_data(bytes_view data, advertising_data& out) {
  std::vector<ad_structure> structures;
  const error_code split_ec = split_ad(data, structures);
  for (const auto& s : structures)
    if (error_code ec = parse_one(s, out)) return ec;
  return split_ec;
}

// ----------------------------------------------------------------- encoder --

error_code append_ad(std::vector<std::uint8_t>& out, std::uint8_t type, bytes_view data) {
  if (data.size() > 254) return make_error_code(errc::invalid_argument);
  out.push_back(static_cast<std::uint8_t>(data.size() + 1));
  out.push_back(type);
  out.insert(out.end(), data.begin(), data.end());
  return {};
}

void append_ad_flags(std::vector<std::uint8_t>& out, std::uint8_t flags) {
  const std::uint8_t d[1] = {flags};
  append_ad(out, ad_type::flags, d);
}

error_code append_ad_name(std::vector<std::uint8_t>& out, std::string_view name, bool complete) {
  const bytes_view d(reinterpret_cast<const std::uint8_t*>(name.data()), name.size());
  return append_ad(out, complete ? ad_type::complete_name : ad_type::short_name, d);
}

error_code append_ad_uuid16_list(std::vector<std::uint8_t>& out, std::span<const std::uint16_t> uuids,
                                 bool complete) {
  if (uuids.size() > 127) return make_error_code(errc::invalid_argument);
  std::vector<std::uint8_t> d(uuids.size() * 2);
  for (std::size_t i = 0; i < uuids.size(); ++i) put_le16(d.data() + 2 * i, uuids[i]);
  return append_ad(out, complete ? ad_type::uuid16_complete : ad_type::uuid16_incomplete, d);
}

error_code append_ad_manufacturer(std::vector<std::uint8_t>& out, std::uint16_t company, bytes_view data) {
  if (data.size() > 252) return make_error_code(errc::invalid_argument);
  std::vector<std::uint8_t> d(2);
  put_le16(d.data(), company);
  d.insert(d.end(), data.begin(), data.end());
  return append_ad(out, ad_type::manufacturer_specific, d);
}

error_code append_ad_service_data16(std::vector<std::uint8_t>& out, std::uint16_t uuid, bytes_view data) {
  if (data.size() > 252) return make_error_code(errc::invalid_argument);
  std::vector<std::uint8_t> d(2);
  put_le16(d.data(), uuid);
  d.insert(d.end(), data.begin(), data.end());
  return append_ad(out, ad_type::service_data16, d);
}

// ------------------------------------------------------------ Mi Band 2 ----

error_code decode_miband2_manufacturer_data(bytes_view d, miband2_manufacturer_data& out) noexcept {
  if (d.size() != miband2_manufacturer_size) return invalid();
  miband2_manufacturer_data m;
  m.flag = d[0];
  std::copy(d.begin() + 1, d.begin() + 17, m.opaque.begin());
  m.device_type = d[17];
  // Offsets 18-23 hold the address most significant octet first (display
  // order), unlike HCI's little-endian BD_ADDR (miband2-protocol.md §2.1).
  for (std::size_t i = 0; i < 6; ++i) m.band.b[i] = d[18 + i];
  out = m;
  return {};
}

std::array<std::uint8_t, miband2_manufacturer_size> encode_miband2_manufacturer_data(
    const miband2_manufacturer_data& m) noexcept {
  std::array<std::uint8_t, miband2_manufacturer_size> d{};
  d[0] = m.flag;
  std::copy(m.opaque.begin(), m.opaque.end(), d.begin() + 1);
  d[17] = m.device_type;
  for (std::size_t i = 0; i < 6; ++i) d[18 + i] = m.band.b[i];
  return d;
}

miband_match recognise_miband2(const advertising_data& ad, const address* advertiser) {
  // The name is what Gadgetbridge matches on (case-insensitive).
  if (ad.name && iequals(*ad.name, miband2_name)) return miband_match::miband2;
  bool huami = ad.has_service(att::uuid::from16(miband_service_uuid16));
  for (const auto& m : ad.manufacturer) {
    if (m.company != huami_company_id) continue;
    huami = true;
    miband2_manufacturer_data d;
    if (decode_miband2_manufacturer_data(m.data, d)) continue;
    if (advertiser == nullptr || d.band == *advertiser) return miband_match::miband2;
  }
  return huami ? miband_match::huami : miband_match::none;
}

std::vector<std::uint8_t> miband2_advertising_data(const miband2_manufacturer_data& m) {
  std::vector<std::uint8_t> out;
  append_ad_flags(out, ad_flags::le_general_discoverable | ad_flags::br_edr_not_supported);
  const auto d = encode_miband2_manufacturer_data(m);
  append_ad_manufacturer(out, huami_company_id, d);
  return out;
}

std::vector<std::uint8_t> miband2_scan_response_data() {
  std::vector<std::uint8_t> out;
  append_ad_name(out, miband2_name, true);
  const std::uint16_t uuids[1] = {miband_service_uuid16};
  append_ad_uuid16_list(out, uuids, false);
  return out;
}

}  // namespace bandwire::hci
