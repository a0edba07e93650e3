#include "sim/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace odma::sim {

namespace {

constexpr double kWidth = 900, kPanelHeight = 320, kTop = 50;
constexpr double kLeft = 80, kRight = 190, kPanelPad = 60;
const char* const kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string tick_label(double v) {
  char buf[32];
  double a = std::fabs(v);
  if (a != 0 && (a >= 1e5 || a < 1e-2)) {
    std::snprintf(buf, sizeof buf, "%.1e", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

// A "nice" tick step: 1, 2 or 5 × 10^k giving about `target` ticks over `span`.
double nice_step(double span, int target) {
  if (!(span > 0)) return 1;
  double raw = span / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

}  // namespace

std::string svg_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_svg(const std::string& title, const std::vector<PlotPanel>& panels,
                       std::size_t max_points) {
  const double height = kTop + static_cast<double>(panels.size()) * (kPanelHeight + kPanelPad) + 10;
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) +
                  "\" height=\"" + num(height) +
                  "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  s += "<text x=\"" + num(kWidth / 2) + "\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">" +
       svg_escape(title) + "</text>\n";
  for (std::size_t pi = 0; pi < panels.size(); ++pi) {
    const PlotPanel& p = panels[pi];
    const double y0 = kTop + static_cast<double>(pi) * (kPanelHeight + kPanelPad) + 20;
    const double pw = kWidth - kLeft - kRight, ph = kPanelHeight - 40;
    double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
    double ymin = xmin, ymax = -xmin;
    for (const PlotSeries& se : p.series) {
      for (const auto& [x, y] : se.points) {
        xmin = std::min(xmin, x);
        xmax = std::max(xmax, x);
        ymin = std::min(ymin, y);
        ymax = std::max(ymax, y);
      }
    }
    if (!std::isfinite(xmin)) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
    if (p.y_from_zero) ymin = std::min(0.0, ymin);
    if (xmax <= xmin) xmax = xmin + 1;
    if (ymax <= ymin) ymax = ymin + 1;
    const double ystep = nice_step(ymax - ymin, 5), xstep = nice_step(xmax - xmin, 8);
    ymax = std::ceil(ymax / ystep) * ystep;
    auto X = [&](double x) { return kLeft + (x - xmin) / (xmax - xmin) * pw; };
    auto Y = [&](double y) { return y0 + ph - (y - ymin) / (ymax - ymin) * ph; };

    s += "<text x=\"" + num(kLeft) + "\" y=\"" + num(y0 - 6) + "\" font-size=\"14\">" +
         svg_escape(p.title) + "</text>\n";
    s += "<rect x=\"" + num(kLeft) + "\" y=\"" + num(y0) + "\" width=\"" + num(pw) +
         "\" height=\"" + num(ph) + "\" fill=\"none\" stroke=\"#444\"/>\n";
    for (double y = std::ceil(ymin / ystep) * ystep; y <= ymax + ystep * 1e-9; y += ystep) {
      s += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + pw) + "\" y1=\"" + num(Y(y)) +
           "\" y2=\"" + num(Y(y)) + "\" stroke=\"#ddd\"/>\n";
      s += "<text x=\"" + num(kLeft - 6) + "\" y=\"" + num(Y(y) + 4) + "\" text-anchor=\"end\">" +
           tick_label(y) + "</text>\n";
    }
    for (double x = std::ceil(xmin / xstep) * xstep; x <= xmax + xstep * 1e-9; x += xstep) {
      s += "<line x1=\"" + num(X(x)) + "\" x2=\"" + num(X(x)) + "\" y1=\"" + num(y0 + ph) +
           "\" y2=\"" + num(y0 + ph + 4) + "\" stroke=\"#444\"/>\n";
      s += "<text x=\"" + num(X(x)) + "\" y=\"" + num(y0 + ph + 16) + "\" text-anchor=\"middle\">" +
           tick_label(x) + "</text>\n";
    }
    s += "<text x=\"" + num(kLeft + pw / 2) + "\" y=\"" + num(y0 + ph + 32) +
         "\" text-anchor=\"middle\">" + svg_escape(p.x_label) + "</text>\n";
    s += "<text transform=\"translate(" + num(kLeft - 55) + "," + num(y0 + ph / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + svg_escape(p.y_label) + "</text>\n";

    int legend_row = 0;
    for (std::size_t si = 0; si < p.series.size(); ++si) {
      const PlotSeries& se = p.series[si];
      const std::string color = se.color.empty() ? kPalette[si % 10] : se.color;
      const std::size_t n = se.points.size();
      const std::size_t stride = n > max_points ? (n + max_points - 1) / max_points : 1;
      std::string pts;
      for (std::size_t i = 0; i < n; i += stride) {
        pts += num(X(se.points[i].first)) + "," + num(Y(se.points[i].second)) + " ";
      }
      if (n > 0 && (n - 1) % stride != 0) {
        pts += num(X(se.points.back().first)) + "," + num(Y(se.points.back().second));
      }
      s += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"1.5\" points=\"" + pts +
           "\"/>\n";
      if (se.label.empty()) continue;
      const double ly = y0 + 12 + 18 * legend_row++;
      const double lx = kLeft + pw + 12;
      s += "<line x1=\"" + num(lx) + "\" x2=\"" + num(lx + 20) + "\" y1=\"" + num(ly - 4) +
           "\" y2=\"" + num(ly - 4) + "\" stroke=\"" + color + "\" stroke-width=\"2\"/>\n";
      s += "<text x=\"" + num(lx + 26) + "\" y=\"" + num(ly) + "\">" + svg_escape(se.label) +
           "</text>\n";
    }
  }
  s += "</svg>\n";
  return s;
}

}  // namespace odma::sim
