#!/usr/bin/env bash
# Installs the dependencies, builds everything, sets up libvirtd, runs every
# test (ctest), then the benchmarks' smoke mode. Exits non-zero on any failure.
#   bash hack/test.sh
# $VIGIL_BUILD_DIR picks the build directory (default: build); $VIGIL_JOBS
# limits parallel compile jobs (default: ninja's choice).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${VIGIL_BUILD_DIR:-build}"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

echo "==> installing dependencies (hack/install-deps.sh)"
as_root bash hack/install-deps.sh

echo "==> building everything in $build/"
cmake -S . -B "$build" -G Ninja >/dev/null
ninja -C "$build" ${VIGIL_JOBS:+-j "$VIGIL_JOBS"}

# The end-to-end VM tests need the real libvirt daemon (qemu:///system); it
# runs under the vigil-subreaper just built (docs/libvirt.md).
echo "==> setting up libvirtd (hack/setup-libvirt.sh)"
as_root bash hack/setup-libvirt.sh --peer

echo "==> running the tests (ctest)"
log="$build/ctest.log"
status=0
# Each test fails after VIGIL_TEST_TIMEOUT s (tests/CMakeLists.txt); the whole
# run is bounded too, in case a test leaves a process holding ctest's pipe.
timeout --kill-after=10 2400 ctest --test-dir "$build" --output-on-failure -j2 2>&1 |
  tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
  # Tests that started but never reported: the ones that hung.
  comm -23 <(sed -nE 's/^ *Start +([0-9]+): ([^ ]+).*$/\1 \2/p' "$log" | sort) \
           <(sed -nE 's/.*Test +#([0-9]+): ([^ ]+) .*/\1 \2/p' "$log" | sort) |
    sed 's/^/UNFINISHED: test #/' >&2
fi

echo "==> benchmarks, smoke mode"
for bench in hack/bench-*/run.sh; do
  [ -f "$bench" ] || continue
  echo "--> $bench --smoke"
  VIGIL_BUILD_DIR="$build" timeout --kill-after=10 600 bash "$bench" --smoke ||
    { echo "FAILED: $bench" >&2; status=1; }
done

echo
grep -E "tests passed|tests failed" "$log" || true
exit "$status"
