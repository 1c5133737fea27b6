# Starts a private PostgreSQL cluster on a free port for the tests and exports QUAI_TEST_POSTGRES_URL.
# Needs Debian's postgresql package (initdb, pg_ctl). The cluster lives in a temporary folder.

start_test_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "PostgreSQL is not installed: run 'apt-get install -y postgresql' (or set QUAI_TEST_POSTGRES_URL to a server where the user may create databases)" >&2
    return 1
  fi
  QUAI_TEST_PG_DIR=$(mktemp -d /tmp/quai-test-pg.XXXXXX)
  QUAI_TEST_PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  local as_user=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$QUAI_TEST_PG_DIR"
    as_user=(runuser -u postgres --)
  fi
  "${as_user[@]}" "$bin/initdb" -D "$QUAI_TEST_PG_DIR/data" -U quai --auth=trust -E UTF8 >/dev/null || return 1
  "${as_user[@]}" "$bin/pg_ctl" -D "$QUAI_TEST_PG_DIR/data" -l "$QUAI_TEST_PG_DIR/log" -w \
    -o "-p $QUAI_TEST_PG_PORT -k $QUAI_TEST_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null || { cat "$QUAI_TEST_PG_DIR/log" >&2; return 1; }
  export QUAI_TEST_PG_BIN=$bin QUAI_TEST_PG_DIR QUAI_TEST_PG_PORT
  export QUAI_TEST_POSTGRES_URL="postgresql://quai@127.0.0.1:$QUAI_TEST_PG_PORT/postgres"
  echo "PostgreSQL for tests on port $QUAI_TEST_PG_PORT"
}

stop_test_postgres() {
  [ -n "${QUAI_TEST_PG_DIR:-}" ] || return 0
  local as_user=()
  [ "$(id -u)" = 0 ] && as_user=(runuser -u postgres --)
  "${as_user[@]}" "$QUAI_TEST_PG_BIN/pg_ctl" -D "$QUAI_TEST_PG_DIR/data" -m fast stop >/dev/null 2>&1
  rm -rf "$QUAI_TEST_PG_DIR"
}
