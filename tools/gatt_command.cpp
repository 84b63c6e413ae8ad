// `bandwire gatt`: the generic GATT explorer (what gatttool offered) over any
// transport. Each subcommand is one short coroutine over gatt::client.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>

#include <boost/asio/redirect_error.hpp>

#include "att/error.hpp"
#include "gatt/client.hpp"
#include "tools/args.hpp"
#include "tools/commands.hpp"
#include "tools/output.hpp"
#include "tools/target.hpp"

namespace bandwire::tools {

namespace {

constexpr const char* gatt_help = R"(usage: bandwire gatt --device TARGET [options] COMMAND [ARGS]

Explore any GATT server: discover, read, write and listen.

TARGET:
  unix:/path             an ATT peer serving on an AF_UNIX SOCK_SEQPACKET socket
  demo                   an in-process GATT server with a small demo database
  AA:BB:CC:DD:EE:FF      a Bluetooth LE device (needs a kernel with Bluetooth)

COMMANDS:
  primary [--uuid U]                    discover primary services (all, or by UUID)
  characteristics                       discover all characteristics
  descriptors [--start H --end H]       list attribute handles and types (Find Information)
  read HANDLE [--offset N]              read a whole value (continues with Read Blob)
  read-uuid UUID [--start H --end H]    read values by characteristic UUID
  read-multiple H H [H...]              Read Multiple Request
  write HANDLE HEX [--offset N] [--long] [--reliable]
                                        write with response; prepared writes when the
                                        value does not fit one PDU, or with --long;
                                        --reliable checks every echoed segment
  write-cmd HANDLE HEX                  Write Command (no response)
  listen [--subscribe HANDLE]... [--duration S]
                                        print notifications and indications until
                                        Ctrl-C or S seconds; --subscribe writes the
                                        characteristic's CCCD first (value handle)

OPTIONS:
  --mtu N                exchange ATT MTU N (23..517) before the command
  --json                 one JSON object per result line (handles as integers,
                         UUIDs as 128-bit strings, values as hex)
  --addr-type T          random (default, as the Mi Band uses) or public
  --adapter hciN         local adapter for Bluetooth addresses
  --security LEVEL       low|medium|high|fips: BT_SECURITY before connecting
  --timeout S            connect timeout in seconds (default 10)

HANDLE and N accept decimal or 0x-prefixed hex. Exit status: 0 success,
1 the procedure failed (the ATT error is named), 2 bad usage, 3 no connection.
)";

std::string props_text(std::uint8_t p) {
  static const char* names[] = {"broadcast", "read", "write-without-response", "write",
                                "notify", "indicate", "signed-write", "extended"};
  std::string s;
  for (int i = 0; i < 8; ++i)
    if (p & (1 << i)) s += (s.empty() ? "" : ",") + std::string(names[i]);
  return s;
}

std::string printable(bytes_view v) {
  std::string s;
  for (auto c : v) {
    if (c < 0x20 || c > 0x7e) return {};
    s.push_back(static_cast<char>(c));
  }
  return s;
}

struct context {
  asio::io_context& io;
  gatt::client& client;
  const args& a;
  bool json = false;
  int exit = exit_ok;
  std::string what;  // procedure name for error messages

