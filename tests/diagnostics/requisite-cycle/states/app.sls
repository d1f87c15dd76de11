stop:
  test.nop:
    - require:
      - test: promote
promote:
  test.nop:
    - require:
      - test: stop
