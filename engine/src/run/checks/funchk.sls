{% set d = '/tmp/pgobj-salt/fx' %}
o_file_yes:
  test.succeed_with_changes:
    - onlyif:
      - fun: file.file_exists
        path: {{ d }}/afile
o_file_no:
  test.succeed_with_changes:
    - onlyif:
      - fun: file.file_exists
        args: [{{ d }}/nofile]
o_dir_yes:
  test.succeed_with_changes:
    - onlyif:
      - fun: file.directory_exists
        path: {{ d }}
o_link_no:
  test.succeed_with_changes:
    - onlyif:
      - fun: file.is_link
        path: {{ d }}/afile
o_run_out:
  test.succeed_with_changes:
    - onlyif:
      - fun: cmd.run
        cmd: echo hi
o_run_empty:
  test.succeed_with_changes:
    - onlyif:
      - fun: cmd.run
        cmd: 'true'
o_run_fail:
  test.succeed_with_changes:
    - onlyif:
      - fun: cmd.run
        cmd: echo out; false
o_retcode_0:
  test.succeed_with_changes:
    - onlyif:
      - fun: cmd.retcode
        cmd: 'true'
o_retcode_1:
  test.succeed_with_changes:
    - onlyif:
      - fun: cmd.retcode
        cmd: 'false'
o_all_get:
  test.succeed_with_changes:
    - onlyif:
      - fun: cmd.run_all
        cmd: echo hi
        get_return: stdout
o_mixed:
  test.succeed_with_changes:
    - onlyif:
      - 'true'
      - fun: file.file_exists
        path: {{ d }}/nofile
u_file_yes:
  test.succeed_with_changes:
    - unless:
      - fun: file.file_exists
        path: {{ d }}/afile
u_file_no:
  test.succeed_with_changes:
    - unless:
      - fun: file.file_exists
        path: {{ d }}/nofile
u_two:
  test.succeed_with_changes:
    - unless:
      - fun: file.file_exists
        path: {{ d }}/afile
      - fun: file.directory_exists
        path: {{ d }}/afile
u_retcode_0:
  test.succeed_with_changes:
    - unless:
      - fun: cmd.retcode
        cmd: 'true'
u_run_fail:
  test.succeed_with_changes:
    - unless:
      - fun: cmd.run
        cmd: echo out; false
u_run_out:
  test.succeed_with_changes:
    - unless:
      - fun: cmd.run
        cmd: echo hi
o_true:
  test.succeed_with_changes:
    - onlyif:
      - fun: test.true
o_false:
  test.succeed_with_changes:
    - onlyif:
      - fun: test.false
