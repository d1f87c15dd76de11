include:
  - .c
x1:
  test.nop: []
