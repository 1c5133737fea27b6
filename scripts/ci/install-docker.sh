#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine (CI and fresh servers). Idempotent:
#   - installs docker.io and debootstrap with apt when missing (debootstrap builds the Debian
#     base image where no registry is reachable: see scripts/images/base.sh),
#   - starts dockerd in the background when `docker info` fails, and waits for it (~30 s max).
# Also checks what sandboxes need from the host (root, loop devices, mkfs.ext4, mkfs.btrfs, iptables and
# ip6tables, ip), and says what is missing without failing here: Quai itself refuses to create
# sandboxes without them unless QUAI_SANDBOX_UNSAFE_ALLOW_MISSING says otherwise (docs/sandbox.md).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

say() { echo "install-docker: $*"; }
die() { echo "install-docker: $*" >&2; exit 1; }

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v mkfs.ext4 >/dev/null 2>&1 || need+=(e2fsprogs)
# btrfs sandbox disks keep steps (copy-on-write snapshots of a sandbox: docs/persistence.md).
command -v mkfs.btrfs >/dev/null 2>&1 || need+=(btrfs-progs)
# iptables also brings ip6tables; iproute2 gives `ip -j addr` (the host's subnets for the firewall).
{ command -v iptables >/dev/null 2>&1 && command -v ip6tables >/dev/null 2>&1; } || need+=(iptables)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
if ((${#need[@]})); then
  [[ $(id -u) == 0 ]] || die "missing ${need[*]} and not root: sudo apt-get install -y ${need[*]}"
  say "installing ${need[*]}"
  apt-get update -qq
  # docker.io's postinst may say "invoke-rc.d: policy-rc.d denied execution of start": normal
  # in containers and CI; dockerd is started below.
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  say "Docker answers ($(docker info --format '{{.ServerVersion}}' 2>/dev/null))"
else
  [[ $(id -u) == 0 ]] || die "dockerd is not running and this is not root: sudo dockerd > /var/log/dockerd.log 2>&1 &   (or: sudo systemctl start docker)"
  if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
    systemctl start docker || true
  fi
  if ! docker info >/dev/null 2>&1; then
    say "starting dockerd (log: /var/log/dockerd.log)"
    nohup dockerd > /var/log/dockerd.log 2>&1 &
  fi
  for i in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { tail -n 20 /var/log/dockerd.log >&2 || true; die "dockerd did not answer within 30 s (see /var/log/dockerd.log)"; }
  say "Docker answers ($(docker info --format '{{.ServerVersion}}'))"
fi

# What sandboxes need beyond Docker; without it Quai refuses them (fail closed) unless
# QUAI_SANDBOX_UNSAFE_ALLOW_MISSING names the piece, for development only (docs/sandbox.md).
[[ $(id -u) == 0 ]] || say "note: not root: Quai will refuse sandboxes (no per-sandbox cgroup, disk bound or firewall) unless QUAI_SANDBOX_UNSAFE_ALLOW_MISSING=cgroup,disk,firewall (development only)"
[[ -e /dev/loop-control ]] || say "note: no loop devices: Quai will refuse sandboxes unless QUAI_SANDBOX_UNSAFE_ALLOW_MISSING=disk (development only)"
exit 0
