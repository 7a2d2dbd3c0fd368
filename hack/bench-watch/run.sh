#!/usr/bin/env bash
# Benchmark: watch fan-out latency through the HTTP API. An in-process
# RocksDbStore (synced writes) + Registry + ApiServer on a free port; 100
# HTTP watch streams; 2,000 writes over HTTP paced at 200/s; prints write -> delivery
# latency p50/p99 over every delivery. Target: p99 < 10 ms.
#   bash hack/bench-watch/run.sh            # full run (about 10 s)
#   bash hack/bench-watch/run.sh --smoke    # 200 writes (CI)
# Uses the build directory $VIGIL_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${VIGIL_BUILD_DIR:-build}"
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja >/dev/null
ninja -C "$build" bench_watch >/dev/null
exec "$build/bin/bench_watch" "$@"
