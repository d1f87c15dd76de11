readers:
  postgres_group.present:
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
app:
  postgres_user.present:
    - password: s3cret
    - createdb: True
    - groups: readers
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
gone:
  postgres_user.absent:
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
appdb:
  postgres_database.present:
    - owner: app
    - encoding: UTF8
    - template: template0
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
sch:
  postgres_schema.present:
    - dbname: appdb
    - owner: app
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
citext:
  postgres_extension.present:
    - maintenance_db: appdb
    - schema: sch
    - ext_version: '1.4'
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
ts:
  postgres_tablespace.present:
    - directory: /tmp/pgobj-pg/ts
    - owner: app
    - options: {seq_page_cost: 1.1}
    - db_host: /tmp/pgobj-pg/sock
    - db_port: 55432
