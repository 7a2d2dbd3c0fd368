#!/usr/bin/env bash
# Builds and runs the decision-core benchmark: median CPU time of
# DecideAssignments() for 10,000 SIs on 1,000 units (N+M and N-Way), from
# empty, at rest, and after one unit failure that moves 500 actives.
#
#   bash hack/bench-core/run.sh           # full size, 9 runs per figure
#   bash hack/bench-core/run.sh --smoke   # 1,000 SIs / 100 units, 3 runs
#
# $VIGIL_BUILD_DIR picks the build directory (default: build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${VIGIL_BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja >/dev/null
ninja -C "$build" bench_core
"$build/bin/bench_core" "$@"
