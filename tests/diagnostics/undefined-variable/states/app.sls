{% set port = 6432 %}
/tmp/converge-never/pgbouncer.ini:
  file.managed:
    - contents: "listen_port = {{ prot }}"
