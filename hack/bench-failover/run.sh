#!/usr/bin/env bash
# Benchmark: the paper's component-failure experiment on the real vigild.
# Kills the active exec and SA-aware component of a 2N service N times each
# and prints reaction, recovery, outage (Vigil's timestamps and an external
# TCP prober) and repair as min/median/p95/max, next to the paper's figures.
# Targets: SA-aware outage median <= 5 ms; exec <= 20 ms + the service's own
# start time.
#   bash hack/bench-failover/run.sh              # 20 kills per kind
#   bash hack/bench-failover/run.sh --runs 50    # more
#   bash hack/bench-failover/run.sh --smoke      # 3 kills per kind (CI)
# Uses the build directory $VIGIL_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${VIGIL_BUILD_DIR:-build}"
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja >/dev/null
log="$build/bench-failover-build.log"
ninja -C "$build" vigild vigil-sa-example bench_failover >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
exec "$build/bin/bench_failover" "$@"
