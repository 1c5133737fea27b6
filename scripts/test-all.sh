#!/usr/bin/env bash
# Runs every test: content check, types, unit, integration (real Docker, SQLite and PostgreSQL),
# then end-to-end tests in Chromium against a production build, then the security tests
# (npm run test:security, docs/security.md).
set -uo pipefail
cd "$(dirname "$0")/.."

failures=()
failure_logs=()
step_logs=$(mktemp -d)
step() {
  local name=$1 log
  shift
  log="$step_logs/${name//[^[:alnum:]]/-}.log"
  echo
  echo "━━━ $name"
  "$@" 2>&1 | tee "$log"
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then
    echo "✓ $name"
  else
    failures+=("$name")
    failure_logs+=("$log")
    echo "✗ $name"
  fi
}

# A throwaway PostgreSQL cluster for the PostgreSQL-mode tests, unless one is given.
if [ -z "${QUAI_TEST_POSTGRES_URL:-}" ]; then
  # shellcheck source=scripts/test/postgres.sh
  source scripts/test/postgres.sh
  start_test_postgres || exit 1
  trap stop_test_postgres EXIT
fi

step "content:check" npm run -s content:check
step "sandbox images" npm run -s images:build
step "typecheck" npx tsc --noEmit -p .
step "lint" npx eslint .
# The security files (scripts/test-security.sh's list) run in their own step below.
step "unit + integration tests" npx vitest run --exclude 'tests/unit/security/**' --exclude 'tests/integration/security/**' \
  --exclude tests/integration/workspace/workspace.test.ts --exclude tests/integration/sandbox/isolation.test.ts \
  --exclude tests/integration/metrics/web.test.ts
# Three Docker-in-Docker "hosts" in a Swarm, and a real quai-agent making a sandbox in one (docs/cluster.md).
if [ "$(id -u)" = 0 ]; then step "simulated cluster" npm run -s test:cluster; fi
# As root, the README's first command makes the production build, and is tested on the way
# (scripts/test/up-smoke.sh: the two programs, a learner's sandbox through them).
if [ "$(id -u)" = 0 ]; then
  step "README's first command (scripts/up.sh) and the production build" bash scripts/test/up-smoke.sh
else
  step "production build" npx next build
fi
# Quai's own stack (deploy/stack.yaml, offline) on the simulated Swarm, with quai/web made from
# the production build above, and a learner in Chromium through a host lost, a web replica
# killed and a rolling update (tests/cluster/stack.spec.ts, docs/cluster.md).
if [ "$(id -u)" = 0 ]; then step "Quai's stack on the simulated cluster (Chromium)" npx playwright test -c playwright.cluster.config.ts; fi
# On the production build: its route handlers run from Next's bundle, and must count into the
# registry server.ts serves (lib/metrics/web.server.ts).
step "metrics on the production build" env QUAI_TEST_SERVER_MODE=production npx vitest run tests/integration/metrics/web.test.ts
step "end-to-end tests" npx playwright test --project=main
step "security tests" env QUAI_SECURITY_BUILT=1 npm run -s test:security

echo
if [ ${#failures[@]} -gt 0 ]; then
  # Each failed step's failing tests and its end again, so that the last lines of the run name
  # what failed (a step can run several tools: the security step's vitest failures come before
  # its Playwright output).
  for index in "${!failures[@]}"; do
    echo "━━━ failed tests of the step: ${failures[$index]}"
    sed 's/\x1b\[[0-9;]*m//g' "${failure_logs[$index]}" | grep -E '^ *(×|✘|FAIL) |^ +[0-9]+\) \[' | head -n 40
    echo "━━━ end of the failed step: ${failures[$index]}"
    tail -n 25 "${failure_logs[$index]}"
  done
  echo "FAILED: ${failures[*]}"
  exit 1
fi
echo "All tests passed."
