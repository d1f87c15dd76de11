app:
  port: 8080
  users:
    - alice
    - bob
  lookup:
    pkg: app-custom
  tofs:
    files_switch:
      - id
      - os
nested:
  list:
    - name: first
    - name: second
  'a:b': literal
flag: true
master:
  only_in_master: from the pillar's master key
# config.get reads grains before pillar: this one is never seen
os: from-pillar
