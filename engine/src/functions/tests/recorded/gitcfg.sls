set-new:
  git.config_set:
    - name: user.name
    - value: B User
    - repo: @DIR@/repo
set-again:
  git.config_set:
    - name: user.name
    - value: B User
    - repo: @DIR@/repo
set-other:
  git.config_set:
    - name: user.name
    - value: Other User
    - repo: @DIR@/repo
multi:
  git.config_set:
    - name: remote.origin.push
    - multivar: [a, b]
    - repo: @DIR@/repo
color-ui:
  git.config_set:
    - name: color.ui
    - value: auto
    - repo: @DIR@/repo
color-diff:
  git.config_set:
    - name: color.diff
    - value: 'true'
    - repo: @DIR@/repo
unset-absent:
  git.config_unset:
    - name: push.default
    - all: True
    - repo: @DIR@/repo
unset-regex:
  git.config_unset:
    - name: 'color\..+'
    - all: True
    - repo: @DIR@/repo
unset-multi-noall:
  git.config_unset:
    - name: remote.origin.push
    - repo: @DIR@/repo
unset-name:
  git.config_unset:
    - name: user.name
    - repo: @DIR@/repo
no-repo:
  git.config_set:
    - name: user.name
    - value: x
