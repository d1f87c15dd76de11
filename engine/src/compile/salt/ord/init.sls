include:
  - .x
  - .b
own1:
  test.nop: []
withorder:
  test.nop:
    - order: 5
own2:
  test.nop:
    - names:
      - n1
      - n2:
        - order: 7
late:
  test.nop:
    - order: last
neg:
  test.nop:
    - order: -2
flt:
  test.nop:
    - order: 20000.5
extend:
  b1:
    test:
      - order: last
  c1:
    test:
      - order: 3
