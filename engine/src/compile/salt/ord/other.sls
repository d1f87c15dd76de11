include:
  - ord.c
o1:
  test.nop: []
