base:
  '*':
    - globals
    - postgres
