// The tests read their JSON (shared/vectors, `bandwire ... --json` output)
// with nlohmann-json; this adds the one thing it lacks, loading a file with
// an error that names it.
//
//   const auto doc = bandwire::test::load_json(path);
//   for (const auto& t : doc.at("tests")) std::string name = t.at("name").get<std::string>();
#pragma once

#include <fstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace bandwire::test {

using json = nlohmann::json;

/// Reads and parses a file. Throws std::runtime_error when it cannot be read
/// and json::parse_error (with the byte position) when it is not JSON.
inline json load_json(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("json: cannot open " + path);
  return json::parse(f);
}

}  // namespace bandwire::test
