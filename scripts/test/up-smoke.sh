#!/usr/bin/env bash
# The README's first command as a fresh machine's root runs it: `bash scripts/up.sh`. Waits for
# "Quai is ready", then checks what it promises: the one-time setup link, the two programs
# (quai-agent as root, quai-web as the user quai with no Docker socket in reach), and a learner who
# signs up gets a real sandbox through them. Stops everything it started. Root only.
#   bash scripts/test/up-smoke.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
  echo "up-smoke: run as root (scripts/up.sh starts quai-agent as root)" >&2
  exit 1
fi

port=${QUAI_UP_SMOKE_PORT:-3290}
url=http://localhost:$port
state=$(mktemp -d /tmp/quai-up-smoke.XXXXXX)
chmod 755 "$state"
log=$state/up.log
cookies=$state/cookies
export PORT=$port QUAI_URL=$url QUAI_SANDBOX_NAMESPACE=quai-up-smoke DATABASE_URL=file:$state/db/quai.db

failed=0
fail() {
  echo "✗ $*"
  failed=1
}

setsid bash scripts/up.sh > "$log" 2>&1 < /dev/null &
up=$!
stop() {
  kill -TERM -- "-$up" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$up" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$up" 2>/dev/null
}
trap stop EXIT

# npm ci and the production build come first: minutes on 2 cores.
for _ in $(seq 1 1200); do
  grep -q 'Quai is ready on' "$log" && break
  kill -0 "$up" 2>/dev/null || break
  sleep 1
done
if ! grep -q "Quai is ready on $url" "$log"; then
  tail -n 40 "$log"
  echo "✗ scripts/up.sh did not print 'Quai is ready on $url'"
  exit 1
fi
echo "✓ up.sh: $(grep -m1 'Quai is ready on' "$log")"

# The server prints the link once it has listened and stored a token: a moment after "ready"
# (CI, loaded: after the first look at the log).
for _ in $(seq 1 300); do grep -q "$url/setup?token=" "$log" && break; sleep 0.1; done
grep -q "$url/setup?token=" "$log" && echo "✓ the one-time setup link is printed" || fail "no setup link in the output (30 s after ready)"

status=$(curl -s -o /dev/null -w '%{http_code}' "$url/")
[ "$status" = 200 ] && echo "✓ GET / answers 200" || fail "GET / answered $status"
health=$(curl -s "$url/api/health")
[ "$health" = '{"ok":true}' ] && echo "✓ GET /api/health answers {\"ok\":true} (the probes of deploy/)" || fail "GET /api/health answered '$health'"

# The two programs: the web (server.ts) as quai, the agent (agent.ts) as root.
web_pid=$(pgrep -f -n "register.mjs server.ts")
agent_pid=$(pgrep -f -n "register.mjs agent.ts")
web_user=$(ps -o user= -p "$web_pid" 2>/dev/null | tr -d ' ')
agent_user=$(ps -o user= -p "$agent_pid" 2>/dev/null | tr -d ' ')
[ "$web_user" = quai ] && echo "✓ quai-web runs as quai" || fail "quai-web runs as '$web_user'"
[ "$agent_user" = root ] && echo "✓ quai-agent runs as root" || fail "quai-agent runs as '$agent_user'"
if setpriv --reuid=quai --regid=quai --init-groups test -w /var/run/docker.sock 2>/dev/null; then
  fail "the user quai can write the host's Docker socket"
else
  echo "✓ the user quai cannot use the host's Docker socket"
fi
caps=$(awk '/^CapEff/ {print $2}' "/proc/$web_pid/status" 2>/dev/null)
[ "$caps" = 0000000000000000 ] && echo "✓ quai-web has no capability" || fail "quai-web's effective capabilities: $caps"

# A learner signs up and opens a hands-on lesson: the sandbox is made by the agent.
email="up-smoke-$RANDOM@quai.test"
status=$(curl -s -o "$state/signup.json" -w '%{http_code}' -c "$cookies" -H 'content-type: application/json' -H "origin: $url" \
  -d "{\"email\":\"$email\",\"password\":\"password-1234\",\"name\":\"up smoke\"}" "$url/api/auth/sign-up/email")
[ "$status" = 200 ] && echo "✓ a learner signs up" || fail "sign-up answered $status: $(head -c 300 "$state/signup.json")"
status=$(curl -s -o "$state/sandbox.json" -w '%{http_code}' -b "$cookies" -H 'content-type: application/json' -H "origin: $url" \
  -d '{"courseSlug":"reseaux-docker","lessonSlug":"reseaux-par-defaut"}' "$url/api/sandboxes")
sandbox=$(node -p 'const s = require(process.argv[1]); s.status === "running" ? s.id : ""' "$state/sandbox.json" 2>/dev/null)
if [ "$status" = 200 ] && [ -n "$sandbox" ]; then
  echo "✓ the learner's sandbox $sandbox is running"
  docker ps --filter "label=quai.sandbox=$sandbox" --format '{{.Names}}' | grep -q . && echo "✓ its node runs on this host's engine" || fail "no container of sandbox $sandbox on this host"
  status=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -b "$cookies" -H "origin: $url" "$url/api/sandboxes/$sandbox")
  [ "$status" = 200 ] && echo "✓ and it stops" || fail "stopping the sandbox answered $status"
else
  fail "opening a sandbox answered $status: $(head -c 300 "$state/sandbox.json")"
fi

stop
trap - EXIT
rm -rf "$state"
if [ "$failed" != 0 ]; then
  tail -n 40 "$log"
  exit 1
fi
echo "up.sh smoke test passed."
