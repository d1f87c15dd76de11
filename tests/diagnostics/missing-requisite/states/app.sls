reload:
  cmd.run:
    - name: echo reload
    - onchanges:
      - file: /etc/pgbouncer/pgbouncer.ini
