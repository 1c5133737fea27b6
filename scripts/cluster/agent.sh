#!/usr/bin/env bash
# Start (or stop) a real quai-agent inside node N of the simulated cluster, as a root process
# of the node (docker exec), from the checkout that up.sh bind-mounts read-only at /quai/src.
# Its unix socket and key are in the node's bind-mounted folder, so the host reaches it at
#   /run/quai-cluster/node-N/agent.sock   with the key /run/quai-cluster/node-N/agent.key
# The agent's sandboxes are made on the node's own dockerd (a third level of Docker).
#   scripts/cluster/agent.sh start 2 [VAR=value...]     extra environment for the agent
#   scripts/cluster/agent.sh stop 2
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/scripts/cluster/lib.sh"
action=${1:-}; n=${2:-}
[[ "$action" =~ ^(start|stop)$ && "$n" =~ ^[0-9]+$ ]] || die "usage: agent.sh start|stop N [VAR=value...]"
shift 2
name=$(node_name "$n")
dir="$CLUSTER_RUN/node-$n"
docker container inspect "$name" >/dev/null 2>&1 || die "no node $n: scripts/cluster/up.sh first"

if [[ "$action" == stop ]]; then
  docker exec "$name" sh -c 'pid=$(cat /run/quai-cluster/agent.pid 2>/dev/null) && kill "$pid" 2>/dev/null; for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done; kill -9 "$pid" 2>/dev/null' || true
  rm -f "$dir/agent.sock" "$dir/agent.pid"
  exit 0
fi

[[ -s "$dir/agent.key" ]] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n' > "$dir/agent.key")
rm -f "$dir/agent.sock"
env=(
  NODE_ENV=production
  QUAI_AGENT_SOCKET=/run/quai-cluster/agent.sock
  QUAI_AGENT_KEY_FILE=/run/quai-cluster/agent.key
  QUAI_AGENT_NAME="node-$n"
  QUAI_SANDBOX_NAMESPACE=cluster
  QUAI_SANDBOX_STATE_DIR="$CLUSTER_AGENT_STATE"
  QUAI_SANDBOX_RUN_DIR=/run/quai-cluster-agent
  QUAI_SANDBOX_DISK_MB=1024
  QUAI_SANDBOX_DISK_RESERVE_MB=1024
  # getEnv() wants an auth secret, which the agent never uses; without one it would write
  # data/auth-secret into the (read-only) checkout.
  BETTER_AUTH_SECRET="$(head -c 32 /dev/urandom | base64 | tr -d '\n=')"
  "$@"
)
envargs=(); for e in "${env[@]}"; do envargs+=(-e "$e"); done
docker exec -d -w /quai/src "${envargs[@]}" "$name" sh -c \
  'echo $$ > /run/quai-cluster/agent.pid; exec node --import tsx --import ./scripts/node/register.mjs agent.ts > /run/quai-cluster/agent.log 2>&1'
for _ in $(seq 1 300); do
  [[ -S "$dir/agent.sock" ]] && break
  docker exec "$name" sh -c '[ ! -f /run/quai-cluster/agent.pid ] || kill -0 $(cat /run/quai-cluster/agent.pid)' 2>/dev/null || break
  sleep 0.1
done
[[ -S "$dir/agent.sock" ]] || { tail -n 30 "$dir/agent.log" >&2; die "the agent in node $n did not start"; }
say "quai-agent running in node $n: $dir/agent.sock (log $dir/agent.log)"
