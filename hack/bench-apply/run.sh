#!/usr/bin/env bash
# Benchmark: `vigil apply -f` of 10,000 objects against a fresh vigild (median
# of 3 runs) and vigild's RSS holding them. Targets: < 5 s, < 100 MB.
#   bash hack/bench-apply/run.sh            # full run
#   bash hack/bench-apply/run.sh --smoke    # 500 objects, one run (CI)
# Uses the build directory $VIGIL_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${VIGIL_BUILD_DIR:-build}"
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja >/dev/null
log="$build/bench-apply-build.log"
ninja -C "$build" vigild vigil bench_apply >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
exec "$build/bin/bench_apply" "$@"
