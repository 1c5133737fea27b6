#!/usr/bin/env bash
# Make `debian:trixie-slim` available to the host engine.
# Where a registry answers, pull it. Otherwise build it with debootstrap from the Debian
# mirror this machine's apt sources already use, then `docker import` it under the
# official name, so every Dockerfile in images/ builds unchanged online and offline.
set -euo pipefail

BASE_TAG="${QUAI_BASE_IMAGE:-debian:trixie-slim}"
SUITE="${QUAI_BASE_SUITE:-trixie}"

# QUAI_BASE_REBUILD=1 re-creates it (the tag moves; containers using the old one keep it).
if [[ "${QUAI_BASE_REBUILD:-0}" != 1 ]] && docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
  exit 0
fi

if [[ "${QUAI_BASE_REBUILD:-0}" != 1 ]] && timeout 60 docker pull "$BASE_TAG" >/dev/null 2>&1; then
  echo "base: pulled $BASE_TAG"
  exit 0
fi

# First http(s) URI of a Debian (not debian-security) source, deb822 or one-line format.
debian_mirror() {
  local files=() f uri
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] && files+=("$f")
  done
  ((${#files[@]})) || return 1
  uri=$(grep -hE '^(URIs:|deb )' "${files[@]}" \
    | grep -v '^#' \
    | sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' \
    | tr ' ' '\n' | grep -E '^https?://' | grep -vE 'security|nodesource|google|docker\.com' \
    | grep -E '/debian/?$' | head -n1)
  [[ -n "$uri" ]] || return 1
  echo "${uri%/}"
}

if ! command -v debootstrap >/dev/null; then
  echo "base: no registry answered and debootstrap is missing: apt-get install -y debootstrap" >&2
  exit 1
fi
MIRROR="${QUAI_DEBIAN_MIRROR:-$(debian_mirror || true)}"
if [[ -z "$MIRROR" ]]; then
  echo "base: cannot find a Debian mirror in /etc/apt/sources*; set QUAI_DEBIAN_MIRROR=http://deb.debian.org/debian" >&2
  exit 1
fi

ROOT=$(mktemp -d /var/tmp/quai-debootstrap.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
echo "base: no registry, building $BASE_TAG with debootstrap from $MIRROR (about a minute)"
debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" > "$ROOT.log" 2>&1 || {
  echo "base: debootstrap failed, see $ROOT.log" >&2; tail -n 20 "$ROOT.log" >&2; exit 1; }
rm -f "$ROOT.log"

# Shape it like the official slim image: apt sources in deb822 form, no caches, no docs.
rm -f "$ROOT/etc/apt/sources.list"
cat > "$ROOT/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat > "$ROOT/etc/dpkg/dpkg.cfg.d/docker-slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
SLIM
echo 'APT::Install-Recommends "false";' > "$ROOT/etc/apt/apt.conf.d/docker-no-recommends"
# As in the official image: downloaded .deb files and apt's binary caches never stay in a layer.
cat > "$ROOT/etc/apt/apt.conf.d/docker-clean" <<'CLEAN'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CLEAN
echo 'Acquire::GzipIndexes "true";' > "$ROOT/etc/apt/apt.conf.d/docker-gzip-indexes"
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/* \
  "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/locale/*
: > "$ROOT/etc/hostname"
rm -f "$ROOT/etc/resolv.conf" "$ROOT/etc/hosts"

tar -C "$ROOT" --numeric-owner -c . | docker import \
  --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  - "$BASE_TAG" >/dev/null
echo "base: imported $BASE_TAG"
