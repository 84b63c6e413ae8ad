// `bandwire gatt`: the generic GATT explorer (what gatttool offered) over any
// transport. Each subcommand is one short coroutine over gatt::client.
#include <cstdio>
#include <cstdlib>
#include <optional>

#include <boost/asio/redirect_error.hpp>

#include "att/error.hpp"
#include "gatt/client.hpp"
#include "hci/btsnoop_recorder.hpp"
#include "tools/commands.hpp"
#include "tools/option_set.hpp"
#include "tools/output.hpp"
#include "tools/target.hpp"
#include "tools/wait.hpp"

namespace bandwire::tools {

namespace {

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

// The command line, checked completely before connecting: a usage error
// exits 2 at once and never dials the device.
struct plan {
  std::string cmd;
  std::optional<std::uint16_t> mtu;      // --mtu
  std::optional<att::uuid> type;         // primary --uuid, read-uuid UUID
  std::uint16_t start = 1, end = 0xffff;  // --start, --end
  std::uint16_t offset = 0;              // --offset
  std::vector<std::uint16_t> handles;    // read, write, write-cmd, read-multiple
  std::vector<std::uint8_t> value;       // write, write-cmd
  bool reliable = false, long_write = false;
  std::vector<std::uint16_t> subscribe;  // listen --subscribe
  double duration = 0;                   // listen --duration; 0 = until a signal
};

std::optional<std::uint16_t> parse_handle(const std::string& s) {
  auto v = parse_number(s, 0xffff);
  return v ? std::optional<std::uint16_t>(static_cast<std::uint16_t>(*v)) : std::nullopt;
}

// Fills `p` from the command line; returns a usage error, or "" when valid.
std::string make_plan(const args& a, plan& p) {
  const auto& all = a.positional();
  p.cmd = all.front();
  const std::vector<std::string> pos(all.begin() + 1, all.end());
  if (auto m = a.get("--mtu")) {
    auto v = parse_number(*m, 517);
    if (!v || *v < 23) return "--mtu must be 23..517";
    p.mtu = static_cast<std::uint16_t>(*v);
  }
  for (auto [name, field] : {std::pair{"--start", &p.start}, std::pair{"--end", &p.end}, std::pair{"--offset", &p.offset}}) {
    if (auto s = a.get(name)) {
      auto h = parse_handle(*s);
      if (!h) return std::string(name) == "--offset" ? "not an offset: " + *s : "not a handle: " + *s;
      *field = *h;
    }
  }
  if (p.start == 0 || p.start > p.end) return "--start must be 1..--end";
  const auto handles = [&](std::size_t from, std::size_t to) -> std::string {
    for (std::size_t i = from; i < to; ++i) {
      auto h = parse_handle(pos[i]);
      if (!h) return "not a handle: " + pos[i];
      p.handles.push_back(*h);
    }
    return {};
  };
  const auto uuid_arg = [&](const std::string& s) -> std::string {
    p.type = att::uuid::parse(s);
    return p.type ? "" : "not a UUID: " + s;
  };

  if (p.cmd == "primary") {
    if (!pos.empty()) return "primary takes no arguments";
    if (auto u = a.get("--uuid")) return uuid_arg(*u);
  } else if (p.cmd == "characteristics" || p.cmd == "descriptors") {
    if (!pos.empty()) return p.cmd + " takes no arguments";
  } else if (p.cmd == "read") {
    if (pos.size() != 1) return "read takes one HANDLE";
    return handles(0, 1);
  } else if (p.cmd == "read-uuid") {
    if (pos.size() != 1) return "read-uuid takes one UUID";
    return uuid_arg(pos[0]);
  } else if (p.cmd == "read-multiple") {
    if (pos.size() < 2) return "read-multiple takes two or more handles";
    return handles(0, pos.size());
  } else if (p.cmd == "write" || p.cmd == "write-cmd") {
    if (pos.size() != 2) return p.cmd + " takes HANDLE and HEX";
    if (auto e = handles(0, 1); !e.empty()) return e;
    if (!from_hex(pos[1], p.value)) return "not hex bytes: " + pos[1];
    p.reliable = a.has("--reliable");
    p.long_write = a.has("--long") || p.reliable || p.offset != 0;
    if (p.cmd == "write-cmd" && (p.long_write || a.has("--offset")))
      return "write-cmd takes no --offset, --long or --reliable";
  } else if (p.cmd == "listen") {
    if (!pos.empty()) return "listen takes no arguments (use --subscribe HANDLE)";
    for (const auto& s : a.all("--subscribe")) {
      auto h = parse_handle(s);
      if (!h) return "not a handle: " + s;
      p.subscribe.push_back(*h);
    }
    if (auto d = a.get("--duration")) {
      auto v = parse_seconds(*d);
      if (!v) return "--duration must be a positive number of seconds (at most 86400)";
      p.duration = *v;
    }
  } else {
    return "unknown command '" + p.cmd + "'";
  }
  return {};
}

struct context {
  asio::io_context& io;
  gatt::client& client;
  const plan& p;
  bool json = false;
  int exit = exit_ok;
  std::string what;  // procedure name for error messages

