#!/bin/sh
# The entrypoint of the local stand-in for docker.io/library/postgres:17-alpine (tools/images/),
# reading the variables of molecule/resources/manifests/postgres.yml as the official image's
# docker-entrypoint.sh does: on the first start, a database cluster in PGDATA whose superuser is
# POSTGRES_USER with POSTGRES_PASSWORD, the database POSTGRES_DB, and password (SCRAM) connections
# from anywhere; then the server, listening on every address, port 5432.
#
# It runs as the image's user, postgres, not as root: the official image starts as root and
# steps down, which needs a tool this image does not carry; a pod without a securityContext
# runs it as postgres all the same.
set -eu

# The official image's default command; any other command (psql...) runs as it is.
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
    set -- postgres "$@"
fi
if [ "$1" != postgres ]; then
    exec "$@"
fi

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
# A folder inside the volume, not the volume itself: the volume's root belongs to root (an
# emptyDir), and initdb wants a folder of its own, mode 0700.
: "${PGDATA:=/var/lib/postgresql/data/pgdata}"
export PGDATA

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "error: POSTGRES_PASSWORD is not set: set it to the password of POSTGRES_USER ($POSTGRES_USER); this image takes password connections only" >&2
        exit 1
    fi
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    pwfile=$(mktemp)
    trap 'rm -f "$pwfile"' EXIT
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    # Local (socket) connections are trusted as in the official image: they are the container's own.
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256
    rm -f "$pwfile"
    trap - EXIT
    printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
    # In the configuration rather than on the command line, so that any `postgres ARGS` gets them.
    # JIT off: the LLVM it needs is left out of the image.
    printf "listen_addresses = '*'\nport = 5432\njit = off\n" >> "$PGDATA/postgresql.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
        # Single-user mode: the database exists before anything can connect. Quotes in the name
        # are doubled, as SQL quotes an identifier.
        db=$(printf '%s' "$POSTGRES_DB" | sed 's/"/""/g')
        echo "CREATE DATABASE \"$db\";" | postgres --single -D "$PGDATA" postgres >/dev/null
    fi
    echo "entrypoint: database cluster ready in $PGDATA (superuser $POSTGRES_USER, database $POSTGRES_DB)" >&2
fi

exec "$@"