  void fail(const error_code& ec) {
    std::fprintf(stderr, "bandwire: %s failed: %s\n", what.c_str(), ec.message().c_str());
    exit = exit_failed;
  }
  void usage(const std::string& msg) {
    std::fprintf(stderr, "bandwire gatt: %s (see bandwire gatt --help)\n", msg.c_str());
    exit = exit_usage;
  }
  std::optional<std::uint16_t> handle_arg(const std::string& s) {
    auto v = parse_number(s, 0xffff);
    if (!v) usage("not a handle: " + s);
    return v ? std::optional<std::uint16_t>(static_cast<std::uint16_t>(*v)) : std::nullopt;
  }
  std::optional<std::uint16_t> handle_opt(const char* name, std::uint16_t dflt) {
    auto s = a.get(name);
    if (!s) return dflt;
    return handle_arg(*s);
  }
  void print_value(std::uint16_t handle, bytes_view v) {
    if (json) return emit(json_object().add("handle", handle).add("value", to_hex(v)).str());
    std::string text = printable(v);
    emit(hex16(handle) + ": " + to_hex(v) + (text.empty() ? "" : "  \"" + text + "\""));
  }
};

using tok_t = asio::redirect_error_t<asio::use_awaitable_t<>>;

asio::awaitable<void> gatt_main(context& c, std::string cmd, std::vector<std::string> pos) {
  error_code ec;
  tok_t tok = asio::redirect_error(asio::use_awaitable, ec);
  auto& cl = c.client;

  if (auto m = c.a.get("--mtu")) {
    auto v = parse_number(*m, 517);
    if (!v || *v < 23) co_return c.usage("--mtu must be 23..517");
    c.what = "MTU exchange";
    const std::uint16_t mtu = co_await cl.async_exchange_mtu(static_cast<std::uint16_t>(*v), tok);
    if (ec) co_return c.fail(ec);
    if (!c.json) std::fprintf(stderr, "ATT MTU %u\n", mtu);
  }

  if (cmd == "primary") {
    c.what = "primary service discovery";
    std::vector<gatt::service> services;
    if (auto u = c.a.get("--uuid")) {
      auto type = att::uuid::parse(*u);
      if (!type) co_return c.usage("not a UUID: " + *u);
      services = co_await cl.async_discover_primary(*type, tok);
    } else {
      services = co_await cl.async_discover_primary(tok);
    }
    if (ec) co_return c.fail(ec);
    for (const auto& s : services) {
      if (c.json)
        emit(json_object().add("start", s.start).add("end", s.end).add("uuid", s.type.to_string()).str());
      else
        emit("service " + hex16(s.start) + "-" + hex16(s.end) + " " + s.type.to_string());
    }
  } else if (cmd == "characteristics") {
    c.what = "characteristic discovery";
    auto start = c.handle_opt("--start", 1), end = c.handle_opt("--end", 0xffff);
    if (!start || !end) co_return;
    auto chars = co_await cl.async_discover_characteristics(*start, *end, tok);
    if (ec) co_return c.fail(ec);
    for (const auto& ch : chars) {
      if (c.json)
        emit(json_object()
                 .add("handle", ch.decl_handle)
                 .add("value_handle", ch.value_handle)
                 .add("properties", ch.properties)
                 .add("uuid", ch.type.to_string())
                 .str());
      else
        emit("char " + hex16(ch.decl_handle) + " value " + hex16(ch.value_handle) + " " + ch.type.to_string() +
             " [" + props_text(ch.properties) + "]");
    }
  } else if (cmd == "descriptors") {
    c.what = "descriptor discovery";
    auto start = c.handle_opt("--start", 1), end = c.handle_opt("--end", 0xffff);
    if (!start || !end) co_return;
    auto descs = co_await cl.async_discover_descriptors(*start, *end, tok);
    if (ec) co_return c.fail(ec);
    for (const auto& d : descs) {
      if (c.json)
        emit(json_object().add("handle", d.handle).add("uuid", d.type.to_string()).str());
      else
        emit("handle " + hex16(d.handle) + " " + d.type.to_string());
    }
  } else if (cmd == "read") {
    if (pos.size() != 1) co_return c.usage("read takes one HANDLE");
    auto h = c.handle_arg(pos[0]);
    auto off = c.handle_opt("--offset", 0);
    if (!h || !off) co_return;
    c.what = "read " + hex16(*h);
    gatt::value_type v;
    if (*off == 0) {
      v = co_await cl.async_read(*h, tok);
    } else {
      v = co_await asio::async_initiate<tok_t, void(error_code, gatt::value_type)>(
          [&](auto handler) {
            cl.read(*h, *off, [handler = std::move(handler)](error_code e, gatt::value_type r) mutable {
              handler(e, std::move(r));
            });
          },
          tok);
    }
    if (ec) co_return c.fail(ec);
    c.print_value(*h, v);
  } else if (cmd == "read-uuid") {
    if (pos.size() != 1) co_return c.usage("read-uuid takes one UUID");
    auto type = att::uuid::parse(pos[0]);
    if (!type) co_return c.usage("not a UUID: " + pos[0]);
    auto start = c.handle_opt("--start", 1), end = c.handle_opt("--end", 0xffff);
    if (!start || !end) co_return;
    c.what = "read by UUID " + type->to_string();
    auto r = co_await cl.async_read_by_uuid(*start, *end, *type, tok);
    if (ec) co_return c.fail(ec);
    for (const auto& e : r.entries) c.print_value(e.handle, e.value);
  } else if (cmd == "read-multiple") {
    if (pos.size() < 2) co_return c.usage("read-multiple takes two or more handles");
    std::vector<std::uint16_t> hs;
    for (const auto& p : pos) {
      auto h = c.handle_arg(p);
      if (!h) co_return;
      hs.push_back(*h);
    }
    c.what = "read multiple";
    auto v = co_await cl.async_read_multiple(hs, tok);
    if (ec) co_return c.fail(ec);
    if (c.json)
      emit(json_object().add("value", to_hex(v)).str());
    else
      emit("values: " + to_hex(v));
  } else if (cmd == "write" || cmd == "write-cmd") {
    if (pos.size() != 2) co_return c.usage(cmd + " takes HANDLE and HEX");
    auto h = c.handle_arg(pos[0]);
    if (!h) co_return;
    std::vector<std::uint8_t> value;
    if (!from_hex(pos[1], value)) co_return c.usage("not hex bytes: " + pos[1]);
    c.what = cmd + " " + hex16(*h);
    if (cmd == "write-cmd") {
      if (error_code e = cl.write_without_response(*h, value)) co_return c.fail(e);
      // Let the write leave before the process exits.
      if (c.json) emit(json_object().add("handle", *h).add("written", static_cast<int>(value.size())).str());
      co_return;
    }
    auto off = c.handle_opt("--offset", 0);
    if (!off) co_return;
    const bool reliable = c.a.has("--reliable");
    const bool long_write = c.a.has("--long") || reliable || *off != 0 || value.size() + 3 > cl.bearer().mtu();
    if (long_write) {
      co_await asio::async_initiate<tok_t, void(error_code)>(
          [&](auto handler) {
            cl.write_long(*h, *off, value, reliable,
                          [handler = std::move(handler)](error_code e) mutable { handler(e); });
          },
          tok);
    } else {
      co_await cl.async_write(*h, value, tok);
    }
    if (ec) co_return c.fail(ec);
    if (c.json)
      emit(json_object().add("handle", *h).add("written", static_cast<int>(value.size())).str());
    else
      emit("wrote " + std::to_string(value.size()) + " bytes to " + hex16(*h));
  } else if (cmd == "listen") {
    auto subs = c.a.all("--subscribe");
    double duration = 0;
    if (auto d = c.a.get("--duration")) {
      try {
        duration = std::stod(*d);
      } catch (...) {
        duration = -1;
      }
      if (!(duration > 0)) co_return c.usage("--duration must be a positive number of seconds");
    }
    auto print = [&c](std::uint16_t h, bytes_view v, bool ind) {
      if (c.json)
        emit(json_object().add("handle", h).add("value", to_hex(v)).add("indication", ind).str());
      else
        emit((ind ? "indication " : "notification ") + hex16(h) + ": " + to_hex(v));
    };
    cl.listen_all(print);
    if (!subs.empty()) {
      c.what = "discovery";
      co_await cl.async_discover_all(tok);
      if (ec) co_return c.fail(ec);
      for (const auto& s : subs) {
        auto h = c.handle_arg(s);
        if (!h) co_return;
        c.what = "subscribe " + hex16(*h);
        co_await cl.async_subscribe(*h, print, tok);
        if (ec) co_return c.fail(ec);
      }
    }
    // Wait for Ctrl-C, SIGTERM, the duration, or the link going away.
    asio::signal_set signals(c.io, SIGINT, SIGTERM);
    asio::steady_timer timer(c.io);
    timer.expires_at(duration > 0 ? std::chrono::steady_clock::now() +
                                        std::chrono::milliseconds(static_cast<long long>(duration * 1000))
                                  : asio::steady_timer::time_point::max());
    signals.async_wait([&](error_code, int) { timer.cancel(); });
    cl.bearer().on_close([&](error_code) { timer.cancel(); });
    error_code wait_ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
    signals.cancel();
    if (!cl.bearer().is_open() && cl.bearer().close_reason() != att::errc::closed) {
      c.what = "listen";
      c.fail(cl.bearer().close_reason());
    }
  } else {
    c.usage("unknown command '" + cmd + "'");
  }
}

}  // namespace

