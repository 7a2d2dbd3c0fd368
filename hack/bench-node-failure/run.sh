#!/usr/bin/env bash
# Benchmark: the paper's physical-node-failure experiment on one machine.
# A real vigild and 3 node agents on loopback run a 2N exec service; the node
# of the active is crashed (its agent and service process SIGKILLed at once)
# N times and its agent restarted each time. Prints reaction (crash -> node
# not Ready), recovery (-> new active confirmed), outage (Vigil's timestamps
# and an external TCP prober, every 1 ms) and rejoin as min/median/p95/max,
# next to the paper's node-failure figures (OpenSAF < 3 s, VMware HA 89 s)
# and Kubernetes' defaults (50 s + 300 s).
#   bash hack/bench-node-failure/run.sh              # 20 crashes
#   bash hack/bench-node-failure/run.sh --runs 50    # more
#   bash hack/bench-node-failure/run.sh --smoke      # 3 crashes (CI, < 60 s)
# Uses the build directory $VIGIL_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${VIGIL_BUILD_DIR:-build}"
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja >/dev/null
log="$build/bench-node-failure-build.log"
ninja -C "$build" vigild bench_node_failure >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
exec "$build/bin/bench_node_failure" "$@"
