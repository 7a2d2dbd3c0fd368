#!/usr/bin/env bash
# Benchmark: Vigil at scale on one machine. A real vigild (embedded RocksDB in
# a temp dir) and real `vigild agent`s on loopback; 10,000 SIs in 2N groups
# created through the API; the node holding 500 actives is crashed (its agent
# and components SIGKILLed) and the mass failover is measured: per-SI outage
# p50/p95/max, time to the last SI, VmRSS/VmHWM of vigild and one agent
# (steady and after), store size.
#   bash hack/bench-scale/run.sh                                   # 10,000 SIs, 500 on the victim
#   bash hack/bench-scale/run.sh --sis 10000 --active-on-victim 500 --runs 3
#   bash hack/bench-scale/run.sh --sis-per-group 1 --nodes 5       # one process per SI
#   bash hack/bench-scale/run.sh --smoke                           # 200 SIs, 20 on the victim (CI, < 60 s)
# Each run starts a fresh cluster; everything started is stopped by PID, also
# on Ctrl-C. Uses the build directory $VIGIL_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${VIGIL_BUILD_DIR:-build}"
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja >/dev/null
log="$build/bench-scale-build.log"
ninja -C "$build" vigild bench_scale >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
exec "$build/bin/bench_scale" "$@"
