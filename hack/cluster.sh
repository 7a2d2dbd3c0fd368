#!/usr/bin/env bash
# A multi-node Vigil cluster on one machine: one vigild (API server, RocksDB
# store, controllers; its own embedded node "control") and N node agents
# (`vigild agent --node nodeK`), each with its own data dir. See docs/cluster.md.
#
#   bash hack/cluster.sh up     [--nodes N] [--netns] [--dir DIR] [--port P]
#   bash hack/cluster.sh status [--dir DIR]
#   bash hack/cluster.sh down   [--dir DIR]
#   bash hack/cluster.sh partition NODE [--dir DIR]   # --netns only: cut NODE's link
#   bash hack/cluster.sh heal NODE [--dir DIR]        # --netns only: restore it
#
#   --nodes N  node agents node1..nodeN (default 3, at most 200)
#   --netns    each agent in its own network namespace vigil-nodeK, linked by a
#              veth pair to the bridge vigil-br0 (198.18.0.1/24; nodeK has
#              198.18.0.(10+K)); vigild listens on 198.18.0.1 with TLS and
#              bearer tokens (generated; one token per node). Needs root and `ip`.
#   --dir DIR  where everything lives (default /tmp/vigil-cluster)
#   --port P   vigild's port (default 0: any free port)
#
# `status` exits 0 when every recorded process runs, 1 when some do not, 3
# when there is no cluster. `up` is idempotent (a running cluster is reported, not started twice);
# `down` ends only the processes this script recorded (checked by their kernel
# start time) and the components their agents recorded, and deletes only the
# namespaces and links it created. $VIGIL_BIN_DIR (default build/bin) holds
# vigild and vigil.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
bin_dir="${VIGIL_BIN_DIR:-$repo/${VIGIL_BUILD_DIR:-build}/bin}"
dir=/tmp/vigil-cluster
nodes=3
netns=false
port=0
bridge=vigil-br0
bridge_addr=198.18.0.1
prefix_len=24

die() { echo "cluster.sh: $*" >&2; exit 1; }
usage() { sed -n '2,24p' "$0"; }

# ---- recorded processes --------------------------------------------------

# Field 22 of /proc/PID/stat (start time in clock ticks), empty if gone.
start_ticks() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  stat="${stat##*) }"
  # After "pid (comm) " the state is field 3; start time is field 22.
  echo "$stat" | awk '{print $20}'
}

# record NAME PID: remembers PID and its start time in $dir/pids/NAME.
record() { echo "$2 $(start_ticks "$2")" >"$dir/pids/$1"; }

# alive NAME: true if the process recorded as NAME still runs (same start time).
alive() {
  local file="$dir/pids/$1" pid ticks
  [ -f "$file" ] || return 1
  read -r pid ticks <"$file"
  [ -n "$ticks" ] && [ "$(start_ticks "$pid")" = "$ticks" ]
}

recorded_pid() { awk '{print $1}' "$dir/pids/$1"; }

