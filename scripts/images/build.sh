#!/usr/bin/env bash
# Build Quai's images and fill the lesson registry mirror. Idempotent and fast when nothing
# changed: an image is rebuilt only when the hash of its build context, Dockerfile, build
# arguments and base image differs from the `quai.hash` label of the image already there.
#
#   npm run images:build              build what changed
#   QUAI_IMAGES_FORCE=1 npm run images:build   rebuild everything (layer cache still used)
#   QUAI_IMAGES_NO_CACHE=1 QUAI_IMAGES_FORCE=1 QUAI_BASE_REBUILD=1   as from a bare machine
#   QUAI_IMAGES_JOBS=3                parallel builds (default 3)
#
# Images are listed in images/catalog.txt; images/README.md describes them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IMAGES="$ROOT/images"
JOBS="${QUAI_IMAGES_JOBS:-3}"
FORCE="${QUAI_IMAGES_FORCE:-0}"
NO_CACHE=(); [[ "${QUAI_IMAGES_NO_CACHE:-0}" == 1 ]] && NO_CACHE=(--no-cache)
BASE_TAG="${QUAI_BASE_IMAGE:-debian:trixie-slim}"
REGISTRY_VOLUME="${QUAI_REGISTRY_VOLUME:-quai-registry-data}"
MIRROR_CONTAINER="${QUAI_REGISTRY_CONTAINER:-quai-registry}"
SEED_CONTAINER="quai-registry-seed"
LOGDIR="${TMPDIR:-/tmp}/quai-images-build"
export DOCKER_BUILDKIT=0   # the legacy builder needs no buildx plugin and works on Docker 20.10+

started=$(date +%s)
mkdir -p "$LOGDIR"
say() { printf '%s\n' "images: $*"; }
die() { printf '%s\n' "images: $*" >&2; exit 1; }

command -v docker >/dev/null || die "Docker is not installed. Fix: apt-get install -y docker.io (or run scripts/ci/install-docker.sh)"
docker info >/dev/null 2>&1 || die "the Docker daemon does not answer. Fix: dockerd > /var/log/dockerd.log 2>&1 &   (or systemctl start docker)"

# ---------------------------------------------------------------- 1. base image
bash "$ROOT/scripts/images/base.sh"

