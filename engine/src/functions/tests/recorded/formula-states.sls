# The states of converge's functions in the five formulas, as Salt
# compiled them (tests/formulas/recorded/*/show_low_sls.json: arguments
# as given, requisites and checks left out); formula-states.json holds
# Salt's test answers for them from the same recordings (test.json).
users--users_bash-package--pkg:
  pkg.installed:
  - name: bash
users--users_sudo-package--pkg:
  pkg.installed:
  - name: sudo
users--users_googleauth-package--pkg:
  pkg.installed:
  - name: libpam-google-authenticator
users--users_group_present_foo--group:
  group.present:
  - name: foo
  - gid: 1500
  - system: false
  - members: null
  - addusers: null
  - delusers: null
users--users_group_absent_badguys--group:
  group.absent:
  - name: badguys
users--users_group_present_niceguys--group:
  group.present:
  - name: niceguys
  - gid: 4242
  - system: false
  - members: null
  - addusers:
    - root
  - delusers:
    - toor
users--users_group_present_ssl-cert--group:
  group.present:
  - name: ssl-cert
  - gid: null
  - system: true
  - members:
    - www-data
    - openldap
  - addusers: null
  - delusers: null
users--users_auser_user--group:
  group.present:
  - name: auser
users--users_auser_user--user:
  user.present:
  - name: auser
  - home: /home/auser
  - shell: /bin/bash
  - gid: auser
  - fullname: A User
  - createhome: true
  - allow_gid_change: true
  - remove_groups: false
  - groups:
    - auser
users--users_buser_users_group--group:
  group.present:
  - name: users
users--users_buser_user--group:
  group.present:
  - name: primarygroup
  - gid: 1501
users--users_buser_user--user:
  user.present:
  - name: buser
  - home: /custom/buser
  - shell: /bin/bash
  - uid: 1001
  - password: $6$w.............
  - enforce_password: true
  - hash_password: false
  - gid: 1501
  - fullname: B User
  - roomnumber: A-1
  - workphone: (555) 555-5555
  - homephone: (555) 555-5551
  - createhome: true
  - unique: false
  - allow_gid_change: false
  - expire: 16426
  - remove_groups: false
  - groups:
    - primarygroup
    - users
  - optional_groups:
    - some_groups_that_might
    - not_exist_on_all_minions
users--users_ssh_auth_buser_0--ssh_auth:
  ssh_auth.present:
  - name: PUBLICKEY
  - user: buser
users--users_ssh_auth_source_buser_0--ssh_auth:
  ssh_auth.present:
  - name: users_ssh_auth_source_buser_0
  - user: buser
  - source: salt://keys/buser.id_rsa.pub
users--users_ssh_auth_source_delete_buser_0--ssh_auth:
  ssh_auth.absent:
  - name: users_ssh_auth_source_delete_buser_0
  - user: buser
  - source: salt://keys/deleteduser.id_rsa.pub
users--users_ssh_auth_delete_buser_0--ssh_auth:
  ssh_auth.absent:
  - name: PUBLICKEY_TO_BE_REMOVED
  - user: buser
users--users_ssh_known_hosts_buser_0--ssh_known_hosts:
  ssh_known_hosts.present:
  - name: importanthost
  - user: buser
  - port: 22
  - fingerprint: 16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48
  - key: PUBLICKEY
  - enc: ssh-rsa
  - hash_known_hosts: true
  - timeout: 5
  - fingerprint_hash_type: sha256
users--users_ssh_known_hosts_delete_buser_0--ssh_known_hosts:
  ssh_known_hosts.absent:
  - name: notimportanthost
  - user: buser
users--users_buser_user_gitconfig_0--git:
  git.config_set:
  - name: user.name
  - value: B User
  - user: buser
  - global: true
users--users_buser_user_gitconfig_1--git:
  git.config_set:
  - name: user.email
  - value: buser@example.com
  - user: buser
  - global: true
users--users_buser_user_gitconfig_2--git:
  git.config_set:
  - name: url.https://.insteadOf
  - value: git://
  - user: buser
  - global: true
users--users_buser_user_gitconfig_absent_push.default--git:
  git.config_unset:
  - name: push.default
  - user: buser
  - global: true
  - all: true
users--users_buser_user_gitconfig_absent_color\..+--git:
  git.config_unset:
  - name: color\..+
  - user: buser
  - global: true
  - all: true
users--users_absent_user_cuser--user:
  user.absent:
  - name: cuser
  - purge: true
  - force: true
users--users_absent_user_2_donald--user:
  user.absent:
  - name: donald
users--users_absent_user_2_bad_guy--user:
  user.absent:
  - name: bad_guy
postgres--postgresql-server--pkg:
  pkg.installed:
  - name: postgresql-server
  - pkgs:
    - postgresql-15
  - fromrepo: bookworm
postgres--postgresql-client-libs--pkg:
  pkg.installed:
  - name: postgresql-client-libs
  - pkgs:
    - postgresql-client-15
  - fromrepo: bookworm
openssh--openssh--pkg:
  pkg.installed:
  - name: openssh-server
  - version: latest
nginx--nginx_install--pkg:
  pkg.installed:
  - name: nginx
  - refresh: true
nginx--generate_nginx_dhparam_mydhparam2.pem_key--pkg:
  pkg.installed:
  - name: openssl
template--TEMPLATE-package-install-pkg-installed--pkg:
  pkg.installed:
  - name: bash
