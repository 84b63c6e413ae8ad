#include "tools/command_table.hpp"

#include "tools/commands.hpp"

namespace bandwire::tools {

namespace {

using g = command_group;

constexpr command table[] = {
    {"stream", g::mi_band, "raw accelerometer + PPG + heart rate as JSONL/CSV records", declare_stream, run_stream},
    {"activity", g::mi_band, "the band's stored per-minute history (resumable, nothing twice)", declare_activity, run_activity},
    {"record", g::mi_band, "record several bands unattended, as a TOML config says (reconnects)", declare_record,
     run_record},
    {"heart", g::mi_band, "heart rate: one measurement, or --continuous", declare_heart, run_heart},
    {"pair", g::mi_band, "bind a new key to the band (you tap the band to confirm)", declare_pair, run_pair},
    {"info", g::mi_band, "device information, battery and clock", declare_info, run_info},
    {"battery", g::mi_band, "battery level and charge dates", declare_battery, run_battery},
    {"time", g::mi_band, "the band's clock; --set writes this host's time", declare_time, run_time},
    {"steps", g::mi_band, "steps, distance and calories; --follow for updates", declare_steps, run_steps},
    {"alert", g::mi_band, "vibrate with an alert level, or show a text (--text)", declare_alert, run_alert},
    {"vibrate", g::mi_band, "find the band: vibrate it", declare_vibrate, run_vibrate},
    {"events", g::mi_band, "print button presses and other band events", declare_events, run_events},
    {"config", g::mi_band, "band settings from a TOML file: config apply FILE | config show", declare_config,
     run_config},
    {"alarm", g::mi_band, "the band's 10 alarms: alarm list | set SLOT HH:MM | clear SLOT", declare_alarm, run_alarm},
    {"sim", g::mi_band, "run a virtual Mi Band 2 (--model: 3, 4, HRX, a strap) on a socket or adapter", declare_sim, run_sim},

    {"gatt", g::gatt_and_capture, "explore any GATT server: discover, read, write, listen", declare_gatt, run_gatt},
    {"decode", g::gatt_and_capture, "print every ATT PDU of a btsnoop capture, with Mi Band meanings", declare_decode,
     run_decode},

    {"scan", g::bluetooth_setup, "list nearby LE devices (RSSI, name); marks a Mi Band 2", declare_scan, run_scan},
    {"adapters", g::bluetooth_setup, "list the local Bluetooth adapters and their state", declare_adapters,
     run_adapters},
    {"adapter", g::bluetooth_setup, "bring an adapter up, or reset it: adapter up|reset [--adapter hciN]",
     declare_adapter, run_adapter},
    {"doctor", g::bluetooth_setup, "check kernel support, adapters, rfkill, bluetoothd, privileges", declare_doctor,
     run_doctor},
    {"agent", g::bluetooth_setup, "answer the kernel's Just Works pairing requests (no bluetoothd)", declare_agent,
     run_agent},
};

}  // namespace

std::span<const command> command_table() { return table; }

const command* find_command(std::string_view name) {
  for (const auto& c : table)
    if (name == c.name) return &c;
  return nullptr;
}

}  // namespace bandwire::tools
