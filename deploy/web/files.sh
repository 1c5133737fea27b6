#!/bin/sh
# The files quai-web's production server reads, hard-linked from a built checkout into a folder
# that becomes /app in the image (deploy/Dockerfile's build stage; deploy/build-images.sh
# --prebuilt on the host). The source must hold a production build (`next build`) and only the
# production dependencies; Next's build cache and dev output are left out.
#   sh deploy/web/files.sh <built checkout> <new folder>
set -eu
src=$1 dest=$2
[ -f "$src/.next/BUILD_ID" ] || { echo "files.sh: $src/.next holds no production build (next build)" >&2; exit 1; }
[ ! -e "$dest" ] || { echo "files.sh: $dest exists" >&2; exit 1; }
mkdir -p "$dest/scripts" "$dest/.next"
for f in package.json tsconfig.json next.config.ts server.ts node_modules lib app components content messages public prisma images; do
  cp -al "$src/$f" "$dest/"
done
for f in "$src"/.next/* "$src"/.next/.[!.]*; do
  case "${f##*/}" in cache|dev|'.[!.]*') ;; *) cp -al "$f" "$dest/.next/" ;; esac
done
cp -al "$src/scripts/node" "$dest/scripts/"
cp -al "$src/scripts/agents.ts" "$src/scripts/user-role.ts" "$src/scripts/setup-token.ts" "$dest/scripts/"
