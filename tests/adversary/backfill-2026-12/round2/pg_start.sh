#!/bin/bash
# start (or create) the PostgreSQL 15 server the follow scripts use (127.0.0.1:55441, wal2json)
if [ ! -d /tmp/adv14/pg/data ]; then
  mkdir -p /tmp/adv14/pg && chown postgres /tmp/adv14/pg
  su postgres -c "/usr/lib/postgresql/15/bin/initdb -D /tmp/adv14/pg/data -U postgres --auth=trust" >/dev/null
  printf "port = 55441\nlisten_addresses = '127.0.0.1'\nwal_level = logical\nmax_replication_slots = 40\nmax_wal_senders = 20\nunix_socket_directories = '/tmp/adv14/pg'\nfsync = off\n" >> /tmp/adv14/pg/data/postgresql.conf
  echo "host replication all 127.0.0.1/32 trust" >> /tmp/adv14/pg/data/pg_hba.conf
fi
psql -h 127.0.0.1 -p 55441 -U postgres -Atc "select 1" >/dev/null 2>&1 || su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D /tmp/adv14/pg/data -l /tmp/adv14/pg/log -w start"
