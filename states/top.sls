base:
  'pgdb*':
    - postgres
    - pgbouncer
