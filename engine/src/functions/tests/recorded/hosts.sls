add-new:
  host.present:
    - name: db1
    - ip: 10.0.0.11
add-alias:
  host.present:
    - name: db1-alias
    - ip: 10.0.0.11
already:
  host.present:
    - name: localhost
    - ip: 127.0.0.1
with-comment:
  host.present:
    - name: web
    - ip: [10.0.0.21, 10.0.0.22]
    - comment: web servers
moved:
  host.present:
    - name: db1
    - ip: 10.0.0.12
    - clean: True
gone:
  host.absent:
    - name: db1-alias
    - ip: 10.0.0.11
gone-again:
  host.absent:
    - name: db1-alias
    - ip: 10.0.0.11
only:
  host.only:
    - name: 10.0.0.21
    - hostnames: [w1, w2]
only-same:
  host.only:
    - name: 10.0.0.21
    - hostnames: [w1, w2]
