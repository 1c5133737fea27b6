#!/usr/bin/env bash
# A server under test: the production build, a fresh database, the given content folder,
# and auth rate limits off unless the caller turns them on (every test signs up from the same
# address). Before the server starts, a setup token is minted with the real CLI into
# .cache/e2e/<name>/setup-token: global-setup.ts makes the instructor account with it. As root,
# the server runs split in two like production (scripts/split/start.sh); QUAI_E2E_SPLIT=0 runs
# one process.
#   start-server.sh <name> <content-dir>
set -euo pipefail
cd "$(dirname "$0")/../../.."
state=".cache/e2e/$1"
rm -rf "$state"
mkdir -p "$state"
export NODE_ENV=production
export DATABASE_URL="file:./$state/quai.db"
export QUAI_CONTENT_DIR="$2"
export QUAI_AUTH_RATE_LIMIT="${QUAI_AUTH_RATE_LIMIT:-off}"
# Each server reconciles only its own sandboxes: one namespace per server under test.
export QUAI_SANDBOX_NAMESPACE="quai-e2e-$1"
npx tsx --import ./scripts/node/register.mjs scripts/setup-token.ts --write "$state/setup-token" >/dev/null
# As production runs it (scripts/up.sh as root): quai-agent as root, quai-web as the user quai.
if [ "$(id -u)" = 0 ] && [ "${QUAI_E2E_SPLIT:-1}" != 0 ]; then exec bash scripts/split/start.sh "$state"; fi
exec npx tsx --import ./scripts/node/register.mjs server.ts
