#!/usr/bin/env bash
# Builds Quai's deployable images from deploy/Dockerfile, offline:
#   bash deploy/build-images.sh [version]     default version: package.json's, plus the commit
# gives quai/web:<version> and quai/agent:<version> (and :latest). Not part of `npm run
# images:build` (the sandbox and lesson images CI needs on every run): this one runs a full
# `next build`, several minutes on a 2-core machine.
#
# Like scripts/images/build.sh for images/node, it fills an npm cache from the host's npm (which
# knows this machine's registry, proxy and CA) into deploy/.npm-cache/, so `npm ci --offline`
# inside the build needs no network. The base image is debian:trixie-slim: pulled where a
# registry answers, otherwise made by scripts/images/base.sh (debootstrap).
# QUAI_DEPLOY_NO_CACHE=1 builds without the layer cache (as on a bare machine).
#
#   bash deploy/build-images.sh --prebuilt [version]
# gives quai/web:<version> only, from this checkout's production build (`next build` first) and
# its node_modules pruned to production in a hard-linked copy (deploy/Dockerfile.prebuilt over
# the web-runtime stage): about a minute instead of a full build, for the simulated cluster.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'deploy: %s\n' "$*"; }
die() { printf 'deploy: %s\n' "$*" >&2; exit 1; }

command -v docker >/dev/null || die "Docker is not installed (apt-get install -y docker.io)"
docker info >/dev/null 2>&1 || die "the Docker daemon does not answer"
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}   # the legacy builder works on Docker 20.10 without buildx

prebuilt=0
if [[ "${1:-}" == --prebuilt ]]; then prebuilt=1; shift; fi
version=${1:-$(node -p 'require("./package.json").version')-$(git rev-parse --short HEAD 2>/dev/null || echo local)}
[[ "$version" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "not a valid image tag: $version"
LOGDIR="${TMPDIR:-/tmp}/quai-deploy-build"
NO_CACHE=(); [[ "${QUAI_DEPLOY_NO_CACHE:-0}" == 1 ]] && NO_CACHE=(--no-cache)
mkdir -p "$LOGDIR"
started=$(date +%s)

# 1. The base image (idempotent; about 35 s the first time).
bash scripts/images/base.sh

if [[ $prebuilt == 1 ]]; then
  t0=$(date +%s)
  docker build --target web-runtime -f deploy/Dockerfile -t quai/web-runtime:latest . > "$LOGDIR/web-runtime.log" 2>&1 \
    || { tail -n 30 "$LOGDIR/web-runtime.log" >&2; die "building the web-runtime stage failed (log: $LOGDIR/web-runtime.log)"; }
  context=$(mktemp -d "${TMPDIR:-/tmp}/quai-web-prebuilt.XXXXXX")
  trap 'rm -rf "$context"' EXIT
  sh deploy/web/files.sh "$ROOT" "$context/web"
  cp package-lock.json "$context/web/"
  (cd "$context/web" && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund > "$LOGDIR/prune.log" 2>&1) \
    || { tail -n 20 "$LOGDIR/prune.log" >&2; die "npm prune in the copy failed"; }
  rm "$context/web/package-lock.json"
  docker build --build-arg "VERSION=$version" -f deploy/Dockerfile.prebuilt -t "quai/web:$version" "$context" > "$LOGDIR/web-prebuilt.log" 2>&1 \
    || { tail -n 30 "$LOGDIR/web-prebuilt.log" >&2; die "building quai/web from the host's build failed (log: $LOGDIR/web-prebuilt.log)"; }
  size=$(docker image inspect --format '{{.Size}}' "quai/web:$version")
  say "quai/web:$version built from the host's build in $(( $(date +%s) - t0 ))s, $(( size / 1000 / 1000 )) MB"
  exit 0
fi

# 2. The npm cache for package-lock.json, refilled when the lock file changes.
cache=deploy/.npm-cache
stamp=$(sha256sum package-lock.json | cut -c1-32)
if [[ ! -f "$cache/.stamp" || "$(cat "$cache/.stamp")" != "$stamp" ]]; then
  command -v npm >/dev/null || die "npm is needed on the host to fill $cache"
  rm -rf "$cache"
  work=$(mktemp -d)
  cp package.json package-lock.json "$work/"
  (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --cache "$ROOT/$cache" > "$LOGDIR/npm-cache.log" 2>&1) \
    || { rm -rf "$work"; tail -n 20 "$LOGDIR/npm-cache.log" >&2; die "filling the npm cache failed"; }
  rm -rf "$work" "$cache/_logs" "$cache/_update-notifier-last-checked"
  echo "$stamp" > "$cache/.stamp"
  say "npm cache filled ($(du -sh "$cache" | cut -f1))"
fi

# 3. The two targets; the second reuses the first's build stage from the layer cache.
for target in web agent; do
  t0=$(date +%s)
  log="$LOGDIR/$target.log"
  # The second target reuses the first's stages even without the layer cache of earlier runs.
  [[ "$target" == agent ]] && NO_CACHE=()
  if docker build "${NO_CACHE[@]}" --target "$target" --build-arg "VERSION=$version" \
      -f deploy/Dockerfile -t "quai/$target:$version" -t "quai/$target:latest" . > "$log" 2>&1; then
    size=$(docker image inspect --format '{{.Size}}' "quai/$target:$version")
    say "quai/$target:$version built in $(( $(date +%s) - t0 ))s, $(( size / 1000 / 1000 )) MB"
  else
    tail -n 30 "$log" >&2
    die "building quai/$target failed (log: $log)"
  fi
done
say "done in $(( $(date +%s) - started ))s"
