{#- PostgreSQL on a host of the pair: the query host follows the writer
    (rewound with pg_rewind when its history diverged); the writer promotes
    itself when it still carries the standby marker. `converge orchestrate
    failover` runs these in the safe order. -#}
{% from 'postgres/map.jinja' import pg %}
{% set me = grains['id'] %}
{% set signal = pg.datadir ~ ('/recovery.conf' if pg.major < 12 else '/standby.signal') %}
{% set psql = 'psql -XAtq -h ' ~ pg.socket_dir ~ ' -p ' ~ pg.port %}

{% if pg.major >= 12 %}
# The standby settings live in conf.d/ (Debian's postgresql.conf includes
# it; a plain initdb's does not).
include_conf_d:
  cmd.run:
    - name: echo "include_dir = 'conf.d'" >> {{ pg.confdir }}/postgresql.conf
    - unless: grep -q "^include_dir = 'conf.d'" {{ pg.confdir }}/postgresql.conf
    - runas: {{ pg.user }}
{% endif %}

# What pg_rewind needs to rewind this host after a divergence. It takes
# effect at the next start of the server (a failover restarts both).
rewind_settings:
  file.managed:
    - name: {{ pg.confdir }}/conf.d/rewind.conf
    - contents: |
        # Managed by converge: pg_rewind needs hint bits in the WAL.
        wal_log_hints = on
    - user: {{ pg.user }}
    - group: {{ pg.user }}
    - mode: 0640
    - makedirs: True

{% if me == pg.query %}
{% if salt['pillar.get']('failover:demoting') != me %}
# Writing the standby configuration beside a live writer would demote it
# at its next restart: refuse, unless the writer is newer (this host is a
# writer that was replaced). The failover stops it first.
may_follow:
  postgres.can_follow:
    - cluster: {{ pg | json }}
    - upstream: {{ pg.writer }}
    - replication: {{ pg.replication | json }}
{% endif %}

standby_config:
  file.managed:
{% if pg.major < 12 %}
    - name: {{ pg.datadir }}/recovery.conf
{% else %}
    - name: {{ pg.confdir }}/conf.d/standby.conf
{% endif %}
    - source: salt://postgres/standby.conf.j2
    - template: jinja
    - user: {{ pg.user }}
    - group: {{ pg.user }}
    - mode: 0640
    - makedirs: True
{% if salt['pillar.get']('failover:demoting') != me %}
    - require:
      - postgres: may_follow
{% endif %}

# Follows the writer, streaming on its timeline: started as it is, or
# rewound first when it diverged (or re-cloned, only if pillar allows).
# Last, after this host's PgBouncer points at the writer: a writer that
# was cut off and came back still has clients on its own PgBouncer, which
# must reach the new writer, not this server stopped, rewound or
# read-only. `order`, not a requisite: should PgBouncer fail, a stale
# primary must still be stopped.
postgresql:
  postgres.standby:
    - order: last
    - cluster: {{ pg | json }}
    - upstream: {{ pg.writer }}
    - replication: {{ pg.replication | json }}
    - rewind: {{ pg.rewind }}
    - reclone: {{ pg.reclone }}
    - timeout: {{ pg.standby_timeout }}
    - demoting: {{ salt['pillar.get']('failover:demoting') == me }}
    - require:
      - file: standby_config
      - file: rewind_settings

{% else %}
{% if salt['pillar.get']('failover:promoting') != me %}
# Promoting while the old writer still runs makes two writers: refuse; the
# failover stops it first (and says so in pillar).
refuse_to_promote_beside_a_running_writer:
  cmd.run:
    - name: >-
        echo "{{ me }} still streams from a running primary; 'converge orchestrate failover' stops it first" >&2; exit 1
    - onlyif: test -e {{ signal }} && test "$(runuser -u {{ pg.user }} -- {{ psql }} -c 'select status from pg_stat_wal_receiver' 2>/dev/null)" = streaming
    - prereq:
      - postgres: promote
{% endif %}

# The writer: promote exactly when the standby marker is still here.
promote:
  postgres.promoted:
    - cluster: {{ pg | json }}

# pg_controldata shows the new timeline only after a checkpoint.
checkpoint_after_promote:
  cmd.run:
    - name: {{ psql }} -c CHECKPOINT
    - runas: {{ pg.user }}
    - onchanges:
      - postgres: promote

{% if pg.major >= 12 %}
no_standby_config:
  file.absent:
    - name: {{ pg.confdir }}/conf.d/standby.conf
    - require:
      - postgres: promote
{% endif %}

postgresql:
  postgres.running:
    - cluster: {{ pg | json }}
    - require:
      - postgres: promote

# pg_rewind, run on a standby against this writer, reads files through
# these functions as the replication role.
rewind_privileges:
  cmd.run:
    - name: >-
        {{ psql }} -c "{% for f in ['pg_ls_dir(text, boolean, boolean)', 'pg_stat_file(text, boolean)', 'pg_read_binary_file(text)', 'pg_read_binary_file(text, bigint, bigint, boolean)'] %}GRANT EXECUTE ON FUNCTION pg_catalog.{{ f }} TO {{ pg.replication.user }}; {% endfor %}"
    - unless: >-
        test "$({{ psql }} -c "select has_function_privilege('{{ pg.replication.user }}', 'pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)', 'execute')")" = t
    - runas: {{ pg.user }}
    - require:
      - postgres: postgresql
{% endif %}
