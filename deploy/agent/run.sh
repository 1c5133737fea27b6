#!/bin/sh
# Installs, or replaces, quai-agent on this sandbox host: one container, restarted by Docker
# (--restart=always, also after a reboot) and health-checked; the third failed check in a row
# restarts it (QUAI_AGENT_HEALTH_RESTART_AFTER). docs/deploy.md "Add a sandbox host".
#
#   QUAI_AGENT_NAME=host2 QUAI_AGENT_LISTEN=10.0.0.12:7070 sh deploy/agent/run.sh quai/agent:0.1.0
#
# Environment:
#   QUAI_AGENT_NAME       this host's name in `quai-admin agents` (default: the host name)
#   QUAI_AGENT_LISTEN     the private ip:port quai-web calls (required unless QUAI_AGENT_SOCKET)
#   QUAI_AGENT_SOCKET     or a unix socket under /run/quai, for a quai-web on this host
#   QUAI_AGENT_METRICS_ADDRESS   where Prometheus scrapes it (default: the listen ip, port 9465)
#   QUAI_AGENT_KEY        the key file on this host (default /etc/quai/agent.key, mode 600)
#   QUAI_AGENT_SECURITY   how the container gets its host access (default --privileged; where
#                         --privileged is refused, e.g. a host whose bounding set lacks
#                         CAP_SYS_RESOURCE: "--cap-add ALL --cap-drop SYS_RESOURCE
#                         --security-opt seccomp=unconfined --security-opt apparmor=unconfined
#                         --security-opt systempaths=unconfined")
#   QUAI_SANDBOX_*        passed through (docs/sandbox.md)
#
# Why not a Swarm service: see docs/deploy.md ("Where quai-agent runs"). Swarm has no
# --privileged, --pid, --cgroupns, --device, --security-opt or --cgroup-parent.
set -eu
image=${1:-quai/agent:latest}
key=${QUAI_AGENT_KEY:-/etc/quai/agent.key}
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root" >&2; exit 1; }
[ -s "$key" ] || { echo "run.sh: no key at $key (copy quai-web's agent key there, mode 600)" >&2; exit 1; }
[ -n "${QUAI_AGENT_LISTEN:-}${QUAI_AGENT_SOCKET:-}" ] || { echo "run.sh: set QUAI_AGENT_LISTEN (a private ip:port) or QUAI_AGENT_SOCKET" >&2; exit 1; }
chmod 600 "$key"
metrics=${QUAI_AGENT_METRICS_ADDRESS:-}
if [ -z "$metrics" ] && [ -n "${QUAI_AGENT_LISTEN:-}" ]; then metrics="${QUAI_AGENT_LISTEN%:*}:9465"; fi

# The agent mounts sandbox disks under /var/lib/quai and makes node sockets under /run/quai; the
# host's engine must see those mounts, so both folders are shared mounts on both sides.
for dir in /var/lib/quai /run/quai; do
  mkdir -p "$dir"
  if ! findmnt -n -o PROPAGATION --target "$dir" | grep -q shared; then
    mountpoint -q "$dir" || mount --bind "$dir" "$dir"
    mount --make-rshared "$dir"
  fi
done

# QUAI_SANDBOX_* pass through as they are set here.
passthrough=$(env | sed -n 's/^\(QUAI_SANDBOX_[A-Z0-9_]*\)=.*/-e \1/p' | tr '\n' ' ')

docker rm -f quai-agent >/dev/null 2>&1 || true
# shellcheck disable=SC2086 # QUAI_AGENT_SECURITY and passthrough are word lists on purpose
docker run -d --name quai-agent --restart=always \
  ${QUAI_AGENT_SECURITY:---privileged} \
  --pid=host --network=host --cgroupns=host \
  -v /var/run/docker.sock:/var/run/docker.sock \
  -v /var/lib/quai:/var/lib/quai:rshared \
  -v /run/quai:/run/quai:rshared \
  -v /sys/fs/cgroup:/sys/fs/cgroup \
  -v /dev:/dev \
  -v "$key:/run/secrets/quai_agent_key:ro" \
  -e QUAI_AGENT_KEY_FILE=/run/secrets/quai_agent_key \
  -e QUAI_AGENT_NAME="${QUAI_AGENT_NAME:-$(hostname -s)}" \
  ${QUAI_AGENT_LISTEN:+-e QUAI_AGENT_LISTEN="$QUAI_AGENT_LISTEN"} \
  ${QUAI_AGENT_SOCKET:+-e QUAI_AGENT_SOCKET="$QUAI_AGENT_SOCKET" -e QUAI_AGENT_SOCKET_GROUP=quai} \
  ${metrics:+-e QUAI_AGENT_METRICS_ADDRESS="$metrics"} \
  -e QUAI_AGENT_HEALTH_RESTART_AFTER=3 \
  $passthrough \
  --health-cmd 'node /usr/local/bin/healthcheck.mjs' --health-interval 15s --health-timeout 5s \
  --health-retries 3 --health-start-period 30s \
  --log-opt max-size=10m --log-opt max-file=5 \
  --label org.quai.role=agent \
  "$image"
echo "quai-agent started; watch it with: docker ps --filter name=quai-agent   (STATUS shows healthy)"
