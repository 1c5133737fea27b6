#!/usr/bin/env bash
# Remove the simulated cluster (scripts/cluster/up.sh): its nodes with everything inside them
# (Swarm state, services, sandboxes of a quai-agent in a node), their volumes, the network and
# the socket folders. Touches only what carries the label quai.cluster=<name>. Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/scripts/cluster/lib.sh"

containers=$(docker ps -aq --filter "label=quai.cluster=$CLUSTER")
# A quai-agent inside a node may hold loop-mounted sandbox disks: unmount them inside the node
# first (mount -o loop detaches the loop device of the host kernel on the last unmount).
for c in $containers; do
  if [[ "$(docker inspect -f '{{.State.Running}}' "$c")" == true ]]; then
    docker exec "$c" sh -c "kill \$(cat /run/quai-cluster/agent.pid 2>/dev/null) 2>/dev/null; for s in \$(docker ps -aq 2>/dev/null); do docker rm -f \$s >/dev/null 2>&1; done;
      grep -o ' $CLUSTER_AGENT_STATE[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l" >/dev/null 2>&1 || true
  fi
done
[[ -n "$containers" ]] && docker rm -f -v $containers >/dev/null
volumes=$(docker volume ls -q --filter "label=quai.cluster=$CLUSTER")
[[ -n "$volumes" ]] && docker volume rm $volumes >/dev/null
networks=$(docker network ls -q --filter "label=quai.cluster=$CLUSTER")
[[ -n "$networks" ]] && docker network rm $networks >/dev/null
# Loop devices of the host kernel still backed by a cluster agent's disk image (only those).
for l in /sys/block/loop*/loop/backing_file; do
  [[ -r "$l" ]] || continue
  if grep -q "^$CLUSTER_AGENT_STATE/" "$l" 2>/dev/null; then
    dev=/dev/$(basename "$(dirname "$(dirname "$l")")")
    losetup -d "$dev" 2>/dev/null && say "detached $dev ($(cat "$l" 2>/dev/null || echo gone))" || true
  fi
done
rm -rf "$CLUSTER_RUN"
say "removed $(echo $containers | wc -w) node(s), $(echo $volumes | wc -w) volume(s), $(echo $networks | wc -w) network(s)"
