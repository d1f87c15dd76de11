conf:
  - file.managed
