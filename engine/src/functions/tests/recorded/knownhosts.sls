add:
  ssh_known_hosts.present:
    - name: importanthost
    - user: root
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
    - enc: ssh-ed25519
    - config: @DIR@/kh/known_hosts
again:
  ssh_known_hosts.present:
    - name: importanthost
    - user: root
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
    - enc: ssh-ed25519
    - config: @DIR@/kh/known_hosts
by-fingerprint:
  ssh_known_hosts.present:
    - name: importanthost
    - user: root
    - fingerprint: f8:38:98:df:0b:ef:57:a4:ee:24:98:5b:a5:98:ac:17:fc:cb:0c:0d:33:3c:c4:af:1d:d9:2b:e1:4b:c2:3a:a5
    - config: @DIR@/kh/known_hosts
replace-plain:
  ssh_known_hosts.present:
    - name: importanthost
    - user: root
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIFBSdA0jv4KAh3rTg2ZGdmr5yZXZiv7PqLo5WW6sH2Cl
    - enc: ssh-ed25519
    - hash_known_hosts: False
    - config: @DIR@/kh/known_hosts
with-port:
  ssh_known_hosts.present:
    - name: porthost
    - user: root
    - key: AAAAC3NzaC1lZDI1NTE5AAAAIFBSdA0jv4KAh3rTg2ZGdmr5yZXZiv7PqLo5WW6sH2Cl
    - enc: ssh-ed25519
    - port: 2222
    - hash_known_hosts: False
    - config: @DIR@/kh/known_hosts
remove:
  ssh_known_hosts.absent:
    - name: importanthost
    - user: root
    - config: @DIR@/kh/known_hosts
remove-again:
  ssh_known_hosts.absent:
    - name: importanthost
    - user: root
    - config: @DIR@/kh/known_hosts