# ---------------------------------------------------------------- 2. catalogue
trim() { local s="$1"; s="${s#"${s%%[![:space:]]*}"}"; printf '%s' "${s%"${s##*[![:space:]]}"}"; }
TAGS=(); CONTEXTS=(); FILES=(); ARGS=(); MIRRORS=()
while IFS='|' read -r tag ctx file args mirrors; do
  tag=$(trim "$tag"); [[ -z "$tag" || "$tag" == \#* ]] && continue
  [[ "$tag" == *:* || "$tag" == @* ]] || tag="$tag:latest"
  TAGS+=("$tag"); CONTEXTS+=("$(trim "$ctx")"); FILES+=("$(trim "$file")")
  ARGS+=("$(trim "$args")"); MIRRORS+=("$(trim "$mirrors")")
done < "$IMAGES/catalog.txt"

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

# FROM lines name the official image (FROM node:20-slim); on this host the stand-in lives
# under its quai/ tag, passed as a build argument.
context_hash() {
  local ctx="$1" file="$2" args="$3" base_ids="" a
  base_ids="$(image_id "$BASE_TAG")"
  for a in $args; do base_ids+=" $(image_id "${a#*=}")"; done
  {
    (cd "$IMAGES/$ctx" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    echo "file=$file args=$args bases=$base_ids"
  } | sha256sum | cut -c1-32
}

build_one() {
  local i="$1" tag="${TAGS[$1]}" ctx="${CONTEXTS[$1]}" file="${FILES[$1]}" args="${ARGS[$1]}"
  local hash current t0 log="$LOGDIR/$(echo "$tag" | tr '/:' '__').log" a
  local buildargs=()
  for a in $args; do buildargs+=(--build-arg "$a"); done
  hash=$(context_hash "$ctx" "$file" "$args")
  current=$(docker image inspect --format '{{ index .Config.Labels "quai.hash" }}' "$tag" 2>/dev/null || true)
  if [[ "$FORCE" != 1 && "$current" == "$hash" ]]; then
    say "$tag is up to date"
    return 0
  fi
  t0=$(date +%s)
  if docker build "${NO_CACHE[@]}" --label "quai.hash=$hash" --label "quai.image=$tag" "${buildargs[@]}" \
      -f "$IMAGES/$ctx/$file" -t "$tag" "$IMAGES/$ctx" > "$log" 2>&1; then
    say "$tag built in $(( $(date +%s) - t0 ))s"
  else
    echo "images: building $tag failed; last lines of $log:" >&2
    tail -n 25 "$log" >&2
    return 1
  fi
}

# The node images carry an npm cache for the course API's lock file (images/node/), filled
# with the host's npm, which already knows this machine's registry, proxy and CA settings.
fill_npm_cache() {
  local dir="$IMAGES/node" cache="$IMAGES/node/npm-cache" stamp work
  stamp=$(cat "$dir/package-lock.json" | sha256sum | cut -c1-32)
  [[ -f "$cache/.stamp" && "$(cat "$cache/.stamp")" == "$stamp" ]] && return 0
  command -v npm >/dev/null || { say "npm not found: the node images will download their npm cache themselves"; return 0; }
  rm -rf "$cache/_cacache"
  work=$(mktemp -d)
  cp "$dir/package.json" "$dir/package-lock.json" "$work/"
  (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --cache "$cache" > "$LOGDIR/npm-cache.log" 2>&1) \
    || { rm -rf "$work"; tail -n 20 "$LOGDIR/npm-cache.log" >&2; die "filling the npm cache failed"; }
  rm -rf "$work" "$cache/_logs" "$cache/_update-notifier-last-checked"
  echo "$stamp" > "$cache/.stamp"
  say "npm cache for the course API filled ($(du -sh "$cache" | cut -f1))"
}
fill_npm_cache

# Images whose build arguments name another catalogue image wait for it; the others build
# JOBS at a time.
say "building (logs in $LOGDIR)"
pending=(); deferred=()
for i in "${!TAGS[@]}"; do
  [[ "${TAGS[$i]}" == @* ]] && continue
  if [[ -n "${ARGS[$i]}" ]]; then deferred+=("$i"); else pending+=("$i"); fi
done
failed=0
run_batch() {
  local pids=() i
  for i in "$@"; do
    build_one "$i" & pids+=($!)
    if (( ${#pids[@]} >= JOBS )); then wait "${pids[0]}" || failed=1; pids=("${pids[@]:1}"); fi
  done
  for i in "${pids[@]}"; do wait "$i" || failed=1; done
}
run_batch "${pending[@]}"
(( failed == 0 )) && run_batch "${deferred[@]}"
(( failed == 0 )) || die "some images failed to build"

# ---------------------------------------------------------------- 3. lesson registry mirror
# Stamp kept in the registry volume: one line per mirror name with the image ID pushed.
docker volume create "$REGISTRY_VOLUME" >/dev/null
want=$(mktemp); have=$(mktemp); trap 'rm -f "$want" "$have"' EXIT
for i in "${!TAGS[@]}"; do
  [[ -z "${MIRRORS[$i]}" ]] && continue
  src="${TAGS[$i]}"; [[ "$src" == "@base" ]] && src="$BASE_TAG"
  id=$(image_id "$src")
  for m in ${MIRRORS[$i]}; do echo "$m $src $id"; done
done | LC_ALL=C sort > "$want"
docker run --rm -v "$REGISTRY_VOLUME:/var/lib/registry:ro" --entrypoint cat quai/registry:latest \
  /var/lib/registry/quai-stamp.txt 2>/dev/null | LC_ALL=C sort > "$have" || true

if [[ "$FORCE" != 1 ]] && cmp -s <(awk '{print $1, $3}' "$want") <(awk '{print $1, $3}' "$have"); then
  say "lesson registry is up to date ($(wc -l < "$want") names)"
else
  docker rm -f "$SEED_CONTAINER" >/dev/null 2>&1 || true
  docker run -d --name "$SEED_CONTAINER" -p 127.0.0.1::5000 -v "$REGISTRY_VOLUME:/var/lib/registry" \
    --label quai.role=registry-seed quai/registry:latest >/dev/null
  trap 'rm -f "$want" "$have"; docker rm -f "$SEED_CONTAINER" >/dev/null 2>&1 || true' EXIT
  port=$(docker port "$SEED_CONTAINER" 5000/tcp | head -n1 | sed 's/.*://')
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null || die "the seeding registry did not start: docker logs $SEED_CONTAINER"
  pushed=0
  while read -r name src id; do
    if [[ "$FORCE" != 1 ]] && grep -qxF "$name $src $id" "$have"; then continue; fi
    ref="127.0.0.1:$port/$name"
    docker tag "$src" "$ref"
    docker push "$ref" > "$LOGDIR/push.log" 2>&1 || { tail -n 20 "$LOGDIR/push.log" >&2; die "push of $name failed"; }
    docker rmi "$ref" >/dev/null
    pushed=$((pushed + 1))
  done < "$want"
  docker exec -i "$SEED_CONTAINER" sh -c 'cat > /var/lib/registry/quai-stamp.txt' < "$want"
  # Layers of replaced images are no longer referenced by any tag: reclaim their space.
  if (( pushed > 0 )); then
    docker exec "$SEED_CONTAINER" docker-registry garbage-collect --delete-untagged /etc/docker/registry/config.yml \
      > "$LOGDIR/registry-gc.log" 2>&1 || say "registry garbage collection failed (see $LOGDIR/registry-gc.log)"
  fi
  docker rm -f "$SEED_CONTAINER" >/dev/null
  say "lesson registry: $pushed names pushed ($(wc -l < "$want") in total)"
  # The running mirror, if any, reads the new content from disk; restart it to drop caches.
  if [[ "$(docker inspect -f '{{.State.Running}}' "$MIRROR_CONTAINER" 2>/dev/null)" == true ]]; then
    docker restart "$MIRROR_CONTAINER" >/dev/null && say "restarted $MIRROR_CONTAINER"
  fi
fi

say "registry-only (no offline stand-in; need a reachable registry):"
grep -v '^#' "$IMAGES/registry-only.txt" | sed -E 's/[[:space:]]*\|[[:space:]]*/: /; s/^/  - /'
say "done in $(( $(date +%s) - started ))s"
