{#- converge orchestrate failover

    Make pillar's writer the primary and its query host a standby of it,
    losing no row: clients through PgBouncer see a pause, never an error.
    Edit pillar/globals.sls first (swap writer and query). Planned or not
    is decided from the cluster as it is found: a running writer is
    switched over safely; a writer whose PostgreSQL is down is fenced, then
    replaced; an unreachable writer is replaced only on the operator's word
    (`--pillar '{"writer_lost": true}'`). Running it again finishes an
    interrupted failover, or finds nothing to do. `--test` shows the case,
    every step and every host's diff, and changes nothing.
-#}
{% from 'postgres/map.jinja' import pg, pgbouncer %}
{% set new = pg.writer %}
{% set old = pg.query %}
{% if new not in salt['roster.ids']() or old not in salt['roster.ids']() %}
{{ raise("pillar names " ~ new ~ " and " ~ old ~ ": both must be in the roster (" ~ salt['roster.ids']() | join(', ') ~ ")") }}
{% endif %}

failover:
  postgres.failover:
    - writer: {{ new }}
    - query: {{ old }}
    - writer_lost: {{ salt['pillar.get']('writer_lost', False) }}
    - replication: {{ pg.replication | json }}
    - max_lag_bytes: {{ pg.max_lag_bytes }}
    - catch_up_timeout: {{ pg.catch_up_timeout }}
    - cluster: {{ pg | json }}
    - pgbouncer: {{ pgbouncer | json }}

wal_status:
  postgres.status:
    - tgt: '{{ new }},{{ old }}'
    - cluster: {{ pg | json }}
    - order: last
