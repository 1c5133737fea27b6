#!/usr/bin/env bash
# A simulated Docker Swarm cluster on this machine (docs/cluster.md): N "hosts", each a
# Docker-in-Docker container on the host engine with its own /var/lib/docker volume, on a
# private bridge network; node 1 is the Swarm manager, the others workers. Idempotent.
#
#   scripts/cluster/up.sh [N]            (default 3, or QUAI_CLUSTER_NODES)
#   QUAI_CLUSTER_IMAGES="img ..."        images loaded into every node (default below; @lessons = all quai/lesson-*)
#
# Each node's engine is reached from the host on a unix socket in a bind-mounted host folder,
# /run/quai-cluster/node-N/docker.sock (no TCP port):
#   docker -H unix:///run/quai-cluster/node-1/docker.sock node ls
# Ends with shell lines on stdout (up_ms=, load_ms=, node_N_ip=) for scripts and the test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/scripts/cluster/lib.sh"
[[ $# -ge 1 ]] && CLUSTER_NODES=$1
[[ "$CLUSTER_NODES" =~ ^[1-9][0-9]?$ ]] || die "N must be a number from 1 to 99"
[[ "$(id -u)" == 0 ]] || die "run as root (it bind-mounts host folders and uses the host's Docker engine)"
docker info >/dev/null 2>&1 || die "the host's Docker daemon does not answer"
t0=$(now_ms)

# ---- the node image, built here and not by npm run images:build: it is a test harness
# that only this script uses, one layer over quai/sandbox, and Docker's cache makes the
# no-op build take about a second.
docker image inspect quai/sandbox:latest >/dev/null 2>&1 || die "quai/sandbox:latest is missing: npm run images:build"
docker build -q -t "$CLUSTER_IMAGE" "$ROOT/images/cluster-node" >/dev/null 2>&1 || die "building $CLUSTER_IMAGE failed: docker build images/cluster-node"

# Nodes numbered above N (a bigger cluster made before) would stay in the Swarm.
for n in $(cluster_node_numbers); do
  (( n > CLUSTER_NODES )) && die "node $n exists but N=$CLUSTER_NODES: scripts/cluster/down.sh first, or up.sh $n"
done

# ---- the private network
docker network inspect "$CLUSTER_NET" >/dev/null 2>&1 \
  || docker network create --driver bridge --label "quai.cluster=$CLUSTER" "$CLUSTER_NET" >/dev/null

# ---- the nodes
# Docker-in-Docker flags that work here (--privileged does not: CAP_SYS_RESOURCE is missing
# from the bounding set); --cgroupns private with no cgroup bind mount (the node mounts its own
# view, see images/cluster-node); the loop devices, for a quai-agent in the node.
# SECURITY: these containers are root on the host. A test harness, never a place for learners.
for n in $(seq 1 "$CLUSTER_NODES"); do
  name=$(node_name "$n")
  mkdir -p "$CLUSTER_RUN/node-$n"
  chmod 0700 "$CLUSTER_RUN/node-$n"
  state=missing
  docker container inspect "$name" >/dev/null 2>&1 && state=$(docker inspect -f '{{.State.Status}}' "$name")
  case "$state" in
    running) ;;
    missing)
      docker run -d --name "$name" --hostname "node-$n" --network "$CLUSTER_NET" \
        --label "quai.cluster=$CLUSTER" --label "quai.cluster.node=$n" \
        --cap-add ALL --cap-drop SYS_RESOURCE \
        --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
        --cgroupns private \
        --device /dev/loop-control --device-cgroup-rule 'b 7:* rmw' -e "QUAI_CLUSTER_LOOP_DEVICES=${QUAI_CLUSTER_LOOP_DEVICES:-255}" \
        --mount "type=volume,source=$name-docker,target=/var/lib/docker,volume-label=quai.cluster=$CLUSTER" \
        -v "$CLUSTER_RUN/node-$n:/run/quai-cluster" \
        -v "$ROOT:/quai/src:ro" \
        --memory 2g --pids-limit 4096 \
        "$CLUSTER_IMAGE" >/dev/null
      ;;
    *) docker start "$name" >/dev/null ;;
  esac
