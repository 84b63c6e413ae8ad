// The Asio shell around gatt::server: one connection's bearer answering
// requests from the pure server, and sending its notifications and
// indications. Used by `--device demo`, the virtual band and tests.
#pragma once

#include <memory>

#include "att/bearer.hpp"
#include "gatt/database.hpp"
#include "gatt/server.hpp"

namespace bandwire::gatt {

class server_session {
 public:
  server_session(seqpacket_socket socket, database& db, att::bearer::options opts = {});
  server_session(const server_session&) = delete;
  server_session& operator=(const server_session&) = delete;

  att::bearer& bearer() noexcept { return bearer_; }
  gatt::server& server() noexcept { return server_; }
  void start() { bearer_.start(); }

  /// Sends a notification when the client enabled them; returns false when
  /// it did not (nothing sent) or the link failed.
  bool notify(std::uint16_t value_handle, bytes_view value);
  /// Sends an indication when enabled; `done` runs on confirmation or error.
  /// Returns false (done not called) when indications are not enabled.
  bool indicate(std::uint16_t value_handle, bytes_view value, unique_function<void(error_code)> done);

 private:
  att::bearer bearer_;
  gatt::server server_;
  std::array<std::uint8_t, 520> out_{};
};

}  // namespace bandwire::gatt
