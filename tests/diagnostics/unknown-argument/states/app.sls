/tmp/converge-never/app.conf:
  file.managed:
    - contents: x
    - usr: postgres
