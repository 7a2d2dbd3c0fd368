#!/usr/bin/env bash
# Benchmark: VM failure with the real binaries. vigild (--node hv1) and
# `vigild agent --node hv2` on a fresh data dir, a 2N group of two diskless
# domains (one per node) on qemu:///system, each booting a tiny guest that
# ticks on its serial port to the benchmark's external probe; kill -9 of the
# active qemu N times for a failover to the other node and N times for a
# restart in place; prints min/median/p95/max of reaction, recovery, outage
# (Vigil's and the probe's) and repair, libvirt's own event latency, domain
# start and guest boot times, the paper's Table IV, and the
# targets (detection <= 10 ms, repair <= domain start + 50 ms, failover <=
# domain start + 100 ms).
#   bash hack/bench-vm/run.sh              # 10 kills each (about 1 minute under TCG)
#   bash hack/bench-vm/run.sh --runs 20
#   bash hack/bench-vm/run.sh --smoke      # 2 kills each (CI)
# Needs libvirtd (sudo hack/setup-libvirt.sh); skipped when none answers.
# Uses the build directory $VIGIL_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${VIGIL_BUILD_DIR:-build}"
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja >/dev/null
log="$build/bench-vm-build.log"
ninja -C "$build" vigild bench_vm >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
exec "$build/bin/bench_vm" "$@"
