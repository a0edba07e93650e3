#include "base/table.h"

#include <algorithm>
#include <cstdio>

namespace odma {

std::string Table::to_markdown() const {
  std::vector<size_t> width(header_.size(), 3);
  auto widen = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  };
  widen(header_);
  for (const auto& r : rows_) widen(r);
  auto line = [&](const std::vector<std::string>& row) {
    std::string s = "|";
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
      s += " " + cell + std::string(width[i] - cell.size(), ' ') + " |";
    }
    return s + "\n";
  };
  std::string out = line(header_);
  out += "|";
  for (size_t w : width) out += std::string(w + 2, '-') + "|";
  out += "\n";
  for (const auto& r : rows_) out += line(r);
  return out;
}

std::string fmt(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  return buf;
}

std::string fmt_percent(double fraction, int decimals) {
  return fmt(100.0 * fraction, decimals) + "%";
}

}  // namespace odma
