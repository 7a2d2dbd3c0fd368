#!/usr/bin/env bash
# Benchmark: the paper's experiments reproduced in one run. Runs, on this
# machine, each failure of the paper N times with the existing benchmarks —
# SA-aware and non-SA-aware component failure (hack/bench-failover), VM
# failure (hack/bench-vm; failover and restart in place) and node failure
# (hack/bench-node-failure) — and prints one table per experiment: reaction,
# recovery, outage (Vigil's and, where there is one, an external prober's)
# and repair as min/median/p95/max next to the paper's OpenSAF and VMware HA
# figures (Tables III and IV, §IV.B, §V), with a verdict per row.
#   bash hack/bench-paper/run.sh              # 10 runs each, like the paper
#   bash hack/bench-paper/run.sh --runs 20
#   bash hack/bench-paper/run.sh --smoke      # 2 runs each (CI, < 90 s)
# Each benchmark's own report goes to $VIGIL_BUILD_DIR/bench-paper/*.log.
# The VM experiment is reported as skipped when libvirtd does not answer
# (sudo bash hack/setup-libvirt.sh). Exit status 1 if an experiment failed.
# Uses the build directory $VIGIL_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${VIGIL_BUILD_DIR:-build}"

runs=10
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) runs=2 ;;
    --runs)
      [ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] ||
        { echo "bench-paper: --runs needs a positive integer" >&2; exit 2; }
      runs="$2"; shift ;;
    *) echo "usage: hack/bench-paper/run.sh [--runs N (default 10)] [--smoke]" >&2; exit 2 ;;
  esac
  shift
done

[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja >/dev/null
out="$build/bench-paper"
mkdir -p "$out"
ninja -C "$build" vigild vigil-sa-example bench_failover bench_vm bench_node_failure \
  bench_paper >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; exit 1; }

kvm="no /dev/kvm, TCG"; [ -e /dev/kvm ] && kvm="KVM"
echo "bench-paper: $runs runs per experiment on $(nproc) CPUs ($kvm)," \
  "$(. /etc/os-release && echo "$PRETTY_NAME"); load at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# run NAME BINARY ARGS...: runs one benchmark with --json, its report to a log.
run() {
  local name="$1"; shift
  local started=$SECONDS
  rm -f "$out/$name.json"
  if "$@" --runs "$runs" --json "$out/$name.json" >"$out/$name.log" 2>&1; then
    echo "  $name: done in $((SECONDS - started)) s ($out/$name.log)"
  else
    echo "  $name: FAILED after $((SECONDS - started)) s; end of $out/$name.log:" >&2
    tail -20 "$out/$name.log" >&2
  fi
}

run failover "$build/bin/bench_failover"
run vm "$build/bin/bench_vm"
grep -h "skipped" "$out/vm.log" | sed 's/^/  /' || true
run node "$build/bin/bench_node_failure"
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"

exec "$build/bin/bench_paper" --failover "$out/failover.json" --vm "$out/vm.json" \
  --node "$out/node.json"
