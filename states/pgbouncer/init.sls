{#- PgBouncer on every host, pointed at the writer: on the writer through
    the local socket, elsewhere over the network. Reloaded (through its
    admin console, so that a RESUME after it cannot race it) only when its
    files changed; never restarted. -#}
{% from 'postgres/map.jinja' import pg, pgbouncer %}

{% if not salt['pillar.get']('failover') %}
# Pointing PgBouncer at a writer that is still a standby sends every write
# to a read-only server: refuse (the failover promotes it first). Asked
# only when the configuration is about to change (prereq).
refuse_to_point_at_a_standby:
  cmd.run:
    - name: >-
        echo "{{ pg.writer }} is not a primary yet; 'converge orchestrate failover' promotes it before PgBouncer points at it" >&2; exit 1
    - onlyif: >-
        test "$(psql -XAtq -h {{ pg.writer }} -p {{ pg.port }} -U {{ pg.replication.user }} -d postgres
        -c 'select pg_is_in_recovery()' 2>/dev/null)" = t
    - env:
        PGCONNECT_TIMEOUT: '3'
        PGPASSWORD: {{ pg.replication.password | json }}
    - prereq:
      - file: pgbouncer_config
{% endif %}

pgbouncer_config:
  file.managed:
    - name: {{ pgbouncer.config }}
    - source: salt://pgbouncer/pgbouncer.ini.j2
    - template: jinja
    - user: {{ pg.user }}
    - group: {{ pg.user }}
    - mode: 0640

# Passwords: its diff is never shown.
pgbouncer_users:
  file.managed:
    - name: {{ pgbouncer.userlist }}
    - source: salt://pgbouncer/userlist.txt.j2
    - template: jinja
    - show_changes: False
    - user: {{ pg.user }}
    - group: {{ pg.user }}
    - mode: 0640

pgbouncer:
  service.running:
    - require:
      - file: pgbouncer_config
      - file: pgbouncer_users

pgbouncer_reload:
  pgbouncer.reloaded:
    - pgbouncer: {{ pgbouncer | json }}
    - onchanges:
      - file: pgbouncer_config
      - file: pgbouncer_users
    - require:
      - service: pgbouncer
