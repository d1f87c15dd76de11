app:
  postgres_user.absent:
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
readers:
  postgres_group.absent:
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
nogroup:
  postgres_group.absent:
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
appdb:
  postgres_database.absent:
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
nodb:
  postgres_database.absent:
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
sch:
  postgres_schema.absent:
    - dbname: appdb
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
nosch:
  postgres_schema.absent:
    - dbname: appdb
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
citext:
  postgres_extension.absent:
    - maintenance_db: appdb
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
hstore:
  postgres_extension.absent:
    - maintenance_db: appdb
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
ts:
  postgres_tablespace.absent:
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
nots:
  postgres_tablespace.absent:
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
newgroup:
  postgres_group.present:
    - login: True
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
