# Who writes. A failover is: swap these two, then `converge orchestrate failover`.
postgres:
  writer: pgdb1     # the primary: PgBouncer everywhere points here
  query: pgdb2      # the standby: streams from the writer, serves reads on 5432
