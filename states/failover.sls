{#- converge orchestrate failover

    Make pillar's writer the primary and its query host a standby of it,
    losing no row: clients through PgBouncer see a pause, never an error.
    Edit pillar/globals.sls first (swap writer and query). Running it again
    finds nothing to do. `--test` shows every host's diff and changes nothing.
-#}
{% from 'postgres/map.jinja' import pg, pgbouncer %}
{% set new = pg.writer %}
{% set old = pg.query %}
{% set both = new ~ ',' ~ old %}
{% if new not in salt['roster.ids']() or old not in salt['roster.ids']() %}
{{ raise("pillar names " ~ new ~ " and " ~ old ~ ": both must be in the roster (" ~ salt['roster.ids']() | join(', ') ~ ")") }}
{% endif %}

# Is a switchover due ({{ old }} primary, {{ new }} streaming from it), and safe?
preflight:
  postgres.switchover_ready:
    - writer: {{ new }}
    - query: {{ old }}
    - max_lag_bytes: {{ pg.max_lag_bytes }}
    - cluster: {{ pg | json }}
    - pgbouncer: {{ pgbouncer | json }}

# Clients wait from here on; none fails.
pause_pgbouncer:
  pgbouncer.paused:
    - tgt: '{{ both }}'
    - pgbouncer: {{ pgbouncer | json }}
    - onchanges:
      - postgres: preflight

# A clean stop writes the shutdown checkpoint and sends it to the standby.
stop_old_writer:
  postgres.stopped:
    - tgt: {{ old }}
    - cluster: {{ pg | json }}
    - require:
      - pgbouncer: pause_pgbouncer
    - onchanges:
      - postgres: preflight

# One writer at a time, one timeline: promote only a standby that holds
# all of the old writer's WAL.
new_writer_has_all_wal:
  postgres.caught_up:
    - standby: {{ new }}
    - primary: {{ old }}
    - timeout: {{ pg.catch_up_timeout }}
    - cluster: {{ pg | json }}
    - require:
      - postgres: stop_old_writer
    - onchanges:
      - postgres: preflight

# Its highstate promotes it (the standby marker is there and it is the
# writer now) and points its PgBouncer at the local socket.
promote_new_writer:
  salt.state:
    - tgt: {{ new }}
    - highstate: True
    - pillar:
        failover:
          promoting: {{ new }}
    - require:
      - postgres: new_writer_has_all_wal
    - onchanges:
      - postgres: preflight

repoint_pgbouncer:
  salt.state:
    - tgt: {{ old }}
    - sls: pgbouncer
    - pillar:
        failover:
          repointing: {{ old }}
    - require:
      - salt: promote_new_writer
    - onchanges:
      - postgres: preflight

resume_pgbouncer:
  pgbouncer.resumed:
    - tgt: '{{ both }}'
    - pgbouncer: {{ pgbouncer | json }}
    - require:
      - salt: repoint_pgbouncer
    - onchanges:
      - postgres: preflight

# Only now, with every PgBouncer pointed at the new writer: the old writer
# comes back as a standby on the new timeline (no pg_rewind).
old_writer_to_standby:
  salt.state:
    - tgt: {{ old }}
    - highstate: True
    - pillar:
        failover:
          demoting: {{ old }}
    - require:
      - pgbouncer: resume_pgbouncer
    - onchanges:
      - postgres: preflight

old_writer_follows:
  postgres.streaming:
    - tgt: {{ old }}
    - upstream: {{ new }}
    - cluster: {{ pg | json }}
    - require:
      - salt: old_writer_to_standby
    - onchanges:
      - postgres: preflight

# When a step failed: the old writer carries on if it still can, and no
# PgBouncer stays paused.
restart_old_writer:
  postgres.running:
    - tgt: {{ old }}
    - cluster: {{ pg | json }}
    - onfail:
      - postgres: stop_old_writer
      - postgres: new_writer_has_all_wal

resume_after_failure:
  pgbouncer.resumed:
    - tgt: '{{ both }}'
    - pgbouncer: {{ pgbouncer | json }}
    - onfail:
      - pgbouncer: pause_pgbouncer
      - postgres: stop_old_writer
      - postgres: new_writer_has_all_wal
      - salt: promote_new_writer
      - salt: repoint_pgbouncer
      - pgbouncer: resume_pgbouncer

wal_status:
  postgres.status:
    - tgt: '{{ both }}'
    - cluster: {{ pg | json }}
    - order: last
