pgdg:
  pkgrepo.managed:
    - name: 'deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.gpg] http://apt.postgresql.org/pub/repos/apt bookworm-pgdg main'
    - humanname: PostgreSQL Official Repository
    - file: /etc/apt/sources.list.d/pgdg.list
debian-plain:
  pkgrepo.managed:
    - name: deb http://deb.debian.org/debian bookworm main
debian-signed:
  pkgrepo.managed:
    - name: deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
pgdg-absent:
  pkgrepo.absent:
    - name: deb http://apt.postgresql.org/pub/repos/apt bookworm-pgdg main
    - keyid: ACCC4CF8
debian-absent:
  pkgrepo.absent:
    - name: deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main
