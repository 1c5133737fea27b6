#!/usr/bin/env bash
# Copy the host's lesson registry mirror (the volume quai-registry-data that npm run
# images:build fills) into nodes of the simulated cluster, so that a quai-agent there serves
# `docker run nginx` in its sandboxes as on a real host. Skips a node whose copy is current
# (same quai-stamp.txt). The agent's mirror container in that node mounts the volume read-only.
#   scripts/cluster/seed-registry.sh [N...]     (default: every node but node 1)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/scripts/cluster/lib.sh"
VOLUME="${QUAI_REGISTRY_VOLUME:-quai-registry-data}"
IMAGE="${QUAI_REGISTRY_IMAGE:-quai/registry:latest}"
nodes=("$@")
[[ ${#nodes[@]} -gt 0 ]] || nodes=($(cluster_node_numbers | grep -vx 1))
docker volume inspect "$VOLUME" >/dev/null 2>&1 || die "no volume $VOLUME on the host: npm run images:build"
read_stamp() { "$@" run --rm -v "$VOLUME:/r:ro" --entrypoint cat "$IMAGE" /r/quai-stamp.txt 2>/dev/null | sha256sum | cut -c1-16; }
want=$(read_stamp docker)
t0=$(now_ms); pids=()
for n in "${nodes[@]}"; do
  ndocker "$n" image inspect "$IMAGE" >/dev/null 2>&1 || die "node $n has no $IMAGE: scripts/cluster/load-images.sh $IMAGE"
  if [[ "$(read_stamp ndocker "$n")" == "$want" ]]; then say "node $n: registry mirror is current"; continue; fi
  (
    ndocker "$n" volume create "$VOLUME" >/dev/null
    docker run --rm -v "$VOLUME:/r:ro" --entrypoint tar "$IMAGE" -C /r -cf - . \
      | ndocker "$n" run --rm -i -v "$VOLUME:/r" --entrypoint sh "$IMAGE" -c 'find /r -mindepth 1 -delete && tar -C /r -xf -'
  ) & pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
((failed == 0)) || die "copying the registry mirror failed"
say "registry mirror copied into node(s) ${nodes[*]} in $(( $(now_ms) - t0 )) ms"
echo "seed_ms=$(( $(now_ms) - t0 ))"