done

for n in $(seq 1 "$CLUSTER_NODES"); do
  for _ in $(seq 1 300); do
    ndocker "$n" version >/dev/null 2>&1 && break
    [[ "$(docker inspect -f '{{.State.Running}}' "$(node_name "$n")")" == true ]] \
      || { docker logs --tail 20 "$(node_name "$n")" >&2; die "node $n stopped"; }
    sleep 0.1
  done
  ndocker "$n" version >/dev/null 2>&1 || { docker logs --tail 20 "$(node_name "$n")" >&2; die "node $n's dockerd did not answer on $(node_sock "$n")"; }
done
engines_ms=$(( $(now_ms) - t0 ))

# ---- the Swarm: node 1 manager, the others workers
ip1=$(node_ip 1)
if [[ "$(ndocker 1 info -f '{{.Swarm.LocalNodeState}}')" != active ]]; then
  ndocker 1 swarm init --advertise-addr "$ip1" >/dev/null
fi
token=$(ndocker 1 swarm join-token -q worker)
for n in $(seq 2 "$CLUSTER_NODES"); do
  if [[ "$(ndocker "$n" info -f '{{.Swarm.LocalNodeState}}')" != active ]]; then
    ndocker "$n" swarm join --token "$token" --advertise-addr "$(node_ip "$n")" "$ip1:2377" >/dev/null
  fi
done
# Labels: the database on node 1, sandboxes on the others (node 1 too when alone).
for n in $(seq 1 "$CLUSTER_NODES"); do
  id=$(ndocker "$n" info -f '{{.Swarm.NodeID}}')
  if [[ $n == 1 ]]; then args=(--label-add quai.db=true); else args=(--label-add quai.sandboxes=true); fi
  [[ $CLUSTER_NODES == 1 ]] && args+=(--label-add quai.sandboxes=true)
  ndocker 1 node update "${args[@]}" --label-add "quai.node=$n" "$id" >/dev/null
done
for _ in $(seq 1 100); do
  ready=$(ndocker 1 node ls --format '{{.Status}}' | grep -c '^Ready$' || true)
  [[ "$ready" == "$CLUSTER_NODES" ]] && break
  sleep 0.2
done
[[ "$ready" == "$CLUSTER_NODES" ]] || die "only $ready of $CLUSTER_NODES nodes are Ready: docker -H unix://$(node_sock 1) node ls"
up_ms=$(( $(now_ms) - t0 ))
say "$CLUSTER_NODES nodes Ready in $up_ms ms (engines answering at $engines_ms ms); manager node 1 at $ip1"

# ---- images
# What the nodes' own engines run: the sandbox and mirror images (for a quai-agent in the node)
# and the lesson images a stack uses. Sandboxes get lesson images through the mirror
# (seed-registry.sh). "@lessons" in the list stands for every quai/lesson-* image of the host.
images=()
for img in ${QUAI_CLUSTER_IMAGES:-quai/sandbox:latest quai/registry:latest quai/lesson-busybox:latest quai/lesson-nginx:latest}; do
  if [[ "$img" == @lessons ]]; then
    images+=($(docker images --format '{{.Repository}}:{{.Tag}}' 'quai/lesson-*' | grep -v '<none>' | sort -u))
  else
    images+=("$img")
  fi
done
load_out=$(cluster_load_images "${images[@]}")
load_line=$(grep '^load_ms=' <<< "$load_out" || echo load_ms=0)

echo "up_ms=$up_ms"
echo "$load_line"
for n in $(seq 1 "$CLUSTER_NODES"); do echo "node_${n}_ip=$(node_ip "$n")"; echo "node_${n}_sock=$(node_sock "$n")"; done
