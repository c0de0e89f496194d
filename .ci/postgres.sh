# Sourced by .ci/run: a throw-away PostgreSQL 15 (Debian's, from the machine image) with pgvector 0.8.6 built from the
# unmodified vendored source (../shared/vendor). PostgreSQL refuses to run as root, so the cluster runs as the
# `postgres` user, on 127.0.0.1 only, with a temporary data directory; it is stopped by pid.
#   postgres_start LOGDIR   sets VEIL_PGVECTOR_CONNECTION (and postgres_pid, postgres_dir) or returns non-zero
#   postgres_stop
postgres_pid=""
postgres_dir=""
pg_bin=/usr/lib/postgresql/15/bin

postgres_install() {
  local log="$1/apt-postgres.log" pg_config
  if [ ! -x "$pg_bin/initdb" ] || ! command -v pg_config >/dev/null 2>&1 || [ ! -f "$(pg_config --includedir-server 2>/dev/null)/postgres.h" ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 postgresql-server-dev-15 make gcc; } >"$log" 2>&1 \
      || { echo "ci: installing PostgreSQL 15 and its server headers failed (see $log)" >&2; return 1; }
  fi
  pg_config=/usr/lib/postgresql/15/bin/pg_config
  [ -x "$pg_config" ] || pg_config=$(command -v pg_config)
  if [ -f "$("$pg_config" --pkglibdir)/vector.so" ] && grep -q "default_version = '0.8.6'" "$("$pg_config" --sharedir)/extension/vector.control" 2>/dev/null; then
    return 0
  fi
  local tarball build
  tarball=$(ls "$root"/../shared/vendor/pgvector-0.8.6.tar.gz 2>/dev/null | head -n 1)
  [ -n "$tarball" ] || { echo "ci: ../shared/vendor/pgvector-0.8.6.tar.gz is missing" >&2; return 1; }
  build=$(mktemp -d -t veil-pgvector.XXXXXX)
  tar xzf "$tarball" -C "$build" || { echo "ci: could not unpack $tarball" >&2; return 1; }
  # OPTFLAGS="" : no -march=native, so the library runs on any x86-64 machine that CI lands on.
  (cd "$build"/pgvector-0.8.6 && make -s OPTFLAGS="" PG_CONFIG="$pg_config" && make -s install PG_CONFIG="$pg_config") >"$1/pgvector-build.log" 2>&1 \
    || { echo "ci: building pgvector failed (see $1/pgvector-build.log)" >&2; rm -rf "$build"; return 1; }
  rm -rf "$build"
}

postgres_start() {
  local logdir="$1" port
  postgres_install "$logdir" || return 1
  postgres_dir=$(mktemp -d -t veil-postgres.XXXXXX)
  chown postgres "$postgres_dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});')
  su postgres -s /bin/sh -c "$pg_bin/initdb -D '$postgres_dir/data' -A trust -U postgres -E UTF8 --no-sync" >"$logdir/postgres-initdb.log" 2>&1 \
    || { echo "ci: initdb failed (see $logdir/postgres-initdb.log)" >&2; return 1; }
  # fsync off: a throw-away cluster for tests; nothing must survive a crash.
  su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D '$postgres_dir/data' -w -t 60 -l '$postgres_dir/log' \
    -o \"-c listen_addresses=127.0.0.1 -p $port -k '$postgres_dir' -c fsync=off -c max_connections=50 -c shared_buffers=256MB -c maintenance_work_mem=512MB\" start" >"$logdir/postgres-start.log" 2>&1 \
    || { echo "ci: PostgreSQL did not start; its log:" >&2; cat "$postgres_dir/log" >&2; return 1; }
  postgres_pid=$(head -n 1 "$postgres_dir/data/postmaster.pid")
  su postgres -s /bin/sh -c "psql -h 127.0.0.1 -p $port -U postgres -d postgres -qAt -c 'CREATE EXTENSION IF NOT EXISTS vector' -c \"SELECT extversion FROM pg_extension WHERE extname = 'vector'\"" >"$logdir/postgres-vector.log" 2>&1 \
    || { echo "ci: CREATE EXTENSION vector failed (see $logdir/postgres-vector.log)" >&2; return 1; }
  echo "ci: PostgreSQL 15 + pgvector $(tail -n 1 "$logdir/postgres-vector.log") on 127.0.0.1:$port (pid $postgres_pid)"
  export VEIL_PGVECTOR_CONNECTION="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Maximum Pool Size=20"
}

postgres_stop() {
  if [ -n "$postgres_pid" ]; then
    kill -INT "$postgres_pid" 2>/dev/null   # fast shutdown
    for _ in $(seq 1 100); do kill -0 "$postgres_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$postgres_pid" 2>/dev/null
    postgres_pid=""
  fi
  if [ -n "$postgres_dir" ]; then rm -rf "$postgres_dir"; postgres_dir=""; fi
}
