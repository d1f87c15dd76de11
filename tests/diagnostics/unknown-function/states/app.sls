/tmp/converge-never/app.conf:
  file.manged:
    - contents: x
