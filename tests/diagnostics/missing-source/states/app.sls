/tmp/converge-never/pgbouncer.ini:
  file.managed:
    - source: salt://postgres/pgbouncer.ini.j2
    - template: jinja
