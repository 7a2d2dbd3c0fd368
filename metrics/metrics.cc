#include "metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace vigil::metrics {
namespace {

bool NameChar(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool ValidName(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!NameChar(name[i], i == 0, colon)) return false;
  }
  return true;
}

// A registration error is a programming error: say what and stop.
void Require(bool ok, const std::string& what) {
  if (ok) return;
  std::cerr << "metrics: " << what << std::endl;
  std::abort();
}

void AtomicAdd(std::atomic<double>& target, double by) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + by, std::memory_order_relaxed)) {
  }
}

// A label value with \, " and newline escaped.
std::string EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// HELP text with \ and newline escaped.
std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",b="y"}` (with an extra label last if given), or "" with no labels.
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"", EscapeLabel(values[i]), "\"");
  }
  if (!extra_name.empty()) {
    absl::StrAppend(&out, out.empty() ? "" : ",", extra_name, "=\"", EscapeLabel(extra_value),
                    "\"");
  }
  return out.empty() ? "" : "{" + out + "}";
}

void Header(std::string& out, const std::string& name, const std::string& help, Type type) {
  absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(help), "\n# TYPE ", name, " ",
                  std::string(TypeName(type)), "\n");
}

void Line(std::string& out, const std::string& name, const std::string& labels, double value) {
  absl::StrAppend(&out, name, labels, " ", FormatValue(value), "\n");
}

}  // namespace

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kCounter: return "counter";
    case Type::kGauge: return "gauge";
    case Type::kHistogram: return "histogram";
  }
  return "untyped";
}

bool ValidMetricName(std::string_view name) { return ValidName(name, /*colon=*/true); }

bool ValidLabelName(std::string_view name) {
  return ValidName(name, /*colon=*/false) && name.substr(0, 2) != "__";
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return error == std::errc() ? std::string(buffer, end) : "NaN";
}

void Counter::Increment(double by) {
  if (by > 0) AtomicAdd(value_, by);
}

void Gauge::Add(double by) { AtomicAdd(value_, by); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size()]) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    Require(std::isfinite(bounds_[i]) && (i == 0 || bounds_[i] > bounds_[i - 1]),
            "histogram bounds must be finite and strictly increasing");
    buckets_[i].store(0);
  }
}

void Histogram::Observe(double value) {
  // The first bound >= value; past the end: only the +Inf bucket.
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  if (i < bounds_.size()) buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  // The count first, so that buckets never exceed it in a concurrent read.
  const uint64_t count = Count();
  std::vector<uint64_t> out;
  uint64_t running = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out.push_back(std::min(running, count));
  }
  out.push_back(std::max(count, running));
  return out;
}

std::vector<double> DurationBuckets() {
  return {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
          1,      2,     5,     10,    30,   60,   120};
}

template <typename M>
M& Family<M>::With(const std::vector<std::string>& values) {
  Require(values.size() == label_names_.size(),
          absl::StrCat(name_, ": ", values.size(), " label values for ", label_names_.size(),
                       " labels"));
  std::lock_guard lock(mu_);
  std::unique_ptr<M>& child = children_[values];
  if (child == nullptr) child = make_();
  return *child;
}

template <typename M>
void Family<M>::ForEach(
    const std::function<void(const std::vector<std::string>&, const M&)>& visit) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, child] : children_) visit(values, *child);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// One registered family, rendered by `render`.
struct Registry::Entry {
  std::string name;
  std::vector<std::string> label_names;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::function<void(std::string&)> render;
};

Registry::Registry() = default;
Registry::~Registry() = default;

void Registry::Register(std::unique_ptr<Entry> entry) {
  Require(ValidMetricName(entry->name), "invalid metric name \"" + entry->name + "\"");
  for (const std::string& label : entry->label_names) {
    Require(ValidLabelName(label), entry->name + ": invalid label name \"" + label + "\"");
  }
  std::lock_guard lock(mu_);
  for (const auto& existing : entries_) {
    Require(existing->name != entry->name, "metric \"" + entry->name + "\" registered twice");
  }
  entries_.push_back(std::move(entry));
}

Family<Counter>& Registry::AddCounter(std::string name, std::string help,
                                      std::vector<std::string> label_names) {
  auto entry = std::make_unique<Entry>();
  entry->name = name;
  entry->label_names = label_names;
  entry->counters = std::make_unique<Family<Counter>>(
      name, help, label_names, [] { return std::make_unique<Counter>(); });
  Family<Counter>* family = entry->counters.get();
  entry->render = [family](std::string& out) {
    Header(out, family->name(), family->help(), Type::kCounter);
    family->ForEach([&](const std::vector<std::string>& values, const Counter& counter) {
      Line(out, family->name(), LabelSet(family->label_names(), values), counter.Value());
    });
  };
  Register(std::move(entry));
  return *family;
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help,
                                  std::vector<std::string> label_names) {
  auto entry = std::make_unique<Entry>();
  entry->name = name;
  entry->label_names = label_names;
  entry->gauges = std::make_unique<Family<Gauge>>(name, help, label_names,
                                                  [] { return std::make_unique<Gauge>(); });
  Family<Gauge>* family = entry->gauges.get();
  entry->render = [family](std::string& out) {
    Header(out, family->name(), family->help(), Type::kGauge);
    family->ForEach([&](const std::vector<std::string>& values, const Gauge& gauge) {
      Line(out, family->name(), LabelSet(family->label_names(), values), gauge.Value());
    });
  };
  Register(std::move(entry));
  return *family;
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> bounds) {
  for (const std::string& label : label_names) {
    Require(label != "le", name + ": a histogram may not have a label \"le\"");
  }
  auto entry = std::make_unique<Entry>();
  entry->name = name;
  entry->label_names = label_names;
  entry->histograms = std::make_unique<Family<Histogram>>(
      name, help, label_names, [bounds] { return std::make_unique<Histogram>(bounds); });
  Family<Histogram>* family = entry->histograms.get();
  entry->render = [family](std::string& out) {
    Header(out, family->name(), family->help(), Type::kHistogram);
    const std::string& name = family->name();
    family->ForEach([&](const std::vector<std::string>& values, const Histogram& histogram) {
      const std::vector<uint64_t> counts = histogram.CumulativeCounts();
      const std::vector<std::string>& labels = family->label_names();
      for (size_t i = 0; i < counts.size(); ++i) {
        const std::string le =
            i < histogram.bounds().size() ? FormatValue(histogram.bounds()[i]) : "+Inf";
        Line(out, name + "_bucket", LabelSet(labels, values, "le", le),
             static_cast<double>(counts[i]));
      }
      Line(out, name + "_sum", LabelSet(labels, values), histogram.Sum());
      Line(out, name + "_count", LabelSet(labels, values), static_cast<double>(counts.back()));
    });
  };
  Register(std::move(entry));
  return *family;
}

void Registry::AddCollector(std::string name, std::string help, Type type,
                            std::vector<std::string> label_names, Collect collect) {
  Require(type != Type::kHistogram, name + ": a collector gives counters or gauges");
  auto entry = std::make_unique<Entry>();
  entry->name = name;
  entry->label_names = label_names;
  entry->render = [name, help, type, label_names, collect](std::string& out) {
    Header(out, name, help, type);
    for (const Sample& sample : collect()) {
      Line(out, name, LabelSet(label_names, sample.label_values), sample.value);
    }
  };
  Register(std::move(entry));
}

std::string Registry::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& entry : entries_) entry->render(out);
  return out;
}

}  // namespace vigil::metrics
