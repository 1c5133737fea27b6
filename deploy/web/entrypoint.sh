#!/bin/sh
# quai-web's entrypoint: secrets arrive as files (Docker secrets, Compose secrets); the server
# reads variables. NAME_FILE=/path sets NAME from that file, as the official images do.
#   BETTER_AUTH_SECRET_FILE   the auth secret (every replica the same)
#   DATABASE_PASSWORD_FILE    put into DATABASE_URL (postgresql://user@host/db), URL-encoded
# QUAI_AGENT_KEY_FILE is read by the server itself.
set -eu

if [ -n "${BETTER_AUTH_SECRET_FILE:-}" ]; then
  BETTER_AUTH_SECRET=$(cat "$BETTER_AUTH_SECRET_FILE")
  export BETTER_AUTH_SECRET
  unset BETTER_AUTH_SECRET_FILE
fi

if [ -n "${DATABASE_PASSWORD_FILE:-}" ]; then
  DATABASE_URL=$(node -e '
    const fs = require("node:fs")
    const url = new URL(process.env.DATABASE_URL ?? "")
    if (!/^postgres(ql)?:$/.test(url.protocol)) throw new Error("DATABASE_PASSWORD_FILE needs DATABASE_URL=postgresql://user@host:5432/db")
    url.password = encodeURIComponent(fs.readFileSync(process.env.DATABASE_PASSWORD_FILE, "utf8").trim())
    process.stdout.write(url.href)
  ')
  export DATABASE_URL
  unset DATABASE_PASSWORD_FILE
fi

exec "$@"
