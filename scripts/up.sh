#!/usr/bin/env bash
# Installs and starts Quai on its embedded defaults (SQLite in data/, no external database):
#   bash scripts/up.sh
# Then open the URL it prints. While no instructor exists, it also prints a one-time setup link:
# open it to create the first instructor account (or run `npm run setup:token` for a new one).
# As root it starts Quai as two programs: quai-agent (root, the sandboxes) and quai-web (the
# system user quai, created if missing); otherwise one unprivileged process without sandboxes.
set -euo pipefail
cd "$(dirname "$0")/.."

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
minor=$(node -p 'process.versions.node.split(".")[1]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 9 ]; }; then
  echo "Quai needs Node.js 20.9 or later (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "On Debian: install Node 20 from NodeSource or your distribution's backports, then run this again." >&2
  exit 1
fi

echo "==> Installing dependencies (npm ci)"
npm ci --no-audit --no-fund

echo "==> Checking the lessons"
npm run -s content:check

echo "==> Building the web application"
npx next build

# Hands-on lessons need a Docker engine and the sandbox images. As root on Debian this sets
# them up; otherwise Quai still starts, and hands-on lessons say what is missing.
if [ "$(id -u)" = 0 ] && [ -f scripts/ci/install-docker.sh ]; then
  echo "==> Preparing Docker and the sandbox images (first time: several minutes)"
  if bash scripts/ci/install-docker.sh && npm run -s images:build; then
    echo "Sandboxes are ready."
  else
    echo "WARNING: Docker or the sandbox images could not be prepared; hands-on lessons will say what to fix." >&2
  fi
else
  echo "NOTE: not root, so Docker and the sandbox images were not set up. Hands-on lessons need them:" >&2
  echo "      sudo bash scripts/ci/install-docker.sh && npm run images:build" >&2
fi

echo "==> Starting Quai (database: ${DATABASE_URL:-file:./data/quai.db})"
export NODE_ENV=production
if [ "$(id -u)" = 0 ]; then
  # Two programs (docs/architecture.md): quai-agent as root runs the sandboxes; quai-web, as the
  # unprivileged user quai, serves the pages with no Docker socket. Key: /etc/quai/agent.key.
  exec bash scripts/split/start.sh /etc/quai
fi
exec npm start
