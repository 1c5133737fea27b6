#!/usr/bin/env bash
# Starts Quai as two programs (docs/architecture.md): quai-agent as root, owning the Docker
# engine, cgroups, disks and firewall, and quai-web as the unprivileged system user `quai`
# (created if missing), with no Docker socket and no capability. They are linked by a unix
# socket only root and the group `quai` may use, and a key generated on first start.
#   start.sh <state-dir> [web command...]     (default command: the production server)
# The environment passes through (PORT, QUAI_URL, DATABASE_URL, QUAI_CONTENT_DIR, QUAI_SANDBOX_*).
# The web's database (if SQLite) and data/ must belong to `quai`: this script hands them over.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
  echo "start.sh: run as root (it starts quai-agent as root and quai-web as the user quai)" >&2
  exit 1
fi
state=$1
shift
web_user=${QUAI_WEB_USER:-quai}
id -u "$web_user" >/dev/null 2>&1 || useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$web_user"

mkdir -p "$state"
# The web reads the key: its group may enter the folder that holds it (a mktemp folder is 0700).
chgrp "$web_user" "$state"
chmod g+rx "$state"
key="$(realpath "$state")/agent.key"
if [ ! -s "$key" ]; then
  (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n' > "$key")
fi
chown "root:$web_user" "$key"
chmod 0640 "$key"

# Unix socket paths are short (108 bytes): one per sandbox namespace under /run/quai.
mkdir -p /run/quai
chmod 0755 /run/quai
socket="/run/quai/agent-${QUAI_SANDBOX_NAMESPACE:-quai}.sock"

# The web's files: its SQLite database beside the state, the auth secret in data/, Next's cache.
mkdir -p data .next/cache
(set -C && umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' > data/auth-secret) 2>/dev/null || true
chown -R "$web_user:$web_user" data .next/cache
database=${DATABASE_URL:-file:./data/quai.db}
if [[ "$database" == file:* ]]; then
  file=${database#file:}
  file=${file%%\?*}
  mkdir -p "$(dirname "$file")"
  chown "$web_user:$web_user" "$(dirname "$file")"
  for f in "$file" "$file-wal" "$file-shm" "$file-journal"; do [ -e "$f" ] && chown "$web_user:$web_user" "$f"; done
  if ! setpriv --reuid="$web_user" --regid="$web_user" --init-groups test -w "$(dirname "$file")"; then
    echo "start.sh: the user $web_user cannot reach the database folder $(dirname "$file") (a folder above it is closed to it): put the database elsewhere, or open that path to $web_user" >&2
    exit 1
  fi
fi

tsx=node_modules/.bin/tsx
QUAI_AGENT_SOCKET=$socket QUAI_AGENT_KEY_FILE=$key QUAI_AGENT_SOCKET_GROUP=$web_user \
  "$tsx" --import ./scripts/node/register.mjs agent.ts &
agent=$!
trap 'kill $agent 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  [ -S "$socket" ] && break
  kill -0 $agent 2>/dev/null || { echo "quai-agent did not start" >&2; exit 1; }
  sleep 0.1
done

if [ $# -eq 0 ]; then set -- "$tsx" --import ./scripts/node/register.mjs server.ts; fi
# Not exec: this shell stays to stop the agent when the web stops.
setpriv --reuid="$web_user" --regid="$web_user" --init-groups --no-new-privs \
  env HOME=/nonexistent USER="$web_user" QUAI_AGENT_SOCKET="$socket" QUAI_AGENT_KEY_FILE="$key" "$@" &
web=$!
trap 'kill $web $agent 2>/dev/null || true' EXIT TERM INT
wait $web
