both:
  ssh_known_hosts.present:
    - name: otherhost
    - user: root
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
    - enc: ssh-ed25519
    - fingerprint: f8:38:98:df:0b:ef:57:a4:ee:24:98:5b:a5:98:ac:17:fc:cb:0c:0d:33:3c:c4:af:1d:d9:2b:e1:4b:c2:3a:a5
    - hash_known_hosts: False
    - config: @DIR@/kh/known_hosts
port-and-hash:
  ssh_known_hosts.present:
    - name: porthost2
    - user: root
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIFBSdA0jv4KAh3rTg2ZGdmr5yZXZiv7PqLo5WW6sH2Cl
    - enc: ssh-ed25519
    - port: 2222
    - config: @DIR@/kh/known_hosts
no-enc:
  ssh_known_hosts.present:
    - name: x
    - user: root
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIFBSdA0jv4KAh3rTg2ZGdmr5yZXZiv7PqLo5WW6sH2Cl
    - config: @DIR@/kh/known_hosts
relative-no-user:
  ssh_known_hosts.present:
    - name: x
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIFBSdA0jv4KAh3rTg2ZGdmr5yZXZiv7PqLo5WW6sH2Cl
    - enc: ssh-ed25519
    - config: known_hosts
ghost-present:
  ssh_known_hosts.present:
    - name: x
    - user: ghostuser
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIFBSdA0jv4KAh3rTg2ZGdmr5yZXZiv7PqLo5WW6sH2Cl
    - enc: ssh-ed25519
ghost-absent:
  ssh_known_hosts.absent:
    - name: x
    - user: ghostuser

