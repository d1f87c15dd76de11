conf:
  test.succeed_with_changes: []
quiet:
  test.succeed_without_changes: []
svc:
  cmd.run:
    - name: echo restart
    - listen:
      - test: conf
other:
  cmd.run:
    - name: echo other
    - listen:
      - quiet
late:
  test.succeed_with_changes:
    - listen_in:
      - cmd: other
retried:
  test.fail_without_changes:
    - retry:
        attempts: 3
        interval: 1
    - reload_modules: True
