local-new:
  archive.extracted:
    - name: @DIR@/out
    - source: @DIR@/app.tar
    - source_hash: sha256=13bb9ce3011cdc90c1e33eb6f07f3b63c171e77f04c582b2a0bd360d392f6dcf
    - archive_format: tar
local-again:
  archive.extracted:
    - name: @DIR@/out
    - source: @DIR@/app.tar
    - archive_format: tar
skipped:
  archive.extracted:
    - name: @DIR@/out2
    - source: @DIR@/app.tar
    - archive_format: tar
    - if_missing: @DIR@/marker
from-master:
  archive.extracted:
    - name: @DIR@/out3/
    - source: salt://app.tar
    - source_hash: sha256=13bb9ce3011cdc90c1e33eb6f07f3b63c171e77f04c582b2a0bd360d392f6dcf
    - archive_format: tar
relative:
  archive.extracted:
    - name: out4
    - source: @DIR@/app.tar
