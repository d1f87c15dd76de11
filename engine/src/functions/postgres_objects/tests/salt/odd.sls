appdb:
  postgres_database.present:
    - encoding: LATIN1
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
ts:
  postgres_tablespace.present:
    - directory: /tmp/elsewhere
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
nosuchext:
  postgres_extension.present:
    - maintenance_db: appdb
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
