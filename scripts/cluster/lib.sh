# Shared by scripts/cluster/*.sh: names and helpers of the simulated cluster (docs/cluster.md).
# Everything it makes on the host engine carries the label quai.cluster=$CLUSTER.
CLUSTER="${QUAI_CLUSTER_NAME:-quai-cluster}"
CLUSTER_NODES="${QUAI_CLUSTER_NODES:-3}"
CLUSTER_IMAGE="${QUAI_CLUSTER_IMAGE:-quai/cluster-node:latest}"
CLUSTER_NET="$CLUSTER"
CLUSTER_RUN="${QUAI_CLUSTER_RUN_DIR:-/run/$CLUSTER}"
# Paths a quai-agent inside a node uses for its sandboxes (distinct from the host's own Quai:
# loop devices are the host kernel's, and their backing-file names are all the host sees).
CLUSTER_AGENT_STATE=/var/lib/$CLUSTER-agent
export DOCKER_BUILDKIT=0

say() { printf 'cluster: %s\n' "$*" >&2; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
node_name() { echo "$CLUSTER-node-$1"; }
node_sock() { echo "$CLUSTER_RUN/node-$1/docker.sock"; }
# docker against node N's own engine (unix socket in a bind-mounted host folder, no TCP).
ndocker() { local n=$1; shift; docker -H "unix://$(node_sock "$n")" "$@"; }
node_ip() { docker inspect -f "{{ (index .NetworkSettings.Networks \"$CLUSTER_NET\").IPAddress }}" "$(node_name "$1")"; }
cluster_node_numbers() {
  docker ps -a --filter "label=quai.cluster=$CLUSTER" --format '{{ .Label "quai.cluster.node" }}' | sort -n
}

# Load images into every running node (or only the nodes CLUSTER_LOAD_NODES lists, "1 2"):
# one `docker save` of what some node lacks, then `docker load` into the nodes that lack it, side
# by side. Images a node already has (same ID) are skipped, so a second run is a no-op.
cluster_load_images() {
  local t0 n img id tar missing=() want pids=() loaded=0
  t0=$(now_ms)
  for img in "$@"; do
    docker image inspect "$img" >/dev/null 2>&1 || die "image $img is not on the host engine (npm run images:build)"
  done
  tar=$(mktemp "${TMPDIR:-/tmp}/quai-cluster-images.XXXXXX.tar")
  # What each node lacks.
  declare -A need=()
  for n in ${CLUSTER_LOAD_NODES:-$(cluster_node_numbers)}; do
    want=()
    for img in "$@"; do
      id=$(docker image inspect -f '{{.Id}}' "$img")
      [[ "$(ndocker "$n" image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)" == "$id" ]] || want+=("$img")
    done
    [[ ${#want[@]} -gt 0 ]] && need[$n]="${want[*]}"
  done
  if [[ ${#need[@]} -eq 0 ]]; then
    say "images already in every node ($*)"
    rm -f "$tar"
    return 0
  fi
  # One archive of the union (a node that has some of them gets them again: docker load
  # skips layers it has).
  missing=($(printf '%s\n' "${need[@]}" | tr ' ' '\n' | sort -u))
  docker save -o "$tar" "${missing[@]}" || { rm -f "$tar"; die "docker save ${missing[*]} failed"; }
  local saved=$(( $(now_ms) - t0 )) size
  size=$(du -h "$tar" | cut -f1)
  for n in "${!need[@]}"; do
    ndocker "$n" load -q -i "$tar" >/dev/null & pids+=($!)
    loaded=$((loaded + 1))
  done
  local failed=0 p
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  rm -f "$tar"
  ((failed == 0)) || die "docker load into a node failed"
  say "loaded ${missing[*]} ($size) into $loaded node(s) in $(( $(now_ms) - t0 )) ms (save $saved ms)"
  echo "load_ms=$(( $(now_ms) - t0 ))"
}
