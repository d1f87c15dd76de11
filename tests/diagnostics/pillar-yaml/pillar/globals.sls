postgres:
  writer: pgdb1
  writer: pgdb2