  void fail(const error_code& ec) {
    std::fprintf(stderr, "bandwire: %s failed: %s\n", what.c_str(), ec.message().c_str());
    exit = exit_failed;
  }
  void print_value(std::uint16_t handle, bytes_view v) {
    if (json) return emit(json_object().add("handle", handle).add("value", to_hex(v)).str());
    std::string text = printable(v);
    emit(hex16(handle) + ": " + to_hex(v) + (text.empty() ? "" : "  \"" + text + "\""));
  }
};

using tok_t = asio::redirect_error_t<asio::use_awaitable_t<>>;

void print_event(const context& c, std::uint16_t h, bytes_view v, bool indication) {
  if (c.json)
    emit(json_object().add("handle", h).add("value", to_hex(v)).add("indication", indication).str());
  else
    emit((indication ? "indication " : "notification ") + hex16(h) + ": " + to_hex(v));
}

asio::awaitable<void> primary(context& c) {
  error_code ec;
  c.what = "primary service discovery";
  std::vector<gatt::service> services;
  if (c.p.type)
    services = co_await c.client.async_discover_primary(*c.p.type, asio::redirect_error(asio::use_awaitable, ec));
  else
    services = co_await c.client.async_discover_primary(asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return c.fail(ec);
  for (const auto& s : services) {
    if (c.json)
      emit(json_object().add("start", s.start).add("end", s.end).add("uuid", s.type.to_string()).str());
    else
      emit("service " + hex16(s.start) + "-" + hex16(s.end) + " " + s.type.to_string());
  }
}

asio::awaitable<void> characteristics(context& c) {
  error_code ec;
  c.what = "characteristic discovery";
  auto chars =
      co_await c.client.async_discover_characteristics(c.p.start, c.p.end, asio::redirect_error(asio::use_awaitable, ec));
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
      emit("char " + hex16(ch.decl_handle) + " value " + hex16(ch.value_handle) + " " + ch.type.to_string() + " [" +
           props_text(ch.properties) + "]");
  }
}

asio::awaitable<void> descriptors(context& c) {
  error_code ec;
  c.what = "descriptor discovery";
  auto descs =
      co_await c.client.async_discover_descriptors(c.p.start, c.p.end, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return c.fail(ec);
  for (const auto& d : descs) {
    if (c.json)
      emit(json_object().add("handle", d.handle).add("uuid", d.type.to_string()).str());
    else
      emit("handle " + hex16(d.handle) + " " + d.type.to_string());
  }
}

asio::awaitable<void> read(context& c) {
  error_code ec;
  tok_t tok = asio::redirect_error(asio::use_awaitable, ec);
  const std::uint16_t h = c.p.handles[0];
  c.what = "read " + hex16(h);
  gatt::value_type v;
  if (c.p.offset == 0) {
    v = co_await c.client.async_read(h, tok);
  } else {
    v = co_await asio::async_initiate<tok_t, void(error_code, gatt::value_type)>(
        [&](auto handler) {
          c.client.read(h, c.p.offset, [handler = std::move(handler)](error_code e, gatt::value_type r) mutable {
            handler(e, std::move(r));
          });
        },
        tok);
  }
  if (ec) co_return c.fail(ec);
  c.print_value(h, v);
}

asio::awaitable<void> read_uuid(context& c) {
  error_code ec;
  c.what = "read by UUID " + c.p.type->to_string();
  auto r = co_await c.client.async_read_by_uuid(c.p.start, c.p.end, *c.p.type,
                                                asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return c.fail(ec);
  for (const auto& e : r.entries) c.print_value(e.handle, e.value);
}

asio::awaitable<void> read_multiple(context& c) {
  error_code ec;
  c.what = "read multiple";
  auto v = co_await c.client.async_read_multiple(c.p.handles, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return c.fail(ec);
  if (c.json)
    emit(json_object().add("value", to_hex(v)).str());
  else
    emit("values: " + to_hex(v));
}

void print_written(const context& c, std::uint16_t h, const char* human) {
  if (c.json)
    emit(json_object().add("handle", h).add("written", static_cast<int>(c.p.value.size())).str());
  else
    emit(std::string(human) + " " + std::to_string(c.p.value.size()) + " bytes to " + hex16(h));
}

asio::awaitable<void> write(context& c) {
  error_code ec;
  tok_t tok = asio::redirect_error(asio::use_awaitable, ec);
  auto& cl = c.client;
  const plan& p = c.p;
  const std::uint16_t h = p.handles[0];
  c.what = p.cmd + " " + hex16(h);
  if (p.cmd == "write-cmd") {
    if (error_code e = cl.write_without_response(h, p.value)) co_return c.fail(e);
    if (c.json) co_return print_written(c, h, "");
    co_return emit("sent " + std::to_string(p.value.size()) + " bytes to " + hex16(h) + " (no response)");
  }
  // Prepared writes when asked, or when the value does not fit one Write
  // Request (opcode + handle + value <= ATT_MTU, §4.9.3).
  if (p.long_write || p.value.size() + 3 > cl.bearer().mtu()) {
    co_await asio::async_initiate<tok_t, void(error_code)>(
        [&](auto handler) {
          cl.write_long(h, p.offset, p.value, p.reliable,
                        [handler = std::move(handler)](error_code e) mutable { handler(e); });
        },
        tok);
  } else {
    co_await cl.async_write(h, p.value, tok);
  }
  if (ec) co_return c.fail(ec);
  print_written(c, h, "wrote");
}

asio::awaitable<void> listen(context& c) {
  error_code ec;
  auto& cl = c.client;
  std::vector<registration> subs;
  if (!c.p.subscribe.empty()) {
    c.what = "discovery";
    co_await cl.async_discover_all(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return c.fail(ec);
    for (const auto h : c.p.subscribe) {
      c.what = "subscribe " + hex16(h);
      subs.push_back(cl.listen(h, [&c](std::uint16_t vh, bytes_view v, bool ind) { print_event(c, vh, v, ind); }));
      co_await cl.async_subscribe(h, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return c.fail(ec);
    }
  }
  // (co_await kept out of the condition: GCC 12 mis-evaluates it inside &&.)
  const bool open = co_await wait_until_stopped(c.io, c.p.duration, cl.bearer());
  if (!open && cl.bearer().close_reason() != att::errc::closed) {
    c.what = "listen";
    c.fail(cl.bearer().close_reason());
  }
}

asio::awaitable<void> gatt_main(context& c) {
  auto& cl = c.client;
  // `listen` routes values before the first read, so a notification the
  // peer sends right after connecting is printed, not dropped.
  registration all;
  if (c.p.cmd == "listen")
    all = cl.listen_all([&c](std::uint16_t h, bytes_view v, bool ind) { print_event(c, h, v, ind); });
  cl.bearer().start();
  if (c.p.mtu) {
    c.what = "MTU exchange";
    error_code ec;
    const std::uint16_t mtu = co_await cl.async_exchange_mtu(*c.p.mtu, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return c.fail(ec);
    if (!c.json) std::fprintf(stderr, "ATT MTU %u\n", mtu);
  }
  static const std::pair<const char*, asio::awaitable<void> (*)(context&)> procedures[] = {
      {"primary", primary}, {"characteristics", characteristics}, {"descriptors", descriptors},
      {"read", read}, {"read-uuid", read_uuid}, {"read-multiple", read_multiple},
      {"write", write}, {"write-cmd", write}, {"listen", listen}};
  for (const auto& [name, procedure] : procedures)
    if (c.p.cmd == name) co_await procedure(c);
}

// Runs the plan's procedure over the connection; the exit code.
int run_plan(asio::io_context& io, connection& conn, const plan& p, const args& a) {
  hci::btsnoop_recorder recorder;
  registration recording;
  if (auto f = a.get("--btsnoop"); f && recorder.open(*f)) recording = recorder.attach(*conn.bearer);
  gatt::client client(*conn.bearer);  // gatt_main starts the bearer
  context ctx{io, client, p, a.has("--json"), exit_ok, {}};
  bool done = false;
  asio::co_spawn(io, gatt_main(ctx), [&](std::exception_ptr e) {
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

}  // namespace

void declare_gatt(option_set& o) {
  o.usage("gatt --device TARGET [options] COMMAND [ARGS]")
      .description(R"(Explore any GATT server: discover, read, write and listen.

TARGET:
  unix:/path             an ATT peer serving on an AF_UNIX SOCK_SEQPACKET socket
  demo                   an in-process GATT server with a small demo database
  AA:BB:CC:DD:EE:FF      a Bluetooth LE device (needs a kernel with Bluetooth)

COMMANDS:
  primary [--uuid U]                    discover primary services (all, or by UUID)
  characteristics [--start H --end H]   discover characteristics (all, or in a range)
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
                                        characteristic's CCCD first (value handle))")
      .positionals();
  declare_target_options(o, "unix:/path, demo or AA:BB:CC:DD:EE:FF (see TARGET)");
  o.value("--mtu", "N", "exchange ATT MTU N (23..517) before the command")
      .flag("--json", "one JSON object per result line (handles as integers,\n"
                      "UUIDs as 128-bit strings, values as hex)")
      .value("--btsnoop", "FILE", "record the session's ATT PDUs as a btsnoop file")
      .group("COMMAND OPTIONS")
      .value("--uuid", "U", "primary: only services of this UUID")
      .value("--start", "H", "characteristics, descriptors, read-uuid: first handle (default 1)")
      .value("--end", "H", "characteristics, descriptors, read-uuid: last handle (default 0xffff)")
      .value("--offset", "N", "read, write: start at this value offset")
      .flag("--long", "write: prepared writes even when the value fits one PDU")
      .flag("--reliable", "write: prepared writes, checking every echoed segment")
      .value("--subscribe", "HANDLE", "listen: write this value handle's CCCD first (repeatable)")
      .value("--duration", "S", "listen: stop after S seconds")
      .footer("HANDLE and N accept decimal or 0x-prefixed hex. Exit status: 0 success,\n"
              "1 the procedure failed (the ATT error is named), 2 bad usage, 3 no connection.");
}

int run_gatt(const args& a) {
  if (a.positional().empty()) {
    std::fprintf(stderr, "bandwire gatt: missing COMMAND (see bandwire gatt --help)\n");
    return exit_usage;
  }
  plan p;
  if (std::string usage = make_plan(a, p); !usage.empty()) {
    std::fprintf(stderr, "bandwire gatt: %s (see bandwire gatt --help)\n", usage.c_str());
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
  if (miband::open_transport(io, topts, att::bearer::options{}, conn, message)) {
    std::fprintf(stderr, "bandwire: %s\n", message.c_str());
    return exit_connect;
  }
  return run_plan(io, conn, p, a);
}

}  // namespace bandwire::tools
