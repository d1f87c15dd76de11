base:
  '*':
    - globals
