#!/usr/bin/env bash
# Builds and runs the store benchmark: synced create/update throughput with
# 1, 16 and 64 concurrent writers (group commit) and write -> delivery latency
# to 100 store-level watchers. Prints medians; about a minute.
#
#   bash hack/bench-store/run.sh           # full run, 5 runs per figure
#   bash hack/bench-store/run.sh --smoke   # one short run of each
#
# $VIGIL_BUILD_DIR picks the build directory (default: build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${VIGIL_BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja >/dev/null
ninja -C "$build" bench_store >/dev/null
args=()
[ "${1:-}" = "--smoke" ] && args=(--quick)
"$build/bin/bench_store" "${args[@]}"
