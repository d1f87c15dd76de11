a:
  test.nop: []
b:
  test.nop:
    - requires:
      - test: a
