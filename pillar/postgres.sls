# PostgreSQL and PgBouncer as the lab runs them. Every key here has a default
# for Debian's layout (states/postgres/map.jinja); set `datadir`, `confdir`
# and `bindir` for another layout (e.g. a plain PGDATA such as /pg_data/15).
postgres:
  version: 15
  cluster: main
  port: 5432
  replication:
    user: replicator
    password: replicator-lab
  # A switchover waits at most this long for the new writer to hold all WAL.
  catch_up_timeout: 10
  # Refuse a switchover when the standby replays this far behind (bytes).
  max_lag_bytes: 16777216

pgbouncer:
  port: 6432
  pool_mode: transaction
  admin_user: pgbouncer
  admin_password: pgbouncer-lab
  # PAUSE waits for running transactions; past this, RESUME and stop.
  pause_timeout: 5
  databases:
    - app
  users:
    app: app-lab
    pgbouncer: pgbouncer-lab
