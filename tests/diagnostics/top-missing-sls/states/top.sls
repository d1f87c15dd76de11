base:
  '*':
    - app
    - postgres