int run_gatt(const std::vector<std::string>& argv) {
  std::set<std::string> values = target_value_options;
  values.insert({"--uuid", "--start", "--end", "--offset", "--mtu", "--subscribe", "--duration"});
  args a(argv, values, {"--json", "--long", "--reliable", "--help"});
  if (a.has("--help")) {
    std::fputs(gatt_help, stdout);
    return exit_ok;
  }
  if (!a.ok()) {
    std::fprintf(stderr, "bandwire gatt: %s (see bandwire gatt --help)\n", a.error().c_str());
    return exit_usage;
  }
  if (a.positional().empty()) {
    std::fprintf(stderr, "bandwire gatt: missing COMMAND (see bandwire gatt --help)\n");
    return exit_usage;
  }
  std::string err;
  target_options topts = read_target_options(a, err);
  if (!err.empty()) {
    std::fprintf(stderr, "bandwire gatt: %s\n", err.c_str());
    return exit_usage;
  }
  asio::io_context io;
  connection conn;
  std::string message;
  if (open_target(io, topts, conn, message)) {
    std::fprintf(stderr, "bandwire: %s\n", message.c_str());
    return exit_connect;
  }
  conn.bearer->start();
  gatt::client client(*conn.bearer);
  context ctx{io, client, a, a.has("--json"), exit_ok, {}};
  std::vector<std::string> pos(a.positional().begin() + 1, a.positional().end());
  bool done = false;
  asio::co_spawn(io, gatt_main(ctx, a.positional()[0], pos), [&](std::exception_ptr e) {
    done = true;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "bandwire: %s\n", ex.what());
      }
      ctx.exit = exit_failed;
    }
    conn.bearer->close();
    io.stop();
  });
  io.run();
  return done ? ctx.exit : exit_failed;
}

}  // namespace bandwire::tools
