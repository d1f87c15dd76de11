conf:
  file.managed:
    - name: /tmp/converge-never/a
    - contents: a
conf:
  file.managed:
    - name: /tmp/converge-never/b
    - contents: b
