bash-present:
  pkg.installed:
    - name: bash
bash-latest:
  pkg.installed:
    - name: bash
    - version: latest
ssh-latest:
  pkg.installed:
    - name: openssh-server
    - version: latest
sudo-new:
  pkg.installed:
    - name: sudo
two-new:
  pkg.installed:
    - name: x
    - pkgs: [nginx, tini, libpam-google-authenticator]
pg-glob:
  pkg.installed:
    - name: postgresql-15
    - version: '15.*'
pg-exact-wrong:
  pkg.installed:
    - name: postgresql-15
    - version: 15.20-0+deb12u1
pg-range:
  pkg.installed:
    - name: pg
    - pkgs:
      - postgresql-15: '>=15.0,<16'
      - tini
pg-epoch:
  pkg.installed:
    - name: openssh-server
    - version: 9.2p1-2+deb12u10
empty-pkgs:
  pkg.installed:
    - name: x
    - pkgs: []
openssl-latest:
  pkg.installed:
    - name: openssl
    - version: latest
tini-removed:
  pkg.removed:
    - name: tini
tini-removed-version:
  pkg.removed:
    - name: tini
    - version: '>=1.0'
nothing-removed:
  pkg.removed:
    - name: nosuchpkg
some-purged:
  pkg.purged:
    - name: x
    - pkgs: [tini, pgbouncer, nosuchpkg]
none-purged:
  pkg.purged:
    - name: sudo
