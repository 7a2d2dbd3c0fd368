// bench_apply: how long `vigil apply -f DIR` takes for many objects against a
// fresh vigild (synced writes), how long a second, unchanged apply takes, and
// vigild's resident memory while holding them.
//
//   bench_apply [--objects N] [--runs R] [--smoke]
//   bench_apply --generate DIR [--objects N]   (only write the manifests)
//
// Each run starts a new vigild on a new data dir, applies the generated
// manifests with the real vigil binary, re-applies them, reads VmRSS from
// /proc/PID/status, and stops vigild with SIGTERM. Prints the median of the
// runs. Targets: 10,000 objects in under 5 s; RSS under 100 MB.
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/subprocess.h"

namespace {

namespace fs = std::filesystem;
using vigil::e2e::Run;
using vigil::e2e::RunResult;
using vigil::e2e::Subprocess;

const std::string kVigild = std::string(VIGIL_BIN_DIR) + "/vigild";
const std::string kVigil = std::string(VIGIL_BIN_DIR) + "/vigil";
constexpr int kObjectsPerGroup = 10;  // SG, 2 SUs, 2 components, 5 SIs

std::string Group(int g) {
  std::ostringstream y;
  const std::string sg = "sg-" + std::to_string(g);
  y << "apiVersion: vigil.io/v1\nkind: ServiceGroup\nmetadata: {name: " << sg
    << ", labels: {bench: apply}}\nspec: {redundancyModel: 2N}\n";
  for (int u = 1; u <= 2; ++u) {
    const std::string su = sg + "-su-" + std::to_string(u);
    y << "---\napiVersion: vigil.io/v1\nkind: ServiceUnit\nmetadata: {name: " << su
      << "}\nspec: {serviceGroup: " << sg << ", node: node-" << u << ", rank: " << u
      << "}\n---\napiVersion: vigil.io/v1\nkind: Component\nmetadata: {name: " << su
      << "-app}\nspec:\n  serviceUnit: " << su
      << "\n  csTypes: [app]\n  exec: {instantiate: [/usr/bin/sleep, infinity]}\n";
  }
  for (int i = 1; i <= 5; ++i) {
    y << "---\napiVersion: vigil.io/v1\nkind: ServiceInstance\nmetadata: {name: " << sg
      << "-si-" << i << "}\nspec:\n  serviceGroup: " << sg << "\n  rank: " << i
      << "\n  csis: [{name: app, csType: app, attributes: {PORT: \"" << 10000 + i
      << "\"}}]\n";
  }
  return y.str();
}

// Writes the manifests as files of 100 groups (1,000 objects) each.
void Generate(const fs::path& dir, int groups) {
  fs::create_directories(dir);
  for (int first = 0; first < groups; first += 100) {
    std::ofstream file(dir / ("groups-" + std::to_string(100000 + first) + ".yaml"));
    for (int g = first; g < std::min(groups, first + 100); ++g) {
      file << (g > first ? "---\n" : "") << Group(g);
    }
  }
}

long RssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

struct RunFigures {
  double apply_seconds = 0;
  double reapply_seconds = 0;
  double rss_mb = 0;
};

double TimeApply(const std::string& url, const fs::path& manifests, const char* expect) {
  auto start = std::chrono::steady_clock::now();
  RunResult r = Run({kVigil, "--server", url, "apply", "-f", manifests.string()});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.exit_code != 0 || r.output.find(expect) == std::string::npos) {
    std::cerr << "bench_apply: vigil apply failed (exit " << r.exit_code << "):\n"
              << r.output.substr(0, 2000) << "\n";
    exit(1);
  }
  return seconds;
}

RunFigures OneRun(const fs::path& work, const fs::path& manifests, int run) {
  const fs::path data = work / ("data-" + std::to_string(run));
  auto vigild = Subprocess::Start({kVigild, "--data-dir", data.string(), "--listen",
                                   "127.0.0.1:0", "--node", "bench"});
  if (vigild == nullptr || !vigild->WaitForOutput("serving on ")) {
    std::cerr << "bench_apply: vigild did not start: "
              << (vigild ? vigild->Output() : kVigild) << "\n";
    exit(1);
  }
  std::string out = vigild->Output();
  size_t at = out.find("serving on ") + 11;
  const std::string url = out.substr(at, out.find(' ', at) - at);
  RunFigures f;
  f.apply_seconds = TimeApply(url, manifests, " created");
  f.reapply_seconds = TimeApply(url, manifests, " unchanged");
  f.rss_mb = static_cast<double>(RssKb(vigild->pid())) / 1024.0;
  vigild->Signal(SIGTERM);
  vigild->Wait();
  return f;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int objects = 10000, runs = 3;
  bool smoke = false;
  std::string generate_only;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--smoke") smoke = true;
    else if (arg == "--generate" && i + 1 < argc) generate_only = argv[++i];
    else if (arg == "--objects" && i + 1 < argc) objects = std::atoi(argv[++i]);
    else if (arg == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    else { std::cerr << "usage: bench_apply [--objects N] [--runs R] [--smoke] [--generate DIR]\n"; return 2; }
  }
  if (smoke) { objects = 500; runs = 1; }
  const int groups = std::max(1, objects / kObjectsPerGroup);
  objects = groups * kObjectsPerGroup;
  if (!generate_only.empty()) {
    Generate(generate_only, groups);
    std::printf("wrote %d objects to %s\n", objects, generate_only.c_str());
    return 0;
  }
  char pattern[] = "/tmp/vigil-bench-apply-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return 1;
  const fs::path work = pattern;
  Generate(work / "manifests", groups);

  std::vector<double> apply, reapply, rss;
  for (int run = 0; run < runs; ++run) {
    RunFigures f = OneRun(work, work / "manifests", run);
    std::printf("run %d: apply %d objects %.2f s, re-apply (unchanged) %.2f s, vigild RSS %.1f MB\n",
                run + 1, objects, f.apply_seconds, f.reapply_seconds, f.rss_mb);
    apply.push_back(f.apply_seconds);
    reapply.push_back(f.reapply_seconds);
    rss.push_back(f.rss_mb);
  }
  fs::remove_all(work);
  const double a = Median(apply);
  std::printf("\nvigil apply, %d objects, fresh vigild, synced writes (median of %d):\n", objects, runs);
  std::printf("  apply (all created):     %.2f s  (%.0f objects/s)%s\n", a, objects / a,
              smoke ? "" : (a < 5.0 ? "  [target < 5 s: met]" : "  [target < 5 s: NOT met]"));
  std::printf("  re-apply (unchanged):    %.2f s\n", Median(reapply));
  std::printf("  vigild RSS holding them: %.1f MB%s\n", Median(rss),
              smoke ? "" : (Median(rss) < 100 ? "  [target < 100 MB: met]" : "  [target < 100 MB: NOT met]"));
  return 0;
}
