#!/usr/bin/env bash
# Quai's own stack on the simulated cluster (docs/cluster.md "Quai's stack on the cluster"):
# deploy/stack.yaml with its offline override and tests/cluster/fixtures/stack.cluster.yaml, as
# docs/deploy.md deploys it on three hosts. Node 1 is the edge, the web replicas, the database and
# monitoring; every other node is a sandbox host whose quai-agent (agent.sh, on the node's private
# address) is registered with `quai-admin agents add` and scraped by Prometheus.
#   scripts/cluster/stack.sh up <tag>       quai/web:<tag> (deploy/build-images.sh --prebuilt <tag>)
#   scripts/cluster/stack.sh down           the stack, its secrets and volumes, the agents
# up is idempotent and ends with edge_ip=, web_tag= and node_N_agent= lines for scripts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/scripts/cluster/lib.sh"
STACK=quai
STATE="$CLUSTER_RUN/stack"
action=${1:-}
[[ "$action" =~ ^(up|down)$ ]] || die "usage: stack.sh up <tag> | down"
[[ "$(id -u)" == 0 ]] || die "run as root (it drives the nodes' engines through their sockets)"
nodes=($(cluster_node_numbers))
[[ ${#nodes[@]} -ge 2 ]] || die "the stack needs node 1 and at least one sandbox node: scripts/cluster/up.sh 3"
sandbox_nodes=("${nodes[@]:1}")
secrets=(quai_db_password quai_auth_secret quai_agent_key grafana_admin_password acme_dns_token)

web_container() { ndocker 1 ps -q --filter "label=com.docker.swarm.service.name=${STACK}_quai-web" --filter status=running | head -n 1; }

if [[ "$action" == down ]]; then
  for n in "${sandbox_nodes[@]}"; do bash "$ROOT/scripts/cluster/agent.sh" stop "$n"; done
  ndocker 1 stack rm "$STACK" >/dev/null 2>&1 || true
  # Tasks leave one by one; secrets and volumes in use cannot be removed before.
  for _ in $(seq 1 150); do
    [[ -z "$(ndocker 1 ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ]] && break
    sleep 0.2
  done
  ndocker 1 secret rm "${secrets[@]}" >/dev/null 2>&1 || true
  ndocker 1 volume ls -q --filter "label=com.docker.stack.namespace=$STACK" | xargs -r -n 20 docker -H "unix://$(node_sock 1)" volume rm -f >/dev/null
  rm -rf "$STATE"
  say "stack $STACK removed"
  exit 0
fi

tag=${2:-}
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "usage: stack.sh up <tag> (quai/web:<tag>)"
docker image inspect "quai/web:$tag" >/dev/null 2>&1 || die "quai/web:$tag is not on the host engine: deploy/build-images.sh --prebuilt $tag"
t0=$(now_ms)

# ---- images: node 1 runs every service of the stack; the sandbox nodes only sandboxes.
CLUSTER_LOAD_NODES=1 cluster_load_images "quai/web:$tag" quai/lesson-haproxy:latest quai/lesson-postgres:latest \
  quai/lesson-prometheus:latest quai/lesson-alertmanager:latest >/dev/null

# ---- labels (docs/deploy.md "Node labels")
ndocker 1 node update --label-add quai.edge=true --label-add quai.web=true --label-add quai.monitoring=true node-1 >/dev/null

# ---- one agent key for web and every agent, and the other secrets (random, made once)
mkdir -p "$STATE"; chmod 0700 "$STATE"
[[ -s "$STATE/agent.key" ]] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n' > "$STATE/agent.key")
for n in "${sandbox_nodes[@]}"; do install -m 0600 "$STATE/agent.key" "$CLUSTER_RUN/node-$n/agent.key"; done
for secret in "${secrets[@]}"; do
  ndocker 1 secret inspect "$secret" >/dev/null 2>&1 && continue
  if [[ "$secret" == quai_agent_key ]]; then value=$(cat "$STATE/agent.key"); else value=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+='); fi
  printf '%s' "$value" | ndocker 1 secret create "$secret" - >/dev/null
done

# ---- what Prometheus scrapes of the agents (deploy/monitoring/agents.example.yml's format)
: > "$STATE/agents.yml"
for n in "${sandbox_nodes[@]}"; do
  printf -- "- targets: ['%s:9465']\n  labels:\n    host: node-%s\n" "$(node_ip "$n")" "$n" >> "$STATE/agents.yml"
done

# ---- the stack
QUAI_VERSION=$tag QUAI_HOST=quai.test QUAI_PORTS_HOST=ports.quai.test QUAI_GRAFANA_HOST=grafana.quai.test \
QUAI_AGENTS_FILE="$STATE/agents.yml" QUAI_CONFIG_VERSION=cluster ACME_EMAIL=ops@quai.test \
  ndocker 1 stack deploy --detach=true --resolve-image never -c "$ROOT/deploy/stack.yaml" -c "$ROOT/deploy/stack.offline.yaml" \
    -c "$ROOT/tests/cluster/fixtures/stack.cluster.yaml" "$STACK" >/dev/null
for service in postgres quai-web edge-offline prometheus alertmanager; do
  want=$(ndocker 1 service inspect -f '{{.Spec.Mode.Replicated.Replicas}}' "${STACK}_$service")
  for _ in $(seq 1 600); do
    [[ "$(ndocker 1 service ls --filter "name=${STACK}_$service" --format '{{.Replicas}}')" == "$want/$want" ]] && break
    sleep 0.5
  done
  [[ "$(ndocker 1 service ls --filter "name=${STACK}_$service" --format '{{.Replicas}}')" == "$want/$want" ]] \
    || { ndocker 1 service ps --no-trunc "${STACK}_$service" >&2; ndocker 1 service logs --tail 30 "${STACK}_$service" >&2 || true; die "${STACK}_$service did not reach $want replicas"; }
done
# Running is not healthy: quai-web answers once its health check passes (migrations done).
for _ in $(seq 1 240); do
  healthy=$(ndocker 1 ps --filter "label=com.docker.swarm.service.name=${STACK}_quai-web" --filter health=healthy -q | wc -l)
  [[ "$healthy" -ge 2 ]] && break
  sleep 0.5
done
[[ "$healthy" -ge 2 ]] || { ndocker 1 service logs --tail 40 "${STACK}_quai-web" >&2; die "quai-web's replicas are not healthy"; }
say "stack $STACK up in $(( $(now_ms) - t0 )) ms"

# ---- the sandbox hosts: an agent on each node's private address, registered with quai-web
web=$(web_container)
for n in "${sandbox_nodes[@]}"; do
  ip=$(node_ip "$n")
  bash "$ROOT/scripts/cluster/agent.sh" start "$n" "QUAI_AGENT_LISTEN=$ip:7070" "QUAI_AGENT_METRICS_ADDRESS=$ip:9465"
  if ! ndocker 1 exec "$web" quai-admin agents list 2>/dev/null | grep -q "node-$n"; then
    ndocker 1 exec "$web" quai-admin agents add "node-$n" "http://$ip:7070" >/dev/null
  fi
  echo "node_${n}_agent=http://$ip:7070"
done
echo "edge_ip=$(node_ip 1)"
echo "web_tag=$tag"
echo "stack_ms=$(( $(now_ms) - t0 ))"
