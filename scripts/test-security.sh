#!/usr/bin/env bash
# The security tests of issue 11 (docs/security.md): unit, integration (real Docker engine and
# database) and end-to-end (Debian's Chromium against a production build).
#   npm run test:security
# QUAI_SECURITY_BUILT=1 skips the production build when the caller has just made it (npm test).
set -uo pipefail
cd "$(dirname "$0")/.."

# Besides tests/*/security: the workspace suites (port origins, buffers and limits through the
# real server, cross-user refusals) and the sandbox isolation tests (escapes from a sandbox).
vitest_files=(tests/unit/security tests/integration/security tests/integration/workspace/workspace.test.ts tests/integration/sandbox/isolation.test.ts)

status=0
echo "━━━ security: unit + integration (vitest)"
npx vitest run "${vitest_files[@]}" || status=1
if [ "${QUAI_SECURITY_BUILT:-}" != 1 ]; then
  echo "━━━ security: production build"
  npx next build >/dev/null || { echo "the production build failed"; exit 1; }
fi
echo "━━━ security: end-to-end (Playwright, Chromium)"
npx playwright test --project=security || status=1
exit $status
