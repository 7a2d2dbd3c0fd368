#!/bin/bash
# Installs and starts a working libvirt daemon (qemu:///system) on a Debian 12
# machine, idempotently: run it as often as you like; it only does what is
# missing and prints what it did. See docs/libvirt.md.
#
#   sudo hack/setup-libvirt.sh          # qemu:///system
#   sudo hack/setup-libvirt.sh --peer   # and a second daemon, the "peer hypervisor"
#
# The peer hypervisor is a second libvirtd on this machine, with its own host
# UUID, state and sockets (a private mount namespace over libvirt's
# directories), so that live migration between "two hosts" can be run and
# tested on one machine: libvirt refuses to migrate a domain to the host it
# runs on. Reach it as $PEER_URI (printed at the end).
#
# Machines without systemd: virtlogd and libvirtd are started directly,
# libvirtd under build*/bin/vigil-subreaper (or a small perl fallback) so that
# its orphans -- the qemu processes -- are reaped at once (DESIGN.md section 5).
# A libvirtd that is already running is never stopped or replaced.
set -euo pipefail

readonly REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly URI="qemu:///system"
readonly LOG_DIR=/var/log/libvirt
readonly PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 libvirt-clients)

readonly PEER_ROOT=/var/lib/vigil-peer-hypervisor
readonly PEER_URI="qemu+unix:///system?socket=$PEER_ROOT/run/libvirt-sock"
readonly PEER_HOST_UUID=5f1c0a3e-9b7d-4c2e-8a61-7d0b3e2f4c95

