{#- PgBouncer on every host, pointed at the writer: on the writer through
    the local socket, elsewhere over the network. Reloaded (through its
    admin console, so that a RESUME after it cannot race it) only when its
    files changed; never restarted. -#}
{% from 'postgres/map.jinja' import pg, pgbouncer %}

pgbouncer_config:
  file.managed:
    - name: {{ pgbouncer.config }}
    - source: salt://pgbouncer/pgbouncer.ini.j2
    - template: jinja
    - user: {{ pg.user }}
    - group: {{ pg.user }}
    - mode: 0640

pgbouncer_users:
  file.managed:
    - name: {{ pgbouncer.userlist }}
    - source: salt://pgbouncer/userlist.txt.j2
    - template: jinja
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
