// bench_paper's tables: see paper_table.h.
#include "hack/bench-paper/paper_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace vigil::bench {
namespace {

PaperFigure Figure(PaperFigure::Kind kind, double ms, const std::string& text) {
  return PaperFigure{kind, ms, text};
}

// "55 ms", "1.953 s": the paper's own precision, in its unit when >= 1 s.
std::string FormatMs(double ms) {
  char text[32];
  if (ms >= 1000) {
    std::snprintf(text, sizeof(text), "%g s", ms / 1000);
  } else {
    std::snprintf(text, sizeof(text), "%g ms", ms);
  }
  return text;
}

constexpr char kRowFormat[] = "  %-46s %9s %9s %9s %9s  %-22s %-22s %s\n";

std::string Cell(double ms) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", ms);
  return text;
}

}  // namespace

PaperFigure Exact(double ms, const std::string& source) {
  return Figure(PaperFigure::Kind::kExact, ms, FormatMs(ms) + " " + source);
}
PaperFigure About(double ms, const std::string& source) {
  return Figure(PaperFigure::Kind::kAbout, ms, "~" + FormatMs(ms) + " " + source);
}
PaperFigure Below(double ms, const std::string& source) {
  return Figure(PaperFigure::Kind::kBelow, ms, "< " + FormatMs(ms) + " " + source);
}
PaperFigure Above(double ms, const std::string& source) {
  return Figure(PaperFigure::Kind::kAbove, ms, "> " + FormatMs(ms) + " " + source);
}
PaperFigure NoFigure(const std::string& why) {
  return Figure(PaperFigure::Kind::kNone, 0, why);
}

Stats Summarize(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  const size_t p95 = static_cast<size_t>(std::ceil(0.95 * static_cast<double>(n))) - 1;
  const double median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {values.front(), median, values[std::min(p95, n - 1)], values.back()};
}

std::string Verdict(const Row& row) {
  if (!row.judged) return "";
  if (row.samples.empty()) return "no samples";
  std::vector<const PaperFigure*> figures;
  bool bound = false;
  for (const PaperFigure* f : {&row.opensaf, &row.vmware}) {
    if (f->kind == PaperFigure::Kind::kNone) continue;
    figures.push_back(f);
    bound |= f->kind == PaperFigure::Kind::kBelow;
  }
  if (figures.empty()) return "no paper figure";
  const Stats stats = Summarize(row.samples);
  // Every paper figure, bounds included, is beaten by a value below it: a
  // kAbove paper value lies above its bound, a kBelow one somewhere below.
  auto below_all = [&](double value) {
    return std::all_of(figures.begin(), figures.end(),
                       [&](const PaperFigure* f) { return value < f->ms; });
  };
  const std::string mark = bound ? " *" : "";
  if (below_all(stats.p95)) return "beats" + mark;
  // A p95 above a lower bound ("> 55 ms") says nothing about the unknown
  // value: neither beaten nor not.
  const bool above_a_lower_bound = std::any_of(figures.begin(), figures.end(), [&](auto* f) {
    return f->kind == PaperFigure::Kind::kAbove && stats.p95 >= f->ms;
  });
  if (above_a_lower_bound) return "unknown (paper: bound)";
  if (below_all(stats.median)) return "median only" + mark;
  return "does not beat" + mark;
}

int PrintTable(const std::string& title, const std::vector<Row>& rows) {
  std::printf("\n%s\n", title.c_str());
  std::printf(kRowFormat, "(ms)", "min", "median", "p95", "max", "paper: OpenSAF",
              "paper: VMware HA", "verdict (Vigil p95 vs paper)");
  int not_beaten = 0;
  for (const Row& row : rows) {
    const std::string verdict = Verdict(row);
    if (verdict.rfind("median only", 0) == 0 || verdict.rfind("does not beat", 0) == 0) {
      ++not_beaten;
    }
    if (row.samples.empty()) {
      std::printf(kRowFormat, row.label.c_str(), "n/a", "", "", "", row.opensaf.text.c_str(),
                  row.vmware.text.c_str(), verdict.c_str());
      continue;
    }
    const Stats s = Summarize(row.samples);
    std::printf(kRowFormat, row.label.c_str(), Cell(s.min).c_str(), Cell(s.median).c_str(),
                Cell(s.p95).c_str(), Cell(s.max).c_str(), row.opensaf.text.c_str(),
                row.vmware.text.c_str(), verdict.c_str());
  }
  return not_beaten;
}

}  // namespace vigil::bench
