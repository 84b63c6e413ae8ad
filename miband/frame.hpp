// A value to write to, or a value received from, one Mi Band characteristic.
//
// Every Mi Band 2 command and reply fits in 20 bytes: the band never
// exchanges the ATT MTU, so ATT_MTU stays 23 and a write or notification
// carries at most 23 - 3 = 20 bytes (fact sheet §2.4). A frame therefore owns
// a fixed 20-byte buffer: it is a plain value that can be copied into an
// async operation without any lifetime rules, and encoders never allocate.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>

#include "common/bytes.hpp"

namespace bandwire::miband {

class frame {
 public:
  /// Largest payload at the default ATT_MTU of 23 (fact sheet §2.4).
  static constexpr std::size_t capacity = 20;

  constexpr frame() noexcept = default;
  /// For fixed commands such as `frame{0x15, 0x01, 0x01}`. A list longer than
  /// capacity is a programming error: it fails to compile in a constant
  /// expression and throws std::length_error at run time.
  constexpr frame(std::initializer_list<std::uint8_t> init) {
    if (init.size() > capacity) throw std::length_error("bandwire::miband::frame: more than 20 bytes");
    for (std::uint8_t b : init) data_[size_++] = b;
  }

  /// Appends one byte; false (and no change) when full.
  constexpr bool push_back(std::uint8_t b) noexcept {
    if (size_ >= capacity) return false;
    data_[size_++] = b;
    return true;
  }
  /// Appends all of `bytes`; false (and no change) when they do not fit.
  constexpr bool append(bytes_view bytes) noexcept {
    if (bytes.size() > capacity - size_) return false;
    for (std::uint8_t b : bytes) data_[size_++] = b;
    return true;
  }
  constexpr void clear() noexcept { size_ = 0; }

  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr const std::uint8_t* data() const noexcept { return data_.data(); }
  constexpr std::uint8_t operator[](std::size_t i) const noexcept { return data_[i]; }
  /// The bytes; the view is valid while this frame is alive and unchanged.
  constexpr bytes_view bytes() const noexcept { return bytes_view(data_.data(), size_); }

  /// Equal when the used bytes are equal (spare capacity is ignored).
  friend constexpr bool operator==(const frame& a, const frame& b) noexcept {
    if (a.size_ != b.size_) return false;
    for (std::size_t i = 0; i < a.size_; ++i)
      if (a.data_[i] != b.data_[i]) return false;
    return true;
  }

 private:
  std::array<std::uint8_t, capacity> data_{};
  std::uint8_t size_ = 0;
};

}  // namespace bandwire::miband
