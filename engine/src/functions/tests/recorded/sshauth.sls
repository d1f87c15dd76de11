add-one:
  ssh_auth.present:
    - name: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl one@x
    - user: root
    - config: @DIR@/ssh/authorized_keys
add-two:
  ssh_auth.present:
    - name: AAAAC3NzaC1lZDI1NTE5AAAAIFBSdA0jv4KAh3rTg2ZGdmr5yZXZiv7PqLo5WW6sH2Cl two
    - user: root
    - enc: ed25519
    - config: @DIR@/ssh/authorized_keys
one-again:
  ssh_auth.present:
    - name: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl one@x
    - user: root
    - config: @DIR@/ssh/authorized_keys
one-updated:
  ssh_auth.present:
    - name: AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
    - user: root
    - enc: ssh-ed25519
    - comment: renamed
    - options: [no-agent-forwarding]
    - config: @DIR@/ssh/authorized_keys
from-source:
  ssh_auth.present:
    - user: root
    - source: salt://keys.pub
    - config: @DIR@/ssh/authorized_keys
remove-two:
  ssh_auth.absent:
    - name: AAAAC3NzaC1lZDI1NTE5AAAAIFBSdA0jv4KAh3rTg2ZGdmr5yZXZiv7PqLo5WW6sH2Cl
    - user: root
    - config: @DIR@/ssh/authorized_keys
remove-two-again:
  ssh_auth.absent:
    - name: AAAAC3NzaC1lZDI1NTE5AAAAIFBSdA0jv4KAh3rTg2ZGdmr5yZXZiv7PqLo5WW6sH2Cl
    - user: root
    - config: @DIR@/ssh/authorized_keys
source-absent:
  ssh_auth.absent:
    - user: root
    - source: salt://keys.pub
    - config: @DIR@/ssh/authorized_keys
invalid-key:
  ssh_auth.present:
    - name: PUBLICKEY
    - user: root
    - config: @DIR@/ssh/authorized_keys
missing-source:
  ssh_auth.present:
    - user: root
    - source: salt://nope.pub
    - config: @DIR@/ssh/authorized_keys
