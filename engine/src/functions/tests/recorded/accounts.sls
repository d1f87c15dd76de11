pg-same:
  user.present:
    - name: postgres
pg-changes:
  user.present:
    - name: postgres
    - fullname: Postgres Admin
    - shell: /bin/sh
    - groups: [ssl-cert, users]
    - optional_groups: [nosuchgroup]
    - home: /var/lib/postgresql
    - password: '$6$abc$def'
    - uid: 101
    - roomnumber: R1
pg-gid:
  user.present:
    - name: postgres
    - gid: users
pg-missing-groups:
  user.present:
    - name: postgres
    - groups: [nosuchgroup, ssl-cert]
pg-remove-groups-false:
  user.present:
    - name: postgres
    - groups: [users]
    - remove_groups: False
newuser:
  user.present:
    - groups: [users]
root-absent:
  user.absent:
    - name: cloudsdk
ghost-absent:
  user.absent:
    - name: ghost
grp-new:
  group.present:
    - name: newgrp
    - gid: 1500
grp-same:
  group.present:
    - name: ssl-cert
    - members: [postgres]
grp-change:
  group.present:
    - name: ssl-cert
    - gid: 1503
    - addusers: [root, postgres]
    - delusers: [postgres]
grp-change2:
  group.present:
    - name: ssl-cert
    - addusers: [root]
    - delusers: [postgres]
grp-empty:
  group.present:
    - name: ssl-cert
    - members: []
grp-absent:
  group.absent:
    - name: users
grp-absent2:
  group.absent:
    - name: nosuch
