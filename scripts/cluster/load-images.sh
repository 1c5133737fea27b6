#!/usr/bin/env bash
# Load images from the host engine into every node of the simulated cluster:
#   scripts/cluster/load-images.sh quai/lesson-redis:latest quai/lesson-postgres:latest
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/scripts/cluster/lib.sh"
[[ $# -ge 1 ]] || die "usage: load-images.sh IMAGE..."
cluster_load_images "$@"
