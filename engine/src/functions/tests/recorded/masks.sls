ssh-masked:
  service.masked:
    - name: ssh
ssh-runtime-masked:
  service.masked:
    - name: ssh
    - runtime: True
ssh-unmasked:
  service.unmasked:
    - name: ssh
