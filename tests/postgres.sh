#!/usr/bin/env bash
# Run a command with MEETDESK_TEST_DATABASE_URL pointing at a throwaway PostgreSQL cluster on loopback,
# so that the integration tests prove the store's SQL portable. Used by `make test`.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ]; then
  echo "PostgreSQL pass not run: PostgreSQL is not installed (sudo apt-get install -y postgresql)"
  exit 0
fi
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner=()
if [ "$(id -u)" = 0 ]; then  # initdb refuses to run as root
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
trap '"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$dir"' EXIT
echo "PostgreSQL pass on $("$bin/postgres" --version) at 127.0.0.1:$port"
MEETDESK_TEST_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:$port/postgres" "$@"
