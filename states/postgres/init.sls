{#- PostgreSQL on a host of the pair: the query host is a standby of the
    writer; the writer promotes itself when it still carries the standby
    marker. `converge orchestrate failover` runs these in the safe order. -#}
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

{% if me == pg.query %}
{% if salt['pillar.get']('failover:demoting') != me %}
# Writing the standby marker under a running primary would fork its
# timeline at its next restart: refuse; the failover stops it first.
# (prereq: checked only when those files are about to change.)
refuse_to_demote_a_running_primary:
  cmd.run:
    - name: >-
        echo "{{ me }} runs as a primary; 'converge orchestrate failover' demotes it" >&2; exit 1
    - onlyif: test "$(runuser -u {{ pg.user }} -- {{ psql }} -c 'select pg_is_in_recovery()' 2>/dev/null)" = f
    - prereq:
      - file: standby_config
{% if pg.major >= 12 %}
      - file: standby_marker
{% endif %}
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

{% if pg.major >= 12 %}
standby_marker:
  file.managed:
    - name: {{ signal }}
    - contents: ''
    - contents_newline: False
    - replace: False
    - user: {{ pg.user }}
    - group: {{ pg.user }}
    - mode: 0600
{% endif %}

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
{% endif %}

postgresql:
  postgres.running:
    - cluster: {{ pg | json }}
{% if me == pg.query %}
    - require:
      - file: standby_config
{% if pg.major >= 12 %}
      - file: standby_marker
{% endif %}
{% endif %}