# stop NAME...: SIGTERM to each recorded process still running, then waits
# for them together, SIGKILL to those still there after 10 s.
stop() {
  local name pid i waiting=()
  for name in "$@"; do
    if alive "$name"; then
      kill -TERM "$(recorded_pid "$name")" 2>/dev/null || true
      waiting+=("$name")
    else
      rm -f "$dir/pids/$name"
    fi
  done
  for i in $(seq 100); do
    local left=()
    for name in "${waiting[@]}"; do alive "$name" && left+=("$name"); done
    [ ${#left[@]} -eq 0 ] && break
    sleep 0.1
  done
  for name in "${waiting[@]}"; do
    pid="$(recorded_pid "$name")"
    if alive "$name"; then
      echo "  $name (pid $pid) did not stop within 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "  stopped $name (pid $pid)"
    rm -f "$dir/pids/$name"
  done
}

# Ends the components an agent recorded in DATA_DIR/agent/*.json (their
# process groups), each only if its kernel start time still matches: agents
# leave their components running when they stop, so that a restarted agent
# adopts them; `down` ends the cluster for good.
kill_components() {
  local data_dir="$1" file pid ticks
  for file in "$data_dir"/agent/*.json; do
    [ -f "$file" ] || continue
    while read -r pid ticks; do
      [ -n "$pid" ] && [ "$pid" -gt 1 ] && [ "$(start_ticks "$pid")" = "$ticks" ] || continue
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      echo "  ended component process $pid (recorded in $file)"
    done < <(awk -F': ' '/"pid":/ {gsub(/[ ,]/, "", $2); pid = $2}
                          /"startTicks":/ {gsub(/[ ,]/, "", $2); print pid, $2}' "$file")
  done
}

# ---- state ---------------------------------------------------------------

state_file() { echo "$dir/cluster.env"; }

load_state() {
  [ -f "$(state_file)" ] || return 1
  # shellcheck disable=SC1090
  . "$(state_file)"
}

# Waits up to $3 seconds for log file $1 to contain $2.
wait_for_log() {
  local i
  for i in $(seq $(($3 * 20))); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# ---- network namespaces --------------------------------------------------

need_netns_tools() {
  [ "$(id -u)" -eq 0 ] || die "--netns needs root (it creates network namespaces and links)"
  command -v ip >/dev/null || die "--netns needs the ip command (Debian package iproute2)"
  ip netns list >/dev/null 2>&1 || die "--netns: 'ip netns' does not work here"
}

node_addr() { echo "198.18.0.$((10 + $1))"; }

# Creates the bridge, then one namespace and veth pair per node; records each
# in $dir/links so that `down` deletes exactly these.
netns_up() {
  local k ns
  if ip link show "$bridge" >/dev/null 2>&1; then
    die "link $bridge already exists (another cluster? run 'hack/cluster.sh down' with its --dir, or 'ip link del $bridge' if it is a leftover)"
  fi
  ip link add "$bridge" type bridge
  echo "link $bridge" >>"$dir/links"
  ip addr add "$bridge_addr/$prefix_len" dev "$bridge"
  ip link set "$bridge" up
  for k in $(seq "$nodes"); do
    ns="vigil-node$k"
    ip netns list | grep -qw "^$ns" && die "network namespace $ns already exists (a leftover? 'ip netns del $ns')"
    ip netns add "$ns"
    echo "netns $ns" >>"$dir/links"
    ip link add "vigil-node$k" type veth peer name eth0 netns "$ns"
    echo "link vigil-node$k" >>"$dir/links"
    ip link set "vigil-node$k" master "$bridge" up
    ip -n "$ns" addr add "$(node_addr "$k")/$prefix_len" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
  done
}

# Deletes what netns_up recorded, last first.
netns_down() {
  local kind name
  [ -f "$dir/links" ] || return 0
  while read -r kind name; do
    case "$kind" in
      link) ip link del "$name" 2>/dev/null && echo "  deleted link $name" || true ;;
      netns) ip netns del "$name" 2>/dev/null && echo "  deleted network namespace $name" || true ;;
    esac
  done < <(tac "$dir/links")
  rm -f "$dir/links"
}

# ---- up ------------------------------------------------------------------

start_vigild() {
  local listen="127.0.0.1:$port" pid
  $netns && listen="$bridge_addr:$port"
  setsid "$bin_dir/vigild" --data-dir "$dir/server" --listen "$listen" --node control \
    >"$dir/vigild.log" 2>&1 </dev/null &
  pid=$!
  record vigild "$pid"
  if ! wait_for_log "$dir/vigild.log" "serving on " 60; then
    tail -20 "$dir/vigild.log" >&2
    die "vigild did not start (log: $dir/vigild.log)"
  fi
  url="$(sed -n 's/.*serving on \([^ ]*\) .*/\1/p' "$dir/vigild.log" | head -1)"
}

# start_agent K: starts nodeK's agent (in its namespace with --netns).
start_agent() {
  local k="$1" node="node$1" pid
  local -a cmd=("$bin_dir/vigild" agent --server "$url" --node "$node" --data-dir "$dir/$node")
  mkdir -p "$dir/$node"
  if $netns; then
    "$bin_dir/vigild" token create-node "$node" --data-dir "$dir/server" \
      >"$dir/$node/token" 2>>"$dir/vigild.log" || die "vigild token create-node $node failed (see $dir/vigild.log)"
    chmod 600 "$dir/$node/token"
    cmd=(ip netns exec "vigil-$node" "${cmd[@]}" --token-file "$dir/$node/token"
         --ca-file "$dir/server/pki/ca.crt")
  fi
  setsid "${cmd[@]}" >"$dir/$node.log" 2>&1 </dev/null &
  pid=$!
  record "$node" "$pid"
  if ! wait_for_log "$dir/$node.log" "node agent for $node" 30; then
    tail -20 "$dir/$node.log" >&2
    die "the agent of $node did not start (log: $dir/$node.log)"
  fi
}

cmd_up() {
  [ -x "$bin_dir/vigild" ] || die "no vigild in $bin_dir: build it first (ninja -C build vigild vigil) or set VIGIL_BIN_DIR"
  [[ "$nodes" =~ ^[0-9]+$ ]] && [ "$nodes" -ge 1 ] && [ "$nodes" -le 200 ] ||
    die "--nodes must be a whole number from 1 to 200, got '$nodes'"
  [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -le 65535 ] || die "--port must be 0..65535, got '$port'"
  if load_state; then
    if alive vigild; then
      echo "cluster.sh: a cluster is already up in $dir"
      cmd_status
      return 0
    fi
    die "$dir holds a cluster that is not running (vigild is gone); run 'hack/cluster.sh down --dir $dir' first"
  fi
  $netns && need_netns_tools
  mkdir -p "$dir/pids"
  # Anything that fails from here on leaves state that `down` can clean up.
  printf 'netns=%s\nnodes=%s\n' "$netns" "$nodes" >"$(state_file)"
  $netns && netns_up
  start_vigild
  echo "url=$url" >>"$(state_file)"
  local k
  for k in $(seq "$nodes"); do start_agent "$k"; done
  echo "cluster.sh: up: vigild on $url, $nodes node agents (node1..node$nodes), data in $dir"
  print_usage
}

print_usage() {
  local vigil="$bin_dir/vigil"
  cat <<EOF

  export KUBECONFIG=$dir/server/kubeconfig
  $vigil get node                # control (vigild's own) and node1..node$nodes
  kubectl get sg,su,si,comp,node
  $vigil apply -f FILE           # place units with spec.node: node1, node2, ...
  logs: $dir/vigild.log, $dir/nodeK.log
EOF
  $netns && cat <<EOF
  nodeK runs in network namespace vigil-nodeK at $(node_addr 1)..: ip netns exec vigil-node1 ...
  bash $0 partition node1 --dir $dir    # cut node1's link; 'heal node1' restores it
EOF
  echo "  bash $0 down --dir $dir"
}

# ---- status, down, partition ---------------------------------------------

cmd_status() {
  load_state || { echo "cluster.sh: no cluster in $dir"; return 3; }
  echo "cluster in $dir: url ${url:-?}, ${nodes} nodes, netns $netns"
  local name state down=0
  for name in vigild $(seq -f 'node%g' "$nodes"); do
    if alive "$name"; then
      state="running (pid $(recorded_pid "$name"))"
    else
      state="NOT running"
      down=1
    fi
    if $netns && [ "$name" != vigild ]; then
      if [ "$(ip -n "vigil-$name" -o link show eth0 2>/dev/null | grep -c 'state UP')" = 1 ]; then
        state="$state, link up"
      else
        state="$state, link DOWN (partitioned)"
      fi
    fi
    printf '  %-8s %s\n' "$name" "$state"
  done
  if alive vigild && [ -x "$bin_dir/vigil" ]; then
    "$bin_dir/vigil" --kubeconfig "$dir/server/kubeconfig" get node 2>&1 | sed 's/^/  /' || true
  fi
  return "$down"
}

cmd_down() {
  if [ ! -d "$dir/pids" ] && [ ! -f "$dir/links" ]; then
    echo "cluster.sh: nothing to stop in $dir"
    return 0
  fi
  load_state || true
  local file name
  echo "cluster.sh: stopping the cluster in $dir"
  # vigild first, so that no failover is decided while the agents stop.
  stop vigild
  local agents=()
  for file in "$dir"/pids/node*; do
    [ -f "$file" ] && agents+=("$(basename "$file")")
  done
  [ ${#agents[@]} -eq 0 ] || stop "${agents[@]}"
  for file in "$dir"/server "$dir"/node*; do
    [ -d "$file" ] && kill_components "$file"
  done
  netns_down
  rm -f "$(state_file)"
  rmdir "$dir/pids" 2>/dev/null || true
  echo "cluster.sh: down (data and logs kept in $dir; rm -rf it to start afresh)"
}

# link_state NODE up|down: sets NODE's link in its namespace.
cmd_link() {
  local node="$1" state="$2"
  load_state || die "no cluster in $dir"
  $netns || die "partition and heal need a cluster started with --netns"
  [[ "$node" =~ ^node[0-9]+$ ]] && [ "${node#node}" -ge 1 ] && [ "${node#node}" -le "$nodes" ] ||
    die "no node '$node': valid nodes are node1..node$nodes"
  ip -n "vigil-$node" link set eth0 "$state"
  if [ "$state" = down ]; then
    echo "cluster.sh: $node partitioned (its agent self-fences within 500 ms; the node is failed over after 800 ms)"
  else
    echo "cluster.sh: $node's link restored"
  fi
}

# ---- main ----------------------------------------------------------------

[ $# -ge 1 ] || { usage >&2; exit 2; }
command="$1"
shift
target=""
if [ "$command" = partition ] || [ "$command" = heal ]; then
  [ $# -ge 1 ] && [ "${1#-}" = "$1" ] || die "$command needs a node name: $command NODE"
  target="$1"
  shift
fi
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) [ $# -ge 2 ] || die "--nodes needs a number"; nodes="$2"; shift 2 ;;
    --port) [ $# -ge 2 ] || die "--port needs a number"; port="$2"; shift 2 ;;
    --dir) [ $# -ge 2 ] || die "--dir needs a directory"; dir="$2"; shift 2 ;;
    --netns) netns=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

case "$command" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  partition) cmd_link "$target" down ;;
  heal) cmd_link "$target" up ;;
  -h|--help|help) usage ;;
  *) die "unknown command '$command': use up, down, status, partition or heal" ;;
esac
