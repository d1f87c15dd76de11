legacy-reload:
  module.run:
    - name: service.reload
    - m_name: postgresql
legacy-true:
  module.run:
    - name: test.true
new-reload:
  module.run:
    - service.reload:
      - name: postgresql
new-two:
  module.run:
    - test.true: []
    - service.restart:
      - postgresql
not-watched:
  module.wait:
    - name: service.reload
    - m_name: postgresql
