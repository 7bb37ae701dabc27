#!/bin/sh
# Does what the official postgres image's entrypoint does with its environment, on Debian's
# PostgreSQL: on an empty PGDATA, initdb with POSTGRES_USER as the superuser and POSTGRES_PASSWORD
# as its password (scram-sha-256 over TCP, trust on the local socket), create POSTGRES_DB, then run
# the server as the postgres user listening on every address.
set -eu

if [ "${1:-}" != postgres ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

: "${POSTGRES_PASSWORD:?the postgres image needs POSTGRES_PASSWORD}"
superuser=${POSTGRES_USER:-postgres}
database=${POSTGRES_DB:-$superuser}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  password_file=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$password_file"
  # C.UTF-8 ships with glibc; the official image uses en_US.utf8 (same encoding, other collation).
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options, as in the official image
  initdb --username="$superuser" --pwfile="$password_file" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 ${POSTGRES_INITDB_ARGS:-} > /dev/null
  rm -f "$password_file"
  printf "\nhost all all all scram-sha-256\n" >> "$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
  if [ "$database" != postgres ]; then
    # a server on the socket only, so nothing reaches it over TCP before the database exists
    pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait --silent start
    escaped=$(printf '%s' "$database" | sed 's/"/""/g')
    psql --quiet --set=ON_ERROR_STOP=1 --username="$superuser" --dbname=postgres --command="CREATE DATABASE \"$escaped\""
    pg_ctl --pgdata="$PGDATA" --mode=fast --wait --silent stop
  fi
  echo "stand-in postgres: initialised $PGDATA (superuser $superuser, database $database)"
fi

exec "$@"