say() { echo "setup-libvirt: $*"; }
die() { echo "setup-libvirt: error: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "must run as root"

install_packages() {
  local missing=()
  for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$package")
  done
  if ((${#missing[@]} == 0)); then
    say "packages: already installed (${PACKAGES[*]})"
    return
  fi
  say "packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_users() {
  for group in kvm libvirt-qemu libvirt; do
    getent group "$group" >/dev/null && continue
    groupadd --system "$group" && say "group: created $group"
  done
  if ! getent passwd libvirt-qemu >/dev/null; then
    useradd --system --gid libvirt-qemu --groups kvm --home-dir /var/lib/libvirt \
      --no-create-home --shell /usr/sbin/nologin libvirt-qemu
    say "user: created libvirt-qemu"
  fi
  id -nG libvirt-qemu | grep -qw kvm || { usermod -aG kvm libvirt-qemu; say "user: libvirt-qemu joined kvm"; }
}

ensure_directories() {
  for dir in /run/libvirt /run/libvirt/qemu "$LOG_DIR" "$LOG_DIR/qemu" \
             /var/lib/libvirt/qemu /var/cache/libvirt/qemu; do
    [[ -d $dir ]] && continue
    mkdir -p "$dir" && say "directory: created $dir"
  done
}

# KVM is usable when /dev/kvm exists and opens; the qemu user reaches it
# through the kvm group, as the udev rule of a full install would arrange.
kvm_usable() {
  [[ -c /dev/kvm ]] && (exec 9<>/dev/kvm) 2>/dev/null
}

ensure_kvm_access() {
  if ! kvm_usable; then
    say "acceleration: /dev/kvm unusable -> TCG (domains use type='qemu')"
    return
  fi
  if [[ $(stat -c '%G %a' /dev/kvm) != "kvm 660" ]]; then
    chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
    say "acceleration: /dev/kvm now group kvm, mode 0660"
  fi
}

answering() { timeout 5 virsh -c "$URI" version >/dev/null 2>&1; }

# The PID in a daemon's pid file, if that process runs (the peer hypervisor's
# daemons keep theirs elsewhere, so they are never taken for these).
running_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null) && [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start_virtlogd() {
  local pid
  if pid=$(running_pid /run/virtlogd.pid); then
    say "virtlogd: already running (pid $pid)"
    return
  fi
  virtlogd --daemon && say "virtlogd: started"
}

# Prints the command that runs libvirtd as a child subreaper's child.
subreaper_command() {
  local built
  # build/ first, else the newest of the other build directories.
  built=$(ls -t "$REPO"/build/bin/vigil-subreaper "$REPO"/build*/bin/vigil-subreaper \
    2>/dev/null | head -1 || true)
  [[ -x $REPO/build/bin/vigil-subreaper ]] && built=$REPO/build/bin/vigil-subreaper
  if [[ -n $built ]]; then
    echo "$built"
    return
  fi
  # Fallback: perl's syscall(prctl = 157 on x86_64, PR_SET_CHILD_SUBREAPER = 36).
  echo "perl -e 'syscall(157,36,1,0,0,0)==0 or die \"prctl: \$!\";
    \$SIG{\$_}=sub{kill \$_[0],\$c} for qw(TERM INT HUP);
    \$c=fork // die; exec @ARGV or exit 127 unless \$c;
    while((\$p=wait)>0){ if(\$p==\$c){\$s=\$?; \$c=0} } exit(\$s>>8 || (\$s&127 ? 128+(\$s&127) : 0))' --"
}

start_libvirtd() {
  if answering; then
    say "libvirtd: already running and answering on $URI"
    return
  fi
  local pid
  if pid=$(running_pid /run/libvirtd.pid); then
    die "a libvirtd (pid $pid) runs but does not answer on $URI; not touching it"
  fi
  local runner
  runner=$(subreaper_command)
  say "libvirtd: starting under ${runner%% *}"
  setsid bash -c "exec $runner libvirtd" </dev/null >>"$LOG_DIR/libvirtd.log" 2>&1 &
  echo $! >/run/vigil-libvirtd-subreaper.pid
  for _ in $(seq 100); do
    answering && { say "libvirtd: answering on $URI (log $LOG_DIR/libvirtd.log)"; return; }
    sleep 0.1
  done
  die "libvirtd did not answer within 10 s; see $LOG_DIR/libvirtd.log"
}

report_acceleration() {
  if virsh -c "$URI" domcapabilities --virttype kvm >/dev/null 2>&1; then
    say "acceleration: KVM (domains use type='kvm')"
  else
    say "acceleration: TCG (domains use type='qemu')"
  fi
}

peer_answering() { timeout 5 virsh -c "$PEER_URI" version >/dev/null 2>&1; }

# The peer's libvirtd and virtlogd see $PEER_ROOT/{run,lib,etc,log,cache} as
# /run/libvirt, /var/lib/libvirt, ...: nothing of qemu:///system is shared
# (domain definitions, runtime state, qemu pid files, migration ports).
start_peer() {
  if peer_answering; then
    say "peer hypervisor: already answering on $PEER_URI"
    return
  fi
  local dir runner
  for dir in run lib/qemu etc/qemu log/qemu cache/qemu; do mkdir -p "$PEER_ROOT/$dir"; done
  echo "host_uuid = \"$PEER_HOST_UUID\"" >"$PEER_ROOT/etc/libvirtd.conf"
  printf 'migration_port_min = 49500\nmigration_port_max = 49599\n' >"$PEER_ROOT/etc/qemu.conf"
  runner=$(subreaper_command)
  {
    echo 'set -e'
    echo "for pair in run:/run/libvirt lib:/var/lib/libvirt etc:/etc/libvirt log:/var/log/libvirt cache:/var/cache/libvirt; do"
    echo '  mkdir -p "${pair#*:}"'
    echo "  mount --bind \"$PEER_ROOT/\${pair%%:*}\" \"\${pair#*:}\""
    echo 'done'
    echo 'virtlogd --daemon --pid-file /run/libvirt/virtlogd.pid'
    echo "exec $runner libvirtd --pid-file /run/libvirt/libvirtd.pid"
  } >"$PEER_ROOT/start.sh"
  say "peer hypervisor: starting a second libvirtd (host UUID $PEER_HOST_UUID)"
  setsid unshare --mount --propagation private bash "$PEER_ROOT/start.sh" \
    </dev/null >>"$LOG_DIR/peer-libvirtd.log" 2>&1 &
  echo $! >/run/vigil-peer-libvirtd.pid
  for _ in $(seq 100); do
    if peer_answering; then
      say "peer hypervisor: answering on $PEER_URI (log $LOG_DIR/peer-libvirtd.log)"
      return
    fi
    sleep 0.1
  done
  die "the peer libvirtd did not answer within 10 s; see $LOG_DIR/peer-libvirtd.log"
}

want_peer=false
for arg in "$@"; do
  case $arg in
    --peer) want_peer=true ;;
    *) die "unknown argument $arg (valid: --peer)" ;;
  esac
done

install_packages
ensure_users
ensure_directories
ensure_kvm_access
start_virtlogd
start_libvirtd
report_acceleration
if [[ $want_peer == true ]]; then start_peer; fi
say "ready: $(virsh -c "$URI" version | grep -i 'running hypervisor' || true)"
