#!/usr/bin/env bash
# Installs the dependencies, builds vigild and vigil, starts vigild on the
# embedded default (RocksDB under ./.vigil/data, API on 127.0.0.1:8443) and
# applies the demo in manifests/demo.
#
#   bash hack/run.sh               # vigild stays in the foreground; Ctrl-C stops it
#   bash hack/run.sh --background  # vigild keeps running; log in .vigil/vigild.log
#
# $VIGIL_BUILD_DIR picks the build directory (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."

background=false
for arg in "$@"; do
  case "$arg" in
    --background) background=true ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

build="${VIGIL_BUILD_DIR:-build}"
server="http://127.0.0.1:8443"
data_dir=".vigil/data"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

echo "==> installing dependencies (hack/install-deps.sh)"
as_root bash hack/install-deps.sh

echo "==> building vigild and vigil in $build/"
cmake -S . -B "$build" -G Ninja >/dev/null
ninja -C "$build" vigild vigil

vigil() { "$build/bin/vigil" --server "$server" "$@"; }

if curl -sf "$server/readyz" >/dev/null 2>&1; then
  echo "==> a vigild is already serving on $server; using it"
  vigild_pid=""
else
  mkdir -p "$(dirname "$data_dir")"
  echo "==> starting vigild (data dir $data_dir, listening on ${server#http://}, node local)"
  # The demo's units run on Node "local"; name this node accordingly. Its
  # log goes to a file so that the output below stays readable.
  nohup "$build/bin/vigild" --data-dir "$data_dir" --node local \
    >.vigil/vigild.log 2>&1 &
  vigild_pid=$!
  echo "$vigild_pid" >.vigil/vigild.pid
  for _ in $(seq 1 300); do
    curl -sf "$server/readyz" >/dev/null 2>&1 && break
    if ! kill -0 "$vigild_pid" 2>/dev/null; then
      echo "run.sh: vigild exited during start-up:" >&2
      cat .vigil/vigild.log >&2
      exit 1
    fi
    sleep 0.1
  done
  curl -sf "$server/readyz" >/dev/null || { echo "run.sh: vigild not ready after 30 s" >&2; exit 1; }
fi

echo "==> vigil apply -f manifests/demo"
vigil apply -f manifests/demo
echo
echo "==> vigil get sg,su,si,comp"
vigil get sg,su,si,comp
cat <<EOT

Vigil is running on $server (data in $data_dir).
  vigil:    $build/bin/vigil get si -w            (or: describe sg web, diff -f manifests/demo)
  kubectl:  export KUBECONFIG=\$PWD/$data_dir/kubeconfig
            kubectl get sg,su,si,comp,node
            kubectl explain servicegroup.spec
EOT

if [ -z "$vigild_pid" ]; then exit 0; fi
if $background; then
  echo "  stop:     kill \$(cat .vigil/vigild.pid)     (log: .vigil/vigild.log)"
  exit 0
fi
echo "  stop:     Ctrl-C"
echo
echo "==> vigild log (.vigil/vigild.log)"
tail -n 3 -f .vigil/vigild.log &
tail_pid=$!
trap 'kill -TERM "$vigild_pid" 2>/dev/null || true' INT TERM
wait "$vigild_pid" || true
wait "$vigild_pid" 2>/dev/null || true
sleep 0.2  # let tail print vigild's last lines
kill "$tail_pid" 2>/dev/null || true
