c1:
  test.nop: []
c2:
  test.nop:
    - order: 9
